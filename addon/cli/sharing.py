"""mapctl share, people, export, merge: who can open a MAP, and .xlsx copies."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from addon.cli import main
from addon.cli.common import _app, _fail, _find, today_option
from addon.cli.sync import _print_result
from addon.errors import MapError
from addon.plan.dates import fmt
from addon.sharing import (
    Merged,
    Shared,
    add_contact,
    decline,
    export_copy,
    merge_copy,
    remove_contact,
    share_map,
)


def _shared_lines(map_id: str, shared: Shared) -> None:
    for email in shared.added:
        click.echo(f"  ✓ {email}: can edit the Sheet and comment on the Doc")
    for email in shared.revoked:
        click.echo(f"  - {email}: access removed")
    for email, reason in shared.refused:
        click.echo(f"  ✗ {email}: not added: {reason}")
    for email, reason in shared.not_emailed:
        click.echo(
            f"  ! {email}: shared, but the invitation email was not sent ({reason}); "
            "send them the Sheet's link yourself"
        )
    for email, reason in shared.failed:
        click.echo(f"  ✗ {email}: access NOT removed: {reason}")
    if shared.refused:
        click.echo(
            f"  They cannot open the live Sheet: send them a copy instead with "
            f"`mapctl export {map_id} --for EMAIL --out FILE.xlsx`; merge the copy they "
            "send back with `mapctl merge FILE.xlsx`."
        )
    for person in shared.offered:
        click.echo(
            f"  ? {person.name or person.email} <{person.email}> was added on the Stakeholders "
            f"tab: `mapctl people {map_id} --add {person.email}` shares with them, "
            f"`--decline {person.email}` stops offering"
        )


@main.command()
@click.argument("target")
@today_option
@click.pass_context
def share(ctx: click.Context, target: str, today: str | None) -> None:
    """Share a MAP with its buyer contacts: editors on the Sheet, commenters on the Doc.

    Until then a MAP is a draft only the seller side sees. Each invitation is answered on
    its own; whoever could not be added is told why, with the .xlsx copy as the way round.
    """
    app = _app(ctx, today)
    try:
        row = _find(app, target)
        shared = share_map(
            row,
            workspace=app.workspace,
            registry=app.registry,
            today=app.today_of(row),
            invite=app.inviter(),
        )
    except MapError as exc:
        _fail(exc)
    if not shared.added and not shared.refused:
        click.echo(f"{row.id}: every contact already has access")
    else:
        click.echo(f"{row.id} {row.deal}: shared with {len(shared.added)}")
    _shared_lines(row.id, shared)
    if shared.refused and not shared.added:
        sys.exit(1)


@main.command()
@click.argument("target")
@click.option("--add", "added", multiple=True, help="'Name <email>': a buyer contact to add.")
@click.option("--remove", "removed", multiple=True, help="An email to take off (and revoke).")
@click.option("--decline", "declined", multiple=True, help="An offered stakeholder: do not share.")
@today_option
@click.pass_context
def people(
    ctx: click.Context,
    target: str,
    added: tuple[str, ...],
    removed: tuple[str, ...],
    declined: tuple[str, ...],
    today: str | None,
) -> None:
    """Who is on a MAP's buyer side and what access each has; add, remove or decline.

    Adding someone to a shared MAP invites them at once (this is how a stakeholder the buyer
    added on the Stakeholders tab is confirmed); removing someone revokes their access.
    """
    app = _app(ctx, today)
    try:
        row = _find(app, target)
        day = app.today_of(row)
        for value in added:
            done = add_contact(
                app.registry.get(row.id),  # as the previous change left it
                value,
                workspace=app.workspace,
                registry=app.registry,
                today=day,
                invite=app.inviter(),
            )
            _shared_lines(row.id, done)
        for value in removed:
            done = remove_contact(
                app.registry.get(row.id),
                value,
                workspace=app.workspace,
                registry=app.registry,
                today=day,
            )
            _shared_lines(row.id, done)
        for email in declined:
            decline(app.registry.get(row.id), email, registry=app.registry, today=day)
            click.echo(f"  · {email}: declined, not offered again")
    except MapError as exc:
        _fail(exc)
    row = app.registry.get(row.id)
    contacts = {c["email"] for c in row.buyer_contacts}
    click.echo(f"{row.id} {row.deal} ({row.lifecycle})")
    for person in app.registry.people(row.id):
        mark = "contact" if person.email in contacts else "       "
        reason = f": {person.reason}" if person.reason else ""
        click.echo(
            f"  {mark} {person.state:<9} {person.name or '-'} <{person.email}>"
            f" since {fmt(person.changed_on)}{reason}"
        )


@main.command()
@click.argument("target")
@click.option("--for", "made_for", default="", help="Whom the copy is for (an email).")
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write it here."
)
@today_option
@click.pass_context
def export(
    ctx: click.Context, target: str, made_for: str, out: Path | None, today: str | None
) -> None:
    """An .xlsx copy of the MAP for someone who cannot open the live Sheet.

    The copy is kept beside the MAP and remembered: when it comes back edited, `mapctl
    merge` applies the edits and keeps whatever conflicts with later edits in the notes.
    """
    app = _app(ctx, today)
    try:
        row = _find(app, target)
        copy = export_copy(
            row,
            workspace=app.workspace,
            registry=app.registry,
            today=app.today_of(row),
            made_for=made_for,
        )
    except MapError as exc:
        _fail(exc)
    click.echo(f"Copy {copy.export_id} of {row.id}: {app.where(copy.ref)}")
    if out:
        out.write_bytes(copy.data)
        click.echo(f"  written to {out}")
    click.echo("  send it; when it comes back, run `mapctl merge FILE.xlsx`")


@main.command()
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--map", "map_id", default=None, help="The MAP, when the file carries no copy id.")
@click.option("--by", "returned_by", default="", help="Who sent it back (an email).")
@today_option
@click.pass_context
def merge(
    ctx: click.Context, file: Path, map_id: str | None, returned_by: str, today: str | None
) -> None:
    """Merge an edited .xlsx copy back into its MAP: edits applied, conflicts kept."""
    app = _app(ctx, today)
    try:
        merged = merge_copy(
            file.read_bytes(),
            file.name,
            workspace=app.workspace,
            registry=app.registry,
            today=app.today_of(app.registry.get(map_id.upper()) if map_id else None),
            map_id=map_id.upper() if map_id else None,
            returned_by=returned_by,
        )
    except MapError as exc:
        _fail(exc)
    _print_merge(merged)


def _print_merge(merged: Merged) -> None:
    m = merged.merge
    click.echo(
        f"{merged.map_id}: merged copy {merged.export_id}: {len(m.applied)} edit(s) applied, "
        f"{len(m.added)} row(s) added, {len(m.conflicts)} conflict(s), "
        f"{len(m.unplaced)} value(s) not placed"
    )
    for c in m.applied:
        click.echo(f'  ✓ {c.tab} {c.row}, {c.column}: "{c.before}" -> "{c.after}"')
    for a in m.added:
        click.echo(f"  + {a}")
    for k in m.conflicts:
        click.echo(
            f'  ! {k.tab} {k.row}, {k.column}: the copy says "{k.returned}", the Sheet '
            f'says "{k.sheet}" (kept; both are in the sync note)'
        )
    for u in m.unplaced:
        column = f", {u.column}" if u.column else ""
        click.echo(f'  ? {u.tab} {u.row}{column}: "{u.text}" not placed: {u.why}')
    for note in m.notes:
        click.echo(f"  · {note}")
    click.echo(f"  the returned file is kept: {merged.kept_ref}")
    if merged.sync:
        _print_result(merged.sync)
