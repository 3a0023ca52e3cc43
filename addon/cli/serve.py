"""mapctl serve: the add-on on the local workspace, with the card preview."""

from __future__ import annotations

import contextlib

import click

from addon.cli import main
from addon.cli.common import _app, today_option


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
