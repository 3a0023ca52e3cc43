"""Sharing and the deal's lifecycle on the local workspace, through mapctl as a rep runs it:
draft until shared, contacts added and removed, stakeholder offers, the .xlsx round trip
with conflicting edits, won / lost / archived / reopen, reassign; and the three-way merge
on its own (pure)."""

from __future__ import annotations

import json
from datetime import date, datetime
from email import message_from_bytes, policy
from pathlib import Path

from openpyxl import load_workbook

from addon.plan.merge import merge
from addon.registry.store import Registry
from tests.cli_helpers import create, run, set_step_cell


def _map_id(root: Path) -> str:
    return run(root, "list").output.split()[0]


def _access(sheet: Path) -> set[tuple[str, str]]:
    path = sheet.parent / "access.json"
    return (
        {(e["email"], e["role"]) for e in json.loads(path.read_text())} if path.exists() else set()
    )


def _cell(ws: object, step_id: str, header: str) -> object:
    rows = list(ws.iter_rows(values_only=True))  # type: ignore[attr-defined]
    head = next(r for r in rows if r and r[0] == "ID")
    row = next(r for r in rows if r and r[0] == step_id)
    return row[head.index(header)]


def test_a_draft_is_shared_only_when_the_rep_shares_it(tmp_path: Path) -> None:
    sheet = create(tmp_path)
    map_id = _map_id(tmp_path)
    assert _access(sheet) == set()  # a draft: nobody on the buyer side can open it
    out = run(tmp_path, "share", map_id, "--today", "2026-03-02").output
    assert "shared with 2" in out
    assert ("dana@northwind.example.com", "writer") in _access(sheet)
    assert ("lee@northwind.example.com", "commenter") in _access(sheet)
    assert "shared" in run(tmp_path, "list").output
    again = run(tmp_path, "share", map_id, "--today", "2026-03-02").output
    assert "every contact already has access" in again

    people = run(
        tmp_path,
        "people",
        map_id,
        "--add",
        "Ana Ruiz <ana@northwind.example.com>",
        "--remove",
        "lee@northwind.example.com",
        "--today",
        "2026-03-03",
    ).output
    assert "✓ ana@northwind.example.com" in people and "- lee@northwind.example.com" in people
    assert {e for e, _ in _access(sheet)} == {
        "dana@northwind.example.com",
        "ana@northwind.example.com",
    }
    assert "revoked   Lee" in people
    bad = run(tmp_path, "people", map_id, "--add", "not an address", ok=False)
    assert bad.exit_code == 2 and "is not an email address" in bad.output


def test_each_person_shared_is_invited_by_an_email_from_the_rep(tmp_path: Path) -> None:
    """The invitation comes from the rep through our relay (here the local outbox) and a
    reply reaches the rep, not a service address nobody reads."""
    create(tmp_path)
    map_id = _map_id(tmp_path)
    run(tmp_path, "share", map_id, "--today", "2026-03-02")
    run(tmp_path, "people", map_id, "--add", "Ana Ruiz <ana@northwind.example.com>")
    sent = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted((tmp_path / "outbox").glob("*.eml"))
    ]
    invites = {str(m["To"]): m for m in sent if "shared our plan" in str(m["Subject"])}
    assert sorted(invites) == [
        "Ana Ruiz <ana@northwind.example.com>",
        "Dana Whitfield <dana@northwind.example.com>",
        "Lee <lee@northwind.example.com>",
    ]
    dana = invites["Dana Whitfield <dana@northwind.example.com>"]
    assert str(dana["From"]) == '"Sam Rivera (via MAP)" <map-alerts@example.com>'
    assert str(dana["Reply-To"]) == "Sam Rivera <sam@seller.example.com>"
    assert str(dana["Subject"]) == "Sam Rivera shared our plan for Analytics rollout"
    text = dana.get_body(("plain",)).get_content()
    assert text.startswith("Hi Dana,") and "reply to this email: it goes to Sam Rivera" in text


def test_xlsx_round_trip_with_conflicting_edits_loses_nothing(tmp_path: Path) -> None:
    sheet = create(tmp_path)
    map_id = _map_id(tmp_path)
    run(tmp_path, "share", map_id, "--today", "2026-03-02")
    copy = tmp_path / "copy.xlsx"
    out = run(tmp_path, "export", map_id, "--for", "ops@northwind.example.com", "--out", str(copy))
    assert "Copy X-" in out.output and copy.exists()

    # The buyer, offline in Excel: S01 done, S02 moved, a note on S03, a new step.
    wb = load_workbook(copy)
    plan = wb["Plan"]
    set_step_cell(plan, "S01", "Status", "Done")
    set_step_cell(plan, "S02", "Due date", datetime(2026, 3, 27))
    set_step_cell(plan, "S03", "Notes", "Legal wants the DPA first")
    set_step_cell(plan, "S05", "Health", "we think this is fine")  # typed into a computed column
    last = max(r for r in range(1, plan.max_row + 1) if plan.cell(r, 3).value)
    plan.cell(last + 1, 3).value = "Procurement portal registration"
    plan.cell(last + 1, 6).value = datetime(2026, 4, 10)
    wb.properties.lastModifiedBy = "Ops Team"
    wb.save(copy)
    # Meanwhile in the live workbook, Dana wrote a different note on S03.
    live = load_workbook(sheet)
    set_step_cell(live["Plan"], "S03", "Notes", "Security questionnaire sent")
    live.save(sheet)

    merged = run(tmp_path, "merge", str(copy), "--today", "2026-03-05").output
    assert "2 edit(s) applied, 1 row(s) added, 1 conflict(s), 1 value(s) not placed" in merged
    plan = load_workbook(sheet)["Plan"]
    assert _cell(plan, "S01", "Status") == "Done"
    assert _cell(plan, "S02", "Due date") == datetime(2026, 3, 27)
    assert _cell(plan, "S03", "Notes") == "Security questionnaire sent"  # the live value stays
    note = str(_cell(plan, "S03", "Sync note"))
    assert '"Legal wants the DPA first"' in note and '"Security questionnaire sent"' in note
    assert "we think this is fine" in str(_cell(plan, "S05", "Sync note"))
    added = [
        r for r in plan.iter_rows(values_only=True) if r[2] == "Procurement portal registration"
    ]
    assert len(added) == 1 and str(added[0][0]).startswith("S")  # given an id by the sync
    kept = [p for p in sheet.parent.iterdir() if p.name.startswith("returned 2026-03-05")]
    assert len(kept) == 1 and kept[0].read_bytes() == copy.read_bytes()
    registry = Registry(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    try:
        row = registry.get(map_id)
        assert (row.last_buyer_update, row.last_buyer_editor) == (date(2026, 3, 5), "Ops Team")
        [export] = registry.exports(map_id)
        assert export.merged[0]["conflicts"] == 1
    finally:
        registry.close()
    # The same copy merged twice changes nothing more.
    twice = run(tmp_path, "merge", str(copy), "--today", "2026-03-05").output
    assert "0 edit(s) applied, 0 row(s) added, 1 conflict(s)" in twice
    not_xlsx = tmp_path / "reply.txt"
    not_xlsx.write_text("see attached")
    bad = run(tmp_path, "merge", str(not_xlsx), ok=False)
    assert bad.exit_code == 2 and "Excel Workbook (.xlsx)" in bad.output


def test_stakeholders_the_buyer_adds_are_offered_never_shared(tmp_path: Path) -> None:
    sheet = create(tmp_path)
    map_id = _map_id(tmp_path)
    run(tmp_path, "share", map_id, "--today", "2026-03-02")
    wb = load_workbook(sheet)
    ws = wb["Stakeholders"]
    last = max(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value)
    for i, (name, email) in enumerate(
        [("Omar Haddad", "omar@northwind.example.com"), ("Kim Ito", "kim@seller.example.com")]
    ):
        ws.cell(last + 1 + i, 1).value, ws.cell(last + 1 + i, 2).value = name, email
    wb.save(sheet)
    run(tmp_path, "sync", "--today", "2026-03-03")
    assert "omar@northwind.example.com" not in {e for e, _ in _access(sheet)}
    people = run(tmp_path, "people", map_id).output
    assert "offered   Omar Haddad <omar@northwind.example.com>" in people
    assert "kim@seller.example.com" not in people  # the rep's own colleague: not offered
    shared = run(tmp_path, "share", map_id).output
    assert "mapctl people" in shared and "--add omar@northwind.example.com" in shared
    run(tmp_path, "people", map_id, "--decline", "omar@northwind.example.com")
    run(tmp_path, "sync", "--force", "--today", "2026-03-04")
    assert "declined" in run(tmp_path, "people", map_id).output  # not offered again


def test_lost_revokes_stops_syncing_and_stays_in_the_rollup(tmp_path: Path) -> None:
    sheet = create(tmp_path)
    map_id = _map_id(tmp_path)
    run(tmp_path, "share", map_id, "--today", "2026-03-02")
    out = run(tmp_path, "mark", map_id, "lost", "--note", "budget frozen", "--today", "2026-04-01")
    assert "- dana@northwind.example.com: access removed" in out.output
    assert _access(sheet) == set()
    synced = run(tmp_path, "sync", "--today", "2026-04-02").output
    assert map_id not in synced
    rollup = load_workbook(tmp_path / "rollup.xlsx").active
    text = [[str(v) for v in r if v is not None] for r in rollup.iter_rows(values_only=True)]
    assert any("Analytics rollout" in r and "lost" in r for r in text)
    again = run(tmp_path, "share", map_id, ok=False)
    assert again.exit_code == 1 and "reopen" in again.output
    run(tmp_path, "reopen", map_id, "--today", "2026-04-03")
    assert "shared with 2" in run(tmp_path, "share", map_id, "--today", "2026-04-03").output


def test_reassign_every_map_of_a_leaving_rep_in_one_command(tmp_path: Path) -> None:
    sheet = create(tmp_path)
    create(tmp_path, "--deal", "Second deal")
    moved = run(
        tmp_path,
        "reassign",
        "--from",
        "sam@seller.example.com",
        "--to",
        "Jo Park <jo@seller.example.com>",
    ).output
    assert moved.count("sam@seller.example.com -> jo@seller.example.com") == 2
    assert ("jo@seller.example.com", "writer") in _access(sheet)
    rollup = load_workbook(tmp_path / "rollup.xlsx").active
    reps = {str(v) for r in rollup.iter_rows(values_only=True) for v in r if v}
    assert "Jo Park" in reps and "Sam Rivera" not in reps


def _grid(*rows: list[object]) -> dict[str, list[list[object]]]:
    head = ["ID", "Phase", "Step", "Buyer owner", "Seller owner", "Due date", "Status", "Notes"]
    return {"Plan": [["Plan"], [], head, *[list(r) for r in rows]]}


def test_merge_three_ways_cell_by_cell() -> None:
    base = _grid(
        ["S01", "Eval", "Demo", "Dana", "Sam", date(2026, 3, 1), "Not started", ""],
        ["S02", "Eval", "Trial", "Dana", "Sam", date(2026, 3, 9), "Not started", ""],
    )
    # The returned copy: S01 done, S02's date typed as the same day (a datetime), new row.
    returned = _grid(
        ["S01", "Eval", "Demo", "Dana", "Sam", datetime(2026, 3, 1), "Done", "went well"],
        ["S02", "Eval", "Trial", "Dana", "Sam", datetime(2026, 3, 9), "Not started", ""],
        ["", "Eval", "Security review", "Lee", "", "", "", ""],
    )
    # Live since the export: S01's note changed (conflict), rows sorted, dates as serials.
    current = _grid(
        ["S02", "Eval", "Trial", "Dana", "Sam", 46090, "Not started", ""],
        ["S01", "Eval", "Demo", "Dana", "Sam", 46082, "Not started", "moved to Tue"],
    )
    m = merge(base, returned, current)
    assert [(e.row, e.col, e.value) for e in m.edits] == [
        (4, 6, "Done"),  # S01 is on row 4 of the live grid now
        (5, 1, "Eval"),  # the new row, below the last live one
        (5, 2, "Security review"),
        (5, 3, "Lee"),
    ]
    assert [(c.row, c.column, c.sheet, c.returned) for c in m.conflicts] == [
        ("S01 Demo", "Notes", "moved to Tue", "went well")
    ]
    assert m.added == ("Plan: Security review",)
    [kept] = m.kept()
    assert (kept.step_id, kept.text, kept.beside) == ("S01", "went well", "moved to Tue")
    assert merge(base, base, current).empty
