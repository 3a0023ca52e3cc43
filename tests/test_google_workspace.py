"""The Google workspace end to end: create, share, sync and roll-up through the same
service code as the local workspace, against the offline fake over real HTTP (which
refuses what Google refuses), counting every round trip against the call budget
(docs/design.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from addon.google.transport import CallLog, PacedHttp, Pacer, authorized_http
from addon.workspace.base import Invite
from addon.workspace.google import GoogleWorkspace
from tests.google_env import BUYER, DRIVE, FOLDER, REP, SERVICE, TODAY, Env, create
from tests.googlefake.server import FakeGoogle


def test_create_is_four_round_trips_and_leaves_a_filled_linked_sheet(env: Env) -> None:
    created = create(env)
    assert [c.method for c in env.fake.calls() if c.method != "batch"] == [
        "drive.files.create",  # an empty Sheet, in the folder
        "drive.files.create",  # the Doc, HTML converted
        "drive.permissions.create",  # the rep may edit the Sheet
        "drive.permissions.create",  # ... and the Doc (one batch)
        "sheets.spreadsheets.batchUpdate",  # the Sheet built, with the first sync's values
    ]
    assert len(env.log) == 4
    sheet, doc = env.fake.files[created.files.sheet], env.fake.files[created.files.doc]
    assert sheet.parents == [FOLDER] and doc.parents == [FOLDER]
    assert sheet.app_properties == {"mapApp": "sheet", "mapId": created.map_id}
    assert doc.app_properties == {"mapApp": "doc", "mapId": created.map_id, "sheetId": sheet.id}
    assert doc.mime_type == "application/vnd.google-apps.document"
    assert f"spreadsheets/d/{sheet.id}" in doc.content.decode()  # the Doc links the Sheet
    for file in (sheet, doc):  # the drive owns both; the rep can edit both
        assert file.owner is None
        assert [(p["emailAddress"], p["role"]) for p in file.permissions] == [(REP, "writer")]
    grids = env.grids(sheet.id)
    assert set(grids) == {
        "Plan",
        "Stakeholders",
        "Resources",
        "Risks",
        "Decision criteria",
        "Summary",
        "_sync",
        "_resources",
    }
    summary = {row[0]: row[1] for row in grids["Summary"][3:] if len(row) > 1}
    assert summary["MAP document"] == f"https://drive.google.com/open?id={doc.id}"
    health = {row[0]: row[11] for row in grids["Plan"][3:] if row and len(row) > 11}
    assert health["S01"] == "On track"


def test_nothing_ever_has_two_parents_and_nothing_is_made_outside_the_drive(env: Env) -> None:
    created = create(env, shared=True)
    env.sync(TODAY)  # makes the roll-up
    methods = {c.method for c in env.fake.calls()}
    assert "sheets.spreadsheets.create" not in methods
    assert not [
        c for c in env.fake.log if c.method == "drive.files.update" and "addParents" in c.query
    ]
    made = [f for f in env.fake.files.values() if f.id != FOLDER]
    assert len(made) == 3  # the Sheet, the Doc, the roll-up
    assert all(f.parents == [FOLDER] and f.drive_id == DRIVE for f in made)
    assert created.files.sheet in {f.id for f in made}


def test_the_service_account_without_a_shared_drive_folder_is_refused_by_google(
    env: Env,
) -> None:
    """What the fake refuses, the product never asks: a service account making a file
    in its own My Drive gets Drive's 403 storageQuotaExceeded."""
    bare = GoogleWorkspace(env.workspace.http, identity=SERVICE, root_url=env.fake.url)
    with pytest.raises(HttpError) as refused:
        create(Env(env.fake, bare, env.registry, env.log, env.clock))
    assert refused.value.resp.status == 403
    assert "storageQuotaExceeded" in str(refused.value.content)
    assert env.registry.maps() == []


def test_a_retried_create_returns_the_same_map_without_a_call(env: Env) -> None:
    first = create(env, key="form-123")
    calls = len(env.log)
    again = create(env, key="form-123")
    assert again.existing and again.map_id == first.map_id and len(env.log) == calls


def test_a_create_that_fails_part_way_leaves_no_file_and_nothing_registered(env: Env) -> None:
    env.fake.fail("sheets.spreadsheets.batchUpdate", 400)  # the build is refused
    with pytest.raises(HttpError):
        create(env)
    assert env.registry.maps() == []
    made = [f for f in env.fake.files.values() if f.id != FOLDER]
    assert [(f.mime_type.rpartition(".")[2], f.trashed) for f in made] == [
        ("spreadsheet", True),
        ("document", True),
    ]


@pytest.fixture
def impatient(env: Env) -> Iterator[tuple[FakeGoogle, GoogleWorkspace]]:
    """The env's fake, reached through a transport that gives up on a call after 1.5 s
    (a stalled answer takes 3 s): wide enough that a loaded machine answering the lookup
    slowly is not taken for a second stall (0.3 s failed once under a loaded CI)."""
    http = PacedHttp(
        authorized_http(Credentials(token="service-token"), timeout=1.5),
        pacer=Pacer(env.clock),
        log=CallLog(),
    )
    yield (
        env.fake,
        GoogleWorkspace(
            http, identity=SERVICE, folder_id=FOLDER, root_url=env.fake.url, sleep=env.clock.sleep
        ),
    )


def test_a_create_retried_after_a_timeout_finds_the_first_tries_file(
    env: Env, impatient: tuple[FakeGoogle, GoogleWorkspace]
) -> None:
    fake, workspace = impatient
    fake.stall("drive.files.create", 3.0)  # Drive makes the file, the answer comes too late
    created = create(Env(fake, workspace, env.registry, env.log, env.clock))
    sheets = [
        f
        for f in fake.files.values()
        if f.app_properties.get("mapApp") == "sheet" and not f.trashed
    ]
    assert [f.id for f in sheets] == [created.files.sheet]  # one Sheet, not two
    assert env.grids(created.files.sheet)["Plan"][3][0] == "S01"


def _buyer_edits(env: Env, sheet: str, data: list[dict[str, Any]]) -> None:
    env.buyer().spreadsheets().values().batchUpdate(
        spreadsheetId=sheet, body={"valueInputOption": "USER_ENTERED", "data": data}
    ).execute()


def _settle(env: Env, day: date) -> None:
    """Syncs until one reads nothing: Drive's version after our write is not always the
    one we expect (the fake steps by 1 to 3), and then the next sync reads once more."""
    for _ in range(3):
        env.fake.log.clear()
        env.sync(day)
        if not env.fake.calls("sheets.spreadsheets.values.batchGet"):
            return
    raise AssertionError("the sync kept reading")


def test_sync_reads_a_changed_map_once_writes_once_and_skips_the_rest(env: Env) -> None:
    maps = [create(env, deal=f"Deal {i}", shared=True) for i in range(3)]
    _settle(env, TODAY)  # makes the roll-up Sheet
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
    again = env.sync(date(2026, 3, 3))  # at most one read, never a write: nothing changed
    assert [r.outcome for r in again.results] == ["unchanged"] * 3
    reads = env.fake.calls("sheets.spreadsheets.values.batchGet")
    assert len(reads) <= 1 and len(env.fake.calls("sheets.spreadsheets.values.batchUpdate")) == 1
    env.fake.log.clear()
    env.sync(date(2026, 3, 3))  # settled: the listing and the roll-up only
    assert [c.method for c in env.fake.calls()] == [
        "drive.files.list",
        "sheets.spreadsheets.values.batchUpdate",  # the roll-up
    ]


def test_a_new_day_moves_date_driven_values_with_one_write_and_no_read(env: Env) -> None:
    created = create(env)
    _settle(env, TODAY)
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
    env.workspace.sharing_restriction()  # the drive's restrictions, checked once a while
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
    assert [(p["emailAddress"], p["role"], p["type"]) for p in perms] == [
        (REP, "writer", "user"),
        (BUYER, "writer", "user"),
    ]
    assert env.fake.files[created.files.doc].permissions[1]["role"] == "commenter"


def test_share_retries_only_the_invitations_google_rate_limited(env: Env) -> None:
    created = create(env)
    env.workspace.sharing_restriction()
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
    assert {p["emailAddress"] for p in env.fake.files[created.files.sheet].permissions} == {
        REP,
        BUYER,
    }


# --- change detection without the +1 assumption ---------------------------------------


def _health(env: Env, sheet: str, step: str) -> Any:
    plan = env.grids(sheet)["Plan"]
    return next(row[11] for row in plan[3:] if row and row[0] == step)


def test_a_buyer_edit_between_our_read_and_our_write_is_read_at_the_next_sync(env: Env) -> None:
    created = create(env, shared=True)
    sheet = created.files.sheet
    _settle(env, TODAY)
    _buyer_edits(env, sheet, [{"range": "Plan!H4", "values": [["Done"]]}])
    dispatch = env.fake.dispatch
    edited: list[str] = []

    def buyer_saves_first(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        """The buyer saves S02 just before our write reaches Google."""
        if path.endswith(f"{sheet}/values:batchUpdate") and not edited:
            edited.append(path)
            _buyer_edits(env, sheet, [{"range": "Plan!H5", "values": [["Done"]]}])
        return dispatch(method, path, *args, **kwargs)

    env.fake.dispatch = buyer_saves_first  # type: ignore[method-assign]
    first = env.sync(date(2026, 3, 3)).results[0]
    env.fake.dispatch = dispatch  # type: ignore[method-assign]
    assert first.outcome == "written" and edited
    assert _health(env, sheet, "S02") != "Done"  # our write computed from the earlier read
    second = env.sync(date(2026, 3, 3)).results[0]
    assert second.outcome == "written"  # the listing shows more than our one write: read
    assert _health(env, sheet, "S02") == "Done"


def test_any_other_version_or_modifier_is_read_and_only_ours_is_skipped(env: Env) -> None:
    """Random version steps (the fake's default), a listing without lastModifyingUser, a
    listing that lags: each costs at most a read, never a missed edit."""
    created = create(env, shared=True)
    sheet = created.files.sheet
    _settle(env, TODAY)
    env.fake.log.clear()
    env.sync(TODAY)
    assert not env.fake.calls("sheets.spreadsheets.values.batchGet")  # ours: skipped

    env.fake.hide_modifier = {BUYER}  # Drive names nobody for this edit
    _buyer_edits(env, sheet, [{"range": "Plan!H4", "values": [["Done"]]}])
    assert env.sync(TODAY).results[0].outcome == "written"
    assert env.registry.get(created.map_id).last_buyer_update == TODAY
    env.fake.hide_modifier = set()
    _settle(env, TODAY)

    env.fake.lag(sheet, calls=1)  # the next listing still shows the file as it is now
    _buyer_edits(env, sheet, [{"range": "Plan!H5", "values": [["Done"]]}])
    lagging = env.sync(TODAY).results[0]
    assert lagging.outcome == "unchanged"  # nothing to see yet
    caught_up = env.sync(TODAY).results[0]
    assert caught_up.outcome == "written" and _health(env, sheet, "S02") == "Done"


def test_the_listing_sees_maps_another_identity_made_in_the_drive(env: Env) -> None:
    """corpora=drive: a MAP made by another member of the drive (another service account,
    an import) is in the one listing; the default corpus (user) would miss it."""
    other = "map-import@project.iam.gserviceaccount.com"
    env.fake.users["other-token"] = other
    env.fake.drives[DRIVE].members[other] = "fileOrganizer"
    http = PacedHttp(authorized_http(Credentials(token="other-token"), timeout=5), log=CallLog())
    theirs = GoogleWorkspace(
        http, identity=other, folder_id=FOLDER, root_url=env.fake.url, sleep=env.clock.sleep
    )
    made = create(Env(env.fake, theirs, env.registry, env.log, env.clock), deal="Imported")
    ours = create(env, deal="Ours")
    assert env.workspace.shared_drive() == DRIVE  # found once per process (files.get)
    env.fake.log.clear()
    versions = env.workspace.versions([made.files.sheet, ours.files.sheet])
    assert None not in versions.values()
    [listing] = env.fake.calls("drive.files.list")
    assert listing.query["corpora"] == ["drive"] and listing.query["driveId"] == [DRIVE]
    assert listing.query["includeItemsFromAllDrives"] == ["true"]
    report = env.sync(TODAY)
    assert {r.outcome for r in report.results} <= {"unchanged", "written"}
    assert not env.fake.calls("drive.files.get")  # nobody needed a call of their own


@pytest.mark.parametrize(
    ("restrictions", "why"),
    [
        ({"driveMembersOnly": True}, "lets only its members open its files"),
        ({"domainUsersOnly": True}, "is closed to people outside your organisation"),
    ],
)
def test_a_drive_that_forbids_sharing_outside_is_said_before_any_invitation(
    env: Env, restrictions: dict[str, bool], why: str
) -> None:
    env.fake.drives[DRIVE].restrictions.update(restrictions)
    created = create(env)
    env.fake.log.clear()
    results = env.workspace.share([Invite(BUYER, "writer", created.files.sheet)], "Our plan")
    assert not results[0].ok and why in results[0].reason
    assert "send an .xlsx copy instead" in results[0].reason
    assert not env.fake.calls("drive.permissions.create")  # nothing asked of Drive
    assert [c.method for c in env.fake.calls()] == ["drive.files.get", "drive.drives.get"]


def _merge(env: Env, sheet: str, r0: int, r1: int, c0: int, c1: int) -> None:
    """The buyer selects cells and clicks Merge (Format > Merge cells > Merge all)."""
    env.buyer().spreadsheets().batchUpdate(
        spreadsheetId=sheet,
        body={
            "requests": [
                {
                    "mergeCells": {
                        "range": {
                            "sheetId": 1000,
                            "startRowIndex": r0,
                            "endRowIndex": r1,
                            "startColumnIndex": c0,
                            "endColumnIndex": c1,
                        },
                        "mergeType": "MERGE_ALL",
                    }
                }
            ]
        },
    ).execute()


def test_a_merge_across_a_computed_column_is_undone_and_the_text_kept(env: Env) -> None:
    """Issue 16, item 1, on Google: the buyer types into If it slips (K11) and merges it
    across Health (L11). The array behind Health cannot fill (#REF!); the sync finds the
    merge (one spreadsheets.get, only then), undoes it in its one write, and K11 keeps
    the text. The sync after reads no merges."""
    created = create(env, shared=True)
    sheet = created.files.sheet
    _settle(env, TODAY)
    _buyer_edits(env, sheet, [{"range": "Plan!K11", "values": [["Legal is on holiday"]]}])
    _merge(env, sheet, 10, 11, 10, 12)
    assert env.grids(sheet)["Plan"][2][11] == "#REF!"  # Health's header: blocked
    env.fake.log.clear()
    result = env.sync(date(2026, 3, 3)).results[0]
    assert result.outcome == "written"
    assert [c.method for c in env.fake.calls() if c.method.startswith("sheets")] == [
        "sheets.spreadsheets.values.batchGet",
        "sheets.spreadsheets.get",  # the merges, because a header showed #REF!
        "sheets.spreadsheets.batchUpdate",  # unmerge + the computed values, one call
        "sheets.spreadsheets.values.batchUpdate",  # the roll-up
    ]
    plan = env.grids(sheet)["Plan"]
    assert plan[2][11] == "Health" and plan[10][11] in ("On track", "Due soon", "Overdue")
    assert plan[10][10] == "Legal is on holiday"
    assert env.fake.spreadsheets[sheet].sheet("Plan").merges == []
    env.fake.log.clear()
    env.sync(date(2026, 3, 3))
    assert not env.fake.calls("sheets.spreadsheets.get")


def test_a_merge_that_starts_in_a_computed_cell_keeps_its_text_in_the_sync_note(
    env: Env,
) -> None:
    created = create(env, shared=True)
    sheet = created.files.sheet
    _settle(env, TODAY)
    _buyer_edits(env, sheet, [{"range": "Plan!L9", "values": [["waiting on legal"]]}])
    _merge(env, sheet, 8, 9, 11, 13)  # Health and Days late of S06
    assert env.sync(date(2026, 3, 3)).results[0].outcome == "written"
    plan = env.grids(sheet)["Plan"]
    assert (plan[2][11], plan[2][12]) == ("Health", "Days late")
    assert plan[8][0] == "S06" and "waiting on legal" in plan[8][16]
    assert env.fake.spreadsheets[sheet].sheet("Plan").merges == []


def test_the_google_rollup_has_the_no_map_and_insights_tabs(env: Env) -> None:
    """Layout 3 of the roll-up Sheet: the ranked rows, the CRM's deals without a MAP, and
    the day's insights with their chart, made in one create and written in one call."""
    from datetime import date as day

    from google.oauth2.credentials import Credentials

    from addon.google.clients import service
    from addon.workspace.google_sheet import grids_of
    from tests.google_env import create

    create(env)
    ref = env.sync(day(2026, 3, 4)).rollup_ref
    reader = service("sheets", "v4", Credentials(token="service-token"), root_url=env.fake.url)
    answer = (
        reader.spreadsheets()
        .values()
        .batchGet(spreadsheetId=ref, ranges=["Roll-up", "No MAP", "Insights"])
        .execute()
    )
    grids = grids_of(answer)
    assert set(grids) == {"Roll-up", "No MAP", "Insights"}
    assert grids["Insights"][0][0] == "MAP insights: what the plans' history teaches"
    assert grids["Insights"][3][0] == "Step"
    assert grids["No MAP"][2][0] == "Deal"
    import json

    bodies = [json.loads(c.body) for c in env.fake.calls("sheets.spreadsheets.batchUpdate")]
    charts = [r["addChart"] for b in bodies for r in b.get("requests", []) if "addChart" in r]
    assert any(ch["chart"]["spec"]["title"].startswith("Days of close") for ch in charts)
