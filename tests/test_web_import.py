"""Import as MAP from Gmail, through the web stack: a plan attached to the buyer's email,
the dry run's card (steps, people, target close, what was not placed, what is still
needed), then Create from the card; the same plan again says it was imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.import_fixtures import FIXTURES, build_xlsx, load
from tests.test_web_cards import THREAD, buttons, facts, inputs, only_card
from tests.web_env import Web, day, text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STEM = "02_getaccept_excel_workbook_tabs"


def _message(web: Web, tmp_path: Path) -> tuple[str, str]:
    data = load(next(p for p in FIXTURES if p.stem == STEM))
    book = build_xlsx(data, tmp_path / "Fenwick MAP.xlsx")
    return web.fake.add_message(THREAD, attachments=[("Fenwick MAP.xlsx", XLSX, book.read_bytes())])


def _import_card(web: Web, message: tuple[str, str]) -> dict[str, Any]:
    event = web.event(gmail=message, params={"request_id": "imp-1"})
    return only_card(web.post("/addon/actions/import_attached", event).json())


def test_the_create_form_offers_to_import_an_attached_plan(web: Web, tmp_path: Path) -> None:
    message = _message(web, tmp_path)
    card = only_card(web.post("/addon/gmail", web.event(gmail=message)).json())
    assert "Import the plan attached to this email" in buttons(card)


def test_the_dry_run_card_then_create(web: Web, tmp_path: Path) -> None:
    message = _message(web, tmp_path)
    card = _import_card(web, message)
    assert card["header"]["title"] == "Import as MAP"
    shown = facts(card)
    assert (
        shown["Plan"]["text"].endswith("steps") and "header on row" in shown["Plan"]["bottomLabel"]
    )
    assert shown["Target close"]["text"] == "11 Dec 2026"
    assert shown["Not placed"]["text"].endswith("cells")
    values = inputs(card)
    assert values["buyer_company"] == "Fenwick & Hale Insurance plc"
    form = {
        "deal": text(values["deal"]),
        "buyer_company": text(values["buyer_company"]),
        "buyer_contacts": text(values["buyer_contacts"] or "Ann Lee <ann@fenwickhale.example.com>"),
        "target_close": day(__import__("datetime").date(2026, 12, 11)),
    }
    event = web.event(
        gmail=message, form=form, params={"request_id": "imp-1", "file": "Fenwick MAP.xlsx"}
    )
    made = only_card(web.post("/addon/actions/import_create", event).json())
    assert "Imported from Fenwick MAP.xlsx" in str(made)
    [row] = web.app.registry.maps()
    assert (
        row.buyer_company == "Fenwick & Hale Insurance plc"
        and row.rep_email == "sam@seller.example.com"
    )
    again = _import_card(web, message)
    assert f"already imported as {row.id}" in str(again)
    assert "Import it again as a new MAP" in buttons(again)
    refused = only_card(web.post("/addon/actions/import_create", event).json())
    assert refused["header"]["title"] == "Import as MAP" and len(web.app.registry.maps()) == 1


def test_no_attachment_is_said(web: Web) -> None:
    message = web.fake.add_message(THREAD)
    answer = web.post("/addon/actions/import_attached", web.event(gmail=message)).json()
    assert "No .xlsx attached" in str(answer)


def test_the_rep_can_pick_another_table_as_the_plan(web: Web, tmp_path: Path) -> None:
    message = _message(web, tmp_path)
    card = _import_card(web, message)
    picker = next(
        w["selectionInput"]
        for s in card["sections"]
        for w in s.get("widgets", [])
        if w.get("selectionInput", {}).get("name") == "plan_table"
    )
    taken = next(i for i in picker["items"] if i.get("selected"))
    other = next(i for i in picker["items"] if not i.get("selected"))
    assert picker["onChangeAction"]["function"].endswith("/addon/actions/import_attached")
    event = web.event(
        gmail=message,
        form={"plan_table": text(other["value"])},
        params={"request_id": "imp-1", "file": "Fenwick MAP.xlsx"},
    )
    again = only_card(web.post("/addon/actions/import_attached", event).json())
    chosen = next(
        i
        for s in again["sections"]
        for w in s.get("widgets", [])
        if w.get("selectionInput", {}).get("name") == "plan_table"
        for i in w["selectionInput"]["items"]
        if i.get("selected")
    )
    assert chosen["value"] == other["value"] != taken["value"]
    assert facts(again)["Plan"]["bottomLabel"] != facts(card)["Plan"]["bottomLabel"]
