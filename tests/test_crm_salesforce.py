"""The MAP in Salesforce, end to end through mapctl and simple-salesforce against the fake
org: External Client App login, setup through the Tooling API with field access, linking,
signals written only when they change, bad data per MAP, the daily allowance, the gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli_helpers import CREATE, create, run
from tests.crm_env import REP, SalesforceOrg


def _linked(root: Path, org: SalesforceOrg) -> Path:
    run(root, "crm-setup")
    return create(root, "--crm-deal", org.deal)


def test_setup_makes_fields_access_and_layout_once(
    tmp_path: Path, salesforce: SalesforceOrg
) -> None:
    root = tmp_path / "ws"
    fake = salesforce.fake
    layout = fake.add_layout("Opportunity (Sales) Layout")
    first = run(root, "crm-setup", "--layout", "Opportunity (Sales) Layout").output
    assert "field MAP_Health__c: made (Picklist)" in first
    assert "field MAP_Buyer_Completion__c: made (Percent)" in first
    assert "permission set MAP_Signals: made" in first
    assert f"assigned to {salesforce.integration}" in first
    assert "18 MAP fields added" in first
    sections = fake.layout(layout)["layoutSections"]
    assert any(s["label"] == "Mutual Action Plan" for s in sections)
    again = run(root, "crm-setup", "--layout", "Opportunity (Sales) Layout").output
    assert ": made" not in again and "has the MAP fields" in again


def test_fields_without_access_are_named_not_written(
    tmp_path: Path, salesforce: SalesforceOrg
) -> None:
    """Fields made through the Metadata API grant no access by themselves: before setup
    assigns the permission set, the integration user cannot see them."""
    root = tmp_path / "ws"
    salesforce.fake.add_custom_field(
        "Opportunity.MAP_Exists__c",
        {"label": "MAP exists", "type": "Checkbox", "defaultValue": "false"},
    )
    out = run(root, *CREATE, "--crm-deal", salesforce.deal).output
    assert "linked to Northwind analytics" in out
    row = run(root, "link", _map_id(root), "--deal", salesforce.deal, "--force").output
    assert "MAP_Exists__c is not on Opportunity for the integration user" in row


def _map_id(root: Path) -> str:
    out = run(root, "list").output
    return next(w for w in out.split() if w.startswith("MAP-"))


def test_create_with_a_deal_writes_every_signal(tmp_path: Path, salesforce: SalesforceOrg) -> None:
    root = tmp_path / "ws"
    _linked(root, salesforce)
    opp = salesforce.fake.record(salesforce.deal)
    assert opp["MAP_Exists__c"] is True
    assert opp["MAP_Target_Close__c"] == "2026-05-29"
    assert opp["MAP_Health__c"] in ("On track", "At risk", "Off track")
    assert opp["MAP_Buyer_Steps_Total__c"] == 11
    assert opp["MAP_Link__c"] is None  # the local workspace's file:// link is not sent


def test_nothing_changed_costs_no_write(tmp_path: Path, salesforce: SalesforceOrg) -> None:
    root = tmp_path / "ws"
    _linked(root, salesforce)
    run(root, "sync", "--no-send", "--today", "2026-03-02")
    before = salesforce.fake.count("collections_update")
    out = run(root, "sync", "--no-send", "--today", "2026-03-02").output
    assert salesforce.fake.count("collections_update") == before
    assert "salesforce: 0 deals written, 1 unchanged" in out
    run(root, "sync", "--no-send", "--today", "2026-03-20")
    assert salesforce.fake.count("collections_update") == before + 1


def test_team_deals_are_offered_not_other_teams(tmp_path: Path, salesforce: SalesforceOrg) -> None:
    out = run(
        tmp_path / "ws", "crm-deals", "--rep", REP, "--contact", "dana@northwind.example.com"
    ).output
    assert "Northwind analytics" in out and "Northwind add-on seats" in out
    assert "Northwind EMEA" not in out


def test_a_deleted_opportunity_is_one_line(tmp_path: Path, salesforce: SalesforceOrg) -> None:
    root = tmp_path / "ws"
    _linked(root, salesforce)
    salesforce.fake.delete(salesforce.deal)
    result = run(root, "sync", "--no-send", "--today", "2026-03-05", ok=False)
    assert result.exit_code == 0, result.output
    assert "Salesforce has no deal" in result.output


def test_a_removed_field_skips_only_that_signal(tmp_path: Path, salesforce: SalesforceOrg) -> None:
    root = tmp_path / "ws"
    _linked(root, salesforce)
    salesforce.fake.remove_field("MAP_Health_Score__c")
    out = run(root, "sync", "--no-send", "--today", "2026-03-25").output
    assert "MAP_Health_Score__c is not on Opportunity for the integration user" in out
    assert salesforce.fake.record(salesforce.deal)["MAP_Health__c"] == "Off track"


def test_the_daily_allowance_stops_writes_and_resumes(
    tmp_path: Path, salesforce: SalesforceOrg
) -> None:
    root = tmp_path / "ws"
    _linked(root, salesforce)
    fake = salesforce.fake
    fake.daily_limit = fake.api_usage() + 3  # nearly spent: past 80 % at once
    out = run(root, "sync", "--no-send", "--today", "2026-03-20").output
    assert "daily API allowance" in out
    assert "deferred" in out
    fake.daily_limit = 15000
    again = run(root, "sync", "--no-send", "--today", "2026-03-20").output
    assert "salesforce: 1 deals written" in again


def test_the_gate_refuses_the_stage_without_a_map(
    tmp_path: Path, salesforce: SalesforceOrg
) -> None:
    root = tmp_path / "ws"
    out = run(root, "crm-setup", "--gate").output
    assert "validation rule MAP_Required_For_Stage: made" in out
    import requests
    from simple_salesforce.api import Salesforce

    fake = salesforce.fake
    session = requests.Session()
    session.verify = str(fake.ca_file)
    session.trust_env = False
    sf = Salesforce(instance_url=fake.url, session_id=fake.token_for(REP), session=session)
    answer = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                {
                    "attributes": {"type": "Opportunity"},
                    "id": salesforce.big_unlinked,
                    "StageName": "Closed Won",
                },
                {
                    "attributes": {"type": "Opportunity"},
                    "id": salesforce.other_deal,
                    "StageName": "Proposal/Price Quote",
                },
            ],
        },
    )
    assert answer[0]["success"] is True  # closing is not gated
    assert answer[1]["success"] is False
    assert "needs a Mutual Action Plan" in answer[1]["errors"][0]["message"]


def test_gaps_and_the_rollup(tmp_path: Path, salesforce: SalesforceOrg) -> None:
    root = tmp_path / "ws"
    _linked(root, salesforce)
    out = run(root, "crm-gaps").output
    assert "Contoso platform" in out and "Fabrikam pilot" not in out
    assert "Tailspin renewal" not in out and "Northwind analytics" not in out
    run(root, "sync", "--no-send", "--today", "2026-03-03")
    wb = load_workbook(root / "rollup.xlsx")
    assert [wb["No MAP"].cell(r, 1).value for r in range(4, wb["No MAP"].max_row + 1)] == [
        "Contoso platform"
    ]
    rollup = wb["Roll-up"]
    headers = [c.value for c in rollup[3]]
    row = {h: rollup.cell(4, i + 1).value for i, h in enumerate(headers)}
    assert row["CRM stage"] == "Qualification" and row["CRM amount"] == 120000
    assert "/lightning/r/Opportunity/" in row["CRM deal"]


@pytest.mark.parametrize("bad", ["key", "user"])
def test_a_refused_login_says_what_to_check(
    tmp_path: Path, salesforce: SalesforceOrg, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    if bad == "key":
        monkeypatch.setenv("MAP_SALESFORCE_CLIENT_ID", "not-the-app")
    else:
        monkeypatch.setenv("MAP_SALESFORCE_USERNAME", "nobody@seller.example.com")
    result = run(tmp_path / "ws", "crm-setup", ok=False)
    assert result.exit_code == 1
    assert "Salesforce refused the login" in result.output
    assert "secret" not in result.output.lower().replace("its certificate or secret", "")


def _team_template(folder: Path) -> Path:
    text = (Path(__file__).parents[1] / "sheets_schema/templates/smb.yaml").read_text()
    text = text.replace("name: smb", "name: east_smb").replace("label: SMB", "label: East SMB")
    text = text.replace(
        "    depends_on: []\n    signature: false\n",
        "    depends_on: []\n    signature: false\n    crm_stage: Proposal/Price Quote\n",
        1,
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "east_smb.yaml").write_text(text)
    return folder


def _staged(
    tmp_path: Path, org: SalesforceOrg, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    monkeypatch.setenv("MAP_TEMPLATE_DIR", str(_team_template(tmp_path / "templates")))
    monkeypatch.setenv("MAP_CRM_STAGE_TEAMS", "East")
    root = tmp_path / "ws"
    run(root, "crm-setup")
    args = [a if a != "mid_market" else "east_smb" for a in CREATE]
    out = run(root, *args, "--team", "East", "--crm-deal", org.deal).output
    path = Path(next(x for x in out.splitlines() if "workbook:" in x).split("workbook:")[1].strip())
    return root, path


def _done(path: Path, step_id: str) -> None:
    from tests.cli_helpers import set_step_cell

    wb = load_workbook(path)
    set_step_cell(wb["Plan"], step_id, "Status", "Done")
    wb.save(path)


def test_a_done_milestone_moves_the_opportunity_with_a_task(
    tmp_path: Path, salesforce: SalesforceOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, path = _staged(tmp_path, salesforce, monkeypatch)
    _done(path, "S01")
    out = run(root, "sync", "--no-send", "--today", "2026-03-05").output
    assert "1 stages moved" in out
    opp = salesforce.fake.record(salesforce.deal)
    assert opp["StageName"] == "Proposal/Price Quote"
    assert salesforce.fake.count("stage_move") == 1
    tasks = [r for r in salesforce.fake.records("Task") if r["WhatId"] == salesforce.deal]
    assert len(tasks) == 1 and "S01" in tasks[0]["Description"]


def test_the_gate_refuses_a_move_and_the_signals_still_go(
    tmp_path: Path, salesforce: SalesforceOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, path = _staged(tmp_path, salesforce, monkeypatch)
    salesforce.fake.add_validation_rule(
        "Needs_Budget",
        'AND(ISCHANGED(StageName), ISPICKVAL(StageName, "Proposal/Price Quote"))',
        "Add the budget before Proposal",
    )
    _done(path, "S01")
    out = run(root, "sync", "--no-send", "--today", "2026-03-05").output
    assert "stage move to Proposal/Price Quote refused" in out
    assert "Add the budget before Proposal" in out
    opp = salesforce.fake.record(salesforce.deal)
    assert opp["StageName"] == "Qualification" and opp["MAP_Buyer_Steps_Done__c"] == 1


def test_the_live_smoke_runs_its_checklist(tmp_path: Path, salesforce: SalesforceOrg) -> None:
    root = tmp_path / "ws"
    _linked(root, salesforce)
    out = run(root, "crm-smoke", "--map", _map_id(root), "--deal", salesforce.deal).output
    assert "[ ]" not in out, out
    assert "MAP health (picklist): wrote 'At risk'" in out or "MAP health (picklist)" in out
    assert "stage moved Qualification -> Needs Analysis" in out
    assert "API allowance used" in out


def test_link_and_unlink_from_the_command_line(tmp_path: Path, salesforce: SalesforceOrg) -> None:
    root = tmp_path / "ws"
    run(root, "crm-setup")
    create(root)
    map_id = _map_id(root)
    out = run(root, "link", map_id, "--deal", salesforce.deal).output
    assert "linked to Salesforce deal" in out and "Northwind analytics" in out
    assert salesforce.fake.record(salesforce.deal)["MAP_Exists__c"] is True
    create_again = run(root, *[a if a != "Analytics rollout" else "Second" for a in CREATE])
    assert create_again.exit_code == 0
    listed = run(root, "list").output.split()
    second = next(w for w in listed if w.startswith("MAP-") and w != map_id)
    refused = run(root, "link", second, "--deal", salesforce.deal, ok=False)
    assert refused.exit_code == 2 and f"is linked to {map_id} already" in refused.output
    out = run(root, "link", map_id, "--unlink").output
    assert "unlinked" in out
    opp = salesforce.fake.record(salesforce.deal)
    assert opp["MAP_Exists__c"] is False and opp["MAP_Health__c"] is None


def test_the_client_credentials_flow_runs_as_the_apps_user(
    tmp_path: Path, salesforce: SalesforceOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "cs-7f3a-not-a-real-secret"
    salesforce.fake.add_app(
        "3MVG9-cc-app", secret=secret, run_as="map-integration@seller.example.com"
    )
    monkeypatch.setenv("MAP_SALESFORCE_CLIENT_ID", "3MVG9-cc-app")
    monkeypatch.setenv("MAP_SALESFORCE_CLIENT_SECRET", secret)
    monkeypatch.delenv("MAP_SALESFORCE_PRIVATE_KEY_FILE")
    monkeypatch.delenv("MAP_SALESFORCE_USERNAME")
    root = tmp_path / "ws"
    out = run(root, "crm-setup").output
    assert f"assigned to {salesforce.integration}" in out
    monkeypatch.setenv("MAP_SALESFORCE_CLIENT_SECRET", "wrong-" + secret)
    refused = run(root, "crm-setup", ok=False)
    assert refused.exit_code == 1 and "Salesforce refused the login" in refused.output
    assert secret not in refused.output  # a credential is never printed


def test_a_field_the_user_cannot_edit_is_named_and_the_rest_written(
    tmp_path: Path, salesforce: SalesforceOrg
) -> None:
    root = tmp_path / "ws"
    _linked(root, salesforce)
    salesforce.fake.revoke_edit("Opportunity.MAP_Health_Score__c")
    before = salesforce.fake.record(salesforce.deal)["MAP_Health_Score__c"]
    out = run(root, "sync", "--no-send", "--today", "2026-03-25").output
    assert "salesforce: 1 deals written" in out
    assert "MAP_Health_Score__c is read-only for the integration user" in out
    opp = salesforce.fake.record(salesforce.deal)
    assert opp["MAP_Health_Score__c"] == before  # not written
    assert opp["MAP_Health__c"] == "Off track"  # the rest was


def test_closed_deals_for_before_and_after_maps(tmp_path: Path, salesforce: SalesforceOrg) -> None:
    from datetime import date

    from addon.app import App
    from addon.config import Settings

    root = tmp_path / "ws"
    _linked(root, salesforce)
    won = salesforce.fake.add_opportunity(
        "Old win",
        stage="Closed Won",
        close_date="2026-02-10",
        amount=40000,
        owner_id=salesforce.sam,
    )
    app = App(Settings(workspace=root))
    assert app.crm is not None
    closed = {d.deal_id: d for d in app.crm.closed_deals(date(2026, 1, 1))}
    assert set(closed) == {won}
    assert closed[won].won and not closed[won].has_map
    assert closed[won].closed_on == date(2026, 2, 10) and closed[won].opened_on is not None
