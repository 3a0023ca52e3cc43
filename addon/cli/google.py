"""mapctl google-smoke, cloud-setup: the live Google project."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from addon.cli import main
from addon.cli.common import _app, _fail, today_option
from addon.errors import MapError


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
    from addon.smoke import rules_table, run_smoke
    from addon.workspace.google import GoogleWorkspace

    ctx.obj["backend"] = "google"
    app = _app(ctx, today)
    assert isinstance(app.workspace, GoogleWorkspace)
    day = app.today_of()

    def wait_for_person(text: str) -> None:
        click.echo(text)
        click.prompt("Press Enter when you are done", default="", show_default=False)

    try:
        smoke = run_smoke(
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
    for check in smoke.checks:
        detail = f" ({check.detail})" if check.detail else ""
        click.echo(f"  {'✓' if check.ok else '✗'} {check.what}{detail}")
    failed = sum(1 for c in smoke.checks if not c.ok)
    click.echo(f"{len(smoke.checks) - failed} matched, {failed} did not")
    click.echo("\nWhat the offline fake assumes, and what Google did:")
    for line in rules_table(smoke.rules):
        click.echo(f"  {line}")
    if failed:
        sys.exit(1)


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
