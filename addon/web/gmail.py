"""The open Gmail message: its headers (all the Create MAP form needs from a thread) and,
when the rep asks to merge a returned copy, its .xlsx attachments.

An HTTP add-on reads the message with the Gmail API as the rep: the event's user OAuth
token as Bearer, plus the per-message `X-Goog-Gmail-Access-Token` from the event (granted
by the `gmail.addons.current.message.metadata` scope, which exposes headers, not the body).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from email.message import EmailMessage
from functools import cached_property
from typing import Any, Protocol

import httplib2
from google.oauth2.credentials import Credentials

from addon.google.clients import service
from addon.google.transport import authorized_http
from addon.web.events import Event

WANTED = ("From", "To", "Cc", "Subject", "Message-ID", "References")


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MessageReader(Protocol):
    def headers(self, event: Event) -> dict[str, str]:
        """From, To, Cc and Subject of the message the rep has open."""

    def workbooks(self, event: Event) -> list[tuple[str, bytes]]:
        """The .xlsx attachments of the open message, as (file name, bytes)."""

    def draft(self, event: Event, message: EmailMessage) -> tuple[str, str]:
        """A draft in the open message's thread, as the rep: (draft id, thread id)."""


def _xlsx_parts(part: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Attachment parts that are .xlsx workbooks, however deep the MIME tree nests them."""
    found = []
    name = str(part.get("filename", ""))
    if name.lower().endswith(".xlsx") or (name and part.get("mimeType") == XLSX_MIME):
        found.append(part)
    for child in part.get("parts", []) or []:
        found += _xlsx_parts(child)
    return found


def _merge(pairs: list[dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        name = next((w for w in WANTED if w.lower() == pair.get("name", "").lower()), None)
        if name:
            out[name] = f"{out[name]}, {pair['value']}" if name in out else pair.get("value", "")
    return out


class GmailReader:
    def __init__(self, root_url: str | None = None, timeout: float = 20.0) -> None:
        self.root_url, self.timeout = root_url, timeout

    @cached_property
    def _gmail(self) -> Any:  # built once from the bundled document; each call brings its http
        return service("gmail", "v1", root_url=self.root_url, http=httplib2.Http(timeout=1))

    def headers(self, event: Event) -> dict[str, str]:
        if event.gmail is None or not event.gmail.message_id:
            return {}
        credentials = Credentials(token=event.auth.user_oauth_token)  # type: ignore[no-untyped-call]
        request = (
            self._gmail.users()
            .messages()
            .get(
                userId="me",
                id=event.gmail.message_id,
                format="metadata",
                metadataHeaders=list(WANTED),
            )
        )
        request.headers["X-Goog-Gmail-Access-Token"] = event.gmail.access_token
        message = request.execute(http=authorized_http(credentials, self.timeout), num_retries=2)
        return _merge(message.get("payload", {}).get("headers", []))

    def workbooks(self, event: Event) -> list[tuple[str, bytes]]:
        """messages.get (full) for the parts, then attachments.get for each workbook: with
        the `gmail.addons.current.message.readonly` scope, asked for only when the rep
        clicks Merge, and the same per-message access token."""
        if event.gmail is None or not event.gmail.message_id:
            return []
        credentials = Credentials(token=event.auth.user_oauth_token)  # type: ignore[no-untyped-call]
        http = authorized_http(credentials, self.timeout)
        messages = self._gmail.users().messages()
        request = messages.get(userId="me", id=event.gmail.message_id, format="full")
        request.headers["X-Goog-Gmail-Access-Token"] = event.gmail.access_token
        message = request.execute(http=http, num_retries=2)
        out = []
        for part in _xlsx_parts(message.get("payload", {})):
            body = part.get("body", {})
            data = body.get("data")
            if data is None and body.get("attachmentId"):
                got = messages.attachments().get(
                    userId="me", messageId=event.gmail.message_id, id=body["attachmentId"]
                )
                got.headers["X-Goog-Gmail-Access-Token"] = event.gmail.access_token
                data = got.execute(http=http, num_retries=2).get("data", "")
            text = str(data or "")
            padded = text + "=" * (-len(text) % 4)  # base64url, padding not guaranteed
            out.append((str(part["filename"]), base64.urlsafe_b64decode(padded)))
        return out

    def draft(self, event: Event, message: EmailMessage) -> tuple[str, str]:
        """users.drafts.create in the open thread, with the
        `gmail.addons.current.action.compose` scope (asked for when the rep clicks Draft
        follow-up) and the open message's access token."""
        if event.gmail is None or not event.gmail.thread_id:
            raise ValueError("no Gmail thread is open")
        credentials = Credentials(token=event.auth.user_oauth_token)  # type: ignore[no-untyped-call]
        raw = base64.urlsafe_b64encode(bytes(message)).decode().rstrip("=")
        request = (
            self._gmail.users()
            .drafts()
            .create(userId="me", body={"message": {"raw": raw, "threadId": event.gmail.thread_id}})
        )
        request.headers["X-Goog-Gmail-Access-Token"] = event.gmail.access_token
        draft = request.execute(http=authorized_http(credentials, self.timeout), num_retries=2)
        return str(draft["id"]), str(draft.get("message", {}).get("threadId", ""))


class SampleReader:
    """Messages given up front, by id: the local card preview's stand-in for Gmail."""

    def __init__(
        self,
        messages: Mapping[str, Mapping[str, str]],
        workbooks: Mapping[str, list[tuple[str, bytes]]] | None = None,
    ) -> None:
        self.messages = messages
        self._workbooks = workbooks or {}
        self.drafts: list[tuple[str, EmailMessage]] = []  # (thread id, message), as created

    def workbooks(self, event: Event) -> list[tuple[str, bytes]]:
        if event.gmail is None:
            return []
        return list(self._workbooks.get(event.gmail.message_id, []))

    def headers(self, event: Event) -> dict[str, str]:
        if event.gmail is None:
            return {}
        return dict(self.messages.get(event.gmail.message_id, {}))

    def draft(self, event: Event, message: EmailMessage) -> tuple[str, str]:
        thread = event.gmail.thread_id if event.gmail else ""
        self.drafts.append((thread, message))
        return f"r-sample-{len(self.drafts)}", thread
