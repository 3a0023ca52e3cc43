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


# --- files.get of a document a person keeps (what a Resources row links to) -------------

OWNER = "priya@seller.example.com"
KEYED = "1OldLinkSharedFileWithAKey000"


def _documents(fake: FakeGoogle) -> None:
    fake.users["owner-token"] = OWNER
    fake.add_file(
        "1SharedWithTheBuyersDomain00",
        "Security pack",
        OWNER,
        [("domain", "reader", "buyer.example.com"), ("user", "writer", "sam@seller.example.com")],
    )
    fake.add_file("1SharedWithNobody0000000000", "Draft", OWNER)
    fake.add_file(
        "1InTheTrash0000000000000000",
        "Old",
        OWNER,
        [("user", "writer", "sam@seller.example.com")],
        trashed=True,
    )
    fake.add_file(KEYED, "2019 deck", OWNER, [("anyone", "reader", "")], resource_key="0-AbCdEfKey")


def _get(fake: FakeGoogle, file_id: str, token: str = "rep-token", key: str = "") -> Any:
    request = (
        client(fake, "drive", "v3", token)
        .files()
        .get(fileId=file_id, supportsAllDrives=True, fields="id,name,trashed,permissions")
    )
    if key:
        request.headers["X-Goog-Drive-Resource-Keys"] = f"{file_id}/{key}"
    return request.execute()


def test_files_get_is_404_for_a_file_that_is_not_there_or_not_shared_with_the_caller(
    fake: FakeGoogle,
) -> None:
    _documents(fake)
    for file_id in ("1NoSuchFileAnywhere00000000", "1SharedWithNobody0000000000"):
        with pytest.raises(HttpError) as caught:
            _get(fake, file_id)
        assert caught.value.resp.status == 404
        assert '"reason": "notFound"' in caught.value.content.decode()
    assert _get(fake, "1SharedWithNobody0000000000", "owner-token")["name"] == "Draft"
    # The buyer opens what their domain was given, the rep a trashed file as trashed.
    assert _get(fake, "1SharedWithTheBuyersDomain00", "buyer-token")["name"] == "Security pack"
    assert _get(fake, "1InTheTrash0000000000000000")["trashed"] is True


def test_permissions_show_only_to_someone_who_can_share_the_file(fake: FakeGoogle) -> None:
    _documents(fake)
    as_writer = _get(fake, "1SharedWithTheBuyersDomain00")
    assert {(p["type"], p["role"]) for p in as_writer["permissions"]} == {
        ("user", "owner"),
        ("domain", "reader"),
        ("user", "writer"),
    }
    assert "permissions" in _get(fake, "1SharedWithNobody0000000000", "owner-token")
    assert "permissions" not in _get(fake, "1SharedWithTheBuyersDomain00", "buyer-token")
    # Shared drive items never carry them ("Not populated for items in shared drives").
    made = (
        client(fake, "drive", "v3")
        .files()
        .create(
            body={"name": "In the drive", "parents": ["shared-drive-1"]}, supportsAllDrives=True
        )
        .execute()
    )
    assert "permissions" not in _get(fake, made["id"])


def test_a_link_shared_file_with_a_resource_key_opens_only_with_the_header(
    fake: FakeGoogle,
) -> None:
    _documents(fake)
    with pytest.raises(HttpError) as caught:
        _get(fake, KEYED)
    assert caught.value.resp.status == 404
    with pytest.raises(HttpError):
        _get(fake, KEYED, key="0-WrongKey")
    found = _get(fake, KEYED, key="0-AbCdEfKey")
    assert found["resourceKey"] == "0-AbCdEfKey" and "permissions" not in found
    assert _get(fake, KEYED, "owner-token")["name"] == "2019 deck"  # direct access: no key


def test_each_batch_part_carries_its_own_resource_key_header(fake: FakeGoogle) -> None:
    _documents(fake)
    fake.add_file(
        "1AnotherKeyedFile0000000000",
        "2020 deck",
        OWNER,
        [("anyone", "reader", "")],
        resource_key="0-Second",
    )
    drive = client(fake, "drive", "v3")
    answers: dict[str, Any] = {}

    def answered(request_id: str, response: Any, error: Any) -> None:
        answers[request_id] = error.resp.status if error else response["name"]

    batch = drive.new_batch_http_request(callback=answered)
    for n, (file_id, key) in enumerate(
        [
            (KEYED, "0-AbCdEfKey"),
            ("1AnotherKeyedFile0000000000", ""),
            ("1AnotherKeyedFile0000000000", "0-Second"),
        ]
    ):
        request = drive.files().get(fileId=file_id, supportsAllDrives=True)
        if key:
            request.headers["X-Goog-Drive-Resource-Keys"] = f"{file_id}/{key}"
        batch.add(request, request_id=str(n))
    batch.execute()
    assert answers == {"0": "2019 deck", "1": 404, "2": "2020 deck"}
    assert [c.method for c in fake.log] == ["batch", *["drive.files.get"] * 3]
