"""Edit a MAP workbook through LibreOffice itself, as a buyer typing in Calc would.

Run with the system Python that has LibreOffice's bridge (Debian: python3-uno), not the
project's virtualenv:

    /usr/bin/python3 tests/lo/edit_map.py --profile /tmp/lo-profile EDITS.json BOOK.xlsx

It starts its own headless soffice on a private pipe with the given (fresh) profile, loads
the workbook, changes cells found by the Plan tab's header row and ID column, stores the
file in place as .xlsx ("Calc MS Excel 2007 XML"), closes it and stops soffice.

EDITS.json:
    {
      "sheet": "Plan",
      "modified_by": "Jane Buyer",
      "set": [{"id": "S01", "column": "Status", "text": "Done"},
              {"id": "S02", "column": "Due date", "date": "2026-03-27"}],
      "add": [{"Step": {"text": "..."}, "Due date": {"date": "2026-04-20"}}]
    }
A value is {"text": ...} (stored as a text cell, as after a leading apostrophe) or
{"date": "YYYY-MM-DD"} (a real date: a serial number with a date format).
Prints what it did as JSON on stdout; exits non-zero with a message on any failure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

SOFFICE = os.environ.get("SOFFICE", "soffice")
XLSX_FILTER = "Calc MS Excel 2007 XML"
DATE_TYPE = 2  # com.sun.star.util.NumberFormat.DATE
SCAN_ROWS = 30  # the header row is somewhere near the top
SCAN_COLS = 40


def prop(name: str, value: Any) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def norm(text: str) -> str:
    return " ".join(text.replace("\n", " ").split()).strip().lower()


class Office:
    """A private headless soffice, started and stopped by us."""

    def __init__(self, profile: Path, timeout: float) -> None:
        self.pipe = f"maptest_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.proc = subprocess.Popen(
            [
                SOFFICE,
                f"-env:UserInstallation={profile.resolve().as_uri()}",
                "--headless",
                "--invisible",
                "--nologo",
                "--nodefault",
                "--norestore",
                "--nolockcheck",
                f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: we can stop all of it
        )
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        deadline = time.monotonic() + timeout
        self.ctx = None
        while self.ctx is None:
            with contextlib.suppress(NoConnectException):
                self.ctx = resolver.resolve(
                    f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext"
                )
            if self.ctx is not None:
                break
            if self.proc.poll() is not None:
                raise SystemExit(f"soffice exited early with code {self.proc.returncode}")
            if time.monotonic() > deadline:
                self.kill()
                raise SystemExit(f"soffice did not accept a connection in {timeout:.0f} s")
            time.sleep(0.25)
        smgr = self.ctx.ServiceManager
        self.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)

    def set_user_name(self, name: str) -> None:
        """The name LibreOffice stamps as the file's last editor (Tools > Options > User)."""
        first, _, last = name.partition(" ")
        provider = self.ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", self.ctx
        )
        access = provider.createInstanceWithArguments(
            "com.sun.star.configuration.ConfigurationUpdateAccess",
            (prop("nodepath", "/org.openoffice.UserProfile/Data"),),
        )
        access.setPropertyValue("givenname", first)
        access.setPropertyValue("sn", last)
        access.commitChanges()

    def stop(self, timeout: float) -> None:
        with contextlib.suppress(Exception):  # the bridge goes away as soffice exits
            self.desktop.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


class PlanSheet:
    """The Plan tab of a loaded document: header row, columns by header, rows by ID."""

    def __init__(self, doc: Any, name: str) -> None:
        self.doc = doc
        sheets = doc.getSheets()
        wanted = [n for n in sheets.getElementNames() if norm(n) == norm(name)]
        if not wanted:
            raise SystemExit(f"no {name!r} sheet in {list(sheets.getElementNames())}")
        self.sheet = sheets.getByName(wanted[0])
        cursor = self.sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        self.last_row = cursor.getRangeAddress().EndRow
        self.header_row, self.columns = self._header()
        if "id" not in self.columns:
            raise SystemExit(f"no ID column in the header row {self.header_row + 1}")
        null = doc.NullDate
        self.null_date = date(null.Year, null.Month, null.Day)

    def _header(self) -> tuple[int, dict[str, int]]:
        for r in range(min(SCAN_ROWS, self.last_row + 1)):
            names = {
                norm(self.sheet.getCellByPosition(c, r).getString()): c for c in range(SCAN_COLS)
            }
            names.pop("", None)
            if "id" in names and "step" in names:
                return r, names
        raise SystemExit("no header row (with ID and Step) in the first rows of the sheet")

    def col(self, header: str) -> int:
        try:
            return self.columns[norm(header)]
        except KeyError:
            raise SystemExit(f"no {header!r} column; headers: {sorted(self.columns)}") from None

    def row_of(self, step_id: str) -> int:
        c = self.columns["id"]
        for r in range(self.header_row + 1, self.last_row + 1):
            if self.sheet.getCellByPosition(c, r).getString().strip() == step_id:
                return r
        raise SystemExit(f"no row with ID {step_id}")

    def first_empty_row(self) -> int:
        """The first row below the header with nothing in any column of the header."""
        for r in range(self.header_row + 1, self.last_row + 2):
            if all(
                self.sheet.getCellByPosition(c, r).getString() == "" for c in self.columns.values()
            ):
                return r
        return self.last_row + 1

    def put(self, row: int, column: str, value: dict[str, str], like_row: int | None) -> str:
        cell = self.sheet.getCellByPosition(self.col(column), row)
        if "text" in value:
            cell.setString(value["text"])  # a text cell, whatever the text looks like
            return f"text {value['text']!r}"
        if "date" in value:
            day = date.fromisoformat(value["date"])
            cell.setValue(float((day - self.null_date).days))
            if not self._is_date_format(cell.NumberFormat):
                source = (
                    self.sheet.getCellByPosition(self.col(column), like_row)
                    if like_row is not None
                    else None
                )
                if source is not None and self._is_date_format(source.NumberFormat):
                    cell.NumberFormat = source.NumberFormat
                else:
                    cell.NumberFormat = self._iso_date_format()
            return f"date {day.isoformat()}"
        raise SystemExit(f"a value is {{'text': ...}} or {{'date': ...}}, not {value!r}")

    def _is_date_format(self, key: int) -> bool:
        fmt = self.doc.getNumberFormats().getByKey(key)
        return bool(fmt.Type & DATE_TYPE)

    def _iso_date_format(self) -> int:
        formats = self.doc.getNumberFormats()
        locale = uno.createUnoStruct("com.sun.star.lang.Locale")
        locale.Language, locale.Country = "en", "US"
        key = formats.queryKey("YYYY-MM-DD", locale, False)
        return key if key != -1 else formats.addNew("YYYY-MM-DD", locale)


def edit(office: Office, path: Path, edits: dict[str, Any]) -> dict[str, Any]:
    url = path.resolve().as_uri()
    doc = office.desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
    if doc is None:
        raise SystemExit(f"LibreOffice could not open {path}")
    done: list[str] = []
    try:
        plan = PlanSheet(doc, edits.get("sheet", "Plan"))
        for change in edits.get("set", []):
            r = plan.row_of(change["id"])
            value = {k: v for k, v in change.items() if k in ("text", "date")}
            what = plan.put(r, change["column"], value, None)
            done.append(f"{change['id']} {change['column']}: {what}")
        for values in edits.get("add", []):
            r = plan.first_empty_row()
            for column, value in values.items():
                what = plan.put(r, column, value, r - 1)
                done.append(f"new row {r + 1} {column}: {what}")
        if edits.get("modified_by"):
            doc.getDocumentProperties().ModifiedBy = edits["modified_by"]
        doc.storeAsURL(url, (prop("FilterName", XLSX_FILTER), prop("Overwrite", True)))
    finally:
        doc.close(True)
    return {"file": str(path), "header_row": plan.header_row + 1, "edits": done}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", type=Path, required=True, help="a fresh profile folder")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for soffice")
    parser.add_argument("edits", type=Path, help="the edits, as JSON")
    parser.add_argument("workbook", type=Path)
    args = parser.parse_args()
    edits = json.loads(args.edits.read_text(encoding="utf-8"))
    office = Office(args.profile, args.timeout)
    try:
        if edits.get("modified_by"):
            office.set_user_name(edits["modified_by"])
        result = edit(office, args.workbook, edits)
    finally:
        office.stop(args.timeout)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
