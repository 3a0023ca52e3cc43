"""The plan in the CRM, as values: which signals a deal carries, what changed since the last
write, where a done milestone moves the deal's stage, which open deals have no plan.

Pure like the rest of the core: a roll-up row, a date and the CRM's own facts (stages in
pipeline order, deals as read) in; values out. The adapters (addon/crm/) turn these into
each vendor's fields and requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from addon.plan.rollup import RollupRow
from sheets_schema.vocab import MapHealth

Signal = date | float | int | bool | str | None


class Kind(StrEnum):
    """A field's type, as both CRMs can filter and report on it."""

    CHECKBOX = "checkbox"
    URL = "url"
    DATE = "date"
    NUMBER = "number"
    PERCENT = "percent"
    PICKLIST = "picklist"
    TEXT = "text"


HEALTH_VALUES = tuple(h.label for h in MapHealth)  # On track, At risk, Off track
TEXT_LIMIT = 255  # Salesforce Text(255); HubSpot's single-line text takes more


@dataclass(frozen=True)
class SignalField:
    key: str  # our name; Salesforce MAP_<Words>__c, HubSpot map_<key>
    label: str
    kind: Kind
    help: str
    values: tuple[str, ...] = ()  # a picklist's values, in order

    @property
    def salesforce(self) -> str:
        words = self.key.removeprefix("map_").split("_")
        return "MAP_" + "_".join(w.capitalize() for w in words) + "__c"

    @property
    def hubspot(self) -> str:
        return self.key if self.key.startswith("map_") else f"map_{self.key}"


FIELDS: tuple[SignalField, ...] = (
    SignalField("map_exists", "MAP exists", Kind.CHECKBOX, "The deal has a Mutual Action Plan"),
    SignalField("map_link", "MAP link", Kind.URL, "The Mutual Action Plan's Google Sheet"),
    SignalField(
        "last_buyer_update",
        "MAP last buyer interaction",
        Kind.DATE,
        "The last day someone on the buyer's side edited the plan",
    ),
    SignalField("buyer_steps_done", "MAP buyer steps done", Kind.NUMBER, "Buyer steps done"),
    SignalField("buyer_steps_total", "MAP buyer steps", Kind.NUMBER, "Buyer steps in the plan"),
    SignalField(
        "buyer_completion", "MAP buyer completion", Kind.PERCENT, "Share of buyer steps done"
    ),
    SignalField("next_milestone", "MAP next milestone", Kind.TEXT, "The next open step"),
    SignalField(
        "next_milestone_owner", "MAP next milestone owner", Kind.TEXT, "Who owns the next step"
    ),
    SignalField("next_milestone_due", "MAP next milestone due", Kind.DATE, "When it is due"),
    SignalField("blocker", "MAP blocker", Kind.TEXT, "The step holding the plan up"),
    SignalField("blocker_owner", "MAP blocker owner", Kind.TEXT, "Who owns the blocker"),
    SignalField(
        "days_since_completion",
        "MAP days since a step was done",
        Kind.NUMBER,
        "Days since the last step was completed",
    ),
    SignalField("target_close", "MAP target close", Kind.DATE, "The close date both sides agreed"),
    SignalField(
        "projected_close",
        "MAP projected close",
        Kind.DATE,
        "When the plan's open steps, as they are going, reach the signature",
    ),
    SignalField(
        "close_slip_days",
        "MAP close slip (days)",
        Kind.NUMBER,
        "Days the projected close is past the target close",
    ),
    SignalField(
        "health", "MAP health", Kind.PICKLIST, "On track, At risk or Off track", HEALTH_VALUES
    ),
    SignalField("health_score", "MAP health score", Kind.NUMBER, "0 (worst) to 100"),
    SignalField("stale", "MAP stale", Kind.CHECKBOX, "No recent buyer progress on the plan"),
)
BY_KEY = {f.key: f for f in FIELDS}


def _text(value: str) -> str | None:
    value = " ".join(value.split())
    if not value:
        return None
    return value if len(value) <= TEXT_LIMIT else value[: TEXT_LIMIT - 1] + "…"


def signals(row: RollupRow) -> dict[str, Signal]:
    """What the deal carries for one MAP, from the MAP's last roll-up row."""
    known = row.health != "unknown"
    completion = (
        round(100 * row.buyer_steps_done / row.buyer_steps_total, 1)
        if row.buyer_steps_total
        else None
    )
    return {
        "map_exists": True,
        # A link on the rep's own disk (the local workspace) opens for nobody else.
        "map_link": row.link if row.link.startswith(("https://", "http://")) else None,
        "last_buyer_update": row.last_buyer_update,
        "buyer_steps_done": row.buyer_steps_done if known else None,
        "buyer_steps_total": row.buyer_steps_total if known else None,
        "buyer_completion": completion,
        "next_milestone": _text(row.next_step),
        "next_milestone_owner": _text(row.next_step_owner),
        "next_milestone_due": row.next_step_due,
        "blocker": _text(row.current_blocker),
        "blocker_owner": _text(row.blocker_owner),
        "days_since_completion": row.days_since_last_completion,
        "target_close": row.target_close,
        "projected_close": row.projected_close,
        "close_slip_days": row.close_slip_days,
        "health": MapHealth(row.health).label if known else None,
        "health_score": row.score,
        "stale": row.stale,
    }


def unlinked() -> dict[str, Signal]:
    """What a deal carries once its MAP is unlinked or deleted: no plan, nothing stale."""
    return {f.key: (False if f.kind is Kind.CHECKBOX else None) for f in FIELDS}


def encode(values: Mapping[str, Signal]) -> dict[str, str | float | int | bool | None]:
    """Signals as JSON values (dates as ISO text), as the registry keeps what was written."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def changed(new: Mapping[str, Signal], written: Mapping[str, object] | None) -> dict[str, Signal]:
    """The signals that differ from what was last written to the deal (all of them when
    nothing was)."""
    before = written or {}
    now = encode(new)
    return {k: new[k] for k, v in now.items() if k not in before or before[k] != v}


# --- stages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """A stage of the deal's pipeline as the CRM lists it, in its own order."""

    id: str  # Salesforce: the API name; HubSpot: the stage id
    label: str
    order: int
    closed: bool = False
    won: bool = False
    pipeline: str = ""


def find_stage(stages: Iterable[Stage], name: str, pipeline: str = "") -> Stage | None:
    """A stage by its id or label (case and spacing ignored), in `pipeline` when given."""
    wanted = " ".join(name.split()).lower()
    for stage in stages:
        if pipeline and stage.pipeline and stage.pipeline != pipeline:
            continue
        if wanted in (stage.id.lower(), " ".join(stage.label.split()).lower()):
            return stage
    return None


@dataclass(frozen=True)
class StageMove:
    """Move a deal to `to` because `step_id` (`step`) was done."""

    step_id: str
    step: str
    to: Stage


@dataclass(frozen=True)
class Milestone:
    """A plan step that carries a `crm_stage`, and whether it is done."""

    step_id: str
    step: str
    crm_stage: str
    done: bool


def stage_move(
    milestones: Sequence[Milestone],
    current: str,
    stages: Sequence[Stage],
    pipeline: str = "",
) -> tuple[StageMove | None, list[str]]:
    """Where done milestones move a deal now at stage `current`: the furthest stage a done
    step names, if it lies ahead of the current one in the pipeline's own order. Never
    back, never out of a closed stage, never into a closed stage (a deal is won or lost by
    a person). Also returns a line for each milestone whose stage the pipeline lacks."""
    problems: list[str] = []
    now = find_stage(stages, current, pipeline) if current else None
    if now is not None and now.closed:
        return None, problems
    best: StageMove | None = None
    for m in milestones:
        if not m.done:
            continue
        stage = find_stage(stages, m.crm_stage, pipeline)
        if stage is None:
            problems.append(
                f'step {m.step_id} names CRM stage "{m.crm_stage}", which the deal\'s '
                "pipeline does not have; fix crm_stage in the template"
            )
            continue
        if stage.closed:
            problems.append(
                f'step {m.step_id} names "{stage.label}", a closed stage; a person closes a '
                "deal, the plan does not"
            )
            continue
        if now is not None and stage.order <= now.order:
            continue
        if best is None or stage.order > best.to.order:
            best = StageMove(m.step_id, m.step, stage)
    return best, problems


# --- deals without a plan --------------------------------------------------------------


@dataclass(frozen=True)
class Deal:
    """A deal as the CRM holds it."""

    id: str
    name: str
    amount: float | None
    currency: str
    stage: str  # the stage's id (HubSpot) or API name (Salesforce)
    stage_label: str
    close_date: date | None
    closed: bool
    won: bool
    owner: str  # the owner's email, when the CRM says it
    url: str
    pipeline: str = ""
    company: str = ""
    has_map: bool = False  # the deal's own "MAP exists" field


@dataclass(frozen=True)
class Gap:
    deal: Deal
    why: str


def gaps(
    deals: Iterable[Deal],
    stages: Sequence[Stage],
    *,
    from_stage: str,
    min_amount: float,
    linked: Iterable[str],
) -> list[Gap]:
    """Open deals at or past `from_stage` (in their pipeline's order) worth at least
    `min_amount`, with no linked MAP: largest first."""
    linked_ids = set(linked)
    out: list[Gap] = []
    for deal in deals:
        if deal.closed or deal.id in linked_ids or deal.has_map:
            continue
        if (deal.amount or 0) < min_amount:
            continue
        gate = find_stage(stages, from_stage, deal.pipeline)
        at = find_stage(stages, deal.stage, deal.pipeline)
        if gate is None or at is None or at.order < gate.order:
            continue
        amount = f"{deal.currency} {deal.amount:,.0f}" if deal.amount is not None else "no amount"
        out.append(Gap(deal, f"{at.label}, {amount}, no MAP linked"))
    out.sort(key=lambda g: (-(g.deal.amount or 0), g.deal.name))
    return out


def deal_json(deal: Deal) -> dict[str, object]:
    """A deal as the registry keeps it (dates as ISO text)."""
    data: dict[str, object] = dict(deal.__dict__)
    data["close_date"] = deal.close_date.isoformat() if deal.close_date else None
    return data


def deal_of(data: Mapping[str, object]) -> Deal:
    values = {k: v for k, v in data.items() if k in Deal.__dataclass_fields__}
    raw = values.get("close_date")
    values["close_date"] = date.fromisoformat(raw) if isinstance(raw, str) else None
    return Deal(**values)  # type: ignore[arg-type]


_SF_TYPES = {
    Kind.CHECKBOX: "Checkbox",
    Kind.URL: "URL",
    Kind.DATE: "Date",
    Kind.NUMBER: "Number(18, 0)",
    Kind.PERCENT: "Percent(5, 1)",
    Kind.PICKLIST: "Picklist (restricted)",
    Kind.TEXT: "Text(255)",
}
_HS_TYPES = {
    Kind.CHECKBOX: "bool / booleancheckbox",
    Kind.URL: "string / text",
    Kind.DATE: "date / date",
    Kind.NUMBER: "number / number",
    Kind.PERCENT: "number / number, percentage",
    Kind.PICKLIST: "enumeration / select",
    Kind.TEXT: "string / text",
}


def fields_markdown() -> str:
    """The README's table of the signals (python -c 'from addon.plan.crm import
    fields_markdown; print(fields_markdown())')."""
    rows = [
        "| Signal | Salesforce field (type) | HubSpot property (type) | What it holds |",
        "|---|---|---|---|",
    ]
    for f in FIELDS:
        values = f" ({', '.join(f.values)})" if f.values else ""
        rows.append(
            f"| {f.label} | `{f.salesforce}` {_SF_TYPES[f.kind]} | `{f.hubspot}` "
            f"{_HS_TYPES[f.kind]} | {f.help}{values} |"
        )
    return "\n".join(rows)
