"""`mapctl import`: eight teams' existing MAP spreadsheets, each modelled on a published
template (tests/fixtures/imports/README.md names them), written by someone who had not read
the importer. Each is imported as the .xlsx workbook and as LibreOffice's CSV export of its
tabs, through the CLI, and compared with what a careful person reads from it. Every
non-blank cell of the source is either placed or listed as unplaced."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from addon.plan.adopt import Source, adopt
from addon.plan.models import Grid
from addon.workspace.sources import csv_grid
from tests.cli_helpers import imported_workbook, run, status_json
from tests.google_env import Env
from tests.import_fixtures import FIXTURES, build_xlsx, cells_in, csv_exports, load, normal
from tests.import_overrides import check_override, overridden

IDS = [p.stem for p in FIXTURES]


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("books")
    return {p.stem: build_xlsx(load(p), folder / f"{p.stem}.xlsx") for p in FIXTURES}


@pytest.fixture(scope="module")
def exports(
    books: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[Path]]:
    """Each book's tabs as CSV files named after the tab, as a team downloads them."""
    out = tmp_path_factory.mktemp("csv")
    made = csv_exports(list(books.values()), out / "lo")
    result: dict[str, list[Path]] = {}
    for stem, book in books.items():
        folder = out / stem
        folder.mkdir()
        tabs = list(load(next(p for p in FIXTURES if p.stem == stem))["tabs"])
        result[stem] = [
            Path(shutil.copy(f, folder / f"{tab}.csv"))
            for f, tab in zip(made[book], tabs, strict=True)
        ]
    return result


def _import(root: Path, files: list[Path], data: dict[str, Any], *extra: str) -> dict[str, Any]:
    args = ["import", *map(str, files), "--dry-run", "--json", "--today", str(data["today"])]
    args += ["--start", str(data["plan_start"]), "--locale", data["locale"], *extra]
    report: dict[str, Any] = json.loads(run(root, *args).output)
    return report


def _names(text: str) -> set[str]:
    return {normal(p).lower() for p in re.split(r"\s*(?:\+|&|,|/|\band\b)\s*", text) if p.strip()}


def _check(report: dict[str, Any], data: dict[str, Any], stem: str) -> list[str]:
    """Every way the report differs from what the fixture says a person reads (with the
    expectations an issue decided otherwise replaced: tests/import_overrides.py)."""
    data = overridden(data, stem)
    want = data["expect"]
    bad: list[str] = []
    if report["plan_tab"] != want["plan_tab"]:  # CSV files are named after their tab
        bad.append(f"plan tab {report['plan_tab']!r}, want {want['plan_tab']!r}")
    if report["header_row"] != want["header_row"]:
        bad.append(f"header row {report['header_row']}, want {want['header_row']}")
    mapped = {c["field"]: normal(c["header"]) for c in report["columns"] if c["field"]}
    for key, header in want["columns"].items():
        if mapped.get(key) != normal(header):
            bad.append(f"column {key}: {mapped.get(key)!r}, want {header!r}")
    unmapped = {normal(c["header"]) for c in report["columns"] if not c["field"]}
    for header in want.get("unmapped_columns") or []:
        if normal(header) not in unmapped:
            bad.append(f"column {header!r} should have no place")
    steps = report["steps"]
    texts = {s["id"]: s["step"] for s in steps}
    origins = {o["id"]: o["source_id"] for o in report["origins"]}
    if [normal(s["step"]) for s in steps] != [normal(s["step"]) for s in want["steps"]]:
        bad.append(f"steps {[s['step'] for s in steps]}")
    for got, exp in zip(steps, want["steps"], strict=False):
        where = exp["step"][:40]
        if "phase" in exp and normal(got["phase"]) != normal(exp["phase"]):
            bad.append(f"{where}: phase {got['phase']!r}, want {exp['phase']!r}")
        if "sides" in exp:
            sides = {"buyer"} if got["buyer_owner"] else set()
            sides |= {"seller"} if got["seller_owner"] else set()
            if sides != set(exp["sides"]):
                bad.append(f"{where}: sides {sides}, want {exp['sides']}")
        else:
            for key in ("buyer_owner", "seller_owner"):
                if _names(got[key]) != _names(exp.get(key) or ""):
                    bad.append(f"{where}: {key} {got[key]!r}, want {exp.get(key)!r}")
        for key in ("due", "done_on"):
            if key in exp:
                value = exp[key].isoformat() if isinstance(exp[key], date) else None
                if got[key] != value:
                    bad.append(f"{where}: {key} {got[key]}, want {value}")
        if "status" in exp and got["status"] != exp["status"]:
            bad.append(f"{where}: status {got['status']}, want {exp['status']}")
        if "depends_on" in exp:
            deps = [normal(texts[d]) for d in got["depends_on"]]
            if deps != [normal(d) for d in exp["depends_on"]]:
                bad.append(f"{where}: depends on {deps}, want {exp['depends_on']}")
        if "if_it_slips" in exp and normal(got["if_it_slips"]) != normal(exp["if_it_slips"]):
            bad.append(f"{where}: if it slips {got['if_it_slips']!r}")
        if "id" in exp and origins.get(got["id"]) != str(exp["id"]):
            bad.append(f"{where}: source id {origins.get(got['id'])!r}, want {exp['id']!r}")
    people = {normal(p["name"]).lower(): p for p in report["stakeholders"]}
    for exp in want.get("stakeholders") or []:
        person = people.get(normal(exp["name"]).lower())
        if person is None:
            bad.append(f"stakeholder {exp['name']} missing")
            continue
        for key in ("email", "side", "role"):
            if key in exp and person[key] != exp[key]:
                bad.append(f"{exp['name']}: {key} {person[key]!r}, want {exp[key]!r}")
    summary = report["summary"]
    for key, value in (want.get("summary") or {}).items():
        got = summary[key]
        expected = value.isoformat() if isinstance(value, date) else normal(str(value))
        if (normal(got) if isinstance(got, str) else got) != expected:
            bad.append(f"summary {key}: {got!r}, want {expected!r}")
    risks = " | ".join(normal(r["risk"]) for r in report["risks"])
    for risk in want.get("risks") or []:
        if normal(risk) not in risks:
            bad.append(f"risk {risk!r} missing from {risks!r}")
    unplaced = {(u["tab"], u["cell"]) for u in report["unplaced"]}
    source = {
        (tab, f"{_col(c)}{r + 1}")
        for tab, t in data["tabs"].items()
        for r, row in enumerate(t.get("rows") or [])
        for c, v in enumerate(row or [])
        if v not in (None, "") and str(v).strip()
    }
    for ref in want.get("unplaced") or []:
        for cell in cells_in(ref):
            if cell in source and cell not in unplaced:
                bad.append(f"{cell[0]}!{cell[1]} should be listed as not placed")
    step_texts = {normal(s["step"]) for s in steps}
    for text in want.get("not_steps") or []:
        if normal(text) in step_texts:
            bad.append(f"{text!r} is not a step")
    return bad + check_override(stem, source, report)


def _col(index: int) -> str:
    from addon.plan.grid import col_letter

    return col_letter(index)


@pytest.mark.parametrize("stem", IDS)
def test_the_workbook_is_read_as_a_person_would(
    stem: str, books: dict[str, Path], tmp_path: Path
) -> None:
    data = load(next(p for p in FIXTURES if p.stem == stem))
    report = _import(tmp_path, [books[stem]], data)
    assert not _check(report, data, stem), "\n".join(_check(report, data, stem))


@pytest.mark.parametrize("stem", IDS)
def test_the_csv_export_is_read_the_same(
    stem: str, exports: dict[str, list[Path]], tmp_path: Path
) -> None:
    data = load(next(p for p in FIXTURES if p.stem == stem))
    report = _import(tmp_path, exports[stem], data)
    assert not _check(report, data, stem), "\n".join(_check(report, data, stem))


@pytest.mark.parametrize("stem", IDS)
def test_nothing_is_dropped_silently(stem: str, books: dict[str, Path], tmp_path: Path) -> None:
    """Every non-blank source cell is placed or listed; what is listed says why."""
    data = load(next(p for p in FIXTURES if p.stem == stem))
    report = _import(tmp_path, [books[stem]], data)
    assert report["cells"] == report["placed"] + len(report["unplaced"])
    assert all(u["why"] for u in report["unplaced"])
    grid_cells = sum(
        1
        for t in data["tabs"].values()
        for row in t.get("rows") or []
        for v in row or []
        if v not in (None, "") and str(v).strip()
    )
    assert report["cells"] == grid_cells


def test_the_language_of_the_plan_sets_how_its_dates_read(
    books: dict[str, Path], tmp_path: Path
) -> None:
    """No --locale: German and Spanish plans read 06/11/2026 as 6 November."""
    for stem, locale in (
        ("04_highspot_de_stakeholders_above_plan", "de_DE"),
        ("05_rework_es_section_rows_second_tab", "es_ES"),
    ):
        data = load(next(p for p in FIXTURES if p.stem == stem))
        args = [
            "import",
            str(books[stem]),
            "--dry-run",
            "--json",
            "--today",
            str(data["today"]),
            "--start",
            str(data["plan_start"]),
        ]
        report = json.loads(run(tmp_path, *args).output)
        assert report["locale"] == locale
        assert not _check(report, data, stem)


def test_import_creates_a_map_that_syncs_as_it_was_read(
    books: dict[str, Path], tmp_path: Path
) -> None:
    stem = "02_getaccept_excel_workbook_tabs"
    data = load(next(p for p in FIXTURES if p.stem == stem))
    today = str(data["today"])
    dry = _import(tmp_path, [books[stem]], data)
    assert not list(tmp_path.glob("maps/*")), "--dry-run wrote files"
    out = run(
        tmp_path,
        "import",
        str(books[stem]),
        "--today",
        today,
        "--locale",
        data["locale"],
        "--rep-name",
        "Ben Carter",
        "--rep-email",
        "ben.carter@corvida.example.com",
    ).output
    assert "Created MAP-" in out
    workbook = Path(
        next(x for x in out.splitlines() if "workbook:" in x).split("workbook:")[1].strip()
    )
    status = status_json(tmp_path, workbook, today)
    keys = ("id", "step", "buyer_owner", "seller_owner", "due", "status", "done_on", "depends_on")
    assert [{k: s[k] for k in keys} for s in status["steps"]] == [
        {k: s[k] for k in keys} for s in dry["steps"]
    ]
    assert status["map"]["target_close"] == "2026-12-11"
    assert status["map"]["buyer_company"] == "Fenwick & Hale Insurance plc"
    listed = run(tmp_path, "list").output
    assert "Fenwick & Hale" in listed


def test_what_cannot_be_created_says_which_flag_fixes_it(
    books: dict[str, Path], tmp_path: Path
) -> None:
    stem = "08_ryan_relative_dates_us_them_symbols"  # no stakeholders: no buyer email
    data = load(next(p for p in FIXTURES if p.stem == stem))
    args = ["import", str(books[stem]), "--today", str(data["today"])]
    args += ["--start", str(data["plan_start"]), "--rep-name", "Sam"]
    args += ["--rep-email", "sam@seller.example.com"]
    result = run(tmp_path, *args, ok=False)
    assert result.exit_code == 2
    assert "--contact" in result.output and "Nothing was created" in result.output
    assert not list(tmp_path.glob("maps/*"))
    done = run(
        tmp_path,
        *args,
        "--contact",
        "Lee Park <lee.park@pinecrest.example.com>",
    )
    assert "Created MAP-" in done.output


def test_bad_files_get_a_clear_error(tmp_path: Path) -> None:
    missing = run(tmp_path, "import", str(tmp_path / "nope.xlsx"), "--dry-run", ok=False)
    assert missing.exit_code == 2 and "no file" in missing.output
    fake = tmp_path / "plan.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a workbook")
    broken = run(tmp_path, "import", str(fake), "--dry-run", ok=False)
    assert broken.exit_code == 2 and "xlsx" in broken.output
    prose = tmp_path / "notes.csv"
    prose.write_text("Just some notes\nabout the deal\n", encoding="utf-8")
    none = run(tmp_path, "import", str(prose), "--dry-run")
    assert "no plan found" in none.output and "no plan table found" in none.output
    sheet = run(
        tmp_path, "import", "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms", "--dry-run", ok=False
    )
    assert sheet.exit_code == 2 and "Google backend" in sheet.output


def test_csv_from_excel_in_europe_is_read() -> None:
    """Semicolons and Windows-1252, as a German Excel saves CSV."""
    text = "Aufgabe;Verantwortlich;Fällig am;Status\r\nVertrag prüfen;Jana Weiß;3.11.2026;Offen\r\n"
    grid = csv_grid(text.encode("cp1252"), "plan.csv")
    assert grid == [
        ["Aufgabe", "Verantwortlich", "Fällig am", "Status"],
        ["Vertrag prüfen", "Jana Weiß", "3.11.2026", "Offen"],
    ]
    found = adopt(Source("plan.csv", {"plan": grid}), today=date(2026, 10, 1))
    assert found.steps[0].due == date(2026, 11, 3)
    assert found.locale == "de_DE"


def test_a_google_sheet_is_imported_through_the_sheets_api(env: Env) -> None:
    """A buyer's Sheet with merged section rows, read by the service in two calls."""
    from addon.importing import Given, understand
    from addon.plan.dates import to_serial
    from tests.google_env import SERVICE

    stem = "06_dock_sections_emoji_contacts_beside"
    data = load(next(p for p in FIXTURES if p.stem == stem))

    def cell(value: Any) -> dict[str, Any]:
        if isinstance(value, date):
            return {
                "userEnteredValue": {"numberValue": to_serial(value)},
                "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "mmm d, yyyy"}},
            }
        return {"userEnteredValue": {"stringValue": str(value)}} if value not in (None, "") else {}

    sheets = []
    for title, tab in data["tabs"].items():
        merges = []
        for ref in tab.get("merged") or []:
            cells = cells_in(f"x!{ref}")
            (first, last) = (cells[0][1], cells[-1][1])
            merges.append(_grid_range(first, last))
        rows = [{"values": [cell(v) for v in row or []]} for row in tab["rows"]]
        sheets.append(
            {"properties": {"title": title}, "data": [{"rowData": rows}], "merges": merges}
        )
    buyer = env.buyer()
    made = (
        buyer.spreadsheets()
        .create(body={"properties": {"title": "Summit MAP"}, "sheets": sheets})
        .execute()
    )
    sheet_id = made["spreadsheetId"]
    before = len(env.log)
    source = env.workspace.read_source(sheet_id)
    assert len(env.log) - before == 2  # spreadsheets.get, then one values.batchGet
    assert source.name == "Summit MAP"
    assert (3, 0, 3, 5) in source.merges["Summit + Tallyfox MAP"]  # "Evaluation", A4:F4
    imported = understand(
        source,
        Given(rep_name="", rep_email="", locale=data["locale"], plan_start=data["plan_start"]),
        today=data["today"],
        seller_company="Example Software",
    )
    report = imported.report.model_dump(mode="json")
    assert not _check(report, data, stem), "\n".join(_check(report, data, stem))
    env.fake.denied.add((sheet_id, SERVICE))
    with pytest.raises(Exception, match="share it with"):
        env.workspace.read_source(sheet_id)


def _grid_range(first: str, last: str) -> dict[str, int]:
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    (c1, r1), (c2, r2) = coordinate_from_string(first), coordinate_from_string(last)
    return {
        "startRowIndex": r1 - 1,
        "endRowIndex": r2,
        "startColumnIndex": column_index_from_string(c1) - 1,
        "endColumnIndex": column_index_from_string(c2),
    }


# --- Decision criteria tables (issue 20, point 3: they are imported) ---------------------


def test_a_success_criteria_table_beside_the_plan_is_read_as_decision_criteria() -> None:
    plan = [
        ["Step", "Owner", "Due", "Status", None,
         "Success criteria", "Approver", "Evidence", "Met?"],
        ["Kickoff call", "Rosa Vance", date(2026, 10, 6), "Done", None,
         "Month-end close in 3 days", "Rosa Vance", "Pilot report", "Met"],
        ["Pilot on sample data", "Theo Marsh", date(2026, 10, 20), "Not started", None,
         "SSO with the company's IdP", "Theo Marsh", "Live demo", "shown"],
        ["Contract signed", "Rosa Vance", date(2026, 11, 2), "Not started", None,
         "Under budget", "Iris Lund", "Quote", "Not met"],
    ]  # fmt: skip
    found = adopt(Source("plan.xlsx", {"Plan": plan}), today=date(2026, 10, 1))
    assert [s.step for s in found.steps] == [
        "Kickoff call",
        "Pilot on sample data",
        "Contract signed",
    ]
    assert [(c.criterion, c.who_decides, c.how_shown, c.status) for c in found.criteria] == [
        ("Month-end close in 3 days", "Rosa Vance", "Pilot report", "Agreed"),
        ("SSO with the company's IdP", "Theo Marsh", "Live demo", "Shown"),
        ("Under budget", "Iris Lund", "Quote", "Not yet shown"),
    ]
    assert not [u for u in found.unplaced if u.cell[0] in "FGHI"], found.unplaced
    assert "desired_outcome" not in found.summary  # the "Success criteria" header is no line
    assert "Iris Lund" not in {p.name for p in found.stakeholders}  # deciders are not invented


def test_a_criterion_status_we_do_not_list_is_kept_as_typed_with_a_note() -> None:
    grids: dict[str, Grid] = {
        "Plan": [
            ["Task", "Owner", "Due date"],
            ["Security review", "Noor Patel", date(2026, 10, 9)],
            ["Order form signed", "Noor Patel", date(2026, 10, 30)],
        ],
        "Criteria": [
            ["Evaluation criteria", "Weight", "Who decides", "Status"],
            ["Data stays in the EU", 0.4, "Noor Patel", "In review"],
            ["Three-year cost under budget", 0.6, "Ola Berg", "Agreed"],
        ],
    }
    found = adopt(Source("plan.xlsx", grids), today=date(2026, 10, 1))
    assert [(c.criterion, c.status) for c in found.criteria] == [
        ("Data stays in the EU", "In review"),
        ("Three-year cost under budget", "Agreed"),
    ]
    note = next(n for n in found.readings if n.tab == "Criteria" and n.cell == "D2")
    assert note.value == "In review" and "kept as typed" in note.message
    assert not [n for n in found.readings if n.tab == "Criteria" and n.cell == "D3"]
    dated = [["Requirement", "Owner", "Due date", "Status"], ["Pen test", "Noor Patel", "Open"]]
    tasks = adopt(Source("tasks.xlsx", {"Tasks": dated}), today=date(2026, 10, 1))
    assert not tasks.criteria  # a dated list is a list of tasks, not a scorecard
    weight = [u for u in found.unplaced if u.tab == "Criteria"]
    assert [u.cell for u in weight] == ["B1", "B2", "B3"]
    assert all('"Weight" column' in u.message for u in weight)


def test_decision_criteria_are_written_to_the_new_maps_tab(tmp_path: Path) -> None:
    wb = Workbook()
    plan = wb.active
    assert plan is not None
    plan.title = "Plan"
    for row in (
        ["Task", "Customer owner", "Vendor owner", "Due", "Status"],
        ["Discovery call", "Mara Quist", "Leo Dunn", date(2026, 10, 8), "Done"],
        ["Technical validation", "Mara Quist", "Leo Dunn", date(2026, 10, 22), "Not started"],
        ["Contract signed", "Mara Quist", "Leo Dunn", date(2026, 11, 12), "Not started"],
    ):
        plan.append(row)
    team = wb.create_sheet("Team")
    team.append(["Name", "Company", "Role", "Email"])
    team.append(["Mara Quist", "Harbor Freight Lines", "Champion", "mara.quist@example.com"])
    criteria = wb.create_sheet("Decision criteria")
    for row in (
        ["Criterion", "Who decides", "How it will be shown", "Status"],
        ["Routes 500 loads a day", "Mara Quist", "Load test", "Yes"],
        ["Works with our TMS", "Kai Rowe", "Sandbox demo", "Partly"],
    ):
        criteria.append(row)
    source = tmp_path / "harbor plan.xlsx"
    wb.save(source)
    dry = json.loads(
        run(tmp_path, "import", str(source), "--dry-run", "--today", "2026-10-01", "--json").output
    )
    assert [c["criterion"] for c in dry["criteria"]] == [
        "Routes 500 loads a day",
        "Works with our TMS",
    ]
    text = run(tmp_path, "import", str(source), "--dry-run", "--today", "2026-10-01").output
    assert "Decision criteria (2):" in text
    assert "Works with our TMS — Kai Rowe; Partly" in text
    book = imported_workbook(
        tmp_path,
        source,
        "--today",
        "2026-10-01",
        "--buyer-company",
        "Harbor Freight Lines",
        "--rep-name",
        "Leo Dunn",
        "--rep-email",
        "leo.dunn@example.com",
    )
    rows = [[c.value for c in row] for row in book["Decision criteria"].iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[:1] == ["Criterion"])
    assert rows[header][:4] == ["Criterion", "Who decides", "How it will be shown", "Status"]
    assert [row[:4] for row in rows[header + 1 :] if any(row)] == [
        ["Routes 500 loads a day", "Mara Quist", "Load test", "Agreed"],
        ["Works with our TMS", "Kai Rowe", "Sandbox demo", "Partly"],
    ]
    people = {c.value for row in book["Stakeholders"].iter_rows() for c in row}
    assert "Mara Quist" in people
    assert "Kai Rowe" not in people  # a decider is not made a stakeholder
