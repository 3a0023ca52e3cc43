"""mapctl end to end on real files: create, bad input, sync, status, roll-up, broken MAPs."""

from __future__ import annotations

import json
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from addon.demo import BuyerEdit
from addon.workspace.local import LocalWorkspace
from tests.cli_helpers import CREATE, create, editable_cells, run, status_json

DAY = "2026-03-10"


def test_create_writes_a_workbook_a_buyer_can_use_and_the_doc(workspace_dir: Path) -> None:
    result = run(workspace_dir, *CREATE)
    assert result.output.startswith("Created MAP-")
    path = next((workspace_dir / "maps").glob("*/*.xlsx"))
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Plan",
        "Stakeholders",
        "Resources",
        "Risks",
        "Decision criteria",
        "Summary",
    ]
    ws = wb["Plan"]
    assert ws["A3"].value == "ID" and ws["C3"].value == "Step" and ws.freeze_panes == "D4"
    assert [ws.cell(row=r, column=1).value for r in range(4, 18)] == [
        f"S{i:02d}" for i in range(1, 15)
    ]
    assert ws["F4"].number_format == "d mmm yyyy"
    status_dv = next(dv for dv in ws.data_validations.dataValidation if dv.type == "list")
    assert "H4:H403" in str(status_dv.sqref) and status_dv.showErrorMessage is False
    warn = [dv for dv in ws.data_validations.dataValidation if dv.type == "custom"]
    assert warn and all(dv.errorStyle == "warning" for dv in warn)
    assert ws["L4"].value == "On track" and ws["L4"].fill.fgColor.rgb.endswith("EDEDED")
    assert ws.conditional_formatting  # health colours
    stakeholders = [[c.value for c in r][:4] for r in wb["Stakeholders"].iter_rows(min_row=4)]
    assert stakeholders[:3] == [
        ["Dana Whitfield", "dana@northwind.example.com", "Buyer", "Champion"],
        ["Lee", "lee@northwind.example.com", "Buyer", None],
        ["Sam Rivera", "sam@seller.example.com", "Seller", "AE"],
    ]
    # The template's documents, each beside the step it serves, its link still empty.
    res = wb["Resources"]
    assert [c.value for c in res[3]][:9] == [
        "Resource",
        "Kind",
        "For step",
        "Link",
        "Side",
        "Provided by",
        "Shared on",
        "Notes",
        "Sync note",
    ]
    listed = [[c.value for c in r][:6] for r in res.iter_rows(min_row=4) if r[0].value]
    assert listed[0] == ["SOC 2 Type II report", "Security", "S02", None, "Seller", "SE (TBD)"]
    assert ["Business case", "Commercial", "S07", None, "Buyer", "Dana Whitfield"] in listed
    assert len(listed) == 13 and all(r[3] is None for r in listed)
    doc = path.with_suffix(".html").read_text()
    assert "Cut month-end reporting from 5 days to 1" in doc
    assert f'href="{path.name}"' in doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("--target-close", "2026-02-01"),
            "Error: --target-close: 1 Feb 2026 is not in the future "
            "(today is 2 Mar 2026); give the date the buyer wants to decide by",
        ),
        (
            ("--contact", "dana(at)northwind"),
            'Error: --contact: "dana(at)northwind" is '
            'not an email address; write it as "Dana Whitfield <dana@example.com>" or '
            '"dana@example.com"',
        ),
        (
            ("--template", "huge"),
            'Error: --template: no template "huge"; choose one of: enterprise, mid_market, smb',
        ),
        (
            ("--rep-email", "sam"),
            'Error: --rep-email: "sam" is not an email address; write it like sam@example.com',
        ),
        (
            ("--target-close", "next week"),
            'Error: --target-close: "next week" is not a date; write it as 2026-03-15',
        ),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(
    workspace_dir: Path, change: tuple[str, str], message: str
) -> None:
    args = list(CREATE)
    if change[0] in args and change[0] != "--contact":
        args[args.index(change[0]) + 1] = change[1]
    else:
        args += list(change)
    result = run(workspace_dir, *args, ok=False)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == message
    assert not (workspace_dir / "maps").exists() or not any((workspace_dir / "maps").iterdir())
    assert run(workspace_dir, "list").output == ""


def test_a_retried_create_with_the_same_key_returns_the_same_map(workspace_dir: Path) -> None:
    first = run(workspace_dir, *CREATE, "--idempotency-key", "crm-42").output.split()[1]
    again = run(workspace_dir, *CREATE, "--idempotency-key", "crm-42").output
    assert again.startswith(f"Already created (same idempotency key): {first}")
    assert len(list((workspace_dir / "maps").iterdir())) == 1


def test_sync_never_changes_a_buyer_editable_cell(workspace_dir: Path) -> None:
    path = create(workspace_dir)
    edit = BuyerEdit(path, "Dana Whitfield", date(2026, 3, 9))
    edit.set("S01", "status", "✅ Done").set("S02", "due", "next Fri")
    edit.set("S03", "buyer_owner", "Sarah + CFO").set("S04", "status", "maybe?")
    edit.set("S05", "due", edit.get("S05", "due") + timedelta(days=14))
    edit.set("S06", "health", "waiting on legal").set("S07", "notes", "=IMPORTXML(A1)")
    edit.add_row(
        {
            "step": "Finance confirms the budget code",
            "buyer_owner": "TBD",
            "due": "3/25/2026",
            "depends_on": "S07",
        }
    )
    edit.save()
    before = editable_cells(path)
    run(workspace_dir, "sync", "--today", DAY)
    assert editable_cells(path) == before
    ws = load_workbook(path)["Plan"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(4, ws.max_row + 1)}
    assert "S15" in rows  # the added row got the next id
    note = ws.cell(row=rows["S06"], column=17).value
    assert 'Kept from Health (10 Mar 2026): "waiting on legal"' in note
    assert ws.cell(row=rows["S06"], column=12).value not in (None, "waiting on legal")
    assert (
        'Status "maybe?": not a status this sheet understands'
        in ws.cell(row=rows["S04"], column=17).value
    )
    data = status_json(workspace_dir, path, DAY)
    s05 = next(s for s in data["steps"] if s["id"] == "S05")
    assert s05["slipped_days"] == 14 and s05["push_count"] == 1
    assert data["map"]["last_buyer_update"] == "2026-03-09"


def test_a_buyer_save_between_read_and_write_is_reread_not_overwritten(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = create(workspace_dir)
    real_write = LocalWorkspace.write_computed
    saves = []

    def buyer_saves_first(self: LocalWorkspace, sheet: str, expected: str, write):  # type: ignore[no-untyped-def]
        if not saves:  # the buyer hits save while the sync is computing
            edit = BuyerEdit(self.path(sheet), "Dana Whitfield", date(2026, 3, 10))
            edit.set("S01", "status", "Done").save()
            saves.append(1)
        return real_write(self, sheet, expected, write)

    monkeypatch.setattr(LocalWorkspace, "write_computed", buyer_saves_first)
    run(workspace_dir, "sync", "--today", DAY, "--force")
    ws = load_workbook(path)["Plan"]
    assert (ws["H4"].value, ws["L4"].value) == ("Done", "Done")


def test_unchanged_maps_cost_nothing_on_the_same_day(workspace_dir: Path) -> None:
    path = create(workspace_dir)
    run(workspace_dir, "sync", "--today", DAY)
    stamp = path.stat().st_mtime_ns, path.read_bytes()
    out = run(workspace_dir, "sync", "--today", DAY).output
    assert "0 written, 1 unchanged" in out
    assert (path.stat().st_mtime_ns, path.read_bytes()) == stamp


def test_a_map_that_cannot_be_read_gets_a_line_and_the_others_still_sync(
    workspace_dir: Path,
) -> None:
    good = create(workspace_dir)
    corrupt = create(workspace_dir, "--deal", "Second")
    gone = create(workspace_dir, "--deal", "Third")
    locked = create(workspace_dir, "--deal", "Fourth")
    corrupt.write_bytes(b"this is not a workbook")
    gone.unlink()
    (locked.parent / f".~lock.{locked.name}#").write_text("Dana Whitfield,host,/tmp,22.03.2026;")
    BuyerEdit(good, "Dana Whitfield", date(2026, 3, 9)).set("S01", "status", "Done").save()
    result = run(workspace_dir, "sync", "--today", DAY, ok=False)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any("Second" in line and "not a workbook that can be opened" in line for line in lines)
    assert any(
        "Third" in line and "the workbook is gone (deleted or moved)" in line for line in lines
    )
    assert any(
        "Fourth" in line and "open in a spreadsheet program by Dana Whitfield" in line
        for line in lines
    )
    assert load_workbook(good)["Plan"]["L4"].value == "Done"
    rollup = load_workbook(workspace_dir / "rollup.xlsx")["Roll-up"]
    states = {r[1]: r[24] for r in rollup.iter_rows(min_row=4, values_only=True) if r[1]}
    assert states["Analytics rollout"] == "ok"
    assert "not a workbook" in states["Second"]


def test_rollup_ranks_by_risk_and_no_buyer_text_becomes_a_formula(workspace_dir: Path) -> None:
    calm = create(workspace_dir, "--deal", "Calm deal")
    risky = create(workspace_dir, "--deal", "Risky deal")
    edit = BuyerEdit(risky, "Dana Whitfield", date(2026, 3, 9))
    edit.set_text("S01", "step", '=HYPERLINK("http://evil.example.com","click")')
    edit.set("S01", "due", date(2026, 2, 20)).save()
    run(workspace_dir, "sync", "--today", DAY)
    assert calm.exists()
    with zipfile.ZipFile(workspace_dir / "rollup.xlsx") as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    ws = load_workbook(workspace_dir / "rollup.xlsx")["Roll-up"]
    deals = [r[1].value for r in ws.iter_rows(min_row=4) if r[1].value]
    assert deals == ["Risky deal", "Calm deal"]
    blocker = next(r[17] for r in ws.iter_rows(min_row=4) if r[1].value == "Risky deal")
    assert blocker.value.startswith('S01 =HYPERLINK("http://evil') and blocker.data_type == "s"
    with zipfile.ZipFile(risky) as z:  # nor in the MAP's own computed cells
        plan = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in plan
    assert ws._charts, "the roll-up has a chart"


def test_status_json_has_the_documented_shape(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = create(workspace_dir)
    monkeypatch.setenv("MAP_TODAY", DAY)
    data = json.loads(run(workspace_dir, "status", str(path), "--json").output)
    assert data["today"] == DAY
    assert set(data["map"]) >= {
        "deal",
        "buyer_company",
        "target_close",
        "projected_close",
        "health",
        "health_score",
        "stale",
        "buyer_steps_done",
        "buyer_steps_total",
        "current_blocker",
        "next_step",
        "days_since_last_completion",
        "last_buyer_update",
    }
    assert set(data["steps"][0]) >= {
        "id",
        "phase",
        "step",
        "buyer_owner",
        "seller_owner",
        "due",
        "baseline_due",
        "slipped_days",
        "depends_on",
        "status",
        "done_on",
        "health",
        "days_late",
        "waiting_on",
        "projected_finish",
        "consequence_fired",
    }
    assert set(data["problems"][0]) == {"tab", "cell", "value", "message", "kind"}
    assert data["map"]["target_close"] == "2026-05-29"
    schema = json.loads(run(workspace_dir, "status", "x", "--schema").output)
    assert schema["title"] == "StatusReport" and "steps" in schema["properties"]


def test_status_writes_nothing(workspace_dir: Path) -> None:
    path = create(workspace_dir)
    before = path.read_bytes(), (workspace_dir / "registry.sqlite").read_bytes()
    run(workspace_dir, "status", str(path), "--today", "2026-04-30")
    assert (path.read_bytes(), (workspace_dir / "registry.sqlite").read_bytes()) == before


def test_status_of_an_unknown_map_says_how_to_find_one(workspace_dir: Path) -> None:
    result = run(workspace_dir, "status", "MAP-NOPE", ok=False)
    assert result.exit_code == 2
    assert result.output.strip() == "Error: no MAP with id MAP-NOPE; `mapctl list` shows them"


def test_demo_runs_and_says_where_the_files_are(tmp_path: Path) -> None:
    result = run(tmp_path / "demo", "demo", "--today", "2026-03-23")
    out = result.output
    assert "Roll-up as of 23 Mar 2026, riskiest first:" in out
    assert out.count(".xlsx") >= 4 and "rollup.xlsx" in out
    assert "added a step with a TBD owner" in out and "sync —" in out
    assert len(list((tmp_path / "demo" / "maps").glob("*/*.xlsx"))) == 3
    again = run(tmp_path / "demo", "demo", "--today", "2026-03-23").output
    assert again.count("created MAP-") == 3  # a second run starts afresh


def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    result = run(tmp_path, "demo", ok=False)
    assert result.exit_code != 0 and (tmp_path / "mine.txt").exists()


def test_a_create_that_fails_after_the_files_leaves_nothing_behind(
    workspace_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from addon.registry.store import Registry

    def registry_down(self: Registry, *args: object, **kwargs: object) -> None:
        raise RuntimeError("registry unavailable")

    monkeypatch.setattr(Registry, "add_map", registry_down)
    result = run(workspace_dir, *CREATE, ok=False)
    assert result.exit_code != 0
    assert not any((workspace_dir / "maps").iterdir())


def test_status_says_why_a_wiped_plan_is_at_risk(tmp_path: Path) -> None:
    """Issue 16, item 8, as a rep reads it: every step deleted is at risk, and the status
    line says why and what to do."""
    sheet = create(tmp_path)
    wb = load_workbook(sheet)
    ws = wb["Plan"]
    ws.delete_rows(4, ws.max_row)
    wb.save(sheet)
    run(tmp_path, "sync", "--today", "2026-03-03")
    out = run(tmp_path, "status", str(sheet), "--today", "2026-03-03").output
    assert "  health At risk" in out
    assert (
        "  why: the plan has no steps left: restore them from the last copy, or close the MAP"
        in out
    )
