"""The accounting of every non-blank source cell: `_State` records the cells placed, why the
others were not, and how cells were read (readings) or not understood (problems);
`_unplaced` lists each cell that found no home and why. `_State` also carries the reading's
context (today, locale, plan start, companies). Decides nothing about what a cell means."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from addon.plan import cells as read
from addon.plan.adopt.companies import _Companies
from addon.plan.adopt.layout import _SKIP_TABS
from addon.plan.adopt.model import Note, Source, _text
from addon.plan.grid import a1, is_blank
from addon.plan.models import Cell


@dataclass
class _State:
    source: Source
    today: date
    locale: str
    plan_start: date
    companies: _Companies
    placed: set[tuple[str, int, int]] = field(default_factory=set)
    reasons: dict[tuple[str, int, int], str] = field(default_factory=dict)
    readings: list[Note] = field(default_factory=list)
    problems: list[Note] = field(default_factory=list)

    def value(self, tab: str, r: int, c: int) -> Cell:
        row = self.source.grids[tab][r] if r < len(self.source.grids[tab]) else []
        return row[c] if c < len(row) else None

    def place(self, tab: str, r: int, c: int) -> None:
        if not is_blank(self.value(tab, r, c)):
            self.placed.add((tab, r, c))

    def note(self, tab: str, r: int, c: int, message: str, *, problem: bool = False) -> None:
        entry = Note(tab, a1(r, c), read.cell_text(self.value(tab, r, c)), message)
        (self.problems if problem else self.readings).append(entry)

    def why(self, tab: str, r: int, c: int, reason: str) -> None:
        self.reasons.setdefault((tab, r, c), reason)


def _no_place(header: str) -> str:
    return f'in the "{header}" column, which has no place in the MAP'


def _unplaced(state: _State) -> list[Note]:
    notes: list[Note] = []
    for tab, grid in state.source.grids.items():
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                if is_blank(value) or (tab, r, c) in state.placed:
                    continue
                why = state.reasons.get((tab, r, c)) or _why(tab)
                notes.append(Note(tab, a1(r, c), _text(value), why))
    return notes


def _why(tab: str) -> str:
    if _SKIP_TABS.search(tab):
        return "on the template's instructions tab"
    return "not part of the plan, the stakeholders, the risks or the summary"
