"""mapctl link, crm-deals, crm-setup, crm-gaps, crm-smoke: the MAPs' deals in the CRM
(MAP_CRM=salesforce or hubspot; see the README's "The CRM" for the settings)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

import click

from addon.cli import main
from addon.cli.common import _app, _fail, today_option
from addon.crm.base import CrmError, Gate
from addon.crm.links import deal_facts, unlink
from addon.crm.smoke import run_smoke
from addon.errors import InputError, MapError
from addon.plan.crm import Deal, deal_json, find_stage, gaps
from addon.plan.dates import fmt


def _deal_line(deal: Deal) -> str:
    amount = (
        f"{deal.currency} {deal.amount:,.0f}".strip() if deal.amount is not None else "no amount"
    )
    close = fmt(deal.close_date) if deal.close_date else "no close date"
    closed = (" [closed won]" if deal.won else " [closed lost]") if deal.closed else ""
    company = f" ({deal.company})" if deal.company else ""
    return f"{deal.id}  {deal.name}{company}: {deal.stage_label}, {amount}, close {close}{closed}"


def _crm_fail(exc: CrmError) -> None:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(1)


@main.command("link")
@click.argument("map_id")
@click.option("--deal", "deal_id", default="", help="The CRM deal's id (Opportunity or deal).")
@click.option("--unlink", "remove", is_flag=True, help="Unlink the MAP; its deal's fields clear.")
@click.option("--force", is_flag=True, help="Move the link from the MAP that holds the deal now.")
@today_option
@click.pass_context
def link_cmd(
    ctx: click.Context, map_id: str, deal_id: str, remove: bool, force: bool, today: str | None
) -> None:
    """Link a MAP to its deal in the CRM (its signals are written there at once)."""
    app = _app(ctx, today)
    try:
        if remove:
            was = unlink(app.crm, app.registry, map_id)
            click.echo(f"{map_id}: unlinked from {was}" if was else f"{map_id} had no deal")
            return
        if not deal_id:
            raise InputError("deal", "give the deal's id with --deal, or --unlink")
        row = app.registry.get(map_id)
        deal = app.link_deal(map_id, deal_id, app.today_of(row), force=force)
    except MapError as exc:
        _fail(exc)
    except CrmError as exc:
        _crm_fail(exc)
    row = app.registry.get(map_id)
    click.echo(f"{map_id} linked to {app.need_crm().label} deal {_deal_line(deal)}")
    if deal.url:
        click.echo(f"  {deal.url}")
    if row.crm_state:
        click.echo(f"  ! {row.crm_state}")
    if row.currency and deal.currency and row.currency != deal.currency:
        click.echo(
            f"  note: the deal is in {deal.currency}, the MAP in {row.currency}: the roll-up "
            "shows both amounts apart"
        )
    if deal.closed:
        outcome = "won" if deal.won else "lost"
        click.echo(f"  the CRM says this deal is closed {outcome}: mapctl mark {map_id} {outcome}")


@main.command("crm-deals")
@click.option(
    "--rep", "rep_email", required=True, help="The rep's email: their and their team's deals."
)
@click.option("--contact", "contacts", multiple=True, help="A buyer contact's email (repeatable).")
@click.option("--domain", "domains", multiple=True, help="The buyer's email domain (repeatable).")
@click.pass_context
def crm_deals(
    ctx: click.Context, rep_email: str, contacts: tuple[str, ...], domains: tuple[str, ...]
) -> None:
    """Open deals a rep may link: matching the contacts or domains, their own or their team's."""
    app = _app(ctx, None)
    try:
        crm = app.need_crm()
        found = crm.deals_for(
            rep_email, contacts, [*domains, *(c.rsplit("@", 1)[-1] for c in contacts if "@" in c)]
        )
    except MapError as exc:
        _fail(exc)
    except CrmError as exc:
        _crm_fail(exc)
    if not found:
        click.echo(f"no open {crm.label} deal of {rep_email} or their team matches")
    for deal in found:
        click.echo(_deal_line(deal))


@main.command("crm-setup")
@click.option("--gate", is_flag=True, help="Also make the CRM refuse the gate stage without a MAP.")
@click.option("--gate-stage", default=None, help="The gate stage (default MAP_CRM_GAP_STAGE).")
@click.option(
    "--gate-amount", type=float, default=None, help="Deals from this amount (MAP_CRM_GAP_AMOUNT)."
)
@click.option("--layout", "layouts", multiple=True, help="Salesforce page layout to add fields to.")
@click.option("--rep", "reps", multiple=True, help="Salesforce: give this rep read access (email).")
@click.pass_context
def crm_setup(
    ctx: click.Context,
    gate: bool,
    gate_stage: str | None,
    gate_amount: float | None,
    layouts: tuple[str, ...],
    reps: tuple[str, ...],
) -> None:
    """Make the fields the signals need, and field access (idempotent: run it again any
    time; it prints what it made and what it found)."""
    app = _app(ctx, None)
    try:
        crm = app.need_crm()
        wanted = None
        if gate:
            stage = gate_stage or app.settings.crm_gap_stage
            if not stage:
                raise InputError("gate_stage", "name the stage a deal needs a MAP for")
            amount = gate_amount if gate_amount is not None else app.settings.crm_gap_amount
            wanted = Gate(stage, amount)
        lines = crm.setup(gate=wanted, layouts=layouts, reps=reps)
    except MapError as exc:
        _fail(exc)
    except CrmError as exc:
        _crm_fail(exc)
    click.echo(f"{crm.label} set up for MAP signals:")
    for line in lines:
        click.echo(f"  {line}")


@main.command("crm-gaps")
@click.option("--stage", default=None, help="From this stage on (default MAP_CRM_GAP_STAGE).")
@click.option("--amount", type=float, default=None, help="From this amount (MAP_CRM_GAP_AMOUNT).")
@click.option("--json", "as_json", is_flag=True, help="Print the deals as JSON.")
@today_option
@click.pass_context
def crm_gaps(
    ctx: click.Context, stage: str | None, amount: float | None, as_json: bool, today: str | None
) -> None:
    """Open deals at or past a stage, above an amount, with no linked MAP (asks the CRM now;
    the roll-up's No MAP tab and the manager's digest show the last sync's list)."""
    app = _app(ctx, today)
    try:
        crm = app.need_crm()
        stage = stage or app.settings.crm_gap_stage
        if not stage:
            raise InputError("stage", "name the stage (or set MAP_CRM_GAP_STAGE)")
        threshold = amount if amount is not None else app.settings.crm_gap_amount
        stages = crm.stages()
        if find_stage(stages, stage) is None:
            raise InputError(
                "stage",
                f'{crm.label} has no stage "{stage}"; one of: '
                + ", ".join(s.label for s in stages),
            )
        linked = [m.crm_deal_id for m in app.registry.maps() if m.crm_deal_id]
        found = gaps(
            crm.open_deals(threshold), stages, from_stage=stage, min_amount=threshold, linked=linked
        )
    except MapError as exc:
        _fail(exc)
    except CrmError as exc:
        _crm_fail(exc)
    if stage == app.settings.crm_gap_stage and threshold == app.settings.crm_gap_amount:
        app.registry.set_gaps(
            ((g.deal.id, deal_json(g.deal), g.why, g.deal.owner) for g in found), app.today_of()
        )
    if as_json:
        click.echo(json.dumps([{**deal_json(g.deal), "why": g.why} for g in found], indent=2))
        return
    click.echo(f"{len(found)} open {crm.label} deals at or past {stage} with no MAP:")
    for g in found:
        owner = f" — {g.deal.owner}" if g.deal.owner else ""
        click.echo(f"  {_deal_line(g.deal)}{owner}")
        if g.deal.url:
            click.echo(f"      {g.deal.url}")


@main.command("crm-smoke")
@click.option("--map", "map_id", required=True, help="A MAP to link (a test MAP).")
@click.option("--deal", "deal_id", required=True, help="A test deal in a sandbox/developer org.")
@click.option("--stage", default=None, help="The stage to move it to (default: the next one).")
@today_option
@click.pass_context
def crm_smoke(
    ctx: click.Context, map_id: str, deal_id: str, stage: str | None, today: str | None
) -> None:
    """Against a real Salesforce Developer Edition org or HubSpot test account: link a MAP,
    write its signals, read them back, move the stage, add a note; print a checklist."""
    app = _app(ctx, today)
    try:
        checks = run_smoke(app, map_id, deal_id, stage)
    except MapError as exc:
        _fail(exc)
    except CrmError as exc:
        _crm_fail(exc)
    failed = _print_checks(checks)
    row = app.registry.get(map_id)
    deal = deal_facts(row)
    if deal is not None and deal.url:
        click.echo(f"open the deal to see the fields: {deal.url}")
    if failed:
        sys.exit(1)


def _print_checks(checks: Sequence[tuple[bool, str]]) -> int:
    for ok, line in checks:
        click.echo(f"  [{'x' if ok else ' '}] {line}")
    failed = sum(1 for ok, _ in checks if not ok)
    click.echo(f"{len(checks) - failed} of {len(checks)} checks passed")
    return failed
