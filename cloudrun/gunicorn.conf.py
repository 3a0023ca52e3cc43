"""Gunicorn settings for Cloud Run.

The Dockerfile runs `gunicorn --config cloudrun/gunicorn.conf.py 'addon.web:create_app()'`.

- One worker process with 8 threads (gthread). Cloud Run scales by starting more instances, so
  one process per instance is enough: one copy of the app, its Google clients and its quota
  pacing. Threads, because a request spends its time waiting on Google APIs and PostgreSQL, and
  a waiting thread releases the GIL. `GUNICORN_THREADS` overrides the 8.
- No worker timeout: Cloud Run ends a request at the service's `timeoutSeconds` (service.yaml);
  gunicorn's heartbeat timeout would only kill a busy worker in the middle of a sync task.
- Logs: JSON lines, the access log on stdout and gunicorn's own log on stderr. Cloud Logging
  reads `severity`, `message`, `time`, `httpRequest` and `logging.googleapis.com/trace` as the
  entry's own fields (https://cloud.google.com/logging/docs/structured-logging) and files the
  rest under jsonPayload. `stack_trace` is the field Error Reporting reads first
  (https://cloud.google.com/error-reporting/docs/formatting-error-messages). Application code
  logs through the root logger and gets the same format; `extra={...}` fields become keys.
  gunicorn's access log is off by default: the app logs each request once, with the same
  `httpRequest` fields and what the request came to (addon/web/__init__.py), and two lines
  a request would double the log volume. `GUNICORN_ACCESS_LOG=on` turns it on (for a request
  that never reaches the app); health checks (/healthz, every 30 s) are left out of it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter

bind = [f":{os.environ.get('PORT', '8080')}"]
workers = 1
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 0
# Cloud Run sends SIGTERM and kills the container 10 seconds later: finish what is in flight.
graceful_timeout = 8
# Only Cloud Run's front end reaches the container, so trust its X-Forwarded-Proto (https).
forwarded_allow_ips = "*"
# Gunicorn 25.1+ opens a control socket under $HOME; the container's user has no writable home.
control_socket_disable = True

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
loglevel = LOG_LEVEL.lower()
# The access log's `message`; everything else about the request goes into `httpRequest`.
access_log_format = "%(m)s %(U)s %(s)s"


def _atom(atoms: Mapping[str, Any], key: str) -> str | None:
    """One of gunicorn's access-log atoms, or None when it is absent ('-')."""
    value = atoms.get(key)
    if value is None or value == "-" or value == "":
        return None
    # gunicorn's SafeAtoms escapes double quotes for its text format; JSON does its own.
    return str(value).replace('\\"', '"')


def _http_request(atoms: Mapping[str, Any]) -> dict[str, Any]:
    """Cloud Logging's HttpRequest (field names as in LogEntry.httpRequest of logging v2)."""
    request: dict[str, Any] = {}
    method = _atom(atoms, "m")
    if method:
        request["requestMethod"] = method
    raw_uri = _atom(atoms, "{raw_uri}e") or _atom(atoms, "U") or ""
    host = _atom(atoms, "{host}i")
    scheme = _atom(atoms, "{x-forwarded-proto}i") or _atom(atoms, "{wsgi.url_scheme}e") or "http"
    request["requestUrl"] = f"{scheme}://{host}{raw_uri}" if host else raw_uri
    status = _atom(atoms, "s")
    if status and status.isdigit():
        request["status"] = int(status)
    size = _atom(atoms, "B")
    if size:
        request["responseSize"] = size  # int64 fields are JSON strings in Google APIs
    body = _atom(atoms, "{content-length}i")
    if body:
        request["requestSize"] = body
    forwarded = _atom(atoms, "{x-forwarded-for}i")
    remote = forwarded.split(",")[0].strip() if forwarded else _atom(atoms, "h")
    if remote:
        request["remoteIp"] = remote
    for key, atom in (("userAgent", "a"), ("referer", "f"), ("protocol", "H")):
        value = _atom(atoms, atom)
        if value:
            request[key] = value
    latency = _atom(atoms, "L")  # seconds, "%d.%06d"
    if latency:
        request["latency"] = f"{latency}s"  # a Duration
    return request


class CloudLoggingFormatter(JsonFormatter):
    """python-json-logger 4.x formatter that adds Cloud Logging's request fields to access logs."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        atoms = record.args
        if record.name != "gunicorn.access" or not isinstance(atoms, Mapping):
            return
        http_request = _http_request(atoms)
        log_data["httpRequest"] = http_request
        if http_request.get("status", 0) >= 500:
            log_data["severity"] = "ERROR"
        # X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1. Linking needs the project id.
        trace = _atom(atoms, "{x-cloud-trace-context}i")
        project = os.environ.get("GOOGLE_CLOUD_PROJECT")
        if trace and project:
            log_data["logging.googleapis.com/trace"] = (
                f"projects/{project}/traces/{trace.split('/')[0]}"
            )


class _NotHealthChecks(logging.Filter):
    """Drops the access-log lines of Cloud Run's startup and liveness probes."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        return not (isinstance(atoms, Mapping) and atoms.get("U") == "/healthz")


ACCESS_LOG = os.environ.get("GUNICORN_ACCESS_LOG", "off").lower() in ("on", "1", "true")

_JSON_FORMATTER = {
    "()": CloudLoggingFormatter,
    "fmt": "%(levelname)s %(name)s %(message)s",
    "rename_fields": {"levelname": "severity", "name": "logger", "exc_info": "stack_trace"},
    "timestamp": "time",
}

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": _JSON_FORMATTER},
    "filters": {"not_health_checks": {"()": _NotHealthChecks}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        },
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["not_health_checks"],
            "stream": "ext://sys.stdout",
        },
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"level": LOG_LEVEL, "handlers": ["stdout"]},
    "loggers": {
        # propagate False: each line is written once, not again through the root logger.
        "gunicorn.error": {"level": LOG_LEVEL, "handlers": ["stderr"], "propagate": False},
        # Seven "setup plugin" lines at every start; the migrations themselves still log.
        "alembic.runtime.plugins": {"level": "WARNING"},
        "gunicorn.access": {
            "level": "INFO" if ACCESS_LOG else "WARNING",
            "handlers": ["access"],
            "propagate": False,
        },
    },
}
