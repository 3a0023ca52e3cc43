"""The customer-success handoff, built from the plan as it really ran: pure.

What a CSM inherits when the deal is won: the buyer's goals in their words, how success
will be judged (Decision criteria), who is who (Stakeholders), what was promised and is
still open (the steps after signature, each with its owner, date and agreed consequence),
the open risks, the timeline as it happened (first agreed date vs actual), and every
document on the Resources tab with its link (what was promised lives in the contract and
the security package).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from addon.plan.models import Criterion, MapInfo, ParsedMap, Stakeholder, StepMemory
from addon.plan.report import ResourceReport
from addon.plan.status import PlanStatus
from sheets_schema.vocab import Health

CLOSED_RISK = ("closed", "resolved", "mitigated", "done", "retired", "n/a")


@dataclass(frozen=True)
class Milestone:
    """One step of the timeline: planned (first agreed) vs what happened."""

    id: str
    phase: str
    step: str
    owner: str
    baseline_due: date | None
    due: date | None
    done_on: date | None
    slipped_days: int
    pushes: int
    state: str  # the step's health label
    after_signature: bool


@dataclass(frozen=True)
class Commitment:
    id: str
    step: str
    owner: str
    due: date | None
    if_it_slips: str
    late_days: int


@dataclass(frozen=True)
class Handoff:
    info: MapInfo
    won_on: date
    signature: Milestone | None
    stakeholders: tuple[Stakeholder, ...]
    criteria: tuple[Criterion, ...]
    commitments: tuple[Commitment, ...]
    risks: tuple[str, ...]
    timeline: tuple[Milestone, ...]
    on_time: int  # finished steps done by their first agreed date
    finished: int
    resources: tuple[ResourceReport, ...] = ()  # the Resources tab, in sheet order


def _owner(buyer: str, seller: str) -> str:
    return " / ".join(x for x in (buyer, seller) if x) or "no owner named"


def build_handoff(
    info: MapInfo,
    parsed: ParsedMap,
    status: PlanStatus,
    memory: Mapping[str, StepMemory],
    won_on: date,
    resources: Sequence[ResourceReport] = (),
) -> Handoff:
    signature_id = next((m.step_id for m in memory.values() if m.signature), None)
    timeline: list[Milestone] = []
    after = False
    for step in parsed.steps:
        st = status.steps[step.id]
        timeline.append(
            Milestone(
                id=step.id,
                phase=step.phase,
                step=step.step,
                owner=_owner(step.buyer_owner, step.seller_owner),
                baseline_due=st.baseline_due,
                due=step.due,
                done_on=st.done_on,
                slipped_days=st.slipped_days,
                pushes=st.push_count,
                state=st.health.label,
                after_signature=after,
            )
        )
        if step.id == signature_id:
            after = True
    signature = next((m for m in timeline if m.id == signature_id), None)
    commitments = tuple(
        Commitment(
            s.id,
            s.step,
            _owner(s.buyer_owner, s.seller_owner),
            s.due,
            s.if_it_slips,
            status.steps[s.id].days_late,
        )
        for s in parsed.steps
        if status.steps[s.id].health not in (Health.DONE, Health.SKIPPED)
    )
    risks = [
        f"{r.risk}"
        + (f" (owner {r.owner})" if r.owner else "")
        + (f"; mitigation: {r.mitigation}" if r.mitigation else "")
        for r in parsed.risks
        if r.risk and r.status.strip().lower() not in CLOSED_RISK
    ]
    risks += [
        f"{c.id} {c.step}: {c.late_days} days late ({c.owner})"
        for c in commitments
        if c.late_days > 0
    ]
    finished = [m for m in timeline if m.done_on is not None]
    on_time = sum(
        1
        for m in finished
        if m.done_on is not None and (m.baseline_due is None or m.done_on <= m.baseline_due)
    )
    return Handoff(
        info=info,
        won_on=won_on,
        signature=signature,
        stakeholders=parsed.stakeholders,
        criteria=parsed.criteria,
        commitments=commitments,
        risks=tuple(risks),
        timeline=tuple(timeline),
        on_time=on_time,
        finished=len(finished),
        resources=tuple(resources),
    )
