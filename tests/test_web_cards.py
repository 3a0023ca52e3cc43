"""The sidebar as a rep uses it, over real HTTP with signed requests: Gmail thread -> Create
MAP prefilled -> create -> status card; Drive selection and homepage; Sync now; Share.
Every card in every answer is parsed into the typed Card v1 message with unknown fields
rejected, so a field Google's host would not understand fails the test."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from google.apps import card_v1
from sqlalchemy import text as sql

from addon.web.sidebar import ADDON_SCOPES, DRIVE_METADATA, EMAIL, EXECUTE, LOCALE
from addon.workspace.local import LocalWorkspace
from tests.web_env import REP, Web, day, text

THREAD = [
    ("From", '"Dana Whitfield" <dana@northwind.example.com>'),
    ("To", "Sam Rivera <sam@seller.example.com>"),
    (
        "Cc",
        "Lee Chen <lee.chen@northwind.example.com>, pat@gmail.com, "
        "Alex Kim <alex@seller.example.com>",
    ),
    ("Subject", "RE: Fwd: [EXTERNAL] Analytics platform rollout"),
]


def cards_in(answer: dict[str, Any]) -> list[card_v1.Card]:
    """Every card in an answer, parsed strictly (an unknown field raises)."""
    found = []
    action = answer.get("action") or answer.get("renderActions", {}).get("action", {})
    for nav in action.get("navigations", []):
        for key in ("pushCard", "updateCard"):
            if key in nav:
                found.append(
                    card_v1.Card.from_json(json.dumps(nav[key]), ignore_unknown_fields=False)
                )
    return found


def only_card(answer: dict[str, Any]) -> dict[str, Any]:
    assert len(cards_in(answer)) == 1
    action = answer.get("action") or answer["renderActions"]["action"]
    nav = action["navigations"][0]
    return dict(nav.get("pushCard") or nav["updateCard"])


def widgets(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for s in card.get("sections", []) for w in s.get("widgets", [])]


def facts(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        w["decoratedText"]["topLabel"]: w["decoratedText"]
        for w in widgets(card)
        if "decoratedText" in w
    }


def inputs(card: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for w in widgets(card):
        if "textInput" in w:
            out[w["textInput"]["name"]] = w["textInput"].get("value", "")
        if "selectionInput" in w:
            item = next(i for i in w["selectionInput"]["items"] if i.get("selected"))
            out[w["selectionInput"]["name"]] = item["value"]
    return out


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        b["text"]: b["onClick"]
        for w in widgets(card)
        if "buttonList" in w
        for b in w["buttonList"]["buttons"]
    }


def test_strict_parsing_rejects_unknown_fields() -> None:
    with pytest.raises(Exception, match="bogus"):
        card_v1.Card.from_json(
            json.dumps({"header": {"title": "x", "bogus": 1}}), ignore_unknown_fields=False
        )


def form_inputs(**values: Any) -> dict[str, Any]:
    base = {
        "deal": text("Analytics platform rollout"),
        "buyer_company": text("Northwind"),
        "buyer_contacts": text(
            "Dana Whitfield <dana@northwind.example.com>\nlee.chen@northwind.example.com"
        ),
        "deal_value": text("$48,000"),
        "template": text("auto"),
        "target_close": day(date(2026, 5, 29)),
        "close_reason": text("budget is set on 1 June"),
        "desired_outcome": text("One dashboard the board trusts"),
    }
    base.update(values)
    return {k: v for k, v in base.items() if v is not None}


def create(web: Web, **values: Any) -> dict[str, Any]:
    event = web.event(
        form=form_inputs(**values), params={"request_id": "r1"}, zone="America/Los_Angeles"
    )
    answer = web.post("/addon/actions/create", event)
    assert answer.status_code == 200
    return dict(answer.json())


def test_gmail_thread_without_a_map_offers_create_prefilled(web: Web) -> None:
    message = web.fake.add_message(THREAD)
    answer = web.post("/addon/gmail", web.event(gmail=message)).json()
    card = only_card(answer)
    assert card["header"]["title"] == "Create a Mutual Action Plan"
    values = inputs(card)
    assert values["deal"] == "Analytics platform rollout"
    assert values["buyer_company"] == "Northwind"
    # external people only: not the rep's domain, not free mail
    assert values["buyer_contacts"].splitlines() == [
        "Dana Whitfield <dana@northwind.example.com>",
        "Lee Chen <lee.chen@northwind.example.com>",
    ]
    assert values["template"] == "auto"
    picker = next(w["dateTimePicker"] for w in widgets(card) if "dateTimePicker" in w)
    assert picker["type"] == "DATE_ONLY"
    assert "Create MAP" in buttons(card)
    # the message was read with the Gmail access token, headers only
    read = web.fake.calls("gmail.users.messages.get")
    assert len(read) == 1 and read[0].query["format"] == ["metadata"]


def test_create_then_the_thread_shows_the_status_card(web: Web) -> None:
    answer = create(web)
    card = only_card(answer)
    assert "draft" in card["header"]["subtitle"]
    assert {"Open Sheet", "Open Doc", "Share with buyer"} <= set(buttons(card))
    [row] = web.app.registry.maps()
    assert row.target_close == date(2026, 5, 29)  # the picked day, whatever the rep's zone
    assert row.time_zone == "America/Los_Angeles" and row.locale == "en_GB"
    assert row.template == "mid_market"  # $48,000 a year
    assert row.deal_value == 48000 and row.lifecycle == "draft" and row.rep_email == REP
    assert (web.settings.workspace / row.sheet_ref).exists()

    message = web.fake.add_message(THREAD)
    status = only_card(web.post("/addon/gmail", web.event(gmail=message)).json())
    shown = facts(status)
    assert status["header"]["title"] == "Analytics platform rollout"
    assert shown["Health"]["text"].endswith("On track")
    assert "target 29 May 2026" in shown["Projected close"]["bottomLabel"]
    assert shown["Buyer steps done"]["text"].startswith("0 of ")
    assert shown["Next step"]["text"].startswith("S01 ")
    assert {"Sync now", "Share with buyer"} <= set(buttons(status))


def test_a_double_click_creates_one_map(web: Web) -> None:
    create(web)
    again = only_card(create(web))
    assert len(web.app.registry.maps()) == 1
    assert "already created" in json.dumps(again)


@pytest.mark.parametrize(
    ("values", "label", "fix"),
    [
        (
            {"buyer_contacts": text("Dana at Northwind")},
            "Buyer contacts",
            "is not an email address",
        ),
        ({"target_close": None}, "Target close", "is required"),
        ({"target_close": day(date(2026, 1, 5))}, "Target close", "is not in the future"),
        ({"deal_value": text("about fifty")}, "Deal value", "write it like 48000"),
        ({"deal": text("")}, "Deal name", "at least 1 character"),
    ],
)
def test_invalid_input_answers_with_the_form_naming_the_field(
    web: Web, values: dict[str, Any], label: str, fix: str
) -> None:
    card = only_card(create(web, **values))
    message = widgets(card)[0]["textParagraph"]["text"]
    assert label in message and fix in message
    assert inputs(card)["close_reason"] == "budget is set on 1 June"  # what was typed is kept
    assert web.app.registry.maps() == []


def test_drive_selection_home_sync_and_share(web: Web) -> None:
    create(web)
    [row] = web.app.registry.maps()
    selected = [
        {"id": row.sheet_ref, "title": "MAP", "mimeType": "application/vnd.google-apps.spreadsheet"}
    ]
    status = only_card(web.post("/addon/drive/selected", web.event("DRIVE", drive=selected)).json())
    assert facts(status)["Plan"]["text"].startswith("Draft")

    other = [{"id": "some-other-file", "title": "Budget.xlsx"}]
    card = only_card(web.post("/addon/drive/selected", web.event("DRIVE", drive=other)).json())
    assert "not a MAP Sheet" in json.dumps(card)

    home = only_card(web.post("/addon/home", web.event("DRIVE")).json())
    listed = facts(home)
    assert any("Analytics platform rollout" in f["text"] for f in listed.values())

    synced = web.post("/addon/actions/sync", web.event("DRIVE", params={"map_id": row.id})).json()
    assert cards_in(synced)
    assert "Up to date" in synced["renderActions"]["action"]["notification"]["text"]

    shared = only_card(
        web.post("/addon/actions/share", web.event("DRIVE", params={"map_id": row.id})).json()
    )
    added = [w["decoratedText"] for w in widgets(shared) if "decoratedText" in w]
    assert [f["text"] for f in added if f["topLabel"] == "Added"] == [
        "dana@northwind.example.com",
        "lee.chen@northwind.example.com",
    ]
    assert web.app.registry.get(row.id).lifecycle == "shared"
    workspace = web.app.workspace
    assert isinstance(workspace, LocalWorkspace)
    access = {(a["email"], a["role"]) for a in workspace.access(row.sheet_ref)}
    assert ("dana@northwind.example.com", "writer") in access
    assert ("dana@northwind.example.com", "commenter") in access
    after = only_card(
        web.post("/addon/actions/open", web.event("DRIVE", params={"map_id": row.id})).json()
    )
    assert "Share with buyer" not in buttons(after)


def test_another_company_cannot_open_the_map(web: Web) -> None:
    create(web)
    [row] = web.app.registry.maps()
    event = web.event("DRIVE", params={"map_id": row.id}, rep="eve@rival.example.org")
    answer = web.post("/addon/actions/open", event).json()
    assert "no MAP" in answer["renderActions"]["action"]["notification"]["text"]


def test_missing_consent_is_requested(web: Web) -> None:
    message = web.fake.add_message(THREAD)
    event = web.event(gmail=message, scopes=[EXECUTE, EMAIL])
    answer = web.post("/addon/gmail", event).json()
    assert answer == {
        "requesting_google_scopes": {
            "scopes": ["https://www.googleapis.com/auth/gmail.addons.current.message.metadata"]
        }
    }
    assert web.fake.calls("gmail") == []  # nothing read without consent
    drive = web.post("/addon/drive/selected", web.event("DRIVE", drive=[], scopes=[EMAIL])).json()
    assert drive["requesting_google_scopes"]["scopes"] == [DRIVE_METADATA]


def error_card(answer: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """The error card a trigger answers with: its reference, its text, its Retry click."""
    card = only_card(answer)
    assert card["header"]["title"] == "Could not load the Mutual Action Plan"
    ref = card["header"]["subtitle"].removeprefix("Reference ")
    (text,) = [w["textParagraph"]["text"] for w in widgets(card) if "textParagraph" in w]
    assert list(buttons(card)) == ["Retry"]
    return ref, text, buttons(card)["Retry"]["action"]


def retry_click(trigger: str) -> dict[str, Any]:
    return {
        "function": "https://map-addon.example.com/addon/actions/retry",
        "parameters": [{"key": "trigger", "value": trigger}],
    }


@pytest.fixture
def web_log() -> Iterator[list[str]]:
    """The lines the add-on's web layer logs, as they are formatted."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Keep()
    logging.getLogger("addon.web").addHandler(handler)
    yield lines
    logging.getLogger("addon.web").removeHandler(handler)


def test_a_google_failure_in_a_trigger_is_an_error_card_with_retry(
    web: Web, web_log: list[str]
) -> None:
    message = web.fake.add_message(THREAD)
    web.fake.fail("gmail.users.messages.get", 503, times=5)
    answer = web.post("/addon/gmail", web.event(gmail=message))
    assert answer.status_code == 200
    assert "renderActions" not in answer.json()  # a card, not a notification
    ref, text, click = error_card(answer.json())
    assert text == "Google answered 503: try again in a moment. Nothing was changed."
    assert click == retry_click("gmail")
    assert any(f"(ref {ref})" in line for line in web_log)
    # Google is back: Retry shows the trigger's card in place of the error card.
    event = web.event(gmail=message, params={"trigger": "gmail"})
    again = web.post("/addon/actions/retry", event).json()
    form = only_card(again)
    assert "updateCard" in again["renderActions"]["action"]["navigations"][0]
    assert inputs(form)["deal"] == "Analytics platform rollout"


@pytest.mark.parametrize(
    ("path", "host", "trigger"),
    [
        ("/addon/home", "DRIVE", "home"),
        ("/addon/gmail", "GMAIL", "gmail"),
        ("/addon/drive/selected", "DRIVE", "drive"),
    ],
)
def test_an_unexpected_error_in_a_trigger_is_an_error_card_with_a_reference(
    web: Web, web_log: list[str], path: str, host: str, trigger: str
) -> None:
    # The registry breaks under the app (a table gone): no MapError, nothing foreseen.
    with web.app.registry.engine.begin() as conn:
        conn.execute(sql("ALTER TABLE maps RENAME TO maps_moved_away"))
    message = web.fake.add_message(THREAD)
    drive = [{"id": "sheet-1", "title": "Budget"}]
    event = web.event(host, gmail=message if host == "GMAIL" else None, drive=drive)
    answer = web.post(path, event)
    assert answer.status_code == 200
    ref, text, click = error_card(answer.json())
    assert text == "Something went wrong on our side; nothing was lost. Try again."
    assert click == retry_click(trigger)
    assert f"{trigger} failed for {REP} (ref {ref})" in web_log
    assert "maps_moved_away" not in answer.text and "Traceback" not in answer.text


def test_a_failed_card_click_is_a_notification_with_a_reference(web: Web) -> None:
    with web.app.registry.engine.begin() as conn:
        conn.execute(sql("ALTER TABLE maps RENAME TO maps_moved_away"))
    answer = web.post("/addon/actions/home", web.event("DRIVE")).json()
    note = answer["renderActions"]["action"]["notification"]["text"]
    assert re.fullmatch(
        r"Something went wrong on our side; nothing was lost\. Try again\. \(ref [0-9a-f]{8}\)",
        note,
    )


def test_healthz(web: Web) -> None:
    answer = web.session.get(web.url + "/healthz", timeout=5)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_create_asks_for_the_locale_scope_before_making_a_map(web: Web) -> None:
    granted = [s for s in ADDON_SCOPES if s != LOCALE]
    event = web.event(form=form_inputs(), params={"request_id": "r1"}, scopes=granted)
    answer = web.post("/addon/actions/create", event).json()
    assert answer == {
        "requesting_google_scopes": {"scopes": ["https://www.googleapis.com/auth/script.locale"]}
    }
    assert web.app.registry.maps() == []


def test_a_map_takes_the_reps_locale_and_time_zone_from_the_event(web: Web) -> None:
    create(web)  # the event says en-GB and America/Los_Angeles
    (row,) = web.app.registry.maps()
    assert (row.locale, row.time_zone) == ("en_GB", "America/Los_Angeles")
