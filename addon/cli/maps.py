"""mapctl create, status, mark, reopen, reassign, list, templates, demo: one MAP's life."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from addon.cli import main
from addon.cli.common import _app, _date_arg, _fail, _find, today_option
from addon.cli.sharing import _shared_lines
from addon.errors import InputError, MapError, NotFound
from addon.lifecycle import close_map
from addon.lifecycle import reassign as reassign_map
from addon.lifecycle import reopen as reopen_map
from addon.plan.dates import fmt
from addon.plan.report import StatusReport
from addon.sync import status_report, write_rollup


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
@click.option(
    "--crm-deal", default="", help="Link the MAP to this CRM deal (its id) once it is made."
)
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
    if created.crm:
        click.echo(f"  crm:      {created.crm}")
    if created.compressed_from_days:
        click.echo(
            f"  note: the {fields['template']} template spans {created.compressed_from_days}"
            f" days and the target close is {(close - day).days} days away;"
            " the dates were compressed to fit: review them with the buyer."
        )
    click.echo("  next: review it with your champion, then share it with the buyer.")


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
    if m.health_reason:  # an emptied or gutted plan
        click.echo(f"  why: {m.health_reason}")
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
    if report.resources:
        click.echo("\nResources:")
        for r in report.resources:
            steps = ", ".join(r.steps) or "no step"
            where = "MISSING" if r.missing else r.link
            who = f" (from {r.provided_by})" if r.provided_by else ""
            click.echo(f"  {steps:<10} {r.title or '(no title)'}{who}: {where}")
    unreadable = [p for p in report.problems if p.kind == "unreadable"]
    if unreadable:
        click.echo("\nTo fix in the sheet:")
        for p in unreadable:
            click.echo(f'  {p.tab}!{p.cell} "{p.value}": {p.message}')


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
@click.option("--days", default=21, show_default=True, help="Simulated days of buyer edits.")
@click.option(
    "--history",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Instead: N deals over the past year, each lived to won or lost through create, "
    "buyer edits, syncs and close (the history the insights read).",
)
@click.option("--seed", default=1, show_default=True, help="With --history: the random seed.")
@click.option(
    "--template",
    "only",
    default=None,
    help="With --history: every deal from this template (default: a mix by deal size).",
)
@click.pass_context
def demo(
    ctx: click.Context,
    today: str | None,
    days: int,
    history: int | None,
    seed: int,
    only: str | None,
) -> None:
    """Create a MAP per template, simulate buyer edits over days, sync, summarise.

    With --history N: N closed deals (won and lost) over the year before --today (or a
    fixed year when no --today is given), made day by day through the real product.

    Uses ./map-demo unless --workspace is given (a folder that is empty or an earlier demo).
    """
    from addon.demo import check_folder, reset, run_demo

    if ctx.obj.get("workspace") is None:
        ctx.obj["workspace"] = Path("map-demo")
    check_folder(ctx.obj["workspace"])
    app = _app(ctx, today)
    try:
        if history is None:
            run_demo(app, days=days, echo=click.echo)
            return
        from addon.demo_history import HISTORY_END, run_history

        _ = app.local  # the local workspace only: one clear line otherwise
        end = app.settings.today or HISTORY_END
        reset(app, app.settings.workspace)
        if only is not None and only not in app.templates:
            _fail(
                InputError("template", f'no template "{only}"; one of: ' + ", ".join(app.templates))
            )
        run_history(
            app,
            deals=history,
            seed=seed,
            echo=click.echo,
            start=end - timedelta(days=365),
            template=only,
        )
    except MapError as exc:  # e.g. not the local workspace: one clear line
        _fail(exc)
