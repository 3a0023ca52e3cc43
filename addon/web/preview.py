"""The local card preview behind `mapctl serve`: the sidebar's cards rendered as HTML, so a
person can click through Create MAP, the status card and Share in a browser, on the local
workspace, with no Google account.

It calls the same Sidebar methods the verified endpoints call, with events it builds the way
Google's host does (form inputs, parameters, the rep's time zone); only the token checks are
skipped, so these routes exist only when `mapctl serve` asks for them, on loopback.
The Gmail side is a few sample threads (made-up people at example.com addresses).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, abort, request, send_from_directory
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from addon.errors import MapError
from addon.web.events import Event
from addon.web.gmail import SampleReader
from addon.web.sidebar import Sidebar, failure_text
from addon.web.verify import Rep

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


def register(web: Flask, sidebar: Sidebar, *, root: Path, rep: Rep, zone: str = "UTC") -> None:
    env = Environment(
        loader=PackageLoader("addon.web", "templates"), autoescape=select_autoescape(["j2"])
    )
    env.filters["card_html"] = card_html
    env.globals["click"] = _click
    env.globals["day_of"] = _day_of
    page = env.get_template("preview.html.j2")
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
        return send_from_directory(root.resolve(), ref)
