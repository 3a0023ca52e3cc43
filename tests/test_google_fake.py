"""The Google fake speaks the real wire format: google-api-python-client talks to it over
HTTP on loopback, and it refuses what Google refuses. These tests pin the behaviours the
Google workspace will rely on."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from tests.googlefake.server import FakeGoogle, serve


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with serve() as server:
        # A person, not a service account: only a person's spreadsheets.create has a My
        # Drive to land in (Drive "Shared drives overview").
        server.users = {"ya29.test-token": "tess@seller.example.com"}
        yield server


def sheets_client(fake: FakeGoogle, token: str | None = "ya29.test-token") -> Any:
    credentials = Credentials(token=token) if token else None
    return build(
        "sheets",
        "v4",
        credentials=credentials,
        static_discovery=True,
        client_options={"api_endpoint": fake.url},
        cache_discovery=False,
    )


def _cell(value: Any) -> dict[str, Any]:
    key = {str: "stringValue", bool: "boolValue"}.get(type(value), "numberValue")
    return {"userEnteredValue": {key: value}}


def _create(client: Any, rows: list[list[Any]], title: str = "Plan 2") -> str:
    body = {
        "properties": {"title": "MAP", "locale": "en_US", "timeZone": "Europe/Berlin"},
        "sheets": [
            {
                "properties": {
                    "title": title,
                    "gridProperties": {"rowCount": 50, "columnCount": 10},
                },
                "data": [
                    {
                        "startRow": 0,
                        "startColumn": 0,
                        "rowData": [
                            {"values": [_cell(v) if v is not None else {} for v in row]}
                            for row in rows
                        ],
                    }
                ],
            }
        ],
    }
    created = client.spreadsheets().create(body=body).execute()
    assert created["sheets"][0]["properties"]["title"] == title
    return str(created["spreadsheetId"])


def test_batch_get_has_googles_shapes(fake: FakeGoogle) -> None:
    client = sheets_client(fake)
    sid = _create(
        client,
        [
            ["ID", "Step", "Due date"],
            ["S01", "Kickoff", 46096, None],
            [None, None, None],
            ["S02", "", None],
        ],
    )
    got = (
        client.spreadsheets()
        .values()
        .batchGet(
            spreadsheetId=sid,
            ranges=["'Plan 2'!A1:J10", "'Plan 2'!E20:F30"],
            valueRenderOption="UNFORMATTED_VALUE",
            dateTimeRenderOption="SERIAL_NUMBER",
        )
        .execute()
    )
    first, empty = got["valueRanges"]
    assert first["range"] == "'Plan 2'!A1:J10"
    assert first["values"] == [
        ["ID", "Step", "Due date"],
        ["S01", "Kickoff", 46096],
        [],
        ["S02"],
    ]  # trailing cells dropped, blank row [], serial date
    assert "values" not in empty  # an empty range has no values key


def test_raw_text_stays_text_and_user_entered_makes_a_formula(fake: FakeGoogle) -> None:
    client = sheets_client(fake)
    sid = _create(client, [["ID"]])
    values = client.spreadsheets().values()
    body = {
        "valueInputOption": "RAW",
        "data": [{"range": "'Plan 2'!A2", "values": [['=IMPORTXML("x","y")', None]]}],
    }
    result = values.batchUpdate(spreadsheetId=sid, body=body).execute()
    assert result["totalUpdatedCells"] == 1  # a null leaves its cell alone
    body["valueInputOption"] = "USER_ENTERED"
    body["data"][0]["range"] = "'Plan 2'!A3"
    values.batchUpdate(spreadsheetId=sid, body=body).execute()
    got = values.batchGet(
        spreadsheetId=sid, ranges=["'Plan 2'!A2:A3"], valueRenderOption="FORMULA"
    ).execute()["valueRanges"][0]["values"]
    assert got == [['=IMPORTXML("x","y")'], ['=IMPORTXML("x","y")']]
    unformatted = values.batchGet(
        spreadsheetId=sid, ranges=["'Plan 2'!A2:A3"], valueRenderOption="UNFORMATTED_VALUE"
    ).execute()
    assert unformatted["valueRanges"][0]["values"] == [['=IMPORTXML("x","y")']]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda v, sid: v.batchUpdate(
                spreadsheetId=sid,
                body={
                    "valueInputOption": "RAW",
                    "data": [{"range": "A1", "values": [[1]], "colour": 1}],
                },
            ),
            "Invalid JSON payload received. Unknown name \"colour\" at 'data[0]': Cannot find "
            "field.",
        ),
        (
            lambda v, sid: v.batchUpdate(
                spreadsheetId=sid, body={"valueInputOption": "TYPED", "data": []}
            ),
            "Invalid value at 'valueInputOption' (TYPE_ENUM), \"TYPED\"",
        ),
        (
            lambda v, sid: v.batchUpdate(
                spreadsheetId=sid,
                body={"valueInputOption": "RAW", "includeValuesInResponse": "yes"},
            ),
            "Invalid value at 'includeValuesInResponse' (TYPE_BOOLEAN), \"yes\"",
        ),
        (
            lambda v, sid: v.batchUpdate(
                spreadsheetId=sid,
                body={
                    "valueInputOption": "RAW",
                    "data": [{"range": "'Plan 2'!A60", "values": [[1]]}],
                },
            ),
            "Range ('Plan 2'!A60) exceeds grid limits. Max rows: 50, max columns: 10",
        ),
    ],
)
def test_what_google_refuses_answers_400(fake: FakeGoogle, call: Any, message: str) -> None:
    client = sheets_client(fake)
    sid = _create(client, [["ID"]])
    with pytest.raises(HttpError) as err:
        call(client.spreadsheets().values(), sid).execute()
    assert err.value.resp.status == 400
    assert err.value.error_details == message or message in str(err.value)


def test_missing_credentials_answer_401(fake: FakeGoogle) -> None:
    client = build(
        "sheets",
        "v4",
        static_discovery=True,
        developerKey="k",
        client_options={"api_endpoint": fake.url},
    )
    with pytest.raises(HttpError) as err:
        client.spreadsheets().get(spreadsheetId="x").execute()
    assert err.value.resp.status == 401


@pytest.mark.parametrize("status", [429, 500])
def test_injected_faults_are_retried_by_the_client(
    fake: FakeGoogle, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("googleapiclient.http.random.random", lambda: 0.0)  # no backoff wait
    client = sheets_client(fake)
    sid = _create(client, [["ID"]])
    fake.fail("sheets.spreadsheets.values.batchGet", status, times=2)
    request = client.spreadsheets().values().batchGet(spreadsheetId=sid, ranges=["A1"])
    with pytest.raises(HttpError):
        request.execute()
    assert request.execute(num_retries=3)["valueRanges"][0]["values"] == [["ID"]]
    assert [c.status for c in fake.log if c.method.endswith("batchGet")] == [status, status, 200]


def test_a_sort_moves_values_not_rows(fake: FakeGoogle) -> None:
    client = sheets_client(fake)
    sid = _create(client, [["ID", "Step"], ["S02", "b"], ["S01", "a"], ["S03", "c"]])
    sheet_id = (
        client.spreadsheets().get(spreadsheetId=sid).execute()["sheets"][0]["properties"]["sheetId"]
    )
    client.spreadsheets().batchUpdate(
        spreadsheetId=sid,
        body={
            "requests": [
                {
                    "sortRange": {
                        "range": {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": 4},
                        "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "ASCENDING"}],
                    }
                },
                {
                    "insertDimension": {
                        "range": {
                            "sheetId": sheet_id,
                            "dimension": "ROWS",
                            "startIndex": 2,
                            "endIndex": 3,
                        }
                    }
                },
            ]
        },
    ).execute()
    got = (
        client.spreadsheets()
        .values()
        .batchGet(spreadsheetId=sid, ranges=["'Plan 2'"], valueRenderOption="UNFORMATTED_VALUE")
        .execute()["valueRanges"][0]
    )
    assert got["values"] == [["ID", "Step"], ["S01", "a"], [], ["S02", "b"], ["S03", "c"]]
    assert got["range"] == "'Plan 2'!A1:J51"


def test_every_request_is_logged_for_the_call_budget(fake: FakeGoogle) -> None:
    client = sheets_client(fake)
    sid = _create(client, [["ID"]])
    client.spreadsheets().values().batchGet(spreadsheetId=sid, ranges=["A1"]).execute()
    assert [c.method for c in fake.calls("sheets.")] == [
        "sheets.spreadsheets.create",
        "sheets.spreadsheets.values.batchGet",
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "ranges=A1&valueRenderOption=RAW",
            "Invalid value at 'valueRenderOption' (TYPE_ENUM), \"RAW\"",
        ),
        (
            "ranges=A1&colour=red",
            'Invalid JSON payload received. Unknown name "colour": Cannot bind query '
            "parameter. Field 'colour' could not be found in request message.",
        ),
        (
            "ranges=A1&majorDimension=ROWS&majorDimension=COLUMNS",
            "Invalid value at 'majorDimension': only one value allowed.",
        ),
    ],
)
def test_query_parameters_are_checked_like_google(
    fake: FakeGoogle, query: str, message: str
) -> None:
    """Raw HTTP: the client library would refuse some of these before sending."""
    sid = _create(sheets_client(fake), [["ID"]])
    request = urllib.request.Request(
        f"{fake.url}v4/spreadsheets/{sid}/values:batchGet?{query}",
        headers={"Authorization": "Bearer ya29.test-token"},
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    body = json.loads(err.value.read())
    assert err.value.code == 400
    assert body == {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}
