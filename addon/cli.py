"""mapctl: create, import, share, people, export, merge, sync, status, mark, reopen, reassign,
rollup, list, templates, demo, serve.

A thin edge: each command calls the library and turns its errors into one clear line
(exit 2 for bad input, 1 for a MAP that could not be used).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from addon.alerts import DeliveryReport, Outcome, deliver, preview
from addon.app import App
from addon.config import Settings
from addon.errors import InputError, MapError, NotFound
from addon.importing import Given
from addon.lifecycle import close_map
from addon.lifecycle import reassign as reassign_map
from addon.lifecycle import reopen as reopen_map
from addon.maps import parse_contact
from addon.plan.alerts import Person
from addon.plan.dates import fmt
from addon.plan.report import ImportReport, StatusReport
from addon.registry.models import MapRow
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
from addon.sync import MapResult, rollup_rows, status_report, sync_all, write_rollup
from addon.workspace.local import LocalWorkspace
from sheets_schema.template import TemplateError

F = TypeVar("F", bound=Callable[..., Any])


def today_option(func: F) -> F:
    return click.option(
        "--today",
        "today",
        default=None,
        metavar="YYYY-MM-DD",
        help="Pin today's date (also MAP_TODAY) so runs are reproducible.",
    )(func)


def _app(ctx: click.Context, today: str | None) -> App:
    overrides: dict[str, Any] = {k: v for k, v in ctx.obj.items() if v is not None}
    if today:
        try:
            overrides["today"] = date.fromisoformat(today)
        except ValueError:
            raise click.UsageError(
                f'--today "{today}" is not a date; write it as 2026-03-15'
            ) from None
    try:
        return App(Settings(**overrides))
    except TemplateError as exc:
        raise click.ClickException(f"template error: {exc}") from None
    except InputError as exc:
        raise click.ClickException(f"{exc.field}: {exc.detail}") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of the local workspace (MAP_WORKSPACE; default ./map-workspace).",
)
@click.option(
    "--registry",
    "registry_url",
    default=None,
    help="Registry URL (MAP_REGISTRY_URL; default SQLite in the workspace).",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "google"]),
    default=None,
    help="Where MAP files live (MAP_BACKEND; default local). Google settings: MAP_GOOGLE_*.",
)
@click.option(
    "--template-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of team templates, NAME.yaml (MAP_TEMPLATE_DIR).",
)
@click.pass_context
def main(
    ctx: click.Context,
    workspace: Path | None,
    registry_url: str | None,
    backend: str | None,
    template_dir: Path | None,
) -> None:
    """Mutual Action Plans: create them, sync buyer edits, roll them up."""
    ctx.obj = {
        "workspace": workspace,
        "registry_url": registry_url,
        "backend": backend,
        "template_dir": template_dir,
    }


@main.command()
@click.option("--deal", required=True, help="Deal name, e.g. 'Analytics platform rollout'.")
@click.option("--buyer-company", required=True)
@click.option(
    "--contact",
    "contacts",
    multiple=True,
    required=True,
    help="Buyer contact, 'Name <email>' or email; repeat for each.",
)
@click.option("--target-close", required=True, metavar="YYYY-MM-DD")
@click.option("--close-reason", default="", help="The buyer's reason for that date.")
@click.option(
    "--outcome", "desired_outcome", default="", help="The desired outcome, in the buyer's words."
)
@click.option("--template", required=True, help="smb, mid_market, enterprise or a team's own.")
@click.option("--deal-value", type=float, default=None)
@click.option("--currency", default="USD")
@click.option("--rep-name", required=True)
@click.option("--rep-email", required=True)
@click.option("--team", default="")
@click.option("--stage", default="")
@click.option("--locale", default="en_US", help="The sheet's locale, for reading dates.")
@click.option("--time-zone", default="UTC")
@click.option(
    "--idempotency-key", default=None, help="Retrying with the same key returns the same MAP."
)
@today_option
@click.pass_context
def create(ctx: click.Context, /, today: str | None, target_close: str, **fields: Any) -> None:
    """Create a MAP: workbook and doc in the workspace, registered, first sync done."""
    app = _app(ctx, today)
    day = app.today_of()
    close = _date_arg(target_close, "target_close")
    fields["buyer_contacts"] = list(fields.pop("contacts"))
    try:
        created = app.create(
            {**fields, "target_close": close}, day, datetime.combine(day, datetime.now().time())
        )
    except MapError as exc:
        _fail(exc)
    click.echo(
        ("Already created (same idempotency key): " if created.existing else "Created ")
        + created.map_id
    )
    click.echo(f"  workbook: {app.where(created.files.sheet)}")
    click.echo(f"  doc:      {app.where(created.files.doc)}")
    if created.compressed_from_days:
        click.echo(
            f"  note: the {fields['template']} template spans {created.compressed_from_days}"
            f" days and the target close is {(close - day).days} days away;"
            " the dates were compressed to fit: review them with the buyer."
        )
    click.echo("  next: review it with your champion, then share it with the buyer.")


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
    **fields: Any,
) -> None:
    """Create a MAP from a plan the team already keeps: an .xlsx workbook, .csv exports (one
    per tab), or a Google Sheet id or URL on the Google backend. Prints what it understood
    and every cell it could not place."""
    if schema:
        click.echo(json.dumps(ImportReport.model_json_schema(), indent=2))
        return
    app = _app(ctx, today)
    day = app.today_of()
    given = Given(
        contacts=contacts,
        target_close=_day(target_close, "target_close"),
        plan_start=_day(plan_start, "start"),
        **fields,
    )
    try:
        source = app.read_source(files)
    except MapError as exc:
        _fail(exc)
    imported = app.understand(source, given, day)
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
            imported = app.import_map(imported, day, datetime.combine(day, datetime.now().time()))
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
        click.echo("  next: review it with your champion, then share it with the buyer.")
    else:
        click.echo("Dry run: nothing was written.")
        for error in imported.missing:
            click.echo(f"  to create it: {_flag(error)}: {error.detail}")


def _date_arg(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return _fail(InputError(field, f'"{text}" is not a date; write it as 2026-03-15'))  # type: ignore[no-any-return]


def _day(text: str | None, field: str) -> date | None:
    return _date_arg(text, field) if text else None


def _print_import(r: ImportReport) -> None:
    where = f'tab "{r.plan_tab}", header on row {r.header_row}' if r.plan_tab else "no plan found"
    click.echo(f"Read {r.source}: {where}; {len(r.steps)} steps; dates read as {r.locale}.")
    if r.columns:
        click.echo("Columns:")
        for c in r.columns:
            target = c.field.replace("_", " ") if c.field else "(no place: listed below)"
            click.echo(f'  {c.column:>3} "{c.header}" -> {target}')
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


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


FLAGS = {
    "buyer_contacts": "--contact",
    "desired_outcome": "--outcome",
    "file": "FILE",
    "plan_start": "--start",
}


def _flag(exc: InputError) -> str:
    """The flag the person typed, not the model's field."""
    field = exc.field.split(".")[0]
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def _fail(exc: MapError) -> Any:
    if isinstance(exc, InputError):
        click.echo(f"Error: {_flag(exc)}: {exc.detail}", err=True)
        sys.exit(2)
    click.echo(f"Error: {exc}", err=True)
    sys.exit(2 if isinstance(exc, InputError | NotFound) else 1)


def _print_result(result: MapResult) -> None:
    mark = {"written": "✓", "unchanged": "·", "skipped": "!", "failed": "✗"}[result.outcome]
    extra = f" — {result.message}" if result.message else ""
    health = f" [{result.health.replace('_', ' ')}]" if result.health else ""
    problems = f", {result.problems} cell(s) to fix" if result.problems else ""
    click.echo(f"  {mark} {result.map_id} {result.deal}{health}: {result.outcome}{problems}{extra}")


def at_option(func: F) -> F:
    return click.option(
        "--at",
        "at",
        default=None,
        metavar="YYYY-MM-DDTHH:MM[+HH:MM]",
        help="The time to act as (quiet hours, digests); no offset means UTC. "
        "Default: now, or noon UTC of a pinned --today.",
    )(func)


def _now(app: App, at: str | None) -> datetime:
    if at:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise click.UsageError(
                f'--at "{at}" is not a time; write it as 2026-03-15T09:30'
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if app.settings.today:
        return datetime.combine(app.settings.today, datetime.min.time(), UTC) + timedelta(hours=12)
    return datetime.now(UTC)


def _print_outcome(o: Outcome) -> None:
    mark = {"sent": "✓", "send": "→", "held": "…", "retry": "↻", "failed": "✗", "off": "–"}
    click.echo(f"  {mark.get(o.state, '?')} {o.state:<6} {o.channel:<5} {o.to}: {o.what}")
    for line in o.why.splitlines():
        click.echo(f"           {line}")


def _send(app: App, now: datetime) -> DeliveryReport:
    report = deliver(app.registry, app.channels(), now)
    for outcome in report.outcomes:
        _print_outcome(outcome)
    return report


@main.command()
@click.option("--map", "only", multiple=True, help="Sync only this MAP id (repeatable).")
@click.option("--force", is_flag=True, help="Read and write every MAP, changed or not.")
@click.option("--no-send", is_flag=True, help="Raise alerts but do not send them now.")
@today_option
@at_option
@click.pass_context
def sync(
    ctx: click.Context,
    today: str | None,
    only: tuple[str, ...],
    force: bool,
    no_send: bool,
    at: str | None,
) -> None:
    """Read buyer edits, write computed columns and the roll-up; raise and send alerts."""
    app = _app(ctx, today)
    report = sync_all(
        workspace=app.workspace,
        registry=app.registry,
        today_of=app.today_of,
        only=only or None,
        force=force,
        progress=_print_result,
    )
    click.echo(
        f"{report.count('written')} written, {report.count('unchanged')} unchanged, "
        f"{report.count('skipped')} skipped, {report.count('failed')} failed; "
        f"roll-up: {app.where(report.rollup_ref)}"
    )
    raised = sum(r.alerts for r in report.results)
    if not no_send:
        sent = _send(app, _now(app, at))
        click.echo(
            f"alerts: {raised} raised; {sent.count('sent')} sent, {sent.count('held')} held, "
            f"{sent.count('retry')} to retry, {sent.count('failed')} failed"
            + (f", {sent.digests} digest(s) made" if sent.digests else "")
        )
    elif raised:
        click.echo(f"alerts: {raised} raised; `mapctl alerts` sends them")
    if report.count("failed"):
        sys.exit(1)


@main.command()
@click.option("--dry-run", is_flag=True, help="Show what would be sent and why; change nothing.")
@click.option("--retry-failed", is_flag=True, help="Give failed deliveries another go first.")
@click.option("--log", "show_log", is_flag=True, help="List what went to whom (the record).")
@click.option("--map", "map_id", default=None, help="With --log: only this MAP.")
@today_option
@at_option
@click.pass_context
def alerts(
    ctx: click.Context,
    dry_run: bool,
    retry_failed: bool,
    show_log: bool,
    map_id: str | None,
    today: str | None,
    at: str | None,
) -> None:
    """Send the alerts and digests that are due (`mapctl sync` raises them), or show them.

    Held alerts (quiet hours in the recipient's time zone, one buyer reminder a day per MAP)
    and failed sends waiting for their retry go out on a later run."""
    app = _app(ctx, today)
    now = _now(app, at)
    if show_log:
        rows = app.registry.deliveries(map_ids=[map_id.upper()] if map_id else None)
        for d, a in rows:
            when = f"{d.sent_at:%Y-%m-%d %H:%M} UTC" if d.sent_at else "-"
            label = a.body.get("label") or a.body.get("subject") or a.rule
            error = f" ({d.error})" if d.error and d.state != "sent" else ""
            click.echo(
                f"  {d.map_id or 'digest':<12} {d.state:<7} {when:<20} {d.channel:<5} "
                f"{d.address or 'team channel'} ({d.role}): {label} "
                f"{a.body.get('step_id', '')}{error}"
            )
        if not rows:
            click.echo("nothing raised yet")
        return
    if dry_run:
        click.echo(f"What would happen at {now:%Y-%m-%d %H:%M %Z} (nothing is sent or changed):")
        lines = preview(app.registry, app.workspace, app.channels(), now, app.today_of)
        for line in lines:
            _print_outcome(line)
        if not lines:
            click.echo("  nothing to send")
        return
    if retry_failed:
        click.echo(f"{app.registry.retry_failed()} failed deliveries to try again")
    report = _send(app, now)
    click.echo(
        f"{report.count('sent')} sent, {report.count('held')} held, "
        f"{report.count('retry')} to retry, {report.count('failed')} failed, "
        f"{report.count('off')} not sent"
        + (f"; {report.digests} digest(s) made" if report.digests else "")
    )
    if report.count("failed"):
        sys.exit(1)


@main.command()
@click.argument("target")
@click.argument("setting", type=click.Choice(["on", "off"]))
@click.pass_context
def reminders(ctx: click.Context, target: str, setting: str) -> None:
    """Turn a MAP's buyer reminders on or off (alerts to the seller side are unaffected)."""
    app = _app(ctx, None)
    try:
        row = _find(app, target)
    except MapError as exc:
        _fail(exc)
    app.registry.update(row.id, buyer_reminders=setting == "on")
    click.echo(f"{row.id} {row.deal}: buyer reminders {setting}")


@main.command()
@click.argument("email")
@click.option("--tz", "time_zone", default=None, help="Their time zone, e.g. America/Chicago.")
@click.option("--manager", default=None, help="A rep's manager: 'Name <email>'.")
@click.option("--name", default=None)
@click.pass_context
def recipient(
    ctx: click.Context,
    email: str,
    time_zone: str | None,
    manager: str | None,
    name: str | None,
) -> None:
    """A person's time zone (alerts wait for their morning) and a rep's manager (the last
    rung of the escalation ladder, and the weekly digest)."""
    app = _app(ctx, None)
    try:
        who = parse_contact(email)
        boss = parse_contact(manager) if manager else None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if time_zone:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise click.UsageError(
                f'--tz "{time_zone}" is not a time zone; write it like Europe/Berlin'
            ) from None
    row = app.registry.set_recipient(
        who.email,
        name=name or who.name or None,
        time_zone=time_zone,
        manager=Person(boss.email, boss.name) if boss else None,
    )
    manager_text = (
        f", manager {row.manager_name} <{row.manager_email}>" if row.manager_email else ""
    )
    zone_text = row.time_zone or "each MAP's own"
    click.echo(f"{row.email}: time zone {zone_text}{manager_text}")


def _find(app: App, target: str) -> MapRow:
    row = None
    if target.upper().startswith("MAP-"):
        row = app.registry.get(target.upper())
    elif not isinstance(app.workspace, LocalWorkspace):
        row = app.registry.by_sheet(target)  # a Google Sheet's file id
    else:
        path = Path(target).resolve()
        try:
            ref = str(path.relative_to(app.settings.workspace.resolve()))
        except ValueError:
            ref = ""
        row = app.registry.by_sheet(ref) if ref else None
    if row is None:
        raise NotFound(
            f"{target} is not a registered MAP; give its id (mapctl list) or the "
            "path of its workbook inside the workspace"
        )
    return row


@main.command()
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print the computed plan as JSON.")
@click.option("--schema", is_flag=True, help="Print the JSON Schema of --json output.")
@today_option
@click.pass_context
def status(ctx: click.Context, target: str, as_json: bool, schema: bool, today: str | None) -> None:
    """Show a MAP's computed plan (TARGET: a MAP id or its workbook path). Writes nothing."""
    if schema:
        click.echo(json.dumps(StatusReport.model_json_schema(), indent=2))
        return
    app = _app(ctx, today)
    try:
        row = _find(app, target)
        snapshot = app.workspace.read(row.sheet_ref)
    except MapError as exc:
        _fail(exc)
    report = status_report(row, snapshot, app.registry, app.today_of(row), app.workspace)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
        return
    _print_status(report)


def _print_status(report: StatusReport) -> None:
    m = report.map
    click.echo(f"{m.map_id}  {m.deal} — {m.buyer_company}")
    click.echo(
        f"  health {m.health.label} (score {m.health_score})" + ("  STALE" if m.stale else "")
    )
    projected = fmt(m.projected_close) if m.projected_close else "unknown"
    click.echo(f"  target close {fmt(m.target_close)}, projected {projected}")
    click.echo(f"  buyer steps done {m.buyer_steps_done}/{m.buyer_steps_total}")
    if m.current_blocker:
        click.echo(f"  blocker: {m.current_blocker.step} — {m.current_blocker.owner}")
    if m.next_step:
        due = fmt(m.next_step.due) if m.next_step.due else "no date"
        click.echo(f"  next: {m.next_step.step} — {m.next_step.owner}, {due}")
    click.echo("")
    for s in report.steps:
        due = fmt(s.due) if s.due else "—"
        late = f" {s.days_late}d late" if s.days_late else ""
        click.echo(f"  {s.id} {s.health.label:<12} {due:>12}{late:<10} {s.step[:60]}")
    unreadable = [p for p in report.problems if p.kind == "unreadable"]
    if unreadable:
        click.echo("\nTo fix in the sheet:")
        for p in unreadable:
            click.echo(f'  {p.tab}!{p.cell} "{p.value}": {p.message}')


def _shared_lines(map_id: str, shared: Shared) -> None:
    for email in shared.added:
        click.echo(f"  ✓ {email}: can edit the Sheet and comment on the Doc")
    for email in shared.revoked:
        click.echo(f"  - {email}: access removed")
    for email, reason in shared.refused:
        click.echo(f"  ✗ {email}: not added: {reason}")
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
            row, workspace=app.workspace, registry=app.registry, today=app.today_of(row)
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
        for change, values in ((add_contact, added), (remove_contact, removed)):
            for value in values:
                done = change(
                    app.registry.get(row.id),  # as the previous change left it
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


@main.command()
@click.argument("target")
@click.argument("outcome", type=click.Choice(["won", "lost", "archived"]))
@click.option("--note", default="", help="Why (kept in the registry and the roll-up).")
@today_option
@click.pass_context
def mark(ctx: click.Context, target: str, outcome: str, note: str, today: str | None) -> None:
    """Mark the deal won (the customer-success handoff Doc is made; the plan goes on as
    the onboarding plan), lost or archived (buyer access revoked, syncing stops, the record
    and its roll-up row stay)."""
    app = _app(ctx, today)
    try:
        row = _find(app, target)
        day = app.today_of(row)
        closed = close_map(
            row,
            outcome,
            workspace=app.workspace,
            registry=app.registry,
            today=day,
            note=note,
            seller_domains=app.settings.seller_domains,
        )
        rollup_ref = write_rollup(app.workspace, app.registry, day)
    except MapError as exc:
        _fail(exc)
    click.echo(f"{row.id} {row.deal}: {outcome}")
    if closed.handoff_ref and outcome == "won":
        click.echo(f"  handoff doc: {app.where(closed.handoff_ref)}")
        click.echo("  the plan keeps syncing as the onboarding plan")
    _shared_lines(row.id, closed.access)
    if outcome != "won":
        click.echo("  no longer synced; `mapctl reopen` if the deal comes back")
    click.echo(f"  roll-up: {app.where(rollup_ref)}")


@main.command()
@click.argument("target")
@today_option
@click.pass_context
def reopen(ctx: click.Context, target: str, today: str | None) -> None:
    """A lost or archived deal is live again: back to a draft, to share again."""
    app = _app(ctx, today)
    try:
        row = _find(app, target)
        reopen_map(row, registry=app.registry, today=app.today_of(row))
    except MapError as exc:
        _fail(exc)
    click.echo(f"{row.id}: reopened as a draft; `mapctl share {row.id}` invites the buyer again")


@main.command()
@click.argument("targets", nargs=-1)
@click.option("--from", "from_rep", default=None, help="Every MAP of this rep (an email).")
@click.option("--to", "to", required=True, help="The new rep, 'Name <email>'.")
@today_option
@click.pass_context
def reassign(
    ctx: click.Context, targets: tuple[str, ...], from_rep: str | None, to: str, today: str | None
) -> None:
    """Hand MAPs to another rep: named ones, or all of a rep's (--from) when they leave."""
    app = _app(ctx, today)
    try:
        rows = [_find(app, t) for t in targets]
        if from_rep:
            rows += [r for r in app.registry.maps() if r.rep_email == from_rep.strip().lower()]
        if not rows:
            raise NotFound("no MAP to reassign: name MAPs, or give --from with a rep's email")
        for row in {r.id: r for r in rows}.values():
            done = reassign_map(row, to, workspace=app.workspace, registry=app.registry)
            access = "edit access given" if done.shared else f"access NOT given: {done.reason}"
            click.echo(f"  {done.map_id} {row.deal}: {done.old} -> {done.new}; {access}")
        write_rollup(app.workspace, app.registry, app.today_of())
    except MapError as exc:
        _fail(exc)
    if app.settings.backend == "google" and not app.settings.google_folder:
        click.echo(
            "  note: without a Shared Drive (MAP_GOOGLE_FOLDER) the files stay owned by "
            "whoever created them; move them to a Shared Drive so a leaving rep keeps none"
        )


@main.command(name="list")
@click.pass_context
def list_maps(ctx: click.Context) -> None:
    """List registered MAPs."""
    app = _app(ctx, None)
    for row in app.registry.maps():
        click.echo(
            f"{row.id}  {row.lifecycle:<8} {row.buyer_company} — {row.deal}  ({row.sheet_ref})"
        )


@main.command()
@today_option
@click.pass_context
def rollup(ctx: click.Context, today: str | None) -> None:
    """Write the roll-up from the last sync of every MAP, without syncing."""
    app = _app(ctx, today)
    rows = rollup_rows(app.registry.maps(), app.registry)
    ref = app.workspace.write_rollup(rows, app.today_of())
    for r in rows:
        state = f" [{r.lifecycle}]" if r.lifecycle not in ("draft", "shared") else ""
        click.echo(
            f"  {r.rank:>3}. {r.deal} ({r.buyer_company}){state}: {r.health.replace('_', ' ')}"
            f", score {r.score}" + (", STALE" if r.stale else "")
        )
    click.echo(f"roll-up: {app.where(ref)}")


@main.command()
@click.pass_context
def templates(ctx: click.Context) -> None:
    """List the deal-size templates (built-in and the team's own)."""
    app = _app(ctx, None)
    for t in app.templates.values():
        signature = t.signature_step
        click.echo(
            f"{t.name:<12} {t.label:<14} {len(t.steps):>2} steps, "
            f"{t.span_days} days to close; signature: {signature.key}. {t.description}"
        )


@main.command(name="google-smoke")
@click.option("--buyer", required=True, help="An address the person can open Google Sheets as.")
@click.option("--rep-name", default="Smoke Test Rep")
@click.option("--rep-email", required=True, help="The rep's (your) email.")
@today_option
@click.pass_context
def google_smoke(
    ctx: click.Context, buyer: str, rep_name: str, rep_email: str, today: str | None
) -> None:
    """Against a real Google project: create, share, you edit as the buyer, sync, checklist."""
    from addon.smoke import run_smoke
    from addon.workspace.google import GoogleWorkspace

    ctx.obj["backend"] = "google"
    app = _app(ctx, today)
    assert isinstance(app.workspace, GoogleWorkspace)
    day = app.today_of()

    def wait_for_person(text: str) -> None:
        click.echo(text)
        click.prompt("Press Enter when you are done", default="", show_default=False)

    try:
        checks = run_smoke(
            workspace=app.workspace,
            registry=app.registry,
            templates=app.templates,
            buyer=buyer,
            rep_name=rep_name,
            rep_email=rep_email,
            today=day,
            now=datetime.combine(day, datetime.now().time()),
            wait_for_person=wait_for_person,
            echo=click.echo,
        )
    except MapError as exc:
        _fail(exc)
    click.echo("\nChecklist:")
    for check in checks:
        detail = f" ({check.detail})" if check.detail else ""
        click.echo(f"  {'✓' if check.ok else '✗'} {check.what}{detail}")
    failed = sum(1 for c in checks if not c.ok)
    click.echo(f"{len(checks) - failed} matched, {failed} did not")
    if failed:
        sys.exit(1)


@main.command()
@today_option
@click.option("--days", default=21, show_default=True, help="Simulated days of buyer edits.")
@click.pass_context
def demo(ctx: click.Context, today: str | None, days: int) -> None:
    """Create a MAP per template, simulate buyer edits over days, sync, summarise.

    Uses ./map-demo unless --workspace is given (a folder that is empty or an earlier demo).
    """
    from addon.demo import check_folder, run_demo

    if ctx.obj.get("workspace") is None:
        ctx.obj["workspace"] = Path("map-demo")
    check_folder(ctx.obj["workspace"])
    app = _app(ctx, today)
    try:
        run_demo(app, days=days, echo=click.echo)
    except MapError as exc:  # e.g. not the local workspace: one clear line
        _fail(exc)


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; the preview answers only to loopback names (127.0.0.1, "
    "localhost, [::1]) in the Host header.",
)
@click.option("--port", default=8080, show_default=True, help="Port (0: any free port).")
@click.option("--rep", "rep_email", default="sam@seller.example.com", show_default=True)
@click.option("--rep-name", default="Sam Rivera", show_default=True)
@click.option("--time-zone", default="UTC", show_default=True, help="The rep's time zone.")
@today_option
@click.pass_context
def serve(
    ctx: click.Context,
    today: str | None,
    host: str,
    port: int,
    rep_email: str,
    rep_name: str,
    time_zone: str,
) -> None:
    """Run the add-on on the local workspace with a card preview at /preview.

    The add-on endpoints still verify Google's tokens; the preview calls the same card code
    with events it builds, as a rep signed in as --rep.
    """
    from werkzeug.serving import make_server

    from addon.web import create_app
    from addon.web.verify import Rep

    app = _app(ctx, today)
    server = make_server(host, port, None, threaded=True)  # type: ignore[arg-type]
    url = f"http://{host}:{server.server_port}"
    settings = app.settings.model_copy(update={"public_url": url, "log_format": "text"})
    app.settings = settings
    server.app = create_app(
        settings,
        app=app,
        preview={
            "root": settings.workspace,
            "rep": Rep(rep_email.lower(), rep_name, "preview"),
            "zone": time_zone,
        },
    )
    click.echo(f"MAP add-on preview: {url}/preview  (Ctrl+C to stop)", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


@main.command("cloud-setup")
@click.option("--project", required=True)
@click.option("--location", required=True, help="Cloud Tasks / Scheduler region.")
@click.option("--queue", default="map-sync", show_default=True)
@click.option("--service-url", required=True, help="The Cloud Run service's https URL.")
@click.option("--invoker", required=True, help="Service account the OIDC tokens are for.")
@click.option("--schedule", default="*/15 * * * *", show_default=True)
@click.option("--time-zone", default="Etc/UTC", show_default=True)
def cloud_setup_command(
    project: str,
    location: str,
    queue: str,
    service_url: str,
    invoker: str,
    schedule: str,
    time_zone: str,
) -> None:
    """Create or update the sync task queue (its rate guards the Sheets quota) and the
    scheduler job, with Application Default Credentials. Run by cloudrun/deploy.sh."""
    import google.auth

    from addon.google.clients import service
    from addon.web.background import cloud_setup

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    done = cloud_setup(
        tasks=service("cloudtasks", "v2", credentials),
        scheduler=service("cloudscheduler", "v1", credentials),
        project=project,
        location=location,
        queue=queue,
        service_url=service_url,
        invoker=invoker,
        schedule=schedule,
        time_zone=time_zone,
    )
    click.echo(f"queue {done.queue}: {done.queue_action}")
    click.echo(f"job   {done.job}: {done.job_action}")


if __name__ == "__main__":
    main()
