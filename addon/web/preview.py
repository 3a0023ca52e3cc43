"""The local card preview behind `mapctl serve`: the sidebar's cards rendered as HTML, so a
person can click through Create MAP, the status card and Share in a browser, on the local
workspace, with no Google account.

It calls the same Sidebar methods the verified endpoints call, with events it builds the way
Google's host does (form inputs, parameters, the rep's time zone); only the token checks are
skipped, so these routes exist only when `mapctl serve` asks for them, on loopback.
The Gmail side is a few sample threads (made-up people at example.com addresses).

It is a preview, not a file server, and a web page the rep has open elsewhere must not be
able to drive it:
- /preview/files serves a MAP's own outputs only (its Sheet, Doc, handoff Doc and .xlsx
  copies, as the registry names them): never the registry, access lists or anything else
  in the workspace folder;
- every request must name a loopback host (127.0.0.1, localhost, [::1]) in its Host
  header, so a DNS-rebinding page (evil.example resolving to 127.0.0.1) is refused;
- every POST carries the page's CSRF token, made at start and never sent to another origin.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, request, send_from_directory
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from addon.errors import MapError
from addon.registry.store import Registry
from addon.web.events import Event
from addon.web.gmail import SampleReader
from addon.web.sidebar import Sidebar, failure_text
from addon.web.verify import Rep

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

SAMPLE_THREADS: dict[str, dict[str, str]] = {
    "northwind": {
        "From": '"Dana Whitfield" <dana@northwind.example.com>',
        "To": "Sam Rivera <sam@seller.example.com>",
        "Cc": "Lee Chen <lee.chen@northwind.example.com>, Priya Nair <priya@northwind.example.com>",
        "Subject": "RE: Analytics platform rollout: next steps",
    },
    "contoso": {
        "From": "Marco Rossi <marco.rossi@contoso.example.org>",
        "To": "sam@seller.example.com",
        "Cc": "ana.lima@gmail.com",
        "Subject": "Fwd: Pricing for the Contoso support desk pilot",
    },
    "fabrikam": {
        "From": "Sam Rivera <sam@seller.example.com>",
        "To": "Jo Park <jo.park@fabrikam.example.net>",
        "Subject": "Fabrikam security review: questionnaire attached",
    },
}
_ALLOWED = re.compile(r"&lt;(/?b|/?i|br|/font|font color=&#34;#[0-9a-fA-F]{6}&#34;)&gt;")


def card_html(text: str) -> Markup:
    """Card text allows a little HTML (<b>, <i>, <br>, <font color>): keep that, escape the rest."""
    escaped = str(escape(text))
    return Markup(_ALLOWED.sub(lambda m: "<" + m[1].replace("&#34;", '"') + ">", escaped))


def _click(on_click: Mapping[str, Any]) -> str:
    """A card action as the value of the submit button that stands for it."""
    action = on_click["action"]
    params = {p["key"]: p["value"] for p in action.get("parameters", [])}
    return json.dumps({"function": action["function"], "parameters": params})


def _day_of(ms: str | int | None) -> str:
    if ms in (None, ""):
        return ""
    return datetime.fromtimestamp(int(ms) / 1000, UTC).date().isoformat()


def _ms(value: str) -> int | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _event(
    host: str,
    zone: str,
    *,
    form: Mapping[str, str] | None = None,
    dates: set[str] | None = None,
    params: Mapping[str, str] | None = None,
    message: str = "",
    item: str = "",
) -> Event:
    inputs: dict[str, Any] = {}
    for name, value in (form or {}).items():
        if dates and name in dates:
            if (ms := _ms(value)) is not None:
                inputs[name] = {"dateInput": {"msSinceEpoch": ms}}
        else:
            inputs[name] = {"stringInputs": {"value": [value]}}
    raw: dict[str, Any] = {
        "commonEventObject": {
            "hostApp": host,
            "platform": "WEB",
            "userLocale": "en-US",
            "timeZone": {"id": zone, "offset": 0},
            "formInputs": inputs,
            "parameters": dict(params or {}),
        },
        "authorizationEventObject": {"userOAuthToken": "preview"},
    }
    if message:
        raw["gmail"] = {"messageId": message, "threadId": message, "accessToken": "preview"}
    if host == "DRIVE":
        raw["drive"] = {"selectedItems": [{"id": item, "title": item}] if item else []}
    return Event.model_validate(raw)


def host_name(header: str) -> str:
    """The name in a Host header: '127.0.0.1:8080' -> '127.0.0.1', '[::1]:8080' -> '::1'."""
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


def outputs(registry: Registry) -> set[str]:
    """Every file a MAP made, as the registry names them: what the preview may serve."""
    refs: set[str] = set()
    for row in registry.maps():
        refs |= {row.sheet_ref, row.doc_ref, row.handoff_ref or ""}
        refs |= {e.ref for e in registry.exports(row.id)}
    return refs - {""}


def register(web: Flask, sidebar: Sidebar, *, root: Path, rep: Rep, zone: str = "UTC") -> None:
    env = Environment(
        loader=PackageLoader("addon.web", "templates"), autoescape=select_autoescape(["j2"])
    )
    env.filters["card_html"] = card_html
    env.globals["click"] = _click
    env.globals["day_of"] = _day_of
    page = env.get_template("preview.html.j2")
    csrf = secrets.token_urlsafe(32)
    env.globals["csrf"] = csrf

    @web.before_request
    def _loopback_only() -> Response | None:
        name = host_name(request.headers.get("Host", "")).lower()
        if name not in LOOPBACK:
            return Response(
                f"Host {name!r} is not this preview's: open it as http://127.0.0.1:PORT/preview "
                "(a page served from another name could be a DNS-rebinding attack)\n",
                status=403,
                mimetype="text/plain",
            )
        return None

    def checked() -> None:
        """A POST from our own page carries its CSRF token; anything else is refused."""
        if not hmac.compare_digest(request.form.get("__csrf", ""), csrf):
            abort(403, description="no valid CSRF token: reload /preview and try again")

    sidebar.reader = SampleReader(SAMPLE_THREADS)
    sidebar.link = lambda ref: f"/preview/files/{ref}"

    def show(answer: dict[str, Any], **context: Any) -> str:
        action = answer.get("action") or answer.get("renderActions", {}).get("action", {})
        card = None
        for nav in action.get("navigations", []):
            card = nav.get("pushCard") or nav.get("updateCard") or card
        note = action.get("notification", {}).get("text", "")
        if "requesting_google_scopes" in answer:
            note = "Google would ask for consent: " + ", ".join(
                answer["requesting_google_scopes"]["scopes"]
            )
        maps = sidebar.app.registry.maps()
        return page.render(
            card=card,
            note=note,
            threads=SAMPLE_THREADS,
            maps=maps,
            rep=rep,
            raw=json.dumps(answer, indent=2, ensure_ascii=False),
            **context,
        )

    def call(method: Any, event: Event) -> dict[str, Any]:
        try:
            result: dict[str, Any] = method(sidebar, event, rep)
        except MapError as exc:
            return {"renderActions": {"action": {"notification": {"text": failure_text(exc)}}}}
        return result

    @web.get("/preview")
    def preview_home() -> str:
        return show(call(Sidebar.home, _event("DRIVE", zone)), host="drive")

    @web.post("/preview/open")
    def preview_open() -> str:
        checked()
        host = request.form.get("host", "drive")
        if host == "gmail":
            event = _event("GMAIL", zone, message=request.form.get("thread", ""))
            return show(call(Sidebar.gmail, event), host="gmail")
        item = request.form.get("item", "")
        if item:
            return show(call(Sidebar.drive, _event("DRIVE", zone, item=item)), host="drive")
        return show(call(Sidebar.home, _event("DRIVE", zone)), host="drive")

    @web.post("/preview/action")
    def preview_action() -> str:
        from addon.web import ACTIONS  # the same table the verified endpoint dispatches on

        checked()
        click = json.loads(request.form.get("__click", "{}"))
        name = str(click.get("function", "")).rstrip("/").rpartition("/")[2]
        handler = ACTIONS.get(name)
        if handler is None:
            abort(404)
        dates = set(request.form.get("__dates", "").split(",")) - {""}
        form = {k: v for k, v in request.form.items() if not k.startswith("__")}
        event = _event("DRIVE", zone, form=form, dates=dates, params=click.get("parameters", {}))
        return show(call(handler, event), host=request.form.get("__host", "drive"))

    @web.get("/preview/files/<path:ref>")
    def preview_file(ref: str) -> Any:
        if ref not in outputs(sidebar.app.registry):
            abort(404)
        return send_from_directory(root.resolve(), ref)
