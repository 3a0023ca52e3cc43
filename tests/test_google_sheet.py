"""The MAP Sheet built for Google: accepted by the Sheets schema, read back by the parser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from addon.plan.parse import parse_map
from addon.plan.schedule import Contact, build_plan
from addon.registry.models import MapRow
from addon.registry.store import info_of
from addon.workspace.base import MapDraft
from addon.workspace.google_sheet import SYNC_TAB, create_body, grids_of, read_ranges
from sheets_schema.template import load_templates
from tests.googlefake.server import FakeGoogle, serve

TODAY = date(2026, 3, 2)


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with serve() as server:
        yield server


def _draft() -> MapDraft:
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
        locale="en_GB",
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


def test_the_whole_sheet_is_one_create_google_accepts(fake: FakeGoogle) -> None:
    body = create_body(_draft())
    created = _client(fake).spreadsheets().create(body=body).execute()
    assert [s["properties"]["title"] for s in created["sheets"]] == [
        "Plan",
        "Stakeholders",
        "Risks",
        "Decision criteria",
        "Summary",
        SYNC_TAB,
    ]
    assert created["properties"]["locale"] == "en_GB"
    assert created["properties"]["timeZone"] == "Europe/London"
    assert [c.method for c in fake.calls()] == ["sheets.spreadsheets.create"]


def test_dropdowns_are_not_strict_and_protection_only_warns() -> None:
    body = create_body(_draft())
    plan = body["sheets"][0]
    status = plan["data"][0]["rowData"][3]["values"][7]
    assert status["dataValidation"]["strict"] is False
    assert status["dataValidation"]["condition"]["type"] == "ONE_OF_LIST"
    assert all(p["warningOnly"] for s in body["sheets"] for p in s["protectedRanges"])
    due = plan["data"][0]["rowData"][3]["values"][5]
    assert due["userEnteredFormat"]["numberFormat"] == {"type": "DATE", "pattern": "d mmm yyyy"}
    health = plan["data"][0]["rowData"][3]["values"][11]["userEnteredValue"]["formulaValue"]
    assert health.startswith('=ARRAYFORMULA(IF($A4:$A="","",IFERROR(VLOOKUP($A4:$A,_sync!')


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
    assert all(f.startswith("=ARRAYFORMULA(IF($A4:$A") for f in formulas)
    assert len(formulas) == 6  # one per computed column, nothing else


def test_what_google_returns_parses_into_the_same_plan(fake: FakeGoogle) -> None:
    draft = _draft()
    client = _client(fake)
    sid = client.spreadsheets().create(body=create_body(draft)).execute()["spreadsheetId"]
    answer = (
        client.spreadsheets()
        .values()
        .batchGet(
            spreadsheetId=sid,
            ranges=read_ranges(),
            valueRenderOption="UNFORMATTED_VALUE",
            dateTimeRenderOption="SERIAL_NUMBER",
        )
        .execute()
    )
    grids = grids_of(answer)
    assert set(grids) == {"Plan", "Stakeholders", "Risks", "Decision criteria", "Summary", SYNC_TAB}
    parsed = parse_map(grids, today=TODAY, locale="en_GB", plan_start=TODAY)
    assert [(s.id, s.due, s.depends_on) for s in parsed.steps] == [
        (s.id, s.due, s.depends_on) for s in draft.plan.steps
    ]
    assert [p for p in parsed.problems if p.kind.value == "unreadable"] == []
    assert parsed.stakeholders[0].email == "dana@buyer.example.com"
