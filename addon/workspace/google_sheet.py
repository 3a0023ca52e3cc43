"""The MAP workbook as Sheets API JSON: the Sheet's content, the one spreadsheets.batchUpdate
that builds it in an empty Sheet Drive made, and grids from reads.

Pure: values in, JSON out; the Google workspace sends it. Choices, with their reasons:
- The Sheet is made by Drive files.create in the team's Shared Drive (a service account
  owns nothing, so spreadsheets.create, which lands in the caller's My Drive, is refused),
  then built by one batchUpdate (`build_requests`): the locale and time zone first, then
  every tab, value, format, validation, protection and colour, then Drive's default tab
  goes.
- Formulas are parsed in the spreadsheet's locale when they are written: in comma-decimal
  locales (de_DE, fr_FR, pt_BR...) the argument separator is ";" and "," is a parse
  error. The locale is set before any formula is written and each formula is written with
  the separator that locale expects (`separator`, from CLDR's decimal symbol via Babel).
- Status dropdowns are ONE_OF_LIST with strict false, so "Done - PO pending" is kept.
- Computed columns and the row ids are protected warning-only: editors get a warning,
  never a wall (GOOGLE.md: warningOnly lets editors through).
- Computed values live in a `_sync` tab keyed by row id, one write a sync; each visible
  computed column is one ARRAYFORMULA lookup by row id, so values follow any insert,
  delete or sort the buyer makes (docs/design.md, "Google, in short"; a sort moves values, not
  rows, so nothing row-bound can be trusted).
- Dates are serial numbers with a `d mmm yyyy` format, shown unambiguously in every locale.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from babel.core import UnknownLocaleError
from babel.numbers import get_decimal_symbol

from addon.plan.crm import Deal
from addon.plan.dates import to_serial
from addon.plan.grid import col_letter, find_header, find_tab
from addon.plan.insights import Insights
from addon.plan.models import Cell, Grid
from addon.plan.resources import resource_cells, resource_key
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
    RESOURCES_SUBTITLE,
    ROLLUP_COLUMNS,
    TabContent,
    gap_cells,
    initial_tabs,
    insight_grid,
    rollup_cells,
)
from sheets_schema.vocab import ColumnType
from sheets_schema.workbook import PLAN, RESOURCES, SUMMARY, SUMMARY_FIELDS, Column, Tab

SYNC_TAB = "_sync"
SYNC_KEYS: tuple[str, ...] = ("id", *(c.key for c in PLAN.columns if c.computed))
# The Resources tab's Sync notes, keyed by the row's Link and Resource cells as typed
# (`resource_lookup_key`): a hidden tab the Sync note column's header formula looks up.
RESOURCE_TAB = "_resources"
ROWS = 500  # grid rows per tab; buyers add steps well within it
DATE_PATTERN = "d mmm yyyy"
SHEET_IDS: dict[str, int] = {
    "Plan": 1000,
    "Stakeholders": 2000,
    "Resources": 2500,
    "Risks": 3000,
    "Decision criteria": 4000,
    "Summary": 5000,
    SYNC_TAB: 9000,
    RESOURCE_TAB: 9100,
}
# Tabs a Sheet made before them lacks: a sync adds them (google.py `_repairs`), in this
# order (the hidden table before the tab whose formula reads it).
ADDED_LATER: tuple[str, ...] = (RESOURCE_TAB, RESOURCES.name)
PIXELS_PER_CHAR = 7
DEFAULT_SHEET_ID = 0  # the one tab of a Sheet Drive makes; deleted once ours exist
DATE_FORMAT = {"type": "DATE", "pattern": DATE_PATTERN}


def separator(locale: str) -> str:
    """The function-argument separator a Sheet in `locale` parses: ";" where the decimal
    mark is a comma (a "," would be read as one), else ","."""
    try:
        decimal = get_decimal_symbol(locale or "en_US")
    except (UnknownLocaleError, ValueError):
        decimal = "."
    return ";" if decimal == "," else ","


def _colour(hex_rgb: str) -> dict[str, float]:
    return {
        "red": int(hex_rgb[0:2], 16) / 255,
        "green": int(hex_rgb[2:4], 16) / 255,
        "blue": int(hex_rgb[4:6], 16) / 255,
    }


def quote(title: str) -> str:
    """A tab name as A1 notation needs it: quoted when it is not a plain word."""
    return title if re.fullmatch(r"[A-Za-z0-9_]+", title) else "'" + title.replace("'", "''") + "'"


def _value(value: Cell) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, date):
        return {"numberValue": to_serial(value)}
    if isinstance(value, int | float):
        return {"numberValue": value}
    return {"stringValue": "" if value is None else str(value)}  # text is never a formula


def _cell(value: Cell, **fmt: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {}
    if value not in (None, ""):
        cell["userEnteredValue"] = _value(value)
    is_date_column = fmt.pop("date", False)
    if is_date_column or isinstance(value, date):
        fmt["numberFormat"] = {"type": "DATE", "pattern": DATE_PATTERN}
    if fmt:
        cell["userEnteredFormat"] = fmt
    return cell


HEADER_FORMAT = {
    "backgroundColor": _colour("1F4E79"),
    "wrapStrategy": "WRAP",
    "textFormat": {"bold": True, "foregroundColor": _colour("FFFFFF")},
}
COMPUTED_HEADER = {**HEADER_FORMAT, "backgroundColor": _colour("595959")}
COMPUTED_CELL = {
    "backgroundColor": _colour("EDEDED"),
    "textFormat": {"italic": True, "foregroundColor": _colour("404040")},
}


def lookup_formula(header: str, column: int, locale: str = "en_US") -> str:
    """A visible computed column's one formula, in its header cell: the header text, then
    each row's id looked up in _sync. In the header, a sort of the data rows never moves
    it (a formula in the first data row would travel with that row). Written with the
    argument separator `locale` parses; the array's row separator ";" is the same in
    every locale."""
    first = PLAN.header_row + 1
    ids = f"$A{first}:$A"
    a = separator(locale)
    table = f"{SYNC_TAB}!$A$2:${col_letter(len(SYNC_KEYS) - 1)}"
    return (
        f'={{"{header}";ARRAYFORMULA(IF({ids}=""{a}""{a}IFERROR(VLOOKUP({ids}{a}{table}{a}'
        f'{column}{a}FALSE){a}"")))}}'
    )


# The Resources tab's Sync note column is filled like the Plan's computed columns, by one
# lookup formula in its header, never by writing the rows: a buyer may sort or insert
# rows between our read and our write, and a value written at the row the read saw would
# then land on another document's row. The formula keys each row by its Link and Resource
# cells as typed (`resource_lookup_key`), which move together in any sort, so each note
# follows its row; a row whose cells changed after our read shows no note until the next
# sync writes the new key. No buyer-editable cell is ever written.
RESOURCE_KEY_COLUMNS = ("link", "title")  # joined by RESOURCE_KEY_JOIN, in this order
RESOURCE_KEY_JOIN = "|"


def resource_lookup_key(title: Cell, link: Cell) -> str:
    """What the Sync note formula looks up for a row: its Link and Resource cells joined
    as Sheets' & joins them (text as typed; a blank cell is "")."""
    return f"{_joined(link)}{RESOURCE_KEY_JOIN}{_joined(title)}"


def _joined(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def resource_note_formula(locale: str = "en_US") -> str:
    """The Resources Sync note column's one formula, in its header cell: the header text,
    then each row's note looked up in _resources by its Link and Resource cells, written
    with the argument separator `locale` parses."""
    first = RESOURCES.header_row + 1
    a = separator(locale)
    link = col_letter(RESOURCES.keys.index("link"))
    title = col_letter(RESOURCES.keys.index("title"))
    key = f'${link}{first}:${link}&"{RESOURCE_KEY_JOIN}"&${title}{first}:${title}'
    header = RESOURCES.column("sync_note").header
    return (
        f'={{"{header}";ARRAYFORMULA(IF((${title}{first}:${title}&${link}{first}:${link})=""'
        f'{a}""{a}IFERROR(VLOOKUP({key}{a}{RESOURCE_TAB}!$A$2:$B{a}2{a}FALSE){a}"")))}}'
    )


def _header_cell(tab: Tab, column: Column, locale: str) -> dict[str, Any]:
    if not column.computed or tab is SUMMARY:
        cell = _cell(column.header, **HEADER_FORMAT)
    else:
        cell = _cell(None, **COMPUTED_HEADER)
        if tab is PLAN:
            formula = lookup_formula(column.header, SYNC_KEYS.index(column.key) + 1, locale)
            cell["userEnteredValue"] = {"formulaValue": formula}
        elif tab is RESOURCES and column.key == "sync_note":
            cell["userEnteredValue"] = {"formulaValue": resource_note_formula(locale)}
    if column.note:  # the header's comment, as the .xlsx gives it
        cell["note"] = column.note
    return cell


def _tab(content: TabContent, index: int, locale: str) -> dict[str, Any]:
    tab = content.tab
    sheet_id = SHEET_IDS[tab.name]
    header = tab.header_row - 1
    rows: list[dict[str, Any]] = [
        {"values": [_cell(content.title, textFormat={"bold": True, "fontSize": 14})]},
        {"values": [_cell(content.subtitle, textFormat={"italic": True})]},
        {"values": [_header_cell(tab, c, locale) for c in tab.columns]},
    ]
    for values in content.rows:
        cells = []
        for c in tab.columns:
            if c.computed and tab in (PLAN, RESOURCES):  # filled by the header's formula
                shown = dict(COMPUTED_CELL)
                if c.type is ColumnType.DATE:
                    shown["numberFormat"] = {"type": "DATE", "pattern": DATE_PATTERN}
                cells.append({"userEnteredFormat": shown})
            else:
                cells.append(
                    _cell(
                        values.get(c.key),
                        date=c.type is ColumnType.DATE,
                        wrapStrategy="WRAP",
                        verticalAlignment="TOP",
                    )
                )
        rows.append({"values": cells})
    body: dict[str, Any] = {
        "properties": {
            "sheetId": sheet_id,
            "title": tab.name,
            "index": index,
            "gridProperties": {
                "rowCount": ROWS,
                "columnCount": len(tab.columns),
                "frozenRowCount": tab.header_row,
                "frozenColumnCount": 3 if tab is PLAN else 0,
            },
        },
        "data": [
            {
                "startRow": 0,
                "startColumn": 0,
                "rowData": rows,
                "columnMetadata": [{"pixelSize": c.width * PIXELS_PER_CHAR} for c in tab.columns],
            }
        ],
        "protectedRanges": _protections(tab, sheet_id, header),
    }
    validations = _validations(tab, sheet_id, header)
    if tab is PLAN:
        body["conditionalFormats"] = _health_rules(sheet_id, header)
    return {"body": body, "validations": validations}


def _range(sheet_id: int, first_row: int, col: int, last_row: int = ROWS) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": first_row,
        "endRowIndex": last_row,
        "startColumnIndex": col,
        "endColumnIndex": col + 1,
    }


def _protections(tab: Tab, sheet_id: int, header: int) -> list[dict[str, Any]]:
    if tab is SUMMARY:
        return [
            {
                "range": {"sheetId": sheet_id},
                "warningOnly": True,
                "description": "Filled in by the sync: edit the Plan tab instead.",
            }
        ]
    return [
        {
            "range": _range(sheet_id, header + 1, i),
            "warningOnly": True,
            "description": f"{c.header} is filled in by the sync. Type notes in Notes.",
        }
        for i, c in enumerate(tab.columns)
        if c.computed or (tab is PLAN and c.type is ColumnType.ID)
    ]


def _validations(tab: Tab, sheet_id: int, header: int) -> list[tuple[dict[str, int], Any]]:
    return [
        (
            _range(sheet_id, header + 1, i),
            {
                "condition": {
                    "type": "ONE_OF_LIST",
                    "values": [{"userEnteredValue": v} for v in c.validation],
                },
                "strict": False,
                "showCustomUi": True,
            },
        )
        for i, c in enumerate(tab.columns)
        if c.validation
    ]


def _health_rules(sheet_id: int, header: int) -> list[dict[str, Any]]:
    col = PLAN.keys.index("health")
    return [
        {
            "ranges": [_range(sheet_id, header + 1, col)],
            "booleanRule": {
                "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": label}]},
                "format": {"backgroundColor": _colour(colour)},
            },
        }
        for label, colour in HEALTH_COLOURS.items()
    ]


def create_body(draft: MapDraft) -> dict[str, Any]:
    """The whole MAP Sheet as a Spreadsheet resource (sheets[] with data, protectedRanges
    and conditionalFormats): what `build_requests` writes into the Sheet Drive made, and
    what `grids_of_create` reads back without a call."""
    info = draft.info
    sheets = [
        _tab_body(content, index, info.locale)
        for index, content in enumerate(initial_tabs(info, draft.plan))
    ]
    sheets.append(
        {
            "properties": {
                "sheetId": SHEET_IDS[SYNC_TAB],
                "title": SYNC_TAB,
                "index": len(sheets),
                "hidden": True,
                "gridProperties": {"rowCount": ROWS, "columnCount": len(SYNC_KEYS)},
            },
            "data": [
                {
                    "startRow": 0,
                    "startColumn": 0,
                    "rowData": [{"values": [_cell(k) for k in SYNC_KEYS]}],
                }
            ],
            "protectedRanges": [
                {
                    "range": {"sheetId": SHEET_IDS[SYNC_TAB]},
                    "warningOnly": True,
                    "description": "Written by the sync; the Plan tab reads it.",
                }
            ],
        }
    )
    sheets.append(_resource_table_body(len(sheets)))
    return {
        "properties": {
            "title": f"MAP - {info.buyer_company} - {info.deal}",
            "locale": info.locale,
            "timeZone": info.time_zone,
        },
        "sheets": sheets,
    }


def _tab_body(content: TabContent, index: int, locale: str) -> dict[str, Any]:
    """One tab as a Sheet resource, each data row's cells carrying their dropdown."""
    built = _tab(content, index, locale)
    for rng, rule in built["validations"]:  # CellData carries its own dataValidation
        rows = built["body"]["data"][0]["rowData"]
        col = rng["startColumnIndex"]
        for r in range(rng["startRowIndex"], len(rows)):
            cells = rows[r]["values"]
            while len(cells) <= col:
                cells.append({})
            cells[col]["dataValidation"] = rule
    body: dict[str, Any] = built["body"]
    return body


def _resource_table_body(index: int) -> dict[str, Any]:
    """The hidden _resources tab: a row's lookup key and its Sync note, one row each."""
    return {
        "properties": {
            "sheetId": SHEET_IDS[RESOURCE_TAB],
            "title": RESOURCE_TAB,
            "index": index,
            "hidden": True,
            "gridProperties": {"rowCount": ROWS, "columnCount": 3},
        },
        "data": [
            {
                "startRow": 0,
                "startColumn": 0,
                "rowData": [{"values": [_cell("key"), _cell("note"), _cell("resource")]}],
            }
        ],
        "protectedRanges": [
            {
                "range": {"sheetId": SHEET_IDS[RESOURCE_TAB]},
                "warningOnly": True,
                "description": "Written by the sync; the Resources tab reads it.",
            }
        ],
    }


def added_tab_requests(missing: Sequence[str], locale: str, index: int) -> list[dict[str, Any]]:
    """batchUpdate requests adding the tabs of ADDED_LATER that a Sheet made before them
    lacks (the Resources tab, empty, and its hidden table), as a new Sheet has them: header,
    formula in the Sheet's `locale`, dropdowns, warning-only protection, date format.
    `index`: where the first goes (after the buyer's tabs)."""
    sheets: list[dict[str, Any]] = []
    for name in ADDED_LATER:
        if name not in missing:
            continue
        if name == RESOURCE_TAB:
            body = _resource_table_body(index + len(sheets))
        else:
            content = TabContent(RESOURCES, RESOURCES.name, RESOURCES_SUBTITLE, [])
            body = _tab_body(content, index + len(sheets), locale)
            for rng, rule in _validations(RESOURCES, SHEET_IDS[RESOURCES.name], 2):
                body.setdefault("validations", []).append((rng, rule))
        sheets.append(body)
    requests: list[dict[str, Any]] = []
    for sheet in sheets:
        extra = sheet.pop("validations", [])
        requests += _sheet_requests(sheet)
        # Rows a buyer adds below get the dropdowns too (the build gives them to its rows).
        requests += [{"setDataValidation": {"range": rng, "rule": rule}} for rng, rule in extra]
    if RESOURCES.name in missing:
        requests += _column_dates(RESOURCES)
    return requests


def _column_dates(tab: Tab) -> list[dict[str, Any]]:
    first = tab.header_row  # 0-based: the first data row
    return [
        {
            "repeatCell": {
                "range": _range(SHEET_IDS[tab.name], first, i),
                "cell": {"userEnteredFormat": {"numberFormat": DATE_FORMAT}},
                "fields": "userEnteredFormat.numberFormat",
            }
        }
        for i, c in enumerate(tab.columns)
        if c.type is ColumnType.DATE
    ]


def _date_formats() -> list[dict[str, Any]]:
    """Whole-column date formats: every row of the Plan's date columns below the header
    (so a row a buyer adds shows its dates as dates too: a RAW write sets no format), and
    the Summary's date values."""
    first = PLAN.header_row  # 0-based: the first data row
    plan = [
        _range(SHEET_IDS[PLAN.name], first, i)
        for i, c in enumerate(PLAN.columns)
        if c.type is ColumnType.DATE
    ]
    dated = {"target_close", "projected_close", "last_buyer_update", "last_sync"}
    summary = [
        _range(SHEET_IDS[SUMMARY.name], SUMMARY.header_row + i, 1, SUMMARY.header_row + i + 1)
        for i, f in enumerate(SUMMARY_FIELDS)
        if f.key in dated
    ]
    return [
        {
            "repeatCell": {
                "range": rng,
                "cell": {"userEnteredFormat": {"numberFormat": DATE_FORMAT}},
                "fields": "userEnteredFormat.numberFormat",
            }
        }
        for rng in (*plan, *summary)
    ] + _column_dates(RESOURCES)


def _sheet_requests(sheet: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One tab of a Spreadsheet resource as batchUpdate requests: addSheet, its cells,
    column widths, protections, conditional formats and charts."""
    requests: list[dict[str, Any]] = []
    sheet_id = sheet["properties"]["sheetId"]
    requests.append({"addSheet": {"properties": sheet["properties"]}})
    for data in sheet.get("data", []):
        if data.get("rowData"):
            requests.append(
                {
                    "updateCells": {
                        "start": {
                            "sheetId": sheet_id,
                            "rowIndex": data.get("startRow", 0),
                            "columnIndex": data.get("startColumn", 0),
                        },
                        "rows": data["rowData"],
                        "fields": "userEnteredValue,userEnteredFormat,dataValidation,note",
                    }
                }
            )
        for i, meta in enumerate(data.get("columnMetadata", [])):
            requests.append(
                {
                    "updateDimensionProperties": {
                        "range": {
                            "sheetId": sheet_id,
                            "dimension": "COLUMNS",
                            "startIndex": data.get("startColumn", 0) + i,
                            "endIndex": data.get("startColumn", 0) + i + 1,
                        },
                        "properties": {"pixelSize": meta["pixelSize"]},
                        "fields": "pixelSize",
                    }
                }
            )
    requests += [
        {"addProtectedRange": {"protectedRange": p}} for p in sheet.get("protectedRanges", [])
    ]
    requests += [
        {"addConditionalFormatRule": {"rule": rule, "index": i}}
        for i, rule in enumerate(sheet.get("conditionalFormats", []))
    ]
    requests += [{"addChart": {"chart": chart}} for chart in sheet.get("charts", [])]
    return requests


def build_requests(
    body: Mapping[str, Any], *, then: Sequence[Mapping[str, Any]] = (), dates: bool = True
) -> list[dict[str, Any]]:
    """One spreadsheets.batchUpdate that turns the empty Sheet Drive made into `body` (a
    Spreadsheet resource as create_body or rollup_create_body give it): the locale and time
    zone first, so each formula after it parses as written for that locale; each tab
    with its values, formats and validations (updateCells), column widths, protections,
    colours and charts; whole-column date formats; then `then` (the first sync's values);
    last, Drive's default tab goes (a Sheet must keep one tab, so ours come first).
    Requests in one batchUpdate apply in order and atomically: all of it, or nothing."""
    props = body.get("properties", {})
    settings = {k: props[k] for k in ("locale", "timeZone") if props.get(k)}
    requests: list[dict[str, Any]] = []
    if settings:
        requests.append(
            {
                "updateSpreadsheetProperties": {
                    "properties": settings,
                    "fields": ",".join(settings),
                }
            }
        )
    for sheet in body.get("sheets", []):
        requests += _sheet_requests(sheet)
    if dates:
        requests += _date_formats()
    requests += [dict(r) for r in then]
    requests.append({"deleteSheet": {"sheetId": DEFAULT_SHEET_ID}})
    return requests


_A1_CELL = re.compile(r"^\$?([A-Z]+)\$?(\d+)")


def _tab_of(range_a1: str) -> tuple[str, str]:
    name, _, cells = range_a1.rpartition("!")
    if name.startswith("'") and name.endswith("'"):
        name = name[1:-1].replace("''", "'")
    return name, cells


def values_as_cells(write: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A RAW values.batchUpdate body as updateCells requests, so it can ride in the build's
    batchUpdate: text as stringValue (never parsed: a buyer's "=..." stays text, as RAW
    keeps it), numbers as numberValue, "" clears the value; formats are left alone."""
    out = []
    for data in write.get("data", []):
        name, cells = _tab_of(str(data["range"]))
        m = _A1_CELL.match(cells)
        if m is None or name not in SHEET_IDS:
            raise ValueError(f"not a MAP range: {data['range']}")
        col = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(m[1]))) - 1
        rows = [
            {
                "values": [
                    {"userEnteredValue": _value(v)} if v not in (None, "") else {} for v in row
                ]
            }
            for row in data.get("values", [])
        ]
        out.append(
            {
                "updateCells": {
                    "start": {
                        "sheetId": SHEET_IDS[name],
                        "rowIndex": int(m[2]) - 1,
                        "columnIndex": col,
                    },
                    "rows": rows,
                    "fields": "userEnteredValue",
                }
            }
        )
    return out


def read_ranges(without: Sequence[str] = ()) -> list[str]:
    """What one values.batchGet asks for: every buyer tab and the sync tabs, whole
    (`without`: tabs a Sheet made before them lacks, until a sync adds them)."""
    return [quote(t) for t in SHEET_IDS if t not in without]


def read_params(without: Sequence[str] = ()) -> dict[str, Any]:
    """The one values.batchGet a sync makes: every tab, dates as serial numbers."""
    return {
        "ranges": read_ranges(without),
        "valueRenderOption": "UNFORMATTED_VALUE",
        "dateTimeRenderOption": "SERIAL_NUMBER",
    }


def grids_of(batch_get: Mapping[str, Any]) -> dict[str, Grid]:
    """A values.batchGet answer as grids by tab name (a range with no values is [])."""
    grids: dict[str, Grid] = {}
    for value_range in batch_get.get("valueRanges", []):
        name = str(value_range["range"]).rsplit("!", 1)[0]
        if name.startswith("'") and name.endswith("'"):
            name = name[1:-1].replace("''", "'")
        grids[name] = [list(row) for row in value_range.get("values", [])]
    return grids


def raw(value: Cell) -> Any:
    """A value as a RAW values write sends it: dates as serial numbers."""
    if isinstance(value, date):
        return to_serial(value)
    return "" if value is None else value


def resource_table(
    notes: Mapping[str, str | None], rows: Sequence[tuple[Cell, Cell]]
) -> list[list[str]]:
    """The _resources tab's rows: for each Resources row as the sync read it, (title,
    link) as typed, its note looked up by `resource_key` and stored under the key the
    Sync note formula looks up (`resource_lookup_key`); rows without a note are left out
    (the formula shows nothing for them). Sorted, one row per key; the third column keeps
    the row's `resource_key`, so a later read can tell a note lost to retyping
    (`stale_notes`)."""
    table: dict[str, tuple[str, str]] = {}
    for title, link in rows:
        key = resource_key(title, link)
        note = notes.get(key)
        if note:
            table.setdefault(resource_lookup_key(title, link), (note, key))
    return [[k, *table[k]] for k in sorted(table)]


def stale_notes(grids: Mapping[str, Grid]) -> bool:
    """Whether a Resources row lost its note to an edit the sync does not count as a
    change: its cells were retyped (a new title for the same link) so the formula's key
    is no longer in _resources, while its note, kept under the row's `resource_key` in
    the table's third column, is. Then the table must be written again though no note
    changed. Read from the one batchGet: no call."""
    cells = resource_cells(grids)
    table = grids.get(RESOURCE_TAB, [])[1:]
    if not cells or not table:
        return False
    looked_up = {str(row[0]) for row in table if row}
    noted = {str(row[2]) for row in table if len(row) > 2 and len(row) > 1 and row[1]}
    return any(
        resource_key(title, link) in noted and resource_lookup_key(title, link) not in looked_up
        for title, link in cells
    )


def blocked_notes(grids: Mapping[str, Grid]) -> tuple[dict[str, Grid], list[str]]:
    """Text a buyer typed under the Resources Sync note header blocks its array (#REF! in
    the header), as on the Plan (`unblock`): the header text is restored for the parser,
    which keeps the typed text in the row's note, and the cells (A1) are cleared by the
    write. Only computed cells are ever cleared."""
    out = {name: [list(r) for r in grid] for name, grid in grids.items()}
    found = find_tab(out, RESOURCES)
    header = find_header(found[1], RESOURCES) if found else None
    if found is None or header is None or "sync_note" in header.columns:
        return out, []
    name, grid = found
    row = grid[header.row]
    col = RESOURCES.keys.index("sync_note")
    shown = row[col] if col < len(row) else None
    if not (isinstance(shown, str) and shown.startswith("#REF!")):
        return out, []
    row[col] = RESOURCES.column("sync_note").header
    clear = [
        f"{quote(name)}!{col_letter(col)}{r + 1}"
        for r in range(header.row + 1, len(grid))
        if col < len(grid[r]) and grid[r][col] not in (None, "")
    ]
    return out, clear


def lost_note_header(grids: Mapping[str, Grid]) -> tuple[dict[str, Grid], int | None, list[str]]:
    """The Resources Sync note header's formula, typed over or cleared by a buyer (the
    cell shows neither "Sync note" nor #REF!, with the buyer's columns where we put
    them): the grids with the header text back for the parser, the header's row (the
    write puts the formula back there, as the Plan's `lost_headers`), and the cells
    (A1) typed under it, which would block the formula written back: the parser keeps
    their text in the row's note, the write clears them. (None, []) when nothing is lost."""
    out = {name: [list(r) for r in grid] for name, grid in grids.items()}
    found = find_tab(out, RESOURCES)
    header = find_header(found[1], RESOURCES) if found else None
    if found is None or header is None or "sync_note" in header.columns:
        return out, None, []
    col = RESOURCES.keys.index("sync_note")
    if any(header.columns.get(k) != i for i, k in enumerate(RESOURCES.keys[:col])):
        return out, None, []  # columns moved: where the formula belongs is not known
    name, grid = found
    row = grid[header.row]
    shown = row[col] if col < len(row) else None
    if isinstance(shown, str) and shown.startswith("#REF!"):
        return out, None, []  # blocked, not lost (`blocked_notes`)
    row.extend([""] * (col + 1 - len(row)))
    row[col] = RESOURCES.column("sync_note").header
    typed = [
        f"{quote(name)}!{col_letter(col)}{r + 1}"
        for r in range(header.row + 1, len(grid))
        if col < len(grid[r]) and grid[r][col] not in (None, "")
    ]
    return out, header.row, typed


def note_formula_cell(row: int, locale: str) -> dict[str, Any]:
    """The updateCells request writing the Sync note header's formula back at `row`."""
    return {
        "updateCells": {
            "start": {
                "sheetId": SHEET_IDS[RESOURCES.name],
                "rowIndex": row,
                "columnIndex": RESOURCES.keys.index("sync_note"),
            },
            "rows": [
                {"values": [{"userEnteredValue": {"formulaValue": resource_note_formula(locale)}}]}
            ],
            "fields": "userEnteredValue",
        }
    }


def write_body(
    write: ComputedWrite,
    *,
    previous_rows: int = 0,
    id_column: int = 0,
    clear: Sequence[str] = (),
    resources: Sequence[list[str]] | None = None,
    previous_resources: int = ROWS - 1,
) -> dict[str, Any]:
    """One values.batchUpdate: the _sync tab keyed by row id, the Summary, new row ids.

    RAW, so a buyer's text that starts with "=" stays text; dates as serial numbers. Rows
    left over from a longer earlier write are cleared. A new row's id is written at the
    row the read saw it on (the one position-bound write; see the issue notes)."""
    table = [
        [sid, *(raw(write.rows[sid].get(k)) for k in SYNC_KEYS[1:])] for sid in sorted(write.rows)
    ]
    table += [[""] * len(SYNC_KEYS)] * max(0, previous_rows - len(table))
    data: list[dict[str, Any]] = []
    if table:
        last = col_letter(len(SYNC_KEYS) - 1)
        data.append({"range": f"{SYNC_TAB}!A2:{last}{len(table) + 1}", "values": table})
    if write.summary:
        first = SUMMARY.header_row + 1
        data.append(
            {
                "range": f"{SUMMARY.name}!A{first}:B{first + len(write.summary) - 1}",
                "values": [[label, raw(value)] for label, value in write.summary],
            }
        )
    if resources is not None:  # the Resources Sync notes' table; leftover rows cleared
        rows = [*resources, *[["", "", ""]] * max(0, previous_resources - len(resources))]
        rows = rows[: ROWS - 1]
        if rows:
            data.append({"range": f"{RESOURCE_TAB}!A2:C{len(rows) + 1}", "values": rows})
    for cell in clear:  # typed text blocking a computed column, kept by the parser
        data.append({"range": cell, "values": [[""]]})
    for assignment in write.ids:
        data.append(
            {
                "range": f"{PLAN.name}!{col_letter(id_column)}{assignment.row + 1}",
                "values": [[assignment.new]],
            }
        )
    return {"valueInputOption": "RAW", "data": data}


ROLLUP_TAB = "Roll-up"
ROLLUP_SHEET_ID = 100
ROLLUP_ROWS = 2000
ROLLUP_HEADER_ROW = 3  # 1-based, as in the .xlsx roll-up
GAP_SHEET_ID = 101
# appProperties mapRollupLayout: 2 added the CRM columns and the No MAP tab, 3 the Insights tab,
# 4 the Resources missing column (an older roll-up's grid has one column too few)
ROLLUP_LAYOUT = "4"
INSIGHTS_SHEET_ID = 102
INSIGHT_ROWS = 90  # the Insights tab is written whole, this many rows, every time
INSIGHT_COLUMNS = 12


def _rollup_range(col: int) -> dict[str, Any]:
    return {
        "sources": [
            {
                "sheetId": ROLLUP_SHEET_ID,
                "startRowIndex": ROLLUP_HEADER_ROW - 1,
                "endRowIndex": ROLLUP_ROWS,
                "startColumnIndex": col,
                "endColumnIndex": col + 1,
            }
        ]
    }


def _insight_range(col: int) -> dict[str, Any]:
    """The Insights tab's steps table (its header and INSIGHT_STEPS rows), one column."""
    return {
        "sources": [
            {
                "sheetId": INSIGHTS_SHEET_ID,
                "startRowIndex": INSIGHT_STEP_HEADER - 1,
                "endRowIndex": INSIGHT_STEP_HEADER + INSIGHT_STEPS,
                "startColumnIndex": col,
                "endColumnIndex": col + 1,
            }
        ]
    }


def rollup_create_body(title: str) -> dict[str, Any]:
    """The roll-up Sheet, made once: the tab, its header, and the health-score chart
    (EmbeddedChart in Sheet.charts, so no second call is needed for it)."""
    keys = [k for k, _, _ in ROLLUP_COLUMNS]
    return {
        "properties": {"title": title},
        "sheets": [
            {
                "properties": {
                    "sheetId": ROLLUP_SHEET_ID,
                    "title": ROLLUP_TAB,
                    "index": 0,
                    "gridProperties": {
                        "rowCount": ROLLUP_ROWS,
                        "columnCount": len(ROLLUP_COLUMNS),
                        "frozenRowCount": ROLLUP_HEADER_ROW,
                        "frozenColumnCount": 2,
                    },
                },
                "data": [
                    {
                        "startRow": 0,
                        "startColumn": 0,
                        "rowData": [
                            {"values": [_cell(title, textFormat={"bold": True, "fontSize": 14})]},
                            {"values": []},
                            {"values": [_cell(h, **HEADER_FORMAT) for _, h, _ in ROLLUP_COLUMNS]},
                        ],
                        "columnMetadata": [
                            {"pixelSize": w * PIXELS_PER_CHAR} for _, _, w in ROLLUP_COLUMNS
                        ],
                    }
                ],
                "charts": [
                    {
                        "spec": {
                            "title": "Health score by MAP (lower is riskier)",
                            "basicChart": {
                                "chartType": "BAR",
                                "legendPosition": "NO_LEGEND",
                                "headerCount": 1,
                                "axis": [{"position": "BOTTOM_AXIS", "title": "Score (0-100)"}],
                                "domains": [
                                    {"domain": {"sourceRange": _rollup_range(keys.index("deal"))}}
                                ],
                                "series": [
                                    {"series": {"sourceRange": _rollup_range(keys.index("score"))}}
                                ],
                            },
                        },
                        "position": {
                            "overlayPosition": {
                                "anchorCell": {
                                    "sheetId": ROLLUP_SHEET_ID,
                                    "rowIndex": 1,
                                    "columnIndex": len(ROLLUP_COLUMNS) + 1,
                                }
                            }
                        },
                    }
                ],
            },
            {
                "properties": {
                    "sheetId": GAP_SHEET_ID,
                    "title": GAP_TAB,
                    "index": 1,
                    "gridProperties": {
                        "rowCount": ROLLUP_ROWS,
                        "columnCount": len(GAP_COLUMNS),
                        "frozenRowCount": ROLLUP_HEADER_ROW,
                    },
                },
                "data": [
                    {
                        "startRow": 0,
                        "startColumn": 0,
                        "rowData": [
                            {
                                "values": [
                                    _cell(GAP_TITLE, textFormat={"bold": True, "fontSize": 14})
                                ]
                            },
                            {"values": []},
                            {"values": [_cell(h, **HEADER_FORMAT) for _, h, _ in GAP_COLUMNS]},
                        ],
                        "columnMetadata": [
                            {"pixelSize": w * PIXELS_PER_CHAR} for _, _, w in GAP_COLUMNS
                        ],
                    }
                ],
            },
            {
                "properties": {
                    "sheetId": INSIGHTS_SHEET_ID,
                    "title": INSIGHTS_TAB,
                    "index": 2,
                    "gridProperties": {
                        "rowCount": INSIGHT_ROWS,
                        "columnCount": INSIGHT_COLUMNS + 10,
                        "frozenRowCount": 2,
                    },
                },
                "charts": [
                    {
                        "spec": {
                            "title": "Days of close each step cost (median per plan)",
                            "basicChart": {
                                "chartType": "BAR",
                                "legendPosition": "NO_LEGEND",
                                "headerCount": 1,
                                "axis": [{"position": "BOTTOM_AXIS", "title": "Days"}],
                                "domains": [{"domain": {"sourceRange": _insight_range(0)}}],
                                "series": [{"series": {"sourceRange": _insight_range(10)}}],
                            },
                        },
                        "position": {
                            "overlayPosition": {
                                "anchorCell": {
                                    "sheetId": INSIGHTS_SHEET_ID,
                                    "rowIndex": INSIGHT_STEP_HEADER - 1,
                                    "columnIndex": INSIGHT_COLUMNS + 1,
                                }
                            }
                        },
                    }
                ],
            },
        ],
    }


def rollup_write_body(
    rows: Sequence[RollupRow],
    today: date,
    previous_rows: int = 0,
    gaps: Sequence[tuple[Deal, str]] = (),
    previous_gaps: int = 0,
    insights: Insights | None = None,
) -> dict[str, Any]:
    """One RAW write: the as-of line and one row per MAP (dates as ISO text, which sorts),
    and the No MAP tab's deals; rows beyond the Sheet's grid are a clear error, not a
    silent cut."""
    for count, what in ((len(rows), "MAPs"), (len(gaps), "deals without a MAP")):
        if count > ROLLUP_ROWS - ROLLUP_HEADER_ROW:
            raise ValueError(
                f"{count} {what} do not fit the roll-up Sheet's {ROLLUP_ROWS} rows; "
                "raise ROLLUP_ROWS in addon/workspace/google_sheet.py and make a new roll-up"
            )
    previous_rows = min(previous_rows, ROLLUP_ROWS - ROLLUP_HEADER_ROW)
    values = [[_rollup_value(rollup_cells(r).get(k)) for k, _, _ in ROLLUP_COLUMNS] for r in rows]
    values += [[""] * len(ROLLUP_COLUMNS)] * max(0, previous_rows - len(values))
    data: list[dict[str, Any]] = [
        {
            "range": f"{quote(ROLLUP_TAB)}!A2",
            "values": [
                [f"As of {today.isoformat()} · {len(rows)} MAPs · seller-only: do not share"]
            ],
        }
    ]
    if values:
        first = ROLLUP_HEADER_ROW + 1
        data.append(
            {
                "range": f"{quote(ROLLUP_TAB)}!A{first}:"
                f"{col_letter(len(ROLLUP_COLUMNS) - 1)}{first + len(values) - 1}",
                "values": values,
            }
        )
    first = ROLLUP_HEADER_ROW + 1
    previous_gaps = min(previous_gaps, ROLLUP_ROWS - ROLLUP_HEADER_ROW)
    listed = [
        [_rollup_value(gap_cells(d, why).get(k)) for k, _, _ in GAP_COLUMNS] for d, why in gaps
    ]
    listed += [[""] * len(GAP_COLUMNS)] * max(0, previous_gaps - len(listed))
    data.append(
        {
            "range": f"{quote(GAP_TAB)}!A2",
            "values": [
                [f"As of {today.isoformat()} · {len(gaps)} deals · from the CRM's last sync"]
            ],
        }
    )
    if listed:
        data.append(
            {
                "range": f"{quote(GAP_TAB)}!A{first}:"
                f"{col_letter(len(GAP_COLUMNS) - 1)}{first + len(listed) - 1}",
                "values": listed,
            }
        )
    if insights is not None:
        grid = [[_rollup_value(v) for v in row][:INSIGHT_COLUMNS] for row in insight_grid(insights)]
        grid = grid[:INSIGHT_ROWS]
        grid = [row + [""] * (INSIGHT_COLUMNS - len(row)) for row in grid]
        grid += [[""] * INSIGHT_COLUMNS] * (INSIGHT_ROWS - len(grid))
        data.append(
            {
                "range": f"{quote(INSIGHTS_TAB)}!A1:"
                f"{col_letter(INSIGHT_COLUMNS - 1)}{INSIGHT_ROWS}",
                "values": grid,
            }
        )
    return {"valueInputOption": "RAW", "data": data}


def _rollup_value(value: Cell) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


_ARRAY_HEADER = re.compile(r'^=\{"((?:[^"]|"")*)";')


def grids_of_create(body: Mapping[str, Any]) -> dict[str, Grid]:
    """What one values.batchGet (UNFORMATTED_VALUE) returns right after `body` was created,
    so the create's first sync needs no read: typed values as they were sent, a lookup
    header showing its header text (its array is still empty), trailing blanks dropped."""
    grids: dict[str, Grid] = {}
    for sheet in body.get("sheets", []):
        grid: Grid = []
        for data in sheet.get("data", []):
            for row in data.get("rowData", []):
                values: list[Cell] = []
                for cell in row.get("values", []):
                    entered = cell.get("userEnteredValue", {})
                    if "formulaValue" in entered:
                        m = _ARRAY_HEADER.match(entered["formulaValue"])
                        values.append(m[1].replace('""', '"') if m else "")
                    else:
                        values.append(
                            entered.get(
                                "stringValue", entered.get("numberValue", entered.get("boolValue"))
                            )
                        )
                while values and values[-1] in (None, ""):
                    values.pop()
                grid.append(["" if v is None else v for v in values])
        while grid and not grid[-1]:
            grid.pop()
        grids[sheet["properties"]["title"]] = grid
    return grids


def merges_blocking(
    book: Mapping[str, Any], blocked: Sequence[int], header_row: int
) -> list[dict[str, int]]:
    """From a spreadsheets.get answer (sheets' properties and merges): the Plan tab's
    merged ranges below the header that cover a blocked computed column, as GridRanges."""
    for sheet in book.get("sheets", []):
        if sheet.get("properties", {}).get("sheetId") != SHEET_IDS[PLAN.name]:
            continue
        return [
            dict(m)
            for m in sheet.get("merges", [])
            if m.get("endRowIndex", 0) > header_row + 1
            and any(m.get("startColumnIndex", 0) <= c < m.get("endColumnIndex", 0) for c in blocked)
        ]
    return []


def _header_row(grids: Mapping[str, Grid]) -> tuple[list[Cell], int] | None:
    """The Plan's header row as read (the row that starts with our ID header), and its
    index; None when the buyer deleted it."""
    found = find_tab(grids, PLAN)
    if found is None:
        return None
    for r, row in enumerate(found[1][:20]):
        if row and isinstance(row[0], str) and row[0].strip() == PLAN.columns[0].header:
            return row, r
    return None


def blocked_columns(grids: Mapping[str, Grid]) -> tuple[list[int], int]:
    """The Plan header's cells that show #REF! (a computed column's array could not
    fill), and the header's row index."""
    found = _header_row(grids)
    if found is None:
        return [], 0
    row, r = found
    return [i for i, v in enumerate(row) if isinstance(v, str) and v.startswith("#REF!")], r


def lost_headers(grids: Mapping[str, Grid]) -> tuple[list[int], int]:
    """Computed columns whose header formula is gone (the buyer typed over it or cleared
    it: the cell shows neither our header nor #REF!), and the header's row index. Without
    its formula a column stays empty whatever the sync writes."""
    found = _header_row(grids)
    if found is None:
        return [], 0
    row, r = found
    lost = []
    for i, column in enumerate(PLAN.columns):
        shown = str(row[i]) if i < len(row) and row[i] is not None else ""
        if column.computed and shown != column.header and not shown.startswith("#REF!"):
            lost.append(i)
    return lost, r


def restore_headers(grids: Mapping[str, Grid], lost: Sequence[int], r: int) -> dict[str, Grid]:
    """The grids with our header text back where a header formula was lost, so the parser
    finds every column (the write puts the formulas back)."""
    out = {name: [list(row) for row in grid] for name, grid in grids.items()}
    found = find_tab(out, PLAN)
    if found is None or not lost:
        return out
    row = found[1][r]
    for i in lost:
        row.extend([""] * (i + 1 - len(row)))
        row[i] = PLAN.columns[i].header
    return out


def typed_under(grids: Mapping[str, Grid], columns: Sequence[int], r: int) -> list[str]:
    """The cells (A1) below row `r` that hold something in these columns: with a column's
    header formula gone nothing spills there, so all of it was typed, and it would block
    the formula written back. The parser keeps it; the write clears it."""
    found = find_tab(grids, PLAN)
    if found is None:
        return []
    name, grid = found
    return [
        f"{quote(name)}!{col_letter(i)}{row + 1}"
        for i in columns
        for row in range(r + 1, len(grid))
        if i < len(grid[row]) and grid[row][i] not in (None, "")
    ]


def formula_cells(cells: Sequence[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """updateCells requests writing formulas into the Plan tab at (row, column)."""
    return [
        {
            "updateCells": {
                "start": {"sheetId": SHEET_IDS[PLAN.name], "rowIndex": r, "columnIndex": c},
                "rows": [{"values": [{"userEnteredValue": {"formulaValue": formula}}]}],
                "fields": "userEnteredValue",
            }
        }
        for r, c, formula in cells
    ]


def unblock(grids: Mapping[str, Grid]) -> tuple[dict[str, Grid], list[str]]:
    """Text a buyer typed under a computed column's header formula stops its array from
    spilling: Sheets shows #REF! in the header and nothing else in that column. Restore
    the header text, so the parser finds the column and keeps the typed text, and say
    which cells to clear (A1) so the column shows values again after our write. The
    typed cells are the only non-empty ones below a blocked header: nothing spilled."""
    out = {name: [list(r) for r in grid] for name, grid in grids.items()}
    found = find_tab(out, PLAN)
    header = find_header(found[1], PLAN) if found else None
    if found is None or header is None:
        return out, []
    name, grid = found
    row = grid[header.row]
    missing = [c for c in PLAN.columns if c.computed and c.key not in header.columns]
    blocked = [i for i, v in enumerate(row) if isinstance(v, str) and v.startswith("#REF!")]
    clear: list[str] = []
    for column, i in zip(missing, blocked, strict=False):
        row[i] = column.header
        for r in range(header.row + 1, len(grid)):
            if i < len(grid[r]) and grid[r][i] not in (None, ""):
                clear.append(f"{quote(name)}!{col_letter(i)}{r + 1}")
    return out, clear
