"""`mapctl import --dry-run --json` on plans kept in other tools' export formats
(tests/fixtures/imports, `suite: layouts`): a vendor deal-room portal, Notion, Asana,
monday.com, Smartsheet, Jira, Trello, Excel and Google Sheets checkboxes, a decision
criteria tab, a Side column with a party we cannot place, and a pricing sheet that is not
a plan at all.

Each case is checked the way a careful person would check the dry run against the sheet:
the plan tab and header row, the columns, every step (text, id, phase, owners, due date,
status, dependencies), the stakeholders and the summary, and the accounting (every
non-empty source cell is placed or reported as not placed, and the cells `expect` says
must be reported are). The expectations were written from the published formats, not
from the importer; cases the importer does not handle yet are marked xfail with what its
output gets wrong (issue 20).

Blind fixtures are never edited. Where the issue itself decides against what a fixture's
writer expected, `ISSUE_OVERRIDES` (tests/import_overrides.py, shared with
tests/test_import.py) says so explicitly: the issue's point, the fixture's expectations it
replaces, and the further checks that take their place. An override only replaces what it
names; every other expectation of the fixture still applies. A fixture's
`expect.resources` (issue 21) lists the rows the new Resources tab must get."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.cli_helpers import run
from tests.import_fixtures import (
    ALL_FIXTURES,
    LAYOUT_FIXTURES,
    cells_in,
    kind,
    load,
    normal,
    primary_inputs,
)
from tests.import_overrides import ISSUE_OVERRIDES, check_override, check_resources, overridden

# Observed by running the dry run on each fixture (its JSON output), not by reading the
# importer. Keyed by the fixture's file stem.
XFAIL: dict[str, str] = {}


def _cases() -> list[Any]:
    cases = []
    for path in LAYOUT_FIXTURES:
        marks = []
        if path.stem in XFAIL:
            marks.append(pytest.mark.xfail(strict=False, reason=XFAIL[path.stem]))
        cases.append(pytest.param(path, id=path.stem, marks=marks))
    return cases


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _text(value: Any) -> str:
    return normal(str(value or "").replace("\ufeff", ""))


def dry_run(data: dict[str, Any], stem: str, tmp: Path) -> tuple[list[Path], dict[str, Any]]:
    files = primary_inputs(data, stem, tmp / "in")
    result = run(
        tmp / "ws",
        "import",
        *map(str, files),
        "--dry-run",
        "--json",
        "--today",
        str(data["today"]),
        "--locale",
        data["locale"],
        "--start",
        str(data["plan_start"]),
        *data.get("args", []),
        ok=False,
    )
    assert result.exit_code == 0, f"import failed ({result.exit_code}): {result.output[-2000:]}"
    report: dict[str, Any] = json.loads(result.output)
    return files, report


def source_cells(data: dict[str, Any], files: list[Path]) -> set[tuple[str, str]]:
    """Every non-empty cell of a grid fixture, as (tab, A1) — read back from the files."""
    cells: set[tuple[str, str]] = set()
    if kind(data) == "xlsx":
        wb = load_workbook(files[0])
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.value is not None and str(c.value).strip() != "":
                        cells.add((ws.title, c.coordinate))
        return cells
    from openpyxl.utils import get_column_letter

    for tab, spec in data["tabs"].items():
        for r, row in enumerate(spec.get("rows") or [], start=1):
            for c, value in enumerate(row or [], start=1):
                if value is not None and str(value).strip() != "":
                    cells.add((tab, f"{get_column_letter(c)}{r}"))
    return cells


def check_steps(expect: dict[str, Any], report: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    got = report["steps"]
    want = expect.get("steps") or []
    got_text = [_text(s["step"]) for s in got]
    want_text = [_text(s["step"]) for s in want]
    if got_text != want_text:
        missing = [t for t in want_text if t not in got_text]
        extra = [t for t in got_text if t not in want_text]
        problems.append(f"steps differ: missing {missing}, extra {extra}")
        if missing or extra:
            return problems
    by_id = {s["id"]: _text(s["step"]) for s in got}
    origin = {o["id"]: o for o in report.get("origins") or []}
    for w in want:
        text = _text(w["step"])
        g = next(s for s in got if _text(s["step"]) == text)
        where = f"step {text!r}"
        if "id" in w and origin.get(g["id"], {}).get("source_id") != w["id"]:
            problems.append(f"{where}: source id {origin.get(g['id'], {}).get('source_id')!r}")
        if "phase" in w and _text(g["phase"]) != _text(w["phase"]):
            problems.append(f"{where}: phase {g['phase']!r}, want {w['phase']!r}")
        for side in ("buyer", "seller"):
            field = f"{side}_owner"
            have = _text(g[field])
            if "sides" in w:
                if (side in w["sides"]) != bool(have):
                    problems.append(f"{where}: {field} {have!r}, want sides {w['sides']}")
            elif _text(w.get(field)) != have:
                problems.append(f"{where}: {field} {have!r}, want {w.get(field)!r}")
        if "due" in w and g["due"] != _iso(w["due"]):
            problems.append(f"{where}: due {g['due']!r}, want {_iso(w['due'])!r}")
        if "status" in w and g["status"] != w["status"]:
            problems.append(f"{where}: status {g['status']!r}, want {w['status']!r}")
        if "done_on" in w and g["done_on"] != _iso(w["done_on"]):
            problems.append(f"{where}: done_on {g['done_on']!r}, want {_iso(w['done_on'])!r}")
        if "if_it_slips" in w and _text(g["if_it_slips"]) != _text(w["if_it_slips"]):
            problems.append(f"{where}: if_it_slips {g['if_it_slips']!r}")
        if "depends_on" in w:
            deps = sorted(by_id.get(d, f"?{d}") for d in g["depends_on"])
            if deps != sorted(_text(d) for d in w["depends_on"]):
                problems.append(f"{where}: depends_on {deps}, want {w['depends_on']}")
    return problems


def check_people_and_summary(expect: dict[str, Any], report: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    people = {_text(p["name"]): p for p in report["stakeholders"]}
    for w in expect.get("stakeholders") or []:
        p = people.get(_text(w["name"]))
        if p is None:
            problems.append(f"stakeholder {w['name']!r} missing")
            continue
        for key in ("side", "role", "email"):
            if key in w and p[key] != w[key]:
                problems.append(f"stakeholder {w['name']!r}: {key} {p[key]!r}, want {w[key]!r}")
    for key, value in (expect.get("summary") or {}).items():
        have = report["summary"].get(key)
        want = _iso(value)
        if (_text(have) if isinstance(have, str) else have) != (
            _text(want) if isinstance(want, str) else want
        ):
            problems.append(f"summary {key}: {have!r}, want {want!r}")
    for risk in expect.get("risks") or []:
        if _text(risk) not in {_text(r["risk"]) for r in report["risks"]}:
            problems.append(f"risk {risk!r} missing")
    if "resources" in expect:
        problems += check_resources(expect["resources"] or [], report)
    return problems


def check_accounting(data: dict[str, Any], files: list[Path], report: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    expect = data["expect"]
    unplaced = {(u["tab"], u["cell"]) for u in report["unplaced"]}
    if report["cells"] != report["placed"] + len(report["unplaced"]):
        problems.append(
            f"cells {report['cells']} != placed {report['placed']} + "
            f"unplaced {len(report['unplaced'])}"
        )
    if kind(data) == "json":
        return problems
    source = source_cells(data, files)
    if report["cells"] != len(source):
        problems.append(f"cells {report['cells']}, the source has {len(source)} non-empty")
    for ref in expect.get("unplaced") or []:
        for cell in cells_in(ref):
            if cell in source and cell not in unplaced:
                problems.append(f"{cell[0]}!{cell[1]} not reported as not placed ({ref})")
    return problems


def check_plan(data: dict[str, Any], report: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    expect = data["expect"]
    if kind(data) != "json":
        if report["plan_tab"] != expect["plan_tab"]:
            problems.append(f"plan_tab {report['plan_tab']!r}, want {expect['plan_tab']!r}")
        if report["header_row"] != expect.get("header_row"):
            problems.append(f"header_row {report['header_row']}, want {expect.get('header_row')}")
        columns = {(c["field"], _text(c["header"])) for c in report["columns"]}
        for field, header in (expect.get("columns") or {}).items():
            if (field, _text(header)) not in columns:
                problems.append(f"column {header!r} not read as {field}")
        for header in expect.get("unmapped_columns") or []:
            if ("", _text(header)) not in columns:
                problems.append(f"column {header!r} not reported as having no place")
    texts = {_text(s["step"]) for s in report["steps"]}
    for text in expect.get("not_steps") or []:
        if _text(text) in texts:
            problems.append(f"{text!r} taken as a step")
    return problems


@pytest.mark.parametrize("path", _cases())
def test_layout(path: Path, tmp_path: Path) -> None:
    data = overridden(load(path), path.stem)
    expect = data["expect"]
    files, report = dry_run(data, path.stem, tmp_path)
    if "plan_tab" in expect and expect["plan_tab"] is None:
        problems = []
        if report["plan_tab"] is not None or report["steps"]:
            problems.append(
                f"took a plan from {report['plan_tab']!r}: "
                f"{[s['step'] for s in report['steps']][:5]}"
            )
        if not [p for p in report["problems"] if p["cell"] == "" and p["message"].strip()]:
            problems.append("the dry run does not say why no plan was taken")
        assert not problems, "\n".join(problems)
        return
    problems = (
        check_plan(data, report)
        + check_steps(expect, report)
        + check_people_and_summary(expect, report)
        + check_accounting(data, files, report)
        + check_override(
            path.stem,
            source_cells(data, files) if path.stem in ISSUE_OVERRIDES else set(),
            report,
        )
    )
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_every_layout_fixture_is_named_and_sourced() -> None:
    assert len(LAYOUT_FIXTURES) >= 10
    for path in LAYOUT_FIXTURES:
        data = load(path)
        assert data["source"].startswith("Modelled on") and "https://" in data["source"], path
        steps = data["expect"].get("steps") or []
        if data["expect"].get("plan_tab", "") is not None:
            assert 8 <= len(steps) <= 20, (path.name, len(steps))


def test_every_issue_override_is_explained_and_only_replaces_what_it_names() -> None:
    stems = {p.stem for p in ALL_FIXTURES}
    for stem, override in ISSUE_OVERRIDES.items():
        assert stem in stems, stem
        assert re.match(r"issue 2[01], point \d+: ", override["reason"]), stem
        expect = load(next(p for p in ALL_FIXTURES if p.stem == stem))["expect"]
        assert set(override["expect"]) <= set(expect), stem  # replaces, never invents
        # checks more than it replaces
        assert override.get("placed") or override.get("criteria") or override.get("resources")
        merged = overridden({"expect": expect}, stem)["expect"]
        for key, value in expect.items():
            if key not in override["expect"]:
                assert merged[key] == value, (stem, key)
