"""The registry's rows as the plans' history (addon/plan/history.py), and the replay of
snapshots for MAPs synced before snapshots were kept.

A replayed day is rebuilt from what the registry did keep: each step's first agreed date,
every later date with the day it was seen, and the day each step was first seen done. The
projected close of a replayed day is the signature step's date as then agreed, pushed by
the most overdue open step before it; health, score and the blocker are not known and are
left out of what rests on them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, timedelta

from sqlalchemy import delete, func, select

from addon.plan.history import (
    CrmDealHistory,
    DaySnapshot,
    History,
    PlanHistory,
    StepHistory,
)
from addon.plan.insights import Insights, compute
from addon.registry.models import (
    DueChangeRow,
    InsightWeekRow,
    MapRow,
    SnapshotRow,
    StepRow,
    TargetCloseRow,
)
from addon.registry.store import Registry
from sheets_schema.template import Template

OUTCOMES = {"won": "won", "lost": "lost", "draft": "open", "shared": "open"}


def _due_on(baseline: date | None, changes: Sequence[DueChangeRow], day: date) -> date | None:
    due = baseline
    for change in changes:
        if change.seen_on <= day and change.new_due is not None:
            due = change.new_due
    return due


def replay(
    row: MapRow, steps: Sequence[StepRow], changes: Sequence[DueChangeRow], until: date
) -> list[SnapshotRow]:
    """Daily snapshots from the MAP's creation to `until`, rebuilt (labelled replayed)."""
    by_step: dict[str, list[DueChangeRow]] = {}
    for c in sorted(changes, key=lambda c: (c.seen_on, c.id or 0)):
        by_step.setdefault(c.step_id, []).append(c)
    signature = next((s for s in steps if s.signature), None)
    buyer = [s for s in steps if s.side in ("buyer", "both")]
    out = []
    day = row.created_on
    while day <= until:
        sig_due = (
            _due_on(signature.baseline_due, by_step.get(signature.step_id, []), day)
            if signature
            else None
        )
        projected = sig_due
        if sig_due is not None:
            late = 0
            for s in steps:
                if s is signature or (s.first_seen_done and s.first_seen_done <= day):
                    continue
                due = _due_on(s.baseline_due, by_step.get(s.step_id, []), day)
                if due is not None and due <= sig_due and due < day:
                    late = max(late, (day - due).days)
            projected = max(sig_due + timedelta(days=late), day)
        out.append(
            SnapshotRow(
                map_id=row.id,
                day=day,
                projected_close=projected,
                target_close=row.target_close,
                health="unknown",
                score=None,
                buyer_done=sum(1 for s in buyer if s.first_seen_done and s.first_seen_done <= day),
                buyer_total=len(buyer),
                stale=False,
                blocker="",
                buyer_edited=bool(row.last_buyer_update and row.last_buyer_update <= day),
                replayed=True,
            )
        )
        day += timedelta(days=1)
    return out


def replay_missing(registry: Registry) -> int:
    """Replay the snapshots of every synced MAP that has none (once: they are stored)."""
    made = 0
    with registry.session() as s:
        have = set(s.scalars(select(SnapshotRow.map_id).distinct()))
        for row in s.scalars(select(MapRow).where(MapRow.last_synced_on.is_not(None))):
            if row.id in have:
                continue
            until = row.closed_on or row.last_synced_on
            assert until is not None
            steps = list(s.scalars(select(StepRow).where(StepRow.map_id == row.id)))
            changes = list(s.scalars(select(DueChangeRow).where(DueChangeRow.map_id == row.id)))
            rows = replay(row, steps, changes, until)
            s.add_all(rows)
            made += len(rows)
    return made


def _template_depends(template: Template | None, steps: Sequence[StepRow]) -> dict[str, list[str]]:
    """A template step's prerequisites as step ids of this plan (for rows stored before the
    sync kept each step's own)."""
    if template is None:
        return {}
    ids = {s.template_key: s.step_id for s in steps if s.template_key}
    out = {}
    for t in template.steps:
        if t.key in ids:
            out[ids[t.key]] = [ids[d] for d in t.depends_on if d in ids]
    return out


def build_history(
    registry: Registry,
    templates: Mapping[str, Template],
    crm_deals: Iterable[CrmDealHistory] = (),
) -> History:
    """Every MAP's life (archived ones left out), with its snapshots (replayed first where
    a MAP has none), in one pass over the registry."""
    replay_missing(registry)
    deals = list(crm_deals)
    opened = {d.deal_id: d.opened_on for d in deals if d.opened_on}
    with registry.session() as s:
        maps = [m for m in s.scalars(select(MapRow)) if m.lifecycle in OUTCOMES]
        steps: dict[str, list[StepRow]] = {}
        for step in s.scalars(select(StepRow)):
            steps.setdefault(step.map_id, []).append(step)
        snaps: dict[str, list[SnapshotRow]] = {}
        for snap in s.scalars(select(SnapshotRow).order_by(SnapshotRow.day)):
            snaps.setdefault(snap.map_id, []).append(snap)
        first_target: dict[str, date] = dict(
            s.execute(
                select(TargetCloseRow.map_id, func.min(TargetCloseRow.changed_on)).group_by(
                    TargetCloseRow.map_id
                )
            ).all()
        )
        targets = {
            (t.map_id, t.changed_on): t.target_close for t in s.scalars(select(TargetCloseRow))
        }
    plans = []
    for m in maps:
        rows = sorted(steps.get(m.id, []), key=lambda r: r.step_id)
        fallback = _template_depends(templates.get(m.template), rows)
        history_steps = tuple(
            StepHistory(
                step_id=r.step_id,
                text=r.text,
                side=r.side or "",
                template_key=r.template_key,
                first_due=r.baseline_due,
                last_due=r.current_due,
                pushes=r.push_count,
                done_on=r.first_seen_done,
                depends_on=tuple(
                    r.depends_on if r.depends_on is not None else fallback.get(r.step_id, [])
                ),
                first_seen=r.first_seen,
                signature=r.signature,
            )
            for r in rows
        )
        outcome = OUTCOMES[m.lifecycle]
        signature = next((x for x in history_steps if x.signature), None)
        signed = (
            (signature.done_on if signature and signature.done_on else m.closed_on)
            if outcome == "won"
            else None
        )
        days = snaps.get(m.id, [])
        plans.append(
            PlanHistory(
                map_id=m.id,
                deal=m.deal,
                template=m.template,
                team=m.team,
                rep=m.rep_email,
                deal_value=m.deal_value,
                currency=m.currency,
                created_on=m.created_on,
                outcome=outcome,
                closed_on=m.closed_on if outcome != "open" else None,
                signed_on=signed,
                steps=history_steps,
                snapshots=tuple(
                    DaySnapshot(
                        day=d.day,
                        projected_close=d.projected_close,
                        target_close=d.target_close,
                        health=d.health,
                        score=d.score,
                        buyer_done=d.buyer_done,
                        buyer_total=d.buyer_total,
                        stale=d.stale,
                        blocker=d.blocker,
                        buyer_edited=d.buyer_edited,
                        replayed=d.replayed,
                    )
                    for d in days
                ),
                target_close_first=targets.get((m.id, first_target[m.id]))
                if m.id in first_target
                else None,
                buyer_ever_edited=m.last_buyer_update is not None
                or any(d.buyer_edited for d in days),
                test=m.is_test,
                crm_opened_on=opened.get(m.crm_deal_id or ""),
            )
        )
    return History(tuple(plans), tuple(deals))


def daily_insights(registry: Registry, today: date) -> Insights:
    """The insights over every plan, computed once a day (the roll-up's Insights tab is
    written at every sync; the history behind it changes by the day)."""
    scope, key = "rollup", today.isoformat()
    with registry.session() as s:
        found = s.get(InsightWeekRow, (scope, key))
        if found is not None:
            return Insights.model_validate(found.body)
    made = compute(build_history(registry, {}), today=today)
    with registry.session() as s:
        s.execute(delete(InsightWeekRow).where(InsightWeekRow.scope == scope))
        s.merge(InsightWeekRow(scope=scope, week=key, body=made.model_dump(mode="json")))
    return made


def weekly_insights(
    registry: Registry, scope: str, week: str, reps: Collection[str], today: date
) -> tuple[Insights, Insights | None]:
    """A manager's team's insights this week, and as last week's digest showed them (None
    the first time); this week's are kept for next week's comparison."""
    history = build_history(registry, {})
    mine = History(tuple(p for p in history.plans if p.rep.lower() in reps), history.crm_deals)
    now = compute(mine, today=today)
    with registry.session() as s:
        before = s.scalars(
            select(InsightWeekRow)
            .where(InsightWeekRow.scope == scope)
            .where(InsightWeekRow.week < week)
            .order_by(InsightWeekRow.week.desc())
        ).first()
        earlier = Insights.model_validate(before.body) if before is not None else None
        s.merge(InsightWeekRow(scope=scope, week=week, body=now.model_dump(mode="json")))
    return now, earlier
