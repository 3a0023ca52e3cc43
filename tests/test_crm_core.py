"""The CRM values in the pure core: which signals, what changed, where a done milestone
moves a deal, which open deals lack a plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from addon.plan.crm import (
    FIELDS,
    Deal,
    Milestone,
    Stage,
    changed,
    encode,
    find_stage,
    gaps,
    signals,
    stage_move,
    unlinked,
)
from addon.plan.rollup import RollupRow

STAGES = [
    Stage("Prospecting", "Prospecting", 1),
    Stage("Qualification", "Qualification", 2),
    Stage("Proposal/Price Quote", "Proposal/Price Quote", 3),
    Stage("Negotiation/Review", "Negotiation/Review", 4),
    Stage("Closed Won", "Closed Won", 5, closed=True, won=True),
    Stage("Closed Lost", "Closed Lost", 6, closed=True),
]


def _row(**changes: object) -> RollupRow:
    base = RollupRow(
        rank=1,
        map_id="MAP-1",
        deal="Rollout",
        buyer_company="Northwind",
        rep="Sam",
        team="East",
        stage="",
        lifecycle="shared",
        deal_value=120000.0,
        currency="USD",
        health="at_risk",
        score=64,
        stale=False,
        target_close=date(2026, 5, 29),
        projected_close=date(2026, 6, 5),
        close_slip_days=7,
        target_close_moves=0,
        slipped_days=3,
        date_pushes=1,
        buyer_steps_done=3,
        buyer_steps_total=8,
        current_blocker="S05 Security review",
        blocker_owner="Elif Kaya",
        ball_in_court="buyer",
        days_since_last_completion=4,
        last_buyer_update=date(2026, 3, 9),
        consequences_fired=0,
        problems=0,
        sync_state="ok",
        link="https://docs.google.com/spreadsheets/d/abc",
        next_step="S04 Legal redlines",
        next_step_owner="Jonas Weber",
        next_step_due=date(2026, 3, 20),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_every_field_has_a_signal_and_typed_values() -> None:
    values = signals(_row())
    assert set(values) == {f.key for f in FIELDS}
    assert values["buyer_completion"] == 37.5
    assert values["health"] == "At risk" and values["close_slip_days"] == 7
    assert values["projected_close"] == date(2026, 6, 5)
    assert values["map_exists"] is True and values["stale"] is False
    assert values["map_link"] == "https://docs.google.com/spreadsheets/d/abc"
    assert signals(_row(link="file:///home/sam/maps/x.xlsx"))["map_link"] is None


def test_a_never_read_plan_sends_no_made_up_figures() -> None:
    values = signals(_row(health="unknown", score=None, buyer_steps_total=0))
    assert values["health"] is None and values["buyer_steps_total"] is None
    assert values["buyer_completion"] is None


def test_only_changed_signals_are_written_again() -> None:
    first = signals(_row())
    assert changed(first, None) == first
    written = encode(first)
    assert changed(signals(_row()), written) == {}
    later = changed(signals(_row(days_since_last_completion=5, score=60)), written)
    assert later == {"days_since_completion": 5, "health_score": 60}


def test_long_text_is_cut_to_a_text_field() -> None:
    values = signals(_row(next_step="S04 " + "x" * 400))
    assert isinstance(values["next_milestone"], str) and len(values["next_milestone"]) == 255


def test_unlinking_clears_and_says_no_plan() -> None:
    cleared = unlinked()
    assert cleared["map_exists"] is False and cleared["health"] is None


def _m(step: str, stage: str, done: bool = True) -> Milestone:
    return Milestone(step, f"step {step}", stage, done)


def test_the_furthest_done_milestone_ahead_wins() -> None:
    move, problems = stage_move(
        [
            _m("S02", "Qualification"),
            _m("S05", "proposal/price quote"),
            _m("S07", "Negotiation/Review", False),
        ],
        "Qualification",
        STAGES,
    )
    assert move is not None and move.to.id == "Proposal/Price Quote" and move.step_id == "S05"
    assert problems == []


def test_never_back_never_closed_and_missing_stages_are_said() -> None:
    move, _ = stage_move([_m("S02", "Qualification")], "Negotiation/Review", STAGES)
    assert move is None
    move, problems = stage_move([_m("S09", "Closed Won")], "Qualification", STAGES)
    assert move is None and "a closed stage" in problems[0]
    move, problems = stage_move([_m("S03", "Evaluation")], "Qualification", STAGES)
    assert move is None and 'names CRM stage "Evaluation"' in problems[0]
    assert stage_move([_m("S05", "Proposal/Price Quote")], "Closed Lost", STAGES)[0] is None


def _deal(name: str, amount: float | None, stage: str, **kw: object) -> Deal:
    base = Deal(
        id=name,
        name=name,
        amount=amount,
        currency="USD",
        stage=stage,
        stage_label=stage,
        close_date=None,
        closed=False,
        won=False,
        owner="zoe@seller.example.com",
        url="",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_gaps_are_open_big_deals_at_or_past_the_stage_without_a_plan() -> None:
    deals = [
        _deal("big", 250000, "Negotiation/Review"),
        _deal("at gate", 60000, "Proposal/Price Quote"),
        _deal("early", 90000, "Qualification"),
        _deal("small", 1000, "Negotiation/Review"),
        _deal("linked", 90000, "Negotiation/Review"),
        _deal("flagged", 90000, "Negotiation/Review", has_map=True),
        _deal("closed", 90000, "Closed Won", closed=True),
        _deal("no amount", None, "Negotiation/Review"),
    ]
    found = gaps(
        deals, STAGES, from_stage="proposal/price quote", min_amount=50000, linked={"linked"}
    )
    assert [g.deal.name for g in found] == ["big", "at gate"]
    assert found[0].why == "Negotiation/Review, USD 250,000, no MAP linked"


def test_stages_are_found_by_id_or_label_in_their_pipeline() -> None:
    hub = [
        Stage("appointmentscheduled", "Appointment Scheduled", 0, pipeline="default"),
        Stage("s1", "Appointment Scheduled", 0, pipeline="renewals"),
    ]
    assert find_stage(hub, "appointment  scheduled", "renewals") == hub[1]
    assert find_stage(hub, "APPOINTMENTSCHEDULED") == hub[0]
    assert find_stage(hub, "nope") is None


def test_a_hubspot_note_is_html_with_its_link() -> None:
    from addon.crm.hubspot import note_html

    body = note_html("Moved to <Proposal>\nStep S05 is done.\nPlan: https://docs.google.com/x")
    assert body.startswith("<p><strong>Moved to &lt;Proposal&gt;</strong></p>")
    assert '<a href="https://docs.google.com/x">https://docs.google.com/x</a>' in body
