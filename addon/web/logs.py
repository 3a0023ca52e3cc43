"""Logs Cloud Logging understands: one JSON object a line on stdout, with `severity` (Python's
level names are Cloud Logging's), `message`, the request's trace when Cloud Run passes one
(`X-Cloud-Trace-Context`), and `httpRequest` on the per-request line; a line with an
exception is an Error Reporting event. Formatting is
python-json-logger's; this module only names the fields.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from flask import has_request_context, request
from pythonjsonlogger.json import JsonFormatter

TRACE = "logging.googleapis.com/trace"
# Error Reporting groups a JSON log entry whose @type is this and whose message holds the
# stack trace as traceback.format_exc() prints it
# (https://cloud.google.com/error-reporting/docs/formatting-error-messages).
REPORTED_ERROR = (
    "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"
)


class CloudJsonFormatter(JsonFormatter):
    """One JSON object a line; a line with an exception is also an Error Reporting event:
    `@type` ReportedErrorEvent, the message followed by the traceback, and the service
    and revision Cloud Run names in K_SERVICE and K_REVISION."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        trace = log_data.pop("exc_info", None)
        if record.exc_info and trace:
            log_data["@type"] = REPORTED_ERROR
            log_data["message"] = f"{record.getMessage()}\n{trace}"
            context = {"service": os.environ.get("K_SERVICE", "map-addon")}
            if revision := os.environ.get("K_REVISION"):
                context["version"] = revision
            log_data["serviceContext"] = context


class _Trace(logging.Filter):
    """Ties a log line to the request's trace, so Cloud Logging groups them."""

    def filter(self, record: logging.LogRecord) -> bool:
        project = os.environ.get("GOOGLE_CLOUD_PROJECT", "")
        if project and has_request_context():
            header = request.headers.get("X-Cloud-Trace-Context", "")
            if header:
                setattr(record, TRACE, f"projects/{project}/traces/{header.split('/')[0]}")
        return True


def configure_logging(fmt: str, level: int = logging.INFO) -> None:
    """Once per process: the add-on's loggers write to stdout as JSON (or plain text)."""
    logger = logging.getLogger("addon")
    if any(getattr(h, "_map", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler._map = True  # type: ignore[attr-defined]
    if fmt == "json":
        handler.setFormatter(
            CloudJsonFormatter(
                "{levelname}{message}{name}",
                style="{",
                rename_fields={"levelname": "severity", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Trace())
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:  # a level set before (a benchmark's) stands
        logger.setLevel(level)
    logger.propagate = False
