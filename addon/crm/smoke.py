"""The live check against a real CRM (`mapctl crm-smoke`): link a MAP to a test deal,
write its signals, read them back field by field, move the stage, add a note. Each line
of the checklist confirms (or refutes) something the fakes assume about the vendor."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from addon.crm.base import CrmError
from addon.crm.links import deal_facts
from addon.plan.crm import BY_KEY, Kind, encode, find_stage, signals
from addon.plan.rollup import from_json

if TYPE_CHECKING:
    from addon.app import App


def _same(kind: Kind, wrote: Any, read: Any) -> bool:
    """Whether what the CRM gives back is what we wrote (each CRM's own spelling)."""
    if wrote in (None, "") and read in (None, "", "false" if kind is Kind.CHECKBOX else ""):
        return True
    if kind is Kind.CHECKBOX:
        return str(read).lower() == str(wrote).lower()
    if kind in (Kind.NUMBER, Kind.PERCENT):
        try:
            a, b = float(wrote), float(read)
        except (TypeError, ValueError):
            return False
        return abs(a - b) < 0.01 or abs(a / 100 - b) < 0.0001  # HubSpot keeps 0.5 for 50 %
    if kind is Kind.DATE:
        return str(read)[:10] == str(wrote)[:10]
    if kind is Kind.PICKLIST:
        return str(read).replace("_", " ").lower() == str(wrote).lower()
    return str(read) == str(wrote)


def run_smoke(app: App, map_id: str, deal_id: str, stage: str | None) -> list[tuple[bool, str]]:
    crm = app.need_crm()
    checks: list[tuple[bool, str]] = []
    row = app.registry.get(map_id)
    today = app.today_of(row)
    try:
        stages = crm.stages()
        checks.append((True, f"logged in to {crm.label}; {len(stages)} stages listed"))
    except CrmError as exc:
        return [(False, f"log in to {crm.label}: {exc}")]
    deal = app.link_deal(map_id, deal_id, today, force=True)
    row = app.registry.get(map_id)
    checks.append(
        (
            not row.crm_state,
            f"linked {map_id} to {deal.name}; signals written"
            + (f" ({row.crm_state})" if row.crm_state else ""),
        )
    )
    if row.rollup:
        wrote = encode(signals(from_json(row.rollup)))
        read = crm.signal_values(deal.id)
        for key, value in wrote.items():
            field = BY_KEY[key]
            got = read.get(key)
            ok = _same(field.kind, value, got)
            checks.append((ok, f"{field.label} ({field.kind}): wrote {value!r}, read {got!r}"))
    else:
        checks.append((False, f"{map_id} has not been synced yet: run mapctl sync first"))
    current = find_stage(stages, deal.stage, deal.pipeline)
    if stage:
        target = find_stage(stages, stage, deal.pipeline)
    else:
        later = [
            s
            for s in stages
            if current
            and s.pipeline == current.pipeline
            and s.order > current.order
            and not s.closed
        ]
        target = later[0] if later else None
    if target is None:
        checks.append((False, f"no open stage after {deal.stage_label} to move to; pass --stage"))
        return checks
    moved = crm.move_stages({deal.id: target})
    again = crm.deals([deal.id]).found.get(deal.id)
    ok = deal.id in moved.done and again is not None and again.stage == target.id
    why = moved.failed.get(deal.id, "")
    checks.append(
        (ok, f"stage moved {deal.stage_label} -> {target.label}" + (f": {why}" if why else ""))
    )
    noted = crm.add_notes(
        {deal.id: f"MAP smoke test\nThe stage moved on {date.isoformat(today)}."}, today
    )
    checks.append(
        (
            deal.id in noted.done,
            "note added to the deal"
            + (f": {noted.failed[deal.id]}" if deal.id in noted.failed else ""),
        )
    )
    usage = getattr(crm, "usage", None)
    if callable(usage) and (found := usage()):
        checks.append((True, f"API allowance used: {found[0]:,} of {found[1]:,} today"))
    checks.append((True, f"calls made: {crm.calls.snapshot()}"))
    facts = deal_facts(app.registry.get(map_id))
    if facts is not None and facts.url:
        checks.append((True, f"deal link: {facts.url}"))
    return checks
