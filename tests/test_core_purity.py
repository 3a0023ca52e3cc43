"""The core (addon/plan) does no I/O: no Google, Flask, files, database or clock."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "addon" / "plan"
# Libraries whose presence would mean the core does I/O by choice. (pydantic itself pulls in
# asyncio and socket from the standard library; that is not the core talking to anything.)
FORBIDDEN = (
    "googleapiclient",
    "google",
    "gspread",
    "flask",
    "werkzeug",
    "openpyxl",
    "sqlalchemy",
    "alembic",
    "requests",
    "httpx",
    "httplib2",
    "sqlite3",
    "jinja2",
    "click",
)


def test_importing_the_core_pulls_in_no_io_library() -> None:
    code = (
        "import sys\n"
        "import addon.plan.parse, addon.plan.status, addon.plan.memory, addon.plan.rollup, "
        "addon.plan.schedule, addon.plan.report, addon.plan.crm, addon.plan.insights, "
        "addon.plan.learn, addon.plan.adopt\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"the core imported: {out}"


def test_the_core_never_reads_the_clock_or_files() -> None:
    clock = re.compile(
        r"\b(date\.today|datetime\.now|datetime\.utcnow|time\.time|open\(|"
        r"Path\(|os\.environ|read_text|write_text)"
    )
    offenders = [
        f"{p.name}:{i}: {line.strip()}"
        for p in sorted(CORE.rglob("*.py"))
        for i, line in enumerate(p.read_text().splitlines(), start=1)
        if clock.search(line)
    ]
    assert offenders == []
