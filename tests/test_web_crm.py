"""The CRM in the add-on, through the real web stack with signed tokens and the HubSpot
fake: the rep's matching deals offered at Create MAP, picking one fills the form, the MAP
is linked at create (only to a deal the rep may see), the status card shows the deal and
offers Won / Lost when the CRM closed it; many clicks at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.crm_env import HubSpotAccount
from tests.test_web_cards import THREAD, buttons, create, facts, form_inputs, inputs, only_card
from tests.web_env import Web, text

pytestmark = pytest.mark.usefixtures("hubspot")


@pytest.fixture(autouse=True)
def _set_up(hubspot: HubSpotAccount, web: Web) -> None:
    """As an admin would before reps use it: `mapctl crm-setup`."""
    assert web.app.crm is not None
    web.app.crm.setup()


def _deal_picker(card: dict[str, Any]) -> dict[str, Any]:
    found = [
        w["selectionInput"]
        for s in card["sections"]
        for w in s.get("widgets", [])
        if w.get("selectionInput", {}).get("name") == "crm_deal"
    ]
    assert found, card
    return found[0]


def test_create_offers_the_reps_matching_deals(hubspot: HubSpotAccount, web: Web) -> None:
    message = web.fake.add_message(THREAD)
    card = only_card(web.post("/addon/gmail", web.event(gmail=message)).json())
    picker = _deal_picker(card)
    labels = [i["text"] for i in picker["items"]]
    assert labels[0].startswith("No deal")
    assert any(x.startswith("Northwind analytics · Qualified To Buy") for x in labels)
    assert any(x.startswith("Northwind add-on seats") for x in labels)  # a teammate's
    assert not any("EMEA" in x for x in labels)  # another team's
    assert picker["onChangeAction"]["function"].endswith("/addon/actions/deal")


def test_picking_a_deal_fills_in_its_value_stage_and_close(
    hubspot: HubSpotAccount, web: Web
) -> None:
    event = web.event(
        form=form_inputs(crm_deal=text(hubspot.deal), deal_value=None),
        params={"request_id": "r1"},
    )
    card = only_card(web.post("/addon/actions/deal", event).json())
    values = inputs(card)
    assert values["crm_deal"] == hubspot.deal
    assert values["deal_value"] == "120,000"
    assert values["stage"] == "Qualified To Buy"


def test_create_links_the_picked_deal_and_the_card_shows_it(
    hubspot: HubSpotAccount, web: Web
) -> None:
    answer = create(web, crm_deal=text(hubspot.deal), stage=text("Qualified To Buy"))
    card = only_card(answer)
    assert "Open Sheet" in buttons(card)
    [row] = web.app.registry.maps()
    assert row.crm_deal_id == hubspot.deal and row.stage == "Qualified To Buy"
    assert hubspot.fake.deal(hubspot.deal)["map_exists"] == "true"
    status = only_card(web.post("/addon/actions/open", web.event(params={"map_id": row.id})).json())
    shown = facts(status)
    assert shown["CRM deal"]["text"] == "Northwind analytics"
    assert "Qualified To Buy" in shown["CRM deal"]["bottomLabel"]
    assert shown["CRM deal"]["onClick"]["openLink"]["url"].endswith(f"/record/0-3/{hubspot.deal}")
    hubspot.fake.update_deal(hubspot.deal, dealstage="closedwon")
    web.app.push_crm(row.created_on)
    status = only_card(web.post("/addon/actions/open", web.event(params={"map_id": row.id})).json())
    assert facts(status)["The CRM says"]["text"] == "Closed won"
    assert "Mark won" in buttons(status)


def test_a_deal_the_rep_may_not_see_is_refused(hubspot: HubSpotAccount, web: Web) -> None:
    card = only_card(create(web, crm_deal=text(hubspot.other_deal)))
    assert "is not one of your open deals" in str(card)
    assert web.app.registry.maps() == []
    assert hubspot.fake.deal(hubspot.other_deal).get("map_exists") in (None, "")


def test_many_reps_at_once_through_the_web_stack(hubspot: HubSpotAccount, web: Web) -> None:
    """12 create forms looking up deals and 8 MAP creates linking deals, at once: every
    answer a card, each MAP linked once, no deal written twice by a race."""
    deals = [
        hubspot.fake.add_deal(f"Northwind wave {i}", 10000 + i, "qualifiedtobuy", None, hubspot.sam)
        for i in range(8)
    ]
    for d in deals:
        hubspot.fake.associate(d, "contacts", hubspot.contact)

    def form(_: int) -> int:
        message = web.fake.add_message(THREAD)
        return web.post("/addon/gmail", web.event(gmail=message)).status_code

    def make(i: int) -> int:
        event = web.event(
            form=form_inputs(deal=text(f"Wave {i}"), crm_deal=text(deals[i])),
            params={"request_id": f"wave-{i}"},
        )
        return web.post("/addon/actions/create", event).status_code

    with ThreadPoolExecutor(20) as pool:
        forms = [pool.submit(form, i) for i in range(12)]
        made = [pool.submit(make, i) for i in range(8)]
        assert [f.result() for f in forms + made] == [200] * 20
    rows = web.app.registry.maps()
    assert sorted(r.crm_deal_id or "" for r in rows) == sorted(deals)
    for d in deals:
        assert hubspot.fake.deal(d)["map_exists"] == "true"


def test_roll_up_tasks_at_once_move_a_stage_once(hubspot: HubSpotAccount, web: Web) -> None:
    """The roll-up task carries the signals to the CRM. Six at once (Cloud Tasks retries, a
    second instance): the deal's stage is moved once and gets one note, every answer is 200."""
    from datetime import date
    from pathlib import Path

    import yaml
    from openpyxl import load_workbook

    from addon.sync import sync_map
    from sheets_schema.template import parse_template
    from tests.cli_helpers import set_step_cell

    smb = yaml.safe_load(
        (Path(__file__).parents[1] / "sheets_schema/templates/smb.yaml").read_text()
    )
    smb["name"], smb["label"] = "east_smb", "East SMB"
    smb["steps"][0]["crm_stage"] = "presentationscheduled"
    web.app.templates["east_smb"] = parse_template(smb, "east_smb.yaml")
    web.app.settings.crm_stage_teams = "East"
    answer = create(web, template=text("east_smb"), crm_deal=text(hubspot.deal))
    assert only_card(answer)
    [row] = web.app.registry.maps()
    web.app.registry.update(row.id, team="East")
    book = web.settings.workspace / row.sheet_ref
    wb = load_workbook(book)
    set_step_cell(wb["Plan"], "S01", "Status", "Done")
    wb.save(book)
    sync_map(
        web.app.registry.get(row.id),
        workspace=web.app.workspace,
        registry=web.app.registry,
        today=date(2026, 3, 5),
    )
    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda _: web.task("/tasks/rollup", {}).status_code, range(6)))
    assert codes == [200] * 6
    assert hubspot.fake.deal(hubspot.deal)["dealstage"] == "presentationscheduled"
    assert hubspot.fake.count("stage_moves") == 1
    assert len(hubspot.fake.notes_on(hubspot.deal)) == 1
