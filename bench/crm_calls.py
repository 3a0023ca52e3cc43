"""CRM calls after a sync, measured through the real adapters and `links.push` against the
CRM fakes (tests/crmfake) served over HTTPS.

For each CRM (Salesforce, HubSpot), N MAPs linked to N deals, in a SQLite registry in a
temp folder. The MAPs are built directly (no workspace): registry rows with the roll-up
row a sync would have stored (`rollup.to_json(build_row(...))`, generated
deterministically) and the steps' memory of the mid-market template. Each push opens a
fresh adapter, as each `mapctl sync` does (so each pays its login, describe and stages):

1. first push: new links, every signal written;
2. the same push again: nothing changed, nothing written;
3. a new day: every MAP's roll-up changed (days since a step was done, health score);
4. stage moves: the template's technical-validation step carries `crm_stage`; 30% of the
   MAPs have it done and are on the opted-in team (20% more have it done on a team that
   did not opt in, 20% are on the opted-in team without it done). Signals unchanged, so
   this push's writes are stage moves and notes only.

Every figure is our own count (`CrmReport.calls`) and is checked against the fake's own
count of the calls it answered (`fake.count(...)` and its call log); a disagreement
raises. The gap list (Policy.gap_stage) is left out: it is a search of its own.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from addon.config import Settings
from addon.crm.base import Crm
from addon.crm.links import CrmReport, Policy, push
from addon.crm.open import open_crm
from addon.plan.models import MapInfo, StepMemory
from addon.plan.rollup import RollupInput, build_row, to_json
from addon.plan.status import PlanStatus, Pointer
from addon.registry.models import MapRow
from addon.registry.store import Registry
from sheets_schema.template import Template, load_templates
from sheets_schema.vocab import MapHealth
from tests.crm_env import REP, seed_hubspot, seed_salesforce
from tests.crmfake.hubspot import HubSpotFake
from tests.crmfake.hubspot import serve as serve_hubspot
from tests.crmfake.salesforce import SalesforceFake
from tests.crmfake.salesforce import serve as serve_salesforce

Figure = tuple[str, object, str]

SEED = 20260311
TEMPLATE = "mid_market"
MILESTONE = "technical_validation"  # the step whose completion moves the stage
DAY1, DAY2 = date(2026, 3, 10), date(2026, 3, 11)
TEAM_IN, TEAM_OUT = "East", "West"
WRITE_GOAL = {"salesforce": 5, "hubspot": 10}  # write calls for 1,000 MAPs (the issue)
# (the deals' stage, the stage the milestone moves them to)
STAGES = {
    "salesforce": ("Qualification", "Proposal/Price Quote"),
    "hubspot": ("qualifiedtobuy", "presentationscheduled"),
}
BUYERS = ["Northwind", "Globex", "Initech", "Umbrella Health", "Hooli", "Tyrell Bio", "Acme"]
OWNERS = ["Dana Whitfield", "Lee Chen", "Priya Patel", "Jonas Weber", "Elif Sahin", ""]


# --- the MAPs ----------------------------------------------------------------------------


@dataclass
class Plan:
    """One generated MAP before it is stored: what both days' roll-ups are made from."""

    index: int
    team: str
    milestone_done: bool
    plan_start: date
    target_close: date
    done: int  # steps done, in plan order
    last_done: date
    score: int
    slip: int
    deal_value: float


def _plans(n: int, template: Template) -> list[Plan]:
    rng = random.Random(SEED)
    milestone = next(i for i, s in enumerate(template.steps) if s.key == MILESTONE)
    plans = []
    for i in range(n):
        group = i % 10  # 0-2: opted in, done; 3-4: opted in, not done; 5-6: done elsewhere
        team = TEAM_IN if group < 5 else TEAM_OUT
        milestone_done = group in (0, 1, 2, 5, 6)
        done = (
            rng.randint(milestone + 1, len(template.steps) - 2)
            if milestone_done
            else rng.randint(1, milestone)
        )
        start = DAY1 - timedelta(days=rng.randint(20, 70))
        plans.append(
            Plan(
                index=i,
                team=team,
                milestone_done=milestone_done,
                plan_start=start,
                target_close=start + timedelta(days=rng.randint(75, 120)),
                done=done,
                last_done=DAY1 - timedelta(days=rng.randint(0, 12)),
                score=rng.randint(15, 98),
                slip=rng.choice([0, 0, 0, 3, 7, 14, 21]),
                deal_value=float(rng.randrange(20_000, 400_000, 500)),
            )
        )
    return plans


def _health(score: int) -> MapHealth:
    if score >= 70:
        return MapHealth.ON_TRACK
    return MapHealth.AT_RISK if score >= 40 else MapHealth.OFF_TRACK


def _rollup(plan: Plan, template: Template, today: date, map_id: str) -> dict[str, object]:
    """The roll-up row a sync on `today` would store for the plan (a day later: one more day
    since a step was done, a point lower on health)."""
    steps = template.steps
    late = (today - DAY1).days
    score = max(0, plan.score - late)
    health = _health(score)
    nxt = steps[plan.done]
    owner = OWNERS[plan.index % len(OWNERS)]
    due = plan.plan_start + timedelta(days=max(1, plan.done * 7))
    blocker = None
    if health is not MapHealth.ON_TRACK:
        blocker = Pointer(f"S{plan.done + 1:02d}", nxt.step, owner, due, "buyer")
    info = MapInfo(
        map_id=map_id,
        deal=f"{BUYERS[plan.index % len(BUYERS)]} rollout {plan.index}",
        buyer_company=BUYERS[plan.index % len(BUYERS)],
        target_close=plan.target_close,
        close_reason="",
        desired_outcome="",
        template=TEMPLATE,
        rep_name="Sam Rivera",
        rep_email=REP,
        created_on=plan.plan_start,
        deal_value=plan.deal_value,
        team=plan.team,
        lifecycle="shared",
        sheet_link=f"https://docs.google.com/spreadsheets/d/bench{plan.index:05d}/edit",
    )
    buyer_total = sum(1 for s in steps if s.side.value in ("buyer", "both"))
    buyer_done = sum(1 for s in steps[: plan.done] if s.side.value in ("buyer", "both"))
    status = PlanStatus(
        steps={},
        projected_close=plan.target_close + timedelta(days=plan.slip + late),
        health=health,
        score=score,
        stale=(today - plan.last_done).days > 10,
        buyer_steps_done=buyer_done,
        buyer_steps_total=buyer_total,
        current_blocker=blocker,
        next_step=Pointer(f"S{plan.done + 1:02d}", nxt.step, owner, due, "buyer"),
        days_since_last_completion=(today - plan.last_done).days,
        last_buyer_update=plan.last_done,
        consequences_fired=(),
        total_slipped_days=plan.slip,
        total_pushes=plan.slip // 7,
        problems=(),
    )
    return to_json(build_row(RollupInput(info, status)))


def _memory(plan: Plan, template: Template) -> dict[str, StepMemory]:
    out = {}
    for j, step in enumerate(template.steps):
        step_id = f"S{j + 1:02d}"
        due = plan.plan_start + timedelta(days=(j + 1) * 7)
        out[step_id] = StepMemory(
            step_id=step_id,
            text=step.step,
            side=step.side,
            duration_days=step.duration_days,
            signature=step.signature,
            baseline_due=due,
            current_due=due,
            first_seen=plan.plan_start,
            first_seen_done=min(due, plan.last_done) if j < plan.done else None,
            template_key=step.key,
        )
    return out


def _registry(folder: Path, plans: list[Plan], deals: list[str], template: Template) -> Registry:
    registry = Registry(f"sqlite:///{folder / 'registry.sqlite'}")
    for plan, deal in zip(plans, deals, strict=True):
        map_id = f"MAP-C{plan.index:05d}"
        row = MapRow(
            id=map_id,
            deal=f"{BUYERS[plan.index % len(BUYERS)]} rollout {plan.index}",
            buyer_company=BUYERS[plan.index % len(BUYERS)],
            buyer_contacts=[],
            target_close=plan.target_close,
            template=TEMPLATE,
            deal_value=plan.deal_value,
            rep_name="Sam Rivera",
            rep_email=REP,
            team=plan.team,
            lifecycle="shared",
            sheet_ref=f"bench{plan.index:05d}",
            doc_ref=f"benchdoc{plan.index:05d}",
            created_on=plan.plan_start,
            created_at=datetime(2026, 1, 5, 9),
            last_synced_on=DAY1,
            rollup=_rollup(plan, template, DAY1, map_id),
            crm_deal_id=deal,
        )
        registry.add_map(row, _memory(plan, template))
    return registry


def _with_stage(template: Template, stage: str) -> Template:
    steps = tuple(
        s.model_copy(update={"crm_stage": stage}) if s.key == MILESTONE else s
        for s in template.steps
    )
    return template.model_copy(update={"steps": steps})


# --- the CRMs ----------------------------------------------------------------------------


def _settings(env: Mapping[str, str], folder: Path) -> Settings:
    values: dict[str, Any] = {k.removeprefix("MAP_").lower(): v for k, v in env.items()}
    values |= {"crm_gap_stage": "", "crm_stage_teams": TEAM_IN, "workspace": folder / "ws"}
    return Settings(**values)


class FakeCounts:
    """The calls the fake answered, by the same kinds as CrmReport.calls (read, write,
    stage, note, token), told apart by the fake's own classification of each request."""

    def __init__(self, snapshot: Callable[[], dict[str, int]]) -> None:
        self.snapshot = snapshot

    def delta(self, before: dict[str, int]) -> dict[str, int]:
        after = self.snapshot()
        return {k: v - before.get(k, 0) for k, v in after.items()}


def _salesforce_counts(fake: SalesforceFake) -> dict[str, int]:
    moves = fake.count("stage_move")
    return {
        "read": fake.count("read"),
        "write": fake.count("collections_update") - moves,
        "stage": moves,
        "note": fake.count("note"),
        "token": fake.count("token"),
        "moved_deals": sum(
            len([r for r in _records(c.body) if "StageName" in r])
            for c in fake.calls()
            if "stage_move" in c.kinds and c.status < 300
        ),
    }


def _records(body: str) -> list[dict[str, Any]]:
    data = json.loads(body) if body else {}
    return list(data.get("records") or []) if isinstance(data, dict) else []


def _hubspot_counts(fake: HubSpotFake) -> dict[str, int]:
    updates = fake.calls("/crm/v3/objects/deals/batch/update")
    stage = [
        c
        for c in updates
        if any("dealstage" in (i.get("properties") or {}) for i in c.body.get("inputs", []))
    ]
    return {
        "read": fake.count("reads"),
        "write": fake.count("batch_update") - len(stage),
        "stage": len(stage),
        "note": fake.count("notes"),
        "token": 0,  # a service key: no token calls
        "moved_deals": fake.count("stage_moves"),
    }


@dataclass
class Push:
    report: CrmReport
    seconds: float
    fake: dict[str, int]

    def ours(self, kind: str) -> int:
        return self.report.calls.get(kind, 0)


def _push(
    name: str,
    what: str,
    settings: Settings,
    registry: Registry,
    counts: FakeCounts,
    today: date,
    templates: Mapping[str, Template] | None = None,
) -> Push:
    crm: Crm | None = open_crm(settings)
    assert crm is not None
    before = counts.snapshot()
    policy = Policy(stage_team=settings.stage_team) if templates is not None else None
    maps = registry.maps()
    started = time.perf_counter()
    report = push(crm, registry, maps, today=today, templates=templates, policy=policy)
    seconds = time.perf_counter() - started
    fake = counts.delta(before)
    bad = [line for line in report.lines if line.outcome in ("failed", "deferred")]
    if report.stopped or bad:
        shown = "; ".join(f"{x.map_id}: {x.message}" for x in bad[:3])
        raise RuntimeError(f"{name} {what}: the push did not go through: {report.stopped} {shown}")
    for kind in ("read", "write", "stage", "note", "token"):
        if report.calls.get(kind, 0) != fake[kind]:
            raise RuntimeError(
                f"{name} {what}: {kind} calls: the adapter counted {report.calls.get(kind, 0)}, "
                f"the fake answered {fake[kind]} (adapter {report.calls}, fake {fake})"
            )
    if report.count("moved") != fake["moved_deals"]:
        raise RuntimeError(
            f"{name} {what}: {report.count('moved')} deals moved by our report, "
            f"{fake['moved_deals']} by the fake"
        )
    return Push(report, seconds, fake)


def _one(name: str, maps: int, say: Callable[[str], None]) -> list[Figure]:
    templates = load_templates()
    template = templates[TEMPLATE]
    plans = _plans(maps, template)
    start_stage, move_to = STAGES[name]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if name == "salesforce":
            with serve_salesforce() as sf:
                org = seed_salesforce(sf, folder)
                deals = [
                    sf.add_opportunity(
                        f"{BUYERS[p.index % len(BUYERS)]} rollout {p.index}",
                        stage=start_stage,
                        close_date=p.target_close.isoformat(),
                        amount=p.deal_value,
                        owner_id=org.sam,
                        account_id=org.account,
                    )
                    for p in plans
                ]
                counts = FakeCounts(lambda: _salesforce_counts(sf))
                return _measure(name, folder, org.env, counts, plans, deals, template, move_to, say)
        with serve_hubspot() as hs:
            account = seed_hubspot(hs)
            deals = [
                hs.add_deal(
                    f"{BUYERS[p.index % len(BUYERS)]} rollout {p.index}",
                    p.deal_value,
                    start_stage,
                    p.target_close.isoformat(),
                    account.sam,
                )
                for p in plans
            ]
            counts = FakeCounts(lambda: _hubspot_counts(hs))
            return _measure(name, folder, account.env, counts, plans, deals, template, move_to, say)


def _measure(
    name: str,
    folder: Path,
    env: Mapping[str, str],
    counts: FakeCounts,
    plans: list[Plan],
    deals: list[str],
    template: Template,
    move_to: str,
    say: Callable[[str], None],
) -> list[Figure]:
    settings = _settings(env, folder)
    t = time.perf_counter()
    registry = _registry(folder, plans, deals, template)
    say(f"{name}: {len(plans)} linked MAPs in the registry in {time.perf_counter() - t:.1f} s")
    crm = open_crm(settings)
    assert crm is not None
    crm.setup()  # the fields (and, on Salesforce, the access to them) the signals need
    n = len(plans)
    p = f"crm_{name}"
    try:
        first = _push(name, "first push", settings, registry, counts, DAY1)
        if first.report.count("written") != n:
            raise RuntimeError(f"{name}: {first.report.count('written')} of {n} deals written")
        say(f"{name}: first push {first.seconds:.2f} s, calls {first.report.calls}")
        again = _push(name, "unchanged push", settings, registry, counts, DAY1)
        say(f"{name}: unchanged push {again.seconds:.2f} s, calls {again.report.calls}")
        for plan in plans:  # a new day: every MAP's roll-up moved
            map_id = f"MAP-C{plan.index:05d}"
            registry.update(map_id, rollup=_rollup(plan, template, DAY2, map_id))
        new_day = _push(name, "new-day push", settings, registry, counts, DAY2)
        if new_day.report.count("written") != n:
            raise RuntimeError(f"{name}: new day: {new_day.report.count('written')} of {n} written")
        say(f"{name}: new-day push {new_day.seconds:.2f} s, calls {new_day.report.calls}")
        staged = {TEMPLATE: _with_stage(template, move_to)}
        stage = _push(name, "stage push", settings, registry, counts, DAY2, staged)
        say(f"{name}: stage push {stage.seconds:.2f} s, calls {stage.report.calls}")
    finally:
        registry.close()
    expected_moves = sum(1 for x in plans if x.milestone_done and x.team == TEAM_IN)
    if stage.report.count("moved") != expected_moves:
        raise RuntimeError(
            f"{name}: {stage.report.count('moved')} deals moved, expected {expected_moves}"
        )
    # The goal is for 1,000 MAPs; for N it is the same share, at least one call.
    goal = max(1, math.ceil(WRITE_GOAL[name] * n / 1000))
    lines: list[Figure] = [
        (f"{p}_maps", n, "count"),
        (f"{p}_first_push_writes", first.ours("write"), "calls"),
        (f"{p}_first_push_reads", first.ours("read"), "calls"),
        (f"{p}_first_push_seconds", f"{first.seconds:.2f}", "s"),
        (f"{p}_unchanged_writes", again.ours("write"), "calls"),
        (f"{p}_unchanged_reads", again.ours("read"), "calls"),
        (f"{p}_unchanged_seconds", f"{again.seconds:.2f}", "s"),
        (f"{p}_new_day_writes", new_day.ours("write"), "calls"),
        (f"{p}_new_day_seconds", f"{new_day.seconds:.2f}", "s"),
        (f"{p}_reads", first.ours("read"), "calls"),
        (f"{p}_stage_moves", stage.ours("stage"), "calls"),
        (f"{p}_notes", stage.ours("note"), "calls"),
        (f"{p}_moved_deals", stage.report.count("moved"), "count"),
        (f"{p}_stage_push_writes", stage.ours("write"), "calls"),
        (f"{p}_stage_push_seconds", f"{stage.seconds:.2f}", "s"),
        (f"{p}_tokens", first.ours("token"), "calls"),
        (f"{p}_fake_first_push_writes", first.fake["write"], "calls"),
        (f"{p}_fake_unchanged_writes", again.fake["write"], "calls"),
        (f"{p}_fake_new_day_writes", new_day.fake["write"], "calls"),
        (f"{p}_fake_reads", first.fake["read"], "calls"),
        (f"{p}_fake_stage_moves", stage.fake["stage"], "calls"),
        (f"{p}_fake_notes", stage.fake["note"], "calls"),
        (f"{p}_fake_moved_deals", stage.fake["moved_deals"], "count"),
        (f"{p}_write_goal", goal, "calls"),
        (f"{p}_meets_write_goal", "yes" if first.ours("write") <= goal else "no", ""),
    ]
    return lines


def run(maps: int = 1000, say: Callable[[str], None] = lambda _m: None) -> list[Figure]:
    lines: list[Figure] = []
    for name in ("salesforce", "hubspot"):
        lines += _one(name, maps, say)
    return lines


if __name__ == "__main__":
    import sys

    for name, value, unit in run(say=lambda m: print(m, file=sys.stderr, flush=True)):
        print(f"{name}: {value} {unit}".rstrip())
