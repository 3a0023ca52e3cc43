"""Sharing and the deal lifecycle on the Google workspace, against the offline fake over
real HTTP: who can open a MAP (the Drive permissions the fake holds, and what a buyer's
own client can still read), the registry's people states, the .xlsx round trip merged
against live edits, won (the handoff Doc), lost (access revoked, no more syncing, still in
the roll-up), and a Shared Drive that owns every file."""

from __future__ import annotations

import email
import email.policy
import io
import re
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError
from openpyxl import load_workbook

from addon.alerts import ChannelError, Channels, FolderMailer, inviter
from addon.google.clients import service
from addon.lifecycle import close_map, reassign
from addon.maps import Created
from addon.plan.dates import fmt, from_serial
from addon.sharing import add_contact, export_copy, merge_copy, remove_contact, share_map
from addon.sync import write_rollup
from addon.workspace.base import Invite
from addon.workspace.google import DOC_MIME, XLSX_MIME
from addon.workspace.google_sheet import ROLLUP_TAB, read_params
from tests.google_env import BUYER, FOLDER, TODAY, Env, create

REP = "sam@seller.example.com"
LEE = "lee@northwind.example.com"
PAT = "pat@northwind.example.com"
CFO = "cfo@northwind.example.com"  # someone the buyer shares the Sheet with themselves
SE = "jo@seller.example.com"  # the rep's colleague
GOAL = "Every regional manager sees weekly sales by store without asking finance"


def _create(
    env: Env, *contacts: str, deal: str = "Analytics rollout", desired_outcome: str = ""
) -> Created:
    return create(env, deal=deal, contacts=contacts, desired_outcome=desired_outcome)


def _client(env: Env, api: str, version: str, token: str) -> Any:
    return service(api, version, Credentials(token=token), root_url=env.fake.url)


def _perms(env: Env, file_id: str) -> set[tuple[str, str]]:
    """Who the fake says can open a file, and as what (the owner's permission included)."""
    return {(p["emailAddress"], p["role"]) for p in env.fake.files[file_id].every_permission()}


def _states(env: Env, map_id: str) -> dict[str, str]:
    return {p.email: p.state for p in env.registry.people(map_id)}


def _serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


def _buyer_edits(env: Env, sheet: str, data: list[dict[str, Any]], token: str = "") -> None:
    sheets = _client(env, "sheets", "v4", token) if token else env.buyer()
    sheets.spreadsheets().values().batchUpdate(
        spreadsheetId=sheet, body={"valueInputOption": "USER_ENTERED", "data": data}
    ).execute()


def _plan_row(grids: dict[str, Any], step_id: str) -> list[Any]:
    return next(r for r in grids["Plan"][3:] if r and r[0] == step_id)


def _rollup(env: Env, ref: str) -> list[dict[str, Any]]:
    """The roll-up Sheet read back as the service sees it: one dict per deal, by header."""
    answer = (
        _client(env, "sheets", "v4", "service-token")
        .spreadsheets()
        .values()
        .batchGet(
            spreadsheetId=ref, ranges=[f"'{ROLLUP_TAB}'"], valueRenderOption="FORMATTED_VALUE"
        )
        .execute()
    )
    grid = answer["valueRanges"][0]["values"]
    header = grid[2]
    return [dict(zip(header, row, strict=False)) for row in grid[3:] if row]


def _shared(env: Env, created: Created) -> None:
    share_map(
        env.registry.get(created.map_id),
        workspace=env.workspace,
        registry=env.registry,
        today=TODAY,
    )


# --- 1. share a draft ------------------------------------------------------------------


def test_a_draft_has_no_buyer_access_until_shared_in_one_batch(env: Env) -> None:
    created = _create(env, f"Dana Whitfield <{BUYER}>", f"Lee Chen <{LEE}>")
    sheet, doc = created.files.sheet, created.files.doc
    row = env.registry.get(created.map_id)
    assert row.lifecycle == "draft"
    assert _states(env, row.id) == {BUYER: "contact", LEE: "contact"}
    assert _perms(env, sheet) == {(REP, "writer")}  # nobody on the buyer side yet
    assert _perms(env, doc) == {(REP, "writer")}

    env.fake.log.clear()
    calls = len(env.log)
    shared = share_map(row, workspace=env.workspace, registry=env.registry, today=TODAY)
    # the folder's drive id (once per process) and its sharing restrictions (once in 10
    # minutes) before the first share; then one round trip: a Drive batch
    assert len(env.log) == calls + 3
    assert [c.method for c in env.fake.calls()] == [
        "drive.files.get",
        "drive.drives.get",
        "batch",
        *["drive.permissions.create"] * 4,
    ]
    for call in env.fake.calls("drive.permissions.create"):
        assert call.query["sendNotificationEmail"] == ["true"]
        message = call.query["emailMessage"][0]  # sent by the service account: names the rep
        assert "Analytics rollout" in message and "Sam Rivera (sam@seller.example.com)" in message
        assert "write to Sam Rivera at sam@seller.example.com" in message
    assert sorted(shared.added) == [BUYER, LEE] and shared.refused == []
    assert _perms(env, sheet) == {(REP, "writer"), (BUYER, "writer"), (LEE, "writer")}
    assert _perms(env, doc) == {(REP, "writer"), (BUYER, "commenter"), (LEE, "commenter")}
    assert all(p["type"] == "user" for p in env.fake.files[sheet].permissions)  # no link share
    assert env.registry.get(row.id).lifecycle == "shared"
    assert _states(env, row.id) == {BUYER: "shared", LEE: "shared"}


def test_with_a_relay_the_invitation_comes_from_the_rep_not_from_drive(
    env: Env, tmp_path: Path
) -> None:
    """Drive's own notification would come from the service account; with a relay the
    product mails each person itself (from the rep, replies to the rep) and asks Drive
    for no notification."""
    created = _create(env, f"Dana Whitfield <{BUYER}>", f"Lee Chen <{LEE}>")
    row = env.registry.get(created.map_id)
    channels = Channels(FolderMailer(tmp_path / "outbox"), [], "MAP <map@seller.example.com>")
    channels.link = env.workspace.link

    class Refusing:
        def send(self, message: EmailMessage) -> None:
            if LEE in str(message["To"]):
                raise ChannelError("SMTP relay.example.com:587: 550 mailbox unavailable")
            FolderMailer(tmp_path / "outbox").send(message)

    channels.mailer = Refusing()
    env.fake.log.clear()
    shared = share_map(
        row, workspace=env.workspace, registry=env.registry, today=TODAY, invite=inviter(channels)
    )
    assert sorted(shared.added) == [BUYER, LEE]
    assert shared.not_emailed == [(LEE, "SMTP relay.example.com:587: 550 mailbox unavailable")]
    for call in env.fake.calls("drive.permissions.create"):
        assert call.query["sendNotificationEmail"] == ["false"]
        assert "emailMessage" not in call.query
    [sent] = list((tmp_path / "outbox").glob("*.eml"))
    message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    assert str(message["To"]) == f"Dana Whitfield <{BUYER}>"
    assert str(message["Reply-To"]) == "Sam Rivera <sam@seller.example.com>"
    assert env.workspace.link(created.files.sheet) in message.get_body(("plain",)).get_content()


# --- 2. a refusal, then a contact added to a shared MAP ---------------------------------


def test_a_refused_invitation_keeps_googles_reason_and_a_new_contact_is_invited_at_once(
    env: Env,
) -> None:
    created = _create(env, f"Dana Whitfield <{BUYER}>", f"Lee Chen <{LEE}>")
    sheet, doc = created.files.sheet, created.files.doc
    env.fake.refusals[LEE] = (
        403,
        "invalidSharingRequest",
        'Bad Request. User message: "You cannot share this item because '
        'lee@northwind.example.com is not a Google account."',
    )
    shared = share_map(
        env.registry.get(created.map_id),
        workspace=env.workspace,
        registry=env.registry,
        today=TODAY,
    )
    assert shared.added == [BUYER]
    assert [email for email, _ in shared.refused] == [LEE]
    people = {p.email: p for p in env.registry.people(created.map_id)}
    assert people[BUYER].state == "shared"
    assert people[LEE].state == "refused"
    assert "invalidSharingRequest" in people[LEE].reason
    assert "is not a Google account" in people[LEE].reason
    assert _perms(env, sheet) == {(REP, "writer"), (BUYER, "writer")}
    assert _perms(env, doc) == {(REP, "writer"), (BUYER, "commenter")}
    assert env.registry.get(created.map_id).lifecycle == "shared"  # one person got in

    env.fake.log.clear()
    calls = len(env.log)
    added = add_contact(
        env.registry.get(created.map_id),
        f"Pat Lopez <{PAT}>",
        workspace=env.workspace,
        registry=env.registry,
        today=date(2026, 3, 3),
    )
    assert len(env.log) == calls + 1  # invited now, in one batch
    assert added.added == [PAT] and added.refused == []
    assert (PAT, "writer") in _perms(env, sheet)
    assert (PAT, "commenter") in _perms(env, doc)
    people = {p.email: p for p in env.registry.people(created.map_id)}
    assert (people[PAT].state, people[PAT].name) == ("shared", "Pat Lopez")
    assert people[LEE].state == "refused"  # not retried behind the rep's back
    contacts = [c["email"] for c in env.registry.get(created.map_id).buyer_contacts]
    assert contacts == [BUYER, LEE, PAT]


# --- 3. remove a contact ----------------------------------------------------------------


def test_removing_a_contact_revokes_their_access_to_the_sheet_and_doc(env: Env) -> None:
    env.fake.users["lee-token"] = LEE
    created = _create(env, f"Dana Whitfield <{BUYER}>", f"Lee Chen <{LEE}>")
    sheet, doc = created.files.sheet, created.files.doc
    _shared(env, created)
    lee_sheets = _client(env, "sheets", "v4", "lee-token")
    lee_drive = _client(env, "drive", "v3", "lee-token")
    read = lee_sheets.spreadsheets().values().batchGet(spreadsheetId=sheet, **read_params())
    assert read.execute()["valueRanges"][0]["values"][3][0] == "S01"  # Lee can read it now

    env.fake.log.clear()
    calls = len(env.log)
    out = remove_contact(
        env.registry.get(created.map_id),
        LEE,
        workspace=env.workspace,
        registry=env.registry,
        today=date(2026, 3, 4),
    )
    assert len(env.log) == calls + 2  # a batch of permissions.list, one of permissions.delete
    assert [c.method for c in env.fake.calls("drive.permissions")] == [
        "drive.permissions.list",
        "drive.permissions.list",
        "drive.permissions.delete",
        "drive.permissions.delete",
    ]
    assert out.revoked == [LEE] and out.failed == []
    assert _perms(env, sheet) == {(REP, "writer"), (BUYER, "writer")}
    assert _perms(env, doc) == {(REP, "writer"), (BUYER, "commenter")}
    with pytest.raises(HttpError) as err:
        lee_sheets.spreadsheets().values().batchGet(spreadsheetId=sheet, **read_params()).execute()
    assert err.value.resp.status == 404
    with pytest.raises(HttpError) as err:
        lee_drive.files().get(fileId=doc, supportsAllDrives=True).execute()
    assert err.value.resp.status == 404
    assert _plan_row(env.grids(sheet, as_buyer=True), "S01")[0] == "S01"  # Dana still reads it
    assert _states(env, created.map_id) == {BUYER: "shared", LEE: "revoked"}
    assert [c["email"] for c in env.registry.get(created.map_id).buyer_contacts] == [BUYER]


# --- 4. the .xlsx round trip ------------------------------------------------------------

EXCEL_DUE = date(2026, 3, 27)  # S02's new due date, typed in Excel
NEW_DUE = date(2026, 4, 10)  # the due date of the row added at the bottom in Excel
NEW_STEP = "Security questionnaire answered"
COPY_NOTE = "Legal wants a redline first"
LIVE_NOTE = "Waiting on our CISO"


def _returned_copy(data: bytes) -> bytes:
    """The exported copy as a buyer edits it in Excel and saves it."""
    wb = load_workbook(io.BytesIO(data))
    plan = wb["Plan"]  # S01 is Excel row 4: ID A, Due date F, Status H, Notes J
    assert [plan[f"A{r}"].value for r in (4, 5, 6)] == ["S01", "S02", "S03"]
    plan["H4"] = "Done"
    plan["F5"] = datetime(EXCEL_DUE.year, EXCEL_DUE.month, EXCEL_DUE.day)  # a real date
    plan["J6"] = COPY_NOTE
    bottom = plan.max_row + 1
    assert plan[f"A{bottom - 1}"].value == "S14"
    for col, value in {
        "B": "Evaluate",
        "C": NEW_STEP,
        "D": "Dana Whitfield",
        "E": "Sam Rivera",
        "F": datetime(NEW_DUE.year, NEW_DUE.month, NEW_DUE.day),
        "H": "Not started",
    }.items():
        plan[f"{col}{bottom}"] = value
    people = wb["Stakeholders"]
    at = people.max_row + 1
    for col, value in zip("ABCD", ("Lee Chen", LEE, "Buyer", "Economic buyer"), strict=True):
        people[f"{col}{at}"] = value
    wb.properties.lastModifiedBy = "Dana Whitfield"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _round_trip(env: Env) -> tuple[Created, Any, Any]:
    """Export, edit the copy in Excel and the live Sheet, merge: (created, export, merged)."""
    created = _create(env)
    _shared(env, created)
    env.sync(TODAY)
    env.fake.log.clear()
    exported = export_copy(
        env.registry.get(created.map_id),
        workspace=env.workspace,
        registry=env.registry,
        today=date(2026, 3, 3),
        made_for="Northwind procurement",
    )
    assert len(env.fake.calls("drive.files.create")) == 1  # one upload
    env.fake.clock = lambda: datetime(2026, 3, 4, 8, 0)
    _buyer_edits(env, created.files.sheet, [{"range": "Plan!J6", "values": [[LIVE_NOTE]]}])
    merged = merge_copy(
        _returned_copy(exported.data),
        "MAP - Northwind Traders.xlsx",
        workspace=env.workspace,
        registry=env.registry,
        today=date(2026, 3, 5),
    )
    return created, exported, merged


def test_an_xlsx_copy_merges_into_the_live_sheet_keeping_a_conflicting_live_value(
    env: Env,
) -> None:
    created, exported, merged = _round_trip(env)
    sheet = created.files.sheet

    copy = env.fake.files[exported.ref]
    assert copy.mime_type == XLSX_MIME and copy.parents == [FOLDER]
    assert copy.app_properties["mapId"] == created.map_id
    assert copy.content == exported.data
    sent = load_workbook(io.BytesIO(copy.content))
    assert sent["Plan"]["A4"].value == "S01" and "_sync" not in sent.sheetnames

    assert merged.map_id == created.map_id and merged.export_id == exported.export_id
    assert len(merged.merge.conflicts) == 1 and merged.sync is not None
    grids = env.grids(sheet)
    s01, s02, s03 = (_plan_row(grids, s) for s in ("S01", "S02", "S03"))
    assert (s01[7], s01[11]) == ("Done", "Done")  # the status applied, health follows
    assert s02[5] == _serial(EXCEL_DUE)  # a serial number in the live Sheet...
    due_cell = env.fake.spreadsheets[sheet].sheet("Plan").cells[(4, 5)]
    assert due_cell.date_format  # ...in a cell formatted as a date: the Sheet shows the date
    assert s03[9] == LIVE_NOTE  # the conflict: the live value stays
    assert f'the copy says "{COPY_NOTE}"' in s03[16]
    assert f'the Sheet says "{LIVE_NOTE}"' in s03[16]
    added = _plan_row(grids, "S15")  # the new row, given an id by the sync
    assert (added[2], added[5]) == (NEW_STEP, _serial(NEW_DUE))
    assert grids["Plan"].index(added) == 17  # below S14, where the buyer put it

    kept = env.fake.files[merged.kept_ref]
    assert kept.parents == [FOLDER] and kept.mime_type == XLSX_MIME
    assert kept.name.startswith("returned 2026-03-05") and kept.content != exported.data
    assert load_workbook(io.BytesIO(kept.content))["Plan"]["J6"].value == COPY_NOTE

    stakeholders = [r for r in grids["Stakeholders"][3:] if r]
    assert ["Lee Chen", LEE, "Buyer", "Economic buyer"] in [r[:4] for r in stakeholders]
    people = {p.email: p for p in env.registry.people(created.map_id)}
    assert (people[LEE].state, people[LEE].source) == ("offered", "stakeholder")
    assert people[BUYER].state == "shared"
    for file_id in (sheet, created.files.doc):  # offered, not shared
        assert LEE not in {email for email, _ in _perms(env, file_id)}
    row = env.registry.get(created.map_id)
    assert row.last_buyer_editor == "Dana Whitfield"
    assert row.last_buyer_update == date(2026, 3, 5)


def test_a_due_date_on_a_row_added_in_the_copy_shows_as_a_date(env: Env) -> None:
    created, _exported, _merged = _round_trip(env)
    cell = env.fake.spreadsheets[created.files.sheet].sheet("Plan").cells[(17, 5)]
    assert cell.value == _serial(NEW_DUE)
    assert cell.date_format


# --- 5. won -----------------------------------------------------------------------------


def test_a_won_deal_gets_a_handoff_doc_and_its_plan_keeps_syncing(env: Env) -> None:
    created = _create(env, f"Dana Whitfield <{BUYER}>", desired_outcome=GOAL)
    sheet = created.files.sheet
    _shared(env, created)
    baseline = from_serial(_plan_row(env.grids(sheet), "S02")[5])
    moved = date(2026, 3, 25)
    env.fake.clock = lambda: datetime(2026, 3, 10, 9, 0)
    _buyer_edits(
        env,
        sheet,
        [
            {"range": "Plan!H4:I4", "values": [["Done", "2026-03-10"]]},
            {"range": "Plan!F5", "values": [[moved.isoformat()]]},
        ],
    )
    env.sync(date(2026, 3, 10))

    env.fake.log.clear()
    closed = close_map(
        env.registry.get(created.map_id),
        "won",
        workspace=env.workspace,
        registry=env.registry,
        today=date(2026, 3, 12),
    )
    assert [c.method for c in env.fake.calls("drive.files.create")] == ["drive.files.create"]
    handoff = env.fake.files[closed.handoff_ref]
    assert handoff.mime_type == DOC_MIME  # converted from HTML into a Google Doc
    assert handoff.parents == [FOLDER]
    assert {k: v for k, v in handoff.app_properties.items() if k != "made"} == {
        "mapApp": "file",
        "mapId": created.map_id,
        "sheetId": sheet,
    }
    html = handoff.content.decode()
    assert GOAL in html  # the buyer's goals
    timeline = html.split("The timeline as it happened", 1)[1]
    s02 = re.search(r"<tr[^>]*><td>S02 .*?</tr>", timeline, re.S)
    assert s02 is not None
    assert f"<td>{fmt(baseline)}</td><td>{fmt(moved)}</td>" in s02[0]  # first agreed vs now
    assert f"{(moved - baseline).days} days" in s02[0]
    s01 = re.search(r"<tr[^>]*><td>S01 .*?</tr>", timeline, re.S)
    assert s01 is not None and "<td>10 Mar 2026</td>" in s01[0]  # when it was really done
    row = env.registry.get(created.map_id)
    assert (row.lifecycle, row.handoff_ref, row.closed_on) == (
        "won",
        closed.handoff_ref,
        date(2026, 3, 12),
    )

    env.fake.clock = lambda: datetime(2026, 3, 13, 9, 0)
    _buyer_edits(env, sheet, [{"range": "Plan!H6", "values": [["Done"]]}])  # onboarding goes on
    report = env.sync(date(2026, 3, 13))
    assert [(r.map_id, r.outcome) for r in report.results] == [(created.map_id, "written")]
    assert _plan_row(env.grids(sheet), "S03")[11] == "Done"


# --- 6. lost ----------------------------------------------------------------------------


def test_a_lost_deal_loses_every_buyer_permission_stops_syncing_and_stays_rolled_up(
    env: Env,
) -> None:
    env.fake.users["rep-token"] = REP
    lost = _create(env, f"Dana Whitfield <{BUYER}>", f"Lee Chen <{LEE}>", deal="Lost deal")
    kept = _create(env, f"Dana Whitfield <{BUYER}>", deal="Live deal")
    _shared(env, lost)
    _shared(env, kept)
    sheet, doc = lost.files.sheet, lost.files.doc
    # The buyer shares the Sheet on their own; the rep's side has access too.
    _client(env, "drive", "v3", "buyer-token").permissions().create(
        fileId=sheet,
        body={"type": "user", "role": "reader", "emailAddress": CFO},
        sendNotificationEmail=False,
        supportsAllDrives=True,
    ).execute()
    seller = env.workspace.share(
        [Invite(REP, "writer", sheet), Invite(SE, "writer", sheet), Invite(REP, "writer", doc)],
        "Your MAP",
    )
    assert all(r.ok for r in seller)
    env.sync(TODAY)
    assert (CFO, "reader") in _perms(env, sheet)

    closed = close_map(
        env.registry.get(lost.map_id),
        "lost",
        workspace=env.workspace,
        registry=env.registry,
        today=date(2026, 3, 9),
        note="went with a competitor",
    )
    assert sorted(closed.access.revoked) == [CFO, BUYER, LEE] and closed.access.failed == []
    assert _perms(env, sheet) == {(REP, "writer"), (SE, "writer")}
    assert _perms(env, doc) == {(REP, "writer")}
    with pytest.raises(HttpError) as err:
        env.grids(sheet, as_buyer=True)  # Dana's own client
    assert err.value.resp.status == 404
    assert _states(env, lost.map_id) == {BUYER: "revoked", CFO: "revoked", LEE: "revoked"}
    row = env.registry.get(lost.map_id)
    assert (row.lifecycle, row.closed_note) == ("lost", "went with a competitor")
    assert _plan_row(env.grids(kept.files.sheet), "S01")  # the other deal is untouched

    # The rep still edits the lost MAP; a sync would have to read it. It does not.
    env.fake.clock = lambda: datetime(2026, 3, 10, 9, 0)
    _buyer_edits(env, sheet, [{"range": "Plan!H4", "values": [["Done"]]}], token="rep-token")
    version = env.fake.files[sheet].version
    read_version = row.last_read_version
    env.fake.log.clear()
    report = env.sync(date(2026, 3, 10))
    assert [r.map_id for r in report.results] == [kept.map_id]
    assert [c.method for c in env.fake.calls()] == [
        "drive.files.list",
        "sheets.spreadsheets.values.batchUpdate",  # the live deal's new day: no read
        "sheets.spreadsheets.values.batchUpdate",  # the roll-up
    ]
    assert env.fake.files[sheet].version == version  # nothing written to the lost MAP
    assert env.registry.get(lost.map_id).last_read_version == read_version

    ref = write_rollup(env.workspace, env.registry, date(2026, 3, 10))
    assert ref == report.rollup_ref
    deals = {r["Deal"]: r for r in _rollup(env, ref)}
    assert deals["Lost deal"]["State"] == "lost"
    assert deals["Live deal"]["State"] == "shared"
    assert list(deals) == ["Live deal", "Lost deal"]  # closed below the open ones


def _lose(env: Env, created: Created) -> None:
    close_map(
        env.registry.get(created.map_id),
        "lost",
        workspace=env.workspace,
        registry=env.registry,
        today=date(2026, 3, 9),
    )


def test_a_lost_deal_also_loses_the_link_and_domain_shares_a_buyer_turned_on(env: Env) -> None:
    created = _create(env, f"Dana Whitfield <{BUYER}>")
    _shared(env, created)
    sheet = created.files.sheet
    buyer_drive = _client(env, "drive", "v3", "buyer-token")
    for body in (
        {"type": "anyone", "role": "reader"},
        {"type": "domain", "role": "reader", "domain": "northwind.example.com"},
        {"type": "domain", "role": "reader", "domain": "seller.example.com"},  # the seller's
    ):
        buyer_drive.permissions().create(fileId=sheet, body=body, supportsAllDrives=True).execute()
    _lose(env, created)
    left = [(p["type"], p.get("domain", "")) for p in env.fake.files[sheet].every_permission()]
    assert left == [("user", ""), ("domain", "seller.example.com")]  # owner and seller side


def test_a_revoked_link_share_is_not_recorded_as_a_person(env: Env) -> None:
    created = _create(env, f"Dana Whitfield <{BUYER}>")
    _shared(env, created)
    buyer_drive = _client(env, "drive", "v3", "buyer-token")
    buyer_drive.permissions().create(
        fileId=created.files.sheet,
        body={"type": "anyone", "role": "reader"},
        supportsAllDrives=True,
    ).execute()
    _lose(env, created)
    assert _states(env, created.map_id) == {BUYER: "revoked"}


def test_a_lost_deal_revokes_past_the_first_page_of_permissions(env: Env) -> None:
    created = _create(env, f"Dana Whitfield <{BUYER}>")
    _shared(env, created)
    sheet = created.files.sheet
    for i in range(110):  # the buyer shared the Sheet with a whole department
        env.fake.files[sheet].permissions.append(
            {
                "kind": "drive#permission",
                "id": f"perm-team-{i}",
                "type": "user",
                "role": "reader",
                "emailAddress": f"team{i}@northwind.example.com",
            }
        )
    _lose(env, created)
    assert _perms(env, sheet) == {(REP, "writer")}


# --- 7. a Shared Drive ------------------------------------------------------------------


def test_in_a_shared_drive_every_file_is_the_drives_and_reassign_shares_with_the_new_rep(
    env: Env,
) -> None:
    created = _create(env, f"Dana Whitfield <{BUYER}>")
    _shared(env, created)
    exported = export_copy(
        env.registry.get(created.map_id),
        workspace=env.workspace,
        registry=env.registry,
        today=date(2026, 3, 3),
    )
    closed = close_map(
        env.registry.get(created.map_id),
        "won",
        workspace=env.workspace,
        registry=env.registry,
        today=date(2026, 3, 4),
    )
    rollup = env.sync(date(2026, 3, 4)).rollup_ref
    files = {
        "sheet": created.files.sheet,
        "doc": created.files.doc,
        "handoff": closed.handoff_ref,
        "copy": exported.ref,
        "roll-up": rollup,
    }
    for what, file_id in files.items():
        found = env.fake.files[file_id]
        assert found.parents == [FOLDER], what
        assert found.owner is None, what  # owned by the drive
        assert "owner" not in {role for _, role in _perms(env, file_id)}, what
    assert env.fake.files[closed.handoff_ref].mime_type == DOC_MIME

    env.fake.log.clear()
    calls = len(env.log)
    moved = reassign(
        env.registry.get(created.map_id),
        "Alex Kim <alex@seller.example.com>",
        workspace=env.workspace,
        registry=env.registry,
    )
    assert len(env.log) == calls + 1  # one batch
    assert (moved.old, moved.new, moved.shared) == (REP, "alex@seller.example.com", True)
    for file_id in (created.files.sheet, created.files.doc, closed.handoff_ref):
        assert ("alex@seller.example.com", "writer") in _perms(env, file_id)
    row = env.registry.get(created.map_id)
    assert (row.rep_email, row.rep_name) == ("alex@seller.example.com", "Alex Kim")
    assert row.rollup["rep"] == "Alex Kim"
    ref = write_rollup(env.workspace, env.registry, date(2026, 3, 4))
    assert ref == rollup
    (deal,) = _rollup(env, ref)
    assert (deal["Deal"], deal["Rep"], deal["State"]) == ("Analytics rollout", "Alex Kim", "won")
