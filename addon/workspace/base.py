"""The Workspace protocol: what the service needs from a place that holds MAP files.

Local (xlsx + HTML on disk) and Google (Sheets + Drive) implement it; the service and the
core never know which one they talk to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from addon.plan.adopt import Source
from addon.plan.crm import Deal
from addon.plan.insights import Insights
from addon.plan.merge import CellEdit
from addon.plan.models import Cell, Grid, IdAssignment, MapInfo
from addon.plan.resources import DriveFacts, LinkReading
from addon.plan.rollup import RollupRow
from addon.plan.schedule import InitialPlan

SYNC_IDENTITY = "MAP sync"  # who our writes say modified the file


@dataclass(frozen=True)
class Snapshot:
    grids: dict[str, Grid]
    version: str
    modified_by: str
    modified_at: datetime | None
    # Merged ranges per tab ("K11:L11"): the grid holds a merge's text in its top-left only.
    merges: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Formulas per tab by 0-based (row, column), where the grid holds their last values.
    formulas: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    # Something in the sheet keeps the computed columns from showing (a merge across them,
    # text under an array): write even if no computed value changed, to repair it.
    repair: bool = False


@dataclass(frozen=True)
class MapFiles:
    sheet: str  # a path relative to the workspace, or a file id
    doc: str
    made: Snapshot | None = field(default=None, compare=False)  # the sheet as created


@dataclass(frozen=True)
class MapDraft:
    info: MapInfo
    plan: InitialPlan
    render_doc: Callable[[str, str], str]  # (sheet link, sheet name) -> the doc's HTML
    slug: str  # a file-name-safe name for the MAP


@dataclass(frozen=True)
class ComputedWrite:
    rows: dict[str, dict[str, Cell]]  # row id -> computed column key -> value
    ids: Sequence[IdAssignment] = ()  # rows of the read grid that get a new id
    summary: Sequence[tuple[str, Cell]] = ()
    today: date | None = None
    kept: dict[str, str] = field(default_factory=dict)
    # The Resources tab's Sync note by row key (`resource_key`: its link, else its title);
    # None clears a note. Rows are found by key, so a sort between read and write is safe.
    resources: dict[str, str | None] = field(default_factory=dict)
    # The Resources tab's rows as the sync read them, (Resource, Link) cells as typed; None
    # without the tab. A writer that cannot open the tab at write time (Google) finds each
    # row's note by these cells.
    resource_rows: tuple[tuple[Cell, Cell], ...] | None = None


@dataclass(frozen=True)
class Invite:
    email: str
    role: str  # writer on the Sheet, commenter on the Doc; owner/organizer as listed
    file: str
    permission: str = ""  # the workspace's id of a granted permission (to revoke it)


@dataclass(frozen=True)
class InviteResult:
    invite: Invite
    ok: bool
    reason: str = ""  # Google's own words when it refused


class Workspace(Protocol):
    def create_map(self, draft: MapDraft) -> MapFiles:
        """Make the sheet and the doc; `made` may hold the sheet as written, so the first
        sync needs no read."""

    def delete_map(self, files: MapFiles) -> None:
        """Remove what create_map made (a create that failed after it)."""

    def share(
        self, invites: Sequence[Invite], message: str, *, notify: bool = True
    ) -> list[InviteResult]:
        """Give each person access to one file, each answered on its own (never a link
        share); sharing someone who already has access again is not an error. `notify`:
        the workspace tells them (Drive's email with `message`); False when we email them
        ourselves."""

    def people(self, files: Sequence[str]) -> list[Invite]:
        """Everyone who can open these files now, each as a granted Invite (with its
        permission id), whoever shared it with them."""

    def revoke(self, grants: Sequence[Invite]) -> list[InviteResult]:
        """Remove each granted access on its own; one already gone is not an error."""

    def save_file(self, map_id: str, sheet: str, name: str, data: bytes, kind: str) -> str:
        """Keep a file beside the MAP's Sheet: kind "doc" (HTML, becomes a Google Doc) or
        "xlsx" (a workbook, kept as it is). Returns its ref."""

    def write_cells(self, sheet: str, expected_version: str, edits: Sequence[CellEdit]) -> str:
        """Write buyer-editable cells on the buyer's behalf (a merged .xlsx copy); raise
        VersionConflict if the file changed since it was read. Returns the new version."""

    def version(self, sheet: str) -> str | None:
        """The sheet's current version, cheaply; None when the file is gone."""

    def versions(self, sheets: Sequence[str]) -> dict[str, str | None]:
        """Every sheet's version at once (Google: one listing call for all MAPs)."""

    def read(self, sheet: str) -> Snapshot: ...

    def write_computed(self, sheet: str, expected_version: str, write: ComputedWrite) -> str:
        """Write computed cells only; raise VersionConflict if the file changed since read."""

    def write_rollup(
        self,
        rows: Sequence[RollupRow],
        today: date,
        gaps: Sequence[tuple[Deal, str]] = (),
        insights: Insights | None = None,
    ) -> str:
        """The managers' roll-up: one ranked row per MAP, a No MAP tab listing the CRM's
        open deals without a plan (`gaps`: each deal and why it is listed), and an Insights
        tab (what the plans' history teaches)."""
        ...

    def link(self, ref: str) -> str: ...

    def drive_facts(self, links: Sequence[LinkReading]) -> dict[str, DriveFacts]:
        """What Drive says of each Drive link's file (by its id: files.get, never the
        typed address). A workspace with no Drive (local) says nothing: {}."""
        ...

    def read_source(self, ref: str) -> Source:
        """Any spreadsheet the rep can open, as `mapctl import` reads it (not only a MAP)."""
        ...
