"""The status rules of docs/status-rules.md, one case per rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from addon.plan.status import compute
from sheets_schema.vocab import Health, MapHealth
from tests.plan_helpers import memory, parse, row

TODAY = date(2026, 3, 10)
D = TODAY.__add__


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def health_of(*rows, target=None, mem=None, **kw):  # type: ignore[no-untyped-def]
    parsed = parse(*rows, today=TODAY)
    mem = mem if mem is not None else memory(*(s.id for s in parsed.steps))
    return compute(parsed, mem, target_close=target or days(60), today=TODAY, **kw)


@pytest.mark.parametrize(
    ("rows", "step", "health", "days_late"),
    [
        ([row("S01", due=days(-5), status="Done")], "S01", Health.DONE, 0),
        ([row("S01", due=days(-5), done_on=days(-6))], "S01", Health.DONE, 0),
        ([row("S01", due=days(-5), status="N/A")], "S01", Health.SKIPPED, 0),
        ([row("S01", due=days(5), status="Blocked")], "S01", Health.BLOCKED, 0),
        ([row("S01", due=days(5), status="On hold")], "S01", Health.BLOCKED, 0),
        # a direct prerequisite not done and overdue blocks
        (
            [row("S01", due=days(-2)), row("S02", due=days(20), depends="S01")],
            "S02",
            Health.BLOCKED,
            0,
        ),
        # ...but only directly: S03 waits on S02, which is not itself overdue
        (
            [
                row("S01", due=days(-2)),
                row("S02", due=days(20), depends="S01"),
                row("S03", due=days(40), depends="S02"),
            ],
            "S03",
            Health.ON_TRACK,
            0,
        ),
        # a prerequisite that is open but not overdue does not block
        (
            [row("S01", due=days(2)), row("S02", due=days(20), depends="S01")],
            "S02",
            Health.ON_TRACK,
            0,
        ),
        # a skipped prerequisite holds nothing up
        (
            [row("S01", due=days(-9), status="N/A"), row("S02", due=days(20), depends="S01")],
            "S02",
            Health.ON_TRACK,
            0,
        ),
        ([row("S01", due=days(-4))], "S01", Health.OVERDUE, 4),
        ([row("S01", due=days(-4), status="In progress")], "S01", Health.OVERDUE, 4),
        # blocked and late: blocked wins, the days late still count
        ([row("S01", due=days(-4), status="Blocked")], "S01", Health.BLOCKED, 4),
        # projected finish after due: prerequisite finishes too late for this step's duration
        (
            [row("S01", due=days(8)), row("S02", due=days(10), depends="S01")],
            "S02",
            Health.AT_RISK,
            0,
        ),
        ([row("S01", due=days(3))], "S01", Health.DUE_SOON, 0),
        ([row("S01", due=TODAY)], "S01", Health.DUE_SOON, 0),
        ([row("S01", due=days(4))], "S01", Health.ON_TRACK, 0),
        ([row("S01")], "S01", Health.UNSCHEDULED, 0),
        ([row("S01", due="TBD")], "S01", Health.UNSCHEDULED, 0),
    ],
)
def test_step_health(rows, step: str, health: Health, days_late: int) -> None:  # type: ignore[no-untyped-def]
    st = health_of(*rows).steps[step]
    assert (st.health, st.days_late) == (health, days_late)


def test_projected_finish_is_floored_at_due_and_today() -> None:
    st = health_of(
        row("S01", due=days(20)), row("S02", due=days(-3)), row("S03", due=days(30), depends="S01")
    )
    assert st.steps["S01"].projected_finish == days(20)
    assert st.steps["S02"].projected_finish == TODAY
    assert st.steps["S03"].projected_finish == days(30)  # S01 + 5 days = day 25 < due


def test_projected_finish_follows_late_prerequisites() -> None:
    st = health_of(row("S01", due=days(-10)), row("S02", due=days(2), depends="S01"))
    assert st.steps["S02"].projected_finish == days(5)  # today + duration 5


def test_buyer_added_step_uses_gap_to_prerequisite_as_duration() -> None:
    parsed = parse(
        row("S01", due=days(10)),
        row("", "Finance signs off", due=days(13), depends="S01"),
        today=TODAY,
    )
    st = compute(parsed, memory("S01", duration=5), target_close=days(60), today=TODAY)
    added = parsed.steps[1]
    assert added.added_by_buyer and added.id == "S02"
    assert st.steps["S02"].projected_finish == days(13)


def test_projected_close_is_the_signature_steps_finish_and_go_live_does_not_move_it() -> None:
    rows = [
        row("S01", due=days(-10)),
        row("S02", due=days(20), depends="S01"),
        row("S03", due=days(50), depends="S02"),
    ]
    st = health_of(*rows, target=days(20), mem=memory("S01", "S02", "S03", signature="S02"))
    assert st.projected_close == days(20)  # S01 late by 10: today + 5 < due 20
    late = [
        row("S01", due=days(-10)),
        row("S02", due=days(3), depends="S01"),
        row("S03", due=days(90), depends="S02"),
    ]
    st = health_of(*late, target=days(3), mem=memory("S01", "S02", "S03", signature="S02"))
    assert st.projected_close == days(5)
    assert st.health is MapHealth.AT_RISK


def test_missing_signature_row_falls_back_and_says_so() -> None:
    mem = memory("S01", "S02", "S09", signature="S09")
    st = health_of(row("S01", due=days(5)), row("S02", due=days(9)), target=days(10), mem=mem)
    assert st.projected_close == days(9)
    assert "signature step S09 is no longer on the plan" in st.problems[0].message


def test_a_dependency_cycle_is_a_problem_not_a_hang() -> None:
    st = health_of(
        row("S01", due=days(5), depends="S02"),
        row("S02", due=days(6), depends="S01"),
        row("S03", due=days(9), depends="S02"),
    )
    assert {p.step_id for p in st.problems} == {"S01", "S02"}
    assert "depend on each other in a circle" in st.problems[0].message
    assert st.steps["S03"].projected_finish is not None


@pytest.mark.parametrize(("late", "fired"), [(13, False), (14, True), (30, True)])
def test_consequence_fires_at_the_threshold(late: int, fired: bool) -> None:
    st = health_of(row("S01", due=days(-late), slips="If 14+ days late: VP call"))
    assert st.steps["S01"].consequence_fired is fired
    assert (st.health is MapHealth.OFF_TRACK) is fired


def test_consequence_stops_when_the_step_is_done() -> None:
    st = health_of(row("S01", due=days(-30), status="Done", slips="If 14+ days late: VP call"))
    assert not st.steps["S01"].consequence_fired
    assert st.consequences_fired == ()


def test_no_consequence_without_an_agreed_one() -> None:
    assert not health_of(row("S01", due=days(-40))).steps["S01"].consequence_fired


@pytest.mark.parametrize(
    ("signature_due", "rows_extra", "health"),
    [
        (0, [], MapHealth.ON_TRACK),
        (7, [], MapHealth.AT_RISK),  # projected close 7 days past target
        (8, [], MapHealth.OFF_TRACK),  # more than 7 days past
    ],
)
def test_map_health_from_projected_close(signature_due: int, rows_extra, health) -> None:  # type: ignore[no-untyped-def]
    target = days(30)
    st = health_of(
        row("S01", due=target + timedelta(days=signature_due)),
        *rows_extra,
        target=target,
        mem=memory("S01", signature="S01"),
        last_buyer_update=TODAY,
    )
    assert st.health is health


def test_any_step_seven_days_late_puts_the_map_at_risk() -> None:
    mem = memory("S01", "S02", signature="S02")
    assert (
        health_of(
            row("S01", due=days(-6)), row("S02", due=days(30)), target=days(30), mem=mem
        ).health
        is MapHealth.ON_TRACK
    )
    assert (
        health_of(
            row("S01", due=days(-7)), row("S02", due=days(30)), target=days(30), mem=mem
        ).health
        is MapHealth.AT_RISK
    )


def test_stale_when_no_buyer_edit_for_14_days() -> None:
    rows = [row("S01", due=days(30))]
    assert health_of(*rows, last_buyer_update=days(-13)).stale is False
    assert health_of(*rows, last_buyer_update=days(-14)).stale is True
    assert health_of(*rows, last_buyer_update=None, plan_start=days(-20)).stale is True


def test_stale_when_steps_fell_due_and_none_was_completed() -> None:
    fell = [row("S01", due=days(-3)), row("S02", due=days(-10))]
    assert health_of(*fell, last_buyer_update=TODAY).stale is True
    one_done = [row("S01", due=days(-3), status="Done"), row("S02", due=days(-10))]
    assert health_of(*one_done, last_buyer_update=TODAY).stale is False
    long_ago = [row("S01", due=days(-30))]
    assert health_of(*long_ago, last_buyer_update=TODAY).stale is False


def test_stale_is_separate_from_health() -> None:
    st = health_of(row("S01", due=days(30)), last_buyer_update=days(-20))
    assert st.stale and st.health is MapHealth.ON_TRACK


def test_blocker_next_step_and_progress() -> None:
    st = health_of(
        row("S01", due=days(-12), status="Done"),
        row("S02", due=days(-3), buyer="Dana Whitfield"),
        row("S03", due=days(-8), buyer="Legal - TBD"),
        row("S04", due=days(4)),
        last_buyer_update=TODAY,
    )
    assert st.current_blocker is not None and st.current_blocker.step_id == "S03"
    assert st.next_step is not None and st.next_step.step_id == "S03"
    assert (st.buyer_steps_done, st.buyer_steps_total) == (1, 4)
    assert st.days_since_last_completion == 0  # done with no date: first seen today


def test_score_ranks_a_worse_plan_lower_and_stays_in_range() -> None:
    good = health_of(
        row("S01", due=days(10)),
        mem=memory("S01", signature="S01"),
        target=days(10),
        last_buyer_update=TODAY,
    )
    bad = health_of(
        row("S01", due=days(-40), slips="If 14+ days late: call"),
        row("S02", due=days(50), depends="S01"),
        mem=memory("S01", "S02", signature="S02"),
        target=days(10),
        last_buyer_update=days(-60),
    )
    assert good.score == 100
    assert 0 <= bad.score < 30
