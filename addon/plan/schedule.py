"""A template and a target close -> the first plan (rows, stakeholders, memory).

Dates are back-scheduled from the target close: due = target close + the step's offset.
When the target close is too near for the template's span, pre-close offsets are
compressed so the first step starts today, and the caller is told.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from addon.plan.models import StepMemory
from sheets_schema.template import Template, TemplateStep
from sheets_schema.vocab import Role, Side, Status


@dataclass(frozen=True)
class Contact:
    email: str
    name: str = ""

    @property
    def display(self) -> str:
        return self.name or self.email.split("@")[0].replace(".", " ").title()


@dataclass(frozen=True)
class PlannedStep:
    id: str
    phase: str
    step: str
    buyer_owner: str
    seller_owner: str
    due: date | None
    depends_on: tuple[str, ...]
    status: Status
    if_it_slips: str
    done_on: date | None = None
    notes: str = ""
    # Column key -> text written instead of the typed value: an imported cell that could
    # not be read is kept as its owner typed it, and the first sync reports it.
    verbatim: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedStakeholder:
    name: str
    email: str
    side: str
    role: str
    decision_authority: str = ""
    notes: str = ""


@dataclass(frozen=True)
class PlannedRisk:
    risk: str
    owner: str = ""
    mitigation: str = ""
    status: str = ""


@dataclass(frozen=True)
class PlannedCriterion:
    """A row of the Decision criteria tab: what the buyer must see, who judges it, how it
    will be shown, and whether it has been (status: "Not yet shown", "Shown", "Agreed", or
    an imported word kept as typed)."""

    criterion: str
    who_decides: str = ""
    how_shown: str = ""
    status: str = ""


@dataclass(frozen=True)
class PlannedResource:
    title: str
    kind: str = ""  # the Kind column's label ("Security")
    step: str = ""  # the step id it serves
    link: str = ""
    side: str = ""  # "Buyer" / "Seller"
    provider: str = ""
    shared_on: date | None = None
    notes: str = ""


@dataclass(frozen=True)
class InitialPlan:
    steps: tuple[PlannedStep, ...]
    stakeholders: tuple[PlannedStakeholder, ...]
    memory: dict[str, StepMemory]
    compressed_from_days: int | None  # the template's span, when it had to be squeezed
    risks: tuple[PlannedRisk, ...] = ()
    resources: tuple[PlannedResource, ...] = ()
    criteria: tuple[PlannedCriterion, ...] = ()


def consequence_text(threshold_days: int, text: str) -> str:
    return f"If {threshold_days}+ days late: {text}"


def _owner(role: Role | None, named: dict[Role, str]) -> str:
    if role is None:
        return ""
    return named.get(role) or f"{role.label} (TBD)"


def build_plan(
    template: Template,
    *,
    target_close: date,
    today: date,
    buyer_contacts: Sequence[Contact],
    rep: Contact,
) -> InitialPlan:
    span = template.span_days
    available = (target_close - today).days
    scale = 1.0
    if available < span:
        scale = max(0.0, available) / span
    ids = {s.key: f"S{i:02d}" for i, s in enumerate(template.steps, start=1)}
    named: dict[Role, str] = {Role.AE: rep.display}
    if buyer_contacts:
        named[Role.CHAMPION] = buyer_contacts[0].display

    def due_of(step: TemplateStep) -> date:
        offset = step.offset_days
        if offset < 0:
            offset = round(offset * scale)
        due = target_close + timedelta(days=offset)
        if offset != 0 and due.weekday() >= 5:  # weekend: the Friday before
            due -= timedelta(days=due.weekday() - 4)
        return max(due, today)

    steps: list[PlannedStep] = []
    memory: dict[str, StepMemory] = {}
    for t in template.steps:
        sid = ids[t.key]
        due = due_of(t)
        steps.append(
            PlannedStep(
                id=sid,
                phase=t.phase,
                step=t.step,
                buyer_owner=_owner(t.buyer_owner_role, named),
                seller_owner=_owner(t.seller_owner_role, named),
                due=due,
                depends_on=tuple(ids[d] for d in t.depends_on),
                status=Status.NOT_STARTED,
                if_it_slips=consequence_text(t.consequence.threshold_days, t.consequence.text)
                if t.consequence
                else "",
            )
        )
        memory[sid] = StepMemory(
            step_id=sid,
            text=t.step,
            side=t.side,
            duration_days=max(1, round(t.duration_days * scale))
            if t.offset_days < 0
            else t.duration_days,
            signature=t.signature,
            baseline_due=due,
            current_due=due,
            first_seen=today,
            template_key=t.key,
        )
    people = [
        PlannedStakeholder(c.display, c.email, "Buyer", "Champion" if i == 0 else "")
        for i, c in enumerate(buyer_contacts)
    ]
    people.append(PlannedStakeholder(rep.display, rep.email, "Seller", Role.AE.label))
    resources = tuple(
        PlannedResource(
            title=r.title,
            kind=r.kind.label,
            step=ids[t.key],
            side=r.side.value.title(),
            provider=_owner(
                r.provider_role
                or (t.seller_owner_role if r.side is Side.SELLER else t.buyer_owner_role),
                named,
            ),
        )
        for t in template.steps
        for r in t.resources
    )
    return InitialPlan(
        tuple(steps),
        tuple(people),
        memory,
        span if scale < 1.0 else None,
        resources=resources,
    )


__all__ = [
    "Contact",
    "InitialPlan",
    "PlannedCriterion",
    "PlannedResource",
    "PlannedRisk",
    "PlannedStakeholder",
    "PlannedStep",
    "Side",
    "build_plan",
]
