"""A MAP round-trips through real LibreOffice: a plain re-save, then a buyer's edits in Calc.

`mapctl` runs as a subprocess on a temporary workspace. LibreOffice runs headless with a
fresh profile per test: `soffice --convert-to xlsx` for the re-save, and tests/lo/edit_map.py
(LibreOffice's own Python bridge, run by the system /usr/bin/python3 with python3-uno) for
the edits, so cells are changed by Calc itself, not by openpyxl.

Skipped when soffice or the bridge is missing, except under CI=true, where it fails.
Debian packages: libreoffice-calc-nogui, python3-uno.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sheets_schema.vocab import Health
from sheets_schema.workbook import EDITABLE_TABS, PLAN

pytestmark = pytest.mark.libreoffice

TIMEOUT = 120  # seconds, for every subprocess
SYSTEM_PYTHON = "/usr/bin/python3"
EDIT_SCRIPT = Path(__file__).parent / "lo" / "edit_map.py"
CREATED = "2026-03-02"
DAY = "2026-03-10"
XLSX_FILTER = "Calc MS Excel 2007 XML"
STEP_FIELDS = (
    "id",
    "phase",
    "step",
    "buyer_owner",
    "seller_owner",
    "due",
    "baseline_due",
    "depends_on",
    "status",
    "done_on",
    "if_it_slips",
)
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def _system_env() -> dict[str, str]:
    """The environment for the system Python and soffice: nothing of our venv or MAP_*."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("MAP_")}


def _missing() -> str | None:
    if shutil.which("soffice") is None:
        return "soffice (LibreOffice) is not on PATH: apt-get install libreoffice-calc-nogui"
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} is missing: it runs LibreOffice's Python bridge (python3-uno)"
    try:
        probe = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import uno"],
            env=_system_env(),
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{SYSTEM_PYTHON} could not be run ({exc})"
    if probe.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot import uno: apt-get install python3-uno"
    return None


MISSING = _missing()
if MISSING and not IN_CI:
    pytest.skip(f"LibreOffice round-trip skipped: {MISSING}", allow_module_level=True)


@pytest.fixture(autouse=True)
def _libreoffice_required() -> None:
    """Under CI=true a missing LibreOffice is a failure, never a silent skip."""
    if MISSING:
        pytest.fail(f"CI=true and the LibreOffice round-trip cannot run: {MISSING}", pytrace=False)


# --- running things ------------------------------------------------------------------


def _run(cmd: list[str], *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run with a time limit; on timeout stop the whole process group (soffice forks)."""
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"timed out after {TIMEOUT} s: {' '.join(cmd)}\n{out}\n{err}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _mapctl_command() -> list[str]:
    beside = Path(sys.executable).with_name("mapctl")  # the one installed with this Python
    if beside.exists():
        return [str(beside)]
    found = shutil.which("mapctl")
    return [found] if found else [sys.executable, "-m", "addon.cli"]


MAPCTL = _mapctl_command()


@dataclass
class Map:
    root: Path
    workbook: Path
    profile: Path
    tmp: Path

    def mapctl(self, *args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAP_")}
        done = _run([*MAPCTL, "--workspace", str(self.root), *args], env=env)
        assert done.returncode == 0, f"mapctl {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
        return done.stdout

    def status(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            self.mapctl("status", str(self.workbook), "--json", "--today", DAY)
        )
        return data

    def sync(self) -> str:
        out = self.mapctl("sync", "--today", DAY)
        assert "0 failed" in out and "0 skipped" in out, out
        return out

    def soffice_args(self) -> list[str]:
        return [
            shutil.which("soffice") or "soffice",
            f"-env:UserInstallation={self.profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
        ]

    def resave(self) -> None:
        """LibreOffice opens the workbook and saves it again as .xlsx, in place."""
        out_dir = self.tmp / f"lo-out-{len(list(self.tmp.glob('lo-out-*')))}"
        out_dir.mkdir()
        done = _run(
            [
                *self.soffice_args(),
                "--convert-to",
                f"xlsx:{XLSX_FILTER}",
                "--outdir",
                str(out_dir),
                str(self.workbook),
            ],
            env=_system_env(),
        )
        saved = out_dir / self.workbook.name
        assert done.returncode == 0 and saved.is_file(), (
            f"LibreOffice did not re-save the workbook:\n{done.stdout}{done.stderr}"
        )
        shutil.move(saved, self.workbook)
        self.assert_no_lock_file()

    def edit(self, edits: dict[str, Any]) -> dict[str, Any]:
        """Change cells through LibreOffice's own bridge (tests/lo/edit_map.py)."""
        spec = self.tmp / "edits.json"
        spec.write_text(json.dumps(edits, ensure_ascii=False), encoding="utf-8")
        env = _system_env()
        env["SOFFICE"] = shutil.which("soffice") or "soffice"
        done = _run(
            [
                SYSTEM_PYTHON,
                str(EDIT_SCRIPT),
                "--profile",
                str(self.profile),
                "--timeout",
                str(TIMEOUT // 2),
                str(spec),
                str(self.workbook),
            ],
            env=env,
        )
        assert done.returncode == 0, f"editing in LibreOffice failed:\n{done.stdout}{done.stderr}"
        self.assert_no_lock_file()
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def assert_no_lock_file(self) -> None:
        lock = self.workbook.with_name(f".~lock.{self.workbook.name}#")
        assert not lock.exists(), f"LibreOffice left {lock.name}: the sync would skip the MAP"


@pytest.fixture
def made(tmp_path: Path) -> Iterator[Map]:
    root = tmp_path / "ws"
    profile = tmp_path / "lo-profile"  # a fresh LibreOffice profile for this test only
    m = Map(root, Path(), profile, tmp_path)
    out = m.mapctl(
        "create",
        "--deal",
        "Analytics rollout",
        "--buyer-company",
        "Example Widgets",
        "--contact",
        "Jane Buyer <jane.buyer@example.com>",
        "--contact",
        "Omar Finance <omar.finance@example.com>",
        "--target-close",
        "2026-05-29",
        "--close-reason",
        "the new budget year starts in June",
        "--outcome",
        "Month-end reporting in one day",
        "--template",
        "mid_market",
        "--deal-value",
        "90000",
        "--rep-name",
        "Riley Seller",
        "--rep-email",
        "riley.seller@example.com",
        "--today",
        CREATED,
    )
    line = next(x for x in out.splitlines() if x.strip().startswith("workbook:"))
    m.workbook = Path(line.split("workbook:", 1)[1].strip())
    assert m.workbook.is_file(), out
    yield m


# --- reading the workbook ------------------------------------------------------------


def _value(value: object) -> object:
    """A cell's value whichever program saved it: dates as dates, 3.0 as 3, "" as empty."""
    if isinstance(value, datetime):
        assert value.time() == datetime.min.time(), f"a date cell gained a time: {value}"
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == "":
        return None
    return value


def _buyer_cells(path: Path) -> dict[tuple[str, int, str], object]:
    """Every non-empty buyer-editable cell of every buyer tab, by (tab, row, header)."""
    wb = load_workbook(path)
    cells: dict[tuple[str, int, str], object] = {}
    for tab in EDITABLE_TABS:
        ws = wb[tab.name]
        at = {str(c.value).strip(): c.column for c in ws[tab.header_row] if c.value is not None}
        for col in tab.columns:
            if not col.editable:
                continue
            assert col.header in at, f"{tab.name}: the {col.header} header is gone"
            for r in range(tab.header_row + 1, ws.max_row + 1):
                value = _value(ws.cell(row=r, column=at[col.header]).value)
                if value is None:
                    continue
                cells[(tab.name, r, col.header)] = value
    return cells


def _plan_rows(path: Path) -> list[dict[str, object]]:
    """The Plan tab's step rows (any row with an ID or a Step), by column key."""
    ws = load_workbook(path)[PLAN.name]
    at = {str(c.value).strip(): c.column for c in ws[PLAN.header_row] if c.value is not None}
    cols = {col.key: at[col.header] for col in PLAN.columns if col.header in at}
    assert set(cols) == set(PLAN.keys), f"Plan headers changed: {sorted(at)}"
    rows = []
    for r in range(PLAN.header_row + 1, ws.max_row + 1):
        row = {key: _value(ws.cell(row=r, column=c).value) for key, c in cols.items()}
        if row["id"] is not None or row["step"] is not None:
            rows.append(row)
    return rows


def _steps(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: {k: s[k] for k in STEP_FIELDS} for s in report["steps"]}


# --- the tests -----------------------------------------------------------------------


def test_a_plain_libreoffice_resave_changes_nothing_the_buyer_owns(made: Map) -> None:
    before = made.status()
    cells_before = _buyer_cells(made.workbook)
    assert len(before["steps"]) == 14
    dates = {k: v for k, v in cells_before.items() if k[2] == "Due date"}
    assert len(dates) == 14 and all(type(v) is date for v in dates.values()), dates

    made.resave()

    assert _buyer_cells(made.workbook) == cells_before
    made.sync()
    after = made.status()
    assert _steps(after) == _steps(before)
    assert [s["id"] for s in after["steps"]] == [f"S{i:02d}" for i in range(1, 15)]
    assert not [p for p in after["problems"] if p["kind"] == "unreadable"]
    assert _buyer_cells(made.workbook) == cells_before  # the sync's write kept them too
    assert all(row["health"] for row in _plan_rows(made.workbook))


def test_a_buyers_edits_in_libreoffice_are_read_and_the_computed_columns_written(
    made: Map,
) -> None:
    before = _steps(made.status())
    old_due = date.fromisoformat(before["S02"]["due"])
    new_due = date(2026, 3, 27)
    assert new_due > old_due
    new_step = "Finance confirms the budget code for the purchase order"

    done = made.edit(
        {
            "sheet": PLAN.name,
            "modified_by": "Jane Buyer",
            "set": [
                {"id": "S01", "column": "Status", "text": "Done"},
                {"id": "S02", "column": "Due date", "date": new_due.isoformat()},
                {"id": "S03", "column": "Status", "text": "✅ Done"},
                {"id": "S03", "column": "Done on", "text": "3/5/2026"},
            ],
            "add": [
                {
                    "Phase": {"text": "Decide"},
                    "Step": {"text": new_step},
                    "Buyer owner": {"text": "Jane Buyer"},
                    "Due date": {"date": "2026-04-24"},
                    "Depends on": {"text": "S07"},
                    "Status": {"text": "Not started"},
                }
            ],
        }
    )
    assert len(done["edits"]) == 10, done
    # What LibreOffice stored: openpyxl sees a text date as text and a real date as a date.
    saved = {row["id"]: row for row in _plan_rows(made.workbook) if row["id"]}
    assert saved["S03"]["done_on"] == "3/5/2026"
    assert saved["S02"]["due"] == new_due
    assert [row["step"] for row in _plan_rows(made.workbook) if row["id"] is None] == [new_step]

    made.sync()
    report = made.status()
    steps = _steps(report)

    assert list(steps) == [*before, "S15"]
    assert steps["S01"]["status"] == "done"
    assert steps["S02"]["due"] == new_due.isoformat()
    assert steps["S02"]["baseline_due"] == before["S02"]["baseline_due"] == old_due.isoformat()
    s02 = next(s for s in report["steps"] if s["id"] == "S02")
    assert s02["slipped_days"] == (new_due - old_due).days > 0
    assert steps["S03"]["status"] == "done"
    assert steps["S03"]["done_on"] == "2026-03-05"
    s15 = steps["S15"]
    assert (s15["step"], s15["phase"], s15["due"], s15["depends_on"], s15["status"]) == (
        new_step,
        "Decide",
        "2026-04-24",
        ["S07"],
        "not_started",
    )
    for sid in [f"S{i:02d}" for i in range(4, 15)]:
        assert steps[sid] == before[sid], sid
    assert report["map"]["buyer_steps_done"] == 2
    assert report["map"]["last_buyer_update"] is not None
    assert not [p for p in report["problems"] if p["kind"] == "unreadable"]

    # The computed columns are in the file, on every step row, the new one included.
    rows = _plan_rows(made.workbook)
    assert [row["id"] for row in rows] == list(steps)
    assert all(row["health"] for row in rows), [(row["id"], row["health"]) for row in rows]
    by_id = {row["id"]: row for row in rows}
    assert by_id["S01"]["health"] == by_id["S03"]["health"] == Health.DONE.label
    assert by_id["S02"]["slipped"] == (new_due - old_due).days
    assert by_id["S15"]["step"] == new_step

    # The buyer opens the synced file again: LibreOffice still reads and saves it.
    made.resave()
    made.sync()
    assert _steps(made.status()) == steps
