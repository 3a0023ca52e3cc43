"""Cloud Tasks v2 queues and tasks, Cloud Scheduler v1 jobs: the checks both APIs make.

Modelled (Cloud Tasks v2 and Cloud Scheduler v1 references, cloud.google.com/tasks/docs
/reference/rest/v2 and cloud.google.com/scheduler/docs/reference/rest/v1; the quotes are
from the field descriptions in the bundled discovery documents):
- Names: a queue is `projects/P/locations/L/queues/Q` ("QUEUE_ID can contain letters,
  numbers, or hyphens. The maximum length is 100 characters"), a task is `<queue>/tasks/T`
  and a job `projects/P/locations/L/jobs/J` ("can contain only letters, numbers, hyphens,
  or underscores. The maximum length is 500 characters").
- Times are RFC 3339 in UTC with a "Z" (google-datetime); a task's createTime "will be
  truncated to the nearest second"; durations are seconds with an "s" suffix.
- HttpRequest.url / HttpTarget.uri "must begin with either http:// or https://"; "A request
  body is allowed only if the HTTP method is POST, PUT, or PATCH"; "The maximum task size
  is 100KB".
- A oneof set twice is refused by Google's JSON parser ("Oneof field 'target' is already
  set").
- Field masks (queues.patch, jobs.patch): each path must name a field of the resource; a
  path absent from the body clears that field. Without a mask, the fields the body sets are
  updated (AIP-134: "the service must treat an omitted field mask as an implied field mask
  equivalent to all fields that are populated"); output-only fields are never written.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.googlefake.discovery import ApiError, document

QUEUE = re.compile(r"^projects/[^/]+/locations/[^/]+/queues/[A-Za-z0-9-]{1,100}$")
TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,500}$")
TASK_MAX_BYTES = 100 * 1024


def rfc3339(when: datetime) -> str:
    """A google-datetime: UTC, "Z", fractional seconds only when there are any."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{when.microsecond:06d}" if when.microsecond else "") + "Z"


def parse_time(value: str, where: str) -> datetime:
    """A google-datetime from a request, as a naive UTC datetime (the fake's clock)."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ApiError(
            400,
            f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.Timestamp), "
            f"Field '{where}', Invalid time format: \"{value}\"",
        ) from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def seconds(value: str, where: str) -> float:
    """A google-duration ("3.5s") in seconds."""
    m = re.fullmatch(r"(-?\d+(?:\.\d{1,9})?)s", value)
    if m is None:
        raise ApiError(
            400,
            f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.Duration), "
            f"Field '{where}', Illegal duration format; duration must end with 's': \"{value}\"",
        )
    return float(m[1])


def check_oneof(obj: dict[str, Any], fields: tuple[str, ...], oneof: str) -> None:
    present = [f for f in fields if obj.get(f) is not None]
    if len(present) > 1:
        raise ApiError(
            400,
            f"Invalid JSON payload received. Oneof field '{oneof}' is already set. "
            f"Cannot set '{present[1]}'",
        )


def check_http(target: dict[str, Any], url_key: str, where: str) -> None:
    """An HttpRequest (Cloud Tasks) or HttpTarget (Cloud Scheduler)."""
    url = target.get(url_key)
    if not url:
        raise ApiError(400, f"{where}.{url_key} is required.")
    if not str(url).startswith(("http://", "https://")):
        raise ApiError(400, f"{where}.{url_key} must begin with either http:// or https://.")
    if len(str(url)) > 2083:
        raise ApiError(400, f"{where}.{url_key} is longer than 2083 characters.")
    method = target.get("httpMethod", "POST")
    body = target.get("body")
    if body:
        try:
            base64.b64decode(str(body), validate=True)
        except binascii.Error:
            raise ApiError(
                400, f"Invalid value at '{where}.body' (TYPE_BYTES), Base64 decoding failed"
            ) from None
        if method not in ("POST", "PUT", "PATCH", "HTTP_METHOD_UNSPECIFIED"):
            raise ApiError(
                400, f"{where}: a body is allowed only if the HTTP method is POST, PUT or PATCH."
            )
    check_oneof(target, ("oauthToken", "oidcToken"), "authorization_header")


def check_queue(queue: dict[str, Any]) -> None:
    """The limits the Queue fields document (RateLimits, RetryConfig)."""
    rate = queue.get("rateLimits") or {}
    if float(rate.get("maxDispatchesPerSecond", 0)) > 500:
        raise ApiError(400, "rateLimits.maxDispatchesPerSecond: the maximum allowed value is 500.")
    if int(rate.get("maxConcurrentDispatches", 0)) > 5000:
        raise ApiError(
            400, "rateLimits.maxConcurrentDispatches: the maximum allowed value is 5,000."
        )
    retry = queue.get("retryConfig") or {}
    if int(retry.get("maxAttempts", 0)) < -1:
        raise ApiError(400, "retryConfig.maxAttempts must be greater than or equal to -1.")
    for key in ("minBackoff", "maxBackoff", "maxRetryDuration"):
        if key in retry:
            seconds(str(retry[key]), f"queue.retry_config.{key}")


def check_task(task: dict[str, Any], parent: str) -> None:
    name = task.get("name")
    if name is not None:
        queue, sep, task_id = str(name).rpartition("/tasks/")
        if not sep or queue != parent or TASK_ID.match(task_id) is None:
            raise ApiError(
                400,
                f'Task name "{name}" is invalid: it must be "{parent}/tasks/TASK_ID", TASK_ID '
                "made of letters, numbers, hyphens or underscores, at most 500 characters.",
            )
    check_oneof(task, ("appEngineHttpRequest", "httpRequest"), "message_type")
    if task.get("httpRequest") is not None:
        check_http(task["httpRequest"], "url", "task.httpRequest")
    if "dispatchDeadline" in task:
        seconds(str(task["dispatchDeadline"]), "task.dispatch_deadline")
    if len(json.dumps(task).encode()) > TASK_MAX_BYTES:
        raise ApiError(400, "Task size too large: the maximum task size is 100KB.")


def check_job(job: dict[str, Any]) -> None:
    check_oneof(job, ("pubsubTarget", "appEngineHttpTarget", "httpTarget"), "target")
    if job.get("httpTarget") is not None:
        check_http(job["httpTarget"], "uri", "job.httpTarget")
        # Job.attemptDeadline: "For HTTP targets ... The deadline must be in the interval
        # [15 seconds, 30 minutes]."
        deadline = seconds(str(job.get("attemptDeadline", "180s")), "job.attempt_deadline")
        if not 15 <= deadline <= 1800:
            raise ApiError(
                400, "job.attemptDeadline must be between 15 seconds and 30 minutes for HTTP."
            )
    if len(str(job.get("description", ""))) > 500:
        raise ApiError(400, "job.description must not contain more than 500 characters.")
    # Job.timeZone: "a time zone name from the tz database ... For UTC use the string utc".
    zone = job.get("timeZone")
    if zone and str(zone).lower() != "utc":
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise ApiError(400, f"Invalid time zone: {zone}") from None


def output_only(api: str, schema: str) -> set[str]:
    """Fields the caller cannot write: "Output only." in their description, and `name`."""
    props = document(api)["schemas"][schema]["properties"]
    return {"name"} | {
        k for k, v in props.items() if str(v.get("description", "")).startswith("Output only.")
    }


def writable(api: str, schema: str, body: dict[str, Any]) -> dict[str, Any]:
    skip = output_only(api, schema)
    return {k: copy.deepcopy(v) for k, v in body.items() if k not in skip}


def _camel(segment: str) -> str:
    head, *rest = segment.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def apply_mask(
    api: str, schema: str, stored: dict[str, Any], body: dict[str, Any], mask: str | None
) -> None:
    """Update `stored` from `body` for each path of the field mask (see the module notes)."""
    doc = document(api)
    skip = output_only(api, schema)
    if mask:
        paths = [[_camel(s) for s in p.strip().split(".")] for p in mask.split(",") if p.strip()]
    else:
        paths = [[k] for k, v in body.items() if v is not None and k not in skip]
    for path in paths:
        spec: dict[str, Any] = doc["schemas"][schema]
        for segment in path:
            if "$ref" in spec:
                spec = doc["schemas"][spec["$ref"]]
            field = spec.get("properties", {}).get(segment)
            if field is None:
                raise ApiError(
                    400,
                    f'Invalid field mask: "{".".join(path)}" does not name a field of {schema}.',
                )
            spec = field
        if path[0] in skip:
            continue
        source: Any = body
        for segment in path:
            source = source.get(segment) if isinstance(source, dict) else None
        target = stored
        for segment in path[:-1]:
            target = target.setdefault(segment, {})
        if source is None:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = copy.deepcopy(source)
