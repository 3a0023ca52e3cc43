"""The local workspace: MAP workbooks as .xlsx and docs as HTML in a folder.

Layout under the root:
    maps/<slug>/<slug>.xlsx      the buyer-facing workbook
    maps/<slug>/<slug>.html      the MAP doc
    maps/<slug>/access.json      who the MAP is shared with (the local Drive permissions)
    maps/<slug>/*.xlsx, *.html   files kept beside it: .xlsx copies sent and returned,
                                 the customer-success handoff doc
    rollup.xlsx                  the managers' roll-up
A file's version is the SHA-256 of its bytes: a save by anyone changes it, and our own
write's version is what the registry stores, so our write never looks like a buyer edit.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from addon.errors import MapCorrupt, MapLocked, MapMissing, VersionConflict
from addon.plan.adopt import Source
from addon.plan.cells import EMAIL
from addon.plan.crm import Deal
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
from addon.workspace.package import Cached, cached_values, has_formulas, restore_cached
from addon.workspace.sources import read_files
from addon.workspace.xlsx import (
    apply_computed,
    build_rollup,
    build_workbook,
    grid_of,
    save,
    set_value,
)

ROLLUP_NAME = "rollup.xlsx"
_NONE: Cached = {}


def _formulas(data: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """Formulas per tab by 0-based cell, when the file has any (a second read of the file:
    the grid holds their last values, and a formula typed into a computed cell is text to
    keep, not a value)."""
    if not has_formulas(data):
        return {}
    wb = load_workbook(io.BytesIO(data))
    found: dict[str, dict[tuple[int, int], str]] = {}
    for ws in wb.worksheets:
        cells = {
            (c.row - 1, c.column - 1): str(c.value)
            for row in ws.iter_rows()
            for c in row
            if c.data_type == "f" and isinstance(c.value, str)
        }
        if cells:
            found[ws.title] = cells
    return found


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w .,()+-]+", "-", name).strip(" .-")[:120] or "file"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalWorkspace:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, ref: str) -> Path:
        return self.root / ref

    def drive_facts(self, links: Sequence[LinkReading]) -> dict[str, DriveFacts]:
        """The local workspace sees no Drive: a Drive link is checked for its form only."""
        del links
        return {}

    def link(self, ref: str) -> str:
        return self.path(ref).resolve().as_uri()

    def read_source(self, ref: str) -> Source:
        """A spreadsheet file to import: a path as the rep typed it (not in the workspace)."""
        return read_files([Path(ref)])

    # --- create -----------------------------------------------------------------------

    def create_map(self, draft: MapDraft) -> MapFiles:
        slug = self._claim_folder(draft.slug)
        sheet_ref = f"maps/{slug}/{slug}.xlsx"
        doc_ref = f"maps/{slug}/{slug}.html"
        wb = build_workbook(draft)
        wb.properties.lastModifiedBy = SYNC_IDENTITY
        wb.properties.modified = datetime.combine(draft.info.created_on, time(9))
        self._save_atomic(wb, self.path(sheet_ref))
        html = draft.render_doc(self.path(sheet_ref).name, self.path(sheet_ref).name)
        self.path(doc_ref).write_text(html, encoding="utf-8")
        return MapFiles(sheet_ref, doc_ref)

    def _claim_folder(self, slug: str) -> str:
        """A new folder under maps/ named `slug`, or `slug-2`, `slug-3`...: creating the folder
        is the claim (mkdir is atomic), so creates of the same deal at once never share one."""
        (self.root / "maps").mkdir(parents=True, exist_ok=True)
        base, n = slug, 1
        while True:
            try:
                (self.root / "maps" / slug).mkdir()
                return slug
            except FileExistsError:
                n += 1
                slug = f"{base}-{n}"

    def delete_map(self, files: MapFiles) -> None:
        shutil.rmtree(self.path(files.sheet).parent, ignore_errors=True)

    # --- share ------------------------------------------------------------------------

    def access(self, ref: str) -> list[dict[str, str]]:
        """Who a MAP's files are shared with: [{email, role, file, message}]."""
        path = self._access_path(ref)
        return list(json.loads(path.read_text())) if path.exists() else []

    def share(
        self, invites: Sequence[Invite], message: str, *, notify: bool = True
    ) -> list[InviteResult]:
        """Record each person's access beside the MAP's files, as Drive keeps permissions;
        an address that cannot receive an invitation is refused on its own."""
        results = []
        for invite in invites:
            if not EMAIL.match(invite.email):
                results.append(InviteResult(invite, False, "not an email address"))
                continue
            if not self.path(invite.file).exists():
                results.append(InviteResult(invite, False, "file not found"))
                continue
            entries = [
                e
                for e in self.access(invite.file)
                if (e["email"], e["file"]) != (invite.email, invite.file)
            ]
            entries.append(
                {
                    "email": invite.email,
                    "role": invite.role,
                    "file": invite.file,
                    "message": message,
                }
            )
            path = self._access_path(invite.file)
            path.write_text(json.dumps(entries, indent=2), encoding="utf-8")
            results.append(InviteResult(invite, True))
        return results

    def _access_path(self, ref: str) -> Path:
        return self.path(ref).parent / "access.json"

    def people(self, files: Sequence[str]) -> list[Invite]:
        wanted = set(files)
        out = []
        for ref in {self._access_path(f): f for f in files}.values():  # one read a folder
            for e in self.access(ref):
                if e["file"] in wanted:
                    out.append(Invite(e["email"], e["role"], e["file"], e["email"]))
        return out

    def revoke(self, grants: Sequence[Invite]) -> list[InviteResult]:
        """Remove each person's entry for the file; one that is not there is already gone."""
        results = []
        for grant in grants:
            path = self._access_path(grant.file)
            entries = self.access(grant.file)
            kept = [e for e in entries if (e["email"], e["file"]) != (grant.email, grant.file)]
            if len(kept) != len(entries):
                path.write_text(json.dumps(kept, indent=2), encoding="utf-8")
            results.append(InviteResult(grant, True))
        return results

    def save_file(self, map_id: str, sheet: str, name: str, data: bytes, kind: str) -> str:
        """Beside the workbook, under a name not taken yet (a doc is saved as .html)."""
        folder = self.path(sheet).parent
        suffix = ".html" if kind == "doc" else ".xlsx"
        stem = _safe_name(name.removesuffix(suffix))
        target, n = folder / f"{stem}{suffix}", 1
        while target.exists():
            n += 1
            target = folder / f"{stem} ({n}){suffix}"
        target.write_bytes(data)
        return str(target.relative_to(self.root))

    # --- read -------------------------------------------------------------------------

    def version(self, sheet: str) -> str | None:
        try:
            return _digest(self.path(sheet).read_bytes())
        except FileNotFoundError:
            return None

    def versions(self, sheets: Sequence[str]) -> dict[str, str | None]:
        return {sheet: self.version(sheet) for sheet in sheets}

    def lock_holder(self, sheet: str) -> str | None:
        """Who has the file open, from the lock file LibreOffice or Excel leaves beside it."""
        path = self.path(sheet)
        for lock in (path.with_name(f".~lock.{path.name}#"), path.with_name(f"~${path.name}")):
            if lock.exists():
                try:
                    text = lock.read_bytes().decode("utf-8", "replace")
                except OSError:
                    text = ""
                who = text.split(",")[0].strip(" \x00") or "someone"
                return f"{who} (lock file {lock.name})"
        return None

    def read(self, sheet: str) -> Snapshot:
        path = self.path(sheet)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise MapMissing(
                sheet, "the workbook is gone (deleted or moved); restore it or archive this MAP"
            ) from None
        try:  # parse the very bytes we hashed
            wb = load_workbook(io.BytesIO(data), data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise MapCorrupt(
                sheet,
                f"not a workbook that can be opened ({type(exc).__name__}); "
                "restore the last good copy",
            ) from None
        grids = {ws.title: grid_of(ws) for ws in wb.worksheets}
        props = wb.properties
        return Snapshot(
            grids,
            _digest(data),
            props.lastModifiedBy or props.creator or "",
            props.modified,
            merges={
                ws.title: tuple(r.coord for r in ws.merged_cells.ranges)
                for ws in wb.worksheets
                if ws.merged_cells.ranges
            },
            formulas=_formulas(data),
        )

    # --- write ------------------------------------------------------------------------

    def write_computed(self, sheet: str, expected_version: str, write: ComputedWrite) -> str:
        path = self.path(sheet)
        holder = self.lock_holder(sheet)
        if holder:
            raise MapLocked(
                sheet,
                f"open in a spreadsheet program by {holder}; computed "
                "columns are written at the next sync after it is closed",
            )
        data = path.read_bytes()
        if _digest(data) != expected_version:
            raise VersionConflict(sheet, "changed since it was read")
        wb = load_workbook(io.BytesIO(data))
        apply_computed(wb, write)
        wb.properties.lastModifiedBy = SYNC_IDENTITY
        if write.today:
            wb.properties.modified = datetime.combine(write.today, time(6))
        return self._save_atomic(wb, path, expected_version, kept_values=cached_values(data))

    def write_cells(self, sheet: str, expected_version: str, edits: Sequence[CellEdit]) -> str:
        path = self.path(sheet)
        holder = self.lock_holder(sheet)
        if holder:
            raise MapLocked(
                sheet, f"open in a spreadsheet program by {holder}; close it and merge again"
            )
        data = path.read_bytes()
        if _digest(data) != expected_version:
            raise VersionConflict(sheet, "changed since it was read")
        wb = load_workbook(io.BytesIO(data))
        for edit in edits:
            set_value(wb[edit.tab].cell(edit.row + 1, edit.col + 1), edit.value)
        wb.properties.lastModifiedBy = SYNC_IDENTITY
        return self._save_atomic(wb, path, expected_version, kept_values=cached_values(data))

    def _save_atomic(
        self, wb: Workbook, path: Path, expected: str | None = None, kept_values: Cached = _NONE
    ) -> str:
        """Save through a temporary file; `kept_values`: the buyer's formula values from the
        file being replaced (openpyxl would drop them)."""
        fd, tmp = tempfile.mkstemp(prefix=".map-", suffix=".xlsx", dir=path.parent)
        os.close(fd)
        try:
            save(wb, tmp)
            if kept_values:
                saved = Path(tmp).read_bytes()
                Path(tmp).write_bytes(restore_cached(saved, kept_values))
            if expected is not None and self.version(str(path.relative_to(self.root))) != expected:
                raise VersionConflict(str(path), "changed while the sync was writing")
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the file is meant to be shared
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return _digest(path.read_bytes())

    def write_rollup(
        self,
        rows: Sequence[RollupRow],
        today: date,
        gaps: Sequence[tuple[Deal, str]] = (),
        insights: Insights | None = None,
    ) -> str:
        wb = build_rollup(rows, today, gaps, insights)
        wb.properties.modified = datetime.combine(today, time(6))
        self.root.mkdir(parents=True, exist_ok=True)
        self._save_atomic(wb, self.root / ROLLUP_NAME)
        return ROLLUP_NAME
