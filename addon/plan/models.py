"""What a parsed MAP is made of. Plain frozen dataclasses; no behaviour beyond naming."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from sheets_schema.vocab import Role, Side, Status

if TYPE_CHECKING:
    from addon.plan.resources import Resource

Cell = str | int | float | bool | date | datetime | None
Grid = list[list[Cell]]


class ProblemKind(StrEnum):
    UNREADABLE = "unreadable"  # kept verbatim, not understood: the buyer should fix it
    NOTICE = "notice"  # understood, but worth telling (how it was read, a placeholder owner)


@dataclass(frozen=True)
class Problem:
    tab: str
    cell: str  # A1 notation, e.g. "F7"
    value: str
    message: str
    kind: ProblemKind = ProblemKind.UNREADABLE
    step_id: str | None = None

    @property
    def where(self) -> str:
        return f"{self.tab}!{self.cell}"

    def __str__(self) -> str:
        return f'{self.where} "{self.value}": {self.message}'


class OwnerKind(StrEnum):
    PERSON = "person"  # matched to the Stakeholders tab
    UNLISTED = "unlisted"  # looks like a person, not on the Stakeholders tab
    ROLE = "role"  # a role or a team, not a person ("Legal", "CFO")
    PLACEHOLDER = "placeholder"  # "TBD", "?"


@dataclass(frozen=True)
class Owner:
    text: str
    kind: OwnerKind
    name: str | None = None
    email: str | None = None

    @property
    def display(self) -> str:
        return self.name or self.text


@dataclass(frozen=True)
class Step:
    id: str
    row: int  # 0-based index of the row in the Plan grid
    phase: str
    step: str
    buyer_owner: str
    seller_owner: str
    buyer_owners: tuple[Owner, ...]
    seller_owners: tuple[Owner, ...]
    due: date | None
    depends_on: tuple[str, ...]
    status: Status | None  # None: the buyer wrote something we could not read
    done_on: date | None
    notes: str
    if_it_slips: str
    threshold_days: int | None  # read from "If it slips" ("14+ days late: ...")
    added_by_buyer: bool = False  # the row had no id: the sync gave it one

    @property
    def owner_text(self) -> str:
        return self.buyer_owner or self.seller_owner

    # cached_property writes the instance __dict__ directly, so it works on a frozen
    # dataclass; the status pass asks these tens of times per step.
    @cached_property
    def is_done(self) -> bool:
        return self.status is Status.DONE or (
            self.done_on is not None and self.status is not Status.SKIPPED
        )

    @cached_property
    def is_skipped(self) -> bool:
        return self.status is Status.SKIPPED

    @cached_property
    def is_open(self) -> bool:
        return not self.is_done and not self.is_skipped


@dataclass(frozen=True)
class Stakeholder:
    row: int
    name: str
    email: str
    side: Side | None
    role: Role | None
    role_text: str
    decision_authority: str
    notes: str


@dataclass(frozen=True)
class Risk:
    row: int
    risk: str
    owner: str
    mitigation: str
    status: str
    raised_on: date | None


@dataclass(frozen=True)
class Criterion:
    row: int
    criterion: str
    who_decides: str
    how_shown: str
    status: str


@dataclass(frozen=True)
class KeptText:
    """Text a buyer typed into a computed cell, kept so the rewrite loses nothing."""

    step_id: str
    column: str  # the column's header
    text: str
    source: str = ""  # "xlsx": a returned copy's value the merge could not apply
    beside: str = ""  # what the Sheet held instead (a conflict), or why it was not placed


@dataclass(frozen=True)
class IdAssignment:
    """A row whose id the sync writes: a new row, a pasted duplicate, an unreadable id."""

    row: int
    old: str
    new: str


class AnchorKey(NamedTuple):  # a tuple: hashed in C, looked up for every relative date
    step_id: str
    column: str
    text: str


@dataclass(frozen=True)
class ParsedMap:
    steps: tuple[Step, ...]
    stakeholders: tuple[Stakeholder, ...]
    risks: tuple[Risk, ...]
    criteria: tuple[Criterion, ...]
    problems: tuple[Problem, ...]
    kept_text: tuple[KeptText, ...] = ()
    id_assignments: tuple[IdAssignment, ...] = ()
    new_anchors: dict[AnchorKey, date] = field(default_factory=dict)
    plan_tab: str = "Plan"
    sections: tuple[tuple[int, str], ...] = ()  # (row, heading) of section rows
    resources: tuple[Resource, ...] = ()
    resources_tab: str = "Resources"  # the tab's name as the sheet spells it

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


@dataclass(frozen=True)
class StepMemory:
    """What the registry remembers about a step between syncs."""

    step_id: str
    text: str = ""
    side: Side | None = None
    duration_days: int | None = None  # from the template; None for steps a buyer added
    signature: bool = False
    baseline_due: date | None = None  # the first agreed due date
    current_due: date | None = None
    push_count: int = 0
    first_seen: date | None = None
    first_seen_done: date | None = None
    template_key: str | None = None


@dataclass(frozen=True)
class DueChange:
    step_id: str
    old: date | None
    new: date | None
    seen_on: date


@dataclass(frozen=True)
class MapInfo:
    """What the registry knows about a MAP that is not in its workbook."""

    map_id: str
    deal: str
    buyer_company: str
    target_close: date
    close_reason: str
    desired_outcome: str
    template: str
    rep_name: str
    rep_email: str
    created_on: date
    deal_value: float | None = None
    currency: str = "USD"
    team: str = ""
    stage: str = ""
    lifecycle: str = "draft"
    locale: str = "en_US"
    time_zone: str = "UTC"
    sheet_link: str = ""
    doc_link: str = ""
    crm_link: str = ""
