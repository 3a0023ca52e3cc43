"""The MAP Sheet built for Google: made by Drive in the Shared Drive, built by one
batchUpdate the Sheets schema accepts, read back by the parser, in any locale."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from addon.google.clients import service
from addon.plan.memory import advance
from addon.plan.parse import parse_map
from addon.plan.schedule import Contact, build_plan
from addon.plan.status import compute
from addon.registry.models import MapRow
from addon.registry.store import info_of
from addon.sync import computed_cells
from addon.workspace.base import ComputedWrite, MapDraft
from addon.workspace.google_sheet import (
    COMPUTED_CELL,
    COMPUTED_HEADER,
    RESOURCE_TAB,
    SHEET_IDS,
    SYNC_TAB,
    build_requests,
    create_body,
    grids_of,
    lookup_formula,
    read_params,
    resource_table,
    separator,
    write_body,
)
from sheets_schema.template import load_templates
from sheets_schema.workbook import PLAN, RESOURCES, SUMMARY, SUMMARY_FIELDS
from tests.google_env import DRIVE, FOLDER, SERVICE
from tests.googlefake.server import FakeGoogle, serve

TODAY = date(2026, 3, 2)


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with serve() as server:
        server.users = {"t": SERVICE}
        server.add_shared_drive(DRIVE, "Sales", {SERVICE: "fileOrganizer"})
        server.add_folder(FOLDER, DRIVE, "MAPs")
        yield server


def _made(fake: FakeGoogle, draft: MapDraft) -> str:
    """The MAP Sheet as the workspace makes it: an empty Sheet from Drive in the folder,
    then the one batchUpdate that builds it."""
    drive = service("drive", "v3", Credentials(token="t"), root_url=fake.url)
    made = (
        drive.files()
        .create(
            body={
                "name": "MAP",
                "mimeType": "application/vnd.google-apps.spreadsheet",
                "parents": [FOLDER],
            },
            supportsAllDrives=True,
        )
        .execute()
    )
    requests = build_requests(create_body(draft))
    _client(fake).spreadsheets().batchUpdate(
        spreadsheetId=made["id"], body={"requests": requests}
    ).execute()
    return str(made["id"])


def _draft(locale: str = "en_GB") -> MapDraft:
    row = MapRow(
        id="MAP-1",
        deal="Analytics rollout",
        buyer_company="Northwind's Traders",
        target_close=date(2026, 5, 29),
        close_reason="budget",
        desired_outcome="Faster",
        template="mid_market",
        rep_name="Sam Rivera",
        rep_email="sam@seller.example.com",
        created_on=TODAY,
        locale=locale,
        time_zone="Europe/London",
    )
    plan = build_plan(
        load_templates()["mid_market"],
        target_close=date(2026, 5, 29),
        today=TODAY,
        buyer_contacts=[Contact("dana@buyer.example.com", "Dana")],
        rep=Contact("sam@seller.example.com", "Sam Rivera"),
    )
    return MapDraft(info_of(row), plan, lambda link, name: "", "northwind")


def _client(fake: FakeGoogle) -> Any:
    return build(
        "sheets",
        "v4",
        credentials=Credentials(token="t"),
        static_discovery=True,
        client_options={"api_endpoint": fake.url},
    )


def test_the_whole_sheet_is_one_batch_update_google_accepts(fake: FakeGoogle) -> None:
    sid = _made(fake, _draft())
    created = _client(fake).spreadsheets().get(spreadsheetId=sid).execute()
    assert [s["properties"]["title"] for s in created["sheets"]] == [
        "Plan",
        "Stakeholders",
        "Resources",
        "Risks",
        "Decision criteria",
        "Summary",
        SYNC_TAB,
        RESOURCE_TAB,
    ]
    assert created["properties"]["locale"] == "en_GB"
    assert created["properties"]["timeZone"] == "Europe/London"
    assert [c.method for c in fake.calls()] == [
        "drive.files.create",
        "sheets.spreadsheets.batchUpdate",
        "sheets.spreadsheets.get",
    ]


def test_dropdowns_are_not_strict_and_protection_only_warns() -> None:
    body = create_body(_draft())
    plan = body["sheets"][0]
    status = plan["data"][0]["rowData"][3]["values"][7]
    assert status["dataValidation"]["strict"] is False
    assert status["dataValidation"]["condition"]["type"] == "ONE_OF_LIST"
    assert all(p["warningOnly"] for s in body["sheets"] for p in s["protectedRanges"])
    due = plan["data"][0]["rowData"][3]["values"][5]
    assert due["userEnteredFormat"]["numberFormat"] == {"type": "DATE", "pattern": "d mmm yyyy"}
    health = plan["data"][0]["rowData"][2]["values"][11]["userEnteredValue"]["formulaValue"]
    assert health.startswith('={"Health";ARRAYFORMULA(IF($A4:$A="","",IFERROR(VLOOKUP($A4:$A,')


def test_buyer_text_is_never_sent_as_a_formula() -> None:
    draft = _draft()
    body = create_body(draft)
    strings = [
        c["userEnteredValue"]
        for s in body["sheets"]
        for r in s["data"][0]["rowData"]
        for c in r["values"]
        if "userEnteredValue" in c
    ]
    formulas = [v["formulaValue"] for v in strings if "formulaValue" in v]
    assert all(f.startswith('={"') and "ARRAYFORMULA(IF(" in f for f in formulas)
    assert len(formulas) == 7  # one per computed column (the Plan's six, Sync note on
    # Resources), nothing else


def test_what_google_returns_parses_into_the_same_plan(fake: FakeGoogle) -> None:
    draft = _draft()
    client = _client(fake)
    sid = _made(fake, draft)
    answer = client.spreadsheets().values().batchGet(spreadsheetId=sid, **read_params()).execute()
    grids = grids_of(answer)
    assert set(grids) == {
        "Plan",
        "Stakeholders",
        "Resources",
        "Risks",
        "Decision criteria",
        "Summary",
        SYNC_TAB,
        RESOURCE_TAB,
    }
    parsed = parse_map(grids, today=TODAY, locale="en_GB", plan_start=TODAY)
    assert [(s.id, s.due, s.depends_on) for s in parsed.steps] == [
        (s.id, s.due, s.depends_on) for s in draft.plan.steps
    ]
    assert [p for p in parsed.problems if p.kind.value == "unreadable"] == []
    assert parsed.stakeholders[0].email == "dana@buyer.example.com"


def _read(client: Any, sid: str) -> dict[str, Any]:
    answer = client.spreadsheets().values().batchGet(spreadsheetId=sid, **read_params()).execute()
    return grids_of(answer)


def _computed(grids: dict[str, Any], today: date) -> tuple[Any, ComputedWrite]:
    parsed = parse_map(grids, today=today, locale="en_GB", plan_start=TODAY)
    memory, _ = advance({}, parsed, today)
    status = compute(parsed, memory, target_close=date(2026, 5, 29), today=today)
    return parsed, ComputedWrite(
        rows=computed_cells(parsed, status, {}), ids=parsed.id_assignments, today=today
    )


SORT = {
    "sortRange": {
        "range": {"sheetId": 1000, "startRowIndex": 3, "endRowIndex": 17},
        "sortSpecs": [{"dimensionIndex": 2, "sortOrder": "DESCENDING"}],
    }
}
INSERT = {
    "insertDimension": {
        "range": {"sheetId": 1000, "dimension": "ROWS", "startIndex": 6, "endIndex": 8}
    }
}
DELETE = {
    "deleteDimension": {
        "range": {"sheetId": 1000, "dimension": "ROWS", "startIndex": 7, "endIndex": 9}
    }
}


@pytest.mark.parametrize("buyer_change", [SORT, INSERT, DELETE], ids=["sort", "insert", "delete"])
def test_computed_values_land_on_the_right_rows_after_a_change_between_read_and_write(
    fake: FakeGoogle, buyer_change: dict[str, Any]
) -> None:
    client = _client(fake)
    sid = _made(fake, _draft())
    values = client.spreadsheets().values()
    values.batchUpdate(
        spreadsheetId=sid,
        body={
            "valueInputOption": "RAW",
            "data": [
                {"range": "Plan!F4", "values": [[46060]]},  # S01 overdue on the 10th
                {"range": "Plan!H5", "values": [["Done"]]},
            ],
        },
    ).execute()
    today = date(2026, 3, 10)
    _, write = _computed(_read(client, sid), today)  # our read
    client.spreadsheets().batchUpdate(
        spreadsheetId=sid, body={"requests": [buyer_change]}
    ).execute()  # the buyer
    before = _read(client, sid)["Plan"]
    values.batchUpdate(spreadsheetId=sid, body=write_body(write)).execute()  # our write
    after = _read(client, sid)["Plan"]
    editable = [i for i, c in enumerate(PLAN.columns) if c.editable]
    for r, row in enumerate(after):  # the write changed no buyer-editable cell
        old = before[r] if r < len(before) else []
        assert [row[i] if i < len(row) else "" for i in editable] == [
            old[i] if i < len(old) else "" for i in editable
        ]
    health = PLAN.keys.index("health")
    shown = {row[0]: row[health] for row in after[3:] if row and row[0]}
    assert shown == {sid_: write.rows[sid_]["health"] for sid_ in shown}
    assert shown["S01"] == "Overdue" and shown["S02"] == "Done"
    assert len(fake.calls("sheets.spreadsheets.values.batchUpdate")) == 2


def test_a_value_typed_under_a_computed_column_shows_googles_ref_error(fake: FakeGoogle) -> None:
    client = _client(fake)
    sid = _made(fake, _draft())
    client.spreadsheets().values().batchUpdate(
        spreadsheetId=sid,
        body={
            "valueInputOption": "USER_ENTERED",
            "data": [{"range": "Plan!L7", "values": [["waiting on legal"]]}],
        },
    ).execute()
    plan = _read(client, sid)["Plan"]
    assert plan[2][11] == "#REF!" and plan[6][11] == "waiting on legal"


@pytest.mark.parametrize(
    ("locale", "sep"),
    [("en_US", ","), ("en_GB", ","), ("de_DE", ";"), ("fr_FR", ";"), ("pt_BR", ";")],
)
def test_formulas_parse_in_the_sheets_own_locale(fake: FakeGoogle, locale: str, sep: str) -> None:
    assert separator(locale) == sep
    assert lookup_formula("Health", 2, locale).count(sep) >= 6
    client = _client(fake)
    sid = _made(fake, _draft(locale))
    client.spreadsheets().values().batchUpdate(
        spreadsheetId=sid,
        body={"valueInputOption": "RAW", "data": [{"range": "Plan!H5", "values": [["Done"]]}]},
    ).execute()
    grids = _read(client, sid)
    _, write = _computed(grids, TODAY)
    client.spreadsheets().values().batchUpdate(spreadsheetId=sid, body=write_body(write)).execute()
    plan = _read(client, sid)["Plan"]
    computed = [c.header for c in PLAN.columns if c.computed]
    assert [plan[2][i] for i, c in enumerate(PLAN.columns) if c.computed] == computed
    assert "#ERROR!" not in str(plan)
    assert plan[4][PLAN.keys.index("health")] == "Done"
    # The Resources Sync note's formula parses in the same locale and shows a row's note.
    note = RESOURCES.keys.index("sync_note")
    client.spreadsheets().values().batchUpdate(
        spreadsheetId=sid,
        body=write_body(
            replace(write, resources={"title:soc 2 type ii report": "add the link"}),
            resources=resource_table(
                {"title:soc 2 type ii report": "add the link"}, [("SOC 2 Type II report", None)]
            ),
        ),
    ).execute()
    tab = _read(client, sid)["Resources"]
    assert tab[2][note] == "Sync note"
    assert tab[3][0] == "SOC 2 Type II report" and tab[3][note] == "add the link"
    assert all(len(row) <= note or not row[note] for row in tab[4:])


def test_the_resources_tab_is_built_like_the_others() -> None:
    """Dropdowns for Kind and Side, a whole-column date format for Shared on, header notes,
    and the grey computed Sync note column protected with a warning, not a lock."""
    body = create_body(_draft())
    tab = next(t for t in body["sheets"] if t["properties"]["title"] == "Resources")
    assert tab["properties"]["sheetId"] == SHEET_IDS["Resources"] == 2500
    assert [t["properties"]["title"] for t in body["sheets"]][1:4] == [
        "Stakeholders",
        "Resources",
        "Risks",
    ]
    rows = tab["data"][0]["rowData"]
    header, first = rows[2]["values"], rows[3]["values"]
    for key in ("kind", "side"):
        rule = first[RESOURCES.keys.index(key)]["dataValidation"]
        assert rule["strict"] is False
        assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == list(
            RESOURCES.column(key).validation
        )
    assert header[RESOURCES.keys.index("link")]["note"] == RESOURCES.column("link").note
    note = RESOURCES.keys.index("sync_note")
    assert header[note]["userEnteredFormat"] == COMPUTED_HEADER
    assert "formulaValue" in header[note]["userEnteredValue"]
    assert (
        first[note]["userEnteredFormat"] == COMPUTED_CELL and "userEnteredValue" not in first[note]
    )
    assert [(p["range"]["startColumnIndex"], p["warningOnly"]) for p in tab["protectedRanges"]] == [
        (note, True)
    ]
    shared_on = RESOURCES.keys.index("shared_on")
    assert any(
        r.get("repeatCell", {}).get("range")
        == {
            "sheetId": 2500,
            "startRowIndex": RESOURCES.header_row,
            "endRowIndex": 500,
            "startColumnIndex": shared_on,
            "endColumnIndex": shared_on + 1,
        }
        for r in build_requests(body)
    )


def test_a_comma_formula_is_a_parse_error_in_a_comma_decimal_sheet(fake: FakeGoogle) -> None:
    """What happened before: the en_US formula in a de_DE Sheet shows #ERROR!."""
    client = _client(fake)
    sid = _made(fake, _draft("de_DE"))
    client.spreadsheets().batchUpdate(
        spreadsheetId=sid,
        body={
            "requests": [
                {
                    "updateCells": {
                        "start": {"sheetId": 1000, "rowIndex": 2, "columnIndex": 11},
                        "rows": [
                            {
                                "values": [
                                    {
                                        "userEnteredValue": {
                                            "formulaValue": lookup_formula("Health", 2, "en_US")
                                        }
                                    }
                                ]
                            }
                        ],
                        "fields": "userEnteredValue",
                    }
                }
            ]
        },
    ).execute()
    assert _read(client, sid)["Plan"][2][11] == "#ERROR!"


def test_dates_show_as_dates_on_every_row_and_the_summary(fake: FakeGoogle) -> None:
    """Whole-column formats: a date written RAW on a row the buyer added shows as a
    date, as do the Summary's dates (FORMATTED_VALUE is what a person sees)."""
    client = _client(fake)
    sid = _made(fake, _draft())
    _, write = _computed(_read(client, sid), TODAY)
    body = write_body(write)
    first = SUMMARY.header_row + 1
    keys = [f.key for f in SUMMARY_FIELDS]
    target = f"Summary!B{first + keys.index('target_close')}"
    synced = f"Summary!B{first + keys.index('last_sync')}"
    body["data"] += [{"range": "Plan!F40", "values": [[46171]]}]  # a row far below the plan
    body["data"] += [{"range": target, "values": [[46171]]}, {"range": synced, "values": [[46083]]}]
    client.spreadsheets().values().batchUpdate(spreadsheetId=sid, body=body).execute()
    shown = (
        client.spreadsheets()
        .values()
        .batchGet(spreadsheetId=sid, ranges=["Plan!F40", target, synced])
        .execute()
    )
    assert [r["values"] for r in shown["valueRanges"]] == [
        [["29 May 2026"]],
        [["29 May 2026"]],
        [["2 Mar 2026"]],
    ]
    unformatted = (
        client.spreadsheets().values().batchGet(spreadsheetId=sid, ranges=["Plan!G40"]).execute()
    )  # a column that is not a date: a number stays a number
    assert "values" not in unformatted["valueRanges"][0]
