"""Background sync: Cloud Scheduler's call syncs a few MAPs inline, or fans out one Cloud
Tasks task per MAP (named per MAP and time window, so a second run collapses into the
first), each task verified like the scheduler. Task, queue and job requests go to the
Google fake, which checks them against the bundled cloudtasks.v2 and cloudscheduler.v1
discovery documents."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import Any

from google.oauth2.credentials import Credentials

from addon.google.clients import service
from addon.web.background import (
    CONCURRENT_TASKS,
    ROLLUP_PATH,
    SYNC_MAP_PATH,
    TASKS_PER_SECOND,
    cloud_setup,
)
from tests.test_web_cards import create
from tests.web_env import INVOKER, PUBLIC, QUEUE, TODAY, Web


def next_day(web: Web) -> None:
    web.app.settings.today = TODAY + timedelta(days=1)


def run_task(web: Web, task: dict[str, Any]) -> Any:
    """Do what Cloud Tasks does with a task: POST its body with an OIDC token."""
    http = task["httpRequest"]
    assert http["oidcToken"] == {"serviceAccountEmail": INVOKER, "audience": http["url"]}
    path = http["url"].removeprefix(PUBLIC)
    body = json.loads(base64.b64decode(http["body"]))
    return web.task(path, body)


def test_few_maps_sync_inline(web: Web) -> None:
    create(web)
    next_day(web)
    answer = web.task("/tasks/sync", {}).json()
    assert answer["mode"] == "inline" and answer["to_sync"] == 1
    # The same run sends what is due (the local workspace's outbox folder stands in for SMTP).
    assert answer["alerts"]["failed"] == 0 and answer["alerts"]["retry"] == 0
    assert web.fake.tasks == []
    [row] = web.app.registry.maps()
    assert row.last_synced_on == TODAY + timedelta(days=1)
    assert (web.settings.workspace / "rollup.xlsx").exists()
    # nothing changed since: the next run has nothing to do
    assert web.task("/tasks/sync", {}).json()["to_sync"] == 0


def _four_maps(web: Web) -> list[str]:
    ids = []
    for n in range(4):
        event = web.event(
            form={
                "deal": {"stringInputs": {"value": [f"Rollout {n}"]}},
                "buyer_company": {"stringInputs": {"value": ["Northwind"]}},
                "buyer_contacts": {"stringInputs": {"value": ["dana@northwind.example.com"]}},
                "template": {"stringInputs": {"value": ["smb"]}},
                "target_close": {"dateInput": {"msSinceEpoch": 1780012800000}},  # 2026-05-29
            },
            params={"request_id": f"req-{n}"},
        )
        assert web.post("/addon/actions/create", event).status_code == 200
    ids = [m.id for m in web.app.registry.maps()]
    assert len(ids) == 4
    return ids


def test_fan_out(web: Web) -> None:
    ids = _four_maps(web)
    next_day(web)
    answer = web.task("/tasks/sync", {}).json()
    assert answer.pop("alerts")["failed"] == 0  # the pass that sends what is due
    assert answer == {
        "mode": "fan-out",
        "listed": 4,
        "to_sync": 4,
        "queued": 4,
        "duplicates": 0,
        "synced": {"written": 0, "unchanged": 0, "failed": 0, "skipped": 0},
    }
    tasks = web.fake.tasks_in(QUEUE)
    assert len(tasks) == 5  # one a MAP, then the roll-up
    per_map = [t for t in tasks if t["httpRequest"]["url"] == PUBLIC + SYNC_MAP_PATH]
    assert sorted(
        json.loads(base64.b64decode(t["httpRequest"]["body"]))["map_id"] for t in per_map
    ) == sorted(ids)
    rollup = tasks[-1]
    assert rollup["httpRequest"]["url"] == PUBLIC + ROLLUP_PATH
    assert rollup["scheduleTime"] > per_map[0].get("scheduleTime", "")  # after the queue drains

    # the scheduler retries in the same window: every task name is taken, nothing is doubled
    again = web.task("/tasks/sync", {}).json()
    assert again["queued"] == 0 and again["duplicates"] == 4
    assert len(web.fake.tasks_in(QUEUE)) == 5

    for task in tasks:
        assert run_task(web, task).status_code == 200
    day2 = date(2026, 3, 3)
    assert {m.last_synced_on for m in web.app.registry.maps()} == {day2}
    assert (web.settings.workspace / "rollup.xlsx").exists()


def test_a_task_for_a_map_that_is_gone_is_done(web: Web) -> None:
    answer = web.task(SYNC_MAP_PATH, {"map_id": "MAP-GONE"})
    assert answer.status_code == 200 and answer.json()["outcome"] == "skipped"


def test_cloud_setup_creates_then_updates_queue_and_job(web: Web) -> None:
    creds = Credentials(token="service-token")  # type: ignore[no-untyped-call]
    tasks = service("cloudtasks", "v2", creds, root_url=web.fake.url)
    scheduler = service("cloudscheduler", "v1", creds, root_url=web.fake.url)
    args: dict[str, Any] = {
        "tasks": tasks,
        "scheduler": scheduler,
        "project": "project",
        "location": "europe-west1",
        "queue": "map-sync-2",
        "service_url": PUBLIC,
        "invoker": INVOKER,
        "schedule": "*/15 * * * *",
        "time_zone": "Etc/UTC",
    }
    first = cloud_setup(**args)
    assert (first.queue_action, first.job_action) == ("created", "created")
    queue = web.fake.queues[first.queue]
    assert queue["rateLimits"]["maxDispatchesPerSecond"] == TASKS_PER_SECOND
    assert queue["rateLimits"]["maxConcurrentDispatches"] == CONCURRENT_TASKS
    job = web.fake.jobs[first.job]
    target = job["httpTarget"]
    assert target["uri"] == PUBLIC + "/tasks/sync"
    assert target["oidcToken"] == {
        "serviceAccountEmail": INVOKER,
        "audience": PUBLIC + "/tasks/sync",
    }
    second = cloud_setup(**{**args, "schedule": "*/10 * * * *"})
    assert (second.queue_action, second.job_action) == ("updated", "updated")
    assert web.fake.jobs[first.job]["schedule"] == "*/10 * * * *"


def test_quota_arithmetic() -> None:
    # a per-MAP task costs at most one Sheets read and one write: stay under 60 a minute
    assert TASKS_PER_SECOND * 60 * 2 <= 50
