"""mapctl sync, rollup: read buyer edits, write computed columns and the roll-up."""

from __future__ import annotations

import sys

import click

from addon.cli import main
from addon.cli.alerts import _send
from addon.cli.common import _app, _now, at_option, today_option
from addon.crm.links import crm_lines
from addon.sync import MapResult, rollup_rows, sync_all, write_rollup


def _print_result(result: MapResult) -> None:
    mark = {"written": "✓", "unchanged": "·", "skipped": "!", "failed": "✗"}[result.outcome]
    extra = f" — {result.message}" if result.message else ""
    health = f" [{result.health.replace('_', ' ')}]" if result.health else ""
    problems = f", {result.problems} cell(s) to fix" if result.problems else ""
    click.echo(f"  {mark} {result.map_id} {result.deal}{health}: {result.outcome}{problems}{extra}")


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
        crm=app.push_crm,
    )
    click.echo(
        f"{report.count('written')} written, {report.count('unchanged')} unchanged, "
        f"{report.count('skipped')} skipped, {report.count('failed')} failed; "
        f"roll-up: {app.where(report.rollup_ref)}"
    )
    if report.crm is not None:
        for line in crm_lines(report.crm):
            click.echo(line)
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
@today_option
@click.pass_context
def rollup(ctx: click.Context, today: str | None) -> None:
    """Write the roll-up from the last sync of every MAP, without syncing."""
    app = _app(ctx, today)
    rows = rollup_rows(app.registry.maps(), app.registry)
    ref = write_rollup(app.workspace, app.registry, app.today_of())
    for r in rows:
        state = f" [{r.lifecycle}]" if r.lifecycle not in ("draft", "shared") else ""
        click.echo(
            f"  {r.rank:>3}. {r.deal} ({r.buyer_company}){state}: {r.health.replace('_', ' ')}"
            f", score {r.score}" + (", STALE" if r.stale else "")
        )
    click.echo(f"roll-up: {app.where(ref)}")
