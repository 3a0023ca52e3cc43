"""Gmail messages in the fake: the reads an HTTP Gmail add-on makes of the open message.

Modelled (Gmail API v1 reference, developers.google.com/gmail/api/reference/rest/v1, and
the Google Workspace add-ons guide for HTTP runtimes):
- users.messages.get with format=metadata (or minimal): the Message resource, its headers
  in `payload.headers` as [{"name", "value"}] in the message's order, only those named in
  `metadataHeaders` when given (matched case-insensitively, as header names are);
  format=minimal has no payload ("Returns only email message ID and labels").
- format=full (the default): "the full email message data with body content parsed in the
  `payload` field". The payload is the top-level MessagePart (partId "", the message's
  headers, an empty body) and its `parts`: a text/plain part with the text inline in
  `body.data`, then one part per attachment whose `body` has only `attachmentId` and `size`
  (MessagePartBody: "When present, contains the ID of an external attachment that can be
  retrieved in a separate `messages.attachments.get` request"). A message with attachments
  is multipart/mixed, one without multipart/alternative, in every format.
- users.messages.attachments.get: the MessagePartBody of one attachment, its bytes in
  `data` as base64url ("The body data of a MIME message part as a base64url encoded
  string"), padded, as Python's base64.urlsafe_b64decode in Google's samples expects.
- An add-on reads the open message with the user's OAuth token as Bearer plus the event's
  `gmail.accessToken` in the `X-Goog-Gmail-Access-Token` header; that token unlocks only
  its own message (and its attachments). How Gmail refuses a request without it is
  unconfirmed (see server.py).
- The first message of a thread has threadId equal to its own id, as Gmail's threads do.

Not modelled: a real multipart/mixed message usually nests a multipart/alternative part
(text/plain and text/html) before the attachments; here the text/plain part stands alone.
Gmail's attachment ids are opaque and can differ from one read of a message to the next;
the fake's are stable (`Message.attachment_id`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ACCESS_HEADER = "x-goog-gmail-access-token"


def b64url(data: bytes) -> str:
    """base64url with padding, as Gmail's `data` fields."""
    return base64.urlsafe_b64encode(data).decode("ascii")


@dataclass
class Message:
    id: str
    thread_id: str
    headers: list[tuple[str, str]]
    access_token: str
    received: datetime
    history_id: int
    label_ids: list[str] = field(default_factory=lambda: ["INBOX"])
    text: str = ""  # the text/plain body
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # name, type, data

    @property
    def mime_type(self) -> str:
        return "multipart/mixed" if self.attachments else "multipart/alternative"

    def attachment_id(self, index: int) -> str:
        """An opaque id, shaped like Gmail's ("ANGjdJ..."), stable for the fake's tests."""
        return f"ANGjdJ_{self.id}_{index}_fake"

    def attachment_body(self, attachment_id: str) -> dict[str, Any] | None:
        """users.messages.attachments.get's answer (MessagePartBody); None if no such id."""
        for i, (_name, _type, data) in enumerate(self.attachments):
            if self.attachment_id(i) == attachment_id:
                return {"attachmentId": attachment_id, "size": len(data), "data": b64url(data)}
        return None

    def resource(self, fmt: str, wanted: list[str]) -> dict[str, Any]:
        stamp = self.received.replace(tzinfo=self.received.tzinfo or UTC).timestamp()
        text = self.text.encode()
        answer: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": list(self.label_ids),
            # UNCONFIRMED: Gmail's snippet is "A short part of the message text"; its length
            # and how it treats whitespace are guessed here (the first 200 characters).
            "snippet": " ".join(self.text.split())[:200],
            "historyId": str(self.history_id),
            "internalDate": str(int(stamp * 1000)),
            "sizeEstimate": sum(len(n) + len(v) + 4 for n, v in self.headers)
            + 2
            + len(text)
            + sum(len(data) for _name, _type, data in self.attachments),
        }
        if fmt == "metadata":
            names = {w.lower() for w in wanted}
            answer["payload"] = {
                "mimeType": self.mime_type,
                "headers": [
                    {"name": n, "value": v}
                    for n, v in self.headers
                    if not names or n.lower() in names
                ],
            }
        elif fmt == "full":
            answer["payload"] = self._payload(text)
        return answer

    def _payload(self, text: bytes) -> dict[str, Any]:
        parts: list[dict[str, Any]] = [
            {
                "partId": "0",
                "mimeType": "text/plain",
                "filename": "",
                "headers": [{"name": "Content-Type", "value": 'text/plain; charset="UTF-8"'}],
                "body": {"size": len(text), "data": b64url(text)} if text else {"size": 0},
            }
        ]
        for i, (name, mime, data) in enumerate(self.attachments):
            parts.append(
                {
                    "partId": str(i + 1),
                    "mimeType": mime,
                    "filename": name,
                    "headers": [
                        {"name": "Content-Type", "value": f'{mime}; name="{name}"'},
                        {"name": "Content-Disposition", "value": f'attachment; filename="{name}"'},
                        {"name": "Content-Transfer-Encoding", "value": "base64"},
                    ],
                    "body": {"attachmentId": self.attachment_id(i), "size": len(data)},
                }
            )
        return {
            "partId": "",
            "mimeType": self.mime_type,
            "filename": "",
            "headers": [{"name": n, "value": v} for n, v in self.headers],
            "body": {"size": 0},
            "parts": parts,
        }
