"""Merging a returned .xlsx copy of a MAP back into the live MAP: a three-way merge.

base     the grids exactly as exported (kept in the registry when the copy was made)
returned the grids of the copy the buyer sent back (edited in Excel, Numbers, LibreOffice)
current  the grids of the live MAP now (others may have edited it since the export)

Per buyer-editable cell, matched by row (the Plan by row id; Stakeholders by email, else
name; Resources by link, else title, so a link filled in on the copy still finds its row;
Risks and Decision criteria by their first column) and by column meaning (headers
found by content, so a moved or renamed column still matches):
- returned == base: the buyer did not touch it; the live value stays.
- returned != base, current == base: the buyer's edit is applied to the live cell.
- returned != base, current == returned: the same edit was made on both sides.
- returned != base, current != base: a conflict. The live value stays in the cell and the
  returned value is kept beside it in the sync note: nothing is lost, and a person decides.
Rows the buyer added in the copy are appended (a Plan row gets a new id at the next sync).
A row deleted in the copy stays live (reported: deleting is done in the Sheet). Values the
merge cannot place (text typed into a computed column, a column or tab that is not part
of the MAP) are reported and kept as notes; the returned file itself is kept too.

Pure: grids in, a plan of cell edits and notes out. The workspace applies the edits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from addon.plan.cells import cell_text, normalise_id
from addon.plan.dates import fmt, from_serial
from addon.plan.grid import Header, col_letter, find_header, find_tab, is_blank
from addon.plan.models import Cell, Grid, KeptText
from addon.plan.resources import resource_key
from sheets_schema.vocab import ColumnType
from sheets_schema.workbook import (
    DECISION_CRITERIA,
    PLAN,
    RESOURCES,
    RISKS,
    STAKEHOLDERS,
    SUMMARY,
    Tab,
    normalise_header,
)

TABS = (PLAN, STAKEHOLDERS, RESOURCES, RISKS, DECISION_CRITERIA)
# Tabs of ours that hold nothing a buyer edits: not merged, never reported as unplaced.
OURS = frozenset(normalise_header(n) for n in (SUMMARY.name, "_sync"))
CONFLICT = "xlsx conflict"  # KeptText.source: a returned value the live Sheet differs from
UNPLACED = "xlsx unplaced"  # KeptText.source: a returned value with nowhere to go


@dataclass(frozen=True)
class CellEdit:
    """Write `value` at (row, col) of the live tab (0-based, in the current grid)."""

    tab: str
    row: int
    col: int
    value: Cell


@dataclass(frozen=True)
class Change:
    tab: str
    row: str  # the row as a person knows it: "S04", "Ana Ruiz"
    column: str
    before: str
    after: str


@dataclass(frozen=True)
class Conflict:
    tab: str
    row: str
    step_id: str | None  # a Plan row: the note goes in its sync note
    column: str
    sheet: str
    returned: str


@dataclass(frozen=True)
class Unplaced:
    tab: str
    row: str
    step_id: str | None
    column: str
    text: str
    why: str
    # A tab the buyer added to their copy (their own notes): reported to the rep and kept
    # in the returned file, never written into the shared workbook's notes.
    private: bool = False


@dataclass(frozen=True)
class Merge:
    edits: tuple[CellEdit, ...]
    applied: tuple[Change, ...]
    added: tuple[str, ...]  # rows appended, as "Plan: Security review"
    conflicts: tuple[Conflict, ...]
    unplaced: tuple[Unplaced, ...]
    notes: tuple[str, ...] = ()  # what was left alone and why (rows deleted in the copy)

    @property
    def empty(self) -> bool:
        return not (self.edits or self.conflicts or self.unplaced)

    def kept(self) -> list[KeptText]:
        """The conflicts and unplaced values, as sync-note entries that outlive the merge."""
        out = [
            KeptText(c.step_id or f"{c.tab}: {c.row}", c.column, c.returned, CONFLICT, c.sheet)
            for c in self.conflicts
        ]
        out += [
            KeptText(u.step_id or f"{u.tab}: {u.row}", u.column, u.text, UNPLACED, u.why)
            for u in self.unplaced
            if not u.private
        ]
        return out


@dataclass(frozen=True)
class _Table:
    name: str
    grid: Grid
    header: Header
    rows: dict[str, int]  # key -> row index (first occurrence)
    keyless: list[int]  # rows with content but no key
    last: int  # the last row with any content (the header row when none)
    repeats: dict[str, list[int]]  # key -> every row carrying it, when more than one
    keys: dict[int, list[str]] = field(default_factory=dict)  # row -> every key it answers to


def _canon(value: Cell, kind: ColumnType) -> object:
    """A value as compared: what a person would call the same. Dates written by Sheets
    (serial numbers), openpyxl (datetime) or typed are one day; 3 and 3.0 are one number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind is ColumnType.DATE:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2958466:
            return from_serial(value)
    if isinstance(value, str):
        return " ".join(value.replace("\r\n", "\n").split(" ")).strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _text(value: Cell, kind: ColumnType) -> str:
    canon = _canon(value, kind)
    if isinstance(canon, date):
        return fmt(canon)
    return cell_text(canon)


def _written(value: Cell) -> Cell:
    """What goes into the live cell: a date as a date, text without stray spaces."""
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, str):
        return value.strip()
    return value


def _cell_at(row: list[Cell], header: Header, key: str) -> str:
    index = header.columns.get(key)
    if index is None or index >= len(row):
        return ""
    return cell_text(row[index])


def _keys_of(tab: Tab) -> Callable[[list[Cell], Header], list[str]]:
    """Every key a row answers to, the first the row's own: a Resources row by its link
    and by its title, so a copy that filled in the link still finds the row sent out."""
    if tab is RESOURCES:

        def both(row: list[Cell], header: Header) -> list[str]:
            title, link = _cell_at(row, header, "title"), _cell_at(row, header, "link")
            keys = [resource_key(title, link), resource_key(title, "")]
            return [k for k in dict.fromkeys(keys) if k]

        return both
    key_of = _key_of(tab)
    return lambda row, header: [k] if (k := key_of(row, header)) else []


def _key_of(tab: Tab) -> Callable[[list[Cell], Header], str | None]:
    cell_at = _cell_at
    if tab is RESOURCES:
        both = _keys_of(RESOURCES)
        return lambda row, h: next(iter(both(row, h)), None)

    if tab is PLAN:
        return lambda row, h: normalise_id(cell_at(row, h, "id")) if cell_at(row, h, "id") else None
    if tab is STAKEHOLDERS:
        return lambda row, h: (
            cell_at(row, h, "email").lower() or cell_at(row, h, "name").casefold() or None
        )
    first = tab.columns[0].key
    return lambda row, h: cell_at(row, h, first).casefold() or None


def _table(grids: Mapping[str, Grid], tab: Tab) -> _Table | None:
    found = find_tab(grids, tab)
    if found is None:
        return None
    name, grid = found
    header = find_header(grid, tab)
    if header is None:
        return None
    keys_of = _keys_of(tab)
    editable = [i for k, i in header.columns.items() if tab.column(k).editable]
    rows: dict[str, int] = {}
    keyless: list[int] = []
    seen: dict[str, list[int]] = {}
    keys: dict[int, list[str]] = {}
    last = header.row
    for r in range(header.row + 1, len(grid)):
        row = grid[r]
        if all(is_blank(row[i]) if i < len(row) else True for i in editable):
            continue
        last = r
        answers = keys_of(row, header)
        if not answers:
            keyless.append(r)
            continue
        keys[r] = answers
        for k in answers:
            rows.setdefault(k, r)
        seen.setdefault(answers[0], []).append(r)
    repeats = {k: rs for k, rs in seen.items() if len(rs) > 1}
    return _Table(name, grid, header, rows, keyless, last, repeats, keys)


def _find(table: _Table | None, keys: list[str]) -> int | None:
    """The row of `table` answering to the first of `keys` it knows."""
    if table is None:
        return None
    return next((table.rows[k] for k in keys if k in table.rows), None)


def _value(table: _Table, r: int, key: str) -> Cell:
    index = table.header.columns.get(key)
    row = table.grid[r]
    return row[index] if index is not None and index < len(row) else None


def _label(tab: Tab, table: _Table, r: int, key: str | None) -> str:
    if tab is PLAN:
        step = cell_text(_value(table, r, "step"))[:60]
        return f"{key} {step}".strip() if key else step or f"row {r + 1}"
    first = cell_text(_value(table, r, tab.columns[0].key))
    return first[:60] or key or f"row {r + 1}"


def _signature(tab: Tab, table: _Table, r: int) -> tuple[object, ...]:
    return tuple(
        _canon(_value(table, r, c.key), c.type)
        for c in tab.columns
        if c.editable and c.key != "id" and c.key in table.header.columns
    )


@dataclass
class _Builder:
    edits: list[CellEdit] = field(default_factory=list)
    applied: list[Change] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def merge(
    base: Mapping[str, Grid], returned: Mapping[str, Grid], current: Mapping[str, Grid]
) -> Merge:
    out = _Builder()
    for tab in TABS:
        _merge_tab(tab, _table(base, tab), _table(returned, tab), _table(current, tab), out)
    _foreign_tabs(base, returned, out)
    return Merge(
        tuple(out.edits),
        tuple(out.applied),
        tuple(out.added),
        tuple(out.conflicts),
        tuple(out.unplaced),
        tuple(out.notes),
    )


def _merge_tab(
    tab: Tab, base: _Table | None, ret: _Table | None, cur: _Table | None, out: _Builder
) -> None:
    if ret is None:
        if base is not None:
            out.notes.append(
                f"The returned copy has no readable {tab.name} tab: nothing was taken from it."
            )
        return
    key_of = _key_of(tab)
    computed = [c for c in tab.columns if c.computed]
    # Every computed value as sent: one found on another row was moved, not typed.
    sent = {
        c.key: {_canon(_value(base, r, c.key), c.type) for r in base.rows.values()}
        if base
        else set()
        for c in computed
    }
    base_sigs = {_signature(tab, base, r) for r in base.keyless} if base else set()
    # Every live row's content: a row added in the copy that is already live (the same copy
    # merged twice, or typed on both sides) is not added again.
    live_sigs = (
        {_signature(tab, cur, r) for r in (*cur.rows.values(), *cur.keyless)} if cur else set()
    )
    next_row = (cur.last + 1) if cur else 0
    # A pasted row carries the id of the row it was copied from: of the rows sharing an id,
    # the one closest to the row as sent keeps it; the others are new rows.
    primary = dict(ret.rows)
    for repeated, rows in ret.repeats.items():
        sent_row = base.rows.get(repeated) if base else None
        if sent_row is not None and base is not None:
            distances = {r: _distance(tab, base, sent_row, ret, r) for r in rows}
            primary[repeated] = min(rows, key=distances.__getitem__)
    filled = {r for rs in ret.repeats.values() for r in rs} | set(ret.rows.values())
    filled |= set(ret.keyless)
    for r in range(ret.header.row + 1, len(ret.grid)):
        if r not in filled:
            continue  # blank
        key = key_of(ret.grid[r], ret.header)
        if key is not None and primary.get(key) != r:
            key = None  # a pasted duplicate id: a new row
        label = _label(tab, ret, r, key)
        alts = ret.keys.get(r, [])[1:] if key is not None else []
        b = _find(base, [key, *alts]) if key else None
        c = _find(cur, [key, *alts]) if key else None
        if b is None and key is None and _signature(tab, ret, r) in base_sigs:
            continue  # a section row or keyless row sent out as it is
        if cur is None:
            if b is None or _differs(tab, base, b, ret, r):
                out.unplaced.append(
                    Unplaced(
                        tab.name,
                        label,
                        None,
                        "",
                        _row_text(tab, ret, r),
                        f"the live MAP has no {tab.name} tab to put it in",
                    )
                )
            continue
        if b is None and c is None:
            if _signature(tab, ret, r) not in live_sigs:
                next_row = _append(tab, ret, r, cur, next_row, label, key, out)
            continue
        if b is None:  # the same row added on both sides since the export: fill the gaps
            assert c is not None
            _cells(tab, None, None, ret, r, cur, c, label, key, out)
            continue
        assert base is not None
        if c is None:  # gone from the live MAP since the export
            if _differs(tab, base, b, ret, r):
                next_row = _append(tab, ret, r, cur, next_row, label, key, out)
                out.notes.append(
                    f"{tab.name} {label}: removed from the live MAP after the copy was sent, "
                    "but changed in the returned copy: added back; delete it again if it "
                    "is no longer needed."
                )
            continue
        _cells(tab, base, b, ret, r, cur, c, label, key, out)
        for col in computed:  # text typed into a computed column of the copy
            rv = _value(ret, r, col.key)
            canon = _canon(rv, col.type)
            if is_blank(rv) or canon == _canon(_value(base, b, col.key), col.type):
                continue
            if canon in sent[col.key]:
                continue  # a value we wrote, moved by a sort of some columns only
            out.unplaced.append(
                Unplaced(
                    tab.name,
                    label,
                    key if tab in (PLAN, RESOURCES) else None,
                    col.header,
                    _text(rv, col.type),
                    f"typed into the computed column {col.header} in the returned copy",
                )
            )
    if base is not None:
        for b, keys in base.keys.items():
            key = keys[0]
            if _find(ret, keys) is None and cur is not None and _find(cur, keys) is not None:
                out.unplaced.append(
                    Unplaced(
                        tab.name,
                        _label(tab, base, b, key),
                        key if tab in (PLAN, RESOURCES) else None,
                        "",
                        "(the whole row)",
                        "deleted in the returned copy; kept in the live MAP: delete it there "
                        "if it is no longer needed",
                    )
                )
    _foreign_columns(tab, base, ret, out)


def _distance(tab: Tab, base: _Table, b: int, ret: _Table, r: int) -> int:
    return sum(
        _canon(_value(ret, r, c.key), c.type) != _canon(_value(base, b, c.key), c.type)
        for c in tab.columns
        if c.editable and c.key != "id"
    )


def _differs(tab: Tab, base: _Table | None, b: int, ret: _Table, r: int) -> bool:
    if base is None:
        return True
    return any(
        _canon(_value(ret, r, c.key), c.type) != _canon(_value(base, b, c.key), c.type)
        for c in tab.columns
        if c.editable and c.key != "id"
    )


def _row_text(tab: Tab, table: _Table, r: int) -> str:
    parts = []
    for c in tab.columns:
        value = _value(table, r, c.key)
        if c.editable and not is_blank(value):
            parts.append(f"{c.header}: {_text(value, c.type)}")
    return "; ".join(parts)


def _cells(
    tab: Tab,
    base: _Table | None,
    b: int | None,
    ret: _Table,
    r: int,
    cur: _Table,
    c: int,
    label: str,
    key: str | None,
    out: _Builder,
) -> None:
    step_id = key if tab in (PLAN, RESOURCES) else None
    for col in tab.columns:
        if not col.editable or col.key == "id" or col.key not in ret.header.columns:
            continue
        rv = _value(ret, r, col.key)
        bv = _value(base, b, col.key) if base is not None and b is not None else None
        cv = _value(cur, c, col.key)
        returned, was, now = (_canon(v, col.type) for v in (rv, bv, cv))
        if returned in (was, now):
            continue
        index = cur.header.columns.get(col.key)
        if index is None:
            out.unplaced.append(
                Unplaced(
                    tab.name,
                    label,
                    step_id,
                    col.header,
                    _text(rv, col.type),
                    f"the live MAP's {tab.name} tab has no {col.header} column",
                )
            )
        elif now == was:
            out.edits.append(CellEdit(cur.name, c, index, _written(rv)))
            out.applied.append(
                Change(tab.name, label, col.header, _text(cv, col.type), _text(rv, col.type))
            )
        else:
            out.conflicts.append(
                Conflict(
                    tab.name, label, step_id, col.header, _text(cv, col.type), _text(rv, col.type)
                )
            )


def _append(
    tab: Tab,
    ret: _Table,
    r: int,
    cur: _Table,
    at: int,
    label: str,
    key: str | None,
    out: _Builder,
) -> int:
    filled = [
        c
        for c in tab.columns
        if c.editable and c.key != "id" and not is_blank(_value(ret, r, c.key))
    ]
    if tab is PLAN and not any(c.key == "step" for c in filled):
        out.unplaced.append(
            Unplaced(
                tab.name,
                label,
                None,
                "",
                _row_text(tab, ret, r),
                "a row without a step (a section heading?) added in the returned copy; "
                "add it in the Sheet where it belongs",
            )
        )
        return at
    for col in filled:
        index = cur.header.columns.get(col.key)
        if index is None:
            out.unplaced.append(
                Unplaced(
                    tab.name,
                    label,
                    None,
                    col.header,
                    _text(_value(ret, r, col.key), col.type),
                    f"the live MAP's {tab.name} tab has no {col.header} column",
                )
            )
            continue
        out.edits.append(CellEdit(cur.name, at, index, _written(_value(ret, r, col.key))))
    id_index = cur.header.columns.get("id")
    if tab is PLAN and key and key not in cur.rows and id_index is not None:
        out.edits.append(CellEdit(cur.name, at, id_index, key))  # its id, back where it was
    out.added.append(f"{tab.name}: {label}")
    return at + 1


def _foreign_columns(tab: Tab, base: _Table | None, ret: _Table, out: _Builder) -> None:
    """Columns the buyer added to the copy: not part of the MAP, reported with their values."""
    known = set(ret.header.columns.values())
    key_of = _key_of(tab)
    base_headers = (
        {normalise_header(cell_text(v)) for v in base.grid[base.header.row]} if base else set()
    )
    header_row = ret.grid[ret.header.row]
    for i, head in enumerate(header_row):
        if i in known or is_blank(head) or normalise_header(cell_text(head)) in base_headers:
            continue
        for r in range(ret.header.row + 1, len(ret.grid)):
            row = ret.grid[r]
            if i < len(row) and not is_blank(row[i]):
                key = key_of(row, ret.header)
                out.unplaced.append(
                    Unplaced(
                        tab.name,
                        _label(tab, ret, r, key),
                        key if tab in (PLAN, RESOURCES) else None,
                        cell_text(head),
                        cell_text(row[i]),
                        f"column {cell_text(head)} ({col_letter(i)}) was added in the returned "
                        "copy and is not part of the MAP",
                    )
                )


def _foreign_tabs(base: Mapping[str, Grid], returned: Mapping[str, Grid], out: _Builder) -> None:
    """Tabs the buyer added to the copy: reported cell by cell (the file is kept too)."""
    ours = {normalise_header(n) for n in base} | OURS
    ours |= {normalise_header(t.name) for t in TABS}
    for name, grid in returned.items():
        if normalise_header(name) in ours:
            continue
        for r, row in enumerate(grid):
            for i, value in enumerate(row):
                if not is_blank(value):
                    out.unplaced.append(
                        Unplaced(
                            name.strip(),
                            f"{col_letter(i)}{r + 1}",
                            None,
                            "",
                            cell_text(value),
                            f"the tab {name.strip()} was added in the returned copy and is "
                            "not part of the MAP (kept in the returned file only)",
                            private=True,
                        )
                    )
