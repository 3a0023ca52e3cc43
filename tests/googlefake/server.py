"""The fake served over real HTTP on loopback, for google-api-python-client and gspread.

Point a client at it with `client_options={"api_endpoint": fake.url}`, or build it with
`addon.google.clients.service(name, version, credentials, root_url=fake.url)`. It serves
Sheets v4, Drive v3, Gmail v1, Cloud Tasks v2 and Cloud Scheduler v1, each path matched
against its API's discovery document (`APIS`). Each request:
Bearer token required (401 otherwise, as Google), matched and checked against the discovery
document (400 on anything Google would refuse), faults injected on demand (429, 500, a 403
with a rate-limit reason, or a stall longer than the client's timeout), then served from
in-memory state and logged. Who calls is the token's user (`users`) with its scopes
(`scopes`): Drive's access rules (shared drive membership, drive.file, service accounts
owning nothing, one parent) are applied per caller. The server is threaded; one lock
covers every state change, the log and fault bookkeeping, and is never held while
sleeping for latency or a stall.
"""

from __future__ import annotations

import base64
import copy
import email
import email.policy
import json
import random
import threading
import time
import zlib
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


# Google's JSON error body for each injectable 403 reason: (errors[].domain, message). Drive
# guide "Resolve errors" (developers.google.com/workspace/drive/api/guides/handle-errors)
# gives these bodies; storageQuotaExceeded's message is the one Drive answers a user over
# quota, sharingRateLimitExceeded's as reported by Drive clients.
FAULT_REASONS = {
    "userRateLimitExceeded": ("usageLimits", "User Rate Limit Exceeded"),
    "rateLimitExceeded": ("usageLimits", "Rate Limit Exceeded"),
    "storageQuotaExceeded": ("usageLimits", "The user's Drive storage quota has been exceeded."),
    "sharingRateLimitExceeded": (
        "global",
        'Rate limit exceeded. User message: "These item(s) could not be shared because a '
        'rate limit was exceeded"',
    ),
}
DEFAULT_USER = "service@project.iam.gserviceaccount.com"  # a token the fake does not know
FULL_DRIVE = "https://www.googleapis.com/auth/drive"
DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"


@dataclass
class Fault:
    method_prefix: str
    status: int  # 0 = stall
    times: int
    seconds: float = 0.0
    reason: str = ""

    def error(self) -> ApiError:
        if self.reason:
            domain, message = FAULT_REASONS.get(self.reason, ("global", self.reason))
            return ApiError(self.status, message, reason=self.reason, domain=domain)
        message = (
            "Quota exceeded for quota metric 'Read requests' and limit "
            "'Read requests per minute per user'"
            if self.status == 429
            else "Internal error encountered."
        )
        return ApiError(self.status, message)


@dataclass
class Logged:
    method: str
    query: dict[str, list[str]]
    body: Any
    status: int


@dataclass
class FakeGoogle:
    """The fake's state. Served by a threading server: every request's handling, its log
    entry, the id counter and the fault bookkeeping happen under one lock (`_lock`), and
    no one sleeps holding it (latency and stalls are waited outside), so concurrent
    clients get isolated, correct answers without being serialised for the waiting."""

    url: str = ""
    seed: int = 0  # seeds `rng`: version steps and random modifier absence
    spreadsheets: dict[str, sheets.SpreadsheetState] = field(default_factory=dict)
    files: dict[str, drive.DriveFile] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # bearer token -> email
    # bearer token -> the OAuth scopes it carries; a token not here has full Drive access.
    scopes: dict[str, set[str]] = field(default_factory=dict)
    clock: Callable[[], datetime] = field(default=lambda: datetime(2026, 3, 10, 9, 0))
    user: str = ""  # who is calling, for the request being served
    token: str = ""  # their bearer token, same request
    all_drives: bool = False  # the request says supportsAllDrives=true
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
    # (file id, user email) pairs a drive.file token may open without having created the
    # file: what Drive's Picker or requestFileScope grants (`open_with_app`).
    opened: set[tuple[str, str]] = field(default_factory=set)
    # email -> (status, reason, message) that permissions.create answers for that person:
    # the refusals Drive gives per invitation (no Google account, a domain policy, ...).
    refusals: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    # Shared drives by id (`add_shared_drive`): a file with a parent in one is the drive's.
    drives: dict[str, drive.SharedDrive] = field(default_factory=dict)
    latency: float = 0.0  # seconds added to every answer (real time)
    slow: dict[str, float] = field(default_factory=dict)  # method prefix -> extra seconds
    # How much File.version grows per change: None = a seeded random 1..3 (ASSUMPTION:
    # assumptions.py "version step").
    version_step: int | None = None
    # Emails whose changes leave no lastModifyingUser, and the chance any change leaves none
    # (File.lastModifyingUser: "only populated when the last modification was performed by
    # a signed-in user").
    hide_modifier: set[str] = field(default_factory=set)
    modifier_absent: float = 0.0
    default_time_zone: str = "Etc/GMT"  # a Drive-made spreadsheet's (ASSUMPTION)
    # file id -> how many more files.list answers show it as it was before its latest
    # change (`lag`); the file after its latest change and before it, by id (`touch`).
    lags: dict[str, int] = field(default_factory=dict)
    latest: dict[str, drive.DriveFile] = field(default_factory=dict)
    previous: dict[str, drive.DriveFile] = field(default_factory=dict)
    _ids: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # --- test controls ------------------------------------------------------------------

    def fail(self, method_prefix: str, status: int, times: int = 1, reason: str = "") -> None:
        """The next `times` calls whose method id starts with the prefix answer `status`;
        with a `reason` (userRateLimitExceeded, rateLimitExceeded, storageQuotaExceeded,
        sharingRateLimitExceeded), Google's JSON error body for it (FAULT_REASONS)."""
        with self._lock:
            self.faults.append(Fault(method_prefix, status, times, reason=reason))

    def stall(self, method_prefix: str, seconds: float, times: int = 1) -> None:
        with self._lock:
            self.faults.append(Fault(method_prefix, 0, times, seconds))

    def calls(self, prefix: str = "") -> list[Logged]:
        with self._lock:
            return [c for c in self.log if c.method.startswith(prefix) and c.status < 400]

    @property
    def shared_drives(self) -> set[str]:
        return set(self.drives)

    def add_shared_drive(
        self,
        drive_id: str,
        name: str,
        members: Mapping[str, str],
        restrictions: Mapping[str, bool] | None = None,
        domain: str = "",
    ) -> drive.SharedDrive:
        """A shared drive with its members (email -> organizer, fileOrganizer, writer,
        commenter or reader) and restrictions (drive.RESTRICTIONS). `domain` is the one it
        belongs to: by default its first member's that is not a service account."""
        for who, role in members.items():
            if role not in drive.ROLES:
                raise ValueError(f"{who}: {role} is not a shared drive role")
        people = [e for e in members if not is_service_account(e)]
        found = drive.SharedDrive(
            drive_id,
            name,
            {e.lower(): r for e, r in members.items()},
            dict(restrictions or {}),
            domain or (people[0].split("@")[-1] if people else ""),
        )
        with self._lock:
            self.drives[drive_id] = found
        return found

    def add_folder(self, folder_id: str, drive_id: str, name: str) -> drive.DriveFile:
        """A folder at the top of a shared drive, made by a member before the fake serves."""
        with self._lock:
            # Made by a person before the fake serves: no modifier worth naming.
            folder = drive.DriveFile(
                folder_id,
                name,
                drive.FOLDER,
                self.clock(),
                "",
                [drive_id],
                drive_id=drive_id,
                modifier_hidden=True,
            )
            self.files[folder_id] = folder
            self.remember(folder)
        return folder

    def open_with_app(self, file_id: str, email: str) -> None:
        """The person opened the file with the app (Drive Picker or requestFileScope): a
        drive.file token of theirs may use it from now on."""
        with self._lock:
            self.opened.add((file_id, email))

    def add_file(
        self,
        file_id: str,
        name: str,
        owner: str,
        shared: Sequence[tuple[str, str, str]] = (),
        *,
        mime_type: str = drive.DOCUMENT,
        resource_key: str = "",
        trashed: bool = False,
    ) -> drive.DriveFile:
        """A file a person keeps in their own My Drive (a document a Resources row links
        to), made before the fake serves: owned by `owner`, shared as `shared` says, each
        (type, role, who): ("user", "reader", "dana@buyer.example.com"), ("domain",
        "reader", "buyer.example.com"), ("anyone", "reader", ""). Unlike the MAP's own
        files, who may open it follows these permissions (`can_open`)."""
        with self._lock:
            made = drive.DriveFile(
                file_id,
                name,
                mime_type,
                self.clock(),
                owner,
                [_my_drive(owner)],
                trashed=trashed,
                created_by=owner,
                by_permission=True,
                resource_key=resource_key,
            )
            made.owner = {
                "kind": "drive#permission",
                "id": self.new_id("perm"),
                "type": "user",
                "role": "owner",
                "emailAddress": owner,
            }
            for kind, role, who in shared:
                permission: dict[str, Any] = {
                    "kind": "drive#permission",
                    "id": self.new_id("perm"),
                    "type": kind,
                    "role": role,
                }
                if kind in ("user", "group"):
                    permission["emailAddress"] = who.lower()
                elif kind == "domain":
                    permission["domain"] = who.lower()
                made.permissions.append(permission)
            self.files[file_id] = made
            self.remember(made)
        return made

    def resource_keys(self) -> dict[str, str]:
        """The request's X-Goog-Drive-Resource-Keys: "fileId1/resourceKey1,fileId2/..."
        (Drive guide "Access link-shared files using resource keys", "Set the resource key
        on requests"); in a batch, each part's own header (batch.Part.headers)."""
        given = self.headers.get("x-goog-drive-resource-keys", "")
        pairs = (p.strip().partition("/") for p in given.split(",") if p.strip())
        return {file_id: key for file_id, _, key in pairs}

    def lag(self, file_id: str, calls: int = 1) -> None:
        """The next `calls` files.list answers that hold the file show its previous metadata:
        as it was before its latest change (a search index not yet caught up; files.get is
        always current). UNCONFIRMED: Drive does not document how soon a change reaches
        files.list (assumptions.py "listing lag")."""
        with self._lock:
            self.lags[file_id] = calls

    def new_id(self, prefix: str) -> str:
        with self._lock:
            self._ids += 1
            return f"{prefix}{self._ids:04d}fake"

    # --- what the caller may do (handlers run under the lock) ----------------------------

    def touch(self, found: drive.DriveFile) -> None:
        """A change to a file by the caller: its version grows, it names its modifier."""
        step = self.version_step or self.rng.randint(1, 3)
        hidden = self.user in self.hide_modifier or (
            self.modifier_absent > 0 and self.rng.random() < self.modifier_absent
        )
        found.touch(self.clock(), self.user, step, hidden)
        self.remember(found)

    def remember(self, found: drive.DriveFile) -> None:
        """Keeps the file as it is now, and as it was before (what a lagging listing shows)."""
        if found.id in self.latest:
            self.previous[found.id] = self.latest[found.id]
        self.latest[found.id] = found.snapshot()

    def file_scope_only(self) -> bool:
        """The caller's token has drive.file but not full drive (Drive guide "Choose Google
        Drive API scopes": drive.file is per-file access to files the app created or the
        user opened with it)."""
        granted = self.scopes.get(self.token)
        return granted is not None and FULL_DRIVE not in granted and DRIVE_FILE in granted

    def can_open(self, found: drive.DriveFile) -> bool:
        """Whether the caller can see the file at all; Drive answers 404 otherwise."""
        if (found.id, self.user) in self.denied:
            return False
        if found.by_permission:
            # A file the caller was not given: Drive answers 404 notFound (Drive guide
            # "Resolve errors": "The user does not have read access to a file, or the
            # file does not exist"). Through a link share only, a file with a resource
            # key needs it (drive.DriveFile.key_needed).
            if not found.opens_for(self.user):
                return False
            return not found.key_needed(self.user) or (
                self.resource_keys().get(found.id) == found.resource_key
            )
        if self.file_scope_only() and not (
            (found.created_by and found.created_by == self.user)
            or (found.id, self.user) in self.opened
        ):
            return False
        if found.drive_id is not None:
            shared = self.drives[found.drive_id]
            return shared.role(self.user) is not None or found.shared_with(self.user)
        return True

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
        with self._lock:
            self._ids += 1
            number = self._ids
        message_id = f"18e{number:013x}"  # Gmail ids are 16 hex digits
        token = f"gmail-access-{number:04d}fake"
        message = gmail.Message(
            message_id,
            thread_id or message_id,
            list(headers),
            token,
            self.clock(),
            number,
            text=text,
            attachments=list(attachments),
        )
        with self._lock:  # tests add messages while the server answers others
            self.messages[message_id] = message
        return message_id, token

    def add_queue(self, name: str, **fields: Any) -> dict[str, Any]:
        """A Cloud Tasks queue that already exists (as deployment would leave it); `fields`
        are Queue resource fields, e.g. rateLimits={"maxDispatchesPerSecond": 5}."""
        queue = {"name": name, **fields, "state": "RUNNING"}
        with self._lock:
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
            self._wait(method_id, self._inject(method_id))  # never sleeps holding the lock
            with self._lock:
                self.token = auth.removeprefix("Bearer ")
                self.user = self.users.get(self.token, DEFAULT_USER)
                self.all_drives = "true" in (
                    query.get("supportsAllDrives", []) + query.get("supportsTeamDrives", [])
                )
                self.content_type = content_type
                self.headers = {k.lower(): v for k, v in (headers or {}).items()}
                result = HANDLERS.get(method_id, _not_modelled)(self, call)
                # Serialised under the lock: a handler may answer with live state.
                if result is NO_CONTENT:
                    payload = b""
                elif isinstance(result, bytes):  # a media download (alt=media)
                    payload = result
                else:
                    payload = json.dumps(result).encode()
            if result is NO_CONTENT:
                status = 204
        except ApiError as err:
            status, payload = err.code, json.dumps(err.body()).encode()
        with self._lock:
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
        with self._lock:
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

    def _wait(self, method_id: str, stall: float = 0.0) -> None:
        """Real time spent answering, as Google's round trips take (the benchmark), plus a
        stall injected for this call. Called without the lock."""
        extra = next((s for p, s in self.slow.items() if method_id.startswith(p)), 0.0)
        if self.latency or extra or stall:
            time.sleep(self.latency + extra + stall)

    def _inject(self, method_id: str) -> float:
        """Spends the first matching fault: raises its error, or answers the seconds to
        stall (slept by the caller, outside the lock)."""
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and method_id.startswith(fault.method_prefix):
                    fault.times -= 1
                    if fault.status == 0:
                        return fault.seconds
                    raise fault.error()
        return 0.0


def is_service_account(email: str) -> bool:
    return email.endswith(".iam.gserviceaccount.com")


class _NoContent:
    """What a handler returns for a method whose success is "an empty response body":
    the fake answers 204 No Content with no body, alone or as a batch part."""


NO_CONTENT = _NoContent()


def _not_modelled(fake: FakeGoogle, call: Call) -> Any:
    raise ApiError(501, f"{call.method.id} is valid but not modelled by the fake yet")


def _book(fake: FakeGoogle, call: Call) -> sheets.SpreadsheetState:
    """The spreadsheet a Sheets call names, if the caller can open its Drive file (the same
    access rules as Drive). UNCONFIRMED: Sheets' answer to a file it cannot open
    (assumptions.py "Sheets without access")."""
    sid = call.path_params["spreadsheetId"]
    book = fake.spreadsheets.get(sid)
    if book is None or fake.files[sid].trashed or not fake.can_open(fake.files[sid]):
        raise ApiError(404, "Requested entity was not found.")
    return book


# Drive's answer to a service account that would own a file (Drive guide "Shared drives
# overview": "Service accounts don't have storage quota and can't own any files. Instead,
# they must upload files and folders into shared drives, or use OAuth 2.0 to upload items
# on behalf of a human user"); the message is the one Drive returns, as reported by its
# clients (e.g. n8n-io/n8n#26050, Jumbo810/Upload_Github_Artifacts_TO_GDrive#22).
NO_QUOTA = (
    "Service Accounts do not have storage quota. Leverage shared drives "
    "(https://developers.google.com/workspace/drive/api/guides/about-shareddrives), or use "
    "OAuth delegation (http://support.google.com/a/answer/7281227) instead."
)


def _needs_storage(fake: FakeGoogle, drive_id: str | None) -> None:
    """A new file outside a shared drive is owned by its creator: a service account cannot
    be (403 storageQuotaExceeded, domain usageLimits)."""
    if drive_id is None and is_service_account(fake.user):
        raise ApiError(403, NO_QUOTA, reason="storageQuotaExceeded", domain="usageLimits")


def _not_found(file_id: str) -> ApiError:
    # Drive guide "Resolve errors", 404 notFound: "File not found: {fileId}", location fileId.
    return ApiError(404, f"File not found: {file_id}.", reason="notFound", location="fileId")


def _one_parent() -> ApiError:
    # File.parents (Drive v3 reference): "A file can only have one parent folder; specifying
    # multiple parents isn't supported"; Drive v2 parents.insert: "Adding files to multiple
    # folders is no longer supported. Use shortcuts instead". Reason and message as Drive
    # answers an addParents that would make two parents (seen in Drive clients' reports).
    return ApiError(403, "Increasing the number of parents is not allowed", "cannotAddParent")


def _shared_drives_supported(fake: FakeGoogle, file_id: str) -> None:
    """Drive guide "Implement shared drive support": an app "must include the
    supportsAllDrives=true query parameter" in files.get, files.create, files.update,
    files.copy and permissions.* on shared drive items; the Drive v3 reference: "If false,
    shared drive items are not included in the response". Without it, a shared drive item
    is not there (404)."""
    if not fake.all_drives:
        raise _not_found(file_id)


def _my_drive(email: str) -> str:
    """The id of a person's My Drive root folder: a file made there has it as parent."""
    name = "".join(ch for ch in email.split("@")[0] if ch.isalnum())[:8]
    return f"0A{name}{zlib.crc32(email.encode()):08x}Uk9PVA"  # one per person, stable


def _place(fake: FakeGoogle, parents: list[str]) -> tuple[list[str], str | None]:
    """Where a new file goes: (its parents, its shared drive or None). One parent at most;
    the parent must be one the caller can open, and in a shared drive the caller must be a
    member who may add files (organizer, fileOrganizer or writer)."""
    if len(parents) > 1:
        raise _one_parent()  # UNCONFIRMED for files.create (assumptions.py)
    if not parents or parents == ["root"]:  # "root" is the alias of the caller's My Drive
        return [_my_drive(fake.user)], None
    parent = parents[0]
    shared = fake.drives.get(parent)
    if parent == _my_drive(fake.user):
        return [parent], None
    if shared is None:
        folder = fake.files.get(parent)
        if folder is None or folder.trashed or not fake.can_open(folder):
            raise _not_found(parent)
        if folder.drive_id is None:
            return [parent], None
        shared = fake.drives[folder.drive_id]
    _shared_drives_supported(fake, parent)
    role = shared.role(fake.user)
    if role is None:
        raise _not_found(parent)  # a non-member cannot see the drive's folders at all
    if role not in drive.CONTRIBUTORS:
        raise ApiError(
            403,
            "The user does not have sufficient permissions for this file.",
            reason="insufficientFilePermissions",
        )
    return [parent], shared.id


def _record_owner(fake: FakeGoogle, made: drive.DriveFile) -> None:
    """The creator owns a new file, unless it is made in a shared drive (drive.py)."""
    if made.drive_id is None:
        made.owner = {
            "kind": "drive#permission",
            "id": fake.new_id("perm"),
            "type": "user",
            "role": "owner",
            "emailAddress": made.modified_by,
        }


def _new_file(
    fake: FakeGoogle, file_id: str, metadata: dict[str, Any], mime: str, media: bytes = b""
) -> drive.DriveFile:
    """A file made by the caller through the app, placed as `_place` allows."""
    parents, drive_id = _place(fake, list(metadata.get("parents", [])))
    _needs_storage(fake, drive_id)
    made = drive.DriveFile(
        file_id,
        metadata.get("name", "Untitled"),
        mime,
        fake.clock(),
        fake.user,
        parents,
        dict(metadata.get("appProperties", {})),
        1,
        media,
        drive_id=drive_id,
        created_by=fake.user,
    )
    _record_owner(fake, made)
    fake.files[made.id] = made
    fake.remember(made)
    return made


def _create(fake: FakeGoogle, call: Call) -> Any:
    """spreadsheets.create: the Sheets API makes the file in the caller's My Drive (it takes
    no parents), so a service account is refused (_needs_storage)."""
    _needs_storage(fake, None)
    book = sheets.from_body(fake.new_id("sheet"), call.body or {})
    _new_file(fake, book.spreadsheet_id, {"name": book.title}, drive.SPREADSHEET)
    fake.spreadsheets[book.spreadsheet_id] = book
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
    fake.touch(fake.files[book.spreadsheet_id])
    return {
        "spreadsheetId": book.spreadsheet_id,
        "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
        "totalUpdatedColumns": max((r["updatedColumns"] for r in responses), default=0),
        "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
        "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0] for r in responses}),
        "responses": responses,
    }


def _update_values(fake: FakeGoogle, call: Call) -> Any:
    """values.update: one ValueRange written (Sheets v4 reference, "Sets values in a range
    of a spreadsheet. The caller must specify the spreadsheet ID, range, and a
    valueInputOption"); answers an UpdateValuesResponse. What a person's edit in the UI
    amounts to, for the tests' buyers."""
    book = _book(fake, call)
    option = call.query.get("valueInputOption", [""])[0]
    if option not in ("RAW", "USER_ENTERED"):
        raise ApiError(400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    answer = sheets.write(
        book, call.path_params["range"], (call.body or {}).get("values", []), option
    )
    fake.touch(fake.files[book.spreadsheet_id])
    return {"spreadsheetId": book.spreadsheet_id, **answer}


def _batch_update(fake: FakeGoogle, call: Call) -> Any:
    """spreadsheets.batchUpdate: every request applied in order, all or none (sheets.py)."""
    book = _book(fake, call)
    replies = sheets.batch_update(book, call.body.get("requests", []))
    fake.touch(fake.files[book.spreadsheet_id])
    answer: dict[str, Any] = {"spreadsheetId": book.spreadsheet_id, "replies": replies}
    if call.body.get("includeSpreadsheetInResponse"):  # "updatedSpreadsheet" (reference)
        answer["updatedSpreadsheet"] = book.resource(fake.url)
    return answer


def _file(fake: FakeGoogle, call: Call) -> drive.DriveFile:
    file_id = call.path_params["fileId"]
    found = fake.files.get(file_id)
    if (
        found is None
        or not fake.can_open(found)
        or (found.trashed and call.method.id not in ("drive.files.get", "drive.files.update"))
    ):
        raise _not_found(file_id)
    if found.drive_id is not None:
        _shared_drives_supported(fake, file_id)
    return found


def _files_create(fake: FakeGoogle, call: Call) -> Any:
    """files.create: JSON metadata, or a multipart upload. A Google Sheet made this way
    (mimeType spreadsheet, no media) is an empty spreadsheet the Sheets API can build on
    (sheets.empty_book; its defaults are an ASSUMPTION: assumptions.py "new spreadsheet
    defaults")."""
    media, media_type = b"", ""
    if call.method.upload:
        metadata, media, media_type = drive.split_multipart(fake.content_type, call.body or b"")
        drive.check_metadata(metadata)
    else:
        metadata = call.body or {}
    mime = metadata.get("mimeType") or media_type or "application/octet-stream"
    if mime == drive.DOCUMENT and media and media_type not in ("text/html", "text/plain"):
        raise ApiError(400, f"Conversion from {media_type} to a Google Doc is not supported.")
    if mime == drive.SPREADSHEET and media:
        raise ApiError(501, "files.create of a spreadsheet from media is not modelled yet")
    made = _new_file(fake, fake.new_id("file"), metadata, mime, media)
    if mime == drive.SPREADSHEET:
        fake.spreadsheets[made.id] = sheets.empty_book(made.id, made.name, fake.default_time_zone)
    return made.resource(fake.url)


def _files_copy(fake: FakeGoogle, call: Call) -> Any:
    """files.copy: File.parents "If not specified as part of a copy request, the file
    inherits any discoverable parent of the source file"; the copy is the caller's new file
    (so a service account needs a shared drive for it). A spreadsheet's content is copied."""
    source = _file(fake, call)
    metadata = dict(call.body or {})
    metadata.setdefault("name", f"Copy of {source.name}")
    if "parents" not in metadata:
        metadata["parents"] = [p for p in source.parents if p != _my_drive(source.created_by)]
    made = _new_file(fake, fake.new_id("file"), metadata, source.mime_type, source.content)
    if source.id in fake.spreadsheets:
        book = copy.deepcopy(fake.spreadsheets[source.id])
        book.spreadsheet_id, book.title = made.id, made.name
        fake.spreadsheets[made.id] = book
    return made.resource(fake.url)


def _files_get(fake: FakeGoogle, call: Call) -> Any:
    found = _file(fake, call)
    if call.query.get("alt") == ["media"]:
        # Drive "Download and export files": alt=media downloads a file's content; a
        # Google Workspace document has none to download and is refused (403
        # fileNotDownloadable: "Use Export with Docs Editors files").
        if found.mime_type.startswith("application/vnd.google-apps."):
            raise ApiError(
                403,
                "Only files with binary content can be downloaded. Use Export with Docs "
                "Editors files.",
                reason="fileNotDownloadable",
            )
        return found.content
    answer = found.resource(fake.url)
    # File.permissions (Drive v3 reference, files resource): "The full list of permissions
    # for the file. This is only available if the requesting user can share the file. Not
    # populated for items in shared drives." Trashed files answer too, with trashed: true
    # (File.trashed: "Whether the file has been trashed, either explicitly or from a
    # trashed parent folder"); `_file` lets files.get see them.
    if found.drive_id is None and found.can_share(fake.user):
        answer["permissions"] = [dict(p) for p in found.every_permission()]
    return answer


def _move(fake: FakeGoogle, found: drive.DriveFile, add: list[str], remove: list[str]) -> None:
    """addParents/removeParents: a move is allowed, a second parent is not (_one_parent)."""
    kept = [p for p in found.parents if p not in remove]
    added = [p for p in add if p not in kept]
    if len(kept) + len(added) > 1:
        raise _one_parent()
    if added:
        parents, drive_id = _place(fake, added)
        found.parents, found.drive_id = kept + parents, drive_id
        if drive_id is not None:
            found.owner = None  # moved into a shared drive: the drive owns it now
    else:
        found.parents = kept


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

    def ids(name: str) -> list[str]:
        given = [p for p in ",".join(call.query.get(name, [])).split(",") if p]
        return [_my_drive(fake.user) if p == "root" else p for p in given]  # "root": alias

    _move(fake, found, ids("addParents"), ids("removeParents"))
    fake.touch(found)
    return found.resource(fake.url)


def _flag(call: Call, name: str) -> bool:
    return call.query.get(name, ["false"])[0] == "true"


def _corpus(fake: FakeGoogle, call: Call) -> Callable[[drive.DriveFile], bool]:
    """Which files a files.list searches (files.list reference, `corpora`; Drive guide "About
    files and folders", File organization): `user` (the default) holds the files the caller
    created, was given a direct permission on, or opened with the app; `drive` every file of
    one shared drive the caller is a member of; `allDrives` both. Shared drive items are
    left out unless includeItemsFromAllDrives is true ("Whether both My Drive and shared
    drive items should be included in results") and supportsAllDrives too (supportsAllDrives:
    "If false, shared drive items are not included in the response"). UNCONFIRMED: the
    refusals' statuses and reasons (assumptions.py "corpora refusals")."""
    corpora = call.query.get("corpora", ["user"])[0]
    drive_id = call.query.get("driveId", [""])[0]
    include = _flag(call, "includeItemsFromAllDrives")
    if corpora not in ("user", "drive", "allDrives"):
        raise ApiError(501, f"files.list corpora={corpora} is not modelled yet")
    if (corpora == "drive") != bool(drive_id):
        raise ApiError(
            400,
            "The driveId parameter must be specified if and only if corpora is set to drive.",
            reason="teamDriveIdRequiresTeamDriveCorpora",
        )
    if corpora != "user" and not include:
        raise ApiError(
            403,
            "The includeItemsFromAllDrives parameter must be set to true when driveId is "
            "specified or corpora contains drive or allDrives.",
            reason="forbidden",
        )
    if drive_id and (drive_id not in fake.drives or fake.drives[drive_id].role(fake.user) is None):
        raise ApiError(
            404, f"Shared drive not found: {drive_id}", reason="notFound", location="driveId"
        )

    def mine(f: drive.DriveFile) -> bool:
        return (
            f.created_by == fake.user
            or f.shared_with(fake.user)
            or ((f.id, fake.user) in fake.opened)
        )

    def member(f: drive.DriveFile) -> bool:
        return f.drive_id is not None and fake.drives[f.drive_id].role(fake.user) is not None

    def holds(f: drive.DriveFile) -> bool:
        if not fake.can_open(f) or (f.drive_id is not None and not (include and fake.all_drives)):
            return False
        if corpora == "drive":
            return f.drive_id == drive_id
        return mine(f) or (corpora == "allDrives" and member(f))

    return holds


def _listed(fake: FakeGoogle, found: drive.DriveFile) -> drive.DriveFile:
    """The file as this listing shows it: a lagging file (`FakeGoogle.lag`) as it was before
    its latest change."""
    if found.id not in fake.lags:
        return found
    fake.lags[found.id] -= 1
    if fake.lags[found.id] <= 0:
        del fake.lags[found.id]
    return fake.previous.get(found.id, found)


def _files_list(fake: FakeGoogle, call: Call) -> Any:
    """files.list over the corpus `_corpus` picks, `q` as drive.matches, in pages: pageSize
    "The maximum value is 1000; values above 1000 will be coerced to 1000" (default 100)."""
    holds = _corpus(fake, call)
    q = call.query.get("q", [""])[0]
    drive.terms(q)  # an unknown term is refused even when nothing would match
    size = min(int(call.query.get("pageSize", ["100"])[0]), 1000)
    if size < 1:
        raise ApiError(400, f"Invalid value '{size}'. Values must be within the range: [1, 1000]")
    start = int(call.query.get("pageToken", ["0"])[0] or 0)
    shown = [_listed(fake, f) for f in list(fake.files.values()) if holds(f)]
    hits = [f for f in shown if drive.matches(f, q)]
    answer: dict[str, Any] = {
        "kind": "drive#fileList",
        "incompleteSearch": False,
        "files": [f.resource(fake.url) for f in hits[start : start + size]],
    }
    if start + size < len(hits):
        answer["nextPageToken"] = str(start + size)
    return answer


def _drives_get(fake: FakeGoogle, call: Call) -> Any:
    """drives.get: the Drive resource with its restrictions, for a member (UNCONFIRMED
    refusal wording: assumptions.py
    "shared drive not found" for the refusal)."""
    drive_id = call.path_params["driveId"]
    found = fake.drives.get(drive_id)
    if found is None or found.role(fake.user) is None:
        raise ApiError(
            404, f"Shared drive not found: {drive_id}", reason="notFound", location="driveId"
        )
    return found.resource()


def _sharing_restriction(fake: FakeGoogle, found: drive.DriveFile, body: dict[str, Any]) -> None:
    """A shared drive's restrictions bound who its files may be shared with (Drive v3
    reference, drives#Drive.restrictions: domainUsersOnly "access to this shared drive and
    items inside this shared drive is restricted to users of the domain to which this shared
    drive belongs"; driveMembersOnly "access to items inside this shared drive is restricted
    to its members"). Reasons as Drive gives them (GAM's list of Drive API reasons, users'
    reports); UNCONFIRMED: the message text (assumptions.py "sharing restrictions")."""
    if found.drive_id is None:
        return
    shared = fake.drives[found.drive_id]
    kind, email = body["type"], str(body.get("emailAddress", "")).lower()
    domain = str(body.get("domain", "")).lower() if kind == "domain" else email.split("@")[-1]
    if shared.restrictions.get("domainUsersOnly") and (kind == "anyone" or domain != shared.domain):
        raise ApiError(
            403,
            "The user does not have permission to share this item outside the domain of the "
            "shared drive.",
            reason="teamDriveDomainUsersOnlyRestriction",
        )
    if shared.restrictions.get("driveMembersOnly") and (
        kind in ("anyone", "domain") or shared.role(email) is None
    ):
        raise ApiError(
            403,
            "The user does not have permission to share this item with people who are not "
            "members of the shared drive.",
            reason="teamDriveTeamMembersOnlyRestriction",
        )


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
    _sharing_restriction(fake, found, body)
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
    fake.touch(found)
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
    fake.touch(found)
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
    "drive.files.copy": _files_copy,
    "drive.drives.get": _drives_get,
    "sheets.spreadsheets.create": _create,
    "sheets.spreadsheets.get": _get,
    "sheets.spreadsheets.values.batchGet": _batch_get,
    "sheets.spreadsheets.values.batchUpdate": _batch_update_values,
    "sheets.spreadsheets.values.update": _update_values,
    "sheets.spreadsheets.batchUpdate": _batch_update,
}


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # many clients connecting at once are queued, not refused


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve(seed: int = 0) -> Iterator[FakeGoogle]:
    fake = FakeGoogle(seed=seed)
    server = make_server("127.0.0.1", 0, fake, server_class=_Server, handler_class=_QuietHandler)
    fake.url = f"http://127.0.0.1:{server.server_port}/"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
