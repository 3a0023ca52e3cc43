"""Messy buyer edits written by someone who had not read the parser (see fixtures README).

Each fixture names the published template it is modelled on. For every fixture:
expected steps are found with the expected status, due and done dates and dependencies;
every cell listed under `problems` is reported; no cell under `no_problem` is reported as
unreadable; nothing raises.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from addon.plan.models import ProblemKind, StepMemory
from addon.plan.parse import parse_map
from addon.plan.status import compute

# Grids as read; the `kind: sync` fixtures (whole workbooks) are run by test_buyer_edit_syncs.
FIXTURES = sorted(
    p
    for p in (Path(__file__).parent / "fixtures" / "buyer_edits").glob("*.yaml")
    if yaml.safe_load(p.read_text(encoding="utf-8")).get("kind") != "sync"
)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _memory(data: dict[str, Any]) -> dict[str, StepMemory]:
    """`memory`: what the registry remembers of a step from earlier syncs, when it matters."""
    return {
        sid: StepMemory(step_id=sid, **fields) for sid, fields in (data.get("memory") or {}).items()
    }


def _parse(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return parse_map(
        data["tabs"],
        today=data["today"],
        locale=data.get("locale", "en_US"),
        plan_start=data.get("plan_start"),
        memory=_memory(data),
    )


def _status(data: dict[str, Any], parsed: Any) -> Any:
    return compute(
        parsed,
        _memory(data),
        target_close=data.get("target_close") or data["today"].replace(year=data["today"].year + 1),
        today=data["today"],
        last_steps=data.get("last_steps") or (),
    )


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_names_its_source(path: Path) -> None:
    assert _load(path)["source"].strip()


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_steps_read_as_a_person_would(path: Path) -> None:
    data = _load(path)
    parsed = _parse(data)
    by_id = {s.id: s for s in parsed.steps}
    by_text = {s.step: s for s in parsed.steps}
    failures = []
    for key, want in (data["expect"].get("steps") or {}).items():
        step = by_text.get(key[4:]) if str(key).startswith("new:") else by_id.get(str(key))
        if step is None:
            failures.append(f"{key}: not found")
            continue
        for field, value in want.items():
            got: Any = getattr(step, field)
            if field == "status":
                got = got.value if got is not None else None
            if field == "depends_on":
                got, value = list(got), list(value or [])
            if isinstance(value, date) or field in ("due", "done_on"):
                value = (
                    value
                    if value is None or isinstance(value, date)
                    else (date.fromisoformat(str(value)))
                )
            if got != value:
                failures.append(f"{key}.{field}: got {got!r}, want {value!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_problem_cells_are_reported(path: Path) -> None:
    data = _load(path)
    parsed = _parse(data)
    status = _status(data, parsed)
    reported = {p.where for p in (*parsed.problems, *status.problems)}
    unreadable = {
        p.where for p in (*parsed.problems, *status.problems) if p.kind is ProblemKind.UNREADABLE
    }
    missing = [c for c in data["expect"].get("problems") or [] if c not in reported]
    wrongly = [c for c in data["expect"].get("no_problem") or [] if c in unreadable]
    quiet = [c for c in data["expect"].get("no_notice") or [] if c in reported]
    assert not missing, f"not reported: {missing}"
    assert not wrongly, f"reported as unreadable but readable: {wrongly}"
    assert not quiet, f"reported but nothing to say: {quiet}"


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_messages_say_what_and_the_fix(path: Path) -> None:
    """`messages`: a cell's whole message, as the buyer reads it in the row's note."""
    data = _load(path)
    parsed = _parse(data)
    status = _status(data, parsed)
    said: dict[str, list[str]] = {}
    for p in (*parsed.problems, *status.problems):
        said.setdefault(p.where, []).append(p.message)
    for cell, message in (data["expect"].get("messages") or {}).items():
        assert message in said.get(cell, []), f"{cell}: {said.get(cell)}"


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_the_plan_as_a_whole(path: Path) -> None:
    """`map`: plan-level figures (health, its reason, total slip, days since a completion)."""
    data = _load(path)
    status = _status(data, _parse(data))
    for field, want in (data["expect"].get("map") or {}).items():
        got = getattr(status, field)
        assert (got.value if hasattr(got, "value") else got) == want, field
