"""`mapctl demo --history`: closed deals made through the real product, reproducibly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from addon.demo_history import PLANTED
from addon.registry.models import DueChangeRow, MapRow, StepRow
from tests.cli_helpers import run

ARGS = ("demo", "--history", "12", "--seed", "7", "--today", "2026-03-02")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("history")
    return root, run(root, *ARGS).output


def _rows(root: Path) -> tuple[list[MapRow], list[StepRow], list[DueChangeRow]]:
    engine = create_engine(f"sqlite:///{root / 'registry.sqlite'}")
    with Session(engine) as s:
        out = (
            list(s.scalars(select(MapRow))),
            list(s.scalars(select(StepRow))),
            list(s.scalars(select(DueChangeRow))),
        )
    engine.dispose()
    return out


def test_twelve_closed_deals_with_their_history(history: tuple[Path, str]) -> None:
    root, output = history
    maps, steps, changes = _rows(root)
    assert len(maps) == 12
    assert {m.lifecycle for m in maps} == {"won", "lost"}
    assert all(m.closed_on is not None and m.closed_on > m.created_on for m in maps)
    assert all(m.handoff_ref for m in maps if m.lifecycle == "won")
    assert {m.team for m in maps} <= {"East", "West"}
    emails = [c["email"] for m in maps for c in m.buyer_contacts] + [m.rep_email for m in maps]
    assert all(e.endswith(".example.com") for e in emails)
    done = [s for s in steps if s.template_key and s.first_seen_done]
    assert len(done) > 50
    assert all(s.baseline_due is not None for s in steps if s.template_key)
    pushes = [c for c in changes if c.old_due and c.new_due and c.new_due > c.old_due]
    assert pushes and any(s.push_count for s in steps)
    added = {s.map_id for s in steps if s.template_key is None}
    assert added and len(added) < 12
    assert "12 deals closed" in output


def test_each_workbook_is_read_by_status(history: tuple[Path, str]) -> None:
    root, _ = history
    maps, _, _ = _rows(root)
    for m in maps:
        path = root / m.sheet_ref
        assert path.suffix == ".xlsx" and path.read_bytes()[:2] == b"PK"
        report = json.loads(run(root, "status", m.id, "--json", "--today", "2026-03-02").output)
        assert report["map"]["map_id"] == m.id and report["steps"]


def test_the_same_seed_gives_the_same_deals(tmp_path: Path) -> None:
    """Two runs, a smaller history to keep the test short: the same deals, the same ends."""
    small = ("demo", "--history", "3", "--seed", "7", "--today", "2026-03-02")
    outputs = [run(tmp_path / name, *small).output for name in ("one", "two")]

    def facts(root: Path) -> list[str]:
        maps, steps, changes = _rows(root)
        return sorted(
            [repr((m.buyer_company, m.deal, m.lifecycle, m.created_on, m.closed_on)) for m in maps]
            + [repr((s.text, s.first_seen_done, s.push_count)) for s in steps]
            + [repr((c.step_id, c.old_due, c.new_due)) for c in changes]
        )

    assert facts(tmp_path / "one") == facts(tmp_path / "two")
    assert (
        outputs[0].splitlines()[-2].rsplit(";", 1)[0]
        == (outputs[1].splitlines()[-2].rsplit(";", 1)[0])
    )


def test_the_planted_patterns_are_importable() -> None:
    median, p80 = PLANTED["durations"]["security_review"]
    assert median == 27 and p80 == 35
    assert PLANTED["added_steps"]["reference_call"]["enterprise"] == 0.40
    assert PLANTED["lost_if_stale"] > 2 * PLANTED["lost_if_not_stale"]
