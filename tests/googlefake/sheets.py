"""Spreadsheet state and the Sheets v4 methods the product calls, with Google's shapes.

Modelled behaviours and where they come from (Sheets API v4 reference, developers.google.com
/sheets/api/reference/rest/v4, and GOOGLE.md's notes on recorded responses):
- values.batchGet drops trailing empty cells of each row and trailing empty rows; an empty
  row inside the range comes back as []; a range with no values has no "values" key
  (ValueRange reference: "Empty trailing rows and columns are omitted").
- The range echoed back names the sheet quoted when its title needs it ('Plan 2'!A1:Q40)
  (A1 notation guide).
- UNFORMATTED_VALUE + SERIAL_NUMBER gives dates as serial numbers (days since 1899-12-30)
  (DateTimeRenderOption reference). FORMATTED_VALUE renders a number in a cell whose
  number format is a DATE pattern with that pattern ("d mmm yyyy" -> "29 May 2026"; Sheets
  guide "Date and number formats"), and an unformatted number as the number ("46171").
- RAW stores strings as typed; USER_ENTERED parses them as if typed, so "=..." becomes a
  formula (ValueInputOption reference). Formulas are parsed in the spreadsheet's locale when
  written (formulas.py): one that does not parse reads back as "#ERROR!". The fake does not
  evaluate formulas in general: it keeps them, and returns the formula text for FORMULA and
  an empty cell otherwise (less convenient than Google, never more).
- A null in a written row leaves that cell as it is; "" clears its value (values.update
  reference).
- A values write changes a cell's value, never its format (CellData.userEnteredFormat is
  set by spreadsheets.create or batchUpdate, not by values writes; USER_ENTERED text parsed
  as a date gets a date format, as Sheets does for a typed date): a RAW serial number in a
  cell (or a whole column, by repeatCell) formatted as a date shows as that date.
- Writing outside the grid is refused with Google's "exceeds grid limits" message.
- spreadsheets.batchUpdate (reference): "The requests will be applied in the order they
  are specified. If any request is not valid, no requests will be applied"; the replies are
  one per request, "empty for requests that have no reply" (`batch_update`, a function per
  request kind in REQUESTS; an invalid one answers 400 "Invalid requests[i].kind: ...", a
  kind the fake does not model 501).
- insertDimension: new rows take the formats of the row after them unless
  inheritFromBefore (InsertDimensionRequest reference).
- sortRange moves cell values, not rows: nothing row-bound follows a sort (GOOGLE.md;
  unconfirmed either way, so the less convenient assumption).
- The formula shapes the product writes, {"Header";ARRAYFORMULA(IF(ids="","",IFERROR(
  VLOOKUP(ids,tab!$A$2:$X,k,FALSE),"")))} and the Resources Sync note's, whose key is two
  columns joined ($D4:$D&"|"&$A4:$A, blank where both are), (or their comma-decimal form
  with ";" between arguments), are evaluated: each shows the header and fills its column
  from the next row down, and shows #REF! when a value typed below it blocks the array
  (Google: "Array result was not expanded because it would overwrite data"). Its
  references follow row inserts as Google adjusts them; other formulas are not evaluated.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from tests.googlefake import formulas
from tests.googlefake.discovery import ApiError

Value = str | float | int | bool


@dataclass
class CellState:
    value: Value | None = None
    formula: str | None = None  # as written
    fmt: dict[str, Any] = field(default_factory=dict)  # CellData.userEnteredFormat
    validation: dict[str, Any] | None = None  # CellData.dataValidation
    note: str | None = None
    formula_locale: str = ""  # the locale the formula was parsed in
    parsed: str | None = None  # the formula in en_US syntax; None if it did not parse
    extra: dict[str, Any] = field(default_factory=dict)  # other CellData fields, as sent

    @property
    def date_format(self) -> bool:
        return self.fmt.get("numberFormat", {}).get("type") in ("DATE", "DATE_TIME")

    @property
    def blank(self) -> bool:
        return self.value is None and self.formula is None

    @property
    def error(self) -> bool:
        return self.formula is not None and self.parsed is None

    def enter(self, value: Value | None, formula: str | None, locale: str) -> None:
        """A new value or formula, parsed in the spreadsheet's current locale."""
        self.value, self.formula = value, formula
        self.formula_locale = locale if formula is not None else ""
        self.parsed = formulas.parse(formula, locale) if formula is not None else None


class Invalid(Exception):
    """A batchUpdate request Google refuses: 400 "Invalid requests[i].kind: <message>"."""


@dataclass
class SheetState:
    sheet_id: int
    title: str
    index: int
    rows: int = 1000
    cols: int = 26
    cells: dict[tuple[int, int], CellState] = field(default_factory=dict)
    merges: list[dict[str, int]] = field(default_factory=list)  # GridRange, as sent
    extra: dict[str, Any] = field(default_factory=dict)  # other SheetProperties (hidden, ...)
    protected: list[dict[str, Any]] = field(default_factory=list)  # ProtectedRange
    conditional: list[dict[str, Any]] = field(default_factory=list)  # ConditionalFormatRule
    charts: list[dict[str, Any]] = field(default_factory=list)  # EmbeddedChart, as sent
    dimensions: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    # Inside a batchUpdate, the ids of the cells this copy of the sheet owns: any other cell
    # is shared with the spreadsheet as it was, so it is copied before a change (`cell`).
    owned: set[int] | None = field(default=None, repr=False, compare=False)

    def properties(self) -> dict[str, Any]:
        extra = copy.deepcopy(self.extra)
        grid = {"rowCount": self.rows, "columnCount": self.cols, **extra.pop("gridProperties", {})}
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": grid,
            **extra,
        }

    def load(self, props: dict[str, Any]) -> None:
        """Takes SheetProperties as `properties` answers them (after a masked update)."""
        props = copy.deepcopy(props)
        self.title = str(props.pop("title", self.title))
        self.index = int(props.pop("index", self.index))
        grid = dict(props.pop("gridProperties", {}))
        self.rows = int(grid.pop("rowCount", self.rows))
        self.cols = int(grid.pop("columnCount", self.cols))
        for key in ("sheetId", "sheetType"):
            props.pop(key, None)
        self.extra = {**props, **({"gridProperties": grid} if grid else {})}

    def cell(self, r: int, c: int) -> CellState:
        """The cell to change at (r, c), made if need be (copied first inside a batchUpdate,
        so that a refused batch leaves the spreadsheet untouched)."""
        found = self.cells.get((r, c))
        if self.owned is None:
            return found if found is not None else self.cells.setdefault((r, c), CellState())
        if found is None or id(found) not in self.owned:
            found = (
                CellState()
                if found is None
                else replace(found, fmt=dict(found.fmt), extra=dict(found.extra))
            )
            self.cells[(r, c)] = found
            self.owned.add(id(found))
        return found

    def draft(self) -> SheetState:
        """A copy to change inside a batchUpdate: containers copied, cells shared until
        changed (`cell`)."""
        return replace(
            self,
            cells=dict(self.cells),
            merges=list(self.merges),
            extra=copy.deepcopy(self.extra),
            protected=list(self.protected),
            conditional=list(self.conditional),
            charts=list(self.charts),
            dimensions=dict(self.dimensions),
            owned=set(),
        )

    def resource(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"properties": self.properties()}
        for key, items in (
            ("merges", self.merges),
            ("protectedRanges", self.protected),
            ("conditionalFormats", self.conditional),
            ("charts", self.charts),
        ):
            if items:
                answer[key] = copy.deepcopy(items)
        return answer


@dataclass
class SpreadsheetState:
    spreadsheet_id: str
    title: str
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    sheets: list[SheetState] = field(default_factory=list)
    serial: int = 0  # for ids the fake hands out (protected ranges, charts, sheets)

    def sheet(self, title: str | None) -> SheetState:
        if title is None:
            return self.sheets[0]
        for s in self.sheets:
            if s.title == title:
                return s
        raise ApiError(400, f"Unable to parse range: {title}")

    def by_id(self, sheet_id: int) -> SheetState:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise Invalid(f"No grid with id: {sheet_id}")

    def next_id(self) -> int:
        self.serial += 1
        return 1_000_000 + self.serial * 7919  # far from the small ids callers choose

    def renumber(self) -> None:
        for i, s in enumerate(self.sheets):
            s.index = i

    def resource(self, base_url: str) -> dict[str, Any]:
        return {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {
                "title": self.title,
                "locale": self.locale,
                "timeZone": self.time_zone,
                "autoRecalc": "ON_CHANGE",
            },
            "sheets": [s.resource() for s in self.sheets],
            "spreadsheetUrl": f"{base_url}spreadsheets/d/{self.spreadsheet_id}/edit",
        }


def empty_book(spreadsheet_id: str, title: str, time_zone: str) -> SpreadsheetState:
    """A spreadsheet made by Drive files.create: one grid "Sheet1" with sheetId 0, 1000 x 26,
    locale en_US. ASSUMPTION: observed, not documented (assumptions.py "new spreadsheet
    defaults")."""
    return SpreadsheetState(
        spreadsheet_id, title, "en_US", time_zone, [SheetState(0, "Sheet1", 0, 1000, 26)]
    )


def from_body(spreadsheet_id: str, body: dict[str, Any]) -> SpreadsheetState:
    """A spreadsheet as spreadsheets.create builds it from a whole Spreadsheet resource."""
    props = body.get("properties", {})
    book = SpreadsheetState(
        spreadsheet_id,
        props.get("title", "Untitled spreadsheet"),
        props.get("locale", "en_US"),
        props.get("timeZone", "Etc/GMT"),
    )
    specs = body.get("sheets") or [{"properties": {"title": "Sheet1"}}]
    for i, spec in enumerate(specs):
        p = spec.get("properties", {})
        sheet = SheetState(p.get("sheetId", i * 1000 + 7), f"Sheet{i + 1}", i)
        sheet.load({k: v for k, v in p.items() if k != "index"})
        for data in spec.get("data", []):
            r0, c0 = data.get("startRow", 0), data.get("startColumn", 0)
            for dr, row in enumerate(data.get("rowData", [])):
                for dc, cell in enumerate(row.get("values", [])):
                    if cell:
                        _apply_cell(sheet.cell(r0 + dr, c0 + dc), cell, "*", book.locale)
        sheet.merges = [dict(m, sheetId=sheet.sheet_id) for m in spec.get("merges", [])]
        sheet.protected = copy.deepcopy(spec.get("protectedRanges", []))
        sheet.conditional = copy.deepcopy(spec.get("conditionalFormats", []))
        book.sheets.append(sheet)
    return book


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


_EPOCH = date(1899, 12, 30)  # serial 0 (DateTimeRenderOption.SERIAL_NUMBER)
_DATE_TOKEN = re.compile(r"d+|m+|y+|[^dmy]+")
_MONTHS = [date(2000, m, 1).strftime("%B") for m in range(1, 13)]
_DAYS = [date(2000, 1, 3 + d).strftime("%A") for d in range(7)]  # Monday first


def format_date(serial: float, pattern: str) -> str:
    """A serial number shown with a DATE pattern (Sheets guide "Date and number formats":
    d, dd, ddd, dddd; m, mm, mmm, mmmm, mmmmm; yy, yyyy), in English names."""
    day = _EPOCH + timedelta(days=int(serial))
    out = []
    for token in _DATE_TOKEN.findall(pattern):
        kind, n = token[0], len(token)
        if kind == "d":
            names = _DAYS[day.weekday()]
            out.append([str(day.day), f"{day.day:02d}", names[:3], names][min(n, 4) - 1])
        elif kind == "m":
            name = _MONTHS[day.month - 1]
            out.append([str(day.month), f"{day.month:02d}", name[:3], name, name[0]][min(n, 5) - 1])
        elif kind == "y":
            out.append(f"{day.year % 100:02d}" if n <= 2 else str(day.year))
        else:
            out.append(token.replace('"', "").replace("\\", ""))
    return "".join(out)


def _shown(value: Value) -> str:
    """A value as FORMATTED_VALUE shows it without a number format."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _render(cell: CellState, value_option: str, date_option: str) -> Value | None:
    if cell.formula is not None:
        if value_option == "FORMULA":
            return cell.formula
        return "#ERROR!" if cell.error else None
    value = cell.value
    if value is None:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if (
        number
        and cell.date_format
        and (value_option == "FORMATTED_VALUE" or date_option == "FORMATTED_STRING")
    ):
        return format_date(float(value), cell.fmt["numberFormat"].get("pattern", "yyyy-mm-dd"))
    if value_option == "FORMATTED_VALUE":
        return _shown(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# The product's computed-column formulas, in en_US syntax (formulas.parse rewrites them
# so): the Plan's looks up column A; the Resources Sync note's looks up two columns joined
# with "|" (VLOOKUP($D4:$D&"|"&$A4:$A, ...)), blank where both are blank.
_COLUMN = r"\$[A-Z]+\d+:\$[A-Z]+"
_LOOKUP = re.compile(
    r'^=\{"(?P<header>.*)";ARRAYFORMULA\(IF\((?:\$A\d+:\$A|\((?P<blank>'
    + _COLUMN
    + "&"
    + _COLUMN
    + r')\))="","",IFERROR\(VLOOKUP\((?P<key>'
    + _COLUMN
    + r'(?:&"[^"]*"&'
    + _COLUMN
    + r")?),(?P<table>.+?)!\$A\$2:"
    r'\$[A-Z]+,(?P<k>\d+),FALSE\),""\)\)\)\}$'
)
_KEY_PART = re.compile(r'\$([A-Z]+)\d+:\$[A-Z]+|&"([^"]*)"&|&')


def _key_of(sheet: SheetState, row: int, key: str) -> str:
    """A lookup key expression's text for one row: its columns' values joined with the
    literal text between them, as Sheets' & joins them."""
    out = []
    for m in _KEY_PART.finditer(key):
        if m[1] is not None:
            found = sheet.cells.get((row, col_index(m[1])))
            value = None if found is None else found.value
            out.append("" if value is None else _shown(value))
        else:
            out.append(m[2] or "")
    return "".join(out)


def _arrays(book: SpreadsheetState, sheet: SheetState) -> dict[tuple[int, int], Value]:
    """The values our lookup formulas spill into their columns."""
    out: dict[tuple[int, int], Value] = {}
    for (r, c), cell in list(sheet.cells.items()):
        m = _LOOKUP.match(cell.parsed or "")
        if m is None:
            continue
        table_sheet = book.sheet(m["table"].strip("'"))
        k = int(m["k"]) - 1
        key, blank_if = m["key"], m["blank"]
        table: dict[str, Value] = {}
        for (tr, tc), tcell in table_sheet.cells.items():
            if tc == 0 and tr >= 1 and tcell.value not in (None, ""):
                found = table_sheet.cells.get((tr, k))
                table[str(tcell.value)] = (
                    "" if found is None or found.value is None else (found.value)
                )
        below = (sheet.cells.get((rr, c)) for rr in range(r + 1, sheet.rows))
        merged = any(_overlaps(m, range(r + 1, sheet.rows), range(c, c + 1)) for m in sheet.merges)
        if merged or any(b is not None and not b.blank for b in below):
            # A typed value below blocks the array ("Array result was not expanded because
            # it would overwrite data"); so does a merge across its column (ASSUMPTION:
            # assumptions.py, "a merge blocks an array").
            out[(r, c)] = "#REF!"
            continue
        out[(r, c)] = m["header"]  # the header text, then one value a row below it
        for rr in range(r + 1, sheet.rows):
            if blank_if is None:  # the Plan's: blank where the row has no id
                ident = sheet.cells.get((rr, 0))
                if ident is not None and ident.value not in (None, ""):
                    out[(rr, c)] = table.get(str(ident.value), "")
            elif _key_of(sheet, rr, blank_if):  # blank where both key cells are blank
                out[(rr, c)] = table.get(_key_of(sheet, rr, key), "")
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
_TYPED_DATE = {"type": "DATE", "pattern": "yyyy-mm-dd"}  # what a typed ISO date is given


def _entered(value: Any, option: str) -> tuple[Value | None, str | None, bool] | None:
    """What a written value becomes: (value, formula, typed as a date); None leaves the cell
    as it is."""
    if value is None:
        return None
    if option == "RAW" or not isinstance(value, str):
        return (value if value != "" else None), None, False
    if value.startswith("="):
        return None, value, False
    if _NUMBER.match(value):
        return float(value), None, False
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE", None, False
    if m := _ISO_DATE.match(value):
        try:
            serial = (date(int(m[1]), int(m[2]), int(m[3])) - _EPOCH).days
        except ValueError:  # 2026-02-31 is no date: Sheets keeps it as the text typed
            return value, None, False
        return float(serial), None, True
    return (value or None), None, False


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
            entered = _entered(value, option)
            if entered is None:
                continue
            key = (span.r0 + dr, span.c0 + dc)
            state = span.sheet.cell(*key)
            new_value, formula, typed_date = entered
            state.enter(new_value, formula, book.locale)
            if typed_date and not state.date_format:
                state.fmt["numberFormat"] = dict(_TYPED_DATE)
            if state.blank and not state.fmt and state.validation is None:
                del span.sheet.cells[key]  # nothing left in the cell
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
    """sortRange: moves the cells of rows first..last, not the rows themselves."""

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


def shift_rows(sheet: SheetState, at: int, count: int, inherit_before: bool = False) -> None:
    """insertDimension (count > 0) or deleteDimension (count < 0) of ROWS at `at`. Inserted
    rows take the formats and validations of the row after them, or before them with
    inheritFromBefore (InsertDimensionRequest reference)."""
    if count < 0:
        for key in [k for k in sheet.cells if at <= k[0] < at - count]:
            del sheet.cells[key]
    moved = {((r + count) if r >= at else r, c): v for (r, c), v in sheet.cells.items()}
    sheet.cells = moved
    sheet.rows += count
    if count > 0:
        source = at - 1 if inherit_before else at + count
        for c in range(sheet.cols):
            model = sheet.cells.get((source, c))
            if model is None or (not model.fmt and model.validation is None):
                continue
            for r in range(at, at + count):
                sheet.cells[(r, c)] = CellState(
                    fmt=copy.deepcopy(model.fmt), validation=copy.deepcopy(model.validation)
                )


# --- spreadsheets.batchUpdate: a function per request kind --------------------------------

Request = Callable[[SpreadsheetState, dict[str, Any]], dict[str, Any]]


def batch_update(book: SpreadsheetState, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Applies the requests in order to a copy, and keeps the copy only if all of them are
    valid (batchUpdate reference: "If any request is not valid, no requests will be
    applied"). One reply per request."""
    work = replace(book, sheets=[s.draft() for s in book.sheets])
    replies = []
    for i, request in enumerate(requests):
        if len(request) != 1:
            raise ApiError(400, f"Invalid requests[{i}]: a Request sets exactly one kind.")
        kind, spec = next(iter(request.items()))
        handler = REQUESTS.get(kind)
        if handler is None:
            raise ApiError(501, f"batchUpdate request {kind} is not modelled by the fake yet")
        try:
            replies.append(handler(work, spec))
        except Invalid as err:
            raise ApiError(
                400, f"Invalid requests[{i}].{kind}: {err}", reason="badRequest"
            ) from err
    for sheet in work.sheets:
        sheet.owned = None
    book.__dict__.update(work.__dict__)
    return replies


def _mask(fields: str | None) -> list[str]:
    """A FieldMask's paths ("a,b.c"); "*" stands for every field."""
    if not fields:
        raise Invalid("At least one field must be specified in 'fields'.")
    return [f.strip() for f in fields.split(",") if f.strip()]


def _masked(target: dict[str, Any], given: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """`target` with each masked path taken from `given` (absent there: cleared)."""
    out = copy.deepcopy(target)
    if paths == ["*"]:
        out.update(copy.deepcopy(given))
        return out
    for path in paths:
        keys = path.split(".")
        here, source = out, given
        for key in keys[:-1]:
            here = here.setdefault(key, {})
            source = source.get(key, {}) if isinstance(source, dict) else {}
        if isinstance(source, dict) and keys[-1] in source:
            here[keys[-1]] = copy.deepcopy(source[keys[-1]])
        else:
            here.pop(keys[-1], None)
    return out


def _grid(book: SpreadsheetState, rng: dict[str, Any]) -> tuple[SheetState, range, range]:
    """A GridRange: its sheet, rows and columns (absent bounds: the whole grid)."""
    sheet = book.by_id(int(rng.get("sheetId", 0)))
    rows = range(int(rng.get("startRowIndex", 0)), int(rng.get("endRowIndex", sheet.rows)))
    cols = range(int(rng.get("startColumnIndex", 0)), int(rng.get("endColumnIndex", sheet.cols)))
    if rows.start < 0 or cols.start < 0 or rows.stop > sheet.rows or cols.stop > sheet.cols:
        raise Invalid(
            f"Range ({quote(sheet.title)}!{col_letters(cols.start)}{rows.start + 1}:"
            f"{col_letters(max(cols.stop - 1, 0))}{rows.stop}) exceeds grid limits. Max rows: "
            f"{sheet.rows}, max columns: {sheet.cols}"
        )
    return sheet, rows, cols


_CELL_FIELDS = ("userEnteredValue", "userEnteredFormat", "dataValidation", "note")


def _apply_cell(cell: CellState, data: dict[str, Any], fields: str, locale: str) -> None:
    """The masked fields of a CellData onto a cell (UpdateCellsRequest.fields: "The fields of
    CellData that should be updated ... The root is the CellData; 'row.values.' should not
    be specified. A single "*" can be used as short-hand for listing every field")."""
    paths = _mask(fields)
    tops = (
        list(_CELL_FIELDS) + [k for k in data if k not in _CELL_FIELDS]
        if paths == ["*"]
        else (sorted({p.split(".")[0] for p in paths}))
    )
    for top in tops:
        sub = [p.split(".", 1)[1] for p in paths if p.startswith(top + ".")]
        if top == "userEnteredValue":
            entered = data.get(top) or {}
            value = next(
                (entered[k] for k in ("stringValue", "numberValue", "boolValue") if k in entered),
                None,
            )
            cell.enter(value, entered.get("formulaValue"), locale)
        elif top == "userEnteredFormat":
            cell.fmt = (
                _masked(cell.fmt, data.get(top) or {}, sub or ["*"])
                if sub
                else (copy.deepcopy(data.get(top) or {}))
            )
        elif top == "dataValidation":
            cell.validation = copy.deepcopy(data.get(top))
        elif top == "note":
            cell.note = data.get(top)
        elif top in data:
            cell.extra[top] = copy.deepcopy(data[top])
        else:
            cell.extra.pop(top, None)


def _tidy(sheet: SheetState) -> None:
    """Cells left with nothing in them are forgotten."""
    for key in [
        k
        for k, c in sheet.cells.items()
        if c.blank and not c.fmt and c.validation is None and c.note is None and not c.extra
    ]:
        del sheet.cells[key]


def _update_spreadsheet_properties(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """updateSpreadsheetProperties: title, locale, timeZone under a `fields` mask. Formulas
    already written stay as parsed: ASSUMPTION, not confirmed through the API
    (assumptions.py "formula after a locale change")."""
    current = {"title": book.title, "locale": book.locale, "timeZone": book.time_zone}
    props = _masked(current, spec.get("properties", {}), _mask(spec.get("fields")))
    book.title = str(props.get("title", book.title))
    book.locale = str(props.get("locale", book.locale))
    book.time_zone = str(props.get("timeZone", book.time_zone))
    return {}


def _add_sheet(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """addSheet: SheetProperties.sheetId "If not set, an ID will be randomly generated";
    title, index (default: last), hidden, gridProperties (default 1000 x 26). Replies
    {"addSheet": {"properties": ...}}."""
    props = copy.deepcopy(spec.get("properties", {}))
    sheet_id = int(props.get("sheetId", book.next_id()))
    if any(s.sheet_id == sheet_id for s in book.sheets):
        raise Invalid(f"Sheet with id {sheet_id} already exists.")
    titles = {s.title for s in book.sheets}
    n = len(book.sheets) + 1
    while f"Sheet{n}" in titles:
        n += 1
    title = str(props.get("title", f"Sheet{n}"))
    if title in titles:
        raise Invalid(f'A sheet with the name "{title}" already exists. Please enter another name.')
    index = min(int(props.pop("index", len(book.sheets))), len(book.sheets))
    sheet = SheetState(sheet_id, title, index)
    sheet.load(props)
    book.sheets.insert(index, sheet)
    book.renumber()
    return {"addSheet": {"properties": sheet.properties()}}


def _delete_sheet(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """deleteSheet; the last sheet cannot go: 400 "Invalid requests[0].deleteSheet: You
    can't remove all the sheets in a document." (as Google answers, google-api-php-client
    #1293)."""
    sheet = book.by_id(int(spec.get("sheetId", 0)))
    if len(book.sheets) == 1:
        raise Invalid("You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    book.renumber()
    return {}


def _update_sheet_properties(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """updateSheetProperties: the masked SheetProperties (title, index, hidden,
    gridProperties.*, tabColor...) of the sheet its sheetId names."""
    given = spec.get("properties", {})
    sheet = book.by_id(int(given.get("sheetId", 0)))
    props = _masked(sheet.properties(), given, _mask(spec.get("fields")))
    title = props.get("title", sheet.title)
    if any(s.title == title and s is not sheet for s in book.sheets):
        raise Invalid(f'A sheet with the name "{title}" already exists. Please enter another name.')
    if props.get("hidden") and all(s.extra.get("hidden") for s in book.sheets if s is not sheet):
        raise Invalid("You can't hide all the sheets in a document.")
    index = min(int(props.get("index", sheet.index)), len(book.sheets) - 1)
    sheet.load(props)
    book.sheets.remove(sheet)
    book.sheets.insert(index, sheet)
    book.renumber()
    return {}


def _update_cells(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """updateCells: rows of CellData from `start` (a GridCoordinate), or over `range` ("If
    the data in rows does not cover the entire requested range, the fields matching those
    set in fields will be cleared")."""
    rows = [row.get("values", []) for row in spec.get("rows", [])]
    if "range" in spec:
        sheet, r_span, c_span = _grid(book, spec["range"])
        r0, c0 = r_span.start, c_span.start
    else:
        start = spec.get("start", {})
        sheet = book.by_id(int(start.get("sheetId", 0)))
        r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        height, width = len(rows), max((len(r) for r in rows), default=0)
        _, r_span, c_span = _grid(
            book,
            {
                "sheetId": sheet.sheet_id,
                "startRowIndex": r0,
                "endRowIndex": r0 + height,
                "startColumnIndex": c0,
                "endColumnIndex": c0 + width,
            },
        )
        r_span = range(r0, r0 + height)
        c_span = range(c0, c0 + width)
    for r in r_span:
        row = rows[r - r0] if r - r0 < len(rows) else []
        for c in c_span:
            if "range" not in spec and c - c0 >= len(row):
                continue  # without a range, only the cells given are touched
            data = row[c - c0] if c - c0 < len(row) else {}
            _apply_cell(sheet.cell(r, c), data, spec.get("fields", ""), book.locale)
    _tidy(sheet)
    return {}


def _repeat_cell(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """repeatCell: one CellData's masked fields onto every cell of a range (e.g. a date
    numberFormat over a whole column)."""
    sheet, rows, cols = _grid(book, spec.get("range", {}))
    for r, c in itertools.product(rows, cols):
        _apply_cell(sheet.cell(r, c), spec.get("cell", {}), spec.get("fields", ""), book.locale)
    _tidy(sheet)
    return {}


def _set_data_validation(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """setDataValidation: the rule on every cell of the range; no rule clears it."""
    sheet, rows, cols = _grid(book, spec.get("range", {}))
    for r, c in itertools.product(rows, cols):
        sheet.cell(r, c).validation = copy.deepcopy(spec.get("rule"))
    _tidy(sheet)
    return {}


def _add_conditional_format_rule(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """addConditionalFormatRule: the rule at `index` of its sheet's rules."""
    rule = copy.deepcopy(spec.get("rule", {}))
    ranges = rule.get("ranges") or []
    if not ranges:
        raise Invalid("ConditionalFormatRule.ranges must not be empty.")
    sheet, _, _ = _grid(book, ranges[0])
    for other in ranges[1:]:
        _grid(book, other)
    index = min(int(spec.get("index", len(sheet.conditional))), len(sheet.conditional))
    sheet.conditional.insert(index, rule)
    return {}


def _add_protected_range(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """addProtectedRange: replies {"addProtectedRange": {"protectedRange": ...}} with the
    protectedRangeId it was given."""
    protected = copy.deepcopy(spec.get("protectedRange", {}))
    sheet, _, _ = _grid(book, protected.get("range", {}))
    protected.setdefault("protectedRangeId", book.next_id())
    sheet.protected.append(protected)
    return {"addProtectedRange": {"protectedRange": copy.deepcopy(protected)}}


def _update_dimension_properties(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """updateDimensionProperties: the masked DimensionProperties (pixelSize, hiddenByUser)
    of each row or column of the range."""
    rng = spec.get("range", {})
    sheet = book.by_id(int(rng.get("sheetId", 0)))
    dimension = rng.get("dimension", "ROWS")
    size = sheet.rows if dimension == "ROWS" else sheet.cols
    start, end = int(rng.get("startIndex", 0)), int(rng.get("endIndex", size))
    if not 0 <= start <= end <= size:
        raise Invalid(f"Range {start}:{end} exceeds grid limits ({dimension} {size}).")
    paths = _mask(spec.get("fields"))
    for i in range(start, end):
        key = (dimension, i)
        sheet.dimensions[key] = _masked(sheet.dimensions.get(key, {}), spec["properties"], paths)
    return {}


def _add_chart(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """addChart: the EmbeddedChart kept as sent (the fake draws nothing), with a chartId;
    replies {"addChart": {"chart": ...}}."""
    chart = copy.deepcopy(spec.get("chart", {}))
    position = chart.get("position", {})
    anchor = position.get("overlayPosition", {}).get("anchorCell", {})
    sheet_id = anchor.get("sheetId", position.get("sheetId", book.sheets[0].sheet_id))
    sheet = book.by_id(int(sheet_id))
    chart.setdefault("chartId", book.next_id())
    sheet.charts.append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}


def _sort_range(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    sheet, rows, _ = _grid(book, spec["range"])
    order = spec["sortSpecs"][0]
    sort_rows(
        sheet,
        rows.start,
        rows.stop - 1,
        order["dimensionIndex"],
        order.get("sortOrder") != "DESCENDING",
    )
    return {}


def _dimension(book: SpreadsheetState, spec: dict[str, Any], sign: int) -> dict[str, Any]:
    rng = spec["range"]
    if rng.get("dimension") != "ROWS":
        raise ApiError(501, "Inserting or deleting COLUMNS is not modelled by the fake yet")
    sheet = book.by_id(int(rng.get("sheetId", 0)))
    count = rng["endIndex"] - rng["startIndex"]
    shift_rows(sheet, rng["startIndex"], sign * count, bool(spec.get("inheritFromBefore")))
    return {}


def _merge_pieces(rows: range, cols: range, kind: str) -> list[tuple[range, range]]:
    if kind == "MERGE_COLUMNS":
        return [(rows, range(c, c + 1)) for c in cols]
    if kind == "MERGE_ROWS":
        return [(range(r, r + 1), cols) for r in rows]
    return [(rows, cols)]


def _overlaps(merge: dict[str, int], rows: range, cols: range) -> bool:
    return (
        merge["startRowIndex"] < rows.stop
        and rows.start < merge["endRowIndex"]
        and merge["startColumnIndex"] < cols.stop
        and cols.start < merge["endColumnIndex"]
    )


def _merge_cells(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """mergeCells (Sheets reference, MergeCellsRequest: `range`, `mergeType` MERGE_ALL,
    MERGE_COLUMNS or MERGE_ROWS): each piece becomes one cell showing its top-left value;
    the other values are dropped, as Sheets warns when a person merges ("Merging cells will
    only preserve the top-left value"). A range overlapping an existing merge is refused
    with the Sheets API's wording (UNCONFIRMED: as reported by API users)."""
    sheet, rows, cols = _grid(book, spec["range"])
    if any(_overlaps(m, rows, cols) for m in sheet.merges):
        raise Invalid("You must select all cells in a merged range to merge or unmerge them.")
    for piece_rows, piece_cols in _merge_pieces(rows, cols, spec.get("mergeType", "MERGE_ALL")):
        for r, c in itertools.product(piece_rows, piece_cols):
            if (r, c) != (piece_rows.start, piece_cols.start) and (r, c) in sheet.cells:
                sheet.cells[(r, c)].value = None
                sheet.cells[(r, c)].formula = None
        sheet.merges.append(
            {
                "sheetId": sheet.sheet_id,
                "startRowIndex": piece_rows.start,
                "endRowIndex": piece_rows.stop,
                "startColumnIndex": piece_cols.start,
                "endColumnIndex": piece_cols.stop,
            }
        )
    _tidy(sheet)
    return {}


def _unmerge_cells(book: SpreadsheetState, spec: dict[str, Any]) -> dict[str, Any]:
    """unmergeCells (UnmergeCellsRequest: "Unmerges cells in the given range"): every
    merge inside the range goes; one only partly inside is refused, as mergeCells does."""
    sheet, rows, cols = _grid(book, spec["range"])
    inside, partly = [], []
    for m in sheet.merges:
        if not _overlaps(m, rows, cols):
            continue
        whole = (
            rows.start <= m["startRowIndex"]
            and m["endRowIndex"] <= rows.stop
            and cols.start <= m["startColumnIndex"]
            and m["endColumnIndex"] <= cols.stop
        )
        (inside if whole else partly).append(m)
    if partly:
        raise Invalid("You must select all cells in a merged range to merge or unmerge them.")
    sheet.merges = [m for m in sheet.merges if m not in inside]
    return {}


REQUESTS: dict[str, Request] = {
    "updateSpreadsheetProperties": _update_spreadsheet_properties,
    "addSheet": _add_sheet,
    "deleteSheet": _delete_sheet,
    "updateSheetProperties": _update_sheet_properties,
    "updateCells": _update_cells,
    "repeatCell": _repeat_cell,
    "setDataValidation": _set_data_validation,
    "addConditionalFormatRule": _add_conditional_format_rule,
    "addProtectedRange": _add_protected_range,
    "updateDimensionProperties": _update_dimension_properties,
    "addChart": _add_chart,
    "sortRange": _sort_range,
    "mergeCells": _merge_cells,
    "unmergeCells": _unmerge_cells,
    "insertDimension": lambda book, spec: _dimension(book, spec, 1),
    "deleteDimension": lambda book, spec: _dimension(book, spec, -1),
}
