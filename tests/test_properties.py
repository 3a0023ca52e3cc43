"""Property tests over random messy grids: never raises, never loses a buyer's cell, and
every cell it could not read is in `problems`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from addon.plan.cells import NO_DEPENDENCY, cell_text
from addon.plan.grid import a1
from addon.plan.memory import advance
from addon.plan.models import ProblemKind
from addon.plan.parse import parse_map
from addon.plan.status import compute
from addon.workspace.base import ComputedWrite
from addon.workspace.xlsx import apply_computed, grid_of
from sheets_schema.workbook import PLAN

TODAY = date(2026, 3, 10)
HEADER = [c.header for c in PLAN.columns]
EDITABLE = [i for i, c in enumerate(PLAN.columns) if c.editable]

messy_text = st.sampled_from(
    [
        "Done",
        "✅",
        "◐",
        "🔄 In progress",
        "N/A",
        "Erledigt",
        "Done - PO pending",
        "maybe?",
        "TBD",
        "Legal - TBD",
        "Sarah + CFO",
        "next Fri",
        "Week 3",
        "3/15/2026",
        "15.03.2026",
        "mid-April",
        "S01, S03",
        "S99",
        "—",
        "None",
        "=IMPORTXML(A1)",
        "🤷",
        "  ",
        "",
        "Security review",
        "Q2",
        "[Date +3]",
        "13/13/2026",
        "waiting on legal",
        "S1",
        "0",
    ]
)
cell = st.one_of(
    st.none(),
    messy_text,
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30),
    st.integers(min_value=-5, max_value=90000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
)
ids = st.one_of(st.none(), st.sampled_from(["S01", "S02", "S03", "S03", "s4", "7", "x", ""]))


@st.composite
def grids(draw: st.DrawFn) -> dict[str, list[list[Any]]]:
    rows: list[list[Any]] = [["Title"], []]
    rows += [draw(st.lists(cell, max_size=4)) for _ in range(draw(st.integers(0, 2)))]
    rows.append(list(HEADER))
    for _ in range(draw(st.integers(0, 12))):
        r = [draw(ids)] + [draw(cell) for _ in HEADER[1:]]
        rows.append(r[: draw(st.integers(0, len(r)))])  # ragged, as the Sheets API returns
    return {"Plan": rows, "Stakeholders": [["Name", "Email"], ["Sarah Lee", "sarah@x.example.com"]]}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids(), st.sampled_from(["en_US", "en_GB", "de_DE", "fr_FR"]))
def test_never_raises_and_never_loses_a_buyer_cell(
    grid: dict[str, list[list[Any]]], locale: str
) -> None:
    parsed = parse_map(grid, today=TODAY, locale=locale, plan_start=TODAY - timedelta(days=9))
    memory, _ = advance({}, parsed, TODAY)
    compute(parsed, memory, target_close=TODAY + timedelta(days=60), today=TODAY)

    header_row = (
        len(grid["Plan"]) - 1 - next(i for i, r in enumerate(reversed(grid["Plan"])) if r == HEADER)
    )
    reported = {p.where for p in parsed.problems}
    unreadable = {p.where for p in parsed.problems if p.kind is ProblemKind.UNREADABLE}
    by_row = {s.row: s for s in parsed.steps}
    phases = {s.phase for s in parsed.steps} | {text for _, text in parsed.sections}
    for r in range(header_row + 1, len(grid["Plan"])):
        values = grid["Plan"][r]
        for c in EDITABLE:
            value = values[c] if c < len(values) else None
            text = cell_text(value)
            if not text:
                continue
            where = f"Plan!{a1(r, c)}"
            key = PLAN.columns[c].key
            step = by_row.get(r)
            if step is None:  # a section row's phase, or a stray note that was reported
                assert text in phases or where in reported or key == "id", where
                continue
            kept = {
                "id": True,  # the id is ours; a replaced one is reported below
                "phase": step.phase == text,
                "step": step.step == text,
                "buyer_owner": step.buyer_owner == text,
                "seller_owner": step.seller_owner == text,
                "notes": step.notes == text,
                "if_it_slips": step.if_it_slips == text,
                "due": step.due is not None or where in reported,
                "done_on": step.done_on is not None or where in reported,
                "status": step.status is not None or where in unreadable,
                "depends_on": bool(step.depends_on)
                or where in reported
                or text.strip().lower() in NO_DEPENDENCY | {"0"},
            }[key]
            assert kept, f"{where} {value!r} was neither read nor reported"
        raw = cell_text(values[0] if values else None)
        if by_row.get(r) is not None and raw and by_row[r].id != raw:
            assert f"Plan!{a1(r, 0)}" in reported, f"id {raw!r} replaced silently"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids())
def test_writing_computed_cells_never_changes_a_buyer_editable_cell(
    grid: dict[str, list[list[Any]]],
) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Plan"
    for r, values in enumerate(grid["Plan"], start=1):
        for c, value in enumerate(values, start=1):
            ws.cell(row=r, column=c).value = value
    before = grid_of(ws)
    parsed = parse_map({"Plan": before}, today=TODAY)
    memory, _ = advance({}, parsed, TODAY)
    status = compute(parsed, memory, target_close=TODAY + timedelta(days=60), today=TODAY)
    rows = {
        s.id: {
            "health": status.steps[s.id].health.label,
            "sync_note": "=1+1",
            "projected_finish": status.steps[s.id].projected_finish,
        }
        for s in parsed.steps
    }
    apply_computed(wb, ComputedWrite(rows=rows, ids=parsed.id_assignments))
    after = grid_of(ws)
    header_row = next(i for i, r in enumerate(before) if r[: len(HEADER)] == HEADER)
    for r in range(header_row + 1, len(before)):
        for c in EDITABLE[1:]:  # the id column is the sync's to fill
            old = before[r][c] if c < len(before[r]) else None
            new = after[r][c] if r < len(after) and c < len(after[r]) else None
            assert cell_text(old) == cell_text(new), f"{a1(r, c)}: {old!r} -> {new!r}"
    for s in parsed.steps:  # buyer-ish text in a computed cell stays text, never a formula
        note = ws.cell(row=s.row + 1, column=PLAN.keys.index("sync_note") + 1)
        assert note.data_type == "s" and note.value == "=1+1"
