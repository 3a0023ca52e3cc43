"""The open Gmail message's headers: all the Create MAP form needs from a thread.

An HTTP add-on reads the message with the Gmail API as the rep: the event's user OAuth
token as Bearer, plus the per-message `X-Goog-Gmail-Access-Token` from the event (granted
by the `gmail.addons.current.message.metadata` scope, which exposes headers, not the body).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Protocol

import httplib2
from google.oauth2.credentials import Credentials

from addon.google.clients import service
from addon.google.transport import authorized_http
from addon.web.events import Event

WANTED = ("From", "To", "Cc", "Subject")


class MessageReader(Protocol):
    def headers(self, event: Event) -> dict[str, str]:
        """From, To, Cc and Subject of the message the rep has open."""


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


class SampleReader:
    """Messages given up front, by id: the local card preview's stand-in for Gmail."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self.messages = messages

    def headers(self, event: Event) -> dict[str, str]:
        if event.gmail is None:
            return {}
        return dict(self.messages.get(event.gmail.message_id, {}))
