"""mapctl import: a MAP from a spreadsheet the team already keeps."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import click

from addon.cli import main
from addon.cli.common import _app, _day, _fail, _flag, _short, today_option
from addon.errors import InputError, MapError
from addon.importing import Given
from addon.plan.dates import fmt
from addon.plan.report import ImportReport


@main.command(name="import")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--dry-run", is_flag=True, help="Show what it understood; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what it understood as JSON.")
@click.option("--schema", is_flag=True, help="Print the JSON Schema of --json output.")
@click.option("--rep-name", default="", help="The rep who owns the MAP (needed to create it).")
@click.option("--rep-email", default="", help="The rep's email (needed to create it).")
@click.option("--deal", default="", help="Deal name (default: the file's title).")
@click.option("--buyer-company", default="", help="Default: the file's Customer/Client line.")
@click.option(
    "--contact", "contacts", multiple=True, help="Buyer contact, 'Name <email>'; repeat for each."
)
@click.option("--target-close", default=None, metavar="YYYY-MM-DD")
@click.option("--close-reason", default="")
@click.option("--outcome", "desired_outcome", default="")
@click.option("--deal-value", type=float, default=None)
@click.option("--currency", default="USD")
@click.option("--team", default="")
@click.option("--stage", default="")
@click.option("--crm-deal", default="", help="Link the new MAP to this CRM deal (its id).")
@click.option("--again", is_flag=True, help="Import a plan that was imported before, again.")
@click.option(
    "--locale",
    default=None,
    help="How the file writes dates, e.g. en_US (3/15/2026) or de_DE (default: its language).",
)
@click.option("--time-zone", default="UTC")
@click.option(
    "--start",
    "plan_start",
    default=None,
    metavar="YYYY-MM-DD",
    help='The day the plan started: "Week 3" and "[Date +3]" count from it '
    "(default: its earliest date).",
)
@click.option(
    "--table",
    default=None,
    metavar="TAB!CELL",
    help='The plan is the table whose header row starts at this cell, e.g. "Plan!A12" '
    "(default: the best table that reads as a plan).",
)
@click.option(
    "--column",
    "column_map",
    multiple=True,
    metavar="HEADER=FIELD",
    help='What a column is, e.g. "Next Steps=step" or "Type=none"; repeat for each.',
)
@today_option
@click.pass_context
def import_(
    ctx: click.Context,
    /,
    files: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
    schema: bool,
    today: str | None,
    target_close: str | None,
    plan_start: str | None,
    contacts: tuple[str, ...],
    crm_deal: str,
    again: bool,
    column_map: tuple[str, ...],
    **fields: Any,
) -> None:
    """Create a MAP from a plan the team already keeps: an .xlsx workbook, .csv exports (one
    per tab; Notion, Asana, monday.com, Smartsheet and Jira exports too), a Trello board's
    JSON export, or a Google Sheet id or URL on the Google backend. Prints what it understood
    and every cell it could not place."""
    if schema:
        click.echo(json.dumps(ImportReport.model_json_schema(), indent=2))
        return
    app = _app(ctx, today)
    day = app.today_of()
    pairs: list[tuple[str, str]] = []
    for item in column_map:
        header, sep, key = item.rpartition("=")
        if not sep or not header.strip():
            _fail(InputError("column", f'"{item}" is not HEADER=FIELD, e.g. "Next Steps=step"'))
        pairs.append((header.strip(), key.strip()))
    given = Given(
        columns=tuple(pairs),
        contacts=contacts,
        target_close=_day(target_close, "target_close"),
        plan_start=_day(plan_start, "start"),
        **fields,
    )
    try:
        source = app.read_source(files)
    except MapError as exc:
        _fail(exc)
    try:
        imported = app.understand(source, given, day)
    except MapError as exc:
        _fail(exc)
    keys = app.source_keys(files, source)
    before = app.already_imported(keys)
    if before and not dry_run and not again:
        if not as_json:
            _print_import(imported.report)
        click.echo(f"Error: this plan was {before}; nothing was created.", err=True)
        click.echo("  --again imports it once more as a new MAP.", err=True)
        sys.exit(2)
    if not dry_run:
        missing = [*imported.missing]
        for name, flag in (("rep_name", "--rep-name"), ("rep_email", "--rep-email")):
            if not fields[name]:
                missing.insert(0, InputError(name, f"who owns the new MAP; pass {flag}"))
        if missing:
            if not as_json:
                _print_import(imported.report)
            for error in missing:
                click.echo(f"Error: {_flag(error)}: {error.detail}", err=True)
            click.echo("Nothing was created; --dry-run shows what was read.", err=True)
            sys.exit(2)
        try:
            imported = app.import_map(
                imported, day, datetime.combine(day, datetime.now().time()), crm_deal=crm_deal
            )
            if imported.created is not None:
                app.registry.add_import_keys(imported.created.map_id, keys, ", ".join(files), day)
        except MapError as exc:
            _fail(exc)
    if as_json:
        click.echo(imported.report.model_dump_json(indent=2))
        return
    _print_import(imported.report)
    if imported.created is not None:
        created = imported.created
        click.echo(f"Created {created.map_id}")
        click.echo(f"  workbook: {app.where(created.files.sheet)}")
        click.echo(f"  doc:      {app.where(created.files.doc)}")
        if created.crm:
            click.echo(f"  crm:      {created.crm}")
        click.echo("  next: review it with your champion, then share it with the buyer.")
    else:
        click.echo("Dry run: nothing was written.")
        if before:
            click.echo(f"  note: this plan was {before} (--again imports it once more)")
        for error in imported.missing:
            click.echo(f"  to create it: {_flag(error)}: {error.detail}")


def _print_import(r: ImportReport) -> None:
    where = f'tab "{r.plan_tab}", header on row {r.header_row}' if r.plan_tab else "no plan found"
    click.echo(f"Read {r.source}: {where}; {len(r.steps)} steps; dates read as {r.locale}.")
    if r.columns:
        click.echo("Columns:")
        for c in r.columns:
            target = c.field.replace("_", " ") if c.field else "(no place: listed below)"
            click.echo(f'  {c.column:>3} "{c.header}" -> {target}')
    if r.candidates:
        taken = [c for c in r.candidates if c.taken]
        for top in taken:
            click.echo(f"Plan: {top.where} ({top.score} points): {top.evidence}")
        others = [o for o in r.candidates if not o.taken]
        if others:
            click.echo("Other tables:" if taken else "No table qualifies as the plan:")
            for o in others[:5]:
                click.echo(f"  {o.where} ({o.score} points): {o.evidence}; not taken: {o.short}")
    s = r.summary
    click.echo("Summary:")
    click.echo(f"  deal: {s.deal or '—'}; buyer: {s.buyer_company or '—'}")
    close = fmt(s.target_close) if s.target_close else "—"
    click.echo(f"  target close: {close}" + (f" ({s.close_reason})" if s.close_reason else ""))
    if s.desired_outcome:
        click.echo(f"  desired outcome: {s.desired_outcome}")
    click.echo("Steps:")
    for step in r.steps:
        due = fmt(step.due) if step.due else "no date"
        status = step.status.label if step.status else "(unread)"
        owners = " / ".join(o for o in (step.buyer_owner, step.seller_owner) if o) or "no owner"
        after = f"; after {', '.join(step.depends_on)}" if step.depends_on else ""
        phase = f"[{step.phase}] " if step.phase else ""
        click.echo(f"  {step.id} {phase}{step.step} — {owners}; {due}; {status}{after}")
    if r.stakeholders:
        click.echo(f"Stakeholders ({len(r.stakeholders)}):")
        for p in r.stakeholders:
            role = f", {p.role_text}" if p.role_text else ""
            click.echo(f"  {p.name} <{p.email or 'no email'}> {p.side or 'side unknown'}{role}")
    if r.risks:
        click.echo(f"Risks ({len(r.risks)}):")
        for risk in r.risks:
            click.echo(f"  {risk.risk}")
    if r.criteria:
        click.echo(f"Decision criteria ({len(r.criteria)}):")
        for crit in r.criteria:
            who = crit.who_decides or "no one named"
            click.echo(f"  {crit.criterion} — {who}; {crit.status or 'no status'}")
    if r.resources:
        click.echo(f"Resources ({len(r.resources)}):")
        for res in r.resources:
            link = res.link or "no link yet"
            click.echo(f"  {res.title} — {link} — {res.step or 'no step'}")
    for title, notes in (
        ("How cells were read", r.readings),
        ("Kept as typed, to fix", r.problems),
    ):
        if notes:
            click.echo(f"{title} ({len(notes)}):")
            for n in notes:
                cell = f"{n.tab}!{n.cell} " if n.cell else ""
                value = f'"{n.value}": ' if n.value else ""
                click.echo(f"  {cell}{value}{n.message}")
    click.echo(f"Not placed ({len(r.unplaced)} of {r.cells} cells):")
    for u in r.unplaced:
        click.echo(f'  {u.tab}!{u.cell} "{_short(u.value)}": {u.why}')
