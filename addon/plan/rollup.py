"""One row per MAP for managers, ranked by risk (lowest health score first)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from addon.plan.models import MapInfo
from addon.plan.report import ResourceReport
from addon.plan.status import PlanStatus
from sheets_schema.vocab import MapHealth

CLOSED = ("lost", "archived")  # deals no longer synced; shown below the open ones
_SEVERITY = {MapHealth.OFF_TRACK: 0, MapHealth.AT_RISK: 1, MapHealth.ON_TRACK: 2}


@dataclass(frozen=True)
class RollupRow:
    rank: int
    map_id: str
    deal: str
    buyer_company: str
    rep: str
    team: str
    stage: str
    lifecycle: str
    deal_value: float | None
    currency: str
    health: str
    score: int | None
    stale: bool
    target_close: date
    projected_close: date | None
    close_slip_days: int | None
    target_close_moves: int
    slipped_days: int
    date_pushes: int
    buyer_steps_done: int
    buyer_steps_total: int
    current_blocker: str
    blocker_owner: str
    ball_in_court: str
    days_since_last_completion: int | None
    last_buyer_update: date | None
    consequences_fired: int
    problems: int
    sync_state: str  # ok, or why this MAP could not be read this time
    link: str
    # The next open step (rows stored before these fields existed read as none).
    next_step: str = ""
    next_step_owner: str = ""
    next_step_due: date | None = None
    health_reason: str = ""  # why an emptied or gutted plan is at risk
    # The linked deal as the CRM last said (addon/crm/links.crm_overrides), beside the plan.
    crm_deal: str = ""
    crm_amount: float | None = None
    crm_currency: str = ""
    crm_stage: str = ""
    crm_close: date | None = None
    crm_closed: str = ""  # won or lost: the CRM closed the deal
    crm_link: str = ""
    crm_note: str = ""  # the CRM's last line for this MAP, if something went wrong
    # Resources with no usable link yet whose step is still open (rows stored before
    # the Resources tab read as none missing).
    missing_resources: int = 0
    # The documents the next step and the current blocker need, for the status card
    # (not a roll-up column).
    resources: tuple[ResourceReport, ...] = ()


@dataclass(frozen=True)
class RollupInput:
    info: MapInfo
    status: PlanStatus | None  # None: never read successfully
    problems: int = 0
    sync_state: str = "ok"
    target_close_moves: int = 0
    # From the Resources tab (addon/plan/resources.check_resources): how many documents an
    # open step still lacks, and the rows the next step and the current blocker serve.
    missing_resources: int = 0
    resources: tuple[ResourceReport, ...] = ()


def build_row(item: RollupInput) -> RollupRow:
    info, st = item.info, item.status
    blocker = st.current_blocker if st else None
    step = st.next_step if st else None
    court = blocker or (st.next_step if st else None)
    slip = (st.projected_close - info.target_close).days if st and st.projected_close else None
    return RollupRow(
        rank=0,
        map_id=info.map_id,
        deal=info.deal,
        buyer_company=info.buyer_company,
        rep=info.rep_name,
        team=info.team,
        stage=info.stage,
        lifecycle=info.lifecycle,
        deal_value=info.deal_value,
        currency=info.currency,
        health=st.health.value if st else "unknown",
        score=st.score if st else None,
        stale=st.stale if st else False,
        target_close=info.target_close,
        projected_close=st.projected_close if st else None,
        close_slip_days=slip,
        target_close_moves=item.target_close_moves,
        slipped_days=st.total_slipped_days if st else 0,
        date_pushes=st.total_pushes if st else 0,
        buyer_steps_done=st.buyer_steps_done if st else 0,
        buyer_steps_total=st.buyer_steps_total if st else 0,
        current_blocker=f"{blocker.step_id} {blocker.step}" if blocker else "",
        blocker_owner=blocker.owner if blocker else "",
        ball_in_court=court.side if court else "",
        days_since_last_completion=st.days_since_last_completion if st else None,
        last_buyer_update=st.last_buyer_update if st else None,
        consequences_fired=len(st.consequences_fired) if st else 0,
        problems=item.problems,
        sync_state=item.sync_state,
        link=info.sheet_link,
        next_step=f"{step.step_id} {step.step}" if step else "",
        next_step_owner=step.owner if step else "",
        next_step_due=step.due if step else None,
        health_reason=st.health_reason if st else "",
        missing_resources=item.missing_resources,
        resources=item.resources,
    )


def rank(rows: Iterable[RollupRow]) -> list[RollupRow]:
    """Open deals riskiest first (unreadable MAPs, then by score, health, stale, value at
    stake); closed ones (lost, archived) after them, kept for the record."""
    rows = list(rows)
    rows.sort(
        key=lambda r: (
            r.lifecycle in CLOSED,
            r.sync_state == "ok",
            r.score if r.score is not None else -1,
            _SEVERITY.get(MapHealth(r.health), 0) if r.health != "unknown" else -1,
            not r.stale,
            -(r.deal_value or 0),
            r.deal,
        )
    )
    return [replace(r, rank=i) for i, r in enumerate(rows, start=1)]


_DATES = ("target_close", "projected_close", "last_buyer_update", "next_step_due", "crm_close")


def to_json(row: RollupRow) -> dict[str, object]:
    data: dict[str, object] = dict(row.__dict__)
    for key in _DATES:
        value = data[key]
        data[key] = value.isoformat() if isinstance(value, date) else None
    data["resources"] = [r.model_dump() for r in row.resources]
    return data


def from_json(data: Mapping[str, object], **overrides: object) -> RollupRow:
    known = RollupRow.__dataclass_fields__
    values = {k: v for k, v in data.items() if k in known}
    for key in _DATES:
        raw = values.get(key)
        values[key] = date.fromisoformat(raw) if isinstance(raw, str) else None
    found = values.get("resources")
    values["resources"] = tuple(
        ResourceReport.model_validate(r) for r in (found if isinstance(found, list) else [])
    )
    values.update(overrides)
    return RollupRow(**values)  # type: ignore[arg-type]
