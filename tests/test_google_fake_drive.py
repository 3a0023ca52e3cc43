"""The fake's Drive side, through google-api-python-client over HTTP on loopback."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from addon.google.clients import service
from tests.googlefake.drive import DOCUMENT, SPREADSHEET
from tests.googlefake.server import FakeGoogle, serve


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with serve() as server:
        server.users = {
            "rep-token": "sam@seller.example.com",
            "buyer-token": "dana@buyer.example.com",
        }
        server.add_shared_drive("0ASales", "Sales", {"sam@seller.example.com": "fileOrganizer"})
        server.add_folder("shared-drive-1", "0ASales", "MAPs")
        yield server


def client(fake: FakeGoogle, api: str, version: str, token: str = "rep-token") -> Any:
    return service(api, version, Credentials(token=token), root_url=fake.url)


def test_html_uploaded_as_a_google_doc_in_one_call(fake: FakeGoogle) -> None:
    drive = client(fake, "drive", "v3")
    media = MediaIoBaseUpload(io.BytesIO(b"<h1>Our plan</h1>"), mimetype="text/html")
    doc = (
        drive.files()
        .create(
            body={
                "name": "MAP doc",
                "mimeType": DOCUMENT,
                "parents": ["shared-drive-1"],
                "appProperties": {"mapId": "MAP-1"},
            },
            media_body=media,
            supportsAllDrives=True,
            fields="id,webViewLink",
        )
        .execute()
    )
    assert doc["mimeType"] == DOCUMENT and doc["parents"] == ["shared-drive-1"]
    assert fake.files[doc["id"]].content == b"<h1>Our plan</h1>"
    assert [c.method for c in fake.calls()] == ["drive.files.create"]


def test_upload_metadata_is_checked_against_the_file_schema(fake: FakeGoogle) -> None:
    drive = client(fake, "drive", "v3")
    media = MediaIoBaseUpload(io.BytesIO(b"<p>x</p>"), mimetype="text/html")
    with pytest.raises(HttpError) as err:
        drive.files().create(body={"name": "x", "colour": "red"}, media_body=media).execute()
    assert err.value.resp.status == 400
    assert 'Unknown name "colour"' in str(err.value)


def test_properties_parents_and_queries(fake: FakeGoogle) -> None:
    sheets, drive = client(fake, "sheets", "v4"), client(fake, "drive", "v3")
    sid = (
        sheets.spreadsheets()
        .create(body={"properties": {"title": "MAP"}})
        .execute()["spreadsheetId"]
    )
    [root] = drive.files().get(fileId=sid).execute()["parents"]  # made in My Drive
    drive.files().update(
        fileId=sid,
        addParents="shared-drive-1",
        removeParents=root,  # a move: one parent only
        supportsAllDrives=True,  # into a shared drive
        body={"appProperties": {"mapId": "MAP-7"}},
    ).execute()
    found = (
        drive.files()
        .list(
            q="appProperties has { key='mapId' and value='MAP-7' } and trashed = false",
            fields="files(id,version)",
            supportsAllDrives=True,
            includeItemsFromAllDrives=True,  # it is a shared drive file now
        )
        .execute()["files"]
    )
    assert [f["id"] for f in found] == [sid] and found[0]["mimeType"] == SPREADSHEET
    assert (
        drive.files()
        .list(q="appProperties has { key='mapId' and value='MAP-8' }")
        .execute()["files"]
        == []
    )
    with pytest.raises(HttpError) as err:
        drive.files().list(q="name contains 'MAP'").execute()
    assert err.value.resp.status == 400


def test_every_write_bumps_the_version_and_names_who_edited(fake: FakeGoogle) -> None:
    fake.version_step = 1  # exact steps (by default a change adds a random 1..3)
    sheets = client(fake, "sheets", "v4")
    sid = (
        sheets.spreadsheets()
        .create(body={"properties": {"title": "MAP"}})
        .execute()["spreadsheetId"]
    )
    drive = client(fake, "drive", "v3")
    first = drive.files().get(fileId=sid).execute()
    client(fake, "sheets", "v4", token="buyer-token").spreadsheets().values().batchUpdate(
        spreadsheetId=sid,
        body={"valueInputOption": "USER_ENTERED", "data": [{"range": "A1", "values": [["Done"]]}]},
    ).execute()
    second = drive.files().get(fileId=sid).execute()
    assert int(second["version"]) == int(first["version"]) + 1
    assert first["lastModifyingUser"]["emailAddress"] == "sam@seller.example.com"
    assert second["lastModifyingUser"]["emailAddress"] == "dana@buyer.example.com"
