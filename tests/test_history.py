"""The history the insights read: one snapshot per MAP per synced day, each step's
dependencies, replayed days for MAPs synced before snapshots were kept."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import delete, select

from addon.app import App
from addon.config import Settings
from addon.registry.history import build_history
from addon.registry.models import SnapshotRow
from tests.cli_helpers import create, run, set_step_cell


def _edit(path: Path, step_id: str, header: str, value: object) -> None:
    wb = load_workbook(path)
    set_step_cell(wb["Plan"], step_id, header, value)
    wb.properties.lastModifiedBy = "Dana Whitfield"
    wb.save(path)


def test_each_synced_day_is_kept_once(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    path = create(root)
    run(root, "sync", "--no-send", "--today", "2026-03-05")
    _edit(path, "S01", "Status", "Done")
    run(root, "sync", "--no-send", "--today", "2026-03-06")
    run(root, "sync", "--no-send", "--today", "2026-03-06", "--force")  # same day: replaced
    app = App(Settings(workspace=root))
    history = build_history(app.registry, app.templates)
    (plan,) = history.plans
    days = [s.day.isoformat() for s in plan.snapshots]
    assert days == ["2026-03-02", "2026-03-05", "2026-03-06"]
    assert not any(s.replayed for s in plan.snapshots)
    last = plan.snapshots[-1]
    assert last.buyer_done == 1 and last.buyer_edited
    s02 = next(s for s in plan.steps if s.step_id == "S02")
    assert s02.template_key and s02.first_due is not None
    assert plan.outcome == "open" and plan.signed_on is None
    assert any(s.depends_on for s in plan.steps)  # as the sheet says


def test_days_before_snapshots_are_replayed_and_labelled(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    path = create(root)
    _edit(path, "S01", "Status", "Done")
    run(root, "sync", "--no-send", "--today", "2026-03-10")
    app = App(Settings(workspace=root))
    with app.registry.session() as s:  # as a MAP synced before this change
        s.execute(delete(SnapshotRow))
    history = build_history(app.registry, app.templates)
    (plan,) = history.plans
    assert plan.snapshots[0].day.isoformat() == "2026-03-02"
    assert plan.snapshots[-1].day.isoformat() == "2026-03-10"
    assert all(s.replayed and s.health == "unknown" for s in plan.snapshots)
    assert plan.snapshots[-1].buyer_done == 1 and plan.snapshots[0].buyer_done == 0
    assert all(s.projected_close is not None for s in plan.snapshots)
    with app.registry.session() as s:  # stored: replayed once
        assert len(list(s.scalars(select(SnapshotRow)))) == 9
