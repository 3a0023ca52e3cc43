"""What every mapctl command module shares: the --today and --at options, the App built
from the group's options, and turning a MapError into one clear line and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from addon.app import App
from addon.config import Settings
from addon.errors import InputError, MapError, NotFound
from addon.registry.models import MapRow
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


def _date_arg(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return _fail(InputError(field, f'"{text}" is not a date; write it as 2026-03-15'))  # type: ignore[no-any-return]


def _day(text: str | None, field: str) -> date | None:
    return _date_arg(text, field) if text else None


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
