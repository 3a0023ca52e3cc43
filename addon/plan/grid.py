"""Finding tabs, header rows and columns in a grid, for the parser and the writers alike."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from addon.plan.cells import cell_text, normalise_id
from addon.plan.dates import from_serial
from addon.plan.models import Cell, Grid, IdAssignment
from sheets_schema.vocab import ColumnType
from sheets_schema.workbook import PLAN, RESOURCES, SUMMARY, Tab, match_header, normalise_header

HEADER_SCAN_ROWS = 40
HEADER_MAX_CHARS = 60  # no column header is longer; step texts and notes are


def col_letter(index: int) -> str:
    """0-based column index -> A1 letters."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@lru_cache(maxsize=16384)
def a1(row: int, col: int) -> str:
    """0-based row and column -> 'F7'."""
    return f"{col_letter(col)}{row + 1}"


def cell_range(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """'K11:L11' (or 'K11') -> 0-based ((top, left), (bottom, right)); None if not a range."""
    corners = [_A1.fullmatch(part.strip().replace("$", "")) for part in text.split(":", 1)]
    if not all(corners):
        return None
    points = [(int(m[2]) - 1, _col_index(m[1])) for m in corners if m]
    (top, left), (bottom, right) = points[0], points[-1]
    return (min(top, bottom), min(left, right)), (max(top, bottom), max(left, right))


_A1 = re.compile(r"([A-Za-z]{1,3})([1-9]\d{0,6})")


def _col_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell(row: list[Cell], index: int | None) -> Cell:
    """The value at `index`, None for a missing or blank cell (a hot path: kept inline)."""
    if index is None or index >= len(row):
        return None
    value = row[index]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


@dataclass(frozen=True)
class Header:
    row: int  # 0-based
    columns: dict[str, int]  # column key -> 0-based index (first occurrence)


def find_header(grid: Grid, tab: Tab) -> Header | None:
    """The row that names the most of the tab's columns, found by content, not position."""
    best: Header | None = None
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for c, value in enumerate(row):
            if (
                isinstance(value, str)
                and len(value) <= HEADER_MAX_CHARS
                and (key := match_header(tab, value))
            ):
                columns.setdefault(key, c)
        if not all(k in columns for k in tab.required):
            continue
        enough = 3 if tab.name == "Plan" else 2
        if len(columns) >= min(enough, len(tab.columns)) and (
            best is None or len(columns) > len(best.columns)
        ):
            best = Header(r, columns)
            if 3 * len(columns) >= 2 * _editable(tab):
                return best  # no data row names two thirds of the columns: stop reading
    return best


def _editable(tab: Tab) -> int:
    return sum(1 for c in tab.columns if c.editable) or len(tab.columns)


def find_tab(grids: Mapping[str, Grid], tab: Tab) -> tuple[str, Grid] | None:
    """The tab by name (case and surrounding spaces do not count), else by its header."""
    wanted = normalise_header(tab.name)
    for name, grid in grids.items():
        if normalise_header(name) == wanted:
            return name, grid
    for name, grid in grids.items():
        if find_header(grid, tab) is not None and normalise_header(name) not in {
            "plan",
            "stakeholders",
            "risks",
            "decision criteria",
            "summary",
        }:
            return name, grid
    return None


def settle(grids: Mapping[str, Grid], ids: Sequence[IdAssignment]) -> dict[str, Grid]:
    """The grids as the sheet holds them once our write is in: the new row ids in place and
    the computed Plan columns blank (they hold only what we wrote). Read again instead of
    the sheet while its version is unchanged, it gives the same plan, no new ids and no
    text to keep: the next day's date-driven values need no read."""
    settled = {name: [list(row) for row in grid] for name, grid in grids.items()}
    _blank_computed(settled, RESOURCES)  # its Sync notes, too, hold only what we wrote
    found = find_tab(settled, PLAN)
    if found is None:
        return settled
    grid = found[1]
    header = find_header(grid, PLAN)
    if header is None:
        return settled
    # The Summary is ours whole; what a buyer typed on it was kept when it was read.
    for name in [n for n in settled if normalise_header(n) == normalise_header(SUMMARY.name)]:
        del settled[name]
    computed = [i for key, i in header.columns.items() if key in _COMPUTED]
    id_col = header.columns.get("id", 0)
    for r in range(header.row + 1, len(grid)):
        for c in computed:
            if c < len(grid[r]):
                grid[r][c] = None
    for assignment in ids:
        row = grid[assignment.row]
        row.extend([None] * (id_col + 1 - len(row)))
        row[id_col] = assignment.new
    return settled


_COMPUTED = frozenset(c.key for c in PLAN.columns if c.computed)


def _blank_computed(grids: dict[str, Grid], tab: Tab) -> None:
    found = find_tab(grids, tab)
    header = find_header(found[1], tab) if found else None
    if found is None or header is None:
        return
    computed = [i for key, i in header.columns.items() if tab.column(key).computed]
    for row in found[1][header.row + 1 :]:
        for c in computed:
            if c < len(row):
                row[c] = None


def shown(grids: Mapping[str, Grid]) -> dict[str, dict[str, str]]:
    """What the Plan's computed cells show now, by row id and column key, as text: a sort of
    some columns only moves them off their rows, which only this comparison sees."""
    found = find_tab(grids, PLAN)
    header = find_header(found[1], PLAN) if found else None
    if found is None or header is None or "id" not in header.columns:
        return {}
    grid, id_col = found[1], header.columns["id"]
    columns = [(key, i) for key, i in header.columns.items() if key in _COMPUTED]
    out: dict[str, dict[str, str]] = {}
    for row in grid[header.row + 1 :]:
        sid = normalise_id(cell_text(cell(row, id_col)))
        if sid and sid not in out:
            out[sid] = {key: _shown_text(key, cell(row, i)) for key, i in columns}
    return out


def _shown_text(key: str, value: Cell) -> str:
    if (
        PLAN.column(key).type is ColumnType.DATE
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and 0 < value < 2_958_466
    ):
        value = from_serial(value)  # Sheets answers a date cell as its serial
    return cell_text(value)
