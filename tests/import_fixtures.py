"""The import fixtures (tests/fixtures/imports/*.yaml) as the files a team would have:
an .xlsx workbook built with openpyxl (real date cells with their display format, merged
ranges, tab names as typed), and CSV exports of each tab made by LibreOffice itself."""

from __future__ import annotations

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
from openpyxl.utils import range_boundaries

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "imports").glob("*.yaml"))
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
    wb.properties.creator = "Example Team"
    wb.save(path)
    return path


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
