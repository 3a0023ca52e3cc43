"""Deal-size templates: the built-ins are valid, errors name file, step and field, and a
team adds its own by dropping a file in a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sheets_schema.template import BUILTIN_DIR, TemplateError, load_templates

SIZES = {"smb": (5, 8), "mid_market": (10, 15), "enterprise": (15, 25)}


def test_builtins_load_and_fit_their_sizes() -> None:
    templates = load_templates()
    assert set(SIZES) <= set(templates)
    for name, (low, high) in SIZES.items():
        t = templates[name]
        assert low <= len(t.steps) <= high
        keys = [s.key for s in t.steps]
        signature = t.signature_step
        assert signature.offset_days == 0
        after = [s for s in t.steps if s.offset_days > 0]
        assert after, f"{name} has no go-live step after the signature"
        assert all(
            keys.index(s.key) > keys.index(signature.key) or s.offset_days > 0 for s in after
        )


def _by_words(t: Any, *words: str) -> Any:
    return next(s for s in t.steps if all(w in s.key for w in words))


@pytest.mark.parametrize("name", ["mid_market", "enterprise"])
def test_domain_structure(name: str) -> None:
    t = load_templates()[name]
    steps = {s.key: s for s in t.steps}

    def ancestors(key: str) -> set[str]:
        seen: set[str] = set()
        todo = list(steps[key].depends_on)
        while todo:
            k = todo.pop()
            if k not in seen:
                seen.add(k)
                todo.extend(steps[k].depends_on)
        return seen

    security = next(s for s in t.steps if "security" in s.key and s.consequence)
    technical = next(
        s
        for s in t.steps
        if s.phase == "Evaluate" and s is not security and s.side.value != "seller"
    )
    # security review runs in parallel with technical validation
    assert security.key not in ancestors(technical.key)
    assert technical.key not in ancestors(security.key)
    procurement = next(
        s
        for s in t.steps
        if s.buyer_owner_role
        and s.buyer_owner_role.value == "procurement"
        and s.offset_days <= 0
        and any(
            steps[d].buyer_owner_role and steps[d].buyer_owner_role.value == "legal"  # type: ignore[union-attr]
            for d in ancestors(s.key)
        )
    )
    assert procurement.key in ancestors(t.signature_step.key)
    assert sum(1 for s in t.steps if s.consequence) >= 3


def _write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def _small(name: str = "pilot_first") -> dict[str, Any]:
    return {
        "name": name,
        "label": "Pilot first",
        "description": "A pilot, then a contract.",
        "steps": [
            {
                "key": "pilot",
                "phase": "Evaluate",
                "step": "Pilot users confirm it works",
                "side": "buyer",
                "buyer_owner_role": "champion",
                "offset_days": -20,
                "duration_days": 10,
            },
            {
                "key": "signed",
                "phase": "Contract",
                "step": "Economic buyer signs",
                "side": "buyer",
                "buyer_owner_role": "economic_buyer",
                "offset_days": 0,
                "duration_days": 3,
                "depends_on": ["pilot"],
                "signature": True,
                "consequence": {"threshold_days": 7, "text": "Both sponsors meet"},
            },
        ],
    }


def test_a_team_adds_a_template_by_dropping_a_file(tmp_path: Path) -> None:
    _write(tmp_path, "pilot_first", _small())
    templates = load_templates([tmp_path])
    assert templates["pilot_first"].signature_step.key == "signed"
    assert "enterprise" in templates


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["steps"][1].update(depends_on=["nope"]),
            "pilot_first.yaml, step signed, field depends_on: depends on 'nope', which is not an "
            "earlier step",
        ),
        (
            lambda d: d["steps"][0].update(side="them"),
            "pilot_first.yaml, step #1 (pilot), field side: Input should be 'buyer', 'seller' or "
            "'both'",
        ),
        (
            lambda d: d["steps"][0].update(signature=True),
            "pilot_first.yaml, field signature: marks 2 steps as the signature (pilot, signed); "
            "mark exactly one",
        ),
        (
            lambda d: d["steps"][1].update(offset_days=-18),
            "pilot_first.yaml, step signed, field offset_days: offset_days -18 leaves no room "
            "after 'pilot' (needs at least -17: pilot's offset plus this step's duration)",
        ),
        (
            lambda d: d["steps"][0].pop("buyer_owner_role"),
            "pilot_first.yaml, step pilot, field buyer_owner_role: a buyer step names the "
            "buyer_owner_role",
        ),
        (
            lambda d: d["steps"][0].update(colour="red"),
            "pilot_first.yaml, step #1 (pilot), field colour: Extra inputs are not permitted",
        ),
        (
            lambda d: d.update(name="other"),
            "pilot_first.yaml, field name: name 'other' differs from the file name",
        ),
    ],
)
def test_errors_name_the_file_the_step_and_the_field(
    tmp_path: Path, change: Any, message: str
) -> None:
    data = _small()
    change(data)
    _write(tmp_path, "pilot_first", data)
    with pytest.raises(TemplateError) as err:
        load_templates([tmp_path])
    assert str(err.value).endswith(message)


def test_a_known_size_outside_its_range_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((BUILTIN_DIR / "smb.yaml").read_text())
    data["steps"] = data["steps"][:3] + [s for s in data["steps"] if s.get("signature")]
    _write(tmp_path, "smb", data)
    with pytest.raises(TemplateError, match="has 4 steps; a smb template has 5 to 8"):
        load_templates([tmp_path])


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    with pytest.raises(TemplateError, match=r"bad\.yaml: is not valid YAML"):
        load_templates([tmp_path])
