"""The Google workspace: MAP Sheets and Docs in Drive, behind the same Workspace protocol.

Who acts: the service's own account, a content manager of the team's Shared Drive
(`folder_id` is a folder in it), makes, shares, syncs and rolls up every file. A service
account has no Drive storage and can own nothing (Drive, "Shared drives overview"), so
every file is created straight into the drive, with one parent, never moved after.

Round trips (docs/design.md, call budget):
- create: files.create (an empty Sheet in the folder, appProperties) + files.create (the
  Doc, HTML converted) + one Drive batch giving the creating rep edit access to both +
  one spreadsheets.batchUpdate that builds the Sheet (every tab, value, format,
  validation, protection, colour) together with the first sync's values = 4.
- share: one Drive batch of permissions.create, each invitation answered on its own,
  after the drive's sharing restrictions are checked (drives.get, once a while);
  revoking is batches of permissions.list (every page) and one of permissions.delete.
- a file kept beside the MAP (handoff Doc, .xlsx copies): one upload.
- sync: one files.list of the drive (corpora=drive, every page) for every MAP's version;
  a changed MAP costs one values.batchGet and at most one values.batchUpdate (its
  Resources Sync notes ride in it), plus one Drive batch of files.get when its Resources
  tab holds Drive links; an unchanged MAP costs no call. A Sheet made before the
  Resources tab costs one spreadsheets.get and a second read, once: its write adds it.
Every call is paced under the per-user quota (transport.Pacer) and retries 429, 5xx and
403 rate limits with randomised exponential backoff; a create is never simply sent again
(a retried create could make a second file): it first looks for the file the first try
made, by its appProperties. Sheets writes are last-writer-wins (no If-Match): the write
is keyed by row id into the _sync tab (and the Resources notes by each row's Link and
Resource cells into the _resources tab), so a buyer's insert, delete or sort in between
does no harm.

Threads: one GoogleWorkspace serves every request thread of the web service. Its clients
send through a transport with one connection per thread; what a call learns for the next
one (a listing's metadata, what a read saw, a Sheet waiting for its build) is kept per
thread, since a sync reads and writes a MAP within one thread.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import httplib2
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from addon.errors import MapMissing, WorkspaceError
from addon.google.clients import service
from addon.plan.adopt import Source
from addon.plan.crm import Deal
from addon.plan.grid import a1, find_header, find_tab
from addon.plan.insights import Insights
from addon.plan.merge import CellEdit
from addon.plan.resources import DriveFacts, LinkReading
from addon.plan.rollup import RollupRow
from addon.workspace.base import (
    SYNC_IDENTITY,
    ComputedWrite,
    Invite,
    InviteResult,
    MapDraft,
    MapFiles,
    Snapshot,
)
from addon.workspace.google_sheet import (
    ADDED_LATER,
    RESOURCE_TAB,
    ROLLUP_HEADER_ROW,
    ROLLUP_LAYOUT,
    ROLLUP_ROWS,
    ROLLUP_TAB,
    ROWS,
    SHEET_IDS,
    SYNC_KEYS,
    SYNC_TAB,
    added_tab_requests,
    blocked_columns,
    blocked_notes,
    build_requests,
    create_body,
    formula_cells,
    grids_of,
    grids_of_create,
    lookup_formula,
    lost_headers,
    lost_note_header,
    merges_blocking,
    note_formula_cell,
    quote,
    raw,
    read_params,
    resource_table,
    restore_headers,
    rollup_create_body,
    rollup_write_body,
    stale_notes,
    typed_under,
    unblock,
    values_as_cells,
    write_body,
)
from sheets_schema.workbook import PLAN

ANYONE = "anyone with the link"  # how people() names a link share
APP_KEY = "mapApp"  # appProperties key marking our files: sheet, doc or rollup
LAYOUT_KEY = "mapRollupLayout"  # the roll-up's layout version (google_sheet.ROLLUP_LAYOUT)
DOC_MIME = "application/vnd.google-apps.document"
SHEET_MIME = "application/vnd.google-apps.spreadsheet"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
META_FIELDS = "id,version,modifiedTime,lastModifyingUser(emailAddress),trashed"
LOST = (403, 404)
RETRIED = (429, 500, 502, 503, 504)
# 403s that mean "slow down" (Drive, "Resolve errors": userRateLimitExceeded,
# rateLimitExceeded); storageQuotaExceeded or sharingRateLimitExceeded will not pass by
# waiting a few seconds, so they are not retried.
RATE_LIMITED = ("userRateLimitExceeded", "rateLimitExceeded")
MAX_DRIVE_CHECKS = 50  # Drive links checked per MAP per sync (one batch round trip)
RESTRICTIONS_TTL = 600.0  # seconds a Shared Drive's sharing restrictions are trusted
log = logging.getLogger("addon.google")
SYNC_LOST = (
    "sync lost: the service can no longer open this Sheet (deleted, or its access was "
    "removed); share it with the service again or archive the MAP"
)


def reasons(err: HttpError) -> list[str]:
    try:
        body = json.loads(err.content)["error"]
        return [str(e.get("reason", "")) for e in body.get("errors", []) if e.get("reason")]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def retryable(err: HttpError) -> bool:
    """Worth sending again after a wait: 429, 5xx, or a 403 rate limit."""
    status = err.resp.status
    return status in RETRIED or (status == 403 and any(r in RATE_LIMITED for r in reasons(err)))


def sheet_url(sheet_id: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{sheet_id}/edit"


def _reason(err: HttpError) -> str:
    try:
        body = json.loads(err.content)["error"]
        reasons = [e.get("reason", "") for e in body.get("errors", []) if e.get("reason")]
        return f"{body.get('message', '')}" + (f" ({', '.join(reasons)})" if reasons else "")
    except (ValueError, KeyError, TypeError):
        return str(err)


class _PerThread(threading.local):
    """What one call teaches the next within a thread (a sync reads and writes a MAP in
    one thread): the listing's metadata, what a read saw, Sheets waiting for their build."""

    def __init__(self) -> None:
        self.meta: dict[str, dict[str, Any]] = {}
        self.read: dict[str, tuple[int, int]] = {}  # sheet -> (_sync rows, id column)
        self.clear: dict[str, list[str]] = {}  # sheet -> typed cells blocking an array
        self.unbuilt: dict[str, dict[str, Any]] = {}  # sheet -> the body its build writes
        self.repairs: dict[str, list[dict[str, Any]]] = {}  # sheet -> requests that repair
        # sheet -> (the version read, the rows its _resources table held then)
        self.resource_rows: dict[str, tuple[str, int]] = {}


class GoogleWorkspace:
    def __init__(
        self,
        http: Any,
        *,
        identity: str,
        folder_id: str | None = None,
        root_url: str | None = None,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        own_domains: Sequence[str] = (),
    ) -> None:
        self.http = http  # the transport (PacedHttp: its call log counts round trips)
        self.sheets = service("sheets", "v4", root_url=root_url, http=http)
        self.drive = service("drive", "v3", root_url=root_url, http=http)
        self.folder_id = folder_id
        self.identity = identity.lower()  # whom our own writes are made as
        self.retries = retries
        self.sleep = sleep  # between retries; tests pass a simulated clock's
        self.own_domains = tuple(d.lower().lstrip("@") for d in own_domains if d)
        self._thread = _PerThread()
        self._lock = threading.Lock()  # the few shared caches below, never a Google call
        self._drive_id: str | None = None  # the Shared Drive holding folder_id ("" if none)
        self._restrictions: tuple[float, dict[str, Any]] | None = None
        self._rollup: str | None = None
        self._rollup_lock = threading.Lock()  # one roll-up Sheet, made once
        # Rows the roll-up held before: unknown at start, so the first write clears them all.
        self._rollup_rows = ROLLUP_ROWS - ROLLUP_HEADER_ROW
        self._rollup_gaps = ROLLUP_ROWS - ROLLUP_HEADER_ROW

    def _run(self, request: Any) -> Any:
        request._sleep = self.sleep  # the library's backoff sleeps through this attribute
        return request.execute(num_retries=self.retries)

    def _backoff(self, attempt: int) -> None:
        self.sleep(random.random() * 2 ** (attempt + 1))

    # --- where files live ---------------------------------------------------------------

    def _parents(self) -> list[str]:
        return [self.folder_id] if self.folder_id else []

    def shared_drive(self) -> str:
        """The id of the Shared Drive that holds the folder (files.get once per process);
        "" when there is no folder or it is in someone's My Drive."""
        if self._drive_id is None:
            if not self.folder_id:
                self._drive_id = ""
            else:
                try:
                    found = self._run(
                        self.drive.files().get(
                            fileId=self.folder_id, fields="id,driveId", supportsAllDrives=True
                        )
                    )
                except HttpError as err:
                    if err.resp.status in LOST:
                        raise WorkspaceError(
                            self.folder_id,
                            f"the Drive folder MAP_GOOGLE_FOLDER={self.folder_id} cannot be "
                            f"opened by {self.identity or 'the service account'} "
                            f"({_reason(err)}); add that account to the team's Shared Drive "
                            "as a Content manager",
                        ) from None
                    raise
                self._drive_id = str(found.get("driveId") or "")
        return self._drive_id

    def _corpus(self) -> dict[str, Any]:
        """files.list parameters that search where our files are: the whole Shared Drive
        (corpora=drive: the default corpus, user, holds only files the caller created,
        opened or was shared directly, so MAPs made by anyone else would be missing)."""
        drive = self.shared_drive()
        if drive:
            return {
                "corpora": "drive",
                "driveId": drive,
                "includeItemsFromAllDrives": True,
                "supportsAllDrives": True,
            }
        return {"corpora": "user", "supportsAllDrives": True}

    def _list(self, q: str, fields: str) -> list[dict[str, Any]]:
        """Every page of a files.list over our corpus."""
        found: list[dict[str, Any]] = []
        page: str | None = None
        while True:
            answer = self._run(
                self.drive.files().list(
                    q=q,
                    fields=f"nextPageToken,incompleteSearch,files({fields})",
                    pageSize=1000,
                    pageToken=page,
                    **self._corpus(),
                )
            )
            if answer.get("incompleteSearch"):
                log.warning("Drive says the listing for %r is incomplete", q)
            found += answer.get("files", [])
            page = answer.get("nextPageToken")
            if not page:
                return found

    def _token(self, meta: dict[str, Any]) -> str:
        """A version as sync compares it: Drive's version, qualified by who changed the
        file last unless that was us, so the version of our own write is told apart from
        the same number reached by a buyer's (and a missing lastModifyingUser, which
        Drive leaves out for some editors, is never taken for ours)."""
        version = str(meta["version"])
        who = str((meta.get("lastModifyingUser") or {}).get("emailAddress", "")).lower()
        return version if who and who == self.identity else f"{version}:{who or 'unknown'}"

    # --- create -------------------------------------------------------------------------

    def _create_file(self, metadata: dict[str, Any], media: bytes | None = None) -> Any:
        """files.create, made safe to retry: after a failure that may have made the file
        anyway (a timeout, a 5xx, a rate limit), look for it by its appProperties (unique
        per MAP) before sending the create again, so one try makes one file."""
        props = metadata["appProperties"]
        terms = [f"appProperties has {{ key='{k}' and value='{v}' }}" for k, v in props.items()]
        q = " and ".join([*terms, "trashed = false"])
        for attempt in range(self.retries + 1):
            body = None
            if media is not None:
                mime = "text/html" if metadata["mimeType"] == DOC_MIME else XLSX_MIME
                body = MediaIoBaseUpload(io.BytesIO(media), mimetype=mime)
            request = self.drive.files().create(
                body=metadata, media_body=body, supportsAllDrives=True, fields=META_FIELDS
            )
            request._sleep = self.sleep
            try:
                return request.execute(num_retries=0)
            except (HttpError, TimeoutError, OSError, httplib2.HttpLib2Error) as exc:
                if (isinstance(exc, HttpError) and not retryable(exc)) or attempt == self.retries:
                    raise
                self._backoff(attempt)
                made = self._list(q, META_FIELDS)
                if made:
                    return made[0]
        raise AssertionError("unreachable")  # pragma: no cover

    def _grant_rep(self, email: str, files: Sequence[str]) -> None:
        """The creating rep can edit the Sheet and the Doc (the drive owns them). A rep who
        is a member of the drive already can; a refusal is logged, not fatal."""
        if not email:
            return

        def grant(file_id: str) -> Callable[[], Any]:
            return lambda: self.drive.permissions().create(
                fileId=file_id,
                body={"type": "user", "role": "writer", "emailAddress": email},
                sendNotificationEmail=False,
                supportsAllDrives=True,
                fields="id",
            )

        for file_id, (_answer, error) in zip(
            files, self._batch([grant(f) for f in files]), strict=True
        ):
            if error is not None:
                log.warning("%s could not be given edit access to %s: %s", email, file_id, error)

    def create_map(self, draft: MapDraft) -> MapFiles:
        """The Sheet and the Doc in the folder, the rep given edit access: 3 round trips.
        The Sheet is built by the first write_computed (the create's first sync), in one
        batchUpdate with the first values: 4 in all."""
        info = draft.info
        body = create_body(draft)
        name = f"MAP - {info.buyer_company} - {info.deal}"
        sheet = self._create_file(
            {
                "name": name,
                "mimeType": SHEET_MIME,
                "parents": self._parents(),
                "appProperties": {APP_KEY: "sheet", "mapId": info.map_id},
            }
        )
        sheet_id, doc_id = str(sheet["id"]), ""
        try:
            html = draft.render_doc(sheet_url(sheet_id), "the plan spreadsheet")
            doc = self._create_file(
                {
                    "name": name,
                    "mimeType": DOC_MIME,
                    "parents": self._parents(),
                    "appProperties": {APP_KEY: "doc", "mapId": info.map_id, "sheetId": sheet_id},
                },
                html.encode(),
            )
            doc_id = str(doc["id"])
            self._grant_rep(info.rep_email, [sheet_id, doc_id])
        except Exception:
            self.delete_map(MapFiles(sheet_id, doc_id))  # a failed create leaves no file
            raise
        self._thread.unbuilt[sheet_id] = body
        made = Snapshot(grids_of_create(body), self._token(sheet), SYNC_IDENTITY, None)
        return MapFiles(sheet_id, doc_id, made)

    def delete_map(self, files: MapFiles) -> None:
        self._thread.unbuilt.pop(files.sheet, None)
        for file_id in (files.sheet, files.doc):
            if not file_id:
                continue
            with contextlib.suppress(HttpError):  # already gone: nothing left to clean
                self._run(
                    self.drive.files().update(
                        fileId=file_id, body={"trashed": True}, supportsAllDrives=True, fields="id"
                    )
                )

    def _build(self, sheet: str, requests: list[dict[str, Any]]) -> None:
        """One spreadsheets.batchUpdate building a Sheet. Retried after a timeout it may
        find its first try applied (addSheet then refuses a tab that exists): built."""
        try:
            self._run(
                self.sheets.spreadsheets().batchUpdate(
                    spreadsheetId=sheet, body={"requests": requests}
                )
            )
        except HttpError as err:
            if err.resp.status != 400 or not self._built(sheet):
                raise

    def _built(self, sheet: str) -> bool:
        book = self._run(
            self.sheets.spreadsheets().get(spreadsheetId=sheet, fields="sheets.properties.title")
        )
        titles = {s["properties"]["title"] for s in book.get("sheets", [])}
        return SYNC_TAB in titles or ROLLUP_TAB in titles

    # --- share --------------------------------------------------------------------------

    def _batch(self, requests: Sequence[Any]) -> list[tuple[Any, HttpError | None]]:
        """Send requests in Drive batches (one round trip for up to 100), each answered on
        its own: (response, None) or (None, error). Parts answered 429, 5xx or a 403 rate
        limit are sent again in a later batch after a randomised exponential backoff, as
        single calls are."""
        answers: dict[int, tuple[Any, HttpError | None]] = {}
        done: dict[int, tuple[Any, HttpError | None]] = {}

        def answered(request_id: str, response: Any, error: HttpError | None) -> None:
            answers[int(request_id)] = (response, error)

        pending = list(range(len(requests)))
        for attempt in range(self.retries + 1):
            answers.clear()
            for start in range(0, len(pending), 100):
                batch = self.drive.new_batch_http_request(callback=answered)
                for i in pending[start : start + 100]:
                    batch.add(requests[i](), request_id=str(i))
                try:
                    batch.execute()
                except HttpError as err:  # the batch itself was refused
                    if not retryable(err) or attempt == self.retries:
                        raise
            last = attempt == self.retries
            retry = [
                i
                for i in pending
                if i not in answers
                or (not last and (e := answers[i][1]) is not None and retryable(e))
            ]
            done.update((i, a) for i, a in answers.items() if i not in retry)
            if not retry:
                break
            pending = retry
            self._backoff(attempt)
        return [done[i] for i in range(len(requests))]

    def sharing_restriction(self) -> dict[str, Any]:
        """The Shared Drive's restrictions (drives.get), checked before sharing and
        trusted for RESTRICTIONS_TTL seconds: {} without a Shared Drive."""
        drive = self.shared_drive()
        if not drive:
            return {}
        with self._lock:
            cached = self._restrictions
        if cached is not None and time.monotonic() - cached[0] < RESTRICTIONS_TTL:
            return cached[1]
        found = self._run(self.drive.drives().get(driveId=drive, fields="id,name,restrictions"))
        value = {"name": found.get("name", drive), **found.get("restrictions", {})}
        with self._lock:
            self._restrictions = (time.monotonic(), value)
        return value

    def _refusal(self, email: str, restrictions: dict[str, Any]) -> str:
        """Why the drive's own settings forbid inviting `email`, before asking Drive."""
        name = restrictions.get("name", "")
        if restrictions.get("driveMembersOnly"):
            return (
                f'the team\'s Shared Drive "{name}" lets only its members open its files '
                "(Drive: access to items restricted to members), so buyers cannot be invited; "
                "send an .xlsx copy instead, or ask a manager of the Shared Drive to allow "
                "access for people who are not members"
            )
        domain = email.rpartition("@")[2].lower()
        if restrictions.get("domainUsersOnly") and domain not in self.own_domains:
            return (
                f'the team\'s Shared Drive "{name}" is closed to people outside your '
                "organisation (Drive: access restricted to users of its domain), so "
                f"{email} cannot be invited; send an .xlsx copy instead, or ask a manager of "
                "the Shared Drive to allow access for people outside the organisation"
            )
        return ""

    def share(
        self, invites: Sequence[Invite], message: str, *, notify: bool = True
    ) -> list[InviteResult]:
        """Every invitation in one Drive batch; each failure is reported on its own with
        the reason Google gave. Never a link share: each permission names one person.
        Invitations the Shared Drive's restrictions forbid are refused here, with why.
        Drive's notification comes from the service account: `message` names the rep and
        where to write; with `notify` False we send our own (from the rep, replies to
        the rep) instead."""
        restrictions = self.sharing_restriction() if invites else {}
        refused = {i.email: why for i in invites if (why := self._refusal(i.email, restrictions))}
        allowed = [i for i in invites if i.email not in refused]

        def create(invite: Invite) -> Callable[[], Any]:
            return lambda: self.drive.permissions().create(
                fileId=invite.file,
                body={"type": "user", "role": invite.role, "emailAddress": invite.email},
                sendNotificationEmail=notify,
                **({"emailMessage": message} if notify else {}),
                supportsAllDrives=True,
                fields="id",
            )

        answers = dict(zip(allowed, self._batch([create(i) for i in allowed]), strict=True))
        out = []
        for invite in invites:
            if invite.email in refused:
                out.append(InviteResult(invite, False, refused[invite.email]))
                continue
            error = answers[invite][1]
            out.append(InviteResult(invite, error is None, _reason(error) if error else ""))
        return out

    def _permissions(self, files: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
        """Every permission of every file: one batch of permissions.list per page (100 a
        page at most), following nextPageToken until each file's list is whole."""

        def listing(file_id: str, page: str | None) -> Callable[[], Any]:
            return lambda: self.drive.permissions().list(
                fileId=file_id,
                supportsAllDrives=True,
                pageSize=100,
                pageToken=page,
                fields="nextPageToken,permissions(id,type,role,emailAddress,domain)",
            )

        found: list[tuple[str, dict[str, Any]]] = []
        pending: list[tuple[str, str | None]] = [(f, None) for f in files]
        while pending:
            answers = self._batch([listing(f, page) for f, page in pending])
            following: list[tuple[str, str | None]] = []
            for (file_id, _page), (response, error) in zip(pending, answers, strict=True):
                if error is not None:
                    if error.resp.status in LOST:
                        continue  # the file is gone or closed to us: nobody to list
                    raise error
                found += [(file_id, p) for p in response.get("permissions", [])]
                if response.get("nextPageToken"):
                    following.append((file_id, str(response["nextPageToken"])))
            pending = following
        return found

    def drive_facts(self, links: Sequence[LinkReading]) -> dict[str, DriveFacts]:
        """files.get by id for each Drive link on a Resources tab, in Drive batches (the
        typed address is never requested). A link-shared file made before 2021 needs its
        resource key in X-Goog-Drive-Resource-Keys. 404 is "not found or not shared with
        the service"; the permissions show only when the service may share the file (else
        None: who can open it is not known). Any other refusal is an error: ask next time."""
        wanted: dict[str, str] = {}
        for link in links:
            if link.drive_id and len(wanted) < MAX_DRIVE_CHECKS:
                wanted.setdefault(link.drive_id, link.resource_key)
        if not wanted:
            return {}

        def get(file_id: str, key: str) -> Callable[[], Any]:
            def build() -> Any:
                request = self.drive.files().get(
                    fileId=file_id,
                    supportsAllDrives=True,
                    fields="id,name,trashed,permissions(type,role,emailAddress,domain)",
                )
                if key:
                    request.headers["X-Goog-Drive-Resource-Keys"] = f"{file_id}/{key}"
                return request

            return build

        ids = list(wanted)
        try:
            answers = self._batch([get(i, wanted[i]) for i in ids])
        except HttpError as err:  # the batch itself was refused: ask at the next sync
            raise WorkspaceError(
                "Drive", f"no answer for the Resources tab's links: {_reason(err)}"
            ) from err
        out: dict[str, DriveFacts] = {}
        for file_id, (response, error) in zip(ids, answers, strict=True):
            if error is not None:
                if error.resp.status == 404:
                    out[file_id] = DriveFacts(file_id, found=False)
                else:
                    out[file_id] = DriveFacts(file_id, found=False, error=_reason(error))
                continue
            perms = response.get("permissions")
            shared: tuple[str, ...] | None = None
            if perms is not None:
                shared = tuple(
                    "anyone"
                    if p.get("type") == "anyone"
                    else f"domain:{p.get('domain', '')}"
                    if p.get("type") == "domain"
                    else f"{p.get('type')}:{str(p.get('emailAddress', '')).lower()}"
                    for p in perms
                )
            out[file_id] = DriveFacts(
                file_id,
                found=True,
                trashed=bool(response.get("trashed")),
                name=str(response.get("name", "")),
                shared_with=shared,
            )
        return out

    def people(self, files: Sequence[str]) -> list[Invite]:
        """Every file's permissions (owners and Shared Drive members included, so the
        caller can tell whom not to touch)."""
        out = []
        for file_id, p in self._permissions(files):
            kind, role = p.get("type"), str(p.get("role", ""))
            if kind in ("user", "group") and p.get("emailAddress"):
                who = str(p["emailAddress"]).lower()
            elif kind == "domain" and p.get("domain"):
                who = "@" + str(p["domain"]).lower()  # everyone at that domain
            elif kind == "anyone":
                who = ANYONE  # a link share, turned on by someone with access
            else:
                continue
            out.append(Invite(who, role, file_id, p["id"]))
        return out

    def revoke(self, grants: Sequence[Invite]) -> list[InviteResult]:
        """One batch of permissions.delete; a permission already gone (404) is revoked."""

        def delete(grant: Invite) -> Callable[[], Any]:
            return lambda: self.drive.permissions().delete(
                fileId=grant.file, permissionId=grant.permission, supportsAllDrives=True
            )

        answers = self._batch([delete(g) for g in grants])
        return [
            InviteResult(
                grant,
                error is None or error.resp.status == 404,
                _reason(error) if error is not None and error.resp.status != 404 else "",
            )
            for grant, (_response, error) in zip(grants, answers, strict=True)
        ]

    def save_file(self, map_id: str, sheet: str, name: str, data: bytes, kind: str) -> str:
        """One upload into the MAP's folder (the Shared Drive when configured): a Doc
        converted from HTML, or an .xlsx kept as a file."""
        made = self._create_file(
            {
                "name": name,
                "mimeType": DOC_MIME if kind == "doc" else XLSX_MIME,
                "parents": self._parents(),
                # `made` tells this upload from an earlier one of the same MAP, so a retried
                # upload finds its own first try and nothing else.
                "appProperties": {
                    APP_KEY: "file",
                    "mapId": map_id,
                    "sheetId": sheet,
                    "made": f"{time.time_ns():x}{random.getrandbits(32):08x}",
                },
            },
            data,
        )
        return str(made["id"])

    # --- versions and reads -------------------------------------------------------------

    def versions(self, sheets: Sequence[str]) -> dict[str, str | None]:
        """One listing of the drive (every page) for every MAP Sheet's version, kept for the
        reads after it in this thread. A Sheet missing from it is None: sync then asks
        for it alone (files.get), so a listing that lags costs a call, never an edit."""
        if not self.identity:
            self._learn_identity()
        metas = {
            str(m["id"]): m
            for m in self._list(
                f"appProperties has {{ key='{APP_KEY}' and value='sheet' }} and trashed = false",
                META_FIELDS,
            )
        }
        self._thread.meta = metas
        return {s: self._token(metas[s]) if s in metas else None for s in sheets}

    def _learn_identity(self) -> None:
        """Whom our writes are made as, when the credentials did not say (Cloud Run's
        metadata credentials name no account until used): Drive's about.get, once."""
        about = self._run(self.drive.about().get(fields="user(emailAddress)"))
        self.identity = str(about.get("user", {}).get("emailAddress", "")).lower()

    def version(self, sheet: str) -> str | None:
        try:
            meta = self._run(
                self.drive.files().get(fileId=sheet, fields=META_FIELDS, supportsAllDrives=True)
            )
        except HttpError as err:
            if err.resp.status in LOST:
                return None
            raise
        self._thread.meta[sheet] = meta
        return None if meta.get("trashed") else self._token(meta)

    def read(self, sheet: str) -> Snapshot:
        meta = self._thread.meta.get(sheet)
        if meta is None and self.version(sheet) is None:
            raise MapMissing(sheet, SYNC_LOST)
        meta = self._thread.meta[sheet]
        added: list[dict[str, Any]] = []
        try:
            try:
                answer = self._run(
                    self.sheets.spreadsheets()
                    .values()
                    .batchGet(spreadsheetId=sheet, **read_params())
                )
            except HttpError as err:
                if err.resp.status != 400:
                    raise
                # A tab we read is missing: a Sheet made before the Resources tab (or a
                # buyer deleted it). One spreadsheets.get says which; when it is only tabs
                # added since, the rest is read and the write adds them back.
                missing, added = self._missing_tabs(sheet, err)
                answer = self._run(
                    self.sheets.spreadsheets()
                    .values()
                    .batchGet(spreadsheetId=sheet, **read_params(without=missing))
                )
        except HttpError as err:
            if err.resp.status in LOST:
                raise MapMissing(sheet, SYNC_LOST) from None
            raise
        raw_grids = grids_of(answer)
        lost, header_row = lost_headers(raw_grids)
        grids, clear = unblock(restore_headers(raw_grids, lost, header_row))
        clear += typed_under(grids, lost, header_row)
        grids, typed_notes = blocked_notes(grids)
        grids, note_header, typed_under_note = lost_note_header(grids)
        clear += typed_notes + typed_under_note
        self._thread.clear[sheet] = clear
        self._thread.repairs[sheet] = added + self._repairs(sheet, raw_grids, lost, note_header)
        self._thread.resource_rows[sheet] = (
            self._token(meta),
            max(0, len(grids[RESOURCE_TAB]) - 1) if RESOURCE_TAB in grids else 0,
        )
        plan = find_tab(grids, PLAN)
        header = find_header(plan[1], PLAN) if plan else None
        self._thread.read[sheet] = (
            max(0, len(grids.get(SYNC_TAB, [])) - 1),
            header.columns.get("id", 0) if header else 0,
        )
        editor = str(meta.get("lastModifyingUser", {}).get("emailAddress", ""))
        when = datetime.fromisoformat(str(meta["modifiedTime"]).replace("Z", "+00:00"))
        return Snapshot(
            grids,
            self._token(meta),
            SYNC_IDENTITY if editor and editor.lower() == self.identity else editor,
            when.replace(tzinfo=None),
            repair=bool(clear or self._thread.repairs[sheet] or stale_notes(grids)),
        )

    def _missing_tabs(self, sheet: str, err: HttpError) -> tuple[list[str], list[Any]]:
        """After a read refused for a missing range: the tabs missing, and the requests
        adding them (in the Sheet's locale, after the Stakeholders tab). Only tabs a
        Sheet made before them lacks (ADDED_LATER) are added; a buyer tab the MAP
        needs that is gone (renamed, deleted) is an error to restore by hand."""
        book = self._run(
            self.sheets.spreadsheets().get(
                spreadsheetId=sheet, fields="properties.locale,sheets.properties(title,index)"
            )
        )
        titles = [str(s["properties"]["title"]) for s in book.get("sheets", [])]
        missing = [t for t in SHEET_IDS if t not in titles]
        if not missing or any(t not in ADDED_LATER for t in missing):
            raise WorkspaceError(
                sheet,
                f"the Sheet cannot be read as a MAP: {_reason(err)}; restore the tab"
                + (f" ({', '.join(missing)})" if missing else ""),
            ) from None
        after = titles.index("Stakeholders") + 1 if "Stakeholders" in titles else len(titles)
        locale = str(book.get("properties", {}).get("locale", "en_US"))
        log.info("%s: adding the %s tab(s) a newer MAP has", sheet, ", ".join(missing))
        return missing, added_tab_requests(missing, locale, after)

    def _repairs(
        self,
        sheet: str,
        grids: dict[str, Any],
        lost: Sequence[int],
        note_header: int | None = None,
    ) -> list[Any]:
        """What keeps the computed columns from showing, and the requests that mend it with
        the next write: a merge across a column (its header shows #REF!, typed text or
        not, or its header formula is written again) is undone; a header formula the buyer
        typed over or cleared is written again in the Sheet's locale as it is now (the
        Plan's, and the Resources Sync note's at row `note_header`). One
        spreadsheets.get, only when something is wrong; merged text stays in its top-left
        cell, or, from a computed cell, in the row's sync note like any typed text."""
        blocked, header_row = blocked_columns(grids)
        if not blocked and not lost and note_header is None:
            return []
        book = self._run(
            self.sheets.spreadsheets().get(
                spreadsheetId=sheet,
                fields="properties.locale,sheets(properties(sheetId,title),merges)",
            )
        )
        locale = str(book.get("properties", {}).get("locale", "en_US"))
        unmerge = [
            {"unmergeCells": {"range": m}}
            for m in merges_blocking(book, [*blocked, *lost], header_row)
        ]
        formulas = [
            (
                header_row,
                i,
                lookup_formula(
                    PLAN.columns[i].header, SYNC_KEYS.index(PLAN.columns[i].key) + 1, locale
                ),
            )
            for i in lost
        ]
        notes = [] if note_header is None else [note_formula_cell(note_header, locale)]
        return unmerge + formula_cells(formulas) + notes

    # --- writes -------------------------------------------------------------------------

    def write_computed(self, sheet: str, expected_version: str, write: ComputedWrite) -> str:
        """One write: values.batchUpdate (RAW), or, for a Sheet create_map just made, the
        one batchUpdate that builds it with these first values in it."""
        previous_rows, id_column = self._thread.read.get(sheet, (0, 0))
        # The Resources Sync notes ride in this same write, as rows of the hidden table
        # the Sync note column's formula looks up (google_sheet.resource_note_formula: a
        # row's note follows it through any sort a buyer makes between read and write).
        # Without a read of this very version (a date-driven write from the registry's
        # last read, or a read in another thread since) the table's length is not known:
        # every row below it is cleared.
        read_version, read_rows = self._thread.resource_rows.pop(sheet, ("", 0))
        previous_table = read_rows if read_version == expected_version else None
        if sheet in self._thread.unbuilt:
            previous_table = 0  # the build's table is empty
        table = None
        if write.resource_rows is not None and (write.resources or previous_table):
            table = resource_table(write.resources, write.resource_rows)
        body = write_body(
            write,
            previous_rows=previous_rows,
            id_column=id_column,
            clear=self._thread.clear.pop(sheet, []),
            resources=table,
            previous_resources=ROWS - 1 if previous_table is None else previous_table,
        )
        unbuilt = self._thread.unbuilt.pop(sheet, None)
        repairs = self._thread.repairs.pop(sheet, [])
        try:
            if unbuilt is not None:
                self._build(sheet, build_requests(unbuilt, then=values_as_cells(body)))
            elif repairs:  # the Sheet mended and the values written: one batchUpdate
                self._run(
                    self.sheets.spreadsheets().batchUpdate(
                        spreadsheetId=sheet,
                        body={"requests": repairs + values_as_cells(body)},
                    )
                )
            else:
                self._run(
                    self.sheets.spreadsheets().values().batchUpdate(spreadsheetId=sheet, body=body)
                )
        except HttpError as err:
            if err.resp.status in LOST:
                raise MapMissing(sheet, SYNC_LOST) from None
            raise
        self._thread.read[sheet] = (len(write.rows), id_column)
        return self.written(expected_version)

    def written(self, expected_version: str) -> str:
        """The version our one write should make: Drive's version "reflects every change"
        (files resource), so it is at least one above the version we read. Sync skips a
        read only when the listing shows exactly this, last modified by us; a higher
        number (a buyer saved in between, or Drive counted our write as more than one
        change) or another modifier is read again: an extra read at worst, never a
        missed edit. Knowing the exact number would cost a files.get per write."""
        return str(int(expected_version.split(":")[0]) + 1)

    def write_cells(self, sheet: str, expected_version: str, edits: Sequence[CellEdit]) -> str:
        """One RAW values.batchUpdate: a buyer's text stays text, dates as serial numbers."""
        data = [
            {"range": f"{quote(e.tab)}!{a1(e.row, e.col)}", "values": [[raw(e.value)]]}
            for e in edits
        ]
        try:
            self._run(
                self.sheets.spreadsheets()
                .values()
                .batchUpdate(spreadsheetId=sheet, body={"valueInputOption": "RAW", "data": data})
            )
        except HttpError as err:
            if err.resp.status in LOST:
                raise MapMissing(sheet, SYNC_LOST) from None
            raise
        return self.written(expected_version)

    def write_rollup(
        self,
        rows: Sequence[RollupRow],
        today: date,
        gaps: Sequence[tuple[Deal, str]] = (),
        insights: Insights | None = None,
    ) -> str:
        """One write a sync; the Sheet is found by its appProperties, or made once."""
        with self._rollup_lock:
            if self._rollup is None:
                self._rollup = self._find_or_make_rollup()
            previous, self._rollup_rows = self._rollup_rows, len(rows)
            previous_gaps, self._rollup_gaps = self._rollup_gaps, len(gaps)
        self._run(
            self.sheets.spreadsheets()
            .values()
            .batchUpdate(
                spreadsheetId=self._rollup,
                body=rollup_write_body(
                    rows,
                    today,
                    previous_rows=previous,
                    gaps=gaps,
                    previous_gaps=previous_gaps,
                    insights=insights,
                ),
            )
        )
        return self._rollup

    def _find_or_make_rollup(self) -> str:
        found = self._list(
            f"appProperties has {{ key='{APP_KEY}' and value='rollup' }} and "
            f"appProperties has {{ key='{LAYOUT_KEY}' and value='{ROLLUP_LAYOUT}' }} "
            "and trashed = false",
            "id",
        )
        if found:
            return str(found[0]["id"])
        title = "MAP roll-up (seller-only)"
        made = self._create_file(
            {
                "name": title,
                "mimeType": SHEET_MIME,
                "parents": self._parents(),
                # An older layout's roll-up is not found: a new one is made beside it.
                "appProperties": {APP_KEY: "rollup", LAYOUT_KEY: ROLLUP_LAYOUT},
            }
        )
        rollup = str(made["id"])
        self._build(rollup, build_requests(rollup_create_body(title), dates=False))
        return rollup

    def link(self, ref: str) -> str:
        return f"https://drive.google.com/open?id={ref}"

    def read_source(self, ref: str) -> Source:
        """Any Sheet the service can open, for `mapctl import`: two calls, its tabs and
        merged ranges, then every tab's values (dates as serial numbers)."""
        try:
            book = self._run(
                self.sheets.spreadsheets().get(
                    spreadsheetId=ref, fields="properties.title,sheets(properties.title,merges)"
                )
            )
            titles = [str(s["properties"]["title"]) for s in book.get("sheets", [])]
            answer = self._run(
                self.sheets.spreadsheets()
                .values()
                .batchGet(
                    spreadsheetId=ref,
                    ranges=[quote(t) for t in titles],
                    valueRenderOption="UNFORMATTED_VALUE",
                    dateTimeRenderOption="SERIAL_NUMBER",
                )
            )
        except HttpError as err:
            if err.resp.status in LOST:
                raise WorkspaceError(
                    ref,
                    f"cannot open this Sheet ({_reason(err)}); share it with {self.identity} "
                    "(Viewer is enough), or download it as .xlsx and import the file",
                ) from None
            raise
        by_range = grids_of(answer)
        merges = {
            str(s["properties"]["title"]): [
                (
                    int(m.get("startRowIndex", 0)),
                    int(m.get("startColumnIndex", 0)),
                    int(m["endRowIndex"]) - 1,
                    int(m["endColumnIndex"]) - 1,
                )
                for m in s.get("merges", [])
            ]
            for s in book.get("sheets", [])
        }
        return Source(str(book.get("properties", {}).get("title", ref)), by_range, merges)
