"""Who can open a MAP: share a draft, add and remove buyer contacts, offer the stakeholders
a buyer adds, revoke access, and the .xlsx round trip for people who cannot be invited.

The registry keeps each buyer-side person's state (registry.models.PersonRow); the
workspace holds the actual access (Drive permissions, or access.json on disk). Nobody is
shared silently: a contact is shared when the rep shares the MAP or adds them to a shared
MAP; a person the buyer adds on the Stakeholders tab is offered to the rep, who confirms.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from addon.errors import InputError, MapLocked, NotFound, VersionConflict, WrongState
from addon.maps import parse_contact
from addon.plan.dates import fmt
from addon.plan.merge import Merge, merge
from addon.plan.models import Grid
from addon.plan.people import seller_side
from addon.registry.grids import decode_grids, encode_grids
from addon.registry.models import ExportRow, MapRow, PersonRow
from addon.registry.store import Registry
from addon.sync import MapResult, sync_map
from addon.workspace.base import SYNC_IDENTITY, Invite, Snapshot, Workspace
from addon.workspace.xlsx import export_workbook, workbook_grids

OPEN = ("draft", "shared", "won")  # a MAP people may still be given access to
KEEP_ROLES = ("owner", "organizer", "fileOrganizer")  # never revoked: the file's keepers
MAX_MERGE_ATTEMPTS = 3


# Emails each person shared: (email, name) pairs -> {email: why} for those it could not.
Inviter = Callable[[MapRow, Sequence[tuple[str, str]]], dict[str, str]]


def invitation(row: MapRow) -> str:
    """The invitation's message. On Google it is sent by the service's account (the files
    belong to the team's Shared Drive), whose mailbox nobody reads: it names the rep and
    says where replies go."""
    return (
        f"{row.rep_name} ({row.rep_email}) shared the Mutual Action Plan for {row.deal}: the "
        "steps from here to a decision, who owns each, and by when. Edit the Sheet directly: "
        "status, dates, owners, notes and new steps. Questions: write to "
        f"{row.rep_name} at {row.rep_email} (this invitation comes from our plan service, "
        "which does not read replies)."
    )


@dataclass
class Shared:
    """What a share did, person by person."""

    added: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (email, Google's reason)
    revoked: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # revocations that failed
    offered: list[PersonRow] = field(default_factory=list)  # still waiting for the rep
    # shared, but our invitation email failed: (email, why); they can open the plan
    not_emailed: list[tuple[str, str]] = field(default_factory=list)


def offered(registry: Registry, map_id: str) -> list[PersonRow]:
    return [p for p in registry.people(map_id) if p.state == "offered"]


def _grant(
    row: MapRow,
    emails: Sequence[str],
    *,
    workspace: Workspace,
    registry: Registry,
    today: date,
    invite: Inviter | None = None,
) -> Shared:
    """Editors on the Sheet, commenters on the Doc; a person is shared when both worked.
    With `invite`, each person shared is emailed by it (from the rep, replies to the rep)
    instead of by the workspace."""
    out = Shared()
    invites = [Invite(e, "writer", row.sheet_ref) for e in emails] + [
        Invite(e, "commenter", row.doc_ref) for e in emails
    ]
    results = workspace.share(invites, invitation(row), notify=invite is None) if invites else []
    refused: dict[str, str] = {}
    for r in results:
        if not r.ok:
            refused.setdefault(r.invite.email, r.reason or "refused")
    for email in emails:
        if email in refused:
            out.refused.append((email, refused[email]))
            registry.set_person(row.id, email, state="refused", today=today, reason=refused[email])
        else:
            out.added.append(email)
            registry.set_person(row.id, email, state="shared", today=today)
    if invite is not None and out.added:
        names = {p.email: p.name for p in registry.people(row.id)}
        unsent = invite(row, [(e, names.get(e, "")) for e in out.added])
        out.not_emailed = sorted(unsent.items())
    if out.added and row.lifecycle == "draft":
        registry.update(row.id, lifecycle="shared")
    out.offered = offered(registry, row.id)
    return out


def _open(row: MapRow, what: str) -> None:
    if row.lifecycle not in OPEN:
        raise WrongState(
            f"{row.id} is {row.lifecycle}: {what} is for open deals; "
            f"`mapctl reopen {row.id}` first if the deal is live again"
        )


def share_map(
    row: MapRow,
    *,
    workspace: Workspace,
    registry: Registry,
    today: date,
    invite: Inviter | None = None,
) -> Shared:
    """Share with every buyer contact who has no access yet, those refused before
    included. Offers stay offers: the rep confirms each with add_contact."""
    _open(row, "sharing")
    states = ("contact", "refused")
    wanted = {c["email"] for c in row.buyer_contacts}
    emails = [p.email for p in registry.people(row.id) if p.state in states and p.email in wanted]
    return _grant(row, emails, workspace=workspace, registry=registry, today=today, invite=invite)


def add_contact(
    row: MapRow,
    text: str,
    *,
    workspace: Workspace,
    registry: Registry,
    today: date,
    invite: Inviter | None = None,
) -> Shared:
    """Add a buyer contact ('Name <email>'). On a shared MAP they are invited now (this is
    the rep's confirmation of an offer, too); on a draft, when the MAP is shared."""
    _open(row, "adding a contact")
    try:
        contact = parse_contact(text)
    except ValueError as exc:
        raise InputError("contact", str(exc)) from None
    contacts = [c for c in row.buyer_contacts if c["email"] != contact.email]
    name = contact.name or next(
        (p.name for p in registry.people(row.id) if p.email == contact.email), ""
    )
    contacts.append({"email": contact.email, "name": name or contact.display})
    registry.set_contacts(row.id, contacts)
    registry.set_person(row.id, contact.email, state="contact", today=today, name=name)
    if row.lifecycle == "draft":
        return Shared(offered=offered(registry, row.id))
    return _grant(
        registry.get(row.id),
        [contact.email],
        workspace=workspace,
        registry=registry,
        today=today,
        invite=invite,
    )


def remove_contact(
    row: MapRow, email: str, *, workspace: Workspace, registry: Registry, today: date
) -> Shared:
    """Take a person off the MAP: no longer a contact, and their access revoked."""
    email = email.strip().lower()
    known = {p.email for p in registry.people(row.id)} | {c["email"] for c in row.buyer_contacts}
    if email not in known:
        raise NotFound(f"{email} is not a contact of {row.id}; `mapctl people {row.id}` lists them")
    registry.set_contacts(row.id, [c for c in row.buyer_contacts if c["email"] != email])
    out = revoke_access(
        row, workspace=workspace, registry=registry, today=today, only=[email], state="revoked"
    )
    if email not in out.revoked and not out.failed:  # never had access: just off the list
        registry.set_person(row.id, email, state="revoked", today=today)
    return out


def decline(row: MapRow, email: str, *, registry: Registry, today: date) -> None:
    """The rep's no to an offer: not offered again."""
    email = email.strip().lower()
    person = next((p for p in registry.people(row.id) if p.email == email), None)
    if person is None or person.state != "offered":
        raise NotFound(f"{email} is not waiting for access to {row.id}")
    registry.set_person(row.id, email, state="declined", today=today)


def revoke_access(
    row: MapRow,
    *,
    workspace: Workspace,
    registry: Registry,
    today: date,
    only: Sequence[str] | None = None,
    seller_domains: Iterable[str] = (),
    state: str = "revoked",
) -> Shared:
    """Remove buyer-side access to the Sheet and Doc: `only` those people, or everyone
    who is not on the seller side (including people a buyer shared it with themselves).
    Owners and Shared Drive managers are never touched."""
    files = [f for f in (row.sheet_ref, row.doc_ref) if f]

    def wanted(email: str) -> bool:
        if only is not None:
            return email in only
        return not seller_side(email, row.rep_email, seller_domains)

    grants = [g for g in workspace.people(files) if g.role not in KEEP_ROLES and wanted(g.email)]
    out = Shared()
    failed: dict[str, str] = {}
    for result in workspace.revoke(grants):
        if not result.ok:
            failed.setdefault(result.invite.email, result.reason or "refused")
    for email in dict.fromkeys(g.email for g in grants):
        if email in failed:
            out.failed.append((email, failed[email]))
        else:
            out.revoked.append(email)
            if "@" in email and email.partition("@")[0]:  # a person: not a domain/link share
                registry.set_person(row.id, email, state=state, today=today)
    return out


# --- the .xlsx round trip ---------------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    export_id: str
    ref: str
    name: str
    data: bytes


def export_copy(
    row: MapRow,
    *,
    workspace: Workspace,
    registry: Registry,
    today: date,
    made_for: str = "",
    snapshot: Snapshot | None = None,
) -> Exported:
    """The MAP as an .xlsx copy for someone who cannot open the live Sheet, kept beside
    it; the grids as sent are the base its return is merged against."""
    _open(row, "sending a copy")
    snap = snapshot or workspace.read(row.sheet_ref)
    export_id = "X-" + uuid.uuid4().hex[:10].upper()
    sent = (
        f"sent {fmt(today)}{' to ' + made_for if made_for else ''}. Edit this copy (status, "
        "dates, owners, notes, new rows) and send it back as it is: the changes merge into "
        "the live plan."
    )
    data = export_workbook(
        snap.grids,
        title=f"MAP - {row.buyer_company} - {row.deal}",
        export_id=export_id,
        sent_line=sent,
    )
    base, _found, _who, _when = workbook_grids(data)
    name = f"MAP - {row.buyer_company} - {row.deal} - copy {today.isoformat()}.xlsx"
    ref = workspace.save_file(row.id, row.sheet_ref, name, data, "xlsx")
    registry.add_export(
        ExportRow(
            id=export_id,
            map_id=row.id,
            ref=ref,
            made_on=today,
            made_for=made_for,
            grids=encode_grids(base),
            merged=[],
        )
    )
    return Exported(export_id, ref, name, data)


@dataclass(frozen=True)
class Merged:
    map_id: str
    export_id: str
    merge: Merge
    kept_ref: str  # the returned file, kept beside the MAP
    sync: MapResult | None


def find_export(registry: Registry, copy_id: str, map_id: str | None) -> ExportRow:
    """The copy a returned file answers: by the id it carries, else the MAP's last one."""
    if copy_id and (found := registry.export(copy_id)) is not None:
        return found
    if map_id:
        exports = registry.exports(map_id)
        if exports:
            return exports[-1]
        raise NotFound(f"no .xlsx copy of {map_id} was ever sent; nothing to merge against")
    if copy_id:
        raise NotFound(
            f"this copy ({copy_id}) was not sent from this registry; merge it where it was "
            "made, or give the MAP (--map) to merge it against that MAP's last copy"
        )
    raise InputError(
        "file",
        "this workbook carries no copy id (it was not made by `mapctl export`, or a program "
        "dropped it on saving); give the MAP (--map) to merge it against its last copy",
    )


def merge_copy(
    data: bytes,
    filename: str,
    *,
    workspace: Workspace,
    registry: Registry,
    today: date,
    map_id: str | None = None,
    returned_by: str = "",
) -> Merged:
    """Merge a returned .xlsx copy into the live MAP: the buyer's edits applied, what
    conflicts with later edits kept beside the live value in the sync note, the returned
    file kept too. Then the MAP is synced so the computed columns show the result."""
    try:
        returned, copy_id, saved_by, saved_at = workbook_grids(data)
    except ValueError as exc:
        raise InputError("file", f"{filename} is {exc}") from None
    export = find_export(registry, copy_id, map_id)
    if map_id and export.map_id != map_id:
        raise InputError("map", f"{filename} is a copy of {export.map_id}, not of {map_id}")
    row = registry.get(export.map_id)
    _open(row, "merging a returned copy")
    base: dict[str, Grid] = decode_grids(export.grids)
    who = returned_by or saved_by or "the buyer"
    kept_ref = workspace.save_file(
        row.id, row.sheet_ref, f"returned {today.isoformat()} {filename}", data, "xlsx"
    )
    for _attempt in range(MAX_MERGE_ATTEMPTS):
        current = workspace.read(row.sheet_ref)
        plan = merge(base, returned, current.grids)
        version = current.version
        if plan.edits:
            try:
                version = workspace.write_cells(row.sheet_ref, current.version, plan.edits)
            except VersionConflict:
                continue  # someone saved between our read and our write: merge again
            except MapLocked as exc:
                raise WrongState(str(exc)) from None
        break
    else:
        raise WrongState(
            f"{row.sheet_ref} kept changing while the copy was merged "
            f"({MAX_MERGE_ATTEMPTS} tries); merge it again in a moment"
        )
    registry.record_merge(
        export.id,
        {
            "on": today.isoformat(),
            "file": filename,
            "kept": kept_ref,
            "by": who,
            "applied": len(plan.applied),
            "added": len(plan.added),
            "conflicts": len(plan.conflicts),
            "unplaced": len(plan.unplaced),
        },
        plan.kept(),
        today,
    )
    result = None
    if not plan.empty:
        # The buyer's edits, made offline, count as their update of the plan, on the day
        # they saved the copy (when the file says so and it is plausible).
        saved = saved_at.date() if saved_at else today
        day = saved if export.made_on <= saved <= today else today
        registry.update(row.id, last_buyer_update=day, last_buyer_editor=who)
        grids = _applied(current.grids, plan)
        made = Snapshot(grids, version, SYNC_IDENTITY, None) if plan.edits else None
        result = sync_map(
            registry.get(row.id),
            workspace=workspace,
            registry=registry,
            today=today,
            force=True,
            made=made,
        )
    return Merged(row.id, export.id, plan, kept_ref, result)


def _applied(grids: dict[str, Grid], plan: Merge) -> dict[str, Grid]:
    """The live grids with the merge's edits in: what the Sheet holds after the write."""
    out = {name: [list(r) for r in grid] for name, grid in grids.items()}
    for edit in plan.edits:
        grid = out[edit.tab]
        while len(grid) <= edit.row:
            grid.append([])
        row = grid[edit.row]
        row.extend([None] * (edit.col + 1 - len(row)))
        row[edit.col] = edit.value
    return out
