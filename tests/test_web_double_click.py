"""A double click, and worse: many requests to create the same MAP at once, through the real
web stack (threaded HTTP server, signed requests). The idempotency key is claimed in the
registry before any workspace work, so one MAP is made and every request answers with it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from tests.test_web_cards import form_inputs, only_card
from tests.web_env import Web, text

CLIENTS = 10


def _at_once(web: Web, events: list[dict[str, Any]]) -> list[requests.Response]:
    """POST each event to /addon/actions/create from its own client, all released together."""
    path = "/addon/actions/create"
    bodies = [(e, web.system_token(path)) for e in events]  # signed before the start line
    start = threading.Barrier(len(events))

    def post(body: tuple[dict[str, Any], str]) -> requests.Response:
        with requests.Session() as client:
            start.wait()
            return client.post(
                web.url + path,
                json=body[0],
                headers={"Authorization": f"Bearer {body[1]}"},
                timeout=60,
            )

    with ThreadPoolExecutor(len(events)) as pool:
        return list(pool.map(post, bodies))


def _lead(card: dict[str, Any]) -> str:
    """The created card's first sentence, in bold: new, or made by an earlier click."""
    first = card["sections"][0]["widgets"][0]["textParagraph"]["text"]
    return str(first.removeprefix("<b>").partition("</b>")[0])


def test_ten_clients_with_one_request_id_make_one_map_and_all_see_it(web: Web) -> None:
    event = web.event(form=form_inputs(), params={"request_id": "double-click"})
    answers = _at_once(web, [event] * CLIENTS)
    assert [a.status_code for a in answers] == [200] * CLIENTS
    (row,) = web.app.registry.maps()
    cards = [only_card(a.json()) for a in answers]
    assert [c["name"] for c in cards] == [f"created-{row.id}"] * CLIENTS
    leads = sorted(_lead(c) for c in cards)
    assert leads == ["Created as a draft."] + ["This MAP was already created from this form."] * (
        CLIENTS - 1
    )
    assert [p.name for p in (web.settings.workspace / "maps").iterdir()] == [
        row.sheet_ref.split("/")[1]
    ]


def test_five_creates_of_one_deal_at_once_get_five_folders(web: Web) -> None:
    events = [
        web.event(form=form_inputs(deal=text("Pilot")), params={"request_id": f"r{n}"})
        for n in range(5)
    ]
    answers = _at_once(web, events)
    assert [_lead(only_card(a.json())) for a in answers] == ["Created as a draft."] * 5
    folders = sorted(r.sheet_ref.split("/")[1] for r in web.app.registry.maps())
    assert folders == [
        "northwind-pilot",
        "northwind-pilot-2",
        "northwind-pilot-3",
        "northwind-pilot-4",
        "northwind-pilot-5",
    ]
