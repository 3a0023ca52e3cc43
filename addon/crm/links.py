"""The MAPs' deals in the CRM: linking a MAP to its deal, and after each sync, carrying
the plans' signals to the deals (only what changed), moving stages where a team opted in,
and listing the open deals that have no plan.

The CRM comes after the Sheets: a CRM that refuses, is down or has spent its allowance
gives each MAP one clear line (`crm_state`) and never stops a MAP's own sync. A write that
did not happen is tried again at the next sync, because only what was written is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from addon.crm.base import Crm, CrmError, LimitReached, Read, Results
from addon.errors import InputError
from addon.plan.crm import (
    Deal,
    Milestone,
    Signal,
    StageMove,
    changed,
    deal_json,
    deal_of,
    encode,
    gaps,
    signals,
    stage_move,
    unlinked,
)
from addon.plan.dates import fmt
from addon.plan.rollup import RollupRow, from_json
from addon.registry.models import MapRow
from addon.registry.store import Registry
from sheets_schema.template import Template

LINKED = ("draft", "shared", "won")  # MAPs whose deals carry signals (lost deals keep theirs)


@dataclass
class CrmLine:
    map_id: str
    deal_id: str
    outcome: str  # written, unchanged, moved, failed, deferred
    message: str = ""


@dataclass
class CrmReport:
    crm: str
    lines: list[CrmLine] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    stopped: str = ""
    gaps: int = 0
    notes: dict[str, str] = field(default_factory=dict)  # map id -> a line that is no failure

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)


@dataclass(frozen=True)
class Policy:
    """What the team asked of the CRM (settings): which teams' milestones move stages, and
    which open deals without a plan count as gaps."""

    stage_team: Callable[[str], bool] = lambda _team: False
    gap_stage: str = ""
    gap_amount: float = 0.0


def _delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def deal_facts(row: MapRow) -> Deal | None:
    return deal_of(row.crm_deal) if row.crm_deal else None


def crm_overrides(row: MapRow) -> dict[str, Any]:
    """The roll-up's CRM columns for a MAP: the deal's amount, stage and close date as the
    CRM last said, and whether the CRM closed it."""
    deal = deal_facts(row)
    if deal is None:
        return {"crm_note": row.crm_state or ""}
    closed = ""
    if deal.closed:
        closed = "won" if deal.won else "lost"
    return {
        "crm_deal": deal.name,
        "crm_amount": deal.amount,
        "crm_currency": deal.currency,
        "crm_stage": deal.stage_label,
        "crm_close": deal.close_date,
        "crm_closed": closed,
        "crm_link": deal.url,
        "crm_note": row.crm_state or "",
    }


# --- linking ------------------------------------------------------------------------------


def link(
    crm: Crm, registry: Registry, map_id: str, deal_id: str, today: date, *, force: bool = False
) -> Deal:
    """Link a MAP to its deal: the deal must exist and not be linked to another MAP
    (unless `force`). Its signals are written at once."""
    deal_id = deal_id.strip()
    if not deal_id:
        raise InputError("deal", "give the deal's id (the CRM's record id)")
    row = registry.get(map_id)
    read = crm.deals([deal_id])
    deal = read.found.get(deal_id)
    if deal is None:
        raise InputError("deal", read.missing.get(deal_id, f"{crm.label} has no deal {deal_id}"))
    others = [m for m in registry.by_deal(deal.id) if m.id != map_id]
    if others and not force:
        raise InputError(
            "deal",
            f"{crm.label} deal {deal.id} ({deal.name}) is linked to {others[0].id} already; "
            "unlink that MAP first, or link with --force to move the link",
        )
    for other in others:
        registry.update(other.id, crm_deal_id=None, crm_deal=None, crm_written=None, crm_state="")
    if row.crm_deal_id and row.crm_deal_id != deal.id:
        _clear(crm, row.crm_deal_id)
    registry.update(
        map_id,
        crm_deal_id=deal.id,
        crm_deal=deal_json(deal),
        crm_link=deal.url,
        crm_written=None,  # a new deal: every signal is written
        crm_state="",
    )
    push(crm, registry, [registry.get(map_id)], today=today, read=Read(found={deal.id: deal}))
    return deal


def unlink(crm: Crm | None, registry: Registry, map_id: str) -> str | None:
    """Unlink a MAP from its deal; the deal's signals are cleared (MAP exists: no)."""
    row = registry.get(map_id)
    if not row.crm_deal_id:
        return None
    if crm is not None:
        _clear(crm, row.crm_deal_id)
    registry.update(map_id, crm_deal_id=None, crm_deal=None, crm_written=None, crm_state="")
    return row.crm_deal_id


def _clear(crm: Crm, deal_id: str) -> None:
    results = crm.write({deal_id: unlinked()})
    if deal_id in results.failed:
        raise CrmError(f"could not clear the MAP fields on {deal_id}: {results.failed[deal_id]}")


# --- after each sync -----------------------------------------------------------------------


def _rollup_row(row: MapRow) -> RollupRow | None:
    if not row.rollup:
        return None
    return from_json(row.rollup, sync_state=row.sync_state, lifecycle=row.lifecycle)


def milestones(
    registry: Registry, row: MapRow, templates: Mapping[str, Template]
) -> list[Milestone]:
    """The plan's steps that carry a crm_stage in its template, and whether each is done."""
    template = templates.get(row.template)
    if template is None:
        return []
    wanted = {s.key: s for s in template.steps if s.crm_stage}
    if not wanted:
        return []
    out = []
    for step_id, mem in registry.memory(row.id).items():
        source = wanted.get(mem.template_key or "")
        if source is not None and source.crm_stage:
            out.append(
                Milestone(
                    step_id, mem.text or source.step, source.crm_stage, bool(mem.first_seen_done)
                )
            )
    return out


def push(
    crm: Crm,
    registry: Registry,
    maps: Sequence[MapRow],
    *,
    today: date,
    templates: Mapping[str, Template] | None = None,
    policy: Policy | None = None,
    read: Read | None = None,
    sheet_link: Callable[[MapRow], str] | None = None,
) -> CrmReport:
    """Carry the MAPs' signals to their deals: read the deals (facts, deleted, merged),
    write the changed signals, move stages, add notes; then list the gaps."""
    policy = policy or Policy()
    before = crm.calls.snapshot()
    report = CrmReport(crm.name)
    linked = [m for m in maps if m.crm_deal_id and m.lifecycle in LINKED]
    try:
        if read is None:
            read = crm.deals([m.crm_deal_id for m in linked if m.crm_deal_id])
        deals = _refresh(registry, linked, read, report)
        _write(crm, registry, linked, deals, report)
        if templates is not None:
            _move(crm, registry, linked, deals, report, templates, policy, today, sheet_link)
        if policy.gap_stage:
            report.gaps = _gaps(crm, registry, policy, today)
    except CrmError as exc:
        report.stopped = str(exc)
        outcome = "deferred" if isinstance(exc, LimitReached) else "failed"
        for m in linked:
            if not any(line.map_id == m.id for line in report.lines):
                report.lines.append(CrmLine(m.id, m.crm_deal_id or "", outcome, str(exc)))
                registry.update(m.id, crm_state=f"{crm.label}: {exc}")
    report.calls = _delta(before, crm.calls.snapshot())
    return report


def _refresh(
    registry: Registry, linked: Sequence[MapRow], read: Read, report: CrmReport
) -> dict[str, Deal]:
    """Keep each deal's facts; a deleted deal gets its line, a merged one is relinked."""
    deals: dict[str, Deal] = {}
    for m in linked:
        asked = m.crm_deal_id or ""
        deal = read.found.get(asked)
        if deal is None:
            why = read.missing.get(asked, "the deal could not be read")
            report.lines.append(CrmLine(m.id, asked, "failed", why))
            registry.update(m.id, crm_state=why)
            continue
        if note := currency_note(m, deal):
            report.notes[m.id] = note
        fields: dict[str, Any] = {"crm_deal": deal_json(deal), "crm_link": deal.url}
        if asked not in read.merged and m.crm_deal == fields["crm_deal"] and m.crm_link == deal.url:
            deals[m.id] = deal  # the facts as last read: nothing to store (a write per MAP)
            continue
        if asked in read.merged:
            fields |= {
                "crm_deal_id": deal.id,
                "crm_written": None,  # the surviving deal gets every signal
                "crm_state": f"deal {asked} was merged into {deal.id}; the MAP is linked to it",
            }
            report.lines.append(CrmLine(m.id, deal.id, "relinked", fields["crm_state"]))
        registry.update(m.id, **fields)
        deals[m.id] = deal
    return deals


def currency_note(row: MapRow, deal: Deal) -> str:
    """A deal kept in another currency than its MAP: said, never converted or compared."""
    if deal.currency and row.currency and deal.currency.upper() != row.currency.upper():
        return (
            f"the deal is in {deal.currency.upper()}, the MAP in {row.currency.upper()}: "
            "their amounts are shown apart, not compared"
        )
    return ""


def _write(
    crm: Crm,
    registry: Registry,
    linked: Sequence[MapRow],
    deals: Mapping[str, Deal],
    report: CrmReport,
) -> None:
    updates: dict[str, dict[str, Signal]] = {}
    wanted: dict[str, tuple[MapRow, dict[str, Signal]]] = {}
    for m in linked:
        deal = deals.get(m.id)
        row = _rollup_row(m)
        if deal is None or row is None:
            continue
        # A merge above relinked the MAP and reset what was written: read it again then.
        current = registry.get(m.id) if deal.id != m.crm_deal_id else m
        values = signals(row)
        diff = changed(values, current.crm_written)
        wanted[deal.id] = (current, values)
        if diff:
            updates[deal.id] = diff
        elif not any(line.map_id == m.id for line in report.lines):
            report.lines.append(CrmLine(m.id, deal.id, "unchanged"))
            note = report.notes.get(m.id, "")
            if current.crm_state != note:
                registry.update(m.id, crm_state=note)
    if not updates:
        return
    results = crm.write(updates)
    report.stopped = report.stopped or results.stopped
    for deal_id in updates:
        m, values = wanted[deal_id]
        skipped = results.skipped.get(deal_id, {})
        if deal_id in results.done:
            # What was not written is not recorded: it is tried again next sync.
            kept = {k: v for k, v in encode(values).items() if k not in skipped}
            state = "; ".join(x for x in (report.notes.get(m.id, ""), *skipped.values()) if x)
            registry.update(m.id, crm_written=kept, crm_state=state)
            report.lines.append(
                CrmLine(m.id, deal_id, "written", state or f"{len(updates[deal_id])} signals")
            )
        elif deal_id in results.failed:
            why = results.failed[deal_id]
            registry.update(m.id, crm_state=why)
            report.lines.append(CrmLine(m.id, deal_id, "failed", why))
        else:
            why = results.stopped or "not written this time; tried again next sync"
            registry.update(m.id, crm_state=why)
            report.lines.append(CrmLine(m.id, deal_id, "deferred", why))


def _move(
    crm: Crm,
    registry: Registry,
    linked: Sequence[MapRow],
    deals: Mapping[str, Deal],
    report: CrmReport,
    templates: Mapping[str, Template],
    policy: Policy,
    today: date,
    sheet_link: Callable[[MapRow], str] | None,
) -> None:
    chosen: dict[str, tuple[MapRow, Deal, Any]] = {}
    candidates = [m for m in linked if m.lifecycle != "won" and policy.stage_team(m.team)]
    if not candidates or report.stopped:
        return
    stages = crm.stages()
    for m in candidates:
        deal = deals.get(m.id)
        if deal is None or deal.closed:
            continue
        marks = milestones(registry, m, templates)
        if not marks:
            continue
        move, problems = stage_move(marks, deal.stage, stages, deal.pipeline)
        done = {(x.get("step"), x.get("stage")) for x in (m.crm_moves or [])}
        if problems:
            _note_state(registry, m, "; ".join(problems), report)
        if move is None or (move.step_id, move.to.id) in done:
            continue
        # Two syncs at once (two instances, a click and the schedule) must not both move the
        # deal and both add the note: the move is claimed first, atomically.
        if not registry.claim_key(_move_key(m.id, move), MOVE_CLAIM).mine:
            continue
        chosen[deal.id] = (m, deal, move)
    if not chosen:
        return
    results = crm.move_stages({deal_id: move.to for deal_id, (_, _, move) in chosen.items()})
    notes: dict[str, str] = {}
    for deal_id, (m, deal, move) in chosen.items():
        if deal_id in results.done:
            link = sheet_link(m) if sheet_link else ""
            if not link.startswith(("https://", "http://")):
                link = ""  # a file on the rep's own disk opens for nobody else
            notes[deal_id] = (
                f"Mutual Action Plan moved the stage to {move.to.label}\n"
                f'Step {move.step_id} "{move.step}" is done, so the plan moved this deal from '
                f"{deal.stage_label} to {move.to.label} on {fmt(today)}."
                + (f"\nPlan: {link}" if link else "")
            )
            registry.settle_key(_move_key(m.id, move), m.id)
            moves = [
                *(m.crm_moves or []),
                {"step": move.step_id, "stage": move.to.id, "on": today.isoformat()},
            ]
            registry.update(m.id, crm_moves=moves)
            report.lines.append(
                CrmLine(
                    m.id,
                    deal_id,
                    "moved",
                    f"{deal.stage_label} -> {move.to.label} ({move.step_id})",
                )
            )
        else:
            registry.release_key(_move_key(m.id, move))  # tried again next sync
            why = results.failed.get(deal_id) or results.stopped or "not tried"
            line = f"stage move to {move.to.label} refused: {why}"
            _note_state(registry, m, line, report)
            report.lines.append(CrmLine(m.id, deal_id, "failed", line))
    if notes:
        noted = crm.add_notes(notes, today)
        for deal_id, why in noted.failed.items():
            m = chosen[deal_id][0]
            _note_state(registry, m, f"the stage moved, but the note was refused: {why}", report)


MOVE_CLAIM = timedelta(minutes=10)  # a claim this old whose move never finished is retaken


def _move_key(map_id: str, move: StageMove) -> str:
    return f"crm-move:{map_id}:{move.step_id}:{move.to.id}"[:200]


def _note_state(registry: Registry, m: MapRow, line: str, report: CrmReport) -> None:
    current = registry.get(m.id).crm_state
    parts = [p for p in (current, line) if p]
    registry.update(m.id, crm_state="; ".join(dict.fromkeys(parts)))


def _gaps(crm: Crm, registry: Registry, policy: Policy, today: date) -> int:
    deals = crm.open_deals(policy.gap_amount)
    linked = {m.crm_deal_id for m in registry.maps() if m.crm_deal_id}
    found = gaps(
        deals,
        crm.stages(),
        from_stage=policy.gap_stage,
        min_amount=policy.gap_amount,
        linked=linked,
    )
    registry.set_gaps(((g.deal.id, deal_json(g.deal), g.why, g.deal.owner) for g in found), today)
    return len(found)


def crm_lines(report: CrmReport) -> Iterable[str]:
    """The CRM's part of a sync's summary, for people."""
    calls = ", ".join(f"{k} {v}" for k, v in sorted(report.calls.items()))
    yield (
        f"{report.crm}: {report.count('written')} deals written, {report.count('unchanged')} "
        f"unchanged, {report.count('moved')} stages moved, {report.count('failed')} failed, "
        f"{report.count('deferred')} deferred; calls: {calls or 'none'}"
    )
    if report.gaps:
        yield (
            f"{report.crm}: {report.gaps} open deals past the gap stage have no MAP "
            "(mapctl crm-gaps)"
        )
    if report.stopped:
        yield f"{report.crm}: stopped: {report.stopped}"
    for line in report.lines:
        if line.outcome in ("failed", "deferred", "relinked") or (
            line.outcome == "written" and not line.message.endswith(" signals")
        ):
            yield f"{line.map_id} (deal {line.deal_id}): {line.message}"
    for map_id, note in report.notes.items():
        yield f"{map_id}: {note}"


__all__ = ["CrmLine", "CrmReport", "Policy", "Results", "crm_lines", "link", "push", "unlink"]
