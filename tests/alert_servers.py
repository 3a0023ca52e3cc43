"""Local stand-ins for the alert channels, started by the tests: an SMTP server (aiosmtpd)
and an HTTP receiver for Google Chat and Slack incoming webhooks. Both can be told to fail.

The Chat receiver checks each post against the Chat API's own discovery document (shipped
with google-api-python-client): the path is spaces.messages.create's, every query parameter
is one that method takes (plus a webhook's key and token), messageReplyOption is one of its
enum values, and the body is a Message with text. Slack's receiver answers as Slack does:
"ok", or an error text with a status (429 with Retry-After when rate limited).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import googleapiclient
import pytest
from aiosmtpd.controller import Controller

from tests.web_env import free_port

CHAT = json.loads(
    (Path(googleapiclient.__file__).parent / "discovery_cache/documents/chat.v1.json").read_text()
)
CREATE = CHAT["resources"]["spaces"]["resources"]["messages"]["methods"]["create"]


@dataclass
class Mailbox:
    """What the SMTP server received; `fail` answers the next N messages with 451."""

    messages: list[EmailMessage] = field(default_factory=list)
    fail: int = 0
    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail > 0:
            self.fail -= 1
            self.refused += 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def text(self, message: EmailMessage) -> str:
        body = message.get_body(("plain",))
        assert body is not None
        return str(body.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


@dataclass
class Hooks:
    """What the webhook receiver got; `fail[kind]` answers the next N posts with an error."""

    port: int
    chat: list[dict[str, Any]] = field(default_factory=list)
    slack: list[dict[str, Any]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def chat_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/spaces/AAAAteam/messages?key=k-test&token=t-test"

    @property
    def slack_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T000/B000/XXXXtest"


def _check_chat(path: str, query: dict[str, list[str]], body: dict[str, Any]) -> list[str]:
    problems = []
    if not re.fullmatch(r"/v1/spaces/[^/]+/messages", path):
        problems.append(f"{path} is not spaces.messages.create")
    allowed = set(CREATE["parameters"]) | {"key", "token"}
    for name, values in query.items():
        if name not in allowed:
            problems.append(f"unknown parameter {name}")
        enum = CREATE["parameters"].get(name, {}).get("enum")
        if enum and values[0] not in enum:
            problems.append(f"{name}={values[0]} is not one of {enum}")
    message = CHAT["schemas"]["Message"]["properties"]
    problems += [f"Message has no field {k}" for k in body if k not in message]
    if not body.get("text"):
        problems.append("no text")
    return problems


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    port = free_port()
    state = Hooks(port)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            url = urlparse(self.path)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            kind = "chat" if url.path.startswith("/v1/") else "slack"
            if state.fail.get(kind, 0) > 0:
                state.fail[kind] -= 1
                if kind == "slack":
                    self._answer(429, "rate_limited", {"Retry-After": "1"})
                else:
                    self._answer(503, json.dumps({"error": {"code": 503, "status": "UNAVAILABLE"}}))
                return
            if kind == "chat":
                query = parse_qs(url.query)
                state.problems += _check_chat(url.path, query, body)
                state.chat.append({"query": query, "body": body})
                self._answer(200, json.dumps({"name": "spaces/AAAAteam/messages/1", **body}))
            else:
                if set(body) - {"text", "blocks"}:
                    state.problems.append(f"slack: unexpected fields {sorted(body)}")
                state.slack.append(body)
                self._answer(200, "ok")

        def _answer(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
            data = text.encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
