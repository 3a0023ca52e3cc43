"""The fake served over real HTTP on loopback, for google-api-python-client and gspread.

Point a client at it with `client_options={"api_endpoint": fake.url}`, or build it with
`addon.google.clients.service(name, version, credentials, root_url=fake.url)`. It serves
Sheets v4, Drive v3, Gmail v1, Cloud Tasks v2 and Cloud Scheduler v1, each path matched
against its API's discovery document (`APIS`). Each request:
Bearer token required (401 otherwise, as Google), matched and checked against the discovery
document (400 on anything Google would refuse), faults injected on demand (429, 500, or a
stall longer than the client's timeout), then served from in-memory state and logged.
"""

from __future__ import annotations

import base64
import copy
import email
import email.policy
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from tests.googlefake import batch, cloud, drive, gmail, sheets
from tests.googlefake.discovery import ApiError, Call, match

Handler = Callable[["FakeGoogle", Call], Any]
REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
}

# The API a request path belongs to, by the start of the paths in its discovery document
# (servicePath + flatPath): the first prefix that matches wins, Drive takes the rest.
APIS = (
    ("/gmail/v1/", "gmail.v1"),
    ("/v2/projects/", "cloudtasks.v2"),
    ("/v1/projects/", "cloudscheduler.v1"),
    ("/v4/", "sheets.v4"),
    ("/", "drive.v3"),
)


def api_for(path: str) -> str:
    return next(api for prefix, api in APIS if path.startswith(prefix))


@dataclass
class Fault:
    method_prefix: str
    status: int  # 0 = stall
    times: int
    seconds: float = 0.0


@dataclass
class Logged:
    method: str
    query: dict[str, list[str]]
    body: Any
    status: int


@dataclass
class FakeGoogle:
    url: str = ""
    spreadsheets: dict[str, sheets.SpreadsheetState] = field(default_factory=dict)
    files: dict[str, drive.DriveFile] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # bearer token -> email
    clock: Callable[[], datetime] = field(default=lambda: datetime(2026, 3, 10, 9, 0))
    user: str = ""  # who is calling, for the request being served
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, same request
    messages: dict[str, gmail.Message] = field(default_factory=dict)  # Gmail, by message id
    drafts: list[dict[str, Any]] = field(default_factory=list)  # Gmail drafts, as created
    queues: dict[str, dict[str, Any]] = field(default_factory=dict)  # Queue resources, by name
    tasks: list[dict[str, Any]] = field(default_factory=list)  # Task resources, in creation order
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # Scheduler Job, by name
    log: list[Logged] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # (file id, user email) pairs that can no longer open a file: Google answers 404
    # "File not found" to a caller without access (Drive guide "Resolve errors": 404
    # notFound "The user does not have read access to a file, or the file does not exist").
    denied: set[tuple[str, str]] = field(default_factory=set)
    # email -> (status, reason, message) that permissions.create answers for that person:
    # the refusals Drive gives per invitation (no Google account, a domain policy, ...).
    refusals: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    # Ids of shared drives: a file whose parents include one is owned by the drive, so it
    # has no owner permission (drive.py).
    shared_drives: set[str] = field(default_factory=set)
    latency: float = 0.0  # seconds added to every answer (real time)
    slow: dict[str, float] = field(default_factory=dict)  # method prefix -> extra seconds
    _ids: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- test controls ------------------------------------------------------------------

    def fail(self, method_prefix: str, status: int, times: int = 1) -> None:
        """The next `times` calls whose method id starts with the prefix answer `status`."""
        self.faults.append(Fault(method_prefix, status, times))

    def stall(self, method_prefix: str, seconds: float, times: int = 1) -> None:
        self.faults.append(Fault(method_prefix, 0, times, seconds))

    def calls(self, prefix: str = "") -> list[Logged]:
        return [c for c in self.log if c.method.startswith(prefix) and c.status < 400]

    def new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}{self._ids:04d}fake"

    def add_message(
        self,
        headers: list[tuple[str, str]],
        thread_id: str | None = None,
        *,
        text: str = "",
        attachments: Sequence[tuple[str, str, bytes]] = (),
    ) -> tuple[str, str]:
        """A message in the mailbox: (its id, the add-on access token that unlocks it), as
        a Gmail add-on event gives them in `gmail.messageId` and `gmail.accessToken`.
        `text` is its text/plain body, `attachments` its files as (filename, MIME type,
        bytes), in the order format=full lists them."""
        self._ids += 1
        message_id = f"18e{self._ids:013x}"  # Gmail ids are 16 hex digits
        token = f"gmail-access-{self._ids:04d}fake"
        self.messages[message_id] = gmail.Message(
            message_id,
            thread_id or message_id,
            list(headers),
            token,
            self.clock(),
            self._ids,
            text=text,
            attachments=list(attachments),
        )
        return message_id, token

    def add_queue(self, name: str, **fields: Any) -> dict[str, Any]:
        """A Cloud Tasks queue that already exists (as deployment would leave it); `fields`
        are Queue resource fields, e.g. rateLimits={"maxDispatchesPerSecond": 5}."""
        queue = {"name": name, **fields, "state": "RUNNING"}
        self.queues[name] = queue
        return queue

    def tasks_in(self, queue: str) -> list[dict[str, Any]]:
        """The tasks created in a queue, in creation order."""
        return [t for t in self.tasks if t["name"].startswith(queue + "/tasks/")]

    # --- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(size) if size else b""
        auth = environ.get("HTTP_AUTHORIZATION", "")
        content_type = environ.get("CONTENT_TYPE", "")
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if path.startswith("/batch/"):
            status, payload, content_type = self._batch(path, auth, content_type, raw)
        else:
            query = environ.get("QUERY_STRING", "")
            status, payload = self.dispatch(method, path, query, auth, content_type, raw, headers)
            content_type = "application/json; charset=UTF-8" if payload else ""
        kind = [("Content-Type", content_type)] if content_type else []  # none on a 204
        start(
            f"{status} {REASONS.get(status, 'Error')}",
            [*kind, ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def dispatch(
        self,
        method: str,
        path: str,
        query_string: str,
        auth: str,
        content_type: str,
        raw: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One API call: authenticated, matched and checked, faults injected, served.
        `headers` are the request's headers with lower-case names (a batch part's own)."""
        query = parse_qs(query_string, keep_blank_values=True)
        method_id, status = "?", 200
        try:
            if not auth.startswith("Bearer "):
                raise ApiError(
                    401,
                    "Request is missing required authentication credential. "
                    "Expected OAuth 2 access token.",
                )
            body = json.loads(raw) if raw and "json" in content_type else (raw or None)
            call = match(api_for(path), method, path, query, body)
            method_id = call.method.id
            self._inject(method_id)
            self._wait(method_id)
            with self._lock:
                self.user = self.users.get(
                    auth.removeprefix("Bearer "), "service@project.iam.gserviceaccount.com"
                )
                self.content_type = content_type
                self.headers = {k.lower(): v for k, v in (headers or {}).items()}
                result = HANDLERS.get(method_id, _not_modelled)(self, call)
            if result is NO_CONTENT:
                status, payload = 204, b""
            else:
                payload = json.dumps(result).encode()
        except ApiError as err:
            status, payload = err.code, json.dumps(err.body()).encode()
        self.log.append(Logged(method_id, query, raw, status))
        return status, payload

    def _batch(self, path: str, auth: str, content_type: str, raw: bytes) -> tuple[int, bytes, str]:
        """A batch request: multipart/mixed of application/http parts, each served as if
        sent alone, answered as multipart/mixed in the same order with Content-ID
        "<response-ID>" (Drive guide "Batch requests": developers.google.com/drive/api
        /guides/performance#batch-requests; at most 100 calls a batch). Each part carries
        its own Authorization (the client library copies it into every part)."""
        if path != "/batch/drive/v3":
            return 404, b"Not Found", "text/plain"
        requests = batch.split(content_type, raw)
        if len(requests) > 100:
            error = ApiError(400, "A batch request may contain at most 100 calls.")
            return 400, json.dumps(error.body()).encode(), "application/json"
        self.log.append(Logged("batch", {}, b"", 200))
        parts = []
        for part in requests:
            status, payload = self.dispatch(
                part.method,
                part.path,
                part.query,
                part.headers.get("authorization", auth),
                part.headers.get("content-type", ""),
                part.body,
                part.headers,
            )
            parts.append((part.content_id, status, payload))
        body, boundary = batch.join(parts, REASONS)
        return 200, body, f"multipart/mixed; boundary={boundary}"

    def _wait(self, method_id: str) -> None:
        """Real time spent answering, as Google's round trips take (the benchmark)."""
        extra = next((s for p, s in self.slow.items() if method_id.startswith(p)), 0.0)
        if self.latency or extra:
            time.sleep(self.latency + extra)

    def _inject(self, method_id: str) -> None:
        for fault in self.faults:
            if fault.times > 0 and method_id.startswith(fault.method_prefix):
                fault.times -= 1
                if fault.status == 0:
                    time.sleep(fault.seconds)
                    return
                message = (
                    "Quota exceeded for quota metric 'Read requests' and limit "
                    "'Read requests per minute per user'"
                    if fault.status == 429
                    else "Internal error encountered."
                )
                raise ApiError(fault.status, message)


class _NoContent:
    """What a handler returns for a method whose success is "an empty response body":
    the fake answers 204 No Content with no body, alone or as a batch part."""


NO_CONTENT = _NoContent()


def _not_modelled(fake: FakeGoogle, call: Call) -> Any:
    raise ApiError(501, f"{call.method.id} is valid but not modelled by the fake yet")


def _book(fake: FakeGoogle, call: Call) -> sheets.SpreadsheetState:
    sid = call.path_params["spreadsheetId"]
    book = fake.spreadsheets.get(sid)
    if book is None or (sid, fake.user) in fake.denied or fake.files[sid].trashed:
        raise ApiError(404, "Requested entity was not found.")
    return book


def _create(fake: FakeGoogle, call: Call) -> Any:
    body = call.body or {}
    props = body.get("properties", {})
    book = sheets.SpreadsheetState(
        fake.new_id("sheet"),
        props.get("title", "Untitled spreadsheet"),
        props.get("locale", "en_US"),
        props.get("timeZone", "Etc/GMT"),
    )
    specs = body.get("sheets") or [{"properties": {"title": "Sheet1"}}]
    for i, spec in enumerate(specs):
        p = spec.get("properties", {})
        grid = p.get("gridProperties", {})
        sheet = sheets.SheetState(
            p.get("sheetId", i * 1000 + 7),
            p.get("title", f"Sheet{i + 1}"),
            i,
            grid.get("rowCount", 1000),
            grid.get("columnCount", 26),
        )
        for data in spec.get("data", []):
            r0, c0 = data.get("startRow", 0), data.get("startColumn", 0)
            for dr, row in enumerate(data.get("rowData", [])):
                for dc, cell in enumerate(row.get("values", [])):
                    entered = cell.get("userEnteredValue")
                    if not entered:
                        continue
                    fmt = cell.get("userEnteredFormat", {}).get("numberFormat", {})
                    state = sheets.CellState(
                        value=entered.get(
                            "stringValue", entered.get("numberValue", entered.get("boolValue"))
                        ),
                        formula=entered.get("formulaValue"),
                        date_format=fmt.get("type") in ("DATE", "DATE_TIME"),
                    )
                    sheet.cells[(r0 + dr, c0 + dc)] = state
        sheet.merges = [dict(m, sheetId=sheet.sheet_id) for m in spec.get("merges", [])]
        book.sheets.append(sheet)
    fake.spreadsheets[book.spreadsheet_id] = book
    made = drive.DriveFile(
        book.spreadsheet_id, book.title, drive.SPREADSHEET, fake.clock(), fake.user
    )
    _record_owner(fake, made)  # in My Drive: the Sheets API takes no parents
    fake.files[book.spreadsheet_id] = made
    return book.resource(fake.url)


def _get(fake: FakeGoogle, call: Call) -> Any:
    return _book(fake, call).resource(fake.url)


def _batch_get(fake: FakeGoogle, call: Call) -> Any:
    book = _book(fake, call)
    value_option = call.query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
    date_option = call.query.get("dateTimeRenderOption", ["SERIAL_NUMBER"])[0]
    return {
        "spreadsheetId": book.spreadsheet_id,
        "valueRanges": [
            sheets.read(book, r, value_option, date_option) for r in call.query.get("ranges", [])
        ],
    }


def _batch_update_values(fake: FakeGoogle, call: Call) -> Any:
    book = _book(fake, call)
    option = call.body.get("valueInputOption")
    if option not in ("RAW", "USER_ENTERED"):
        raise ApiError(400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    responses = [
        sheets.write(book, d["range"], d.get("values", []), option)
        for d in call.body.get("data", [])
    ]
    fake.files[book.spreadsheet_id].touch(fake.clock(), fake.user)
    return {
        "spreadsheetId": book.spreadsheet_id,
        "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
        "totalUpdatedColumns": max((r["updatedColumns"] for r in responses), default=0),
        "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
        "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0] for r in responses}),
        "responses": responses,
    }


def _batch_update(fake: FakeGoogle, call: Call) -> Any:
    """spreadsheets.batchUpdate: the requests a buyer's hand makes (sort, insert, delete)."""
    book = _book(fake, call)
    replies: list[dict[str, Any]] = []
    for request in call.body.get("requests", []):
        if "sortRange" in request:
            spec = request["sortRange"]
            rng = spec["range"]
            sheet = next(s for s in book.sheets if s.sheet_id == rng.get("sheetId", 0))
            order = spec["sortSpecs"][0]
            sheets.sort_rows(
                sheet,
                rng["startRowIndex"],
                rng["endRowIndex"] - 1,
                order["dimensionIndex"],
                order.get("sortOrder") != "DESCENDING",
            )
        elif "insertDimension" in request or "deleteDimension" in request:
            key = "insertDimension" if "insertDimension" in request else "deleteDimension"
            rng = request[key]["range"]
            sheet = next(s for s in book.sheets if s.sheet_id == rng.get("sheetId", 0))
            count = rng["endIndex"] - rng["startIndex"]
            sheets.shift_rows(
                sheet, rng["startIndex"], count if key == "insertDimension" else -count
            )
        else:
            raise ApiError(
                501, f"batchUpdate request {next(iter(request))} is not modelled by the fake yet"
            )
        replies.append({})
    fake.files[book.spreadsheet_id].touch(fake.clock(), fake.user)
    return {"spreadsheetId": book.spreadsheet_id, "replies": replies}


def _file(fake: FakeGoogle, call: Call) -> drive.DriveFile:
    found = fake.files.get(call.path_params["fileId"])
    if (found is not None and (found.id, fake.user) in fake.denied) or (
        found is None
        or (found.trashed and call.method.id not in ("drive.files.get", "drive.files.update"))
    ):
        raise ApiError(404, f"File not found: {call.path_params['fileId']}.")
    return found


def _record_owner(fake: FakeGoogle, made: drive.DriveFile) -> None:
    """The creator owns a new file, unless it is made in a shared drive (drive.py)."""
    if fake.shared_drives.isdisjoint(made.parents):
        made.owner = {
            "kind": "drive#permission",
            "id": fake.new_id("perm"),
            "type": "user",
            "role": "owner",
            "emailAddress": made.modified_by,
        }


def _files_create(fake: FakeGoogle, call: Call) -> Any:
    media, media_type = b"", ""
    if call.method.upload:
        metadata, media, media_type = drive.split_multipart(fake.content_type, call.body or b"")
        drive.check_metadata(metadata)
    else:
        metadata = call.body or {}
    mime = metadata.get("mimeType") or media_type or "application/octet-stream"
    if mime == drive.DOCUMENT and media and media_type not in ("text/html", "text/plain"):
        raise ApiError(400, f"Conversion from {media_type} to a Google Doc is not supported.")
    created = drive.DriveFile(
        fake.new_id("file"),
        metadata.get("name", "Untitled"),
        mime,
        fake.clock(),
        fake.user,
        list(metadata.get("parents", [])),
        dict(metadata.get("appProperties", {})),
        1,
        media,
    )
    _record_owner(fake, created)
    fake.files[created.id] = created
    return created.resource(fake.url)


def _files_get(fake: FakeGoogle, call: Call) -> Any:
    return _file(fake, call).resource(fake.url)


def _files_update(fake: FakeGoogle, call: Call) -> Any:
    found = _file(fake, call)
    body = call.body or {}
    found.name = body.get("name", found.name)
    for key, value in body.get("appProperties", {}).items():
        if value is None:
            found.app_properties.pop(key, None)
        else:
            found.app_properties[key] = value
    if "trashed" in body:
        found.trashed = bool(body["trashed"])
    for parent in ",".join(call.query.get("addParents", [])).split(","):
        if parent and parent not in found.parents:
            found.parents.append(parent)
        if parent in fake.shared_drives:
            found.owner = None  # moved into a shared drive: the drive owns it now
    for parent in ",".join(call.query.get("removeParents", [])).split(","):
        if parent in found.parents:
            found.parents.remove(parent)
    found.touch(fake.clock(), fake.user)
    return found.resource(fake.url)


def _files_list(fake: FakeGoogle, call: Call) -> Any:
    q = call.query.get("q", [""])[0]
    size = int(call.query.get("pageSize", ["100"])[0])
    start = int(call.query.get("pageToken", ["0"])[0] or 0)
    hits = [
        f
        for f in fake.files.values()
        if (f.id, fake.user) not in fake.denied and drive.matches(f, q)
    ]
    answer: dict[str, Any] = {
        "kind": "drive#fileList",
        "incompleteSearch": False,
        "files": [f.resource(fake.url) for f in hits[start : start + size]],
    }
    if start + size < len(hits):
        answer["nextPageToken"] = str(start + size)
    return answer


def _permissions_create(fake: FakeGoogle, call: Call) -> Any:
    """permissions.create (Drive v3 reference): one person per call. `type` and `role` are
    required; `anyone` needs no email; a refusal configured for the email answers as Drive
    would, with its reason in error.errors[] (Drive guide "Resolve errors")."""
    found = _file(fake, call)
    body = call.body or {}
    for key in ("type", "role"):
        if not body.get(key):
            raise ApiError(400, f"The permission {key} field is required.", reason="required")
    email = str(body.get("emailAddress", "")).lower()
    if body["type"] in ("user", "group") and not email:
        raise ApiError(400, "The permission emailAddress field is required.", reason="required")
    if email in fake.refusals:
        status, reason, message = fake.refusals[email]
        raise ApiError(status, message, reason=reason)
    permission = {
        "kind": "drive#permission",
        "id": fake.new_id("perm"),
        "type": body["type"],
        "role": body["role"],
        "emailAddress": email,
    }
    if body["type"] == "domain":  # Permission.domain: "The domain to which this permission refers"
        if not body.get("domain"):
            raise ApiError(400, "The permission domain field is required.", reason="required")
        permission["domain"] = str(body["domain"]).lower()
        del permission["emailAddress"]
    if body["type"] == "anyone":
        del permission["emailAddress"]
    found.permissions.append(permission)
    if email:
        fake.denied.discard((found.id, email))  # shared again: the person can open it
    found.touch(fake.clock(), fake.user)
    return permission


def _permissions_list(fake: FakeGoogle, call: Call) -> Any:
    """permissions.list (Drive v3 reference): the owner's permission, if any, then the
    ones permissions.create added. pageSize: "If unspecified, ... the entire list of
    permissions for non-shared drives. The maximum value is 100; values above 100 will be
    coerced to 100"; nextPageToken "will be absent if the end of the permissions list has
    been reached". `fields` is accepted (discovery) but, as in every handler of the fake,
    the answer holds every field."""
    every = _file(fake, call).every_permission()
    size = min(int(call.query.get("pageSize", [str(len(every) or 1)])[0]), 100)
    if size < 1:
        # UNCONFIRMED: discovery says "minimum": "1"; the wording is files.list's for a
        # pageSize out of its range.
        raise ApiError(400, f"Invalid value '{size}'. Values must be within the range: [1, 100]")
    start = int(call.query.get("pageToken", ["0"])[0] or 0)
    answer: dict[str, Any] = {
        "kind": "drive#permissionList",
        "permissions": [dict(p) for p in every[start : start + size]],
    }
    if start + size < len(every):
        answer["nextPageToken"] = str(start + size)
    return answer


def _permissions_delete(fake: FakeGoogle, call: Call) -> Any:
    """permissions.delete (Drive v3 reference): "If successful, the response body is
    empty" (204). A person whose permission goes can no longer open the file: FakeGoogle
    .denied, so their files.get answers 404 as for any file they cannot read."""
    found = _file(fake, call)
    permission_id = call.path_params["permissionId"]
    if found.owner is not None and found.owner["id"] == permission_id:
        # UNCONFIRMED: Google's reference does not document this refusal. The message is
        # the one Drive clients match on ("The owner of a file cannot be removed."); the
        # reason is cannotDeletePermission, the 403 reason Drive gives when "The
        # authenticated user cannot delete the permission" (seen in GAM's error reports,
        # not for this case specifically).
        raise ApiError(
            403, "The owner of a file cannot be removed.", reason="cannotDeletePermission"
        )
    gone = next((p for p in found.permissions if p["id"] == permission_id), None)
    if gone is None:
        # Wording as Drive answers ("Permission not found: anyoneWithLink." in a reported
        # HttpError); the reason notFound is Drive's usual 404 reason.
        raise ApiError(404, f"Permission not found: {permission_id}.", reason="notFound")
    found.permissions.remove(gone)
    email = gone.get("emailAddress", "")
    if gone["type"] == "user" and not any(
        p.get("emailAddress") == email for p in found.every_permission()
    ):
        fake.denied.add((found.id, email))
    found.touch(fake.clock(), fake.user)
    return NO_CONTENT


def _message(fake: FakeGoogle, call: Call, message_id: str) -> gmail.Message:
    """The message an add-on may read: the caller's own mailbox, a message that exists,
    unlocked by its `X-Goog-Gmail-Access-Token` (gmail.py)."""
    user_id = call.path_params["userId"]
    if user_id not in ("me", fake.user):
        # Reading another mailbox needs domain-wide delegation; Gmail answers 403 "Delegation
        # denied for ..." (wording as commonly reported; unconfirmed in Google's reference).
        raise ApiError(403, f"Delegation denied for {user_id}", reason="forbidden")
    found = fake.messages.get(message_id)
    if found is None:
        raise ApiError(404, "Requested entity was not found.", reason="notFound")
    if fake.headers.get(gmail.ACCESS_HEADER) != found.access_token:
        # UNCONFIRMED: Google documents the header but not its refusal; this answers as
        # Gmail does for a caller without access (403 PERMISSION_DENIED, Google's JSON
        # error format). Adjust when a recorded response says otherwise.
        raise ApiError(
            403,
            "The caller does not have permission to read this message: the "
            "X-Goog-Gmail-Access-Token header is missing or does not unlock it.",
            reason="forbidden",
        )
    return found


def _messages_get(fake: FakeGoogle, call: Call) -> Any:
    """users.messages.get as an HTTP Gmail add-on reads the open message (gmail.py): Bearer
    the user's OAuth token, `X-Goog-Gmail-Access-Token` the event's gmail.accessToken."""
    found = _message(fake, call, call.path_params["id"])
    fmt = call.query.get("format", ["full"])[0]  # discovery: "default": "full"
    if fmt not in ("metadata", "minimal", "full"):
        raise ApiError(501, f"gmail.users.messages.get format={fmt} is not modelled yet")
    return found.resource(fmt, call.query.get("metadataHeaders", []))


def _attachments_get(fake: FakeGoogle, call: Call) -> Any:
    """users.messages.attachments.get: the attachment's MessagePartBody, its bytes as
    base64url (gmail.py); the same mailbox and access-token checks as messages.get."""
    found = _message(fake, call, call.path_params["messageId"])
    body = found.attachment_body(call.path_params["id"])
    if body is not None:
        return body
    # UNCONFIRMED: answered as an unknown message is (404 notFound). Reports say Gmail
    # refuses a stale or made-up attachment id with "Invalid attachment token" instead,
    # with a status they do not give.
    raise ApiError(404, "Requested entity was not found.", reason="notFound")


def _drafts_create(fake: FakeGoogle, call: Call) -> Any:
    """users.drafts.create from an add-on's compose action: a Draft whose message is RFC 2822
    `raw` (base64url) in a `threadId` of the caller's mailbox. Answers a Draft: its id and
    the message's id and threadId (Gmail reference, users.drafts).

    UNCONFIRMED: that the `gmail.addons.current.action.compose` scope and the open message's
    `X-Goog-Gmail-Access-Token` are what Gmail wants for this call from an HTTP add-on (the
    Apps Script path uses the same token); the fake asks for the token of a message in the
    thread, as it does for reads."""
    body = call.body or {}
    message = body.get("message") or {}
    thread = str(message.get("threadId", ""))
    in_thread = [m for m in fake.messages.values() if m.thread_id == thread]
    if not in_thread:
        raise ApiError(404, "Requested entity was not found.", reason="notFound")
    if call.path_params["userId"] not in ("me", fake.user):
        raise ApiError(403, f"Delegation denied for {call.path_params['userId']}")
    if fake.headers.get(gmail.ACCESS_HEADER) not in {m.access_token for m in in_thread}:
        raise ApiError(403, "The caller does not have permission", reason="forbidden")
    raw = str(message.get("raw", ""))
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError as exc:
        raise ApiError(400, f"Invalid raw: {exc}", reason="invalidArgument") from exc
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    if not parsed["To"]:
        raise ApiError(400, "Invalid To header", reason="invalidArgument")
    draft_id = f"r{len(fake.drafts) + 1:019d}"
    message_id = f"19a{len(fake.drafts) + 1:013x}"
    fake.drafts.append({"id": draft_id, "threadId": thread, "message": parsed})
    return {
        "id": draft_id,
        "message": {"id": message_id, "threadId": thread, "labelIds": ["DRAFT"]},
    }


def _name(call: Call, *collections: str) -> str:
    """A full resource name from a flatPath match: projects/{projectsId}/locations/..."""
    return "/".join(f"{c}/{call.path_params[c + 'Id']}" for c in collections)


def _queue(fake: FakeGoogle, name: str) -> dict[str, Any]:
    found = fake.queues.get(name)
    if found is None:
        raise ApiError(404, "Requested entity was not found.")
    return found


def _queues_create(fake: FakeGoogle, call: Call) -> Any:
    """queues.create: Queue.name is "Caller-specified and required in CreateQueue"; a queue
    of that name already there answers 409 ALREADY_EXISTS."""
    parent = _name(call, "projects", "locations")
    body = call.body or {}
    name = str(body.get("name") or "")
    if not name.startswith(parent + "/queues/") or cloud.QUEUE.match(name) is None:
        raise ApiError(
            400,
            f'Queue name "{name}" is invalid: it must be "{parent}/queues/QUEUE_ID", QUEUE_ID '
            "made of letters, numbers or hyphens, at most 100 characters.",
        )
    if name in fake.queues:
        raise ApiError(409, "Requested entity already exists")
    queue = {**cloud.writable("cloudtasks.v2", "Queue", body), "name": name, "state": "RUNNING"}
    cloud.check_queue(queue)
    fake.queues[name] = queue
    return queue


def _queues_get(fake: FakeGoogle, call: Call) -> Any:
    return _queue(fake, _name(call, "projects", "locations", "queues"))


def _queues_patch(fake: FakeGoogle, call: Call) -> Any:
    """queues.patch: "This method creates the queue if it does not exist and updates the
    queue if it does exist"; updateMask as cloud.apply_mask."""
    name = _name(call, "projects", "locations", "queues")
    if cloud.QUEUE.match(name) is None:
        raise ApiError(400, f'Queue name "{name}" is invalid.')
    queue = copy.deepcopy(fake.queues.get(name) or {"name": name, "state": "RUNNING"})
    mask = call.query.get("updateMask", [""])[0]
    cloud.apply_mask("cloudtasks.v2", "Queue", queue, call.body or {}, mask)
    cloud.check_queue(queue)
    fake.queues[name] = queue
    return queue


def _task_view(task: dict[str, Any], view: str) -> dict[str, Any]:
    return {**task, "view": "FULL" if view == "FULL" else "BASIC"}


def _tasks_create(fake: FakeGoogle, call: Call) -> Any:
    """tasks.create (CreateTaskRequest.task): the queue must exist; a caller-given name must
    be "<queue>/tasks/TASK_ID" and never used before in that queue ("If a task's ID is
    identical to that of an existing task or a task that was deleted or executed recently
    then the call will fail with ALREADY_EXISTS" - the fake never forgets); without one,
    "the system will generate a random unique task id". "If schedule_time is not set or is
    in the past then Cloud Tasks will set it to the current time." Fields left at their
    default value (dispatchCount 0, responseCount 0) are absent, as in any proto3 JSON
    answer."""
    parent = _name(call, "projects", "locations", "queues")
    _queue(fake, parent)
    body = call.body or {}
    given = body.get("task")
    if not isinstance(given, dict):
        raise ApiError(400, "CreateTaskRequest.task is required.")
    cloud.check_task(given, parent)
    now = fake.clock()
    name = given.get("name")
    if name is None:
        name = f"{parent}/tasks/{fake.new_id('task')}"
    elif any(t["name"] == name for t in fake.tasks):
        raise ApiError(409, "Requested entity already exists")
    when = now
    if given.get("scheduleTime"):
        when = max(now, cloud.parse_time(str(given["scheduleTime"]), "task.schedule_time"))
    task = {
        **cloud.writable("cloudtasks.v2", "Task", given),
        "name": name,
        "scheduleTime": cloud.rfc3339(when),
        "createTime": cloud.rfc3339(now.replace(microsecond=0)),
    }
    fake.tasks.append(task)
    return _task_view(task, str(body.get("responseView", "BASIC")))


def _tasks_list(fake: FakeGoogle, call: Call) -> Any:
    parent = _name(call, "projects", "locations", "queues")
    _queue(fake, parent)
    view = call.query.get("responseView", ["BASIC"])[0]
    size = min(int(call.query.get("pageSize", ["1000"])[0] or 1000), 1000)
    start = int(call.query.get("pageToken", ["0"])[0] or 0)
    hits = fake.tasks_in(parent)
    answer: dict[str, Any] = {}
    if hits[start : start + size]:  # an empty list is left out, as proto3 JSON does
        answer["tasks"] = [_task_view(t, view) for t in hits[start : start + size]]
    if start + size < len(hits):
        answer["nextPageToken"] = str(start + size)
    return answer


def _job(fake: FakeGoogle, call: Call) -> dict[str, Any]:
    found = fake.jobs.get(_name(call, "projects", "locations", "jobs"))
    if found is None:
        raise ApiError(404, "Requested entity was not found.")
    return found


def _jobs_create(fake: FakeGoogle, call: Call) -> Any:
    """jobs.create: Job.name is "Optionally caller-specified in CreateJob"; schedule is
    "Required, except when used with UpdateJob"; an HTTP target's attemptDeadline defaults
    to 3 minutes. A job of that name already there answers 409 ALREADY_EXISTS."""
    parent = _name(call, "projects", "locations")
    body = call.body or {}
    name = str(body.get("name") or f"{parent}/jobs/{fake.new_id('job')}")
    location, sep, job_id = name.rpartition("/jobs/")
    if not sep or location != parent or cloud.JOB_ID.match(job_id) is None:
        raise ApiError(
            400,
            f'Job name "{name}" is invalid: it must be "{parent}/jobs/JOB_ID", JOB_ID made of '
            "letters, numbers, hyphens or underscores, at most 500 characters.",
        )
    if name in fake.jobs:
        raise ApiError(409, "Requested entity already exists")
    if not body.get("schedule"):
        raise ApiError(400, "Job.schedule is required.")
    job = {
        **cloud.writable("cloudscheduler.v1", "Job", body),
        "name": name,
        "state": "ENABLED",
        "userUpdateTime": cloud.rfc3339(fake.clock()),
    }
    if job.get("httpTarget") is not None:
        job.setdefault("attemptDeadline", "180s")
    cloud.check_job(job)
    fake.jobs[name] = job
    return job


def _jobs_get(fake: FakeGoogle, call: Call) -> Any:
    return _job(fake, call)


def _jobs_patch(fake: FakeGoogle, call: Call) -> Any:
    """jobs.patch: "If the job does not exist, NOT_FOUND is returned"; updateMask as
    cloud.apply_mask."""
    job = copy.deepcopy(_job(fake, call))
    mask = call.query.get("updateMask", [""])[0]
    cloud.apply_mask("cloudscheduler.v1", "Job", job, call.body or {}, mask)
    if not job.get("schedule"):
        raise ApiError(400, "Job.schedule is required.")
    if job.get("httpTarget") is not None:
        job.setdefault("attemptDeadline", "180s")
    cloud.check_job(job)
    job["userUpdateTime"] = cloud.rfc3339(fake.clock())
    fake.jobs[job["name"]] = job
    return job


HANDLERS: dict[str, Handler] = {
    "gmail.users.messages.get": _messages_get,
    "gmail.users.messages.attachments.get": _attachments_get,
    "gmail.users.drafts.create": _drafts_create,
    "cloudtasks.projects.locations.queues.create": _queues_create,
    "cloudtasks.projects.locations.queues.get": _queues_get,
    "cloudtasks.projects.locations.queues.patch": _queues_patch,
    "cloudtasks.projects.locations.queues.tasks.create": _tasks_create,
    "cloudtasks.projects.locations.queues.tasks.list": _tasks_list,
    "cloudscheduler.projects.locations.jobs.create": _jobs_create,
    "cloudscheduler.projects.locations.jobs.get": _jobs_get,
    "cloudscheduler.projects.locations.jobs.patch": _jobs_patch,
    "drive.permissions.create": _permissions_create,
    "drive.permissions.list": _permissions_list,
    "drive.permissions.delete": _permissions_delete,
    "drive.files.create": _files_create,
    "drive.files.get": _files_get,
    "drive.files.update": _files_update,
    "drive.files.list": _files_list,
    "sheets.spreadsheets.create": _create,
    "sheets.spreadsheets.get": _get,
    "sheets.spreadsheets.values.batchGet": _batch_get,
    "sheets.spreadsheets.values.batchUpdate": _batch_update_values,
    "sheets.spreadsheets.batchUpdate": _batch_update,
}


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve() -> Iterator[FakeGoogle]:
    fake = FakeGoogle()
    server = make_server("127.0.0.1", 0, fake, server_class=_Server, handler_class=_QuietHandler)
    fake.url = f"http://127.0.0.1:{server.server_port}/"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
