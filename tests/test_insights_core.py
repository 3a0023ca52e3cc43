"""The insights and the templates that learn, on hand-built histories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addon.plan.history import CrmDealHistory, DaySnapshot, History, PlanHistory, StepHistory
from addon.plan.insights import (
    Insights,
    changed_most,
    compute,
    days_cost,
    render_text,
    step_group,
)
from addon.plan.learn import apply, diff_lines, suggest
from addon.plan.stats import quantile, summarise, wilson
from sheets_schema.template import _check, load_templates

D0 = date(2026, 1, 1)
TODAY = date(2026, 11, 30)


def d(n: int) -> date:
    return D0 + timedelta(days=n)


def step(
    sid: str,
    text: str = "",
    *,
    key: str | None = None,
    side: str = "buyer",
    due: int | None = None,
    done: int | None = None,
    pushes: int = 0,
    deps: Sequence[str] = (),
) -> StepHistory:
    return StepHistory(
        step_id=sid,
        text=text or sid,
        side=side,
        template_key=key,
        first_due=d(due) if due is not None else None,
        last_due=d(due) if due is not None else None,
        pushes=pushes,
        done_on=d(done) if done is not None else None,
        depends_on=tuple(deps),
    )


def snap(
    day: int,
    projected: int | None,
    target: int,
    *,
    health: str = "on_track",
    blocker: str = "",
    done: int = 0,
    total: int = 4,
    replayed: bool = False,
) -> DaySnapshot:
    return DaySnapshot(
        day=d(day),
        projected_close=d(projected) if projected is not None else None,
        target_close=d(target),
        health=health,
        score=None,
        buyer_done=done,
        buyer_total=total,
        stale=False,
        blocker=blocker,
        replayed=replayed,
    )


def plan(
    mid: str,
    steps: Sequence[StepHistory] = (),
    *,
    outcome: str = "won",
    created: int = 0,
    closed: int | None = 60,
    signed: int | None = None,
    template: str = "mid_market",
    team: str = "east",
    rep: str = "ana@seller.example",
    value: float | None = 50_000.0,
    snaps: Sequence[DaySnapshot] = (),
    test: bool = False,
    edited: bool = False,
    crm_opened: int | None = None,
) -> PlanHistory:
    if outcome == "open":
        closed = None
    if signed is None and outcome == "won" and closed is not None:
        signed = closed
    return PlanHistory(
        map_id=mid,
        deal=f"Deal {mid}",
        template=template,
        team=team,
        rep=rep,
        deal_value=value,
        currency="USD",
        created_on=d(created),
        outcome=outcome,
        closed_on=d(closed) if closed is not None else None,
        signed_on=d(signed) if signed is not None and outcome == "won" else None,
        steps=tuple(steps),
        snapshots=tuple(snaps),
        buyer_ever_edited=edited,
        test=test,
        crm_opened_on=d(crm_opened) if crm_opened is not None else None,
    )


def run(*plans: PlanHistory, **kw: object) -> Insights:
    return compute(History(plans=tuple(plans)), today=TODAY, **kw)  # type: ignore[arg-type]


# --- statistics ----------------------------------------------------------------------------


def test_wilson_matches_known_values() -> None:
    p = wilson(8, 10)
    assert p.rate == 0.8
    assert p.low == pytest.approx(0.490, abs=0.001)
    assert p.high == pytest.approx(0.943, abs=0.001)
    zero = wilson(0, 5)
    assert zero.low == 0.0 and zero.high == pytest.approx(0.4345, abs=0.001)
    assert wilson(0, 0).rate is None


def test_quantiles_and_median_interval() -> None:
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile(list(range(1, 11)), 0.8) == 8.5
    s = summarise(list(range(1, 11)))
    # n=10: P(B <= 1) = 11/1024 <= 2.5 %, P(B <= 2) = 56/1024 > 2.5 %: ranks 2 and 9
    assert (s.median, s.median_low, s.median_high) == (5.5, 2, 9)
    tiny = summarise([4, 9, 7])
    assert (tiny.median_low, tiny.median_high) == (4, 9)


def test_kaplan_meier_median_of_censored_durations() -> None:
    # durations 3, 7, 9 done; 5 and 11 still open at close (lower bounds).
    # at risk 5: S(3) = 4/5; 5 censored; S(7) = 4/5 * 2/3 = 0.533; S(9) = 0.533 / 2 = 0.267
    # -> median 9 (the first time S <= 1/2); p80 not reached (11 is censored)
    plans = [
        plan("a", [step("s", key="review", done=3)], closed=40),
        plan("b", [step("s", key="review")], outcome="lost", closed=5),
        plan("c", [step("s", key="review", done=7)], closed=40),
        plan("e", [step("s", key="review", done=9)], closed=40),
        plan("f", [step("s", key="review")], outcome="lost", closed=11),
    ]
    (entry,) = run(*plans).steps
    assert entry.duration.n == 5 and entry.duration.censored == 2
    assert entry.duration.median == 9 and entry.duration.median_reached
    assert entry.duration.p80 == 11 and not entry.duration.p80_reached
    assert entry.open_at_close.k == 2 and entry.open_at_close.n == 5
    # naive "censored as observed" would say 7: the censoring matters
    assert quantile([3, 5, 7, 9, 11], 0.5) == 7


def test_duration_starts_at_the_latest_done_prerequisite() -> None:
    p = plan(
        "a",
        [
            step("p1", key="first", done=10),
            step("p2", key="second", done=20),
            step("x", key="after", done=26, deps=["p1", "p2"]),
            step("y", key="waits", done=30, deps=["nope"]),
        ],
    )
    by_key = {s.key: s for s in run(p).steps}
    assert by_key["after"].duration.median == 6
    assert by_key["waits"].duration.median == 30  # no known prerequisite: from creation
    assert by_key["first"].duration.median == 10


def test_a_step_done_after_the_close_was_open_at_close_but_keeps_its_duration() -> None:
    plans = [
        plan("a", [step("k", key="kickoff", done=70)], closed=60),
        plan("b", [step("k", key="kickoff")], closed=60),
        plan("c", [step("k", key="kickoff", done=50)], closed=60),
    ]
    (entry,) = run(*plans).steps
    assert (entry.open_at_close.k, entry.open_at_close.n, entry.n_done) == (2, 3, 2)
    # KM: S(50) = 2/3, 60 censored, S(70) = 0: the median is 70
    assert (entry.duration.median, entry.duration.censored) == (70, 1)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=200), st.booleans()), min_size=1, max_size=40
    )
)
def test_medians_and_intervals_stay_in_the_data(data: list[tuple[int, bool]]) -> None:
    values = [v for v, _ in data]
    flags = [c for _, c in data]
    for s in (summarise(values, flags), summarise(values)):
        assert s.median is not None and s.median_low is not None
        assert min(values) <= s.median_low <= s.median <= max(values)
        if s.median_high is not None:
            assert s.median <= s.median_high <= max(values)
        assert s.p80 is not None and s.median <= s.p80 <= max(values)


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=0, max_value=500))
def test_wilson_bounds_are_ordered_within_zero_one(k: int, extra: int) -> None:
    n = k + extra
    p = wilson(k, n)
    if n == 0:
        assert p.rate is None
        return
    assert p.low is not None and p.high is not None and p.rate is not None
    assert 0.0 <= p.low <= p.rate <= p.high <= 1.0


# --- sample, filters, exclusions ----------------------------------------------------------


def test_test_and_excluded_plans_are_left_out_and_filters_apply() -> None:
    plans = [
        plan("a", closed=30),
        plan("b", outcome="lost", closed=90),
        plan("c", outcome="open", created=100),
        plan("t", test=True),
        plan("x"),
        plan("w", team="west", closed=30),
    ]
    ins = run(*plans, exclude={"x"})
    s = ins.sample
    assert (s.considered, s.closed, s.won, s.lost, s.open) == (4, 3, 2, 1, 1)
    assert (s.left_out_test, s.left_out_excluded) == (1, 1)
    assert run(*plans, team="west").sample.considered == 1
    assert run(*plans, rep="ANA@seller.example", exclude=["x"]).sample.considered == 4
    # period: closed plans by their close, open ones by their creation
    period = run(*plans, since=d(50), until=d(120), exclude=["x"]).sample
    assert (period.won, period.lost, period.open) == (0, 1, 1)
    assert run(*plans, template="smb").sample.considered == 0
    assert "left out 1 test, 1 excluded" in " ".join(" ".join(render_text(ins)[:2]).split())


# --- steps --------------------------------------------------------------------------------


def test_buyer_wordings_group_by_meaning() -> None:
    names = {
        step_group(t)
        for t in ("InfoSec questionnaire", "Security review!", "SOC2 report review", "Pen tests")
    }
    assert names == {"security review"}
    assert step_group("Purchase orders raised") == "procurement"
    assert step_group("Supplier registration") == "procurement"
    assert step_group("MSA redlines") == "legal review"
    assert step_group("Proof of concept") == "pilot"
    assert step_group("GDPR DPA") == "privacy review"
    assert step_group("Book the kick-offs") == "book kick off"
    plans = [
        plan(m, [step("b1", w, side=side)])
        for m, w, side in (
            ("a", "InfoSec questionnaire", "buyer"),
            ("b", "Security review!", "buyer"),
            ("c", "SOC2 report review", "seller"),
        )
    ]
    (entry,) = run(*plans).steps
    assert entry.kind == "buyer_added" and entry.key == "security review"
    assert sorted(entry.wordings) == [
        "InfoSec questionnaire",
        "SOC2 report review",
        "Security review!",
    ]
    assert entry.side == "buyer" and entry.n == 3


def test_days_cost_is_charged_to_the_blocker_only() -> None:
    snaps = [
        snap(1, 50, 50, blocker="s1"),
        snap(2, 55, 50, blocker="s2"),  # +5 while s1 blocked
        snap(3, 58, 50, blocker=""),  # +3 while s2 blocked
        snap(4, 70, 50, blocker="s1"),  # +12 with no blocker: nobody
        snap(5, 60, 50, blocker="s1", replayed=True),  # earlier: nothing
        snap(6, 80, 50, replayed=True),  # +20 after a replayed day: nothing
    ]
    p = plan("a", [step("s1", key="legal"), step("s2", key="security")], snaps=snaps)
    assert days_cost(p) == {"s1": 5, "s2": 3}
    other = plan("b", [step("s1", key="legal"), step("s2", key="security")])
    steps = run(p, other).steps
    assert [s.key for s in steps] == ["legal", "security"]  # sorted by days cost
    assert steps[0].days_cost_total == 5 and steps[0].days_cost_mean == 2.5
    assert steps[1].days_cost_total == 3


def test_lateness_and_push_rate() -> None:
    plans = [
        plan(f"p{i}", [step("s", key="legal", due=20, done=20 + late, pushes=i % 2)])
        for i, late in enumerate([-2, 0, 4, 6, 9, 10, 12, 30])
    ]
    (entry,) = run(*plans).steps
    assert entry.lateness.median == 7.5
    assert (entry.pushed.k, entry.pushed.n) == (4, 8)
    assert entry.trend


def test_trend_needs_eight_closed_deals() -> None:
    seven = [plan(f"p{i}", [step("s", key="legal", done=10)]) for i in range(7)]
    opened = [plan("o", [step("s", key="legal", done=10)], outcome="open")]
    (entry,) = run(*seven, *opened).steps
    assert not entry.trend and entry.n == 8 and entry.n_closed == 7
    lines = render_text(run(*seven, *opened))
    assert any("too few closed deals to call a trend (n=7)" in line for line in lines)
    (entry8,) = run(*seven, plan("p8", [step("s", key="legal", done=10)])).steps
    assert entry8.trend


# --- cycle time, calibration, outcomes ----------------------------------------------------


def test_cycle_time_by_template_and_deal_size_and_crm() -> None:
    plans = [
        plan("a", created=0, closed=40, value=10_000, template="smb", crm_opened=-10),
        plan("b", created=0, closed=60, value=50_000),
        plan("c", created=0, closed=80, value=150_000),
        plan("e", created=0, closed=100, value=None),
        plan("l", outcome="lost", closed=30),
    ]
    deals = (
        CrmDealHistory("1", d(0), d(30), True, 1.0, True),
        CrmDealHistory("2", d(0), d(50), False, 1.0, True),
        CrmDealHistory("3", d(0), d(90), True, 1.0, False),
        CrmDealHistory("4", d(0), d(70), False, 1.0, False),
        CrmDealHistory("5", d(0), d(80), False, 1.0, False),
    )
    ct = compute(History(tuple(plans), deals), today=TODAY).cycle_time
    assert ct.overall.created_to_signed.median == 70 and ct.overall.created_to_signed.n == 4
    assert ct.overall.crm_opened_to_signed.median == 50
    bands = {g.label: g.created_to_signed.median for g in ct.by_deal_size}
    assert bands == {
        "SMB (<25k)": 40,
        "mid-market (25k-100k)": 60,
        "enterprise (>=100k)": 80,
        "unknown size": 100,
    }
    assert [g.label for g in ct.by_template] == ["mid_market", "smb"]
    assert ct.with_map.win_rate.k == 1 and ct.with_map.cycle.median == 30
    assert ct.without_map.win_rate.n == 3 and ct.without_map.cycle.median == 90


def _calibrated(i: int) -> PlanHistory:
    signed = 200 + i
    wobble = 3 if i % 2 else -3
    snaps = [
        snap(signed - day, signed + wobble, signed - 20, blocker="x")
        for day in (90, 62, 35, 31, 20, 15)
    ]
    return plan(f"w{i}", closed=signed, snaps=snaps)


def test_calibration_with_a_planted_bias() -> None:
    cal = run(*[_calibrated(i) for i in range(10)]).calibration
    by_h = {h.days_before: h for h in cal.horizons}
    h30 = by_h[30]
    assert h30.n == 10 and h30.trend
    assert h30.projected_error.median == 3 and h30.target_error.median == 20
    assert h30.target_bias == 20  # targets 20 days early: optimistic
    assert h30.projected_bias == 0
    assert h30.projected_closer.k == 10
    assert by_h[60].n == 10 and by_h[14].n == 10
    assert cal.answer == (
        "projected close is the better forecast at 30 days: median error 3 days vs 20 (n=10)"
    )
    few = run(*[_calibrated(i) for i in range(5)]).calibration.answer
    assert few.endswith("too few closed deals to call a trend (n=5)")
    # no snapshot far enough back: not counted at that horizon
    late = plan("late", closed=100, snaps=[snap(85, 100, 100)])
    assert {h.days_before: h.n for h in run(late).calibration.horizons} == {60: 0, 30: 0, 14: 1}


def test_outcomes_by_health_30_days_before_close() -> None:
    plans = [
        plan("a", closed=100, snaps=[snap(60, 100, 100, done=4), snap(95, 110, 100)]),
        plan("b", closed=100, snaps=[snap(70, 100, 100, health="off_track", done=1)]),
        plan("c", outcome="lost", closed=100, snaps=[snap(65, 100, 100, health="off_track")]),
        plan("e", outcome="lost", closed=100, edited=True),
        plan("o", outcome="open", snaps=[snap(1, 100, 100)]),
    ]
    o = run(*plans).outcomes
    bands = {(b.group, b.label): (b.win_rate.k, b.win_rate.n) for b in o.bands}
    assert o.n_closed == 4
    assert bands[("health", "on_track")] == (1, 1)
    assert bands[("health", "off_track")] == (1, 2)
    assert bands[("health", "no snapshot")] == (0, 1)
    assert bands[("completion", "75-100 %")] == (1, 1)
    assert bands[("completion", "25-50 %")] == (1, 1)
    assert bands[("completion", "0-25 %")] == (0, 1)
    assert bands[("buyer_edited", "yes")] == (0, 1)
    assert bands[("buyer_edited", "no")] == (2, 3)


# --- text, digest, schema -----------------------------------------------------------------


def _rich(shift: int = 0) -> Insights:
    plans = [_calibrated(i) for i in range(10)]
    plans += [
        plan(
            f"s{i}",
            [
                step("s1", "Security review", key="security_review", due=30, done=30 + i + shift),
                step("b", "InfoSec questionnaire", done=20, pushes=i % 3),
            ],
            snaps=[snap(1, 60, 60, blocker="s1"), snap(2, 60 + i, 60)],
            outcome="won" if i % 3 else "lost",
        )
        for i in range(9)
    ]
    return run(*plans)


def test_render_text_is_short_lines_with_every_section() -> None:
    lines = render_text(_rich())
    assert all(len(line) <= 100 for line in lines)
    text = "\n".join(lines)
    for heading in ("Steps", "Cycle time", "Forecast calibration", "Outcomes by plan health"):
        assert heading in text
    assert "Security review (template security_review)" in text
    assert "Projected close is the better forecast at 30 days" in text


def test_changed_most_and_notable() -> None:
    now, before = _rich(shift=10), _rich()
    changes = changed_most(now, before, k=3)
    assert len(changes) == 2  # only the security review's lateness and duration moved
    assert all("n=" in c for c in changes)
    assert "Security review" in changes[0]
    notable = changed_most(now, None)
    assert len(notable) == 3
    assert notable[0].startswith("Security review cost a mean of")
    assert notable[1].startswith("Projected close is the better forecast")
    assert notable[2].startswith("Lowest win rate")
    assert changed_most(now, now) == []


def test_insights_have_a_json_schema_and_round_trip() -> None:
    ins = _rich()
    schema = Insights.model_json_schema()
    assert "steps" in schema["properties"]
    assert Insights.model_validate_json(ins.model_dump_json()) == ins


# --- templates that learn -----------------------------------------------------------------


def _smb_plans(n: int, fit: bool = True) -> list[PlanHistory]:
    return [
        plan(
            f"m{i}",
            [
                *([step("fit", key="fit_confirmed", done=3)] if fit else []),
                step("sec", key="security_check", done=28 + i % 2, deps=["fit"]),
            ],
            template="smb",
            closed=63,
        )
        for i in range(n)
    ]


def test_a_suggestion_needs_eight_closed_deals() -> None:
    smb = load_templates()["smb"]
    seven = suggest(smb, History(tuple(_smb_plans(7))))
    sec7 = next(s for s in seven.steps if s.key == "security_check")
    assert sec7.suggested_duration is None and not sec7.enough
    assert sec7.lines == ("Security check: 7 closed deals; not enough to suggest",)

    eight = suggest(smb, History(tuple(_smb_plans(8))))
    sec = next(s for s in eight.steps if s.key == "security_check")
    # durations 25, 26, 25, 26, ... (from fit_confirmed done on day 3): median 25.5 -> 26
    assert sec.enough and sec.median_duration == 25.5 and sec.suggested_duration == 26
    # finished 35/34 days before the signature; the template says due 21 days before
    assert sec.median_offset == -34.5 and sec.suggested_offset == -34
    assert (
        "Security check: template 10 days; 8 closed deals; the won ones took a median of 25.5"
        in (sec.lines[0])
    )
    fit = next(s for s in eight.steps if s.key == "fit_confirmed")
    assert fit.suggested_offset == -60  # done on day 3, signed on day 63

    new = apply(smb, eight)
    steps = {s.key: s for s in new.steps}
    assert steps["security_check"].duration_days == 26
    assert steps["security_check"].offset_days == -34
    assert steps["fit_confirmed"].offset_days == -60
    _check(new, "smb.yaml")
    assert smb == load_templates()["smb"]  # the built-in is untouched
    assert diff_lines(eight)[0] == "Template smb:"


def test_suggested_offsets_leave_room_after_prerequisites() -> None:
    smb = load_templates()["smb"]
    sugg = suggest(smb, History(tuple(_smb_plans(8, fit=False))))
    sec = next(s for s in sugg.steps if s.key == "security_check")
    # no prerequisite done: from the plan's creation, 28 or 29 days -> 28.5 -> 28
    assert (sec.suggested_duration, sec.suggested_offset) == (28, -34)
    fit = next(s for s in sugg.steps if s.key == "fit_confirmed")
    # fit_confirmed (due -35) must leave 28 days for the security check due at -34
    assert not fit.enough and fit.suggested_offset == -34 - 28
    assert fit.lines[-1] == (
        "Fit confirmed: template due -35 days from the close; "
        "suggest -62 (earlier, to leave room for Security check)"
    )
    _check(apply(smb, sugg), "smb.yaml")


def _mm_plans(n: int) -> list[PlanHistory]:
    wordings = ["InfoSec questionnaire", "Security review!", "SOC2 report review"]
    return [
        plan(
            f"q{i}",
            [
                step("pc", key="problem_confirmed", done=5),
                step("pa", key="plan_agreed", done=8, deps=["pc"]),
                step("x", wordings[i % 3], done=20, deps=["pa"], side="buyer"),
                step("sig", key="contract_signed", done=60),
            ],
            closed=60,
        )
        for i in range(n)
    ]


def test_a_new_step_needs_five_plans() -> None:
    mm = load_templates()["mid_market"]
    assert suggest(mm, History(tuple(_mm_plans(4)))).new_steps == ()
    five = suggest(mm, History(tuple(_mm_plans(5))))
    (ns,) = five.new_steps
    assert ns.label == "Security review" and ns.after == "plan_agreed" and ns.side == "buyer"
    assert ns.n_plans == 5 and ns.duration_days == 12 and ns.fits
    assert set(ns.wordings) == {"InfoSec questionnaire", "Security review!", "SOC2 report review"}
    new = apply(mm, five)
    keys = [s.key for s in new.steps]
    assert keys[keys.index("plan_agreed") + 1] == ns.key == "security_review_added"
    added = next(s for s in new.steps if s.key == ns.key)
    assert added.depends_on == ("plan_agreed",) and added.offset_days == -70 + 12
    _check(new, "mid_market.yaml")
    assert any("New step 'Security review'" in line for line in diff_lines(five))


def test_a_full_template_says_so_instead_of_adding() -> None:
    smb = load_templates()["smb"]
    plans = [
        plan(f"z{i}", [step("x", "Purchase order", done=10)], template="smb") for i in range(5)
    ]
    sugg = suggest(smb, History(tuple(plans)))
    (ns,) = sugg.new_steps
    assert not ns.fits and "template is full" in ns.line
    assert len(apply(smb, sugg).steps) == len(smb.steps)
