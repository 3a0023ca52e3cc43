"""The MAP in HubSpot, end to end through mapctl and hubspot-api-client against the fake:
setup, linking, signals written only when they change, bad data per MAP, stage moves, gaps."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli_helpers import create, run
from tests.crm_env import PORTAL, REP, HubSpotAccount

pytestmark = pytest.mark.usefixtures("hubspot")


def _setup(root: Path) -> None:
    run(root, "crm-setup")


def _linked(root: Path, account: HubSpotAccount) -> Path:
    _setup(root)
    return create(root, "--crm-deal", account.deal)


def _map_id(root: Path) -> str:
    out = run(root, "list").output
    return next(w for w in out.split() if w.startswith("MAP-"))


def test_setup_makes_the_group_and_properties_once(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    root = tmp_path / "ws"
    first = run(root, "crm-setup").output
    assert 'property group "Mutual Action Plan": made' in first
    assert "property map_health: made (enumeration/select)" in first
    assert "property map_last_buyer_update: made (date/date)" in first
    again = run(root, "crm-setup").output
    assert "made" not in again and "property map_health: exists" in again


def test_create_with_a_deal_writes_every_signal(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    root = tmp_path / "ws"
    _linked(root, hubspot)
    deal = hubspot.fake.deal(hubspot.deal)
    assert deal["map_exists"] == "true"
    assert deal["map_link"]
    assert deal["map_target_close"] == "2026-05-29"
    assert deal["map_health"] in ("on_track", "at_risk", "off_track")
    assert deal["map_buyer_steps_total"] not in (None, "")
    assert deal["map_stale"] == "false"
    listed = run(root, "list").output
    assert "MAP-" in listed


def test_a_sync_with_nothing_changed_writes_nothing(
    tmp_path: Path, hubspot: HubSpotAccount
) -> None:
    root = tmp_path / "ws"
    _linked(root, hubspot)
    run(root, "sync", "--no-send", "--today", "2026-03-02")
    before = hubspot.fake.count("batch_update")
    out = run(root, "sync", "--no-send", "--today", "2026-03-02").output
    assert hubspot.fake.count("batch_update") == before
    assert "hubspot: 0 deals written, 1 unchanged" in out


def test_a_new_day_writes_only_what_changed(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    root = tmp_path / "ws"
    _linked(root, hubspot)
    run(root, "sync", "--no-send", "--today", "2026-03-02")
    start = len(hubspot.fake.calls("/crm/v3/objects/deals/batch/update"))
    run(root, "sync", "--no-send", "--today", "2026-03-20")  # weeks later: days and health move
    sent = hubspot.fake.calls("/crm/v3/objects/deals/batch/update")[start:]
    assert len(sent) == 1
    written = sent[0].body["inputs"][0]["properties"]
    assert "map_link" not in written and "map_exists" not in written  # unchanged: not sent


def test_the_rep_is_offered_their_own_and_their_teams_deals_only(
    tmp_path: Path, hubspot: HubSpotAccount
) -> None:
    root = tmp_path / "ws"
    out = run(root, "crm-deals", "--rep", REP, "--contact", "dana@northwind.example.com").output
    assert "Northwind analytics" in out and "Northwind add-on seats" in out
    assert "Northwind EMEA" not in out  # another team's deal


def test_a_deleted_deal_is_one_line_and_the_sheet_still_syncs(
    tmp_path: Path, hubspot: HubSpotAccount
) -> None:
    root = tmp_path / "ws"
    _linked(root, hubspot)
    hubspot.fake.delete(hubspot.deal)
    result = run(root, "sync", "--no-send", "--today", "2026-03-05", ok=False)
    assert result.exit_code == 0, result.output
    assert "1 written" in result.output or "1 unchanged" in result.output
    assert f"(deal {hubspot.deal}): HubSpot has no deal" in result.output


def test_a_merged_deal_is_followed(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    root = tmp_path / "ws"
    _linked(root, hubspot)
    hubspot.fake.merge(hubspot.team_deal, hubspot.deal)
    out = run(root, "sync", "--no-send", "--today", "2026-03-05").output
    assert f"merged into {hubspot.team_deal}" in out
    assert hubspot.fake.deal(hubspot.team_deal)["map_exists"] == "true"


def test_a_removed_property_skips_that_signal_only(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    root = tmp_path / "ws"
    _linked(root, hubspot)
    hubspot.fake.remove_property("map_health_score")
    run(root, "sync", "--no-send", "--today", "2026-03-25")
    deal = hubspot.fake.deal(hubspot.deal)
    assert deal["map_exists"] == "true"
    status = run(root, "list").output
    assert status


def test_rate_limits_are_waited_out(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    root = tmp_path / "ws"
    _linked(root, hubspot)
    hubspot.fake.rate_limit(times=2)
    out = run(root, "sync", "--no-send", "--today", "2026-03-20").output
    assert "failed" not in out.split("hubspot:", 1)[1].split("\n", 1)[0].replace("0 failed", "")


def test_gaps_list_big_open_deals_without_a_map(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    root = tmp_path / "ws"
    _linked(root, hubspot)
    out = run(root, "crm-gaps", "--today", "2026-03-02").output
    assert "Contoso platform" in out
    assert "Fabrikam pilot" not in out  # below the amount
    assert "Tailspin renewal" not in out  # before the gap stage
    assert "Northwind analytics" not in out  # has a MAP
    assert f"https://app.hubspot.com/contacts/{PORTAL}/record/0-3/{hubspot.big_unlinked}" in out
    run(root, "sync", "--no-send", "--today", "2026-03-03")
    wb = load_workbook(root / "rollup.xlsx")
    tab = wb["No MAP"]
    names = [tab.cell(r, 1).value for r in range(4, tab.max_row + 1)]
    assert names == ["Contoso platform"]
    rollup = wb["Roll-up"]
    headers = [c.value for c in rollup[3]]
    row = {h: rollup.cell(4, i + 1).value for i, h in enumerate(headers)}
    assert row["CRM stage"] == "Qualified To Buy"
    assert row["CRM amount"] == 120000


def test_an_unchanged_sync_stores_nothing_for_the_crm(
    tmp_path: Path, hubspot: HubSpotAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deals' facts and the signals as last stored are not stored again: before, every
    linked MAP cost a registry write (its deal's facts) and a read per sync."""
    from addon.registry.store import Registry

    root = tmp_path / "ws"
    _linked(root, hubspot)
    run(root, "sync", "--no-send", "--today", "2026-03-02")
    stored: list[set[str]] = []
    update, get = Registry.update, Registry.get
    reads = 0

    def counted_update(self: Registry, map_id: str, **fields: object) -> None:
        stored.append(set(fields))
        update(self, map_id, **fields)

    def counted_get(self: Registry, map_id: str) -> object:
        nonlocal reads
        reads += 1
        return get(self, map_id)

    monkeypatch.setattr(Registry, "update", counted_update)
    monkeypatch.setattr(Registry, "get", counted_get)
    from addon.crm import links

    push = links.push
    pushed: list[int] = []

    def counted_push(*args: object, **kwargs: object) -> links.CrmReport:
        before = (len(stored), reads)
        report = push(*args, **kwargs)  # type: ignore[arg-type]
        pushed.append(len(stored) - before[0] + reads - before[1])
        return report

    monkeypatch.setattr("addon.app.push", counted_push)
    out = run(root, "sync", "--no-send", "--today", "2026-03-02").output
    assert "hubspot: 0 deals written, 1 unchanged" in out
    assert pushed == [0]
    # The facts are still stored when the CRM changes them.
    from addon.config import Settings
    from addon.crm.hubspot import HubSpotCrm
    from addon.plan.crm import Stage

    HubSpotCrm(Settings()).move_stages({hubspot.deal: Stage("presentationscheduled", "", 0)})
    run(root, "sync", "--no-send", "--today", "2026-03-02")
    registry = Registry(f"sqlite:///{root / 'registry.sqlite'}")
    (row,) = registry.maps()
    registry.close()
    assert row.crm_deal is not None and row.crm_deal["stage"] == "presentationscheduled"
