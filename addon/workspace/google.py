"""The Google workspace: MAP Sheets and Docs in Drive, behind the same Workspace protocol.

Round trips (docs/design.md, call budget):
- create: spreadsheets.create (the whole Sheet) + files.create (the Doc, HTML converted, with
  parents and appProperties) + files.update (the Sheet's parents and appProperties, which
  spreadsheets.create cannot set; it answers the version) = 3; the create's first sync
  then needs no read (the grids are what was sent) and writes once: 4 in all.
- share: one Drive batch of permissions.create, each invitation answered on its own;
  revoking is one batch of permissions.list and one of permissions.delete.
- a file kept beside the MAP (handoff Doc, .xlsx copies): one upload.
- sync: one files.list for every MAP's version; a changed MAP costs one values.batchGet
  and at most one values.batchUpdate; an unchanged MAP costs no call.
Every call is paced under the per-user quota (transport.Pacer) and retries 429 and 5xx
with randomised exponential backoff (the client library's num_retries). Sheets writes are
last-writer-wins (no If-Match): the write is keyed by row id into the _sync tab, so a
buyer's insert, delete or sort in between does no harm.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from addon.errors import MapMissing, WorkspaceError
from addon.google.clients import service
from addon.plan.adopt import Source
from addon.plan.grid import a1, find_header, find_tab
from addon.plan.merge import CellEdit
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
    ROLLUP_HEADER_ROW,
    ROLLUP_ROWS,
    SYNC_TAB,
    create_body,
    grids_of,
    grids_of_create,
    quote,
    raw,
    read_params,
    rollup_create_body,
    rollup_write_body,
    unblock,
    write_body,
)
from sheets_schema.workbook import PLAN

ANYONE = "anyone with the link"  # how people() names a link share
APP_KEY = "mapApp"  # appProperties key marking our files: sheet, doc or rollup
DOC_MIME = "application/vnd.google-apps.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
META_FIELDS = "id,version,modifiedTime,lastModifyingUser(emailAddress),trashed"
LOST = (403, 404)
RETRIED = (429, 500, 502, 503, 504)
SYNC_LOST = (
    "sync lost: the service can no longer open this Sheet (deleted, or its access was "
    "removed); share it with the service again or archive the MAP"
)


def _reason(err: HttpError) -> str:
    try:
        body = json.loads(err.content)["error"]
        reasons = [e.get("reason", "") for e in body.get("errors", []) if e.get("reason")]
        return f"{body.get('message', '')}" + (f" ({', '.join(reasons)})" if reasons else "")
    except (ValueError, KeyError, TypeError):
        return str(err)


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
    ) -> None:
        self.http = http  # the transport (PacedHttp: its call log counts round trips)
        self.sheets = service("sheets", "v4", root_url=root_url, http=http)
        self.drive = service("drive", "v3", root_url=root_url, http=http)
        self.folder_id = folder_id
        self.identity = identity.lower()  # whom our own writes are made as
        self.retries = retries
        self.sleep = sleep  # between retries; tests pass a simulated clock's
        self._meta: dict[str, dict[str, Any]] = {}
        self._read: dict[str, tuple[int, int]] = {}  # sheet -> (_sync rows, id column)
        self._clear: dict[str, list[str]] = {}  # sheet -> typed cells blocking an array
        self._rollup: str | None = None
        # Rows the roll-up held before: unknown at start, so the first write clears them all.
        self._rollup_rows = ROLLUP_ROWS - ROLLUP_HEADER_ROW

    def _run(self, request: Any) -> Any:
        request._sleep = self.sleep  # the library's backoff sleeps through this attribute
        return request.execute(num_retries=self.retries)

    # --- create -------------------------------------------------------------------------

    def create_map(self, draft: MapDraft) -> MapFiles:
        body = create_body(draft)
        sheet = self._run(
            self.sheets.spreadsheets().create(body=body, fields="spreadsheetId,spreadsheetUrl")
        )
        sheet_id, doc_id = str(sheet["spreadsheetId"]), ""
        try:
            html = draft.render_doc(str(sheet["spreadsheetUrl"]), "the plan spreadsheet")
            doc = self._run(
                self.drive.files().create(
                    body={
                        "name": f"MAP - {draft.info.buyer_company} - {draft.info.deal}",
                        "mimeType": DOC_MIME,
                        "parents": [self.folder_id] if self.folder_id else [],
                        "appProperties": {APP_KEY: "doc", "mapId": draft.info.map_id},
                    },
                    media_body=MediaIoBaseUpload(io.BytesIO(html.encode()), mimetype="text/html"),
                    supportsAllDrives=True,
                    fields="id",
                )
            )
            doc_id = str(doc["id"])
            meta = self._run(
                self.drive.files().update(
                    fileId=sheet_id,
                    addParents=self.folder_id,
                    supportsAllDrives=True,
                    fields=META_FIELDS,
                    body={
                        "appProperties": {
                            APP_KEY: "sheet",
                            "mapId": draft.info.map_id,
                            "docId": doc_id,
                        }
                    },
                )
            )
        except Exception:
            self.delete_map(MapFiles(sheet_id, doc_id))  # a failed create leaves no file
            raise
        self._meta[sheet_id] = meta
        made = Snapshot(grids_of_create(body), str(meta["version"]), SYNC_IDENTITY, None)
        return MapFiles(sheet_id, doc_id, made)

    def delete_map(self, files: MapFiles) -> None:
        for file_id in (files.sheet, files.doc):
            if not file_id:
                continue
            with contextlib.suppress(HttpError):  # already gone: nothing left to clean
                self._run(
                    self.drive.files().update(
                        fileId=file_id, body={"trashed": True}, supportsAllDrives=True, fields="id"
                    )
                )

    # --- share --------------------------------------------------------------------------

    def _batch(self, requests: Sequence[Any]) -> list[tuple[Any, HttpError | None]]:
        """Send requests in Drive batches (one round trip for up to 100), each answered on
        its own: (response, None) or (None, error). Parts answered 429 or 5xx are sent
        again in a later batch after a randomised exponential backoff, as single calls are."""
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
                    if err.resp.status not in RETRIED or attempt == self.retries:
                        raise
            last = attempt == self.retries
            retry = [
                i
                for i in pending
                if i not in answers
                or (not last and (e := answers[i][1]) is not None and e.resp.status in RETRIED)
            ]
            done.update((i, a) for i, a in answers.items() if i not in retry)
            if not retry:
                break
            pending = retry
            self.sleep(random.random() * 2 ** (attempt + 1))
        return [done[i] for i in range(len(requests))]

    def share(self, invites: Sequence[Invite], message: str) -> list[InviteResult]:
        """Every invitation in one Drive batch; each failure is reported on its own with
        the reason Google gave. Never a link share: each permission names one person."""

        def create(invite: Invite) -> Callable[[], Any]:
            return lambda: self.drive.permissions().create(
                fileId=invite.file,
                body={"type": "user", "role": invite.role, "emailAddress": invite.email},
                sendNotificationEmail=True,
                emailMessage=message,
                supportsAllDrives=True,
                fields="id",
            )

        answers = self._batch([create(i) for i in invites])
        return [
            InviteResult(invite, error is None, _reason(error) if error is not None else "")
            for invite, (_response, error) in zip(invites, answers, strict=True)
        ]

    def people(self, files: Sequence[str]) -> list[Invite]:
        """Every file's permissions in one batch of permissions.list (owners and Shared
        Drive members included, so the caller can tell whom not to touch)."""

        def listing(file_id: str) -> Callable[[], Any]:
            return lambda: self.drive.permissions().list(
                fileId=file_id,
                supportsAllDrives=True,
                pageSize=100,
                fields="permissions(id,type,role,emailAddress,domain)",
            )

        out = []
        for file_id, (response, error) in zip(
            files, self._batch([listing(f) for f in files]), strict=True
        ):
            if error is not None:
                if error.resp.status in LOST:
                    continue  # the file is gone or closed to us: nobody to list
                raise error
            for p in response.get("permissions", []):
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
        mime = DOC_MIME if kind == "doc" else XLSX_MIME
        media = MediaIoBaseUpload(
            io.BytesIO(data), mimetype="text/html" if kind == "doc" else XLSX_MIME
        )
        made = self._run(
            self.drive.files().create(
                body={
                    "name": name,
                    "mimeType": mime,
                    "parents": [self.folder_id] if self.folder_id else [],
                    "appProperties": {APP_KEY: "file", "mapId": map_id, "sheetId": sheet},
                },
                media_body=media,
                supportsAllDrives=True,
                fields="id",
            )
        )
        return str(made["id"])

    # --- versions and reads -------------------------------------------------------------

    def versions(self, sheets: Sequence[str]) -> dict[str, str | None]:
        """One listing (paged) of every MAP Sheet's version, kept for the reads after it."""
        self._meta = {}  # a Sheet gone from the listing must not be read from stale metadata
        page: str | None = None
        while True:
            answer = self._run(
                self.drive.files().list(
                    q=f"appProperties has {{ key='{APP_KEY}' and value='sheet' }} and "
                    "trashed = false",
                    fields=f"nextPageToken,files({META_FIELDS})",
                    pageSize=1000,
                    pageToken=page,
                    supportsAllDrives=True,
                    includeItemsFromAllDrives=True,
                )
            )
            for meta in answer.get("files", []):
                self._meta[meta["id"]] = meta
            page = answer.get("nextPageToken")
            if not page:
                break
        return {s: str(self._meta[s]["version"]) if s in self._meta else None for s in sheets}

    def version(self, sheet: str) -> str | None:
        try:
            meta = self._run(
                self.drive.files().get(fileId=sheet, fields=META_FIELDS, supportsAllDrives=True)
            )
        except HttpError as err:
            if err.resp.status in LOST:
                return None
            raise
        self._meta[sheet] = meta
        return None if meta.get("trashed") else str(meta["version"])

    def read(self, sheet: str) -> Snapshot:
        meta = self._meta.get(sheet)
        if meta is None and self.version(sheet) is None:
            raise MapMissing(sheet, SYNC_LOST)
        meta = self._meta[sheet]
        try:
            answer = self._run(
                self.sheets.spreadsheets().values().batchGet(spreadsheetId=sheet, **read_params())
            )
        except HttpError as err:
            if err.resp.status in LOST:
                raise MapMissing(sheet, SYNC_LOST) from None
            if err.resp.status == 400:  # a tab we read was renamed or deleted by a buyer
                raise WorkspaceError(
                    sheet, f"the Sheet cannot be read as a MAP: {_reason(err)}; restore the tab"
                ) from None
            raise
        grids, clear = unblock(grids_of(answer))
        self._clear[sheet] = clear
        plan = find_tab(grids, PLAN)
        header = find_header(plan[1], PLAN) if plan else None
        self._read[sheet] = (
            max(0, len(grids.get(SYNC_TAB, [])) - 1),
            header.columns.get("id", 0) if header else 0,
        )
        editor = str(meta.get("lastModifyingUser", {}).get("emailAddress", ""))
        when = datetime.fromisoformat(str(meta["modifiedTime"]).replace("Z", "+00:00"))
        return Snapshot(
            grids,
            str(meta["version"]),
            SYNC_IDENTITY if editor.lower() == self.identity else editor,
            when.replace(tzinfo=None),
        )

    # --- writes -------------------------------------------------------------------------

    def write_computed(self, sheet: str, expected_version: str, write: ComputedWrite) -> str:
        previous_rows, id_column = self._read.get(sheet, (0, 0))
        try:
            self._run(
                self.sheets.spreadsheets()
                .values()
                .batchUpdate(
                    spreadsheetId=sheet,
                    body=write_body(
                        write,
                        previous_rows=previous_rows,
                        id_column=id_column,
                        clear=self._clear.pop(sheet, []),
                    ),
                )
            )
        except HttpError as err:
            if err.resp.status in LOST:
                raise MapMissing(sheet, SYNC_LOST) from None
            raise
        self._read[sheet] = (len(write.rows), id_column)
        # Drive's version grows with every change (files resource: "a monotonically
        # increasing version number ... reflects every change"); ours is one change, so
        # the version it makes is at least expected + 1. When the listing shows exactly
        # that, nobody else saved: our own write, skipped. Anything higher (a buyer saved
        # too, or Google counts more per change) is read again: never a missed edit, an
        # extra read at worst.
        return str(int(expected_version) + 1)

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
        return str(int(expected_version) + 1)  # as write_computed: one change, one version

    def write_rollup(self, rows: Sequence[RollupRow], today: date) -> str:
        """One write a sync; the Sheet is found by its appProperties, or made once."""
        if self._rollup is None:
            self._rollup = self._find_or_make_rollup()
        self._run(
            self.sheets.spreadsheets()
            .values()
            .batchUpdate(
                spreadsheetId=self._rollup,
                body=rollup_write_body(rows, today, previous_rows=self._rollup_rows),
            )
        )
        self._rollup_rows = len(rows)
        return self._rollup

    def _find_or_make_rollup(self) -> str:
        found = self._run(
            self.drive.files().list(
                q=f"appProperties has {{ key='{APP_KEY}' and value='rollup' }} and trashed = false",
                fields="files(id)",
                supportsAllDrives=True,
                includeItemsFromAllDrives=True,
            )
        )
        if found.get("files"):
            return str(found["files"][0]["id"])
        made = self._run(
            self.sheets.spreadsheets().create(
                body=rollup_create_body("MAP roll-up (seller-only)"), fields="spreadsheetId"
            )
        )
        rollup = str(made["spreadsheetId"])
        self._run(
            self.drive.files().update(
                fileId=rollup,
                addParents=self.folder_id,
                supportsAllDrives=True,
                body={"appProperties": {APP_KEY: "rollup"}},
                fields="id",
            )
        )
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
