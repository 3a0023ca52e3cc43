"""mapctl: create, import, share, people, export, merge, sync, status, mark, reopen, reassign,
rollup, list, templates, demo, serve.

A thin edge: each command calls the library and turns its errors into one clear line
(exit 2 for bad input, 1 for a MAP that could not be used).
"""

from __future__ import annotations

from pathlib import Path

import click


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


# Each module registers its commands on `main` when imported (after `main` exists).
from addon.cli import (  # noqa: E402, F401
    alerts,
    crm,
    google,
    imports,
    insights,
    maps,
    serve,
    sharing,
    sync,
)
