"""Baselines survive the buyer moving dates; first-seen dates stand in for missing ones."""

from __future__ import annotations

from datetime import date

from addon.plan.memory import advance
from addon.plan.models import AnchorKey, DueChange
from addon.plan.status import compute
from tests.plan_helpers import memory, parse, row

DAY1, DAY2, DAY3 = date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)


def test_slip_days_and_pushes_survive_a_moved_date() -> None:
    mem = memory("S01", S01=date(2026, 3, 20))
    mem, changes = advance(mem, parse(row("S01", due=date(2026, 3, 27)), today=DAY2), DAY2)
    assert changes == [DueChange("S01", date(2026, 3, 20), date(2026, 3, 27), DAY2)]
    mem, _ = advance(mem, parse(row("S01", due=date(2026, 4, 3)), today=DAY3), DAY3)
    assert (mem["S01"].baseline_due, mem["S01"].current_due, mem["S01"].push_count) == (
        date(2026, 3, 20),
        date(2026, 4, 3),
        2,
    )
    st = compute(
        parse(row("S01", due=date(2026, 4, 3)), today=DAY3),
        mem,
        target_close=date(2026, 6, 1),
        today=DAY3,
    )
    assert (st.steps["S01"].slipped_days, st.total_pushes) == (14, 2)


def test_pulling_a_date_in_is_not_a_push() -> None:
    mem = memory("S01", S01=date(2026, 3, 20))
    mem, _ = advance(mem, parse(row("S01", due=date(2026, 3, 18)), today=DAY2), DAY2)
    assert mem["S01"].push_count == 0 and mem["S01"].baseline_due == date(2026, 3, 20)


def test_first_date_for_an_unscheduled_step_becomes_its_baseline() -> None:
    mem = memory("S01")
    mem, _ = advance(mem, parse(row("S01", due=date(2026, 3, 25)), today=DAY2), DAY2)
    assert (mem["S01"].baseline_due, mem["S01"].push_count) == (date(2026, 3, 25), 0)


def test_done_without_a_date_takes_the_day_it_was_first_seen_done() -> None:
    mem = memory("S01", S01=date(2026, 3, 20))
    mem, _ = advance(mem, parse(row("S01", due=date(2026, 3, 20), status="Done"), today=DAY2), DAY2)
    mem, _ = advance(mem, parse(row("S01", due=date(2026, 3, 20), status="Done"), today=DAY3), DAY3)
    assert mem["S01"].first_seen_done == DAY2
    st = compute(
        parse(row("S01", due=date(2026, 3, 20), status="Done"), today=DAY3),
        mem,
        target_close=date(2026, 6, 1),
        today=DAY3,
    )
    assert st.steps["S01"].done_on == DAY2


def test_reopening_a_step_clears_its_first_seen_done() -> None:
    mem = memory("S01")
    mem, _ = advance(mem, parse(row("S01", status="Done"), today=DAY1), DAY1)
    mem, _ = advance(mem, parse(row("S01", status="In progress"), today=DAY2), DAY2)
    assert mem["S01"].first_seen_done is None


def test_a_step_the_buyer_added_is_remembered_from_its_first_sync() -> None:
    parsed = parse(
        row("S01", due=date(2026, 3, 20)),
        row("", "Finance approves budget", due=date(2026, 3, 27)),
        today=DAY2,
    )
    mem, _ = advance(memory("S01"), parsed, DAY2)
    assert mem["S02"].baseline_due == date(2026, 3, 27) and mem["S02"].first_seen == DAY2


def test_relative_dates_stay_anchored_to_when_first_seen() -> None:
    first = parse(row("S01", due="next Fri"), today=DAY1)
    assert first.steps[0].due == date(2026, 3, 13)
    assert first.new_anchors == {AnchorKey("S01", "due", "next fri"): DAY1}
    later = parse(row("S01", due="next Fri"), today=DAY3, anchors=first.new_anchors)
    assert later.steps[0].due == date(2026, 3, 13) and later.new_anchors == {}


def test_a_step_found_done_in_a_save_takes_the_saves_date() -> None:
    mem, _ = advance(
        memory("S01"),
        parse(row("S01", status="Done"), today=DAY3),
        DAY3,
        edited_on=date(2026, 3, 12),
    )
    assert mem["S01"].first_seen_done == date(2026, 3, 12)
    later, _ = advance(
        memory("S01"),
        parse(row("S01", status="Done"), today=DAY2),
        DAY2,
        edited_on=date(2026, 3, 30),
    )  # a clock ahead of ours: never the future
    assert later["S01"].first_seen_done == DAY2
