"""Grids -> a parsed MAP and the list of everything we could not read.

Lenient and lossless: a cell we cannot read is kept as it is (we never write a
buyer-editable cell) and reported with its tab, cell, value and what to type instead.
Nothing here raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from addon.plan import cells as read
from addon.plan.dates import FAR_FUTURE, FAR_PAST, DateKind, fmt, from_serial, read_date
from addon.plan.grid import (
    Header,
    a1,
    cell,
    cell_range,
    col_letter,
    find_header,
    find_tab,
    is_blank,
)
from addon.plan.models import (
    AnchorKey,
    Cell,
    Criterion,
    Grid,
    IdAssignment,
    KeptText,
    Owner,
    ParsedMap,
    Problem,
    ProblemKind,
    Risk,
    Stakeholder,
    Step,
    StepMemory,
)
from addon.plan.resources import (
    WHO_TYPED,
    LinkForm,
    Resource,
    guess_kind,
    read_kind,
    read_link,
    read_resource_side,
    resource_key,
)
from sheets_schema.vocab import ColumnType, ResourceKind, Side, Status
from sheets_schema.workbook import (
    DECISION_CRITERIA,
    KIND_CHOICES,
    PLAN,
    RESOURCES,
    RISKS,
    STAKEHOLDERS,
    SUMMARY,
    SUMMARY_FIELDS,
    Tab,
)

_EMPTY_ANCHORS: dict[AnchorKey, date] = {}
SUMMARY_KEY = "__summary__"  # last_written's entry for the Summary tab: label -> value
SUMMARY_NOTE_KEY = SUMMARY.name  # kept text that belongs on the Summary's Sync notes


@dataclass
class _Context:
    today: date
    locale: str
    plan_start: date | None
    anchors: Mapping[AnchorKey, date]
    problems: list[Problem] = field(default_factory=list)
    new_anchors: dict[AnchorKey, date] = field(default_factory=dict)

    def report(
        self,
        tab: str,
        row: int,
        col: int,
        value: Cell,
        message: str,
        kind: ProblemKind = ProblemKind.UNREADABLE,
        step_id: str | None = None,
    ) -> None:
        self.problems.append(
            Problem(tab, a1(row, col), read.cell_text(value), message, kind, step_id)
        )

    def date(
        self, tab: str, row: int, col: int | None, value: Cell, anchor_id: str, column: str
    ) -> tuple[date | None, bool]:
        """Read a date cell; (date, understood). Relative text keeps its first-seen anchor."""
        if col is None or value is None:
            return None, True
        if isinstance(value, date):  # real date cells: the common case
            day = value.date() if isinstance(value, datetime) else value
            if FAR_PAST <= day <= FAR_FUTURE:
                return day, True
        if not isinstance(value, str):  # a serial number, a far date, or something that is no date
            reading = read_date(value, locale=self.locale, anchor=self.today)
            if reading.kind is DateKind.UNREADABLE:
                self.report(tab, row, col, value, reading.note, step_id=anchor_id)
                return None, False
            if reading.kind is DateKind.PLACEHOLDER:
                self.report(tab, row, col, value, reading.note, ProblemKind.NOTICE, anchor_id)
            return reading.value, True
        key = AnchorKey(anchor_id, column, value.strip().lower())
        anchor = self.anchors.get(key, self.today)
        reading = read_date(value, locale=self.locale, anchor=anchor, plan_start=self.plan_start)
        if reading.kind is DateKind.RELATIVE:
            if key not in self.anchors:
                self.new_anchors[key] = anchor
            self.report(tab, row, col, value, reading.note, ProblemKind.NOTICE, anchor_id)
        elif reading.kind is DateKind.EXACT and reading.note:
            self.report(tab, row, col, value, reading.note, ProblemKind.NOTICE, anchor_id)
        elif reading.kind is DateKind.PLACEHOLDER:
            self.report(
                tab,
                row,
                col,
                value,
                reading.note
                if reading.value is None and reading.note != "no date yet"
                else "no date yet; type the date when it is agreed",
                ProblemKind.NOTICE,
                anchor_id,
            )
        elif reading.kind is DateKind.UNREADABLE:
            self.report(tab, row, col, value, reading.note, step_id=anchor_id)
            return None, False
        return reading.value, True


def parse_map(
    grids: Mapping[str, Grid],
    *,
    today: date,
    locale: str = "en_US",
    plan_start: date | None = None,
    anchors: Mapping[AnchorKey, date] = _EMPTY_ANCHORS,
    memory: Mapping[str, StepMemory] | None = None,
    last_written: Mapping[str, Mapping[str, str]] | None = None,
    merges: Mapping[str, Sequence[str]] | None = None,
    formulas: Mapping[str, Mapping[tuple[int, int], str]] | None = None,
) -> ParsedMap:
    """Read every tab. `memory` and `last_written` come from the registry (may be empty);
    `merges` (A1 ranges) and `formulas` (by 0-based cell) per tab, when the workspace has them."""
    ctx = _Context(today, locale, plan_start, anchors)
    memory = memory or {}
    stakeholders = _parse_stakeholders(grids, ctx)
    sections: list[tuple[int, str]] = []
    sheet = _Sheet(merges or {}, formulas or {})
    plan_tab, steps, kept, assigned = _parse_plan(
        grids, ctx, stakeholders, memory, last_written or {}, sections, sheet
    )
    kept += summary_edits(grids, (last_written or {}).get(SUMMARY_KEY, {}), ctx)
    resources_tab, resources = _parse_resources(
        grids, ctx, steps, stakeholders, last_written or {}, kept
    )
    return ParsedMap(
        steps=tuple(steps),
        stakeholders=tuple(stakeholders),
        risks=tuple(_parse_risks(grids, ctx)),
        criteria=tuple(_parse_criteria(grids, ctx)),
        resources=tuple(resources),
        resources_tab=resources_tab,
        problems=tuple(ctx.problems),
        kept_text=tuple(kept),
        id_assignments=tuple(assigned),
        new_anchors=ctx.new_anchors,
        plan_tab=plan_tab,
        sections=tuple(sections),
    )


def _rows(
    grids: Mapping[str, Grid], tab: Tab, ctx: _Context, *, required: bool
) -> tuple[str, Grid, Header] | None:
    found = find_tab(grids, tab)
    if found is None:
        if required:
            ctx.problems.append(
                Problem(
                    tab.name,
                    "A1",
                    "",
                    f"there is no {tab.name} tab; "
                    f"restore it from the MAP's last copy or rename the "
                    f"tab that holds the plan to {tab.name}",
                )
            )
        return None
    name, grid = found
    header = find_header(grid, tab)
    if header is None:
        if required or any(any(not is_blank(v) for v in row) for row in grid):
            names = ", ".join(c.header for c in tab.columns if c.editable)
            ctx.problems.append(
                Problem(
                    name,
                    "A1",
                    "",
                    f"no header row found; the first rows should name the columns: {names}",
                )
            )
        return None
    return name, grid, header


@dataclass(frozen=True)
class _Sheet:
    """What the grid alone does not show: merged ranges and formulas, per tab."""

    merges: Mapping[str, Sequence[str]]
    formulas: Mapping[str, Mapping[tuple[int, int], str]]


# --- Plan -------------------------------------------------------------------------------


@dataclass
class _RawRow:
    row: int
    id_text: str
    id: str | None
    step: str
    phase: str
    values: dict[str, Cell]  # column key -> the cell, None when blank (read once)


def _parse_plan(
    grids: Mapping[str, Grid],
    ctx: _Context,
    stakeholders: list[Stakeholder],
    memory: Mapping[str, StepMemory],
    last_written: Mapping[str, Mapping[str, str]],
    sections: list[tuple[int, str]],
    sheet: _Sheet,
) -> tuple[str, list[Step], list[KeptText], list[IdAssignment]]:
    found = _rows(grids, PLAN, ctx, required=True)
    if found is None:
        return PLAN.name, [], [], []
    tab, grid, header = found
    formulas = sheet.formulas.get(tab, {})
    cols = header.columns
    stray: list[KeptText] = []
    raw_rows = _plan_rows(grid, header, tab, ctx, sections, stray)
    assigned = _assign_ids(raw_rows, memory, tab, ctx, cols.get("id", 0))
    known = {r.id: r.step for r in raw_rows if r.id}
    people = read.People.of(stakeholders)
    computed = [c for c in PLAN.columns if c.computed and c.key in cols]
    written_values = {
        key: {v.get(key, "") for v in last_written.values()}
        for key in (c.key for c in PLAN.columns if c.computed)
    }

    steps: list[Step] = []
    kept: list[KeptText] = []
    pending: list[tuple[int, int, re.Match[str]]] = []
    for raw in raw_rows:
        assert raw.id is not None
        sid = raw.id

        get = raw.values.get

        status_reading = read.read_status(get("status"))
        status = status_reading.status
        done_on, done_ok = ctx.date(
            tab, raw.row, cols.get("done_on"), get("done_on"), sid, "done_on"
        )
        if done_on is not None and done_on > ctx.today:
            ctx.report(
                tab,
                raw.row,
                cols["done_on"],
                get("done_on"),
                f"{fmt(done_on)} is in the future; type the day it was done (or clear "
                "it until then)",
                step_id=sid,
            )
            done_on = None  # never a done date: the step is not done before it happens
        if status_reading.status is None and not status_reading.empty:
            ctx.report(
                tab,
                raw.row,
                cols["status"],
                get("status"),
                f"not a status this sheet understands; {read.STATUS_HINT}",
                step_id=sid,
            )
        elif status_reading.rest:
            rest_date = read_date(status_reading.rest, locale=ctx.locale, anchor=ctx.today)
            if status is Status.DONE and done_on is None and rest_date.value is not None:
                done_on = rest_date.value
                ctx.report(
                    tab,
                    raw.row,
                    cols["status"],
                    get("status"),
                    f"read as Done on {fmt(done_on)}",
                    ProblemKind.NOTICE,
                    sid,
                )
            else:
                ctx.report(
                    tab,
                    raw.row,
                    cols["status"],
                    get("status"),
                    f"read as {status.label if status else ''}; the rest is kept as a note",
                    ProblemKind.NOTICE,
                    sid,
                )
        if status_reading.empty:
            status = Status.DONE if done_on else Status.NOT_STARTED
        elif done_on is not None and status is not None and status is not Status.DONE:
            ctx.report(
                tab,
                raw.row,
                cols["done_on"],
                get("done_on"),
                f"the status says {status.label}, so the step is not counted done; clear "
                "Done on, or set the status to Done",
                ProblemKind.NOTICE,
                sid,
            )
            done_on = None  # the status wins

        due_cell = get("due")
        relative = (
            _STEP_RELATIVE.match(due_cell.strip().lower()) if isinstance(due_cell, str) else None
        )
        if relative:
            due, due_ok = None, True
            pending.append((len(steps), raw.row, relative))
        else:
            due, due_ok = ctx.date(tab, raw.row, cols.get("due"), get("due"), sid, "due")
        if not due_ok and sid in memory and memory[sid].current_due:
            last = memory[sid].current_due
            assert last is not None
            due = last
            ctx.report(
                tab,
                raw.row,
                cols["due"],
                get("due"),
                f"keeping the last readable due date, {fmt(last)}, until this is fixed",
                ProblemKind.NOTICE,
                sid,
            )

        depends = read.read_depends(get("depends_on"), known, exclude=sid)
        if "depends_on" in cols:
            if depends.itself:
                ctx.report(
                    tab,
                    raw.row,
                    cols["depends_on"],
                    get("depends_on"),
                    f"{sid} is this step: a step cannot wait on itself; remove {sid} from "
                    "Depends on",
                    step_id=sid,
                )
            for part in depends.unreadable:
                ctx.report(
                    tab,
                    raw.row,
                    cols["depends_on"],
                    get("depends_on"),
                    f'"{part}" names no step; type row ids like S03, S05 (or None)',
                    step_id=sid,
                )
            for note in depends.notes:
                ctx.report(
                    tab,
                    raw.row,
                    cols["depends_on"],
                    get("depends_on"),
                    note,
                    ProblemKind.NOTICE,
                    sid,
                )
        buyer_owners = _owners(
            tab, raw.row, cols.get("buyer_owner"), get("buyer_owner"), people, ctx, sid
        )
        seller_owners = _owners(
            tab, raw.row, cols.get("seller_owner"), get("seller_owner"), people, ctx, sid
        )
        if_it_slips = read.cell_text(get("if_it_slips"))
        if not raw.step:
            ctx.report(
                tab,
                raw.row,
                cols["step"],
                raw.step,
                "this row has no step; say what will be done, or clear the row",
                ProblemKind.NOTICE,
                sid,
            )
        steps.append(
            Step(
                id=sid,
                row=raw.row,
                phase=raw.phase,
                step=raw.step,
                buyer_owner=read.cell_text(get("buyer_owner")),
                seller_owner=read.cell_text(get("seller_owner")),
                buyer_owners=buyer_owners,
                seller_owners=seller_owners,
                due=due,
                depends_on=depends.ids,
                status=status,
                done_on=done_on if done_ok else None,
                notes=read.cell_text(get("notes")),
                if_it_slips=if_it_slips,
                threshold_days=read.read_threshold(if_it_slips),
                added_by_buyer=sid not in memory and raw.id_text == "",
            )
        )
        for col in computed:
            raw_value = formulas.get((raw.row, cols[col.key]), get(col.key))
            if raw_value is None:
                continue
            if (
                col.type is ColumnType.DATE
                and isinstance(raw_value, int | float)
                and not isinstance(raw_value, bool)
                and 0 < raw_value < 2_958_466  # a serial that Sheets can show as a date
            ):
                raw_value = from_serial(raw_value)  # Sheets answers a date as its serial
            value = read.cell_text(raw_value)
            ours = last_written.get(sid, {}).get(col.key, "")
            if value and not is_ours(value, ours) and value not in written_values[col.key]:
                kept.append(KeptText(sid, col.header, value))
                ctx.report(
                    tab,
                    raw.row,
                    cols[col.key],
                    value,
                    f"{col.header} is filled in by the sync; your text is kept in "
                    "this row's sync note. Type notes in the Notes column",
                    ProblemKind.NOTICE,
                    sid,
                )
    _resolve_step_relative(steps, pending, known, tab, cols.get("due", 0), grid, ctx)
    rows = {s.row: s.id for s in steps}
    kept += _merged_over_computed(sheet.merges.get(tab, ()), grid, header, rows, tab, ctx)
    return tab, steps, kept + stray, assigned


def _merged_over_computed(
    merges: Sequence[str],
    grid: Grid,
    header: Header,
    rows: Mapping[int, str],
    tab: str,
    ctx: _Context,
) -> list[KeptText]:
    """A buyer cell merged across computed cells: the workspace undoes the merge so the sync
    can write them, and the merged text is kept in the row's sync note."""
    computed = {i: PLAN.column(k).header for k, i in header.columns.items() if k in _COMPUTED}
    headers = {i: PLAN.column(k).header for k, i in header.columns.items()}
    kept: list[KeptText] = []
    for rng in merges:
        bounds = cell_range(rng)
        if bounds is None:
            continue
        (top, left), (_bottom, right) = bounds
        covered = [computed[c] for c in range(left, right + 1) if c in computed]
        sid = rows.get(top)
        if not covered or sid is None or left in computed:
            continue  # text in a computed cell itself is kept as typed text
        text = read.cell_text(cell(grid[top], left))
        if not text:
            continue
        across = ", ".join(covered)
        where = headers.get(left, col_letter(left))
        kept.append(KeptText(sid, f"{where}, merged across {across}", text))
        ctx.report(
            tab,
            top,
            left,
            text,
            f"merged across {across}, which the sync fills in; the merge is undone and the "
            "text stays in this cell. Type longer notes in the Notes column",
            ProblemKind.NOTICE,
            sid,
        )
    return kept


_COMPUTED = frozenset(c.key for c in PLAN.columns if c.computed)


_STEP_RELATIVE = re.compile(
    r"^(\d{1,3})\s*(days?|d|weeks?|wks?|w)\s+(after|before|post|following|from)\s+(.+)$"
)


def _resolve_step_relative(
    steps: list[Step],
    pending: list[tuple[int, int, re.Match[str]]],
    known: Mapping[str, str],
    tab: str,
    due_col: int,
    grid: Grid,
    ctx: _Context,
) -> None:
    """'3 days after kickoff': the named step's due date plus the gap."""
    by_id = {s.id: s for s in steps}
    for index, row, m in pending:
        step = steps[index]
        value = grid[row][due_col] if due_col < len(grid[row]) else None
        found = read.find_step(m[4], {k: v for k, v in known.items() if k != step.id})
        ref = by_id.get(found[0]) if found else None
        base = (ref.due or ref.done_on) if ref else None
        if ref is None or base is None:
            ctx.report(
                tab,
                row,
                due_col,
                value,
                "names no step with a date; type a date like 15 Mar 2026",
                step_id=step.id,
            )
            continue
        days = int(m[1]) * (7 if m[2].startswith("w") else 1)
        due = base + timedelta(days=-days if m[3] == "before" else days)
        steps[index] = replace(step, due=due)
        ctx.report(
            tab,
            row,
            due_col,
            value,
            f"read as {fmt(due)}, {days} days {'before' if m[3] == 'before' else 'after'}"
            f" {ref.id} ({fmt(base)})",
            ProblemKind.NOTICE,
            step.id,
        )


def _plan_rows(
    grid: Grid,
    header: Header,
    tab: str,
    ctx: _Context,
    sections: list[tuple[int, str]],
    stray: list[KeptText],
) -> list[_RawRow]:
    """The rows that are steps. Text in a computed column of a row that is not a step (an
    empty row, a section row, a note) has no sync note to go to: it goes to `stray`, for
    the Summary's Sync notes (on Google the sync clears such a cell: it blocks the
    column's array)."""
    cols = header.columns
    editable = {c.key for c in PLAN.columns if c.editable}
    spec = [(key, index, key in editable) for key, index in cols.items()]
    rows: list[_RawRow] = []
    phase = ""
    for r in range(header.row + 1, len(grid)):
        row = grid[r]
        if not row:
            continue
        values: dict[str, Cell] = {}  # only the non-blank cells: .get() gives None for the rest
        filled: list[int] = []
        width = len(row)
        for key, index, is_editable in spec:  # inlined cell(): this runs for every cell
            if index >= width:
                continue
            value = row[index]
            if value is None or value == "" or (value.__class__ is str and value.isspace()):
                continue
            values[key] = value
            if is_editable:
                filled.append(index)
        if not filled or not _is_step_row(values, filled, cols):
            _stray_computed(values, r, tab, cols, ctx, stray)
        if not filled:
            continue
        id_text = read.cell_text(values.get("id"))
        step_text = read.cell_text(values.get("step"))
        phase_text = read.cell_text(values.get("phase"))
        if not _is_step_row(values, filled, cols):  # a bare new step is a step, not a heading
            only = filled[0]
            if only in (cols.get("phase"), cols.get("id")):
                phase = read.cell_text(cell(row, only))  # a section row: a phase name alone
                sections.append((r, phase))
                continue
            ctx.report(
                tab,
                r,
                only,
                cell(row, only),
                "a note on a row with no step; it is kept, but move it to the "
                "Notes of the step it belongs to",
                ProblemKind.NOTICE,
            )
            continue
        if phase_text:
            phase = phase_text
        rows.append(
            _RawRow(
                r,
                id_text,
                read.normalise_id(id_text) if id_text else None,
                step_text,
                phase_text or phase,
                values,
            )
        )
    return rows


def _padded(value: Cell) -> bool:
    return isinstance(value, str) and value != value.strip()


def _assign_ids(
    rows: list[_RawRow], memory: Mapping[str, StepMemory], tab: str, ctx: _Context, id_col: int
) -> list[IdAssignment]:
    """Rows without an id get the next free one; a pasted duplicate id is re-issued."""
    taken = {int(i[1:]) for i in memory} | {int(r.id[1:]) for r in rows if r.id}
    counter = max(taken, default=0)
    by_id: dict[str, list[_RawRow]] = {}
    for raw in rows:
        if raw.id:
            by_id.setdefault(raw.id, []).append(raw)
    keep: set[int] = set()
    for sid, group in by_id.items():
        remembered = memory[sid].text.strip().lower() if sid in memory else None
        # The row that was there keeps the id: its text, then the id as the sync wrote it
        # ("S03", where a pasted copy says "S3"), then the first.
        owner = max(
            group,
            key=lambda g: (g.step.strip().lower() == remembered, g.id_text.strip() == g.id),
        )
        keep.add(owner.row)
    assigned: list[IdAssignment] = []
    for raw in rows:
        if raw.id and raw.row in keep:
            # "7", "s7" or " S07 ": written back as S07 (Sheets looks ids up exactly)
            if read.cell_text(raw.values.get("id")) != raw.id or _padded(raw.values.get("id")):
                ctx.report(
                    tab,
                    raw.row,
                    id_col,
                    raw.id_text,
                    f"row id written as {raw.id}",
                    ProblemKind.NOTICE,
                    raw.id,
                )
                assigned.append(IdAssignment(raw.row, raw.id_text, raw.id))
            continue
        counter += 1
        new = f"S{counter:02d}"
        if raw.id_text:
            why = (
                f"{raw.id} is used by another row; this row is now {new}"
                if raw.id
                else f'"{raw.id_text}" is not a row id; this row is now {new}'
            )
            ctx.report(tab, raw.row, id_col, raw.id_text, why, ProblemKind.NOTICE, new)
        assigned.append(IdAssignment(raw.row, raw.id_text, new))
        raw.id = new
    return assigned


def _owners(
    tab: str,
    row: int,
    col: int | None,
    value: Cell,
    people: read.People,
    ctx: _Context,
    sid: str,
) -> tuple[Owner, ...]:
    owners = read.read_owners(value, people)
    if col is not None:
        for owner in owners:
            if note := read.owner_notice(owner):
                ctx.report(tab, row, col, value, note, ProblemKind.NOTICE, sid)
    return owners


# --- Summary ----------------------------------------------------------------------------


def summary_edits(
    grids: Mapping[str, Grid], written: Mapping[str, str], ctx: _Context
) -> list[KeptText]:
    """Text typed over what the sync wrote on the Summary: kept in its Sync notes before the
    next write replaces it. (Rows under the summary and columns beside it are never written.)"""
    found = find_tab(grids, SUMMARY)
    if found is None or not written:
        return []
    name, grid = found
    header = find_header(grid, SUMMARY)
    first = header.row + 1 if header else SUMMARY.header_row
    kept: list[KeptText] = []
    for i, field_ in enumerate(SUMMARY_FIELDS):
        r = first + i
        if r >= len(grid):
            break
        label_text = read.cell_text(cell(grid[r], 0))
        ours = written.get(field_.label)
        value_text = _summary_text(cell(grid[r], 1), ours)
        typed = [(0, label_text)] if label_text and label_text != field_.label else []
        if value_text and ours is not None and not is_ours(value_text, ours):
            typed.append((1, value_text))
        elif value_text and ours is None and not _is_date(cell(grid[r], 1)):
            typed.append((1, value_text))  # Last synced, which changes daily: ours is a date
        for c, text in typed:
            kept.append(KeptText(SUMMARY_NOTE_KEY, f"{name} {a1(r, c)}", text))
            ctx.report(
                name,
                r,
                c,
                text,
                f"{name} is filled in by the sync; your text is kept in its Sync notes. Type "
                "notes in the Plan tab's Notes column",
                ProblemKind.NOTICE,
            )
    return kept


def _is_date(value: Cell) -> bool:
    return isinstance(value, date) or (
        isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2_958_466
    )  # Sheets answers a date cell as its serial


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _summary_text(value: Cell, ours: str | None) -> str:
    """A Summary value as text to compare with what we wrote: a date we wrote comes back
    from Google Sheets as its serial number (UNFORMATTED_VALUE), which is still ours."""
    if (
        ours is not None
        and _ISO_DAY.match(ours)
        and isinstance(value, int | float)
        and _is_date(value)
    ):
        return from_serial(value).isoformat()
    return read.cell_text(value)


def _is_step_row(
    values: Mapping[str, Cell], filled: Sequence[int], cols: Mapping[str, int]
) -> bool:
    """Whether _plan_rows reads the row as a step: not a section row or a lone note (one
    cell filled, no id, and not the step's own text)."""
    id_text = read.cell_text(values.get("id"))
    return not (
        len(filled) == 1 and not read.normalise_id(id_text) and filled[0] != cols.get("step")
    )


def _stray_computed(
    values: Mapping[str, Cell],
    r: int,
    tab: str,
    cols: Mapping[str, int],
    ctx: _Context,
    stray: list[KeptText],
) -> None:
    for column in PLAN.columns:
        if not column.computed or column.key not in values:
            continue
        text = read.cell_text(values[column.key])
        c = cols[column.key]
        stray.append(KeptText(SUMMARY_NOTE_KEY, f"{tab} {a1(r, c)}", text))
        ctx.report(
            tab,
            r,
            c,
            text,
            f"{column.header} is filled in by the sync and this row has no step; your text "
            "is kept in the Summary's Sync notes. Type notes in a step's Notes column",
            ProblemKind.NOTICE,
        )


def is_ours(read_back: str, written: str) -> bool:
    """What we wrote, read back, perhaps cut at a spreadsheet cell's size limit."""
    return read_back == written or (
        len(read_back) >= CELL_LIMIT - 100 and written.startswith(read_back)
    )


CELL_LIMIT = 32_767  # characters an Excel (and LibreOffice) cell holds


# --- Stakeholders, Risks, Decision criteria ------------------------------------------------


def _parse_stakeholders(grids: Mapping[str, Grid], ctx: _Context) -> list[Stakeholder]:
    found = _rows(grids, STAKEHOLDERS, ctx, required=False)
    if found is None:
        return []
    tab, grid, header = found
    cols = header.columns
    people: list[Stakeholder] = []
    section_side = None
    for r in range(header.row + 1, len(grid)):
        row = grid[r]
        values = {k: read.cell_text(cell(row, c)) for k, c in cols.items()}
        if not any(values.values()):
            continue
        name, email = values.get("name", ""), values.get("email", "")
        alone = name and not any(v for k, v in values.items() if k != "name")
        if alone and (side := read.read_side(name.replace("team", "").replace("side", ""))):
            section_side = side  # "Buyer team" alone on a row
            continue
        if email and not read.EMAIL.match(email):
            ctx.report(
                tab, r, cols["email"], email, "not an email address; type one like dana@example.com"
            )
            email = ""
        side_text = values.get("side", "")
        side = read.read_side(side_text) if side_text else section_side
        if side_text and side is None:
            ctx.report(tab, r, cols["side"], side_text, "type Buyer or Seller", ProblemKind.NOTICE)
        role_text = values.get("role", "")
        people.append(
            Stakeholder(
                row=r,
                name=name or (email.split("@")[0] if email else ""),
                email=email,
                side=side,
                role=read.read_role(role_text) if role_text else None,
                role_text=role_text,
                decision_authority=values.get("decision_authority", ""),
                notes=values.get("notes", ""),
            )
        )
    return people


def _records(
    grids: Mapping[str, Grid], tab: Tab, ctx: _Context
) -> Iterator[tuple[str, int, list[Cell], dict[str, int], dict[str, str]]]:
    """Non-blank rows under an optional tab's header: (tab name, row, cells, columns, texts)."""
    found = _rows(grids, tab, ctx, required=False)
    if found is None:
        return
    name, grid, header = found
    for r in range(header.row + 1, len(grid)):
        values = {k: read.cell_text(cell(grid[r], c)) for k, c in header.columns.items()}
        if any(values.values()):
            yield name, r, grid[r], header.columns, values


def _parse_risks(grids: Mapping[str, Grid], ctx: _Context) -> list[Risk]:
    risks: list[Risk] = []
    for tab, r, row, cols, values in _records(grids, RISKS, ctx):
        raised_col = cols.get("raised_on")
        raised, _ = ctx.date(
            tab, r, raised_col, cell(row, raised_col), f"risk-{r + 1}", "raised_on"
        )
        risks.append(
            Risk(
                r,
                values.get("risk", ""),
                values.get("owner", ""),
                values.get("mitigation", ""),
                values.get("status", ""),
                raised,
            )
        )
    return risks


def _parse_criteria(grids: Mapping[str, Grid], ctx: _Context) -> list[Criterion]:
    return [
        Criterion(
            r,
            values.get("criterion", ""),
            values.get("who_decides", ""),
            values.get("how_shown", ""),
            values.get("status", ""),
        )
        for _, r, _, _, values in _records(grids, DECISION_CRITERIA, ctx)
    ]


# --- Resources ---------------------------------------------------------------------------

RESOURCES_KEY = "__resources__"  # last_written's entry for the Resources tab: key -> note


def _parse_resources(
    grids: Mapping[str, Grid],
    ctx: _Context,
    steps: Sequence[Step],
    stakeholders: Sequence[Stakeholder],
    last_written: Mapping[str, Mapping[str, str]],
    kept: list[KeptText],
) -> tuple[str, list[Resource]]:
    """The Resources tab, read as leniently as the Plan: a step named by id ("S5", "S05"),
    by its text, or not at all; a kind's synonym; a side as a company word; any date form.
    Text typed into the Sync note column is kept (on the row's next note) like the Plan's."""
    found = _rows(grids, RESOURCES, ctx, required=False)
    if found is None:
        return RESOURCES.name, []
    tab, grid, header = found
    cols = header.columns
    known = {s.id: s.step for s in steps}
    ours = set((last_written.get(RESOURCES_KEY) or {}).values())
    out: list[Resource] = []
    for r in range(header.row + 1, len(grid)):
        row = grid[r]
        values = {k: read.cell_text(cell(row, c)) for k, c in cols.items()}
        title, link_text = values.get("title", ""), values.get("link", "")
        if not title and not link_text:
            continue  # blank, a note typed beside the rows, or only a step: no document
        if title and not any(v for k, v in values.items() if k not in ("title", "sync_note")):
            # A title alone on its row ("Security documents", "Legal"): a heading over
            # the rows below, as a phase alone is on the Plan; it names no document
            continue
        note_text = values.get("sync_note", "")
        if note_text and not any(is_ours(note_text, w) for w in ours):
            kept.append(
                KeptText(
                    resource_key(title, link_text), RESOURCES.column("sync_note").header, note_text
                )
            )
        kind_text = values.get("kind", "")
        kind = read_kind(kind_text) if kind_text else guess_kind(title)
        if kind_text and kind is None:
            if sum(ch.isalpha() for ch in kind_text) >= 3:
                kind = ResourceKind.OTHER  # "Case study": their own word, kept as typed
            else:
                ctx.report(
                    tab,
                    r,
                    cols["kind"],
                    kind_text,
                    f"not a kind; type one of {', '.join(KIND_CHOICES)}",
                    ProblemKind.NOTICE,
                )
        step_ids: tuple[str, ...] = ()
        step_text = values.get("step", "")
        if step_text:
            named = re.sub(r"\s+/\s+", ", ", step_text)
            depends = read.read_depends(named, known)
            step_ids = depends.ids
            for part in depends.unreadable:
                ctx.report(
                    tab,
                    r,
                    cols["step"],
                    step_text,
                    f'"{part}" is not a step on the Plan tab; type the ID of the step this '
                    "serves (S05)",
                )
        link = read_link(link_text)
        if link.problem:
            severity = ProblemKind.UNREADABLE if link.fix else ProblemKind.NOTICE
            ctx.report(tab, r, cols["link"], link_text, link.problem, severity)
        elif link.notice and link.form is not LinkForm.NONE:
            ctx.report(tab, r, cols["link"], link_text, link.notice, ProblemKind.NOTICE)
        side_text = values.get("side", "")
        side = read_resource_side(side_text) if side_text else None
        if side_text and side is None:
            if side_text.strip().lower() in WHO_TYPED:
                message = f'"{side_text}" depends on who typed it; type Buyer or Seller'
            else:
                side = _side_by_company(side_text, stakeholders)
                message = "type Buyer or Seller"
            if side is None:
                ctx.report(tab, r, cols["side"], side_text, message, ProblemKind.NOTICE)
        shared_col = cols.get("shared_on")
        shared, _ = ctx.date(
            tab, r, shared_col, cell(row, shared_col), f"resource-{r + 1}", "shared_on"
        )
        if shared is not None and shared > ctx.today:
            ctx.report(
                tab,
                r,
                cols["shared_on"],
                values.get("shared_on", ""),
                f"{fmt(shared)} is in the future; type the day it was shared",
                ProblemKind.NOTICE,
            )
        out.append(
            Resource(
                row=r,
                title=title,
                kind=kind,
                kind_text=kind_text,
                steps=step_ids,
                link_text=link_text,
                link=link,
                side=side,
                provider=values.get("provider", ""),
                shared_on=shared,
                notes=values.get("notes", ""),
            )
        )
    return tab, out


def _side_by_company(text: str, stakeholders: Sequence[Stakeholder]) -> Side | None:
    """ "Acme" as a side: the side of the Stakeholders whose email domain names it."""
    core = re.sub(r"[^a-z0-9]", "", text.lower())
    if len(core) < 3:
        return None
    sides = {
        p.side
        for p in stakeholders
        if p.side in (Side.BUYER, Side.SELLER)
        and "@" in p.email
        and core[:8] in re.sub(r"[^a-z0-9]", "", p.email.rpartition("@")[2].split(".")[0])
    }
    return sides.pop() if len(sides) == 1 else None
