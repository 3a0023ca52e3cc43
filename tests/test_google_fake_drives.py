"""The fake's shared drives, service accounts, one-parent rule, corpora and drive.file
visibility, driven through google-api-python-client over HTTP: each refusal is the status
and reason Google gives (the fake cites its page for each)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from addon.google.clients import service
from tests.googlefake.drive import FOLDER as FOLDER_MIME
from tests.googlefake.drive import SPREADSHEET
from tests.googlefake.server import DRIVE_FILE, FakeGoogle, serve

SERVICE = "map-sync@project.iam.gserviceaccount.com"
REP = "sam@seller.example.com"
OTHER_REP = "lee@seller.example.com"
BUYER = "dana@northwind.example.com"
DRIVE = "0ASalesUk9PVA"
FOLDER = "1MapsFolder"
TOKENS = {"service-token": SERVICE, "rep-token": REP, "lee-token": OTHER_REP, "buyer-token": BUYER}


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with serve(seed=7) as server:
        server.users = dict(TOKENS)
        server.add_shared_drive(DRIVE, "Sales", {SERVICE: "fileOrganizer", REP: "writer"})
        server.add_folder(FOLDER, DRIVE, "MAPs")
        yield server


@cache
def _client(url: str, api: str, token: str) -> Any:
    version = {"drive": "v3", "sheets": "v4"}[api]
    return service(api, version, Credentials(token=token), root_url=url)


def client(fake: FakeGoogle, api: str, token: str = "service-token") -> Any:
    """One client per fake, API and token: building one from its document is slow."""
    return _client(fake.url, api, token)


def refusal(err: pytest.ExceptionInfo[HttpError]) -> tuple[int, str]:
    details = err.value.error_details
    reason = details[0]["reason"] if isinstance(details, list) and details else ""
    return int(err.value.resp.status), str(reason)


def make(fake: FakeGoogle, token: str = "service-token", **body: Any) -> dict[str, Any]:
    body.setdefault("name", "MAP doc")
    files = client(fake, "drive", token).files()
    return dict(files.create(body=body, supportsAllDrives=True).execute())


# --- 1. shared drives ----------------------------------------------------------------------


def test_a_member_reads_the_drive_and_its_restrictions_a_stranger_gets_404(
    fake: FakeGoogle,
) -> None:
    fake.drives[DRIVE].restrictions["domainUsersOnly"] = True
    drives = client(fake, "drive").drives()
    answer = drives.get(driveId=DRIVE, fields="id,name,restrictions").execute()
    assert answer["restrictions"] == {
        "adminManagedRestrictions": False,
        "copyRequiresWriterPermission": False,
        "domainUsersOnly": True,
        "driveMembersOnly": False,
        "sharingFoldersRequiresOrganizerPermission": False,
    }
    with pytest.raises(HttpError) as err:
        client(fake, "drive", "buyer-token").drives().get(driveId=DRIVE).execute()
    assert refusal(err) == (404, "notFound")


def test_the_folder_answers_its_drive_id_and_a_stranger_cannot_see_it(fake: FakeGoogle) -> None:
    files = client(fake, "drive").files()
    got = files.get(fileId=FOLDER, fields="driveId", supportsAllDrives=True).execute()
    assert got["driveId"] == DRIVE and got["mimeType"] == FOLDER_MIME
    with pytest.raises(HttpError) as err:
        client(fake, "drive", "buyer-token").files().get(fileId=FOLDER).execute()
    assert refusal(err) == (404, "notFound")
    assert err.value.error_details[0]["message"] == f"File not found: {FOLDER}."


def test_members_who_may_add_create_in_the_drive_others_are_refused(fake: FakeGoogle) -> None:
    made = make(fake, parents=[FOLDER])
    assert made["driveId"] == DRIVE and made["parents"] == [FOLDER]
    assert fake.files[made["id"]].owner is None  # the drive owns it
    assert make(fake, "rep-token", parents=[FOLDER])["driveId"] == DRIVE  # a contributor
    with pytest.raises(HttpError) as err:
        make(fake, "buyer-token", parents=[FOLDER])
    assert refusal(err) == (404, "notFound")  # not a member: the folder is not there
    fake.drives[DRIVE].members[BUYER] = "commenter"
    with pytest.raises(HttpError) as err:
        make(fake, "buyer-token", parents=[FOLDER])
    assert refusal(err) == (403, "insufficientFilePermissions")


@pytest.mark.parametrize(
    ("restriction", "email", "reason"),
    [
        ("domainUsersOnly", BUYER, "teamDriveDomainUsersOnlyRestriction"),
        ("driveMembersOnly", OTHER_REP, "teamDriveTeamMembersOnlyRestriction"),
    ],
)
def test_sharing_a_drive_file_is_bounded_by_the_drives_restrictions(
    fake: FakeGoogle, restriction: str, email: str, reason: str
) -> None:
    file_id = make(fake, parents=[FOLDER])["id"]
    permissions = client(fake, "drive").permissions()
    body = {"type": "user", "role": "writer", "emailAddress": email}
    permissions.create(fileId=file_id, body=body, supportsAllDrives=True).execute()  # allowed
    fake.drives[DRIVE].restrictions[restriction] = True
    body["emailAddress"] = email.replace("@", "+2@")
    with pytest.raises(HttpError) as err:
        permissions.create(fileId=file_id, body=body, supportsAllDrives=True).execute()
    assert refusal(err) == (403, reason)
    allowed = {"type": "user", "role": "writer", "emailAddress": REP}  # a member, same domain
    permissions.create(fileId=file_id, body=allowed, supportsAllDrives=True).execute()


# --- 2. service accounts own nothing --------------------------------------------------------


def test_a_service_account_cannot_own_a_file(fake: FakeGoogle) -> None:
    sheets = client(fake, "sheets").spreadsheets()
    my_folder = make(fake, "rep-token", mimeType=FOLDER_MIME)["id"]
    attempts = [
        lambda: sheets.create(body={"properties": {"title": "MAP"}}).execute(),
        lambda: make(fake),  # no parent: My Drive
        lambda: make(fake, mimeType=SPREADSHEET),
    ]
    client(fake, "drive", "rep-token").permissions().create(
        fileId=my_folder, body={"type": "user", "role": "writer", "emailAddress": SERVICE}
    ).execute()
    attempts.append(lambda: make(fake, parents=[my_folder]))  # a person's folder: still owned
    for attempt in attempts:
        with pytest.raises(HttpError) as err:
            attempt()
        assert refusal(err) == (403, "storageQuotaExceeded")
        assert err.value.error_details[0]["domain"] == "usageLimits"
        assert "Service Accounts do not have storage quota" in str(err.value)
    assert make(fake, parents=[FOLDER])["driveId"] == DRIVE  # in the shared drive it works


def test_a_service_account_copies_only_into_the_drive(fake: FakeGoogle) -> None:
    source = make(fake, "rep-token", name="Template")["id"]  # in the rep's My Drive
    client(fake, "drive", "rep-token").permissions().create(
        fileId=source, body={"type": "user", "role": "reader", "emailAddress": SERVICE}
    ).execute()
    files = client(fake, "drive").files()
    with pytest.raises(HttpError) as err:
        files.copy(fileId=source, body={"name": "Copy"}, supportsAllDrives=True).execute()
    assert refusal(err) == (403, "storageQuotaExceeded")
    copied = files.copy(
        fileId=source, body={"name": "Copy", "parents": [FOLDER]}, supportsAllDrives=True
    ).execute()
    assert copied["driveId"] == DRIVE and copied["name"] == "Copy"


# --- 3. one parent -------------------------------------------------------------------------


def test_one_parent_only_but_a_move_works(fake: FakeGoogle) -> None:
    second = make(fake, mimeType=FOLDER_MIME, parents=[FOLDER], name="Archive")["id"]
    with pytest.raises(HttpError) as err:
        make(fake, parents=[FOLDER, second])
    assert refusal(err) == (403, "cannotAddParent")
    file_id = make(fake, parents=[FOLDER])["id"]
    files = client(fake, "drive").files()
    with pytest.raises(HttpError) as err:
        files.update(fileId=file_id, addParents=second, supportsAllDrives=True).execute()
    assert refusal(err) == (403, "cannotAddParent")
    assert str(err.value.error_details[0]["message"]) == (
        "Increasing the number of parents is not allowed"
    )
    moved = files.update(
        fileId=file_id, addParents=second, removeParents=FOLDER, supportsAllDrives=True
    ).execute()
    assert moved["parents"] == [second]
    mine = make(fake, "rep-token")  # in the rep's My Drive, whose alias is "root"
    rep_files = client(fake, "drive", "rep-token").files()
    moved = rep_files.update(
        fileId=mine["id"], addParents=FOLDER, removeParents="root", supportsAllDrives=True
    ).execute()
    assert moved["parents"] == [FOLDER] and moved["driveId"] == DRIVE


# --- 4. corpora ----------------------------------------------------------------------------


def _listing(fake: FakeGoogle, token: str = "service-token", **params: Any) -> list[str]:
    files = client(fake, "drive", token).files()
    request = files.list(q="trashed = false", **params)
    seen: list[str] = []
    while request is not None:
        page = request.execute()
        assert page["incompleteSearch"] is False
        seen += [f["id"] for f in page["files"]]
        request = files.list_next(request, page)
    return seen


def test_the_user_corpus_misses_drive_files_made_by_someone_else(fake: FakeGoogle) -> None:
    ours = make(fake, parents=[FOLDER], name="ours")["id"]
    theirs = make(fake, "rep-token", parents=[FOLDER], name="theirs")["id"]
    all_drives = {"supportsAllDrives": True, "includeItemsFromAllDrives": True}
    assert _listing(fake, **all_drives) == [ours]  # corpora=user, the default
    assert _listing(fake) == []  # without includeItemsFromAllDrives no drive item at all
    in_drive = _listing(fake, corpora="drive", driveId=DRIVE, **all_drives)
    assert in_drive == [FOLDER, ours, theirs]
    assert _listing(fake, corpora="allDrives", **all_drives) == [FOLDER, ours, theirs]
    fake.files[theirs].trashed = True
    assert _listing(fake, corpora="drive", driveId=DRIVE, **all_drives) == [FOLDER, ours]


NEEDS_CORPORA = "teamDriveIdRequiresTeamDriveCorpora"


@pytest.mark.parametrize(
    ("params", "status", "reason"),
    [
        ({"driveId": DRIVE, "includeItemsFromAllDrives": True}, 400, NEEDS_CORPORA),
        ({"corpora": "drive", "includeItemsFromAllDrives": True}, 400, NEEDS_CORPORA),
        ({"corpora": "drive", "driveId": DRIVE, "supportsAllDrives": True}, 403, "forbidden"),
    ],
)
def test_a_drive_listing_needs_its_parameters(
    fake: FakeGoogle, params: dict[str, Any], status: int, reason: str
) -> None:
    with pytest.raises(HttpError) as err:
        client(fake, "drive").files().list(**params).execute()
    assert refusal(err) == (status, reason)


def test_without_supports_all_drives_shared_drive_items_are_not_there(fake: FakeGoogle) -> None:
    """Drive "Implement shared drive support": supportsAllDrives=true on every call that
    touches a shared drive item; "If false, shared drive items are not included"."""
    made = make(fake, parents=[FOLDER])["id"]
    params = {"corpora": "drive", "driveId": DRIVE, "includeItemsFromAllDrives": True}
    assert _listing(fake, **params) == []
    files = client(fake, "drive").files()
    for call in (
        lambda: files.get(fileId=made).execute(),
        lambda: files.create(body={"name": "x", "parents": [FOLDER]}).execute(),
        lambda: client(fake, "drive").permissions().list(fileId=made).execute(),
    ):
        with pytest.raises(HttpError) as err:
            call()
        assert refusal(err) == (404, "notFound")


def test_a_drive_listing_comes_in_pages_of_at_most_1000(fake: FakeGoogle) -> None:
    made = [make(fake, parents=[FOLDER], name=f"f{i}")["id"] for i in range(5)]
    params = {"corpora": "drive", "driveId": DRIVE, "supportsAllDrives": True}
    params["includeItemsFromAllDrives"] = True
    assert _listing(fake, pageSize=2, **params) == [FOLDER, *made]
    answer = client(fake, "drive").files().list(pageSize=5000, **params).execute()
    assert len(answer["files"]) == 6 and "nextPageToken" not in answer  # coerced to 1000
    assert len([c for c in fake.calls("drive.files.list")]) == 4


# --- 5. drive.file -------------------------------------------------------------------------


def test_a_drive_file_token_sees_only_what_it_made_or_opened(fake: FakeGoogle) -> None:
    fake.scopes["rep-token"] = {DRIVE_FILE}
    theirs = make(fake, parents=[FOLDER])["id"]  # made by the service account
    own = make(fake, "rep-token")["id"]  # in the rep's My Drive
    files = client(fake, "drive", "rep-token").files()
    assert files.get(fileId=own, supportsAllDrives=True).execute()["id"] == own
    calls = [
        lambda: files.get(fileId=theirs, supportsAllDrives=True).execute(),
        lambda: files.update(fileId=theirs, body={"name": "x"}).execute(),
        lambda: client(fake, "drive", "rep-token").permissions().list(fileId=theirs).execute(),
    ]
    for call in calls:
        with pytest.raises(HttpError) as err:
            call()
        assert refusal(err) == (404, "notFound")
        assert f"File not found: {theirs}." in str(err.value)
    fake.open_with_app(theirs, REP)  # the rep picked it (Picker / requestFileScope)
    assert files.get(fileId=theirs, supportsAllDrives=True).execute()["id"] == theirs


def test_a_drive_file_token_cannot_read_a_sheet_it_did_not_make(fake: FakeGoogle) -> None:
    fake.scopes["rep-token"] = {DRIVE_FILE, "https://www.googleapis.com/auth/userinfo.email"}
    sheet = make(fake, parents=[FOLDER], mimeType=SPREADSHEET)["id"]
    values = client(fake, "sheets", "rep-token").spreadsheets().values()
    with pytest.raises(HttpError) as err:
        values.batchGet(spreadsheetId=sheet, ranges=["A1"]).execute()
    assert err.value.resp.status == 404
    fake.open_with_app(sheet, REP)
    assert values.batchGet(spreadsheetId=sheet, ranges=["A1"]).execute()["valueRanges"]
