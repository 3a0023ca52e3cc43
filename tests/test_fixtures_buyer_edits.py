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

from addon.plan.grid import a1, find_header, find_tab
from addon.plan.models import ProblemKind, StepMemory
from addon.plan.parse import parse_map
from addon.plan.resources import DriveFacts, check_resources, near_steps, still_missing
from addon.plan.status import NEAR_DAYS, compute
from sheets_schema.vocab import Side
from sheets_schema.workbook import RESOURCES

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
    res_reported, res_fix = _resource_reports(data, parsed, status)
    reported = {p.where for p in (*parsed.problems, *status.problems)} | res_reported
    unreadable = {
        p.where for p in (*parsed.problems, *status.problems) if p.kind is ProblemKind.UNREADABLE
    } | res_fix
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


# --- The Resources tab (fixtures 27-33, `expect.resources`) ---------------------------------

RESOURCE_FIXTURES = [p for p in FIXTURES if "resources" in (_load(p)["expect"] or {})]

_DRIVE_ANSWERS = {
    # What Drive's files.get says, as the fixture's writer described each file.
    "exists_shared_with_buyer": lambda i: DriveFacts(i, True, shared_with=("anyone",)),
    "exists_not_shared_with_buyer": lambda i: DriveFacts(
        i, True, shared_with=("user:owner@seller.example.com",)
    ),
    "not_found": lambda i: DriveFacts(i, False),
    "trashed": lambda i: DriveFacts(i, True, trashed=True, shared_with=("anyone",)),
}


def _resource_checks(data: dict[str, Any], parsed: Any, status: Any) -> Any:
    drive = {
        str(i): _DRIVE_ANSWERS[state](str(i))
        for i, state in (data["expect"].get("drive") or {}).items()
    }
    also = {p.step_id for p in (status.next_step, status.current_blocker) if p is not None}
    near = near_steps(parsed.steps, data["today"], NEAR_DAYS, also)
    emails = [p.email for p in parsed.stakeholders if p.side is Side.BUYER and p.email]
    domains = {e.rpartition("@")[2] for e in emails}
    return check_resources(
        parsed.resources, parsed.steps, near, drive, emails, domains, "the buyer"
    )


def _resource_reports(data: dict[str, Any], parsed: Any, status: Any) -> tuple[set[str], set[str]]:
    """Cells the Resources checks report (any kind) and those they say must be fixed."""
    reported: set[str] = set()
    fix: set[str] = set()
    found = find_tab(data["tabs"], RESOURCES)
    header = find_header(found[1], RESOURCES) if found else None
    if not found or header is None:
        return reported, fix
    for check in _resource_checks(data, parsed, status):
        for note in check.notes:
            where = f"{found[0]}!{a1(check.row, header.columns[note.column])}"
            reported.add(where)
            if note.fix:
                fix.add(where)
    return reported, fix


@pytest.mark.parametrize("path", RESOURCE_FIXTURES, ids=[p.stem for p in RESOURCE_FIXTURES])
def test_resources_read_as_a_person_would(path: Path) -> None:
    data = _load(path)
    parsed = _parse(data)
    by_row = {r.row + 1: r for r in parsed.resources}
    failures = []
    for want in data["expect"]["resources"] or []:
        got = by_row.get(want["row"])
        if got is None:
            failures.append(f"row {want['row']} ({want.get('title')!r}): not read as a resource")
            continue
        seen = {
            "title": got.title,
            "kind": got.kind.value if got.kind else None,
            "step": got.steps[0] if len(got.steps) == 1 else (None if not got.steps else got.steps),
            "link": got.link.url or None,
            "side": got.side.value if got.side else None,
            "provider": got.provider,
            "shared_on": got.shared_on,
        }
        for field, value in want.items():
            if field != "row" and seen[field] != value:
                failures.append(f"row {want['row']}.{field}: got {seen[field]!r}, want {value!r}")
    for row in data["expect"].get("not_resources") or []:
        if row in by_row:
            failures.append(f"row {row} read as a resource: {by_row[row].title!r}")
    want_rows = {w["row"] for w in data["expect"]["resources"] or []}
    extra = sorted(set(by_row) - want_rows)
    if extra:
        failures.append(f"rows read as resources that the fixture does not list: {extra}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", RESOURCE_FIXTURES, ids=[p.stem for p in RESOURCE_FIXTURES])
def test_missing_resources_by_step(path: Path) -> None:
    data = _load(path)
    parsed = _parse(data)
    checks = _resource_checks(data, parsed, _status(data, parsed))
    missing = {
        sid: [r.title for r in rs] for sid, rs in still_missing(parsed.resources, checks).items()
    }
    assert missing == (data["expect"].get("missing") or {})
