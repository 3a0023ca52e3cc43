"""The importer's values: a `Source` in, an `Adoption` out (with its parts `ColumnUse`,
`Note`, `Origin`), and `_Table`, a table found in the source with what each column means.
Also the two cell look-ups every step uses (`_text`, `_at`). No reading logic here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from addon.plan import cells as read
from addon.plan.models import Cell, Grid, StepMemory
from addon.plan.schedule import (
    PlannedCriterion,
    PlannedResource,
    PlannedRisk,
    PlannedStakeholder,
    PlannedStep,
)

Range = tuple[int, int, int, int]  # first row, first column, last row, last column (0-based)


@dataclass(frozen=True)
class Source:
    """A spreadsheet as read: tabs in order, and the merged ranges of each tab."""

    name: str
    grids: Mapping[str, Grid]
    merges: Mapping[str, Sequence[Range]] = field(default_factory=dict)
    # each tab's row outline levels (0-based row -> level), where rows are grouped under
    # parent rows (a Smartsheet or MS Project export): rows not listed are at level 0
    outline: Mapping[str, Mapping[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnUse:
    field: str  # our column key; "" for a column with no home in the MAP workbook
    header: str
    tab: str
    column: str  # letters


@dataclass(frozen=True)
class Note:
    """A cell and what became of it: how it was read, or why it was not placed."""

    tab: str
    cell: str
    value: str
    message: str


@dataclass(frozen=True)
class Origin:
    step_id: str
    tab: str
    row: int  # 1-based, as the source shows it
    source_id: str  # the id the source gave the row, if any


@dataclass(frozen=True)
class Candidate:
    """A table that could be the plan: where it is, its score and the evidence for it."""

    where: str  # "Plan!A4:F19"
    score: int
    taken: bool
    evidence: str  # "14 rows of step text, a date column (Due), ..."
    short: str  # why it was not taken ("" for the one taken)


@dataclass(frozen=True)
class Adoption:
    plan_tab: str | None
    header_row: int | None  # 1-based
    columns: tuple[ColumnUse, ...]
    steps: tuple[PlannedStep, ...]
    origins: tuple[Origin, ...]
    memory: dict[str, StepMemory]
    stakeholders: tuple[PlannedStakeholder, ...]
    risks: tuple[PlannedRisk, ...]
    summary: dict[str, str | date | float]  # buyer_company, deal, target_close, ...
    readings: tuple[Note, ...]  # how a cell was read, when it was not plain
    problems: tuple[Note, ...]  # read but not understood: kept verbatim in the new MAP
    unplaced: tuple[Note, ...]  # no home in the MAP workbook: listed, never dropped
    placed: int  # how many source cells found a home
    locale: str  # the locale the text dates were read in
    candidates: tuple[Candidate, ...] = ()  # the tables that could be the plan, best first
    criteria: tuple[PlannedCriterion, ...] = ()  # rows of a decision criteria table
    # rows of a resources table, and the links in a plan's Link column or its notes
    resources: tuple[PlannedResource, ...] = ()


@dataclass
class _Table:
    kind: str  # "plan", "people", "risks", "criteria", "resources"
    tab: str
    row: int  # header row, 0-based
    columns: dict[int, str | None]  # column -> field (None: no home)
    headers: dict[int, str]
    first: int
    last: int
    end: int = 0  # first row after the table
    by_content: dict[int, str] = field(default_factory=dict)  # columns placed by what they hold
    repeats: set[int] = field(default_factory=set)  # the header row repeated (monday groups)
    group_row: int | None = None  # a group name just above the header: the first phase
    # lines among a plan's rows that list a document: (row, column, the index of the step
    # row above it, or None under a "Resources" heading); read by links.py
    lines: list[tuple[int, int, int | None]] = field(default_factory=list)

    @property
    def fields(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for col, key in self.columns.items():
            if key and key not in found:
                found[key] = col
        return found


def _text(value: Cell) -> str:
    return read.cell_text(value)


def _at(grid: Grid, r: int, c: int) -> Cell:
    if r >= len(grid) or c >= len(grid[r]):
        return None
    return grid[r][c]
