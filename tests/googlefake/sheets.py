"""Spreadsheet state and the Sheets v4 methods the product calls, with Google's shapes.

Modelled behaviours and where they come from (Sheets API v4 reference, developers.google.com
/sheets/api/reference/rest/v4, and GOOGLE.md's notes on recorded responses):
- values.batchGet drops trailing empty cells of each row and trailing empty rows; an empty
  row inside the range comes back as []; a range with no values has no "values" key
  (ValueRange reference: "Empty trailing rows and columns are omitted").
- The range echoed back names the sheet quoted when its title needs it ('Plan 2'!A1:Q40)
  (A1 notation guide).
- UNFORMATTED_VALUE + SERIAL_NUMBER gives dates as serial numbers (days since 1899-12-30)
  (DateTimeRenderOption reference).
- RAW stores strings as typed; USER_ENTERED parses them as if typed, so "=..." becomes a
  formula (ValueInputOption reference). The fake does not evaluate formulas: it keeps them,
  and returns the formula text for FORMULA and an empty cell otherwise (less convenient
  than Google, never more).
- A null in a written row leaves that cell as it is; "" clears it (values.update reference).
- A values write changes a cell's value, never its format: a RAW serial number written
  into a cell formatted as a date shows as that date (CellData.userEnteredFormat is set by
  spreadsheets.create or batchUpdate, not by values writes; USER_ENTERED text parsed as a
  date gets a date format, as Sheets does for a typed date). A cell cleared with "" is
  forgotten with its format (a simplification: a value written there later is unformatted).
- Writing outside the grid is refused with Google's "exceeds grid limits" message.
- sortRange moves cell values, not rows: nothing row-bound follows a sort (GOOGLE.md;
  unconfirmed either way, so the less convenient assumption).
- The one formula shape the product writes, {"Header";ARRAYFORMULA(IF(ids="","",IFERROR(
  VLOOKUP(ids,tab!$A$2:$X,k,FALSE),"")))}, is evaluated: it shows the header and fills its
  column from the next row down, and
  shows #REF! when a value typed below it blocks the array (Google: "Array result was not
  expanded because it would overwrite data"). Its references follow row inserts as Google
  adjusts them; other formulas are not evaluated.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from tests.googlefake.discovery import ApiError

Value = str | float | int | bool


@dataclass
class CellState:
    value: Value | None = None
    formula: str | None = None
    date_format: bool = False


@dataclass
class SheetState:
    sheet_id: int
    title: str
    index: int
    rows: int = 1000
    cols: int = 26
    cells: dict[tuple[int, int], CellState] = field(default_factory=dict)
    merges: list[dict[str, int]] = field(default_factory=list)  # GridRange, as sent

    def properties(self) -> dict[str, Any]:
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": self.rows, "columnCount": self.cols},
        }


@dataclass
class SpreadsheetState:
    spreadsheet_id: str
    title: str
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    sheets: list[SheetState] = field(default_factory=list)

    def sheet(self, title: str | None) -> SheetState:
        if title is None:
            return self.sheets[0]
        for s in self.sheets:
            if s.title == title:
                return s
        raise ApiError(400, f"Unable to parse range: {title}")

    def resource(self, base_url: str) -> dict[str, Any]:
        return {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {
                "title": self.title,
                "locale": self.locale,
                "timeZone": self.time_zone,
                "autoRecalc": "ON_CHANGE",
            },
            "sheets": [
                {"properties": s.properties(), **({"merges": s.merges} if s.merges else {})}
                for s in self.sheets
            ],
            "spreadsheetUrl": f"{base_url}spreadsheets/d/{self.spreadsheet_id}/edit",
        }


_A1 = re.compile(r"^([A-Z]*)(\d*)$")


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def col_letters(index: int) -> str:
    out, index = "", index + 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def quote(title: str) -> str:
    return title if re.fullmatch(r"[A-Za-z0-9_]+", title) else "'" + title.replace("'", "''") + "'"


@dataclass(frozen=True)
class Span:
    sheet: SheetState
    r0: int
    c0: int
    r1: int  # inclusive
    c1: int

    def a1(self) -> str:
        return (
            f"{quote(self.sheet.title)}!{col_letters(self.c0)}{self.r0 + 1}:"
            f"{col_letters(self.c1)}{self.r1 + 1}"
        )


def parse_range(book: SpreadsheetState, text: str) -> Span:
    title: str | None = None
    ref = text
    if "!" in text:
        title, ref = text.rsplit("!", 1)
    elif not re.fullmatch(r"[A-Z]*\d*(:[A-Z]*\d*)?", text):
        title, ref = text, ""
    if title and title.startswith("'") and title.endswith("'"):
        title = title[1:-1].replace("''", "'")
    sheet = book.sheet(title)
    if not ref:
        return Span(sheet, 0, 0, sheet.rows - 1, sheet.cols - 1)
    first, _, last = ref.partition(":")
    m0, m1 = _A1.match(first), _A1.match(last or first)
    if m0 is None or m1 is None:
        raise ApiError(400, f"Unable to parse range: {text}")
    c0 = col_index(m0[1]) if m0[1] else 0
    r0 = int(m0[2]) - 1 if m0[2] else 0
    c1 = col_index(m1[1]) if m1[1] else sheet.cols - 1
    r1 = int(m1[2]) - 1 if m1[2] else sheet.rows - 1
    return Span(sheet, r0, c0, min(r1, sheet.rows - 1), min(c1, sheet.cols - 1))


def _render(cell: CellState, value_option: str, date_option: str) -> Value | None:
    if cell.formula is not None:
        return cell.formula if value_option == "FORMULA" else None
    value = cell.value
    if value_option == "FORMATTED_VALUE" or (
        cell.date_format and date_option == "FORMATTED_STRING"
    ):
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return None if value is None else str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_LOOKUP = re.compile(
    r'^=\{"(.*)";ARRAYFORMULA\(IF\(\$A\d+:\$A="","",IFERROR\(VLOOKUP\(\$A\d+:\$A,(.+?)!\$A\$2:'
    r'\$[A-Z]+,(\d+),FALSE\),""\)\)\)\}$'
)


def _arrays(book: SpreadsheetState, sheet: SheetState) -> dict[tuple[int, int], Value]:
    """The values our lookup formulas spill into their columns."""
    out: dict[tuple[int, int], Value] = {}
    for (r, c), cell in list(sheet.cells.items()):
        m = _LOOKUP.match(cell.formula or "")
        if m is None:
            continue
        table_sheet = book.sheet(m[2].strip("'"))
        k = int(m[3]) - 1
        table: dict[str, Value] = {}
        for (tr, tc), tcell in table_sheet.cells.items():
            if tc == 0 and tr >= 1 and tcell.value not in (None, ""):
                found = table_sheet.cells.get((tr, k))
                table[str(tcell.value)] = (
                    "" if found is None or found.value is None else (found.value)
                )
        if any((rr, c) in sheet.cells for rr in range(r + 1, sheet.rows)):
            out[(r, c)] = "#REF!"  # a typed value below blocks the array
            continue
        out[(r, c)] = m[1]  # the header text, then one value a row below it
        for rr in range(r + 1, sheet.rows):
            ident = sheet.cells.get((rr, 0))
            if ident is not None and ident.value not in (None, ""):
                out[(rr, c)] = table.get(str(ident.value), "")
    return out


def read(book: SpreadsheetState, text: str, value_option: str, date_option: str) -> dict[str, Any]:
    span = parse_range(book, text)
    spilled = {} if value_option == "FORMULA" else _arrays(book, span.sheet)
    rows: list[list[Value | None]] = []
    for r in range(span.r0, span.r1 + 1):
        row = [
            spilled[(r, col)]
            if (r, col) in spilled
            else (
                _render(c, value_option, date_option)
                if (c := span.sheet.cells.get((r, col)))
                else None
            )
            for col in range(span.c0, span.c1 + 1)
        ]
        while row and row[-1] in (None, ""):
            row.pop()
        rows.append(["" if v is None else v for v in row])
    while rows and not rows[-1]:
        rows.pop()
    out: dict[str, Any] = {"range": span.a1(), "majorDimension": "ROWS"}
    if rows:
        out["values"] = rows
    return out


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _entered(value: Any, option: str) -> CellState | None:
    """What a written value becomes; None leaves the cell as it is."""
    if value is None:
        return None
    if option == "RAW" or not isinstance(value, str):
        return CellState(value=value if value != "" else None)
    if value.startswith("="):
        return CellState(formula=value)
    if _NUMBER.match(value):
        return CellState(value=float(value))
    if value.upper() in ("TRUE", "FALSE"):
        return CellState(value=value.upper() == "TRUE")
    if m := _ISO_DATE.match(value):
        from datetime import date

        serial = (date(int(m[1]), int(m[2]), int(m[3])) - date(1899, 12, 30)).days
        return CellState(value=float(serial), date_format=True)
    return CellState(value=value or None)


def write(
    book: SpreadsheetState, text: str, values: list[list[Any]], option: str
) -> dict[str, Any]:
    span = parse_range(book, text)
    height = len(values)
    width = max((len(r) for r in values), default=0)
    if span.r0 + height > span.sheet.rows or span.c0 + width > span.sheet.cols:
        raise ApiError(
            400,
            f"Range ({quote(span.sheet.title)}!{col_letters(span.c0)}"
            f"{span.r0 + height}) exceeds grid limits. Max rows: "
            f"{span.sheet.rows}, max columns: {span.sheet.cols}",
        )
    cells = 0
    for dr, row in enumerate(values):
        for dc, value in enumerate(row):
            state = _entered(value, option)
            if state is None:
                continue
            key = (span.r0 + dr, span.c0 + dc)
            if state.value is None and state.formula is None:
                span.sheet.cells.pop(key, None)
            else:
                before = span.sheet.cells.get(key)
                # A values write sets the value, not the cell's number format: a date
                # column keeps showing dates (USER_ENTERED only adds one, for a typed date).
                state.date_format = state.date_format or bool(before and before.date_format)
                span.sheet.cells[key] = state
            cells += 1
    end = Span(
        span.sheet, span.r0, span.c0, span.r0 + max(height, 1) - 1, span.c0 + max(width, 1) - 1
    )
    return {
        "spreadsheetId": book.spreadsheet_id,
        "updatedRange": end.a1(),
        "updatedRows": height,
        "updatedColumns": width,
        "updatedCells": cells,
    }


def sort_rows(
    sheet: SheetState, first: int, last: int, column: int, ascending: bool = True
) -> None:
    """sortRange: moves the cell values of rows first..last, not the rows themselves."""

    def key(r: int) -> tuple[int, str]:
        c = sheet.cells.get((r, column))
        v = c.value if c else None
        return (
            (1, "")
            if v is None
            else (0, str(v).zfill(20) if isinstance(v, int | float) else str(v).lower())
        )

    order = sorted(range(first, last + 1), key=key, reverse=not ascending)
    moved = {
        (i, c): sheet.cells[(r, c)]
        for i, r in zip(range(first, last + 1), order, strict=True)
        for c in range(sheet.cols)
        if (r, c) in sheet.cells
    }
    for r, c in itertools.product(range(first, last + 1), range(sheet.cols)):
        sheet.cells.pop((r, c), None)
    sheet.cells.update(moved)


def shift_rows(sheet: SheetState, at: int, count: int) -> None:
    """insertDimension (count > 0) or deleteDimension (count < 0) of ROWS at `at`."""
    if count < 0:
        for key in [k for k in sheet.cells if at <= k[0] < at - count]:
            del sheet.cells[key]
    moved = {((r + count) if r >= at else r, c): v for (r, c), v in sheet.cells.items()}
    sheet.cells = moved
    sheet.rows += count
