"""Reading a spreadsheet to import: .xlsx and .csv files, a Trello board's JSON, and telling
a Google Sheet's id from a path. Thin: bytes in, a Source (grids, merged ranges and row
outline levels) out."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from addon.errors import InputError
from addon.plan.adopt import Source
from addon.plan.adopt.exports import is_trello, trello_grids
from addon.plan.cells import cell_text
from addon.plan.models import Grid
from addon.workspace.xlsx import source_grids

_SHEET_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]{20,})")
_SHEET_ID = re.compile(r"^[A-Za-z0-9_-]{25,}$")


def sheet_id(text: str) -> str | None:
    """A Google Sheet's id from its URL or the id itself; None for anything else."""
    if m := _SHEET_URL.search(text):
        return m[1]
    return text if _SHEET_ID.match(text) else None


def source_keys(source: Source, drive_id: str | None = None) -> list[str]:
    """What identifies a plan across imports: its Drive file id when it has one, and a hash
    of its cells (tab names and each cell's text, trailing blanks dropped): the same file
    again, or a copy of it, has the same cells even where its bytes differ."""
    digest = hashlib.sha256()
    for title in sorted(source.grids):
        digest.update(b"\x1e" + title.strip().lower().encode())
        for row in source.grids[title]:
            texts = [cell_text(v).strip() for v in row]
            while texts and not texts[-1]:
                texts.pop()
            if texts:
                digest.update(b"\x1d" + "\x1f".join(texts).encode())
    keys = [f"cells:{digest.hexdigest()[:48]}"]
    return [f"drive:{drive_id}", *keys] if drive_id else keys


def read_files(paths: Sequence[Path]) -> Source:
    """One .xlsx workbook, one or more .csv files (each a tab named after the file), or a
    Trello board's JSON export."""
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise InputError("file", f"no file {missing[0]}; give the path of an .xlsx or .csv file")
    if len(paths) == 1 and paths[0].read_bytes().lstrip()[:1] in (b"{", b"["):
        return json_source(paths[0].read_bytes(), paths[0].name)
    books = [p for p in paths if p.read_bytes()[:2] == b"PK"]
    if books and len(paths) > 1:
        raise InputError("file", "give one .xlsx workbook, or one or more .csv files, not both")
    if books:
        try:
            grids, merges = source_grids(books[0].read_bytes())
        except ValueError as exc:
            raise InputError("file", f"{books[0].name}: {exc}") from None
        return Source(books[0].name, grids, merges, outline_levels(books[0].read_bytes()))
    return Source(
        paths[0].name if len(paths) == 1 else ", ".join(p.name for p in paths),
        {p.stem: csv_grid(p.read_bytes(), p.name) for p in paths},
    )


def csv_grid(data: bytes, name: str) -> Grid:
    """A CSV export as a grid: UTF-8 (with or without a BOM) else Windows-1252; the comma,
    semicolon or tab it was written with."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise InputError("file", f"{name} is not a text CSV file; export the sheet as CSV")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: Grid = []
    for row in csv.reader(io.StringIO(text, newline=""), dialect):
        cells: list[Any] = list(row)
        while cells and not str(cells[-1]).strip():
            cells.pop()
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def outline_levels(data: bytes) -> dict[str, dict[int, int]]:
    """Each tab's grouped rows (0-based row -> outline level): a Smartsheet or MS Project
    export puts a parent's tasks one level below it. Tabs with no grouping are left out."""
    try:
        wb = load_workbook(io.BytesIO(data))
    except Exception:
        return {}
    levels: dict[str, dict[int, int]] = {}
    for ws in wb.worksheets:
        rows = {
            r - 1: int(dim.outline_level)
            for r, dim in ws.row_dimensions.items()
            if dim.outline_level
        }
        if rows:
            levels[ws.title] = rows
    return levels


def json_source(data: bytes, name: str) -> Source:
    """A task tool's JSON export as tabs: Trello's board export (its CSV needs a paid plan)."""
    try:
        board = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError("file", f"{name} is not a JSON file ({exc})") from None
    if not is_trello(board):
        raise InputError(
            "file",
            f"{name}: JSON that is not a Trello board export; export the plan as .xlsx or .csv",
        )
    return Source(name, trello_grids(board))
