"""The fake's Gmail, Cloud Tasks and Cloud Scheduler sides, through google-api-python-client
over HTTP on loopback, each request checked against the bundled discovery documents."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from addon.google.clients import service
from tests.googlefake.server import FakeGoogle, serve

LOCATION = "projects/map-addon/locations/europe-west1"
QUEUE = f"{LOCATION}/queues/map-sync"


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with serve() as server:
        server.users = {
            "rep-token": "sam@seller.example.com",
            "robot-token": "addon@map-addon.iam.gserviceaccount.com",
        }
        yield server


def client(fake: FakeGoogle, api: str, version: str, token: str = "robot-token") -> Any:
    return service(api, version, Credentials(token=token), root_url=fake.url)


def _status(err: pytest.ExceptionInfo[HttpError]) -> int:
    return int(err.value.resp.status)


# --- Gmail -------------------------------------------------------------------------------


def _read(fake: FakeGoogle, message_id: str, access_token: str | None, **kwargs: Any) -> Any:
    request = (
        client(fake, "gmail", "v1", token="rep-token")
        .users()
        .messages()
        .get(userId="me", id=message_id, format="metadata", **kwargs)
    )
    if access_token is not None:
        request.headers["X-Goog-Gmail-Access-Token"] = access_token
    return request.execute()


def test_the_open_message_is_read_with_only_the_headers_asked_for(fake: FakeGoogle) -> None:
    message_id, token = fake.add_message(
        [
            ("From", "Dana <dana@buyer.example.com>"),
            ("To", "sam@seller.example.com"),
            ("Subject", "Re: MAP"),
            ("Cc", "ops@buyer.example.com"),
            ("Received", "by mx.google.com"),
        ]
    )
    got = _read(fake, message_id, token, metadataHeaders=["from", "SUBJECT", "cc"])
    assert got["id"] == message_id and got["threadId"] == message_id
    assert got["labelIds"] == ["INBOX"] and got["snippet"] == ""
    assert got["historyId"].isdigit() and got["internalDate"].isdigit()
    assert got["payload"] == {
        "mimeType": "multipart/alternative",
        "headers": [
            {"name": "From", "value": "Dana <dana@buyer.example.com>"},
            {"name": "Subject", "value": "Re: MAP"},
            {"name": "Cc", "value": "ops@buyer.example.com"},
        ],
    }
    every = _read(fake, message_id, token)["payload"]["headers"]
    assert [h["name"] for h in every] == ["From", "To", "Subject", "Cc", "Received"]
    assert fake.calls()[0].query["metadataHeaders"] == ["from", "SUBJECT", "cc"]


def test_a_thread_id_can_be_given(fake: FakeGoogle) -> None:
    message_id, token = fake.add_message([("Subject", "x")], thread_id="18dthread")
    assert _read(fake, message_id, token)["threadId"] == "18dthread"


@pytest.mark.parametrize("which", ["missing", "wrong", "another message's"])
def test_the_message_needs_its_own_gmail_access_token(fake: FakeGoogle, which: str) -> None:
    message_id, _token = fake.add_message([("Subject", "secret")])
    _other, other_token = fake.add_message([("Subject", "other")])
    given = {"missing": None, "wrong": "gmail-access-nope", "another message's": other_token}
    with pytest.raises(HttpError) as err:
        _read(fake, message_id, given[which])
    assert _status(err) == 403
    assert err.value.error_details[0]["reason"] == "forbidden"
    assert fake.calls("gmail.") == []


def test_an_unknown_message_is_not_found(fake: FakeGoogle) -> None:
    _message_id, token = fake.add_message([("Subject", "x")])
    with pytest.raises(HttpError) as err:
        _read(fake, "18e0000000000bad", token)
    assert _status(err) == 404


def test_dispatch_takes_the_headers_as_the_batch_path_passes_a_parts(fake: FakeGoogle) -> None:
    message_id, token = fake.add_message([("Subject", "x")])
    status, _payload = fake.dispatch(
        "GET",
        f"/gmail/v1/users/me/messages/{message_id}",
        "format=metadata",
        "Bearer rep-token",
        "",
        b"",
        {"X-Goog-Gmail-Access-Token": token},
    )
    assert status == 200


# --- Cloud Tasks -------------------------------------------------------------------------


def _tasks(fake: FakeGoogle) -> Any:
    return client(fake, "cloudtasks", "v2").projects().locations().queues()


def _http_task(url: str = "https://addon.example.com/tasks/sync", **task: Any) -> dict[str, Any]:
    body = base64.b64encode(b'{"map": "MAP-1"}').decode()
    return {"task": {"httpRequest": {"url": url, "httpMethod": "POST", "body": body}, **task}}


def test_queue_create_get_and_patch(fake: FakeGoogle) -> None:
    queues = _tasks(fake)
    created = queues.create(
        parent=LOCATION,
        body={
            "name": QUEUE,
            "rateLimits": {"maxDispatchesPerSecond": 1, "maxConcurrentDispatches": 2},
            "retryConfig": {"maxAttempts": 5, "minBackoff": "10s", "maxBackoff": "300s"},
            "state": "PAUSED",  # output only: ignored
        },
    ).execute()
    assert created["name"] == QUEUE and created["state"] == "RUNNING"
    assert queues.get(name=QUEUE).execute()["rateLimits"]["maxConcurrentDispatches"] == 2
    with pytest.raises(HttpError) as err:
        queues.create(parent=LOCATION, body={"name": QUEUE}).execute()
    assert _status(err) == 409
    assert "ALREADY_EXISTS" in str(err.value.content)

    patched = queues.patch(
        name=QUEUE,
        updateMask="rateLimits.maxDispatchesPerSecond",
        body={"rateLimits": {"maxDispatchesPerSecond": 3}, "retryConfig": {"maxAttempts": 1}},
    ).execute()
    assert patched["rateLimits"] == {"maxDispatchesPerSecond": 3, "maxConcurrentDispatches": 2}
    assert patched["retryConfig"]["maxAttempts"] == 5  # not in the mask: kept
    unmasked = queues.patch(name=QUEUE, body={"retryConfig": {"maxAttempts": 9}}).execute()
    assert unmasked["retryConfig"] == {"maxAttempts": 9}  # the fields the body sets
    assert unmasked["rateLimits"]["maxDispatchesPerSecond"] == 3
    assert fake.queues[QUEUE] == unmasked

    with pytest.raises(HttpError) as err:
        queues.patch(name=QUEUE, updateMask="colour", body={}).execute()
    assert _status(err) == 400
    with pytest.raises(HttpError) as err:
        queues.patch(name=QUEUE, body={"rateLimits": {"maxDispatchesPerSecond": 501}}).execute()
    assert _status(err) == 400


def test_queue_patch_creates_a_missing_queue_and_get_of_none_is_404(fake: FakeGoogle) -> None:
    queues = _tasks(fake)
    with pytest.raises(HttpError) as err:
        queues.get(name=QUEUE).execute()
    assert _status(err) == 404
    queues.patch(name=QUEUE, body={"rateLimits": {"maxDispatchesPerSecond": 2}}).execute()
    assert fake.queues[QUEUE]["state"] == "RUNNING"


def test_tasks_are_created_in_order_with_googles_fields(fake: FakeGoogle) -> None:
    fake.add_queue(QUEUE, rateLimits={"maxDispatchesPerSecond": 1})
    tasks = _tasks(fake).tasks()
    named = tasks.create(parent=QUEUE, body=_http_task(name=f"{QUEUE}/tasks/map-1_v2")).execute()
    later = tasks.create(
        parent=QUEUE, body=_http_task(scheduleTime="2026-03-10T09:05:00.5+01:00")
    ).execute()
    assert named["name"] == f"{QUEUE}/tasks/map-1_v2"
    assert named["httpRequest"] == _http_task()["task"]["httpRequest"]
    assert named["createTime"] == named["scheduleTime"] == "2026-03-10T09:00:00Z"
    assert named["view"] == "BASIC" and "dispatchCount" not in named
    assert later["name"].startswith(f"{QUEUE}/tasks/") and later["name"] != named["name"]
    assert later["scheduleTime"] == "2026-03-10T09:00:00Z"  # in the past: now
    assert [t["name"] for t in fake.tasks] == [named["name"], later["name"]]
    assert fake.tasks_in(QUEUE) == fake.tasks
    listed = tasks.list(parent=QUEUE).execute()["tasks"]
    assert [t["name"] for t in listed] == [named["name"], later["name"]]


def test_a_task_name_used_before_answers_409(fake: FakeGoogle) -> None:
    fake.add_queue(QUEUE)
    tasks = _tasks(fake).tasks()
    body = _http_task(name=f"{QUEUE}/tasks/sync-MAP-1-0001")
    tasks.create(parent=QUEUE, body=body).execute()
    with pytest.raises(HttpError) as err:
        tasks.create(parent=QUEUE, body=body).execute()
    assert _status(err) == 409
    assert err.value.reason == "Requested entity already exists"
    assert len(fake.tasks) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"task": {"httpRequest": {"url": "https://x.example.com"}, "colour": "red"}},
            "Invalid JSON payload received. Unknown name \"colour\" at 'task': Cannot find field.",
        ),
        (_http_task(name=f"{QUEUE}/tasks/has.dot"), "is invalid"),
        (_http_task(name=f"{LOCATION}/queues/other/tasks/t1"), "is invalid"),
        (_http_task(name=f"{QUEUE}/tasks/" + "x" * 501), "is invalid"),
        (_http_task(url="ftp://x.example.com"), "must begin with either http:// or https://"),
        (
            {"task": {"httpRequest": {"url": "https://x", "httpMethod": "GET", "body": "eA=="}}},
            "a body is allowed only if",
        ),
        (
            {
                "task": {
                    "httpRequest": {"url": "https://x"},
                    "appEngineHttpRequest": {"relativeUri": "/x"},
                }
            },
            "Oneof field 'message_type' is already set",
        ),
        (
            {"task": {"httpRequest": {"url": "https://x", "body": "x" * (101 * 1024)}}},
            "Task size too large",
        ),
        ({"task": {"httpRequest": {"url": "https://x", "httpMethod": "FETCH"}}}, '"FETCH"'),
    ],
)
def test_what_cloud_tasks_refuses_answers_400(
    fake: FakeGoogle, body: dict[str, Any], message: str
) -> None:
    fake.add_queue(QUEUE)
    with pytest.raises(HttpError) as err:
        _tasks(fake).tasks().create(parent=QUEUE, body=body).execute()
    assert _status(err) == 400
    assert message in str(err.value.reason)
    assert fake.tasks == []


def test_a_task_for_a_missing_queue_is_not_found(fake: FakeGoogle) -> None:
    with pytest.raises(HttpError) as err:
        _tasks(fake).tasks().create(parent=QUEUE, body=_http_task()).execute()
    assert _status(err) == 404


# --- Cloud Scheduler ---------------------------------------------------------------------

JOB = f"{LOCATION}/jobs/map-nightly-sync"


def _jobs(fake: FakeGoogle) -> Any:
    return client(fake, "cloudscheduler", "v1").projects().locations().jobs()


def _job(**fields: Any) -> dict[str, Any]:
    return {
        "name": JOB,
        "schedule": "0 3 * * *",
        "timeZone": "Europe/Berlin",
        "httpTarget": {"uri": "https://addon.example.com/cron/sync", "httpMethod": "POST"},
        **fields,
    }


def test_job_create_get_patch_and_duplicate(fake: FakeGoogle) -> None:
    jobs = _jobs(fake)
    created = jobs.create(parent=LOCATION, body=_job(description="Nightly sync")).execute()
    assert created["name"] == JOB and created["state"] == "ENABLED"
    assert created["attemptDeadline"] == "180s"  # the HTTP target default
    assert created["userUpdateTime"] == "2026-03-10T09:00:00Z"
    assert jobs.get(name=JOB).execute() == created == fake.jobs[JOB]
    with pytest.raises(HttpError) as err:
        jobs.create(parent=LOCATION, body=_job()).execute()
    assert _status(err) == 409

    patched = jobs.patch(
        name=JOB, updateMask="schedule", body={"schedule": "30 2 * * *", "description": "x"}
    ).execute()
    assert patched["schedule"] == "30 2 * * *" and patched["description"] == "Nightly sync"
    cleared = jobs.patch(name=JOB, updateMask="description", body={}).execute()
    assert "description" not in cleared  # in the mask, absent from the body: cleared
    unmasked = jobs.patch(name=JOB, body={"timeZone": "utc"}).execute()
    assert unmasked["timeZone"] == "utc" and unmasked["schedule"] == "30 2 * * *"
    assert fake.jobs[JOB] == unmasked


def test_job_get_and_patch_of_an_unknown_job_are_404(fake: FakeGoogle) -> None:
    jobs = _jobs(fake)
    for request in (jobs.get(name=JOB), jobs.patch(name=JOB, body={"schedule": "* * * * *"})):
        with pytest.raises(HttpError) as err:
            request.execute()
        assert _status(err) == 404
    assert fake.jobs == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_job(colour="red"), 'Unknown name "colour"'),
        (_job(schedule=None), "schedule is required"),
        (_job(name=f"{LOCATION}/jobs/bad.name"), "is invalid"),
        (_job(timeZone="Mars/Olympus"), "Invalid time zone"),
        (_job(attemptDeadline="5s"), "between 15 seconds and 30 minutes"),
        (_job(pubsubTarget={"topicName": "projects/p/topics/t"}), "Oneof field 'target'"),
    ],
)
def test_what_cloud_scheduler_refuses_answers_400(
    fake: FakeGoogle, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(HttpError) as err:
        _jobs(fake).create(parent=LOCATION, body=body).execute()
    assert _status(err) == 400
    assert message in str(err.value.reason)


# --- the other APIs still dispatch -------------------------------------------------------


def test_sheets_and_drive_still_dispatch_next_to_the_new_apis(fake: FakeGoogle) -> None:
    sheets = client(fake, "sheets", "v4", token="rep-token")
    drive = client(fake, "drive", "v3", token="rep-token")
    sid = sheets.spreadsheets().create(body={"properties": {"title": "MAP"}}).execute()
    assert drive.files().get(fileId=sid["spreadsheetId"]).execute()["name"] == "MAP"
    fake.add_queue(QUEUE)
    _tasks(fake).tasks().create(parent=QUEUE, body=_http_task()).execute()
    assert [c.method for c in fake.calls()] == [
        "sheets.spreadsheets.create",
        "drive.files.get",
        "cloudtasks.projects.locations.queues.tasks.create",
    ]
