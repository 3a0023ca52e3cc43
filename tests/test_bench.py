"""bench/run stays runnable and prints `name: value unit` lines (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "run"
LINE = re.compile(r"^[a-z0-9_]+: \S+( [A-Za-z]+)?$")


def test_bench_prints_figures_in_the_documented_shape() -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            *("--maps", "20", "--runs", "1", "--google-maps", "40"),
            *("--addon-creates", "2", "--addon-clients", "4", "--addon-requests", "3"),
            *("--crm-maps", "20"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    lines = out.strip().splitlines()
    assert lines and all(LINE.match(line) for line in lines), out
    names = {line.split(":")[0] for line in lines}
    assert {"maps", "steps_per_map", "parse_status_total", "peak_memory", "meets_goal"} <= names
    assert "steps_parsed_traced: 500 count" in lines  # every generated step was parsed
    assert "google_create_round_trips: 4 count" in lines  # the call budget: create <= 4
    assert "google_share_round_trips: 1 count" in lines
    assert "google_sync_unchanged_round_trips: 2 count" in lines  # listing + roll-up
    assert "addon_create_errors: 0 count" in lines and "addon_cards_errors: 0 count" in lines
    assert "addon_create_google_calls: 4.0 count" in lines  # a click costs 4 round trips
    for crm in ("salesforce", "hubspot"):  # 20 MAPs: one batch each way; 6 of them move
        assert f"crm_{crm}_first_push_writes: 1 calls" in lines
        assert f"crm_{crm}_unchanged_writes: 0 calls" in lines
        assert f"crm_{crm}_new_day_writes: 1 calls" in lines
        assert f"crm_{crm}_stage_moves: 1 calls" in lines and f"crm_{crm}_notes: 1 calls" in lines
        assert f"crm_{crm}_moved_deals: 6 count" in lines
        assert f"crm_{crm}_stage_push_writes: 0 calls" in lines
        assert f"crm_{crm}_meets_write_goal: yes" in lines
