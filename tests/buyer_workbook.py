"""A buyer editing a MAP workbook by hand, as openpyxl can: typing, merging, sorting some
columns, formulas saved with their last values (as Excel saves them). Shared by the sync
fixtures (tests/test_buyer_edit_syncs.py), the property tests and the random run."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from addon.workspace.package import cached_values, restore_cached

HEADER_ROW = 3  # the Plan's header row as created
CELL_LIMIT = 32_767  # what Excel and LibreOffice keep of a cell's text when they save


def cap(wb: Any) -> None:
    """Cut every text cell to what the buyer's spreadsheet program saves."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and len(c.value) > CELL_LIMIT:
                    c.value = c.value[:CELL_LIMIT]


@dataclass
class Buyer:
    """One workbook; `values` are the last values of the formulas the buyer typed."""

    path: Path
    values: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def edit(self, ops: Sequence[Mapping[str, Any]]) -> None:
        data = self.path.read_bytes()
        kept = cached_values(data)  # the program keeps every formula's value when it saves
        wb = load_workbook(io.BytesIO(data))
        for op in ops:
            apply(wb, op, self)
        cap(wb)
        wb.properties.lastModifiedBy = "Dana Whitfield"
        out = io.BytesIO()
        wb.save(out)
        for title, cells in self.values.items():
            kept.setdefault(title, {}).update(cells)
        self.path.write_bytes(restore_cached(out.getvalue(), kept))


def columns(ws: Worksheet) -> dict[str, int]:
    return {str(c.value).strip(): c.column for c in ws[HEADER_ROW] if c.value is not None}


def row_of(ws: Worksheet, step_id: str) -> int:
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        if ws.cell(r, 1).value == step_id:
            return r
    raise KeyError(step_id)


def step_rows(ws: Worksheet) -> list[int]:
    return [r for r in range(HEADER_ROW + 1, ws.max_row + 1) if ws.cell(r, 1).value]


def at(wb: Any, where: str) -> tuple[Worksheet, int, int]:
    """'S08/If it slips' (a Plan row by id, a column by header) or 'Summary!B11'."""
    if "!" in where:
        tab, ref = where.split("!")
        ws = wb[tab]
        cell = ws[ref]
        return ws, cell.row, cell.column
    ws = wb["Plan"]
    step, header = where.split("/")
    return ws, row_of(ws, step), columns(ws)[header]


def at_cell(wb: Any, where: str) -> Any:
    ws, r, c = at(wb, where)
    return ws.cell(r, c)


def apply(wb: Any, op: Mapping[str, Any], buyer: Buyer) -> None:
    kind, arg = next(iter(op.items()))
    if kind in ("type", "formula") and isinstance(at_cell(wb, arg["at"]), MergedCell):
        return  # hidden under a merge: a spreadsheet program gives no way to type there
    if kind == "type":
        ws, r, c = at(wb, arg["at"])
        ws.cell(r, c).value = arg["value"] * arg["times"] if "times" in arg else arg["value"]
    elif kind == "merge":
        ws, r, c = at(wb, arg["at"])
        ws.cell(r, c).value = arg["value"]
        last = columns(ws)[arg["across"]]
        ws.merge_cells(
            start_row=r, start_column=c, end_row=r + arg.get("rows", 1) - 1, end_column=last
        )
    elif kind == "formula":
        ws, r, c = at(wb, arg["at"])
        ws.cell(r, c).value = arg["formula"]
        buyer.values.setdefault(ws.title, {})[f"{get_column_letter(c)}{r}"] = _cached(arg["value"])
    elif kind == "sort":
        sort_columns(wb["Plan"], arg["columns"], arg["by"], arg.get("reverse", False))
    elif kind == "delete":
        ws = wb["Plan"]
        for step in arg:
            ws.delete_rows(row_of(ws, step))
    else:
        raise ValueError(f"unknown edit {kind}")


def _cached(value: Any) -> tuple[str, str]:
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, str):
        return "str", value
    if isinstance(value, date | datetime):
        day = value.date() if isinstance(value, datetime) else value
        return "", str((day - date(1899, 12, 30)).days)
    return "", str(value)


def sort_columns(ws: Worksheet, span: str, by: str, reverse: bool = False) -> None:
    """Sort the step rows by one column, moving only the columns in `span` ('A:K'), as a
    buyer who selected part of the table does."""
    first, last = (column_index_from_string(x) for x in span.split(":"))
    rows = step_rows(ws)
    if any(
        m.min_col <= last and m.max_col >= first and m.max_row >= rows[0]
        for m in ws.merged_cells.ranges
    ):
        return  # Excel and LibreOffice refuse to sort across merged cells; so does the buyer
    key = columns(ws)[by]
    block = [[ws.cell(r, c).value for c in range(first, last + 1)] for r in rows]
    block.sort(key=lambda vals: _sort_key(vals[key - first]), reverse=reverse)
    for r, vals in zip(rows, block, strict=True):
        for c, value in enumerate(vals, start=first):
            ws.cell(r, c).value = value


def _sort_key(value: Any) -> tuple[int, str]:
    if isinstance(value, datetime | date):
        return (0, value.isoformat())
    return (1, str(value or ""))
