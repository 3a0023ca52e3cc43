"""A deal's lifecycle after sharing: won (the customer-success handoff Doc, and the plan
goes on as the onboarding plan), lost or archived (buyer access revoked, no more syncing,
the record kept), reopened, and handed to another rep.

draft -> shared -> won -> archived
              \\-> lost -> (reopen) -> draft
Closed MAPs (lost, archived) stay in the registry and in the roll-up, below the open ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from addon.docs import render_handoff_doc
from addon.errors import InputError, WrongState
from addon.maps import parse_contact
from addon.plan.handoff import build_handoff
from addon.registry.models import MapRow
from addon.registry.store import Registry
from addon.sharing import Shared, revoke_access
from addon.sync import compute_map
from addon.workspace.base import Invite, Workspace

CLOSED = ("lost", "archived")
OUTCOMES = ("won", "lost", "archived")


@dataclass
class Closed:
    map_id: str
    lifecycle: str
    handoff_ref: str = ""
    access: Shared = field(default_factory=Shared)


def close_map(
    row: MapRow,
    outcome: str,
    *,
    workspace: Workspace,
    registry: Registry,
    today: date,
    note: str = "",
    seller_domains: Iterable[str] = (),
) -> Closed:
    """Mark the deal won, lost or archived."""
    if outcome not in OUTCOMES:
        raise InputError("outcome", f'"{outcome}" is not one of: {", ".join(OUTCOMES)}')
    if row.lifecycle == outcome:
        raise WrongState(f"{row.id} is already {outcome}")
    if row.lifecycle in CLOSED and outcome == "won":
        raise WrongState(f"{row.id} is {row.lifecycle}: `mapctl reopen {row.id}` first")
    if outcome == "won":
        return _won(row, workspace=workspace, registry=registry, today=today, note=note)
    access = revoke_access(
        row, workspace=workspace, registry=registry, today=today, seller_domains=seller_domains
    )
    if access.failed:  # keep it open: the rep must not think the buyer is locked out
        who = "; ".join(f"{e} ({why})" for e, why in access.failed)
        raise WrongState(
            f"{row.id} was not marked {outcome}: access could not be removed for {who}; "
            "try again, or remove it in Drive"
        )
    registry.update(
        row.id,
        lifecycle=outcome,
        closed_on=today,
        closed_note=note,
        sync_state=f"{outcome} on {today.isoformat()}: not synced",
    )
    return Closed(row.id, outcome, row.handoff_ref or "", access)


def _won(
    row: MapRow, *, workspace: Workspace, registry: Registry, today: date, note: str
) -> Closed:
    """The handoff Doc from the plan as it is now (one read), kept beside the MAP."""
    snapshot = workspace.read(row.sheet_ref)
    sheet_link = workspace.link(row.sheet_ref)
    computed = compute_map(row, snapshot, registry, today, sheet_link, workspace.link(row.doc_ref))
    handoff = build_handoff(
        computed.info,
        computed.parsed,
        computed.status,
        computed.learned.memory,
        today,
        computed.resources,
    )
    html = render_handoff_doc(handoff, sheet_link=sheet_link)
    name = f"Handoff - {row.buyer_company} - {row.deal}"
    ref = workspace.save_file(row.id, row.sheet_ref, name, html.encode(), "doc")
    registry.update(row.id, lifecycle="won", closed_on=today, closed_note=note, handoff_ref=ref)
    return Closed(row.id, "won", ref)


def reopen(row: MapRow, *, registry: Registry, today: date) -> None:
    """A lost or archived deal is live again: back to a draft the rep shares again (the
    buyer contacts are invited anew; nobody regains access silently)."""
    if row.lifecycle not in CLOSED:
        raise WrongState(f"{row.id} is {row.lifecycle}, not closed: nothing to reopen")
    contacts = {c["email"] for c in row.buyer_contacts}
    for person in registry.people(row.id):
        if person.state == "revoked" and person.email in contacts:
            registry.set_person(row.id, person.email, state="contact", today=today)
    registry.update(row.id, lifecycle="draft", closed_on=None, closed_note="", sync_state="ok")


@dataclass(frozen=True)
class Reassigned:
    map_id: str
    old: str
    new: str
    shared: bool
    reason: str = ""


def reassign(row: MapRow, to: str, *, workspace: Workspace, registry: Registry) -> Reassigned:
    """Give the MAP to another rep ('Name <email>'): they become its rep in the registry
    and the roll-up, and get edit access to its files. The previous rep keeps what access
    they had (their account may be gone already); in a Shared Drive nothing was theirs."""
    try:
        rep = parse_contact(to)
    except ValueError as exc:
        raise InputError("to", str(exc)) from None
    if rep.email == row.rep_email:
        raise InputError("to", f"{rep.email} is already the rep of {row.id}")
    files = [f for f in (row.sheet_ref, row.doc_ref, row.handoff_ref) if f]
    message = f"The Mutual Action Plan for {row.deal} ({row.buyer_company}) is now yours."
    results = workspace.share([Invite(rep.email, "writer", f) for f in files], message)
    refused = next((r.reason or "refused" for r in results if not r.ok), "")
    rollup = dict(row.rollup or {})
    name = rep.name or rep.email.partition("@")[0]
    if rollup:
        rollup["rep"] = name
    registry.update(row.id, rep_email=rep.email, rep_name=name, rollup=rollup)
    return Reassigned(row.id, row.rep_email, rep.email, not refused, refused)
