"""Buyer edits that only show through a real workbook and a sync: merges, partial sorts,
formulas with their saved values, Summary typing. Each fixture (`kind: sync` in
tests/fixtures/buyer_edits) starts from a fresh mid-market MAP created 2 Mar 2026, then
runs its rounds: the buyer's edits (tests/buyer_workbook.py), a sync, and what must hold.

Expectations per round: `outcome` of the sync; `cells` (buyer cells, exact text); `computed`
(computed cells, exact text); `note` (whole lines that must be in a row's sync note, or in
the Summary's Sync notes under `Summary`); `no_note` (text no note line may contain);
`fresh` (every row's Health is what `mapctl status` computes for that row); `formats`
(number formats); `note_max` (characters in any note); `due` (as `mapctl status` reads it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from buyer_workbook import Buyer, at, columns, step_rows
from cli_helpers import create, run
from openpyxl import load_workbook

from addon.plan.cells import cell_text
from sheets_schema.vocab import Health

FIXTURES = sorted(
    p
    for p in (Path(__file__).parent / "fixtures" / "buyer_edits").glob("*.yaml")
    if yaml.safe_load(p.read_text(encoding="utf-8")).get("kind") == "sync"
)


def _text(value: Any) -> str:
    return cell_text(value.date() if hasattr(value, "date") and callable(value.date) else value)


def _notes(path: Path) -> dict[str, list[str]]:
    wb = load_workbook(path)
    ws = wb["Plan"]
    cols = columns(ws)
    notes = {
        str(ws.cell(r, 1).value): str(ws.cell(r, cols["Sync note"]).value or "").split("\n")
        for r in step_rows(ws)
    }
    summary = {
        str(ws_row[0].value): ws_row[1].value for ws_row in wb["Summary"].iter_rows(min_row=4)
    }
    notes["Summary"] = str(summary.get("Sync notes") or "").split("\n")
    return notes


def _check(root: Path, path: Path, day: str, want: dict[str, Any], output: str) -> list[str]:
    failures: list[str] = []
    if "outcome" in want and f": {want['outcome']}" not in output:
        failures.append(f"outcome: want {want['outcome']}, got {output.splitlines()[0]}")
    wb = load_workbook(path)
    for where, text in {**want.get("cells", {}), **want.get("computed", {})}.items():
        ws, r, c = at(wb, where)
        got = _text(ws.cell(r, c).value)
        if got != _text(text):
            failures.append(f"{where}: got {got!r}, want {text!r}")
    for where, number_format in want.get("formats", {}).items():
        ws, r, c = at(wb, where)
        if ws.cell(r, c).number_format != number_format:
            failures.append(f"{where}: format {ws.cell(r, c).number_format!r}")
    notes = _notes(path)
    if "note_max" in want:
        longest = max(len("\n".join(lines)) for lines in notes.values())
        if longest > want["note_max"]:
            failures.append(f"a note of {longest} characters")
    for key, lines in want.get("note", {}).items():
        failures += [f"{key} note lacks {line!r}" for line in lines if line not in notes[key]]
    for key, bits in want.get("no_note", {}).items():
        failures += [f"{key} note has {bit!r}" for bit in bits if any(bit in x for x in notes[key])]
    if want.get("fresh") or "due" in want:
        report = json.loads(run(root, "status", str(path), "--json", "--today", day).output)
        dues = {s["id"]: s["due"] for s in report["steps"]}
        for step_id, due in want.get("due", {}).items():
            if dues.get(step_id) != str(due):
                failures.append(f"{step_id} due {dues.get(step_id)}, want {due}")
    if want.get("fresh"):
        ws = wb["Plan"]
        shown = {
            str(ws.cell(r, 1).value): ws.cell(r, columns(ws)["Health"]).value for r in step_rows(ws)
        }
        for step in report["steps"]:
            label = Health(step["health"]).label
            if shown.get(step["id"]) != label:
                failures.append(f"{step['id']} shows {shown.get(step['id'])!r}, is {label!r}")
    return failures


@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_buyer_edit_then_sync(fixture: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(fixture.read_text(encoding="utf-8"))
    assert data["source"].strip()
    root = tmp_path / "ws"
    path = create(root)
    buyer = Buyer(path)
    failures: list[str] = []
    for i, step in enumerate(data["rounds"], start=1):
        if step.get("edits"):
            buyer.edit(step["edits"])
        day = str(step["sync"])
        result = run(root, "sync", "--no-send", "--today", day, ok=False)
        assert "failed" not in result.output.splitlines()[0], result.output
        found = _check(root, path, day, step.get("expect", {}), result.output)
        failures += [f"round {i} ({day}): {f}" for f in found]
    assert not failures, "\n".join(failures)
