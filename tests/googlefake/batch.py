"""The batch wire format: multipart/mixed bodies of application/http parts.

Request (Drive guide "Batch requests", developers.google.com/drive/api/guides/performance):
each part has `Content-Type: application/http` and a `Content-ID`, and its body is a whole
HTTP request: request line, headers, blank line, body. The response is multipart/mixed too,
one part per call in order, each `Content-ID: <response-ID>` holding a whole HTTP response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import urlsplit

from tests.googlefake.discovery import ApiError


@dataclass(frozen=True)
class Part:
    content_id: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


def split(content_type: str, raw: bytes) -> list[Part]:
    if not content_type.startswith("multipart/mixed"):
        raise ApiError(400, "A batch request must be multipart/mixed.")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    parts: list[Part] = []
    for part in message.iter_parts():
        if part.get_content_type() != "application/http":
            raise ApiError(400, "Each part of a batch request must be application/http.")
        inner = part.get_payload(decode=True)
        assert isinstance(inner, bytes)
        request_line, _, rest = inner.replace(b"\r\n", b"\n").partition(b"\n")
        head, _, body = rest.partition(b"\n\n")
        method, target, _version = request_line.decode().split(" ", 2)
        url = urlsplit(target)
        headers: dict[str, str] = {}
        for line in head.decode().splitlines():
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        parts.append(
            Part(str(part["Content-ID"] or ""), method, url.path, url.query, headers, body)
        )
    return parts


def join(
    answers: Sequence[tuple[str, int, bytes]], reasons: Mapping[int, str]
) -> tuple[bytes, str]:
    """(content id, status, JSON payload) per call -> the multipart body and its boundary.
    An empty payload (a 204 No Content, e.g. permissions.delete) has no Content-Type, only
    `Content-Length: 0`, as a single 204 answer has none."""
    boundary = "batch_fake_boundary"
    out = []
    for content_id, status, payload in answers:
        kind = "Content-Type: application/json; charset=UTF-8\r\n" if payload else ""
        out.append(
            f"--{boundary}\r\nContent-Type: application/http\r\n"
            f"Content-ID: <response-{content_id.strip('<>')}>\r\n\r\n"
            f"HTTP/1.1 {status} {reasons.get(status, 'Error')}\r\n"
            f"{kind}"
            f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
            + b"\r\n"
        )
    return b"".join(out) + f"--{boundary}--\r\n".encode(), boundary
