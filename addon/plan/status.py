"""The status rules (docs/status-rules.md). Deterministic: the plan, its memory and `today` in.

Step health, first match wins: done, skipped, blocked (status, or a direct prerequisite
not done and overdue), overdue, at_risk (projected finish after due), due_soon (within 3
days), on_track, unscheduled.

Health score, 0 (worst) to 100, for ranking; 100 minus these penalties, floored at 0:
  lateness     min(30, sum of days late over open steps / 2)
  close slip   min(25, 2 x days the projected close is past the target close)
  history      min(15, 3 x date pushes + total slipped days / 7)
  engagement   min(15, days since the last buyer update - 7), from the plan start if none
  progress     15 x share of steps due by today that are not done (skipped excluded)
  consequence  10 if any agreed consequence is firing
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from addon.plan.models import OwnerKind, ParsedMap, Problem, ProblemKind, Step, StepMemory
from sheets_schema.vocab import Health, MapHealth, Side, Status

DUE_SOON_DAYS = 3
LATE_AT_RISK_DAYS = 7
CLOSE_OFF_TRACK_DAYS = 7
STALE_NO_EDIT_DAYS = 14
STALE_WINDOW_DAYS = 21
GUTTED_SCORE = 50  # the most an emptied or gutted plan scores


@dataclass(frozen=True)
class StepStatus:
    id: str
    health: Health
    days_late: int
    slipped_days: int
    push_count: int
    baseline_due: date | None
    done_on: date | None
    waiting_on: tuple[str, ...]
    projected_finish: date | None
    consequence_fired: bool
    is_buyer_step: bool


@dataclass(frozen=True)
class Pointer:
    step_id: str
    step: str
    owner: str
    due: date | None
    side: str  # whose court: buyer or seller


@dataclass(frozen=True)
class PlanStatus:
    steps: dict[str, StepStatus]
    projected_close: date | None
    health: MapHealth
    score: int
    stale: bool
    buyer_steps_done: int
    buyer_steps_total: int
    current_blocker: Pointer | None
    next_step: Pointer | None
    days_since_last_completion: int | None
    last_buyer_update: date | None
    consequences_fired: tuple[str, ...]
    total_slipped_days: int
    total_pushes: int
    problems: tuple[Problem, ...]  # status-level problems (cycles, missing signature)
    health_reason: str = ""  # why the plan itself is a risk (emptied, gutted), if it is


def _is_buyer_step(step: Step, mem: StepMemory | None) -> bool:
    if mem is not None and mem.side is not None:
        return mem.side in (Side.BUYER, Side.BOTH)
    return bool(step.buyer_owner)


def _duration(step: Step, mem: StepMemory | None, by_id: Mapping[str, Step]) -> int:
    if mem is not None and mem.duration_days:
        return mem.duration_days
    prereq_dues = [by_id[d].due for d in step.depends_on if d in by_id and by_id[d].due]
    if step.due and prereq_dues:
        gap = (step.due - max(d for d in prereq_dues if d is not None)).days
        if gap > 0:
            return gap
    return 1


def _kahn(graph: Mapping[str, set[str]]) -> list[str]:
    """Prerequisites first, in row order where free; nodes on or behind a cycle are left out.

    (graphlib does the same but cost a third of the status pass on 25-step plans.)"""
    waiting = {node: len(deps) for node, deps in graph.items()}
    dependents: dict[str, list[str]] = {}
    for node, deps in graph.items():
        for dep in deps:
            dependents.setdefault(dep, []).append(node)
    ready = [node for node, count in waiting.items() if count == 0]
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for child in dependents.get(node, ()):
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return order


def _on_a_cycle(graph: Mapping[str, set[str]], candidates: set[str]) -> set[str]:
    """The candidates that can reach themselves through their prerequisites."""
    found: set[str] = set()
    for start in candidates:
        stack, seen = list(graph[start]), set()
        while stack:
            node = stack.pop()
            if node == start:
                found.add(start)
                break
            if node not in seen and node in candidates:
                seen.add(node)
                stack.extend(graph[node])
    return found


def _order(parsed: ParsedMap, by_id: Mapping[str, Step]) -> tuple[list[str], set[str]]:
    """Steps in dependency order, and the ids caught in a cycle (their edges are ignored)."""
    graph = {s.id: {d for d in s.depends_on if d in by_id} for s in parsed.steps}
    in_cycle: set[str] = set()
    while True:
        order = _kahn(graph)
        if len(order) == len(graph):
            return order, in_cycle
        cycle = _on_a_cycle(graph, set(graph) - set(order))
        in_cycle |= cycle
        for sid in cycle:
            graph[sid] = graph[sid] - cycle


def compute(
    parsed: ParsedMap,
    memory: Mapping[str, StepMemory],
    *,
    target_close: date,
    today: date,
    last_buyer_update: date | None = None,
    plan_start: date | None = None,
    last_steps: Collection[str] = (),
) -> PlanStatus:
    """`last_steps`: the step ids on the plan at the last sync (none before the first)."""
    by_id = {s.id: s for s in parsed.steps}
    order, in_cycle = _order(parsed, by_id)
    problems: list[Problem] = []
    for sid in sorted(in_cycle):
        s = by_id[sid]
        problems.append(
            Problem(
                parsed.plan_tab,
                f"G{s.row + 1}",
                ", ".join(s.depends_on),
                "these steps depend on each other in a circle ("
                + " → ".join(sorted(in_cycle))
                + "); remove one dependency",
                step_id=sid,
            )
        )

    done_on: dict[str, date | None] = {}
    finish: dict[str, date | None] = {}
    for sid in order:
        step, mem = by_id[sid], memory.get(sid)
        if step.is_done:
            done_on[sid] = step.done_on or (mem.first_seen_done if mem else None) or today
            finish[sid] = done_on[sid]
            continue
        done_on[sid] = None
        if step.is_skipped:
            finish[sid] = None
            continue
        prereqs = [
            finish[d]
            for d in step.depends_on
            if d in finish and d not in in_cycle and finish[d] is not None
        ]
        candidates = [today]
        if step.due:
            candidates.append(step.due)
        if prereqs:
            latest = max(p for p in prereqs if p is not None)
            candidates.append(latest + timedelta(days=_duration(step, mem, by_id)))
        finish[sid] = max(candidates)

    statuses: dict[str, StepStatus] = {}
    for step in parsed.steps:
        mem = memory.get(step.id)
        health, days_late, waiting = _step_health(step, by_id, finish, today, in_cycle)
        baseline = mem.baseline_due if mem and mem.baseline_due else step.due
        slipped = (step.due - baseline).days if step.due and baseline else 0
        threshold = step.threshold_days
        fired = threshold is not None and step.is_open and days_late >= threshold
        statuses[step.id] = StepStatus(
            id=step.id,
            health=health,
            days_late=days_late,
            slipped_days=slipped,
            push_count=mem.push_count if mem else 0,
            baseline_due=baseline,
            done_on=done_on.get(step.id),
            waiting_on=waiting,
            projected_finish=finish.get(step.id),
            consequence_fired=fired,
            is_buyer_step=_is_buyer_step(step, mem),
        )

    projected_close = _projected_close(parsed, memory, finish, target_close, problems)
    summary = _summarise(
        parsed,
        statuses,
        projected_close,
        target_close,
        today,
        last_buyer_update,
        plan_start,
        tuple(problems),
    )
    reason = gutted(parsed, memory, last_steps)
    if not reason:
        return summary
    worse = MapHealth.AT_RISK if summary.health is MapHealth.ON_TRACK else summary.health
    # Ranked with the plans at risk, not among the healthiest.
    return replace(
        summary, health=worse, health_reason=reason, score=min(summary.score, GUTTED_SCORE)
    )


def gutted(parsed: ParsedMap, memory: Mapping[str, StepMemory], last_steps: Collection[str]) -> str:
    """Why a plan that lost its substance is a risk, not healthy: no steps at all, its
    signature step gone, or more than half of the steps of the last sync gone."""
    here = {s.id for s in parsed.steps}
    if not here and (memory or last_steps):
        return "the plan has no steps left: restore them from the last copy, or close the MAP"
    signature = next((m.step_id for m in memory.values() if m.signature), None)
    if signature and signature not in here:
        return f"the signature step {signature} is no longer on the plan: restore its row"
    gone = [sid for sid in last_steps if sid not in here]
    if len(gone) * 2 > len(last_steps):
        return (
            f"{len(gone)} of the {len(last_steps)} steps were deleted since the last sync "
            f"({', '.join(sorted(gone))}): restore them, or confirm the shorter plan"
        )
    return ""


def _step_health(
    step: Step,
    by_id: Mapping[str, Step],
    finish: Mapping[str, date | None],
    today: date,
    in_cycle: set[str],
) -> tuple[Health, int, tuple[str, ...]]:
    waiting = tuple(
        d for d in step.depends_on if d in by_id and by_id[d].is_open and not step.is_done
    )
    if step.is_done:
        return Health.DONE, 0, ()
    if step.is_skipped:
        return Health.SKIPPED, 0, ()
    days_late = (today - step.due).days if step.due and step.due < today else 0
    blocked_by = [d for d in waiting if by_id[d].due is not None and by_id[d].due < today]  # type: ignore[operator]
    if step.status in (Status.BLOCKED, Status.ON_HOLD) or blocked_by:
        return Health.BLOCKED, days_late, waiting
    if days_late > 0:
        return Health.OVERDUE, days_late, waiting
    pf = finish.get(step.id)
    if step.due and pf and pf > step.due:
        return Health.AT_RISK, 0, waiting
    if step.due and (step.due - today).days <= DUE_SOON_DAYS:
        return Health.DUE_SOON, 0, waiting
    if step.due:
        return Health.ON_TRACK, 0, waiting
    return Health.UNSCHEDULED, 0, waiting


def _projected_close(
    parsed: ParsedMap,
    memory: Mapping[str, StepMemory],
    finish: Mapping[str, date | None],
    target_close: date,
    problems: list[Problem],
) -> date | None:
    signature = [s for s in parsed.steps if (m := memory.get(s.id)) and m.signature]
    if signature:
        return finish.get(signature[0].id) or target_close
    # The signature row is gone (deleted or never marked): the latest pre-close finish.
    remembered = [m.step_id for m in memory.values() if m.signature]
    if remembered:
        problems.append(
            Problem(
                parsed.plan_tab,
                "A1",
                remembered[0],
                f"the signature step {remembered[0]} is no longer on the plan; "
                "the projected close uses the latest step due by the target "
                "close instead. Restore the row to fix this",
                ProblemKind.NOTICE,
            )
        )
    before_close = [
        f for s in parsed.steps if (f := finish.get(s.id)) and s.due and s.due <= target_close
    ]
    return max(before_close) if before_close else None


def _pointer(step: Step, memory_side_buyer: bool) -> Pointer:
    return Pointer(
        step.id, step.step, step.owner_text, step.due, "buyer" if memory_side_buyer else "seller"
    )


def _summarise(
    parsed: ParsedMap,
    statuses: dict[str, StepStatus],
    projected_close: date | None,
    target_close: date,
    today: date,
    last_buyer_update: date | None,
    plan_start: date | None,
    problems: tuple[Problem, ...],
) -> PlanStatus:
    steps = parsed.steps
    st = statuses
    open_steps = [s for s in steps if s.is_open]
    fired = tuple(s.id for s in steps if st[s.id].consequence_fired)
    close_slip = (projected_close - target_close).days if projected_close else 0
    worst_late = max((st[s.id].days_late for s in open_steps), default=0)
    if close_slip > CLOSE_OFF_TRACK_DAYS or fired:
        health = MapHealth.OFF_TRACK
    elif close_slip > 0 or worst_late >= LATE_AT_RISK_DAYS:
        health = MapHealth.AT_RISK
    else:
        health = MapHealth.ON_TRACK

    buyer = [s for s in steps if st[s.id].is_buyer_step and not s.is_skipped]
    buyer_open = [s for s in buyer if s.is_open]
    since_edit = (today - (last_buyer_update or plan_start or today)).days
    fell_due = [
        s for s in steps if s.due and today - timedelta(days=STALE_WINDOW_DAYS) <= s.due < today
    ]
    stale = (bool(buyer_open) and since_edit >= STALE_NO_EDIT_DAYS) or (
        bool(fell_due) and not any(s.is_done for s in fell_due)
    )

    late = sorted(
        (s for s in open_steps if st[s.id].days_late > 0 or st[s.id].health is Health.BLOCKED),
        key=lambda s: (-st[s.id].days_late, s.due or date.max, s.id),
    )
    blocker = _pointer(late[0], st[late[0].id].is_buyer_step) if late else None
    upcoming = sorted(open_steps, key=lambda s: (s.due or date.max, s.row))
    next_step = _pointer(upcoming[0], st[upcoming[0].id].is_buyer_step) if upcoming else None
    done_dates = [d for s in steps if (d := st[s.id].done_on)]
    since_done = (today - max(done_dates)).days if done_dates else None

    # Net: a step pulled earlier offsets one pushed later.
    total_slip = sum(x.slipped_days for x in st.values())
    pushes = sum(x.push_count for x in st.values())
    due_by_today = [s for s in steps if s.due and s.due <= today and not s.is_skipped]
    penalty = (
        min(30.0, sum(st[s.id].days_late for s in open_steps) / 2)
        + min(25.0, 2.0 * max(0, close_slip))
        + min(15.0, 3.0 * pushes + max(0, total_slip) / 7)
        + min(15.0, max(0.0, since_edit - 7.0))
        + (
            15.0 * sum(1 for s in due_by_today if not s.is_done) / len(due_by_today)
            if due_by_today
            else 0.0
        )
        + (10.0 if fired else 0.0)
    )
    return PlanStatus(
        steps=statuses,
        projected_close=projected_close,
        health=health,
        score=max(0, round(100 - penalty)),
        stale=stale,
        buyer_steps_done=sum(1 for s in buyer if s.is_done),
        buyer_steps_total=len(buyer),
        current_blocker=blocker,
        next_step=next_step,
        days_since_last_completion=since_done,
        last_buyer_update=last_buyer_update,
        consequences_fired=fired,
        total_slipped_days=total_slip,
        total_pushes=pushes,
        problems=problems,
    )


NEAR_DAYS = 14  # a step due this soon needs its named owner now


def needs_owner(parsed: ParsedMap) -> dict[str, tuple[str, ...]]:
    """Open steps with a placeholder owner ("Legal (TBD)"), by id: the texts to replace."""
    out: dict[str, tuple[str, ...]] = {}
    for step in parsed.steps:
        if not step.is_open:
            continue
        texts = tuple(
            o.text
            for o in (*step.buyer_owners, *step.seller_owners)
            if o.kind is OwnerKind.PLACEHOLDER
        )
        if texts:
            out[step.id] = texts
    return out


def near(parsed: ParsedMap, status: PlanStatus, today: date) -> set[str]:
    """Steps whose placeholder owner must be named now: due within NEAR_DAYS (or overdue),
    or needed by an open step that is already late (its prerequisite, or the same
    placeholder owning it)."""
    soon = today + timedelta(days=NEAR_DAYS)
    late = [s for s in parsed.steps if s.is_open and status.steps[s.id].days_late > 0]
    needed = {d for s in late for d in s.depends_on}
    wanted = needs_owner(parsed)
    late_owners = {t.lower() for s in late for t in wanted.get(s.id, ())}
    return {
        sid
        for sid, texts in wanted.items()
        if (step := parsed.step(sid)) is not None
        and (
            (step.due is not None and step.due <= soon)
            or sid in needed
            or any(t.lower() in late_owners for t in texts)
        )
    }
