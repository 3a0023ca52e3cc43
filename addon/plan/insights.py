"""What a team's MAP history teaches: which steps cost days, how long deals take, whether
the projected close is worth trusting, and which plans end up won.

Pure: `compute(history, today=...)` takes the values of addon/plan/history.py and returns an
`Insights` model (its JSON Schema is `Insights.model_json_schema()`); `render_text` and
`changed_most` turn it into lines. The statistics are in addon/plan/stats.py; every rate
and median carries its sample size and a 95 % interval, and nothing resting on fewer than
`TREND_MIN` closed deals is called a trend.

Definitions:
- a step's duration runs from the done date of its latest done prerequisite (none, or none
  done: the plan's creation) to its own done date. A step still open when its plan closed
  (or, for an open plan, on `today`) took AT LEAST that long: a right-censored value, and
  the median is then the Kaplan–Meier median.
- lateness: done date - first agreed due date, in days (negative: early).
- days cost: over each pair of consecutive snapshots of a plan, the days the projected close
  moved later are charged to the step that was the blocker on the earlier day; replayed
  snapshots (blocker unknown) charge nothing.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from addon.plan.history import CrmDealHistory, DaySnapshot, History, PlanHistory, StepHistory
from addon.plan.stats import summarise, wilson

TREND_MIN = 8  # closed deals a figure must rest on to be called a trend
HORIZONS = (60, 30, 14)  # days before the signature the forecasts are judged at
OUTCOME_DAYS_BEFORE = 30  # the snapshot outcomes are read from, in days before the close
DEAL_BANDS = ((25_000.0, "SMB (<25k)"), (100_000.0, "mid-market (25k-100k)"))
ENTERPRISE_BAND = "enterprise (>=100k)"
UNKNOWN_BAND = "unknown size"
HEALTHS = ("on_track", "at_risk", "off_track")
WIDTH = 100

METHODS = (
    "proportions: Wilson score 95 % interval",
    "medians of fully observed days: distribution-free 95 % interval from order statistics "
    "(binomial); below n=6 the interval is the data's range",
    "step durations: Kaplan-Meier median and p80, steps still open at close counted as "
    "right-censored; 95 % interval by Brookmeyer-Crowley (Greenwood variance)",
    "quantiles: type 2 (averaged inverse of the empirical distribution), the Kaplan-Meier "
    "inverse when nothing is censored",
    f"a trend rests on at least {TREND_MIN} closed deals",
)

# --- the step vocabulary: buyer-added wordings grouped by meaning ------------------------

_STOP_TEXT = (
    "a an the of for and or to with on in by at our their its from is are be get gets got "
    "please all any your we us it this that via per complete completed done finish "
    "finished final step"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())

# canonical name -> wordings that mean it (normalised like the steps before matching)
STEP_VOCABULARY: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "security review",
        (
            "security review",
            "security questionnaire",
            "infosec",
            "info sec",
            "security",
            "soc 2",
            "pen test",
            "penetration test",
            "vendor risk assessment",
            "iso 27001",
            "caiq",
        ),
    ),
    (
        "privacy review",
        ("dpa", "gdpr", "privacy", "data processing agreement", "data protection"),
    ),
    (
        "legal review",
        (
            "msa",
            "master service agreement",
            "contract redlines",
            "redlines",
            "legal review",
            "legal",
            "contract review",
            "terms review",
        ),
    ),
    (
        "procurement",
        (
            "po",
            "purchase order",
            "vendor onboarding",
            "supplier onboarding",
            "supplier registration",
            "vendor registration",
            "vendor setup",
            "vendor form",
            "procurement",
            "w 9",
        ),
    ),
    ("reference call", ("reference call", "customer reference", "reference check", "reference")),
    ("pilot", ("pilot", "poc", "proof of concept", "trial", "sandbox")),
    ("budget approval", ("budget", "funding", "finance approval", "cfo approval")),
    (
        "technical review",
        ("technical review", "architecture review", "it review", "integration review", "sso"),
    ),
    ("executive approval", ("executive approval", "exec sign off", "board approval")),
    ("accessibility review", ("accessibility", "vpat")),
    ("insurance certificate", ("insurance", "coi")),
)


def _stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def normalise_wording(text: str) -> tuple[str, ...]:
    """Lowercase words, punctuation and stop words dropped, plurals and -ing/-ed folded;
    letters and digits split ("SOC2" -> soc 2)."""
    low = text.lower()
    low = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", low)
    words = re.findall(r"[a-z0-9]+", low)
    return tuple(_stem(w) for w in words if w not in STOP_WORDS)


_VOCAB: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = tuple(
    (name, tuple(normalise_wording(w) for w in wordings)) for name, wordings in STEP_VOCABULARY
)


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return n > 0 and any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def step_group(text: str) -> str:
    """The group a step's wording belongs to: the vocabulary's name when a known wording
    appears in it (the longest match wins, then the vocabulary's order), else its
    normalised words."""
    words = normalise_wording(text)
    best, best_len = "", 0
    for name, phrases in _VOCAB:
        for phrase in phrases:
            if len(phrase) > best_len and _contains(words, phrase):
                best, best_len = name, len(phrase)
    if best:
        return best
    return " ".join(words) or text.strip().lower() or "unnamed step"


# --- observations shared with addon/plan/learn.py -----------------------------------------


def closed(plan: PlanHistory) -> bool:
    return plan.outcome in ("won", "lost")


def group_of(step: StepHistory) -> tuple[Literal["template", "buyer_added"], str]:
    if step.template_key is not None:
        return "template", step.template_key
    return "buyer_added", step_group(step.text)


def step_duration(plan: PlanHistory, step: StepHistory, today: date) -> tuple[int, bool]:
    """(days, censored): from its latest done prerequisite (or the plan's creation) to its
    done date (when known, even after the plan closed); still open: to the plan's close (or
    `today` for an open plan), censored."""
    by_id = {s.step_id: s for s in plan.steps}
    prereqs = [
        d
        for dep in step.depends_on
        if dep in by_id and (d := by_id[dep].done_on) is not None and dep != step.step_id
    ]
    start = max(prereqs) if prereqs else plan.created_on
    if step.done_on is not None:
        return max(0, (step.done_on - start).days), False
    end = plan.closed_on if closed(plan) and plan.closed_on is not None else today
    return max(0, (end - start).days), True


def open_at_close(plan: PlanHistory, step: StepHistory) -> bool:
    """Still open when its (closed) plan closed."""
    if not closed(plan):
        return False
    return step.done_on is None or (plan.closed_on is not None and step.done_on > plan.closed_on)


def days_cost(plan: PlanHistory) -> dict[str, int]:
    """Step id -> days the projected close moved later while it was the blocker."""
    out: dict[str, int] = defaultdict(int)
    for a, b in zip(plan.snapshots, plan.snapshots[1:], strict=False):
        if a.replayed or not a.blocker or a.projected_close is None or b.projected_close is None:
            continue
        moved = (b.projected_close - a.projected_close).days
        if moved > 0:
            out[a.blocker] += moved
    return dict(out)


def snapshot_on(plan: PlanHistory, day: date) -> DaySnapshot | None:
    """The last snapshot on or before `day`."""
    found = None
    for snap in plan.snapshots:
        if snap.day <= day:
            found = snap
        else:
            break
    return found


# --- the model ---------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Rate(_Model):
    k: int
    n: int
    rate: float | None = Field(description="k / n, null when n is 0")
    low: float | None = Field(description="Wilson 95 % interval")
    high: float | None
    trend: bool = Field(description=f"rests on at least {TREND_MIN} closed deals")


class Days(_Model):
    n: int
    censored: int = Field(0, description="values that are lower bounds (still open at close)")
    median: float | None
    p80: float | None
    median_low: float | None = Field(description="95 % interval of the median")
    median_high: float | None = Field(description="null: not reached (too much censoring)")
    median_reached: bool = Field(True, description="false: the median is only a lower bound")
    p80_reached: bool = True
    trend: bool


class Sample(_Model):
    considered: int
    closed: int
    won: int
    lost: int
    open: int
    left_out_test: int
    left_out_excluded: int


class Filters(_Model):
    team: str | None = None
    rep: str | None = None
    template: str | None = None
    since: date | None = None
    until: date | None = None
    excluded: list[str] = []


class StepInsight(_Model):
    key: str = Field(description="the template step key, or the buyer-added group's name")
    kind: Literal["template", "buyer_added"]
    label: str
    wordings: list[str] = Field(description="the wordings seen, most frequent first")
    templates: list[str]
    side: str = Field(description="the side owning it most often")
    n: int = Field(description="plans with the step")
    n_closed: int
    n_done: int = Field(description="plans where it was done")
    duration: Days
    lateness: Days = Field(description="done - first agreed due, days; negative: early")
    pushed: Rate = Field(description="plans where its date was pushed")
    open_at_close: Rate
    days_cost_median: float | None = Field(description="days of close it cost, per plan")
    days_cost_mean: float | None
    days_cost_total: int
    trend: bool


class CycleGroup(_Model):
    label: str
    created_to_signed: Days
    crm_opened_to_signed: Days


class MapCohort(_Model):
    label: str
    n: int = Field(description="closed CRM deals")
    cycle: Days = Field(description="CRM opened -> closed, won deals")
    win_rate: Rate


class CycleTime(_Model):
    overall: CycleGroup
    by_template: list[CycleGroup]
    by_deal_size: list[CycleGroup]
    with_map: MapCohort
    without_map: MapCohort


class Horizon(_Model):
    days_before: int
    n: int
    projected_error: Days = Field(description="|projected close - signature|, days")
    target_error: Days = Field(description="|target close - signature|, days")
    projected_bias: float | None = Field(
        description="mean of signature - projected: positive = optimistic (too early)"
    )
    target_bias: float | None
    projected_closer: Rate = Field(description="plans where projected was strictly closer")
    ties: int
    trend: bool


class Calibration(_Model):
    horizons: list[Horizon]
    answer: str


class OutcomeBand(_Model):
    group: str
    label: str
    win_rate: Rate


class Outcomes(_Model):
    days_before: int
    n_closed: int
    bands: list[OutcomeBand]


class Insights(_Model):
    """What the plans' history teaches, as of `today` (`mapctl insights --json`)."""

    today: date
    filters: Filters
    sample: Sample
    steps: list[StepInsight] = Field(description="sorted by days cost, then lateness")
    cycle_time: CycleTime
    calibration: Calibration
    outcomes: Outcomes
    methods: list[str]


# --- building the figures ----------------------------------------------------------------


def _days(values: Sequence[float], censored: Sequence[bool] | None, trend_n: int) -> Days:
    s = summarise(values, censored)
    return Days(
        n=s.n,
        censored=s.censored,
        median=s.median,
        p80=s.p80,
        median_low=s.median_low,
        median_high=s.median_high,
        median_reached=s.median_reached,
        p80_reached=s.p80_reached,
        trend=trend_n >= TREND_MIN,
    )


def _rate(k: int, n: int, trend_n: int | None = None) -> Rate:
    p = wilson(k, n)
    return Rate(
        k=k,
        n=n,
        rate=p.rate,
        low=p.low,
        high=p.high,
        trend=(n if trend_n is None else trend_n) >= TREND_MIN,
    )


def _period_day(plan: PlanHistory) -> date:
    return plan.closed_on if closed(plan) and plan.closed_on is not None else plan.created_on


def _select(
    plans: Iterable[PlanHistory],
    team: str | None,
    rep: str | None,
    template: str | None,
    since: date | None,
    until: date | None,
) -> list[PlanHistory]:
    out = []
    for p in plans:
        day = _period_day(p)
        if (
            (team is None or p.team == team)
            and (rep is None or p.rep.lower() == rep.lower())
            and (template is None or p.template == template)
            and (since is None or day >= since)
            and (until is None or day <= until)
        ):
            out.append(p)
    return out


def _humanise(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass
class _Acc:
    kind: Literal["template", "buyer_added"]
    key: str
    wordings: Counter[str]
    templates: set[str]
    sides: Counter[str]
    durations: list[float]
    censored: list[bool]
    lateness: list[float]
    plans: int = 0
    plans_closed: int = 0
    plans_done: int = 0
    pushed: int = 0
    open_closed: int = 0
    costs: list[int] | None = None


def _steps(plans: Sequence[PlanHistory], today: date) -> list[StepInsight]:
    accs: dict[tuple[str, str], _Acc] = {}
    for plan in plans:
        cost = days_cost(plan)
        by_group: dict[tuple[Literal["template", "buyer_added"], str], list[StepHistory]] = (
            defaultdict(list)
        )
        for step in plan.steps:
            by_group[group_of(step)].append(step)
        for (kind, key), steps in by_group.items():
            acc = accs.get((kind, key))
            if acc is None:
                acc = accs[(kind, key)] = _Acc(
                    kind, key, Counter(), set(), Counter(), [], [], [], costs=[]
                )
            acc.plans += 1
            acc.templates.add(plan.template)
            is_closed = closed(plan)
            acc.plans_closed += is_closed
            still_open = any(open_at_close(plan, s) for s in steps)
            for step in steps:
                acc.wordings[step.text.strip()] += 1
                if step.side:
                    acc.sides[step.side] += 1
                days, cens = step_duration(plan, step, today)
                acc.durations.append(days)
                acc.censored.append(cens)
                if step.done_on is not None and step.first_due is not None:
                    acc.lateness.append((step.done_on - step.first_due).days)
            acc.plans_done += all(s.done_on is not None for s in steps)
            acc.pushed += any(s.pushes > 0 for s in steps)
            acc.open_closed += is_closed and still_open
            assert acc.costs is not None
            acc.costs.append(sum(cost.get(s.step_id, 0) for s in steps))
    out = []
    for acc in accs.values():
        costs = acc.costs or []
        trend_n = acc.plans_closed
        cost_summary = summarise(costs)
        out.append(
            StepInsight(
                key=acc.key,
                kind=acc.kind,
                label=_humanise(acc.key),
                wordings=[w for w, _ in sorted(acc.wordings.items(), key=lambda x: (-x[1], x[0]))],
                templates=sorted(acc.templates),
                side=acc.sides.most_common(1)[0][0] if acc.sides else "",
                n=acc.plans,
                n_closed=acc.plans_closed,
                n_done=acc.plans_done,
                duration=_days(acc.durations, acc.censored, trend_n),
                lateness=_days(acc.lateness, None, trend_n),
                pushed=_rate(acc.pushed, acc.plans, trend_n),
                open_at_close=_rate(acc.open_closed, acc.plans_closed),
                days_cost_median=cost_summary.median,
                days_cost_mean=sum(costs) / len(costs) if costs else None,
                days_cost_total=sum(costs),
                trend=trend_n >= TREND_MIN,
            )
        )
    out.sort(
        key=lambda s: (
            -(s.days_cost_median or 0),
            -(s.days_cost_mean or 0),
            -(s.lateness.median if s.lateness.median is not None else -1e9),
            s.label,
        )
    )
    return out


def deal_band(value: float | None) -> str:
    if value is None:
        return UNKNOWN_BAND
    for limit, label in DEAL_BANDS:
        if value < limit:
            return label
    return ENTERPRISE_BAND


def _cycle_group(label: str, won: Sequence[PlanHistory]) -> CycleGroup:
    signed = [p for p in won if p.signed_on is not None]
    created = [float((p.signed_on - p.created_on).days) for p in signed if p.signed_on]
    crm = [
        float((p.signed_on - p.crm_opened_on).days)
        for p in signed
        if p.signed_on and p.crm_opened_on is not None
    ]
    return CycleGroup(
        label=label,
        created_to_signed=_days(created, None, len(created)),
        crm_opened_to_signed=_days(crm, None, len(crm)),
    )


def _cohort(label: str, deals: Sequence[CrmDealHistory]) -> MapCohort:
    cycles = [
        float((d.closed_on - d.opened_on).days)
        for d in deals
        if d.won and d.opened_on is not None and d.closed_on is not None
    ]
    return MapCohort(
        label=label,
        n=len(deals),
        cycle=_days(cycles, None, len(cycles)),
        win_rate=_rate(sum(d.won for d in deals), len(deals)),
    )


def _cycle_time(
    plans: Sequence[PlanHistory],
    deals: Sequence[CrmDealHistory],
    since: date | None,
    until: date | None,
) -> CycleTime:
    won = [p for p in plans if p.outcome == "won"]
    by_template: dict[str, list[PlanHistory]] = defaultdict(list)
    by_band: dict[str, list[PlanHistory]] = defaultdict(list)
    for p in won:
        by_template[p.template].append(p)
        by_band[deal_band(p.deal_value)].append(p)
    band_order = [label for _, label in DEAL_BANDS] + [ENTERPRISE_BAND, UNKNOWN_BAND]
    kept = [
        d
        for d in deals
        if (since is None or (d.closed_on is not None and d.closed_on >= since))
        and (until is None or (d.closed_on is not None and d.closed_on <= until))
    ]
    return CycleTime(
        overall=_cycle_group("all won plans", won),
        by_template=[_cycle_group(t, by_template[t]) for t in sorted(by_template)],
        by_deal_size=[_cycle_group(b, by_band[b]) for b in band_order if b in by_band],
        with_map=_cohort("CRM deals with a MAP", [d for d in kept if d.has_map]),
        without_map=_cohort("CRM deals without a MAP", [d for d in kept if not d.has_map]),
    )


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return str(round(x)) if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def _too_few(n: int) -> str:
    return f"too few closed deals to call a trend (n={n})"


def _calibration(plans: Sequence[PlanHistory]) -> Calibration:
    horizons = []
    for h in HORIZONS:
        proj_err: list[float] = []
        targ_err: list[float] = []
        proj_signed: list[float] = []
        targ_signed: list[float] = []
        closer = ties = 0
        for p in plans:
            if p.outcome != "won" or p.signed_on is None:
                continue
            snap = snapshot_on(p, p.signed_on - timedelta(days=h))
            if snap is None or snap.projected_close is None:
                continue
            ps = (p.signed_on - snap.projected_close).days
            ts = (p.signed_on - snap.target_close).days
            proj_signed.append(ps)
            targ_signed.append(ts)
            proj_err.append(abs(ps))
            targ_err.append(abs(ts))
            closer += abs(ps) < abs(ts)
            ties += abs(ps) == abs(ts)
        n = len(proj_err)
        horizons.append(
            Horizon(
                days_before=h,
                n=n,
                projected_error=_days(proj_err, None, n),
                target_error=_days(targ_err, None, n),
                projected_bias=_mean(proj_signed),
                target_bias=_mean(targ_signed),
                projected_closer=_rate(closer, n),
                ties=ties,
                trend=n >= TREND_MIN,
            )
        )
    h30 = next(h for h in horizons if h.days_before == 30)
    if h30.n == 0:
        answer = "no won plan has a snapshot 30 days before its signature: nothing to compare"
    else:
        pm, tm = h30.projected_error.median or 0.0, h30.target_error.median or 0.0
        errors = f"median error {_fmt(pm)} days vs {_fmt(tm)} (n={h30.n})"
        if pm < tm:
            answer = f"projected close is the better forecast at 30 days: {errors}"
        elif tm < pm:
            answer = f"target close is the better forecast at 30 days: {errors}"
        else:
            answer = f"projected and target close forecast equally well at 30 days: {errors}"
        if not h30.trend:
            answer += f"; {_too_few(h30.n)}"
    return Calibration(horizons=horizons, answer=answer)


def completion_band(share: float | None) -> str:
    if share is None:
        return "no buyer steps"
    for top, label in ((0.25, "0-25 %"), (0.5, "25-50 %"), (0.75, "50-75 %")):
        if share < top:
            return label
    return "75-100 %"


def _outcomes(plans: Sequence[PlanHistory]) -> Outcomes:
    groups: dict[tuple[str, str], list[bool]] = defaultdict(list)
    done = [p for p in plans if closed(p)]
    for p in done:
        won = p.outcome == "won"
        snap = (
            snapshot_on(p, p.closed_on - timedelta(days=OUTCOME_DAYS_BEFORE))
            if p.closed_on is not None
            else None
        )
        if snap is None:
            groups[("health", "no snapshot")].append(won)
            groups[("completion", "no snapshot")].append(won)
        else:
            groups[("health", snap.health)].append(won)
            groups[("completion", completion_band(snap.completion))].append(won)
        groups[("buyer_edited", "yes" if p.buyer_ever_edited else "no")].append(won)
        # Went stale (no recent buyer progress) on some synced day before it closed.
        seen = [s for s in p.snapshots if not s.replayed]
        if seen:
            groups[("went_stale", "yes" if any(s.stale for s in seen) else "no")].append(won)
    order = {
        "health": [*HEALTHS, "unknown", "no snapshot"],
        "completion": ["0-25 %", "25-50 %", "50-75 %", "75-100 %", "no buyer steps", "no snapshot"],
        "buyer_edited": ["yes", "no"],
        "went_stale": ["yes", "no"],
    }
    bands = []
    for group, labels in order.items():
        extra = sorted(lbl for g, lbl in groups if g == group and lbl not in labels)
        for label in [*labels, *extra]:
            wins = groups.get((group, label))
            if wins:
                bands.append(
                    OutcomeBand(group=group, label=label, win_rate=_rate(sum(wins), len(wins)))
                )
    return Outcomes(days_before=OUTCOME_DAYS_BEFORE, n_closed=len(done), bands=bands)


def compute(
    history: History,
    *,
    today: date,
    team: str | None = None,
    rep: str | None = None,
    template: str | None = None,
    since: date | None = None,
    until: date | None = None,
    exclude: Collection[str] = (),
) -> Insights:
    """The insights of the plans matching the filters (period: the close date of a closed
    plan, the creation date of an open one), test plans and `exclude`d map ids left out.
    `rep` matches the rep's email case-insensitively. The CRM deals (before vs after MAPs)
    are filtered by their close date only (they carry no team or rep)."""
    matching = _select(history.plans, team, rep, template, since, until)
    tests = [p for p in matching if p.test]
    excluded = [p for p in matching if not p.test and p.map_id in exclude]
    plans = [p for p in matching if not p.test and p.map_id not in exclude]
    sample = Sample(
        considered=len(plans),
        closed=sum(closed(p) for p in plans),
        won=sum(p.outcome == "won" for p in plans),
        lost=sum(p.outcome == "lost" for p in plans),
        open=sum(not closed(p) for p in plans),
        left_out_test=len(tests),
        left_out_excluded=len(excluded),
    )
    return Insights(
        today=today,
        filters=Filters(
            team=team,
            rep=rep,
            template=template,
            since=since,
            until=until,
            excluded=sorted(exclude),
        ),
        sample=sample,
        steps=_steps(plans, today),
        cycle_time=_cycle_time(plans, history.crm_deals, since, until),
        calibration=_calibration(plans),
        outcomes=_outcomes(plans),
        methods=list(METHODS),
    )


# --- text --------------------------------------------------------------------------------


def _wrap(text: str, indent: str = "  ") -> list[str]:
    return textwrap.wrap(
        text, width=WIDTH, initial_indent=indent, subsequent_indent=indent + "    "
    ) or [indent.rstrip()]


def _pct(r: Rate) -> str:
    if r.rate is None or r.low is None or r.high is None:
        return "- (n=0)"
    return f"{round(100 * r.rate)} % [{round(100 * r.low)}-{round(100 * r.high)} %]"


def _median_text(d: Days, unit: str = "days") -> str:
    if d.median is None:
        return "no data"
    ge = "" if d.median_reached else ">="
    p80 = ("" if d.p80_reached else ">=") + _fmt(d.p80)
    ci = ""
    if d.median_low is not None:
        ci = f" [{_fmt(d.median_low)}-{_fmt(d.median_high) if d.median_high is not None else '?'}]"
    cens = f"; {d.censored} still open" if d.censored else ""
    return f"median {ge}{_fmt(d.median)} {unit}{ci} (p80 {p80}{cens})"


def _late_text(d: Days) -> str:
    if d.median is None:
        return "not yet done against an agreed date"
    if d.median > 0:
        return f"{_fmt(d.median)} days late vs first agreed"
    if d.median < 0:
        return f"{_fmt(-d.median)} days early vs first agreed"
    return "on time vs first agreed"


def _trend_tail(trend: bool, n: int, noun: str = "closed") -> str:
    return f"n={n} {noun}" if trend else _too_few(n)


def step_line(s: StepInsight) -> str:
    origin = (
        f"template {s.key}"
        if s.kind == "template"
        else f"added by buyers, {len(s.wordings)} wording{'s' * (len(s.wordings) != 1)}"
    )
    return (
        f"{s.label} ({origin}): {_median_text(s.duration)}, {_late_text(s.lateness)}, "
        f"pushed in {_pct(s.pushed)}, cost {_fmt(s.days_cost_median or 0)} days of close "
        f"(mean {_fmt(s.days_cost_mean or 0)}); {_trend_tail(s.trend, s.n_closed)}"
    )


def _cycle_line(g: CycleGroup) -> list[str]:
    d = g.created_to_signed
    lines = _wrap(f"{g.label}: {_median_text(d)}; {_trend_tail(d.trend, d.n, 'won')}")
    c = g.crm_opened_to_signed
    if c.n:
        lines += _wrap(f"CRM opened -> signature: {_median_text(c)}; n={c.n}", "      ")
    return lines


_GROUP_NAMES = {
    "health": "health",
    "completion": "buyer steps done",
    "buyer_edited": "buyer edited",
    "went_stale": "went stale before the close",
}


def render_text(insights: Insights) -> list[str]:
    """The report a sales leader reads in a terminal, lines of at most 100 columns."""
    s = insights.sample
    head = (
        f"MAP insights {insights.today.isoformat()}: {s.considered} plans "
        f"({s.closed} closed: {s.won} won, {s.lost} lost; {s.open} open); "
        f"left out {s.left_out_test} test, {s.left_out_excluded} excluded"
    )
    lines = _wrap(head, "")
    lines.append(
        "Medians with [95 % interval], rates with [Wilson 95 % interval]; "
        f"trends need {TREND_MIN}+ closed deals."
    )
    f = insights.filters
    shown = [
        f"{name} {value}"
        for name, value in (
            ("team", f.team),
            ("rep", f.rep),
            ("template", f.template),
            ("since", f.since),
            ("until", f.until),
        )
        if value is not None
    ]
    if shown:
        lines += _wrap("filters: " + ", ".join(shown), "")
    lines += ["", "Steps (top 10 by days of close they cost)"]
    if not insights.steps:
        lines.append("  no steps")
    for step in insights.steps[:10]:
        lines += _wrap(step_line(step))
    added = [st for st in insights.steps if st.kind == "buyer_added"]
    if added:
        lines += [
            "",
            "Steps buyers added, grouped by what they say (the groups and their wordings)",
        ]
        for st in sorted(added, key=lambda x: (-x.n, x.key)):
            shown_words = "; ".join(f'"{w}"' for w in st.wordings[:4])
            more = f" and {len(st.wordings) - 4} more" if len(st.wordings) > 4 else ""
            lines += _wrap(
                f"{st.label}: in {st.n} plan{'' if st.n == 1 else 's'}, "
                f"{_median_text(st.duration)}; wordings {shown_words}{more}"
            )
    ct = insights.cycle_time
    lines += ["", "Cycle time (MAP created -> signature, won plans)"]
    lines += _cycle_line(ct.overall)
    for group in (*ct.by_template, *ct.by_deal_size):
        lines += _cycle_line(group)
    for cohort in (ct.with_map, ct.without_map):
        if cohort.n:
            lines += _wrap(
                f"{cohort.label}: cycle {_median_text(cohort.cycle)}, won "
                f"{_pct(cohort.win_rate)}; {_trend_tail(cohort.win_rate.trend, cohort.n)}"
            )
    lines += ["", "Forecast calibration (error vs the signature date)"]
    for h in insights.calibration.horizons:
        if not h.n:
            lines += _wrap(f"{h.days_before} days before: no snapshot")
            continue
        lines += _wrap(
            f"{h.days_before} days before: projected off by {_median_text(h.projected_error)}, "
            f"bias {_fmt(h.projected_bias)}; target off by {_median_text(h.target_error)}, "
            f"bias {_fmt(h.target_bias)}; projected closer in {_pct(h.projected_closer)}; "
            f"{_trend_tail(h.trend, h.n)}"
        )
    lines += _wrap(insights.calibration.answer[:1].upper() + insights.calibration.answer[1:])
    o = insights.outcomes
    lines += [
        "",
        f"Outcomes by plan health {o.days_before} days before close ({o.n_closed} closed)",
    ]
    for band in o.bands:
        r = band.win_rate
        lines += _wrap(
            f"{_GROUP_NAMES[band.group]} {band.label.replace('_', ' ')}: won {r.k} of {r.n}, "
            f"{_pct(r)}" + ("" if r.trend else f"; {_too_few(r.n)}")
        )
    return lines


# --- the weekly digest -------------------------------------------------------------------


@dataclass(frozen=True)
class _Figure:
    key: tuple[str, ...]
    name: str
    value: float
    n: int
    rate: bool


def _figures(ins: Insights) -> list[_Figure]:
    out: list[_Figure] = []
    for s in ins.steps:
        if not s.trend:
            continue
        if s.duration.median is not None:
            out.append(
                _Figure(
                    ("dur", s.key),
                    f"{s.label}: median duration",
                    s.duration.median,
                    s.n_closed,
                    False,
                )
            )
        if s.lateness.median is not None:
            out.append(
                _Figure(
                    ("late", s.key),
                    f"{s.label}: median lateness",
                    s.lateness.median,
                    s.n_closed,
                    False,
                )
            )
        if s.pushed.rate is not None:
            out.append(
                _Figure(("push", s.key), f"{s.label}: push rate", s.pushed.rate, s.n_closed, True)
            )
        if s.days_cost_mean is not None:
            out.append(
                _Figure(
                    ("cost", s.key),
                    f"{s.label}: days of close cost (mean)",
                    s.days_cost_mean,
                    s.n_closed,
                    False,
                )
            )
    overall = ins.cycle_time.overall.created_to_signed
    if overall.trend and overall.median is not None:
        out.append(
            _Figure(
                ("cycle",),
                "Cycle time (created -> signature): median",
                overall.median,
                overall.n,
                False,
            )
        )
    for h in ins.calibration.horizons:
        if h.trend and h.projected_error.median is not None:
            out.append(
                _Figure(
                    ("cal", str(h.days_before)),
                    f"Projected close error {h.days_before} days out: median",
                    h.projected_error.median,
                    h.n,
                    False,
                )
            )
    for b in ins.outcomes.bands:
        if b.win_rate.trend and b.win_rate.rate is not None:
            out.append(
                _Figure(
                    ("won", b.group, b.label),
                    f"Win rate, {_GROUP_NAMES[b.group]} {b.label.replace('_', ' ')}",
                    b.win_rate.rate,
                    b.win_rate.n,
                    True,
                )
            )
    return out


def _value(f: _Figure) -> str:
    return f"{round(100 * f.value)} %" if f.rate else f"{_fmt(f.value)} days"


def changed_most(now: Insights, before: Insights | None, k: int = 3) -> list[str]:
    """The k headline figures (trends only) that changed most since `before`, relative to
    their old value, each a sentence with its sample size. Without `before`: the most
    notable figures (the costliest step, the calibration answer, the lowest win rate)."""
    if before is None:
        return _notable(now, k)
    old = {f.key: f for f in _figures(before)}
    changes: list[tuple[float, str]] = []
    for f in _figures(now):
        prev = old.get(f.key)
        if prev is None or prev.value == f.value:
            continue
        floor = 0.01 if f.rate else 1.0
        rel = (f.value - prev.value) / max(abs(prev.value), floor)
        word = "up" if f.value > prev.value else "down"
        changes.append(
            (
                abs(rel),
                f"{f.name} {_value(f)}, {word} from {_value(prev)} last week "
                f"({'+' if rel > 0 else ''}{round(100 * rel)} %); n={f.n} closed",
            )
        )
    changes.sort(key=lambda c: (-c[0], c[1]))
    return [text for _, text in changes[:k]]


def _notable(ins: Insights, k: int) -> list[str]:
    steps = sorted(
        (s for s in ins.steps if s.days_cost_mean),
        key=lambda s: (not s.trend, -(s.days_cost_mean or 0), s.label),
    )
    costly = [
        f"{s.label} cost a mean of {_fmt(s.days_cost_mean)} days of projected close per plan "
        f"({_fmt(s.days_cost_total)} in all); {_trend_tail(s.trend, s.n_closed)}"
        for s in steps
    ]
    out = costly[:1]
    out.append(ins.calibration.answer[:1].upper() + ins.calibration.answer[1:])
    bands = [b for b in ins.outcomes.bands if b.win_rate.rate is not None]
    bands.sort(key=lambda b: (not b.win_rate.trend, b.win_rate.rate or 0.0, b.label))
    if bands:
        b = bands[0]
        out.append(
            f"Lowest win rate: {_GROUP_NAMES[b.group]} {b.label.replace('_', ' ')} "
            f"{OUTCOME_DAYS_BEFORE} days before close, {_pct(b.win_rate)}; "
            f"{_trend_tail(b.win_rate.trend, b.win_rate.n)}"
        )
    out += costly[1:]
    return out[:k]
