"""The Google workspace end to end: create, share, sync and roll-up through the same
service code as the local workspace, against the offline fake over real HTTP, counting
every round trip against the call budget (docs/design.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from addon.workspace.base import Invite
from tests.google_env import BUYER, FOLDER, SERVICE, TODAY, Env, create


def test_create_is_four_round_trips_and_leaves_a_filled_linked_sheet(env: Env) -> None:
    created = create(env)
    assert [c.method for c in env.fake.calls()] == [
        "sheets.spreadsheets.create",
        "drive.files.create",
        "drive.files.update",
        "sheets.spreadsheets.values.batchUpdate",
    ]
    assert len(env.log) == 4
    sheet, doc = env.fake.files[created.files.sheet], env.fake.files[created.files.doc]
    assert sheet.parents == [FOLDER] and doc.parents == [FOLDER]
    assert sheet.app_properties == {"mapApp": "sheet", "mapId": created.map_id, "docId": doc.id}
    assert doc.mime_type == "application/vnd.google-apps.document"
    assert f"spreadsheets/d/{sheet.id}" in doc.content.decode()  # the Doc links the Sheet
    grids = env.grids(sheet.id)
    summary = {row[0]: row[1] for row in grids["Summary"][3:] if len(row) > 1}
    assert summary["MAP document"] == f"https://drive.google.com/open?id={doc.id}"
    health = {row[0]: row[11] for row in grids["Plan"][3:] if row and len(row) > 11}
    assert health["S01"] == "On track"
    assert env.registry.get(created.map_id).last_written_version == str(sheet.version)


def test_a_retried_create_returns_the_same_map_without_a_call(env: Env) -> None:
    first = create(env, key="form-123")
    calls = len(env.log)
    again = create(env, key="form-123")
    assert again.existing and again.map_id == first.map_id and len(env.log) == calls


def test_a_create_that_fails_part_way_leaves_no_file_and_nothing_registered(env: Env) -> None:
    env.fake.fail("drive.files.create", 403)
    with pytest.raises(HttpError):
        create(env)
    assert env.registry.maps() == []
    assert [f.trashed for f in env.fake.files.values()] == [True]  # the Sheet, trashed


def _buyer_edits(env: Env, sheet: str, data: list[dict[str, Any]]) -> None:
    env.buyer().spreadsheets().values().batchUpdate(
        spreadsheetId=sheet, body={"valueInputOption": "USER_ENTERED", "data": data}
    ).execute()


def test_sync_reads_a_changed_map_once_writes_once_and_skips_the_rest(env: Env) -> None:
    maps = [create(env, deal=f"Deal {i}") for i in range(3)]
    env.sync(TODAY)  # makes the roll-up Sheet
    env.fake.log.clear()
    env.fake.clock = lambda: datetime(2026, 3, 3, 10, 0)
    _buyer_edits(env, maps[1].files.sheet, [{"range": "Plan!H4", "values": [["✅ Done"]]}])
    env.fake.log.clear()
    report = env.sync(date(2026, 3, 3))
    assert [c.method for c in env.fake.calls()] == [
        "drive.files.list",  # every MAP's version in one listing
        "sheets.spreadsheets.values.batchGet",  # the changed MAP, once
        "sheets.spreadsheets.values.batchUpdate",  # its computed columns, once
        "sheets.spreadsheets.values.batchUpdate",  # the roll-up
    ]
    outcomes = {r.map_id: r.outcome for r in report.results}
    assert [outcomes[m.map_id] for m in maps] == ["unchanged", "written", "unchanged"]
    row = env.registry.get(maps[1].map_id)
    assert (row.last_buyer_update, row.last_buyer_editor) == (date(2026, 3, 3), BUYER)
    plan = env.grids(maps[1].files.sheet)["Plan"]
    assert plan[3][0] == "S01" and plan[3][11] == "Done"
    # Projected finish comes back from Sheets as a serial number; that is our own date,
    # not text a buyer typed (the bench caught the sync keeping it as buyer text).
    notes = [row[16] for row in plan[3:] if len(row) > 16]
    assert not any("Kept from" in n or "filled in by the sync" in n for n in notes), notes

    env.fake.log.clear()
    again = env.sync(date(2026, 3, 3))  # our own writes are recognised: nothing read
    assert [r.outcome for r in again.results] == ["unchanged"] * 3
    assert [c.method for c in env.fake.calls()] == [
        "drive.files.list",
        "sheets.spreadsheets.values.batchUpdate",  # the roll-up
    ]


def test_a_new_day_moves_date_driven_values_with_one_write_and_no_read(env: Env) -> None:
    created = create(env)
    env.sync(TODAY)
    first_due = env.grids(created.files.sheet)["Plan"][3][5]  # S01's due date, a serial
    late = date(1899, 12, 30).toordinal() + int(first_due) + 2  # two days past it
    env.fake.log.clear()
    env.sync(date.fromordinal(late))
    assert [c.method for c in env.fake.calls()] == [
        "drive.files.list",
        "sheets.spreadsheets.values.batchUpdate",  # S01 is now late: no read needed
        "sheets.spreadsheets.values.batchUpdate",  # the roll-up
    ]
    plan = env.grids(created.files.sheet)["Plan"]
    assert (plan[3][0], plan[3][11], plan[3][12]) == ("S01", "Overdue", 2)


def test_a_map_the_service_cannot_open_is_sync_lost_and_the_others_sync(env: Env) -> None:
    lost, kept = create(env, deal="Lost"), create(env, deal="Kept")
    env.fake.denied.add((lost.files.sheet, SERVICE))  # a buyer removed the service's access
    report = env.sync(date(2026, 3, 3))
    outcome = {r.map_id: (r.outcome, r.message) for r in report.results}
    assert outcome[lost.map_id][0] == "failed"
    assert "sync lost" in outcome[lost.map_id][1]
    assert outcome[kept.map_id][0] == "unchanged"  # still synced, nothing to write
    assert "sync lost" in env.registry.get(lost.map_id).sync_state


def test_share_is_one_batch_and_each_refusal_keeps_googles_reason(env: Env) -> None:
    created = create(env)
    env.fake.refusals["lee@partner.example.org"] = (
        403,
        "cannotShareTeamDriveWithNonGoogleAccounts",
        'Bad Request. User message: "Sorry, you can\'t share with lee@partner.example.org"',
    )
    env.fake.log.clear()
    calls = len(env.log)
    invites = [
        Invite(BUYER, "writer", created.files.sheet),
        Invite(BUYER, "commenter", created.files.doc),
        Invite("lee@partner.example.org", "writer", created.files.sheet),
    ]
    results = env.workspace.share(invites, "Our mutual action plan")
    assert len(env.log) == calls + 1  # one round trip
    assert [(r.invite.email, r.ok) for r in results] == [
        (BUYER, True),
        (BUYER, True),
        ("lee@partner.example.org", False),
    ]
    assert "cannotShareTeamDriveWithNonGoogleAccounts" in results[2].reason
    perms = env.fake.files[created.files.sheet].permissions
    assert [(p["emailAddress"], p["role"], p["type"]) for p in perms] == [(BUYER, "writer", "user")]
    assert env.fake.files[created.files.doc].permissions[0]["role"] == "commenter"


def test_share_retries_only_the_invitations_google_rate_limited(env: Env) -> None:
    created = create(env)
    env.fake.fail("drive.permissions.create", 429)
    calls = len(env.log)
    results = env.workspace.share(
        [
            Invite(BUYER, "writer", created.files.sheet),
            Invite(BUYER, "commenter", created.files.doc),
        ],
        "Our plan",
    )
    assert all(r.ok for r in results)
    assert len(env.log) == calls + 2  # the batch, then one retry batch for the refused call
    assert len(env.fake.files[created.files.sheet].permissions) == 1
