"""The import fixtures (tests/fixtures/imports/*.yaml) as the files a team would have:
an .xlsx workbook built with openpyxl (real date cells with their display format, merged
ranges, tab names as typed), and CSV exports of each tab made by LibreOffice itself.

Two more shapes, for tools whose export is not a workbook:
- `csv: true`: the tool writes CSV itself (Jira, Asana, Notion). Each tab is written as
  `<tab>.csv`, byte for byte from its rows (UTF-8, comma, CRLF, quoted only when needed),
  so a header that repeats a column name (Jira's `Sprint,Sprint`) stays repeated.
- `json: {...}`: the tool exports JSON (Trello). The object is written to `<stem>.json`,
  where `<stem>` is the fixture's `json_name` or its file stem.
`primary_inputs` gives the file(s) to hand to `mapctl import` for any fixture."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import range_boundaries

ALL_FIXTURES = sorted((Path(__file__).parent / "fixtures" / "imports").glob("*.yaml"))


def _suite(path: Path) -> str:
    head = path.read_text(encoding="utf-8")[:400]
    found = re.search(r"^suite:\s*(\w+)", head, re.M)
    return found.group(1) if found else "import"


# tests/test_import.py checks the first set; tests/test_import_layouts.py checks the
# fixtures marked `suite: layouts` (export formats the importer has yet to learn).
FIXTURES = [p for p in ALL_FIXTURES if _suite(p) == "import"]
LAYOUT_FIXTURES = [p for p in ALL_FIXTURES if _suite(p) == "layouts"]
DATE_FORMATS = {"en_US": "m/d/yyyy", "de_DE": "dd.mm.yyyy", "nl_NL": "d-m-yyyy"}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def build_xlsx(data: dict[str, Any], path: Path) -> Path:
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    default_format = DATE_FORMATS.get(data.get("locale", "en_US"), "dd/mm/yyyy")
    for name, tab in data["tabs"].items():
        ws = wb.create_sheet(title=name)
        shown = tab.get("date_format", default_format)
        for r, row in enumerate(tab.get("rows") or [], start=1):
            for c, value in enumerate(row or [], start=1):
                if value is None or value == "":
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, date | datetime):
                    cell.number_format = shown
                elif isinstance(value, str):
                    cell.data_type = "s"  # typed text stays text, "=..." included
        for merged in tab.get("merged") or []:
            ws.merge_cells(merged)
        for area, number_format in (tab.get("formats") or {}).items():
            for _, ref in cells_in(f"x!{area}"):
                ws[ref].number_format = number_format
        for ref, level in (tab.get("indent") or {}).items():
            # Smartsheet-style hierarchy: the child's name cell is indented and its row
            # sits one outline level below its parent row.
            ws[ref].alignment = Alignment(indent=level)
            ws.row_dimensions[ws[ref].row].outline_level = level
    wb.properties.creator = "Example Team"
    wb.save(path)
    return path


def kind(data: dict[str, Any]) -> str:
    """'json', 'csv' (the tool's own CSV is the input) or 'xlsx'."""
    if data.get("json") is not None:
        return "json"
    return "csv" if data.get("csv") else "xlsx"


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv_tabs(data: dict[str, Any], out: Path) -> list[Path]:
    """Each tab as `<tab>.csv`, exactly as its rows say (repeated headers kept)."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for name, tab in data["tabs"].items():
        path = out / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            for row in tab.get("rows") or []:
                writer.writerow([_csv_text(v) for v in row or []])
        files.append(path)
    return files


def write_json(data: dict[str, Any], stem: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{data.get('json_name', stem)}.json"
    path.write_text(json.dumps(data["json"], indent=2, ensure_ascii=False, default=str))
    return path


def primary_inputs(data: dict[str, Any], stem: str, out: Path) -> list[Path]:
    """The file(s) a team would hand to `mapctl import` for this fixture."""
    shape = kind(data)
    if shape == "json":
        return [write_json(data, stem, out)]
    if shape == "csv":
        return write_csv_tabs(data, out)
    out.mkdir(parents=True, exist_ok=True)
    return [build_xlsx(data, out / f"{stem}.xlsx")]


def csv_exports(books: list[Path], out: Path) -> dict[Path, list[Path]]:
    """Every tab of every workbook as LibreOffice exports CSV (UTF-8, comma, cells as
    shown): one soffice run for all of them. Returns book -> its CSV files in tab order."""
    soffice = shutil.which(os.environ.get("SOFFICE", "soffice"))
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed; tests/run installs it")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                # comma, double quote, UTF-8, ..., cells as shown, every sheet (-1)
                "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1",
                "--outdir",
                str(out),
                *map(str, books),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    made: dict[Path, list[Path]] = {}
    for book in books:
        tabs = list(_tab_names(book))
        files = [out / f"{book.stem}-{_safe(tab)}.csv" for tab in tabs]
        missing = [str(f) for f in files if not f.exists()]
        if missing:
            raise RuntimeError(f"LibreOffice made no {missing}; it made {os.listdir(out)}")
        made[book] = files
    return made


def _tab_names(book: Path) -> list[str]:
    from openpyxl import load_workbook

    return load_workbook(book, read_only=True).sheetnames


def _safe(tab: str) -> str:
    return tab  # LibreOffice names each file <book>-<sheet name>.csv, spaces kept


def cells_in(ref: str) -> list[tuple[str, str]]:
    """'Tab!A10:B10' -> [('Tab', 'A10'), ('Tab', 'B10')]; a tab name may be quoted."""
    tab, _, area = ref.rpartition("!")
    tab = tab.strip("'")
    min_col, min_row, max_col, max_row = range_boundaries(area)
    assert min_col and min_row and max_col and max_row
    from openpyxl.utils import get_column_letter

    return [
        (tab, f"{get_column_letter(c)}{r}")
        for r in range(min_row, max_row + 1)
        for c in range(min_col, max_col + 1)
    ]


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
