"""The MAP workbook as an .xlsx file (openpyxl): built from the schema, patched in place.

Computed columns are protected the way Google's warning-only protection works: a grey
fill, a header comment, and a validation rule that warns ("computed by the sync") but lets
the buyer through. Excel sheet protection is not used because it blocks sorting and
inserting rows on a sheet with locked cells, which buyers need.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from addon.plan.cells import normalise_id
from addon.plan.crm import Deal
from addon.plan.dates import fmt, from_serial
from addon.plan.grid import find_header, find_tab
from addon.plan.insights import Insights
from addon.plan.models import Cell, Grid
from addon.plan.resources import resource_key
from addon.plan.rollup import RollupRow
from addon.workspace.base import ComputedWrite, MapDraft
from addon.workspace.content import (
    GAP_COLUMNS,
    GAP_TAB,
    GAP_TITLE,
    HEALTH_COLOURS,
    INSIGHT_STEP_HEADER,
    INSIGHT_STEPS,
    INSIGHTS_TAB,
    ROLLUP_COLUMNS,
    gap_cells,
    initial_tabs,
    insight_grid,
    rollup_cells,
)
from sheets_schema.vocab import ColumnType
from sheets_schema.workbook import (
    DECISION_CRITERIA,
    PLAN,
    RESOURCES,
    RISKS,
    STAKEHOLDERS,
    SUMMARY,
    Tab,
)

DATE_FORMAT = "d mmm yyyy"
EDITABLE_ROWS = 400  # validation reaches this far below the header
INK = "1F2937"
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
COMPUTED_HEADER_FILL = PatternFill("solid", fgColor="595959")
COMPUTED_FILL = PatternFill("solid", fgColor="EDEDED")
THIN = Side(style="thin", color="BFBFBF")
GRID_BORDER = Border(bottom=THIN)


def save(wb: Workbook, path: str | Path) -> None:
    """Save keeping `wb.properties.modified` as set (openpyxl's save stamps the real clock,
    which would make every simulated or --today run look like an edit made now)."""
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()


def set_value(cell: Any, value: Cell) -> None:
    """Write a value; text always stays text (a buyer's '=IMPORTXML(...)' never runs)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control characters xlsx cannot hold
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT


def grid_of(ws: Worksheet) -> Grid:
    """The sheet as the Sheets API would return it: ragged rows, [] for blank rows."""
    grid: Grid = []
    for row in ws.iter_rows(values_only=True):
        values = list(row)
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        grid.append(values)
    while grid and not grid[-1]:
        grid.pop()
    return grid


def _title(ws: Worksheet, title: str, subtitle: str, width: int) -> None:
    ws["A1"] = title
    ws["A1"].font = Font(size=14, bold=True, color=INK)
    set_value(ws["A2"], subtitle)
    ws["A2"].font = Font(italic=True, color="595959")
    ws.row_dimensions[1].height = 22
    if width > 1:
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
        ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[2].height = 30


def _header(ws: Worksheet, tab: Tab) -> None:
    r = tab.header_row
    for c, col in enumerate(tab.columns, start=1):
        cell = ws.cell(row=r, column=c, value=col.header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = COMPUTED_HEADER_FILL if col.computed and tab is not SUMMARY else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if col.note:
            cell.comment = Comment(col.note, "MAP")
        ws.column_dimensions[get_column_letter(c)].width = col.width
    ws.row_dimensions[r].height = 30
    _print_setup(ws)
    ws.freeze_panes = ws.cell(row=r + 1, column=4 if tab is PLAN else 2)
    last = get_column_letter(len(tab.columns))
    if tab is not SUMMARY:
        ws.auto_filter.ref = f"A{r}:{last}{r + EDITABLE_ROWS}"


def _print_setup(ws: Worksheet) -> None:
    """Landscape, all columns on one page width: a printed or PDF'd plan stays readable."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.gridLines = False


def _validations(ws: Worksheet, tab: Tab) -> None:
    first, last = tab.header_row + 1, tab.header_row + EDITABLE_ROWS
    for c, col in enumerate(tab.columns, start=1):
        letter = get_column_letter(c)
        rng = f"{letter}{first}:{letter}{last}"
        if col.validation:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(col.validation) + '"',
                allow_blank=True,
                showErrorMessage=False,
                showDropDown=False,
            )
            dv.add(rng)
            ws.add_data_validation(dv)
        elif col.computed or col.type is ColumnType.ID:
            dv = DataValidation(
                type="custom",
                formula1="FALSE()",
                allow_blank=True,
                errorStyle="warning",
                showErrorMessage=True,
                errorTitle="Filled in by the sync",
                error=(
                    f"{col.header} is filled in by the sync and will be "
                    "rewritten. Your text will be kept in the sync note; "
                    "Notes is the place for it."
                ),
            )
            dv.add(rng)
            ws.add_data_validation(dv)
        if col.computed:
            for r in range(first, max(ws.max_row, first + 5) + 1):
                ws.cell(row=r, column=c).fill = COMPUTED_FILL
                ws.cell(row=r, column=c).font = Font(italic=True, color="404040")


def _health_colours(ws: Worksheet, rng: str) -> None:
    for text, colour in HEALTH_COLOURS.items():
        ws.conditional_formatting.add(
            rng,
            CellIsRule(
                operator="equal",
                formula=[f'"{text}"'],
                fill=PatternFill("solid", fgColor=colour, bgColor=colour),
            ),
        )


WRAP = frozenset(
    {
        "step",
        "notes",
        "if_it_slips",
        "sync_note",
        "waiting_on",
        "risk",
        "mitigation",
        "criterion",
        "how_shown",
        "value",
    }
)


def fit_height(ws: Worksheet, row: int, widths: dict[int, int]) -> None:
    """Spreadsheet programs do not grow a row for wrapped text written by a library."""
    lines = 1
    for col, width in widths.items():
        value = ws.cell(row=row, column=col).value
        if isinstance(value, str) and value:
            per_line = max(1, int(width * 1.15))
            lines = max(lines, sum(-(-max(1, len(part)) // per_line) for part in value.split("\n")))
    ws.row_dimensions[row].height = min(409, 15 * lines + 2)


def _rows(ws: Worksheet, tab: Tab, rows: Iterable[dict[str, Cell]]) -> None:
    wrap = WRAP
    widths = {c: col.width for c, col in enumerate(tab.columns, start=1) if col.key in wrap}
    for i, values in enumerate(rows):
        r = tab.header_row + 1 + i
        for c, col in enumerate(tab.columns, start=1):
            cell = ws.cell(row=r, column=c)
            if col.key in values:
                set_value(cell, values[col.key])
            if col.type is ColumnType.DATE:
                cell.number_format = DATE_FORMAT
            cell.alignment = Alignment(wrap_text=col.key in wrap, vertical="top")
            cell.border = GRID_BORDER
        fit_height(ws, r, widths)


def build_workbook(draft: MapDraft) -> Workbook:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for content in initial_tabs(draft.info, draft.plan):
        tab = content.tab
        ws = wb.create_sheet(tab.name)
        _title(ws, content.title, content.subtitle, len(tab.columns))
        _header(ws, tab)
        if tab is SUMMARY:
            continue
        _rows(ws, tab, content.rows)
        _validations(ws, tab)
        if tab is PLAN:
            health = get_column_letter(PLAN.keys.index("health") + 1)
            last = PLAN.header_row + EDITABLE_ROWS
            _health_colours(ws, f"{health}{PLAN.header_row + 1}:{health}{last}")
    wb.properties.creator = "MAP"
    wb.properties.title = f"MAP - {draft.info.buyer_company} - {draft.info.deal}"
    return wb


def find_sheet(wb: Workbook, tab: Tab) -> Worksheet | None:

    grids = {ws.title: grid_of(ws) for ws in wb.worksheets}
    found = find_tab(grids, tab)
    return wb[found[0]] if found else None


def apply_computed(wb: Workbook, write: ComputedWrite) -> list[str]:
    """Write computed cells by row id; returns notes (e.g. a computed column put back)."""
    notes: list[str] = []
    ws = find_sheet(wb, PLAN)
    if ws is None:
        return [f"no {PLAN.name} tab: nothing written"]
    grid = grid_of(ws)
    header = find_header(grid, PLAN)
    if header is None:
        return [f"no header row on {ws.title}: nothing written"]
    cols = dict(header.columns)
    width = max(len(grid[header.row]), 1)
    for col in PLAN.columns:
        if col.computed and col.key not in cols:
            cols[col.key] = width
            cell = ws.cell(row=header.row + 1, column=width + 1, value=col.header)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = COMPUTED_HEADER_FILL
            notes.append(f"the {col.header} column was missing; it is back at the right end")
            width += 1
    if "id" not in cols:
        cols["id"] = width
        ws.cell(row=header.row + 1, column=width + 1, value="ID").font = Font(bold=True)
        notes.append("the ID column was missing; it is back at the right end")
    _unmerge_computed(ws, header.row + 1, {cols[c.key] for c in PLAN.columns if c.computed})
    id_col = cols["id"]
    for assignment in write.ids:
        set_value(ws.cell(row=assignment.row + 1, column=id_col + 1), assignment.new)
    row_of: dict[str, int] = {}
    for r in range(header.row + 1, ws.max_row):
        value = ws.cell(row=r + 1, column=id_col + 1).value
        sid = normalise_id(str(value)) if value is not None else None
        if sid:
            row_of.setdefault(sid, r)
    widths = {cols[c.key] + 1: c.width for c in PLAN.columns if c.key in WRAP and c.key in cols}
    for step_id, values in write.rows.items():
        found = row_of.get(step_id)
        if found is None:
            continue
        r = found
        for key, value in values.items():
            cell = ws.cell(row=r + 1, column=cols[key] + 1)
            set_value(cell, value)
            # Its own format back: a date typed into Days late leaves a date format behind.
            cell.number_format = _COMPUTED_FORMATS[key]
            cell.fill = COMPUTED_FILL
            cell.font = Font(italic=True, color="404040")
            cell.alignment = Alignment(wrap_text=key in WRAP, vertical="top")
        fit_height(ws, r + 1, widths)
    if write.summary:
        _write_summary(wb, write.summary)
    if write.resources:
        notes += _write_resources(wb, write.resources)
    return notes


def _write_resources(wb: Workbook, resources: dict[str, str | None]) -> list[str]:
    """The Resources tab's Sync notes, each row found by its key (link, else title)."""
    ws = find_sheet(wb, RESOURCES)
    if ws is None:
        return []
    grid = grid_of(ws)
    header = find_header(grid, RESOURCES)
    if header is None:
        return []
    cols = dict(header.columns)
    notes = []
    if "sync_note" not in cols:
        if not any(resources.values()):
            return []
        cols["sync_note"] = max(len(grid[header.row]), 1)
        cell = ws.cell(row=header.row + 1, column=cols["sync_note"] + 1, value="Sync note")
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = COMPUTED_HEADER_FILL
        notes.append("the Resources tab's Sync note column was missing; it is back at the end")
    note_col = cols["sync_note"]
    _unmerge_computed(ws, header.row + 1, {note_col})
    widths = {note_col + 1: RESOURCES.column("sync_note").width}
    for r in range(header.row + 1, len(grid)):
        row = grid[r]
        title = row[cols["title"]] if "title" in cols and cols["title"] < len(row) else None
        link = row[cols["link"]] if "link" in cols and cols["link"] < len(row) else None
        key = resource_key(title, link)
        if not key or key not in resources:
            continue
        cell = ws.cell(row=r + 1, column=note_col + 1)
        set_value(cell, resources[key])
        cell.fill = COMPUTED_FILL
        cell.font = Font(italic=True, color="404040")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        fit_height(ws, r + 1, widths)
    return notes


_COMPUTED_FORMATS = {
    c.key: DATE_FORMAT if c.type is ColumnType.DATE else "General" for c in PLAN.columns
}


def _unmerge_computed(ws: Worksheet, first_row: int, computed: set[int]) -> None:
    """Undo a buyer's merge that covers a computed cell below the header (0-based
    `first_row` and columns): a merged cell cannot be written. Its text stays in its
    top-left cell, and the parser kept it in the row's sync note."""
    _unmerge(
        ws,
        [
            rng
            for rng in ws.merged_cells.ranges
            if rng.max_row - 1 >= first_row
            and any(rng.min_col - 1 <= c <= rng.max_col - 1 for c in computed)
        ],
    )


def _unmerge(ws: Worksheet, ranges: Sequence[CellRange]) -> None:
    """Undo these merges, each cell writable again. (openpyxl's unmerge_cells fails on
    merges that overlap, which a file written by another program can hold.)"""
    for rng in list(ranges):
        ws.merged_cells.remove(rng)
    cells = ws._cells  # the only way to turn a MergedCell back into a cell
    for rng in ranges:
        for row, col in rng.cells:
            still = any(
                o.min_row <= row <= o.max_row and o.min_col <= col <= o.max_col
                for o in ws.merged_cells.ranges
            )
            if not still and isinstance(cells.get((row, col)), MergedCell):
                del cells[(row, col)]


def _write_summary(wb: Workbook, summary: Sequence[tuple[str, Cell]]) -> None:
    ws = find_sheet(wb, SUMMARY)
    if ws is None:
        ws = wb.create_sheet(SUMMARY.name)
        _header(ws, SUMMARY)
    first = SUMMARY.header_row + 1
    last = first + len(summary) - 1
    # Only the summary's own cells: a row a buyer typed under it stays as typed.
    _unmerge(
        ws,
        [
            rng
            for rng in ws.merged_cells.ranges
            if rng.min_col <= 2 and rng.min_row <= last and rng.max_row >= first
        ],
    )
    for i, (label, value) in enumerate(summary):
        set_value(ws.cell(row=first + i, column=1), label)
        ws.cell(row=first + i, column=1).font = Font(bold=True)
        cell = ws.cell(row=first + i, column=2)
        set_value(cell, value)
        if not isinstance(value, date):
            cell.number_format = "General"
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
        if isinstance(value, str) and value.startswith(("file://", "https://", "http://")):
            cell.hyperlink = value
            cell.font = Font(color="1F4E79", underline="single")
        ws.cell(row=first + i, column=1).alignment = Alignment(vertical="top")
        fit_height(ws, first + i, {2: SUMMARY.columns[1].width})
    _health_colours(ws, f"B{first}:B{first + len(summary)}")


def _report_heading(
    ws: Worksheet,
    title: str,
    subtitle: str,
    columns: Sequence[tuple[str, str, int]],
    *,
    wrap: bool,
) -> int:
    """A seller-only report tab's title, subtitle and header row (the roll-up, No MAP);
    returns the header's row."""
    ws["A1"] = title
    ws["A1"].font = Font(size=14, bold=True, color=INK)
    set_value(ws["A2"], subtitle)
    ws["A2"].font = Font(italic=True, color="595959")
    header_row = 3
    for c, (_, label, width) in enumerate(columns, start=1):
        cell = ws.cell(row=header_row, column=c, value=label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = width
    if wrap:
        ws.row_dimensions[header_row].height = 44
    return header_row


def build_rollup(
    rows: Sequence[RollupRow],
    today: date,
    gaps: Sequence[tuple[Deal, str]] = (),
    insights: Insights | None = None,
) -> Workbook:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Roll-up"
    header_row = _report_heading(
        ws,
        "MAP roll-up: every plan, riskiest first",
        f"As of {fmt(today)} · {len(rows)} MAPs · seller-only: do not share",
        ROLLUP_COLUMNS,
        wrap=True,
    )
    for i, row in enumerate(rows):
        r = header_row + 1 + i
        values = rollup_cells(row)
        for c, (key, _, _) in enumerate(ROLLUP_COLUMNS, start=1):
            cell = ws.cell(row=r, column=c)
            set_value(cell, values.get(key))
            if key == "deal_value":
                cell.number_format = "#,##0"
            if key == "link" and row.link:
                cell.hyperlink = row.link
                cell.font = Font(color="1F4E79", underline="single")
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    _print_setup(ws)
    last = get_column_letter(len(ROLLUP_COLUMNS))
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(1, len(rows))}"
    health = get_column_letter([k for k, _, _ in ROLLUP_COLUMNS].index("health") + 1)
    for text, colour in (("off track", "F4B6B6"), ("at risk", "FFE08A"), ("on track", "CDEBC5")):
        ws.conditional_formatting.add(
            f"{health}{header_row + 1}:{health}{header_row + max(1, len(rows))}",
            CellIsRule(
                operator="equal",
                formula=[f'"{text}"'],
                fill=PatternFill("solid", fgColor=colour, bgColor=colour),
            ),
        )
    if rows:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Health score by MAP (lower is riskier)"
        chart.y_axis.title = "Score (0-100)"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 100
        score_col = [k for k, _, _ in ROLLUP_COLUMNS].index("score") + 1
        deal_col = [k for k, _, _ in ROLLUP_COLUMNS].index("deal") + 1
        data = Reference(ws, min_col=score_col, min_row=header_row, max_row=header_row + len(rows))
        cats = Reference(
            ws, min_col=deal_col, min_row=header_row + 1, max_row=header_row + len(rows)
        )
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        chart.legend = None
        chart.height = max(7.5, 0.6 * len(rows) + 3)
        chart.width = 18
        ws.add_chart(chart, f"B{header_row + len(rows) + 3}")
    _gap_sheet(wb, gaps, today)
    if insights is not None:
        _insights_sheet(wb, insights)
    wb.properties.creator = "MAP"
    return wb


def _insights_sheet(wb: Workbook, ins: Insights) -> None:
    """The Insights tab: the tables of content.insight_grid, and a chart of the days of
    close each step cost."""
    ws = wb.create_sheet(INSIGHTS_TAB)
    grid = insight_grid(ins)
    titles = {0} | {
        i
        for i, r in enumerate(grid)
        if i > 1 and len(r) == 1 and grid[i + 1 : i + 2] and len(grid[i + 1]) > 1
    }
    for r, values in enumerate(grid, start=1):
        for c, value in enumerate(values, start=1):
            set_value(ws.cell(row=r, column=c), value)
        if r - 1 in titles:
            ws.cell(row=r, column=1).font = Font(size=14 if r == 1 else 12, bold=True, color=INK)
        elif r - 2 in titles and r > 2:
            for c in range(1, len(values) + 1):
                cell = ws.cell(row=r, column=c)
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = HEADER_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws["A2"].font = Font(italic=True, color="595959")
    for c, width in enumerate((34, 16, 8, 8, 10, 10, 9, 10, 10, 10, 12, 12), start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    shown = min(len(ins.steps), INSIGHT_STEPS)
    if shown:
        first = INSIGHT_STEP_HEADER + 1
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Days of close each step cost (median per plan)"
        chart.y_axis.title = "Days"
        data = Reference(ws, min_col=11, min_row=INSIGHT_STEP_HEADER, max_row=first + shown - 1)
        cats = Reference(ws, min_col=1, min_row=first, max_row=first + shown - 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        chart.legend = None
        chart.height = max(7.5, 0.5 * shown + 3)
        chart.width = 18
        ws.add_chart(chart, "N4")
    _print_setup(ws)


def _gap_sheet(wb: Workbook, gaps: Sequence[tuple[Deal, str]], today: date) -> None:
    """The No MAP tab: the CRM's open deals at or past the gap stage without a plan."""
    ws = wb.create_sheet(GAP_TAB)
    header_row = _report_heading(
        ws,
        GAP_TITLE,
        f"As of {fmt(today)} · {len(gaps)} deals · from the CRM's last sync",
        GAP_COLUMNS,
        wrap=False,
    )
    for i, (deal, why) in enumerate(gaps):
        values = gap_cells(deal, why)
        for c, (key, _, _) in enumerate(GAP_COLUMNS, start=1):
            cell = ws.cell(row=header_row + 1 + i, column=c)
            set_value(cell, values.get(key))
            if key == "amount":
                cell.number_format = "#,##0"
            if key == "link" and deal.url:
                cell.hyperlink = deal.url
                cell.font = Font(color="1F4E79", underline="single")
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    _print_setup(ws)


# --- .xlsx copies for buyers who cannot use the live Sheet --------------------------------

EXPORT_PROPERTY = "MAP export"  # custom document property: the copy's id (Excel keeps it)
EXPORT_LABEL = "This copy"  # the Summary line that says the same, visibly


def export_workbook(grids: dict[str, Grid], *, title: str, export_id: str, sent_line: str) -> bytes:
    """The MAP as it is now, cell for cell at the same positions (so a returned copy lines
    up with what was sent), styled to read like the live plan: headers, widths, dates,
    grey computed columns. The copy's id is a document property and a Summary line."""
    from addon.plan.grid import find_tab

    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    tabs: dict[str, Tab] = {}
    for known in (PLAN, STAKEHOLDERS, RESOURCES, RISKS, DECISION_CRITERIA, SUMMARY):
        found = find_tab(grids, known)
        if found:
            tabs[found[0]] = known
    for name, grid in grids.items():
        if name.startswith("_"):
            continue  # the Google calc tab: not part of what a person reads
        ws = wb.create_sheet(name.strip()[:31] or "Sheet")
        tab = tabs.get(name)
        header = find_header(grid, tab) if tab else None
        kinds = {i: tab.column(k) for k, i in header.columns.items()} if tab and header else {}
        for r, row in enumerate(grid):
            for c, value in enumerate(row):
                col = kinds.get(c)
                if (
                    col is not None
                    and header is not None
                    and r > header.row
                    and col.type is ColumnType.DATE
                    and isinstance(value, int | float)
                    and not isinstance(value, bool)
                ):
                    value = from_serial(value)
                if value is None or value == "":
                    continue
                cell = ws.cell(row=r + 1, column=c + 1)
                set_value(cell, value)
                if col is not None and header is not None and r > header.row:
                    cell.alignment = Alignment(wrap_text=col.key in WRAP, vertical="top")
                    if col.computed and tab is not SUMMARY:
                        cell.fill = COMPUTED_FILL
        if tab is not None and header is not None:
            for c, col in kinds.items():
                cell = ws.cell(row=header.row + 1, column=c + 1)
                cell.font = Font(bold=True, color="FFFFFF")
                grey = col.computed and tab is not SUMMARY
                cell.fill = COMPUTED_HEADER_FILL if grey else HEADER_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="center")
                ws.column_dimensions[get_column_letter(c + 1)].width = col.width
            ws.freeze_panes = ws.cell(row=header.row + 2, column=1)
            _print_setup(ws)
        if tab is SUMMARY:
            ws.column_dimensions["A"].width = 22
            ws.column_dimensions["B"].width = 70
            at = len(grid) + 2
            ws.cell(row=at, column=1, value=EXPORT_LABEL).font = Font(bold=True)
            set_value(ws.cell(row=at, column=2), f"{export_id}: {sent_line}")
            ws.cell(row=at, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    wb.custom_doc_props.append(StringProperty(name=EXPORT_PROPERTY, value=export_id))
    wb.properties.creator = "MAP"
    wb.properties.lastModifiedBy = "MAP"
    wb.properties.title = title
    out = io.BytesIO()
    with ZipFile(out, "w", ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return out.getvalue()


def source_grids(
    data: bytes,
) -> tuple[dict[str, Grid], dict[str, list[tuple[int, int, int, int]]]]:
    """Any workbook's tabs as grids, and each tab's merged ranges (0-based, inclusive), for
    the importer. Raises ValueError for a file that is not an .xlsx workbook."""
    wb = _load(data)
    grids = {ws.title: grid_of(ws) for ws in wb.worksheets}
    merges = {
        ws.title: [
            (m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1)
            for m in ws.merged_cells.ranges
        ]
        for ws in wb.worksheets
    }
    return grids, merges


def _load(data: bytes) -> Any:
    try:
        return load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValueError(
            f"not an .xlsx workbook ({type(exc).__name__}); ask for the file saved as "
            '"Excel Workbook (.xlsx)"'
        ) from None


def workbook_grids(data: bytes) -> tuple[dict[str, Grid], str, str, datetime | None]:
    """A workbook's grids as the sync reads them, the copy id it carries (property, else
    the Summary line), who saved it last and when. Raises ValueError for a file that is not an
    .xlsx workbook."""
    wb = _load(data)
    grids = {ws.title: grid_of(ws) for ws in wb.worksheets}
    found = ""
    for prop in wb.custom_doc_props.props:
        if prop.name == EXPORT_PROPERTY and isinstance(prop.value, str):
            found = prop.value
    if not found:
        for grid in grids.values():
            for row in grid:
                if row and row[0] == EXPORT_LABEL and len(row) > 1:
                    m = re.match(r"\s*(X-[0-9A-F]{10})\b", str(row[1]))
                    found = m[1] if m else ""
    props = wb.properties
    return grids, found, props.lastModifiedBy or props.creator or "", props.modified
