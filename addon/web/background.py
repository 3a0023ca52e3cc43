"""Background sync: Cloud Scheduler calls /tasks/sync; with many MAPs to sync it fans out one
Cloud Tasks task per MAP, and the queue's rate keeps the service account under its Sheets
quota across every instance (a sleep in one process could not).

Quota arithmetic: Sheets allows 60 requests a minute per user per project, and the service
account is one user. A per-MAP task costs at most one read and one write, so 0.4 tasks a
second is at most 48 Sheets calls a minute, leaving room for the roll-up write and the odd
re-read after a buyer saved mid-sync. The listing that finds changed MAPs is one Drive call
(Drive's quota is separate).

Task names are per MAP and per time window (the scheduler's interval), so a scheduler retry
or a second instance enqueuing the same MAP in the same window collapses into one task:
Cloud Tasks refuses a name it has seen recently with 409 ALREADY_EXISTS. Names start with a
hash, as Cloud Tasks advises, so they spread over its key space.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from googleapiclient.errors import HttpError

from addon.crm.links import CrmReport
from addon.google.clients import service
from addon.registry.models import MapRow
from addon.registry.store import Registry
from addon.sync import ACTIVE, MapResult, needs_sync, sync_all
from addon.workspace.base import Workspace

TASKS_PER_SECOND = 0.4
CONCURRENT_TASKS = 2
SYNC_MAP_PATH = "/tasks/sync-map"
ROLLUP_PATH = "/tasks/rollup"
SYNC_PATH = "/tasks/sync"


def queue_body(name: str) -> dict[str, Any]:
    """The queue as `mapctl cloud-setup` creates it (cloudtasks v2 Queue)."""
    return {
        "name": name,
        "rateLimits": {
            "maxDispatchesPerSecond": TASKS_PER_SECOND,
            "maxConcurrentDispatches": CONCURRENT_TASKS,
        },
        # A task that failed (503: Google was busy) is tried again, backing off.
        "retryConfig": {"maxAttempts": 5, "minBackoff": "10s", "maxBackoff": "300s"},
    }


def job_body(
    name: str, service_url: str, invoker: str, schedule: str, time_zone: str
) -> dict[str, Any]:
    """The scheduler job (cloudscheduler v1 Job) that starts each background sync."""
    url = service_url.rstrip("/") + SYNC_PATH
    return {
        "name": name,
        "description": "Mutual Action Plan: sync buyer edits and the roll-up",
        "schedule": schedule,
        "timeZone": time_zone,
        "attemptDeadline": "600s",
        "retryConfig": {"retryCount": 1, "minBackoffDuration": "30s"},
        "httpTarget": {
            "uri": url,
            "httpMethod": "POST",
            "headers": {"Content-Type": "application/json"},
            "body": base64.b64encode(b"{}").decode(),
            "oidcToken": {"serviceAccountEmail": invoker, "audience": url},
        },
    }


def task_id(map_id: str, window: int) -> str:
    key = f"{map_id}-w{window}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"{digest}-{key}".replace("_", "-")


class TaskQueue:
    """Creates tasks in one Cloud Tasks queue, each an authenticated POST to this service."""

    def __init__(
        self, queue: str, service_url: str, invoker: str, http: Any, root_url: str | None = None
    ) -> None:
        self.queue, self.base, self.invoker = queue, service_url.rstrip("/"), invoker
        self.tasks = service("cloudtasks", "v2", root_url=root_url, http=http)

    def enqueue(
        self, path: str, body: dict[str, Any], task: str, at: datetime | None = None
    ) -> bool:
        """True when queued, False when a task of that name exists (a duplicate)."""
        url = self.base + path
        spec: dict[str, Any] = {
            "name": f"{self.queue}/tasks/{task}",
            "httpRequest": {
                "url": url,
                "httpMethod": "POST",
                "headers": {"Content-Type": "application/json"},
                "body": base64.b64encode(json.dumps(body).encode()).decode(),
                "oidcToken": {"serviceAccountEmail": self.invoker, "audience": url},
            },
        }
        if at is not None:
            spec["scheduleTime"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            self.tasks.projects().locations().queues().tasks().create(
                parent=self.queue, body={"task": spec}
            ).execute(num_retries=3)
        except HttpError as err:
            if err.resp.status == 409:
                return False
            raise
        return True


@dataclass
class Plan:
    """What one scheduled run did."""

    mode: str  # inline, fan-out
    listed: int = 0
    to_sync: int = 0
    queued: int = 0
    duplicates: int = 0
    results: list[MapResult] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "listed": self.listed,
            "to_sync": self.to_sync,
            "queued": self.queued,
            "duplicates": self.duplicates,
            "synced": {
                o: sum(1 for r in self.results if r.outcome == o)
                for o in ("written", "unchanged", "failed", "skipped")
            },
        }


def scheduled_sync(
    *,
    workspace: Workspace,
    registry: Registry,
    today_of: Callable[[MapRow], date],
    now: datetime,
    queue: TaskQueue | None,
    inline_limit: int,
    interval_minutes: int,
    crm: Callable[[date], CrmReport | None] | None = None,
) -> Plan:
    """One listing finds the MAPs that need work; few (or no queue): sync them here and write
    the roll-up; many: one task per MAP, then a roll-up task after the queue has drained."""
    maps = registry.maps(ACTIVE)
    listed = workspace.versions([m.sheet_ref for m in maps])
    due = [m for m in maps if needs_sync(m, listed.get(m.sheet_ref), today_of(m))]
    if queue is None or len(due) <= inline_limit:
        report = sync_all(
            workspace=workspace,
            registry=registry,
            today_of=today_of,
            only=[m.id for m in due],
            listed=listed,
            crm=crm,
        )
        return Plan("inline", len(maps), len(due), results=report.results)
    window = int(now.timestamp() // (interval_minutes * 60))
    plan = Plan("fan-out", len(maps), len(due))
    for row in due:
        if queue.enqueue(SYNC_MAP_PATH, {"map_id": row.id}, task_id(row.id, window)):
            plan.queued += 1
        else:
            plan.duplicates += 1
    drained = now + timedelta(seconds=len(due) / TASKS_PER_SECOND + 60)
    queue.enqueue(ROLLUP_PATH, {}, task_id("rollup", window), at=drained)
    return plan


@dataclass(frozen=True)
class Setup:
    queue: str
    job: str
    queue_action: str  # created, updated
    job_action: str


def _create_or_patch(
    collection: Any, parent: str, name: str, body: dict[str, Any], create: Callable[..., Any]
) -> str:
    try:
        collection.get(name=name).execute(num_retries=3)
    except HttpError as err:
        if err.resp.status != 404:
            raise
        create(parent=parent, body=body).execute(num_retries=3)
        return "created"
    mask = ",".join(k for k in body if k != "name")
    collection.patch(name=name, body=body, updateMask=mask).execute(num_retries=3)
    return "updated"


def cloud_setup(
    *,
    tasks: Any,
    scheduler: Any,
    project: str,
    location: str,
    queue: str,
    service_url: str,
    invoker: str,
    schedule: str,
    time_zone: str,
) -> Setup:
    """Create or update the task queue (its rate is the quota guard) and the scheduler job.
    Safe to run again: what exists is brought up to date."""
    parent = f"projects/{project}/locations/{location}"
    queue_name = f"{parent}/queues/{queue}"
    job_name = f"{parent}/jobs/{queue}-sync"
    queues = tasks.projects().locations().queues()
    jobs = scheduler.projects().locations().jobs()
    queue_action = _create_or_patch(
        queues, parent, queue_name, queue_body(queue_name), queues.create
    )
    job = job_body(job_name, service_url, invoker, schedule, time_zone)
    job_action = _create_or_patch(jobs, parent, job_name, job, jobs.create)
    return Setup(queue_name, job_name, queue_action, job_action)
