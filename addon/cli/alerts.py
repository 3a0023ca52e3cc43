"""mapctl alerts, reminders, recipient: sending what is due, and to whom."""

from __future__ import annotations

import sys
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from addon.alerts import DeliveryReport, Outcome, deliver, preview
from addon.app import App
from addon.cli import main
from addon.cli.common import _app, _fail, _find, _now, at_option, today_option
from addon.errors import MapError
from addon.maps import parse_contact
from addon.plan.alerts import Person


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
