"""The plan table's rows: which are steps, which are section headings (the phase of the rows
below), which are notes or another block under the table, and where the table really ends.
Accounts for each cell; reads no dates, statuses or owners (steps.py, owners.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from addon.plan.adopt.accounting import _no_place, _State
from addon.plan.adopt.hierarchy import _parent_rows
from addon.plan.adopt.layout import (
    _HEADER_MAX,
    _HEADINGS,
    _LONG,
    _RESOURCES_HEADING,
    _SECTION_LIKE,
    _is_resource_line,
)
from addon.plan.adopt.model import Note, _at, _Table, _text
from addon.plan.grid import a1, is_blank
from addon.plan.models import Cell


@dataclass
class _Row:
    row: int
    values: dict[str, tuple[int, Cell]]  # field -> (column, value)
    phase: str
    source_id: str

    def cell(self, key: str) -> tuple[int, Cell]:
        return self.values.get(key) or (-1, None)


def _merged_width(state: _State, tab: str, r: int, c: int) -> int:
    for r1, c1, _r2, c2 in state.source.merges.get(tab, ()):
        if r1 == r and c1 == c:
            return c2 - c1 + 1
    return 1


def _plan_rows(plan: _Table, state: _State) -> list[_Row]:
    tab, grid, fields = plan.tab, state.source.grids[plan.tab], plan.fields
    for c in range(plan.first, plan.last + 1):
        state.place(tab, plan.row, c)  # the header
    for c, key in plan.columns.items():
        if key is None:
            state.why(tab, plan.row, c, "a column the MAP workbook has no place for")
    step_col = fields.get("step")
    width = {
        r: sum(1 for c in range(plan.first, plan.last + 1) if not is_blank(_at(grid, r, c)))
        for r in range(plan.row + 1, plan.end)
    }
    # Single lines after the last full row are notes under the table ("Risks: ...",
    # "Next check-in: ..."): the table ends there, and they are read like the preamble.
    full = [r for r, n in width.items() if n >= 2]
    if full:
        plan.end = full[-1] + 1
    rows: list[_Row] = []
    phase = ""
    listing = False  # under a "Resources" heading: its lines serve no one step
    pending_section: tuple[int, int, str] | None = None
    parents = _parent_rows(state.source.outline.get(tab, {}), plan.row + 1, plan.end)
    if plan.group_row is not None:  # monday.com: the first group's name above the header
        gc = next(c for c, v in enumerate(grid[plan.group_row]) if not is_blank(v))
        pending_section = (plan.group_row, gc, _text(grid[plan.group_row][gc]))
        phase = _section_name(pending_section[2])
    for r in range(plan.row + 1, plan.end):
        row = grid[r] if r < len(grid) else []
        if r in plan.repeats:  # the header again, for the next group
            for c in range(plan.first, plan.last + 1):
                state.place(tab, r, c)
            continue
        filled = [
            c for c in range(plan.first, min(plan.last + 1, len(row))) if not is_blank(row[c])
        ]
        if not filled:
            continue
        if r in parents and step_col is not None and not is_blank(_at(grid, r, step_col)):
            phase = _section_name(_text(grid[r][step_col]))
            state.place(tab, r, step_col)
            state.readings.append(
                Note(tab, a1(r, step_col), phase, f'a parent row: phase "{phase}"')
            )
            for c in filled:
                if c != step_col:
                    state.why(tab, r, c, "a parent row's value, rolled up from its tasks")
            continue
        if len(filled) == 1:
            c = filled[0]
            text = _text(row[c])
            if _is_resource_line(text):  # "📎 Demo recording — https://…" under its step
                above = None if listing or pending_section or not rows else len(rows) - 1
                plan.lines.append((r, c, above))
                continue
            nxt = next((k for k in range(r + 1, plan.end) if width[k]), None)
            if (
                _RESOURCES_HEADING.match(text)
                and nxt is not None
                and width[nxt] == 1
                and any(_is_resource_line(_text(v)) for v in grid[nxt] if not is_blank(v))
            ):
                listing = True
                state.place(tab, r, c)
                state.readings.append(Note(tab, a1(r, c), text, "a list of resources follows"))
                continue
            if _HEADINGS.match(text) and c != step_col:
                plan.end = r  # "RISK FLAGS" under the plan: another block starts
                break
            following = next((width[k] for k in range(r + 1, plan.end) if width[k]), 0)
            heading = len(text) <= _HEADER_MAX and (
                c != step_col
                or _merged_width(state, tab, r, c) > 1
                or _SECTION_LIKE.match(text)
                or (step_col == plan.first and text.endswith(":"))
                # no phase column: a short line alone above a full row names the phase
                or ("phase" not in fields and len(text) <= 40 and following >= 2)
            )
            if heading:
                listing = False
                if pending_section is not None:  # two headings in a row: the first was a note
                    pr, pc, _ = pending_section
                    state.why(tab, pr, pc, "a line between sections, not a step")
                pending_section = (r, c, text)
                phase = _section_name(text)
                continue
            if c != step_col or len(text) > _LONG:
                state.why(tab, r, c, "a note on a row with no step")
                continue
        if step_col is None or is_blank(_at(grid, r, step_col)):
            for c in filled:
                if plan.columns.get(c) == "phase" and len(filled) == 1:
                    break
                state.why(tab, r, c, "a row with no step text")
            continue
        listing = False
        if pending_section is not None:
            pr, pc, _ = pending_section
            state.place(tab, pr, pc)
            state.readings.append(
                Note(tab, a1(pr, pc), pending_section[2], f'a section row: phase "{phase}"')
            )
            pending_section = None
        values = {
            key: (c, row[c])
            for c, key in plan.columns.items()
            if key and c < len(row) and not is_blank(row[c])
        }
        if "phase" in values:
            phase = _text(values["phase"][1])
        id_text = _text(values["id"][1]) if "id" in values else ""
        rows.append(_Row(r, values, phase, id_text))
        for c in filled:
            if plan.columns.get(c):
                state.place(tab, r, c)
            else:
                state.why(tab, r, c, _no_place(plan.headers[c]))
    if pending_section is not None:
        pr, pc, _ = pending_section
        state.why(tab, pr, pc, "a line after the last step, not a step")
    return rows


def _section_name(text: str) -> str:
    """'Phase 2: Validation' -> 'Validation'; 'STAGE 1 — DISCOVERY' -> 'Discovery'."""
    text = text.strip().rstrip(":").strip()
    m = re.match(
        r"^(?:(?:phase|stage|step|part|section|etappe|fase|étape)\s*[\w.]*|\d{1,2}|[IVX]{1,4})"
        r"\s*[:\-–—.)]\s*(.+)$",
        text,
        re.I,
    )
    name = m[1].strip() if m else text
    return name.title() if name.isupper() and len(name) > 3 else name
