"""Gmail messages in the fake: the one read an HTTP Gmail add-on makes of the open message.

Modelled (Gmail API v1 reference, developers.google.com/gmail/api/reference/rest/v1, and
the Google Workspace add-ons guide for HTTP runtimes):
- users.messages.get with format=metadata (or minimal): the Message resource, its headers
  in `payload.headers` as [{"name", "value"}] in the message's order, only those named in
  `metadataHeaders` when given (matched case-insensitively, as header names are);
  format=minimal has no payload ("Returns only email message ID and labels").
- An add-on reads the open message with the user's OAuth token as Bearer plus the event's
  `gmail.accessToken` in the `X-Goog-Gmail-Access-Token` header; that token unlocks only
  its own message. How Gmail refuses a request without it is unconfirmed (see server.py).
- The first message of a thread has threadId equal to its own id, as Gmail's threads do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ACCESS_HEADER = "x-goog-gmail-access-token"


@dataclass
class Message:
    id: str
    thread_id: str
    headers: list[tuple[str, str]]
    access_token: str
    received: datetime
    history_id: int
    label_ids: list[str] = field(default_factory=lambda: ["INBOX"])

    def resource(self, fmt: str, wanted: list[str]) -> dict[str, Any]:
        stamp = self.received.replace(tzinfo=self.received.tzinfo or UTC).timestamp()
        answer: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": list(self.label_ids),
            "snippet": "",
            "historyId": str(self.history_id),
            "internalDate": str(int(stamp * 1000)),
            "sizeEstimate": sum(len(n) + len(v) + 4 for n, v in self.headers) + 2,
        }
        if fmt == "metadata":
            names = {w.lower() for w in wanted}
            answer["payload"] = {
                "mimeType": "multipart/alternative",
                "headers": [
                    {"name": n, "value": v}
                    for n, v in self.headers
                    if not names or n.lower() in names
                ],
            }
        return answer
