"""Run mapctl in-process on a real workspace folder, and edit workbooks as a buyer would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from openpyxl import Workbook, load_workbook

from addon.cli import main
from addon.plan.cells import cell_text
from sheets_schema.workbook import EDITABLE_TABS

CREATE = [
    "create",
    "--deal",
    "Analytics rollout",
    "--buyer-company",
    "Northwind Traders",
    "--contact",
    "Dana Whitfield <dana@northwind.example.com>",
    "--contact",
    "lee@northwind.example.com",
    "--target-close",
    "2026-05-29",
    "--close-reason",
    "the new fiscal year budget",
    "--outcome",
    "Cut month-end reporting from 5 days to 1",
    "--template",
    "mid_market",
    "--deal-value",
    "120000",
    "--rep-name",
    "Sam Rivera",
    "--rep-email",
    "sam@seller.example.com",
    "--today",
    "2026-03-02",
]


def run(root: Path, *args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(main, ["--workspace", str(root), *args])
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def create(root: Path, *extra: str) -> Path:
    output = run(root, *CREATE, *extra).output
    line = next(x for x in output.splitlines() if x.strip().startswith("workbook:"))
    return Path(line.split("workbook:", 1)[1].strip())


def imported_workbook(root: Path, source: Path, *args: str) -> Workbook:
    """`mapctl import SOURCE ARGS` for real, and the new MAP's workbook as written."""
    out = run(root, "import", str(source), *args).output
    assert "Created MAP-" in out, out
    line = next(x for x in out.splitlines() if "workbook:" in x)
    return load_workbook(Path(line.split("workbook:", 1)[1].strip()))


def status_json(root: Path, path: Path, today: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        run(root, "status", str(path), "--json", "--today", today).output
    )
    return data


def editable_cells(path: Path) -> dict[tuple[str, int, int], str]:
    """Every buyer-editable cell of every buyer tab, by (tab, row, column)."""
    wb = load_workbook(path)
    cells: dict[tuple[str, int, int], str] = {}
    for tab in EDITABLE_TABS:
        ws = wb[tab.name]
        header = [str(c.value or "").strip() for c in ws[tab.header_row]]
        keep = {
            i
            for i, col in enumerate(tab.columns)
            if col.editable and col.key != "id" and col.header in header
        }
        for row in ws.iter_rows(min_row=tab.header_row + 1):
            for i, c in enumerate(row):
                if i in keep:
                    cells[(tab.name, c.row, c.column)] = cell_text(c.value)
    return cells


def set_step_cell(ws: Any, step_id: str, header: str, value: object) -> None:
    """A buyer's edit of one Plan cell: the row by its id, the column by its header."""
    cells = list(ws.iter_rows())
    head = next(r for r in cells if r[0].value == "ID")
    col = next(c.column for c in head if c.value == header)
    row = next(r for r in cells if r[0].value == step_id)
    ws.cell(row[0].row, col).value = value
