"""Who can open what in the fake: Drive permissions (list, delete, the owner's) and the
Gmail message an add-on opens in full with its attachments, through google-api-python-client
over HTTP on loopback, each request checked against the bundled discovery documents."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from addon.google.clients import service
from tests.googlefake.server import FakeGoogle, serve

REP = "sam@seller.example.com"
BUYER = "dana@buyer.example.com"
DRIVE = "shared-drive-1"


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with serve() as server:
        server.users = {"rep-token": REP, "buyer-token": BUYER}
        yield server


def client(fake: FakeGoogle, api: str, version: str, token: str = "rep-token") -> Any:
    credentials = Credentials(token=token)  # type: ignore[no-untyped-call]
    return service(api, version, credentials, root_url=fake.url)


def _status(err: pytest.ExceptionInfo[HttpError]) -> int:
    return int(err.value.resp.status)


def _reason(err: pytest.ExceptionInfo[HttpError]) -> str:
    return str(err.value.error_details[0]["reason"])


# --- Drive permissions -------------------------------------------------------------------


def _new_file(fake: FakeGoogle, parents: list[str] | None = None) -> str:
    body: dict[str, Any] = {"name": "MAP doc"}
    if parents is not None:
        body["parents"] = parents
    made = client(fake, "drive", "v3").files().create(body=body, supportsAllDrives=True).execute()
    return str(made["id"])


def _new_sheet(fake: FakeGoogle) -> str:
    sheets = client(fake, "sheets", "v4").spreadsheets()
    return str(sheets.create(body={"properties": {"title": "MAP"}}).execute()["spreadsheetId"])


def _permissions(fake: FakeGoogle, file_id: str, token: str = "rep-token") -> list[Any]:
    answer = (
        client(fake, "drive", "v3", token)
        .permissions()
        .list(
            fileId=file_id,
            supportsAllDrives=True,
            fields="kind,permissions(kind,id,type,role,emailAddress)",
        )
        .execute()
    )
    assert answer["kind"] == "drive#permissionList" and "nextPageToken" not in answer
    return list(answer["permissions"])


def _share(fake: FakeGoogle, file_id: str, email: str = BUYER) -> dict[str, Any]:
    body = {"type": "user", "role": "writer", "emailAddress": email}
    created = (
        client(fake, "drive", "v3")
        .permissions()
        .create(fileId=file_id, body=body, sendNotificationEmail=False, supportsAllDrives=True)
        .execute()
    )
    return dict(created)


def _owner(email: str, permission: dict[str, Any]) -> bool:
    return permission["role"] == "owner" and permission == {
        "kind": "drive#permission",
        "id": permission["id"],
        "type": "user",
        "role": "owner",
        "emailAddress": email,
    }


def _my_folder(fake: FakeGoogle) -> str:
    body = {"name": "Deals", "mimeType": "application/vnd.google-apps.folder"}
    return str(client(fake, "drive", "v3").files().create(body=body).execute()["id"])


def test_whoever_creates_a_file_in_my_drive_owns_it(fake: FakeGoogle) -> None:
    fake.add_shared_drive(DRIVE, "Sales", {REP: "fileOrganizer"})
    folder = _my_folder(fake)
    for file_id in (_new_file(fake), _new_file(fake, [folder]), _new_sheet(fake)):
        [owner] = _permissions(fake, file_id)
        assert _owner(REP, owner)
    shared = _new_file(fake)
    invited = _share(fake, shared)
    assert [p["role"] for p in _permissions(fake, shared)] == ["owner", "writer"]
    assert _permissions(fake, shared)[1] == invited


def test_a_file_in_a_shared_drive_has_no_owner(fake: FakeGoogle) -> None:
    fake.add_shared_drive(DRIVE, "Sales", {REP: "fileOrganizer"})
    assert _permissions(fake, _new_file(fake, [DRIVE])) == []
    sheet = _new_sheet(fake)  # the Sheets API makes it in My Drive, then it is moved
    assert [p["role"] for p in _permissions(fake, sheet)] == ["owner"]
    drive = client(fake, "drive", "v3")
    [root] = drive.files().get(fileId=sheet).execute()["parents"]
    folder = _my_folder(fake)
    drive.files().update(
        fileId=sheet, addParents=folder, removeParents=root, supportsAllDrives=True
    ).execute()
    assert [p["role"] for p in _permissions(fake, sheet)] == ["owner"]  # a folder: still owned
    drive.files().update(
        fileId=sheet, addParents=DRIVE, removeParents=folder, supportsAllDrives=True
    ).execute()
    assert _permissions(fake, sheet) == []
    _share(fake, sheet)
    assert [(p["emailAddress"], p["role"]) for p in _permissions(fake, sheet)] == [
        (BUYER, "writer")
    ]


def test_without_shared_drives_every_new_file_has_its_owner(fake: FakeGoogle) -> None:
    assert [p["role"] for p in _permissions(fake, _new_file(fake, [_my_folder(fake)]))] == ["owner"]


def test_permissions_come_in_pages(fake: FakeGoogle) -> None:
    file_id = _new_file(fake)
    for email in ("a@buyer.example.com", "b@buyer.example.com"):
        _share(fake, file_id, email)
    permissions = client(fake, "drive", "v3").permissions()
    request = permissions.list(fileId=file_id, pageSize=2)
    seen = []
    while request is not None:
        page = request.execute()
        seen += [p.get("emailAddress") for p in page["permissions"]]
        request = permissions.list_next(request, page)
    assert seen == [REP, "a@buyer.example.com", "b@buyer.example.com"]


def test_the_owner_cannot_be_removed_nor_an_unknown_permission(fake: FakeGoogle) -> None:
    file_id = _new_file(fake)
    [owner] = _permissions(fake, file_id)
    permissions = client(fake, "drive", "v3").permissions()
    with pytest.raises(HttpError) as err:
        permissions.delete(fileId=file_id, permissionId=owner["id"]).execute()
    assert _status(err) == 403 and _reason(err) == "cannotDeletePermission"
    with pytest.raises(HttpError) as err:
        permissions.delete(fileId=file_id, permissionId="perm9999fake").execute()
    assert _status(err) == 404 and _reason(err) == "notFound"
    assert "Permission not found: perm9999fake." in str(err.value)
    assert [p["id"] for p in _permissions(fake, file_id)] == [owner["id"]]


def test_a_person_whose_permission_is_deleted_loses_access_until_shared_again(
    fake: FakeGoogle,
) -> None:
    file_id = _new_file(fake)
    invited = _share(fake, file_id)
    buyer = client(fake, "drive", "v3", token="buyer-token").files()
    assert buyer.get(fileId=file_id).execute()["id"] == file_id
    answer = (
        client(fake, "drive", "v3")
        .permissions()
        .delete(fileId=file_id, permissionId=invited["id"], supportsAllDrives=True)
        .execute()
    )
    assert answer == ""  # 204: the client answers "" for a method with no response schema
    assert [c.status for c in fake.log if c.method == "drive.permissions.delete"] == [204]
    assert (file_id, BUYER) in fake.denied
    assert [p["role"] for p in _permissions(fake, file_id)] == ["owner"]
    with pytest.raises(HttpError) as err:
        buyer.get(fileId=file_id).execute()
    assert _status(err) == 404
    with pytest.raises(HttpError) as err:
        _permissions(fake, file_id, token="buyer-token")
    assert _status(err) == 404
    _share(fake, file_id)
    assert buyer.get(fileId=file_id).execute()["id"] == file_id


def test_a_delete_answers_204_with_no_body_and_no_content_type(fake: FakeGoogle) -> None:
    file_id = _new_file(fake)
    invited = _share(fake, file_id)
    request = urllib.request.Request(
        f"{fake.url}drive/v3/files/{file_id}/permissions/{invited['id']}",
        method="DELETE",
        headers={"Authorization": "Bearer rep-token"},
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 204 and answer.read() == b""
        assert answer.headers["Content-Type"] is None


def test_one_batch_creates_one_permission_and_deletes_another(fake: FakeGoogle) -> None:
    file_id = _new_file(fake)
    leaving = _share(fake, file_id, "lee@buyer.example.com")
    [owner, _] = _permissions(fake, file_id)
    answers: dict[str, tuple[Any, HttpError | None]] = {}

    def answered(request_id: str, response: Any, error: HttpError | None) -> None:
        answers[request_id] = (response, error)

    drive = client(fake, "drive", "v3")
    batch = drive.new_batch_http_request(callback=answered)
    batch.add(
        drive.permissions().create(
            fileId=file_id,
            body={"type": "user", "role": "commenter", "emailAddress": BUYER},
            supportsAllDrives=True,
            fields="id",
        ),
        request_id="invite",
    )
    batch.add(
        drive.permissions().delete(
            fileId=file_id, permissionId=leaving["id"], supportsAllDrives=True
        ),
        request_id="remove",
    )
    batch.add(
        drive.permissions().delete(fileId=file_id, permissionId=owner["id"]), request_id="owner"
    )
    batch.execute()
    created, error = answers["invite"]
    assert error is None and created["role"] == "commenter"
    assert answers["remove"] == ("", None)  # the 204 part parsed, no error
    refused = answers["owner"][1]
    assert refused is not None and refused.resp.status == 403
    assert [(p["emailAddress"], p["role"]) for p in _permissions(fake, file_id)] == [
        (REP, "owner"),
        (BUYER, "commenter"),
    ]
    assert (file_id, "lee@buyer.example.com") in fake.denied
    served = [(c.method, c.status) for c in fake.log if c.method != "drive.permissions.list"]
    assert served[-4:] == [
        ("batch", 200),
        ("drive.permissions.create", 200),
        ("drive.permissions.delete", 204),
        ("drive.permissions.delete", 403),
    ]


@pytest.mark.parametrize(
    "path",
    [
        "drive/v3/files/{file}/permissions?colour=red",
        "gmail/v1/users/me/messages/{message}/attachments/x?colour=red",
    ],
)
def test_the_new_methods_are_checked_against_discovery(fake: FakeGoogle, path: str) -> None:
    message_id, _token = fake.add_message([("Subject", "x")])
    url = fake.url + path.format(file=_new_file(fake), message=message_id)
    request = urllib.request.Request(url, headers={"Authorization": "Bearer rep-token"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request)
    assert err.value.code == 400
    assert 'Unknown name "colour"' in json.loads(err.value.read())["error"]["message"]


# --- Gmail: the open message in full, and its attachments --------------------------------

PDF = bytes(range(256)) * 3 + b"%%EOF"  # every byte value: base64url's - and _ both appear
HEADERS = [
    ("From", "Dana <dana@buyer.example.com>"),
    ("To", REP),
    ("Subject", "Signed order form"),
]


def _gmail(fake: FakeGoogle) -> Any:
    return client(fake, "gmail", "v1").users().messages()


def _with_token(request: Any, access_token: str | None) -> Any:
    if access_token is not None:
        request.headers["X-Goog-Gmail-Access-Token"] = access_token
    return request.execute()


def test_the_full_message_lists_its_text_and_attachments(fake: FakeGoogle) -> None:
    message_id, token = fake.add_message(
        HEADERS,
        text="Hi Sam,\nthe order form, signed.",
        attachments=[("order form.pdf", "application/pdf", PDF), ("notes.txt", "text/plain", b"")],
    )
    got = _with_token(_gmail(fake).get(userId="me", id=message_id), token)  # format=full
    assert got["snippet"] == "Hi Sam, the order form, signed."
    payload = got["payload"]
    assert (payload["partId"], payload["mimeType"], payload["filename"]) == (
        "",
        "multipart/mixed",
        "",
    )
    assert [(h["name"], h["value"]) for h in payload["headers"]] == HEADERS
    text, pdf, notes = payload["parts"]
    assert (text["partId"], text["mimeType"], text["filename"]) == ("0", "text/plain", "")
    assert base64.urlsafe_b64decode(text["body"]["data"]) == b"Hi Sam,\nthe order form, signed."
    assert (pdf["partId"], pdf["mimeType"], pdf["filename"]) == (
        "1",
        "application/pdf",
        "order form.pdf",
    )
    headers = {h["name"]: h["value"] for h in pdf["headers"]}
    assert headers["Content-Type"].startswith("application/pdf")
    assert headers["Content-Disposition"] == 'attachment; filename="order form.pdf"'
    assert set(pdf["body"]) == {"attachmentId", "size"} and pdf["body"]["size"] == len(PDF)
    assert (
        notes["body"]["size"] == 0 and notes["body"]["attachmentId"] != pdf["body"]["attachmentId"]
    )

    attachment = _with_token(
        _gmail(fake)
        .attachments()
        .get(userId="me", messageId=message_id, id=pdf["body"]["attachmentId"]),
        token,
    )
    assert attachment["attachmentId"] == pdf["body"]["attachmentId"]
    assert attachment["size"] == len(PDF)
    assert "+" not in attachment["data"] and "/" not in attachment["data"]  # urlsafe
    assert base64.urlsafe_b64decode(attachment["data"]) == PDF


def test_a_message_without_attachments_is_one_text_part(fake: FakeGoogle) -> None:
    message_id, token = fake.add_message(HEADERS)
    got = _with_token(_gmail(fake).get(userId="me", id=message_id, format="full"), token)
    assert got["payload"]["mimeType"] == "multipart/alternative"
    assert [p["mimeType"] for p in got["payload"]["parts"]] == ["text/plain"]
    assert got["payload"]["parts"][0]["body"] == {"size": 0}
    metadata = _with_token(_gmail(fake).get(userId="me", id=message_id, format="metadata"), token)
    assert "parts" not in metadata["payload"]


def test_metadata_says_multipart_mixed_when_there_are_attachments(fake: FakeGoogle) -> None:
    message_id, token = fake.add_message(HEADERS, attachments=[("a.pdf", "application/pdf", PDF)])
    got = _with_token(_gmail(fake).get(userId="me", id=message_id, format="metadata"), token)
    assert got["payload"]["mimeType"] == "multipart/mixed"


@pytest.mark.parametrize(
    ("user_id", "which", "attachment", "status"),
    [
        ("me", "own", "unknown", 404),
        ("me", "missing", "known", 403),
        ("me", "another message's", "known", 403),
        ("someone@buyer.example.com", "own", "known", 403),
    ],
)
def test_an_attachment_needs_the_message_token_and_a_real_id(
    fake: FakeGoogle, user_id: str, which: str, attachment: str, status: int
) -> None:
    message_id, token = fake.add_message(HEADERS, attachments=[("a.pdf", "application/pdf", PDF)])
    _other, other_token = fake.add_message(HEADERS, attachments=[("b.pdf", "application/pdf", PDF)])
    given = {"own": token, "missing": None, "another message's": other_token}[which]
    known = fake.messages[message_id].attachment_id(0)
    request = (
        _gmail(fake)
        .attachments()
        .get(
            userId=user_id,
            messageId=message_id,
            id=known if attachment == "known" else "ANGjdJ_nope",
        )
    )
    with pytest.raises(HttpError) as err:
        _with_token(request, given)
    assert _status(err) == status
    assert fake.calls("gmail.") == []


def test_the_full_message_needs_its_access_token_too(fake: FakeGoogle) -> None:
    message_id, _token = fake.add_message(HEADERS, attachments=[("a.pdf", "application/pdf", PDF)])
    with pytest.raises(HttpError) as err:
        _with_token(_gmail(fake).get(userId="me", id=message_id), None)
    assert _status(err) == 403 and _reason(err) == "forbidden"
