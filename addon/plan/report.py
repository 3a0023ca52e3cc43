"""The JSON `mapctl status --json` prints, as pydantic models (its JSON Schema comes from here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from addon.plan.models import MapInfo, ParsedMap
from addon.plan.resources import Resource, ResourceCheck, provided_by
from addon.plan.status import PlanStatus, Pointer
from sheets_schema.vocab import Health, MapHealth, Side, Status


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class OwnerRef(_Model):
    step: str = Field(description="the step's text")
    owner: str = Field(description="who owns it, as written in the sheet")


class NextStep(OwnerRef):
    due: date | None


class MapSummary(_Model):
    map_id: str
    deal: str
    buyer_company: str
    target_close: date
    projected_close: date | None
    health: MapHealth
    health_score: int = Field(ge=0, le=100, description="100 is healthiest; see README")
    health_reason: str = Field(
        default="", description="why the plan itself is a risk (emptied or gutted), if it is"
    )
    stale: bool
    buyer_steps_done: int
    buyer_steps_total: int
    current_blocker: OwnerRef | None
    next_step: NextStep | None
    days_since_last_completion: int | None
    last_buyer_update: date | None
    consequences_fired: list[str]
    total_slipped_days: int
    total_pushes: int


class StepReport(_Model):
    id: str
    phase: str
    step: str
    buyer_owner: str
    seller_owner: str
    due: date | None
    baseline_due: date | None
    slipped_days: int
    push_count: int
    depends_on: list[str]
    status: Status | None = Field(description="null when the cell could not be read")
    done_on: date | None
    health: Health
    days_late: int
    waiting_on: list[str]
    projected_finish: date | None
    consequence_fired: bool
    if_it_slips: str


class ProblemReport(_Model):
    tab: str
    cell: str
    value: str
    message: str
    kind: str = Field(description="unreadable (kept, needs a fix) or notice (read, worth saying)")


class ResourceReport(_Model):
    """One row of the Resources tab: the document, the steps it serves, who provides it,
    and whether the other side can open it yet."""

    title: str
    kind: str = Field(description='its Kind label ("Security"), or the words typed; "" if blank')
    steps: list[str] = Field(description="the ids of the steps it serves")
    side: str = Field(description='"Buyer", "Seller", "Both", or "" when not said')
    provider: str = Field(description="who provides it, as written in the sheet")
    link: str = Field(description='the address read from the Link cell ("" when none)')
    missing: bool = Field(
        description="no link the other side can open yet (blank, not a link, or Drive says "
        "the file is gone or not shared with the buyer)"
    )
    note: str = Field(default="", description="the row's Sync note, as the sync writes it")

    @property
    def provided_by(self) -> str:
        """'Seller: Priya Shah', 'Priya Shah', 'Seller' or ''."""
        return provided_by(self.side, self.provider)


class StatusReport(_Model):
    """The computed plan of one MAP, as of `today`."""

    today: date
    map: MapSummary
    steps: list[StepReport]
    problems: list[ProblemReport]
    resources: list[ResourceReport] = Field(
        default_factory=list, description="the Resources tab, in sheet order"
    )


def _owner(p: Pointer | None) -> OwnerRef | None:
    return OwnerRef(step=p.step, owner=p.owner) if p else None


def resource_reports(
    resources: Sequence[Resource],
    checks: Sequence[ResourceCheck],
    notes: Mapping[str, str | None] | None = None,
) -> list[ResourceReport]:
    """The Resources rows with their verdicts (`check_resources`), and each row's Sync note
    by its key (`notes`, as the sync writes them) when given."""
    return [
        ResourceReport(
            title=r.title,
            kind=r.kind.label if r.kind else r.kind_text,
            steps=list(r.steps),
            side=r.side.value.title() if isinstance(r.side, Side) else "",
            provider=r.provider,
            link=r.link.url,
            missing=check.missing,
            note=(notes or {}).get(check.key) or "",
        )
        for r, check in zip(resources, checks, strict=True)
    ]


def build_report(
    info: MapInfo,
    parsed: ParsedMap,
    status: PlanStatus,
    today: date,
    resources: Sequence[ResourceReport] = (),
) -> StatusReport:
    st = status.steps
    return StatusReport(
        today=today,
        map=MapSummary(
            map_id=info.map_id,
            deal=info.deal,
            buyer_company=info.buyer_company,
            target_close=info.target_close,
            projected_close=status.projected_close,
            health=status.health,
            health_score=status.score,
            health_reason=status.health_reason,
            stale=status.stale,
            buyer_steps_done=status.buyer_steps_done,
            buyer_steps_total=status.buyer_steps_total,
            current_blocker=_owner(status.current_blocker),
            next_step=NextStep(
                step=status.next_step.step, owner=status.next_step.owner, due=status.next_step.due
            )
            if status.next_step
            else None,
            days_since_last_completion=status.days_since_last_completion,
            last_buyer_update=status.last_buyer_update,
            consequences_fired=list(status.consequences_fired),
            total_slipped_days=status.total_slipped_days,
            total_pushes=status.total_pushes,
        ),
        steps=[
            StepReport(
                id=s.id,
                phase=s.phase,
                step=s.step,
                buyer_owner=s.buyer_owner,
                seller_owner=s.seller_owner,
                due=s.due,
                baseline_due=st[s.id].baseline_due,
                slipped_days=st[s.id].slipped_days,
                push_count=st[s.id].push_count,
                depends_on=list(s.depends_on),
                status=s.status,
                done_on=st[s.id].done_on,
                health=st[s.id].health,
                days_late=st[s.id].days_late,
                waiting_on=list(st[s.id].waiting_on),
                projected_finish=st[s.id].projected_finish,
                consequence_fired=st[s.id].consequence_fired,
                if_it_slips=s.if_it_slips,
            )
            for s in parsed.steps
        ],
        problems=[
            ProblemReport(
                tab=p.tab, cell=p.cell, value=p.value, message=p.message, kind=p.kind.value
            )
            for p in (*parsed.problems, *status.problems)
        ],
        resources=list(resources),
    )


# --- mapctl import --json ----------------------------------------------------------------


class CellNote(_Model):
    tab: str
    cell: str = Field(description='A1 notation in the source; "" when about the whole plan')
    value: str
    message: str


class Unplaced(_Model):
    tab: str
    cell: str
    value: str
    why: str


class ColumnReport(_Model):
    field: str = Field(description='the MAP column it fills; "" when it has no place (unplaced)')
    header: str
    tab: str
    column: str


class CandidateReport(_Model):
    """A table that could be the plan, and why it was or was not taken."""

    where: str = Field(description='the table: "Tab!A4:F19", its header row first')
    score: int = Field(
        description="rows of step text (up to 15), +4 each for a date, a status and a people "
        "column, +1 for each header the vocabulary knows, +2 on a plan-named tab, -15 on an "
        "instructions or example tab"
    )
    taken: bool
    evidence: str = Field(description="what its cells hold")
    short: str = Field(description='why it was not taken; "" for the plan taken')


class StakeholderReport(_Model):
    name: str
    email: str
    side: str
    role: str | None = Field(description="the role in the decision, when the text names one")
    role_text: str
    decision_authority: str
    notes: str


class RiskReport(_Model):
    risk: str
    owner: str
    mitigation: str
    status: str


class CriterionReport(_Model):
    criterion: str
    who_decides: str
    how_shown: str
    status: str = Field(
        description='"Not yet shown", "Shown", "Agreed", or the source\'s word kept as typed'
    )


class ImportedResource(_Model):
    title: str
    kind: str = Field(description='the Kind column\'s label ("Security"), or as typed')
    step: str = Field(description="the id of the step it serves in the new MAP")
    link: str
    side: str = Field(description='"Buyer", "Seller" or ""')
    provider: str
    shared_on: date | None
    notes: str


class OriginReport(_Model):
    id: str = Field(description="the step's id in the new MAP")
    tab: str
    row: int = Field(description="1-based row in the source")
    source_id: str = Field(description="the id the source gave it, if any")


class ImportSummary(_Model):
    deal: str
    buyer_company: str
    target_close: date | None
    close_reason: str
    desired_outcome: str
    deal_value: float | None


class CreatedMap(_Model):
    map_id: str
    sheet: str
    doc: str


class ImportReport(_Model):
    """What `mapctl import` understood of a spreadsheet, and everything it could not place."""

    source: str
    today: date
    locale: str = Field(description="the locale text dates were read in")
    plan_tab: str | None
    header_row: int | None
    columns: list[ColumnReport]
    summary: ImportSummary
    steps: list[StepReport] = Field(description="shaped as in `mapctl status --json`")
    origins: list[OriginReport]
    stakeholders: list[StakeholderReport]
    risks: list[RiskReport]
    criteria: list[CriterionReport] = Field(
        default_factory=list, description="the decision criteria, for the Decision criteria tab"
    )
    resources: list[ImportedResource] = Field(
        default_factory=list,
        description="the Resources tab's rows: a resources table's rows and the links in "
        "the plan's links column or its notes",
    )
    readings: list[CellNote] = Field(description="how cells were read, when not plainly")
    problems: list[CellNote] = Field(description="read but not understood: kept verbatim")
    unplaced: list[Unplaced] = Field(description="source cells with no place in the MAP")
    cells: int = Field(description="non-blank cells in the source")
    placed: int
    created: CreatedMap | None = Field(description="null with --dry-run")
    candidates: list[CandidateReport] = Field(
        default_factory=list,
        description="the tables that could be the plan, best first: the one taken and why the "
        "others were not (when none is taken, why each fell short)",
    )
