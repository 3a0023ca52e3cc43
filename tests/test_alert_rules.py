"""The alert rules and the escalation ladder (addon/plan/alerts.py), on parsed plans: each
rule, who hears, who stands in for an owner who cannot be reached, and when an alert stops
being worth sending. Once-only delivery is the registry's (test_alerts_delivery.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from addon.plan.alerts import Audience, Person, Rule, agenda, evaluate
from addon.plan.memory import advance
from addon.plan.models import MapInfo, ParsedMap
from addon.plan.parse import parse_map
from addon.plan.status import compute
from tests.plan_helpers import grids, memory, row

TODAY = date(2026, 3, 16)  # a Monday
DANA = "dana@buyer.example.com"
LEE = "lee@buyer.example.com"
SAM = Person("sam@seller.example.com", "Sam Rivera")
BOSS = Person("kim@seller.example.com", "Kim Lee")


def info(**kw: object) -> MapInfo:
    base: dict[str, object] = {
        "map_id": "MAP-1",
        "deal": "Analytics rollout",
        "buyer_company": "Northwind Traders",
        "target_close": date(2026, 5, 29),
        "close_reason": "the new fiscal year budget",
        "desired_outcome": "",
        "template": "mid_market",
        "rep_name": SAM.name,
        "rep_email": SAM.email,
        "created_on": date(2026, 3, 1),
        "lifecycle": "shared",
    }
    base.update(kw)
    return MapInfo(**base)  # type: ignore[arg-type]


def audience(**kw: object) -> Audience:
    base: dict[str, object] = {"rep": SAM, "manager": BOSS, "shared": frozenset({DANA, LEE})}
    base.update(kw)
    return Audience(**base)  # type: ignore[arg-type]


def with_lee(parsed_grids: dict[str, list[list[object]]]) -> dict[str, list[list[object]]]:
    parsed_grids["Stakeholders"].append(["Lee Park", LEE, "Buyer", "Security"])
    parsed_grids["Stakeholders"].append(["Jo Seller", "jo@seller.example.com", "Seller", "SE"])
    return parsed_grids


def alerts_for(*rows: list[object], today: date = TODAY, aud: Audience | None = None, **kw: object):  # type: ignore[no-untyped-def]
    parsed: ParsedMap = parse_map(with_lee(grids(*rows)), today=today)
    mem, _ = advance({}, parsed, today)  # each step's side from its owners, as a sync learns
    last = parsed.steps[-1].id
    mem[last] = replace(mem[last], signature=True)
    status = compute(parsed, mem, target_close=date(2026, 5, 29), today=today)
    return evaluate(info(**kw), parsed, status, mem, [], aud or audience(), today)


def only(alerts, rule: Rule):  # type: ignore[no-untyped-def]
    found = [a for a in alerts if a.rule is rule]
    assert len(found) == 1, alerts
    return found[0]


def test_due_soon_reminds_the_owner_once_per_due_date() -> None:
    alerts = alerts_for(row("S01", due=TODAY + timedelta(days=2), buyer="Lee Park"))
    a = only(alerts, Rule.DUE_SOON)
    assert [(r.email, r.role, r.side) for r in a.recipients] == [(LEE, "owner", "buyer")]
    assert a.key == "due_soon:S01:2026-03-18"
    assert a.expires == date(2026, 3, 18)
    assert "in 2 days" in a.reason
    far = alerts_for(row("S01", due=TODAY + timedelta(days=4), buyer="Lee Park"))
    assert not [a for a in far if a.rule is Rule.DUE_SOON]


def test_a_moved_date_is_a_new_event() -> None:
    first = only(alerts_for(row("S01", due=date(2026, 3, 17))), Rule.DUE_SOON)
    moved = only(alerts_for(row("S01", due=date(2026, 3, 18))), Rule.DUE_SOON)
    assert first.key != moved.key


def test_late_reminds_the_owner_until_the_threshold() -> None:
    late = alerts_for(row("S01", due=TODAY - timedelta(days=5), slips="10+ days late: call"))
    a = only(late, Rule.LATE)
    assert a.days_late == 5 and "escalates at 10 days" in a.reason
    assert [r.email for r in a.recipients] == [DANA]
    assert a.expires == TODAY - timedelta(days=5) + timedelta(days=9)
    assert not [x for x in late if x.rule is Rule.ESCALATION]


@pytest.mark.parametrize(
    ("days_late", "rung", "to"),
    [
        (10, 1, [("owner", DANA)]),
        (12, 1, [("owner", DANA)]),
        (13, 2, [("champion", DANA)]),
        (16, 2, [("champion", DANA)]),
        (17, 3, [("rep", SAM.email), ("manager", BOSS.email), ("team", "")]),
        (40, 3, [("rep", SAM.email), ("manager", BOSS.email), ("team", "")]),
    ],
)
def test_the_escalation_ladder_for_a_buyer_step(
    days_late: int, rung: int, to: list[tuple[str, str]]
) -> None:
    slips = "10+ days late: our VP calls theirs to re-confirm the priority"
    alerts = alerts_for(row("S01", due=TODAY - timedelta(days=days_late), slips=slips))
    a = only(alerts, Rule.ESCALATION)
    assert a.rung == rung
    assert [(r.role, r.email) for r in a.recipients] == to
    assert a.key == f"escalation:S01:{(TODAY - timedelta(days=days_late)).isoformat()}:{rung}"
    assert a.consequence == slips and "agreed consequence" in a.reason
    assert not [x for x in alerts if x.rule is Rule.LATE]  # the ladder replaces the reminder


def test_each_rung_expires_when_the_next_begins() -> None:
    due = TODAY - timedelta(days=10)
    rung1 = only(alerts_for(row("S01", due=due, slips="10+ days: x")), Rule.ESCALATION)
    assert rung1.expires == due + timedelta(days=12)  # rung 2 starts at threshold + 3


def test_a_seller_step_escalates_to_the_rep_not_the_buyer() -> None:
    due = TODAY - timedelta(days=17)
    steps = [row("S01", due=due, buyer="", seller="Jo Seller", slips="14 days")]
    rung2 = only(alerts_for(*steps, today=TODAY - timedelta(days=3)), Rule.ESCALATION)
    assert rung2.rung == 1 and [r.email for r in rung2.recipients] == ["jo@seller.example.com"]
    later = only(alerts_for(*steps, today=TODAY), Rule.ESCALATION)
    assert later.rung == 2
    assert [(r.role, r.side) for r in later.recipients] == [("rep", "seller")]


def test_default_threshold_is_fourteen_days_when_no_consequence_is_written() -> None:
    assert only(alerts_for(row("S01", due=TODAY - timedelta(days=13))), Rule.LATE)
    assert only(alerts_for(row("S01", due=TODAY - timedelta(days=14))), Rule.ESCALATION).rung == 1


def test_an_owner_who_cannot_be_reached_is_replaced_and_the_alert_says_why() -> None:
    no_email = only(
        alerts_for(row("S01", due=TODAY + timedelta(days=1), buyer="Legal - TBD")),
        Rule.DUE_SOON,
    )
    (r,) = no_email.recipients
    assert (r.role, r.email) == ("champion", DANA)
    assert "Legal - TBD" in r.why or "TBD" in r.why
    not_shared = only(
        alerts_for(
            row("S01", due=TODAY + timedelta(days=1), buyer="Lee Park"),
            aud=audience(shared=frozenset({DANA})),
        ),
        Rule.DUE_SOON,
    )
    (r,) = not_shared.recipients
    assert r.role == "champion" and "does not have access" in r.why
    nobody = only(
        alerts_for(
            row("S01", due=TODAY + timedelta(days=1), buyer="Lee Park"),
            aud=audience(shared=frozenset()),
        ),
        Rule.DUE_SOON,
    )
    (r,) = nobody.recipients
    assert (r.role, r.email) == ("rep", SAM.email)


def test_two_owners_each_hear_once() -> None:
    a = only(
        alerts_for(row("S01", due=TODAY + timedelta(days=1), buyer="Dana + Lee Park")),
        Rule.DUE_SOON,
    )
    assert sorted(r.email for r in a.recipients) == sorted([DANA, LEE])


def test_buyer_reminders_off_keeps_the_record_but_holds_the_buyer() -> None:
    a = only(
        alerts_for(row("S01", due=TODAY + timedelta(days=1)), aud=audience(buyer_reminders=False)),
        Rule.DUE_SOON,
    )
    (r,) = a.recipients
    assert r.buyer and r.held == "buyer reminders are off for this MAP"
    seller_side = alerts_for(
        row("S01", due=TODAY - timedelta(days=20), slips="10 days"),
        aud=audience(buyer_reminders=False),
    )
    rung3 = only(seller_side, Rule.ESCALATION)
    assert all(not r.held for r in rung3.recipients)  # the seller side still hears


def test_a_draft_reaches_no_buyer() -> None:
    a = only(
        alerts_for(row("S01", due=TODAY + timedelta(days=1)), aud=audience(shared=frozenset())),
        Rule.DUE_SOON,
    )
    assert [r.role for r in a.recipients] == ["rep"]


def test_done_skipped_and_blocked_steps_are_quiet() -> None:
    alerts = alerts_for(
        row("S01", due=TODAY - timedelta(days=3), status="Done"),
        row("S02", due=TODAY - timedelta(days=3), status="N/A"),
        row("S03", due=TODAY + timedelta(days=1), status="On hold"),
    )
    assert [a for a in alerts if a.step_id] == []


def plan_alerts(**kw: object):  # type: ignore[no-untyped-def]
    return alerts_for(row("S01", due=date(2026, 6, 20)), **kw)


def test_projected_close_past_target_goes_to_rep_and_team_once_per_target() -> None:
    a = only(plan_alerts(), Rule.CLOSE_PAST_TARGET)
    assert a.key == "close_past_target:2026-05-29"
    assert [r.role for r in a.recipients] == ["rep", "team"]
    assert "22 days past the target 29 May 2026" in a.reason
    assert not [x for x in plan_alerts(lifecycle="won") if x.rule is Rule.CLOSE_PAST_TARGET]


def test_stale_plan_is_keyed_by_the_last_buyer_update() -> None:
    parsed = parse_map(grids(row("S01", due=TODAY + timedelta(days=10))), today=TODAY)
    mem = memory("S01", signature="S01")
    quiet_since = date(2026, 2, 20)
    status = compute(
        parsed, mem, target_close=date(2026, 5, 29), today=TODAY, last_buyer_update=quiet_since
    )
    assert status.stale
    (a,) = [
        x
        for x in evaluate(info(), parsed, status, mem, [], audience(), TODAY)
        if x.rule is Rule.STALE
    ]
    assert a.key == "stale:2026-02-20" and "20 Feb 2026" in a.reason


def test_a_date_pushed_again_tells_the_rep_the_first_push_does_not() -> None:
    mem = memory("S01", signature="S01", S01=date(2026, 3, 20))
    first = parse_map(grids(row("S01", due=date(2026, 3, 27))), today=TODAY)
    mem1, changes1 = advance(mem, first, TODAY)
    st1 = compute(first, mem1, target_close=date(2026, 5, 29), today=TODAY)
    assert not [
        a
        for a in evaluate(info(), first, st1, mem1, changes1, audience(), TODAY)
        if a.rule is Rule.DATE_PUSHED
    ]
    again = parse_map(grids(row("S01", due=date(2026, 4, 3))), today=TODAY)
    mem2, changes2 = advance(mem1, again, TODAY)
    st2 = compute(again, mem2, target_close=date(2026, 5, 29), today=TODAY)
    (a,) = [
        x
        for x in evaluate(info(), again, st2, mem2, changes2, audience(), TODAY)
        if x.rule is Rule.DATE_PUSHED
    ]
    assert a.key == "date_pushed:S01:2"
    assert "27 Mar 2026 to 3 Apr 2026" in a.reason and "first agreed 20 Mar 2026" in a.reason
    assert [r.role for r in a.recipients] == ["rep", "team"]


def test_agenda_lists_late_then_soonest_within_two_weeks() -> None:
    parsed = parse_map(
        grids(
            row("S01", due=TODAY + timedelta(days=3)),
            row("S02", due=TODAY - timedelta(days=2)),
            row("S03", due=TODAY + timedelta(days=20)),
            row("S04", due=TODAY - timedelta(days=9), status="Done"),
            row("S05", due=TODAY - timedelta(days=6), seller="Sam", buyer=""),
        ),
        today=TODAY,
    )
    mem = memory("S01", "S02", "S03", "S04", signature="S03")
    status = compute(parsed, mem, target_close=date(2026, 5, 29), today=TODAY)
    items = agenda(parsed, status, TODAY)
    assert [(i.step_id, i.days_late) for i in items] == [("S05", 6), ("S02", 2), ("S01", 0)]
    assert items[0].side == "seller"
