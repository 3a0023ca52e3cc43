"""mapctl insights, templates (list, suggest), test-deal: what the plans' history teaches."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

import click
import yaml

from addon.app import App
from addon.cli import main
from addon.cli.common import _app, _day, _fail, _find, today_option
from addon.crm.base import CrmError
from addon.errors import InputError, MapError
from addon.plan.history import CrmDealHistory, History
from addon.plan.insights import Insights, compute, render_text
from addon.plan.learn import apply, diff_lines, suggest
from addon.registry.history import build_history
from sheets_schema.template import BUILTIN_DIR

CRM_YEARS = 2  # how far back the CRM's closed deals are read for before vs after MAPs


def history_of(app: App, today: date, *, echo: bool = True) -> History:
    """The registry's history, with the CRM's closed deals when a CRM is configured (a CRM
    that does not answer leaves them out, with a line on stderr)."""
    deals: list[CrmDealHistory] = []
    if app.crm is not None:
        try:
            deals = app.crm.closed_deals(today - timedelta(days=365 * CRM_YEARS))
        except CrmError as exc:
            if echo:
                click.echo(
                    f"note: {app.crm.label} did not answer; no before/after: {exc}", err=True
                )
    linked = {m.crm_deal_id for m in app.registry.maps() if m.crm_deal_id}
    deals = [
        d
        if d.has_map or d.deal_id not in linked
        else CrmDealHistory(d.deal_id, d.opened_on, d.closed_on, d.won, d.amount, True)
        for d in deals
    ]
    return build_history(app.registry, app.templates, deals)


@main.command("insights")
@click.option("--team", default=None, help="Only this team's MAPs.")
@click.option("--rep", default=None, help="Only this rep's MAPs (email).")
@click.option("--template", default=None, help="Only MAPs made from this template.")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Closed (or created) from.")
@click.option("--until", default=None, metavar="YYYY-MM-DD", help="Closed (or created) until.")
@click.option("--exclude", multiple=True, help="Leave out this MAP (an outlier); repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the insights as JSON.")
@click.option("--schema", is_flag=True, help="Print the JSON Schema of --json output.")
@today_option
@click.pass_context
def insights_cmd(
    ctx: click.Context,
    team: str | None,
    rep: str | None,
    template: str | None,
    since: str | None,
    until: str | None,
    exclude: tuple[str, ...],
    as_json: bool,
    schema: bool,
    today: str | None,
) -> None:
    """What the plans' history teaches: how long steps really take, cycle time, whether the
    projected close beats the rep's date, and how plan health predicts the outcome."""
    if schema:
        click.echo(json.dumps(Insights.model_json_schema(), indent=2))
        return
    app = _app(ctx, today)
    day = app.today_of()
    found = compute(
        history_of(app, day, echo=not as_json),
        today=day,
        team=team,
        rep=rep.lower() if rep else None,
        template=template,
        since=_day(since, "since"),
        until=_day(until, "until"),
        exclude={e.upper() for e in exclude},
    )
    if as_json:
        click.echo(found.model_dump_json(indent=2))
        return
    for line in render_text(found):
        click.echo(line)


@main.group(invoke_without_command=True)
@click.pass_context
def templates(ctx: click.Context) -> None:
    """List the deal-size templates (built-in and the team's own); `suggest` learns from
    the closed deals."""
    if ctx.invoked_subcommand is not None:
        return
    app = _app(ctx, None)
    for t in app.templates.values():
        signature = t.signature_step
        click.echo(
            f"{t.name:<12} {t.label:<14} {len(t.steps):>2} steps, "
            f"{t.span_days} days to close; signature: {signature.key}. {t.description}"
        )


@templates.command("suggest")
@click.argument("name")
@click.option(
    "--write",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Write the suggested template into this team template folder (NAME.yaml).",
)
@today_option
@click.pass_context
def templates_suggest(
    ctx: click.Context, name: str, folder: Path | None, today: str | None
) -> None:
    """Compare a template's steps with what the closed deals show, and say what to change
    (nothing from fewer than 8 closed deals)."""
    app = _app(ctx, today)
    template = app.templates.get(name)
    if template is None:
        _fail(InputError("template", f'no template "{name}"; one of: ' + ", ".join(app.templates)))
        return
    found = suggest(template, history_of(app, app.today_of()))
    for line in diff_lines(found):
        click.echo(line)
    if folder is None:
        return
    if folder.resolve() == BUILTIN_DIR.resolve():
        _fail(InputError("write", "the built-in templates are never changed; give a team folder"))
    learned = apply(template, found)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{learned.name}.yaml"
    if path.exists():
        backup = path.with_suffix(".yaml.bak")
        backup.write_bytes(path.read_bytes())
        click.echo(f"kept the previous file as {backup}")
    data = learned.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    path.write_text(
        "# Suggested by `mapctl templates suggest` from the closed deals: review before use.\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    click.echo(f"wrote {path}: MAP_TEMPLATE_DIR={folder} makes it the team's {learned.name}")


@main.command("test-deal")
@click.argument("target")
@click.option("--off", is_flag=True, help="It is a real deal after all.")
@click.pass_context
def test_deal(ctx: click.Context, target: str, off: bool) -> None:
    """Mark a MAP as a test deal: the insights leave it out."""
    app = _app(ctx, None)
    try:
        row = _find(app, target)
    except MapError as exc:
        _fail(exc)
    app.registry.update(row.id, is_test=not off)
    click.echo(f"{row.id}: {'a real deal' if off else 'a test deal, left out of the insights'}")
    sys.stdout.flush()
