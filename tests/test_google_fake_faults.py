"""Versions and modifiers as Google gives them, listings that lag, Drive's 403 rate-limit
bodies (alone and inside a batch), and many clients at once, through google-api-python-client
over HTTP on loopback."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from addon.google.clients import service
from tests.googlefake.assumptions import ASSUMPTIONS, markdown
from tests.googlefake.drive import SPREADSHEET
from tests.googlefake.server import FakeGoogle, serve

SERVICE = "map-sync@project.iam.gserviceaccount.com"
BUYER = "dana@northwind.example.com"
DRIVE, FOLDER = "0ASalesUk9PVA", "1MapsFolder"


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with serve(seed=3) as server:
        server.users = {"service-token": SERVICE, "buyer-token": BUYER}
        server.add_shared_drive(DRIVE, "Sales", {SERVICE: "fileOrganizer"})
        server.add_folder(FOLDER, DRIVE, "MAPs")
        yield server


@cache
def _client(url: str, api: str, token: str) -> Any:
    version = {"drive": "v3", "sheets": "v4"}[api]
    return service(api, version, Credentials(token=token), root_url=url)


def client(fake: FakeGoogle, api: str, token: str = "service-token") -> Any:
    return _client(fake.url, api, token)


def new_sheet(fake: FakeGoogle, name: str = "MAP") -> str:
    body = {"name": name, "mimeType": SPREADSHEET, "parents": [FOLDER]}
    body["appProperties"] = {"map": "sheet"}
    made = client(fake, "drive").files().create(body=body, supportsAllDrives=True).execute()
    return str(made["id"])


def share(fake: FakeGoogle, sid: str, email: str = BUYER) -> None:
    body = {"type": "user", "role": "writer", "emailAddress": email}
    client(fake, "drive").permissions().create(
        fileId=sid, body=body, sendNotificationEmail=False, supportsAllDrives=True
    ).execute()


def edit(fake: FakeGoogle, sid: str, token: str, text: str = "Done") -> None:
    body = {"valueInputOption": "RAW", "data": [{"range": "A1", "values": [[text]]}]}
    client(fake, "sheets", token).spreadsheets().values().batchUpdate(
        spreadsheetId=sid, body=body
    ).execute()


def meta(fake: FakeGoogle, sid: str) -> dict[str, Any]:
    files = client(fake, "drive").files()
    return dict(files.get(fileId=sid, supportsAllDrives=True).execute())


def listed(fake: FakeGoogle) -> dict[str, dict[str, Any]]:
    answer = (
        client(fake, "drive")
        .files()
        .list(
            q="appProperties has { key='map' and value='sheet' } and trashed = false",
            corpora="drive",
            driveId=DRIVE,
            includeItemsFromAllDrives=True,
            supportsAllDrives=True,
        )
        .execute()
    )
    return {f["id"]: f for f in answer["files"]}


# --- 9. versions, modifiers, lag ----------------------------------------------------------


def test_versions_grow_with_every_change_but_not_always_by_one(fake: FakeGoogle) -> None:
    sid = new_sheet(fake)
    seen = [int(meta(fake, sid)["version"])]
    for _ in range(12):
        edit(fake, sid, "service-token")
        seen.append(int(meta(fake, sid)["version"]))
    steps = [b - a for a, b in itertools.pairwise(seen)]
    assert all(1 <= s <= 3 for s in steps) and set(steps) != {1}
    fake.version_step = 1  # for the tests that need exact steps
    edit(fake, sid, "service-token")
    assert int(meta(fake, sid)["version"]) == seen[-1] + 1


def test_the_same_seed_gives_the_same_steps() -> None:
    def steps(seed: int) -> list[int]:
        with serve(seed=seed) as server:
            server.users = {"t": "sam@seller.example.com"}
            sheets = service("sheets", "v4", Credentials(token="t"), root_url=server.url)
            sid = sheets.spreadsheets().create(body={}).execute()["spreadsheetId"]
            body = {"valueInputOption": "RAW", "data": [{"range": "A1", "values": [[1]]}]}
            out = []
            for _ in range(8):
                sheets.spreadsheets().values().batchUpdate(spreadsheetId=sid, body=body).execute()
                out.append(server.files[sid].version)
            return out

    assert steps(11) == steps(11)


def test_last_modifying_user_can_be_missing(fake: FakeGoogle) -> None:
    sid = new_sheet(fake)
    share(fake, sid)
    edit(fake, sid, "buyer-token")
    assert meta(fake, sid)["lastModifyingUser"]["emailAddress"] == BUYER
    fake.hide_modifier.add(BUYER)  # e.g. a person outside the domain
    edit(fake, sid, "buyer-token")
    assert "lastModifyingUser" not in meta(fake, sid)
    assert "lastModifyingUser" not in listed(fake)[sid]
    edit(fake, sid, "service-token")
    assert meta(fake, sid)["lastModifyingUser"]["emailAddress"] == SERVICE
    fake.modifier_absent = 1.0  # any change may leave none
    edit(fake, sid, "service-token")
    assert "lastModifyingUser" not in meta(fake, sid)


def test_a_lagging_listing_shows_the_files_previous_metadata(fake: FakeGoogle) -> None:
    sid = new_sheet(fake)
    share(fake, sid)
    before = listed(fake)[sid]
    edit(fake, sid, "buyer-token")
    fake.lag(sid, calls=2)
    current = meta(fake, sid)  # files.get is current
    assert current["version"] != before["version"]
    assert current["lastModifyingUser"]["emailAddress"] == BUYER
    for _ in range(2):
        assert listed(fake)[sid] == before  # as before the buyer's edit
    assert listed(fake)[sid]["version"] == current["version"]  # caught up
    assert any(a.rule == "listing lag" for a in ASSUMPTIONS)


# --- 10. faults ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "domain"),
    [
        ("userRateLimitExceeded", "usageLimits"),
        ("rateLimitExceeded", "usageLimits"),
        ("storageQuotaExceeded", "usageLimits"),
        ("sharingRateLimitExceeded", "global"),
    ],
)
def test_an_injected_403_answers_googles_body(fake: FakeGoogle, reason: str, domain: str) -> None:
    sid = new_sheet(fake)
    fake.fail("drive.files.get", 403, reason=reason)
    with pytest.raises(HttpError) as err:
        meta(fake, sid)
    assert err.value.resp.status == 403
    [detail] = err.value.error_details
    assert (detail["reason"], detail["domain"]) == (reason, domain)
    assert meta(fake, sid)["id"] == sid  # only once


@pytest.mark.parametrize("reason", ["userRateLimitExceeded", "rateLimitExceeded"])
def test_the_client_retries_a_rate_limit_403(
    fake: FakeGoogle, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("googleapiclient.http.random.random", lambda: 0.0)  # no backoff wait
    monkeypatch.setattr("googleapiclient.http.time.sleep", lambda _s: None)
    sid = new_sheet(fake)
    fake.fail("drive.files.get", 403, times=2, reason=reason)
    files = client(fake, "drive").files()
    assert files.get(fileId=sid, supportsAllDrives=True).execute(num_retries=3)["id"] == sid
    statuses = [c.status for c in fake.log if c.method == "drive.files.get"]
    assert statuses == [403, 403, 200]


def test_faults_reach_the_calls_inside_a_batch(fake: FakeGoogle) -> None:
    sid = new_sheet(fake)
    fake.fail("drive.permissions.create", 403, reason="sharingRateLimitExceeded")
    fake.fail("drive.permissions.create", 429)
    drive = client(fake, "drive")
    answers: dict[str, Any] = {}

    def collect(request_id: str, response: Any, exception: Any) -> None:
        answers[request_id] = exception or response

    batch = drive.new_batch_http_request(callback=collect)
    for email in ("a@northwind.example.com", "b@northwind.example.com", BUYER):
        body = {"type": "user", "role": "writer", "emailAddress": email}
        batch.add(drive.permissions().create(fileId=sid, body=body, supportsAllDrives=True))
    batch.execute()
    first, second, third = (answers[str(i)] for i in (1, 2, 3))
    assert isinstance(first, HttpError) and first.resp.status == 403
    assert first.error_details[0]["reason"] == "sharingRateLimitExceeded"
    assert isinstance(second, HttpError) and second.resp.status == 429
    assert third["emailAddress"] == BUYER


# --- 11. many threads at once --------------------------------------------------------------


def test_24_clients_at_once_get_their_own_answers(fake: FakeGoogle) -> None:
    """Each thread has its own httplib2.Http (google-api-python-client "Thread Safety"),
    its own person, spreadsheet and values; with latency every request overlaps the others.
    A request answered with another's state (caller, values, metadata) is an error."""
    fake.latency = 0.02
    clients = 24
    people = [f"rep{i}@seller.example.com" for i in range(clients)]
    for i, email in enumerate(people):
        fake.users[f"rep-{i}"] = email
        fake.drives[DRIVE].members[email] = "writer"
    sheets = [new_sheet(fake, f"MAP {i}") for i in range(clients)]
    errors: list[str] = []
    made: list[str] = []  # files each thread creates: ids must never collide
    barrier = threading.Barrier(clients)

    def work(i: int) -> None:
        http = google_auth_httplib2.AuthorizedHttp(
            Credentials(token=f"rep-{i}"), http=httplib2.Http(timeout=30)
        )
        api = service("sheets", "v4", root_url=fake.url, http=http).spreadsheets()
        drive = service("drive", "v3", root_url=fake.url, http=http).files()
        barrier.wait()
        try:
            for round_ in range(3):
                mine = [[f"map-{i}", round_, i * 100 + round_]]
                body = {"valueInputOption": "RAW", "data": [{"range": "A1", "values": mine}]}
                api.values().batchUpdate(spreadsheetId=sheets[i], body=body).execute()
                got = api.values().batchGet(spreadsheetId=sheets[i], ranges=["A1:C1"]).execute()
                if got["valueRanges"][0]["values"] != [[f"map-{i}", str(round_), str(mine[0][2])]]:
                    errors.append(f"{i}: read {got}")
                body = {"name": f"doc {i}.{round_}", "parents": [FOLDER]}
                made.append(drive.create(body=body, supportsAllDrives=True).execute()["id"])
                got = drive.get(fileId=sheets[i], supportsAllDrives=True).execute()
                who = got["lastModifyingUser"]["emailAddress"]
                if (got["name"], who) != (f"MAP {i}", people[i]):
                    errors.append(f"{i}: metadata of {got['name']} by {who}")
        except Exception as exc:  # every failure is reported, none hidden by the thread
            errors.append(f"{i}: {exc!r}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert not any(t.is_alive() for t in threads)
    assert len(set(made)) == len(made) == clients * 3
    assert all(fake.files[f].created_by.startswith("rep") for f in made)
    served = [c for c in fake.log if c.method.startswith("sheets.spreadsheets.values")]
    assert len(served) == clients * 3 * 2 and all(c.status == 200 for c in served)
    versions = {fake.files[s].version for s in sheets}
    assert all(v > 1 for v in versions)


def test_the_readme_lists_every_assumption_of_the_fake() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert markdown() in readme, "regenerate it: python -m tests.googlefake.assumptions"
