"""The MAP in HubSpot, end to end through mapctl and hubspot-api-client against the fake:
setup, linking, signals written only when they change, bad data per MAP, stage moves, gaps."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli_helpers import CREATE, create, run, set_step_cell
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
    assert deal["map_link"] in (None, "")  # a file on the rep's disk opens for nobody else
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
    out = run(root, "sync", "--no-send", "--today", "2026-03-25").output
    assert "map_health_score is not a deal property in HubSpot" in out
    deal = hubspot.fake.deal(hubspot.deal)
    assert deal["map_health"] == "off_track"  # the other signals were written
    assert "map_health_score" not in deal


def test_rate_limits_are_waited_out(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    root = tmp_path / "ws"
    _linked(root, hubspot)
    hubspot.fake.rate_limit(times=2)
    out = run(root, "sync", "--no-send", "--today", "2026-03-20").output
    assert "hubspot: 1 deals written" in out and "0 failed" in out
    assert "rate_limited 2" in out  # waited out twice, as the headers said


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


def _team_template(folder: Path, first: str, second: str) -> Path:
    """A team's own SMB template whose first two steps move the deal's stage when done."""
    text = (Path(__file__).parents[1] / "sheets_schema/templates/smb.yaml").read_text()
    text = text.replace("name: smb", "name: east_smb").replace("label: SMB", "label: East SMB")
    text = text.replace(
        "    depends_on: []\n    signature: false\n",
        f"    depends_on: []\n    signature: false\n    crm_stage: {first}\n",
        1,
    )
    text = text.replace(
        "    depends_on: [fit_confirmed]\n    signature: false\n",
        f"    depends_on: [fit_confirmed]\n    signature: false\n    crm_stage: {second}\n",
        1,
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "east_smb.yaml").write_text(text)
    return folder


def _done(path: Path, *step_ids: str) -> None:
    wb = load_workbook(path)
    for step_id in step_ids:
        set_step_cell(wb["Plan"], step_id, "Status", "Done")
    wb.save(path)


def _staged(
    tmp_path: Path, account: HubSpotAccount, monkeypatch: pytest.MonkeyPatch, teams: str
) -> tuple[Path, Path]:
    templates = _team_template(tmp_path / "templates", "presentationscheduled", "contractsent")
    monkeypatch.setenv("MAP_TEMPLATE_DIR", str(templates))
    monkeypatch.setenv("MAP_CRM_STAGE_TEAMS", teams)
    root = tmp_path / "ws"
    run(root, "crm-setup")
    args = [a if a != "mid_market" else "east_smb" for a in CREATE]
    out = run(root, *args, "--team", "East", "--crm-deal", account.deal).output
    path = Path(next(x for x in out.splitlines() if "workbook:" in x).split("workbook:")[1].strip())
    return root, path


def test_a_done_milestone_moves_the_stage_forward_with_a_note(
    tmp_path: Path, hubspot: HubSpotAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, path = _staged(tmp_path, hubspot, monkeypatch, "East")
    _done(path, "S01")
    out = run(root, "sync", "--no-send", "--today", "2026-03-05").output
    assert "1 stages moved" in out
    assert hubspot.fake.deal(hubspot.deal)["dealstage"] == "presentationscheduled"
    notes = hubspot.fake.notes_on(hubspot.deal)
    assert len(notes) == 1 and "S01" in str(notes[0]["hs_note_body"])
    again = run(root, "sync", "--no-send", "--today", "2026-03-06").output
    assert "0 stages moved" in again and len(hubspot.fake.notes_on(hubspot.deal)) == 1


def test_stage_moves_are_forward_only_and_opt_in(
    tmp_path: Path, hubspot: HubSpotAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, path = _staged(tmp_path, hubspot, monkeypatch, "West")  # East did not opt in
    _done(path, "S01")
    run(root, "sync", "--no-send", "--today", "2026-03-05")
    assert hubspot.fake.deal(hubspot.deal)["dealstage"] == "qualifiedtobuy"
    monkeypatch.setenv("MAP_CRM_STAGE_TEAMS", "*")
    hubspot.fake.update_deal(hubspot.deal, dealstage="decisionmakerboughtin")  # a rep moved it on
    run(root, "sync", "--no-send", "--today", "2026-03-06")
    assert hubspot.fake.deal(hubspot.deal)["dealstage"] == "decisionmakerboughtin"  # never back


def test_a_refused_stage_move_is_one_line_and_the_signals_still_go(
    tmp_path: Path, hubspot: HubSpotAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, path = _staged(tmp_path, hubspot, monkeypatch, "East")
    hubspot.fake.require_for_stage("presentationscheduled", ["description"])
    _done(path, "S01")
    out = run(root, "sync", "--no-send", "--today", "2026-03-05").output
    assert "stage move to Presentation Scheduled refused" in out
    deal = hubspot.fake.deal(hubspot.deal)
    assert deal["dealstage"] == "qualifiedtobuy"
    assert deal["map_buyer_steps_done"] == "1"  # the signals were written all the same


def test_digests_carry_the_crm(
    tmp_path: Path, hubspot: HubSpotAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manager's weekly lists the team's big deals with no MAP; the rep's daily says
    which stage move the CRM refused."""
    from datetime import date

    from addon.alerts import manager_digest, rep_digest
    from addon.app import App
    from addon.config import Settings

    root, path = _staged(tmp_path, hubspot, monkeypatch, "East")
    hubspot.fake.require_for_stage("presentationscheduled", ["description"])
    _done(path, "S01")
    run(
        root, "recipient", "zoe@seller.example.com", "--manager", "Kim Lee <kim@seller.example.com>"
    )
    run(root, "sync", "--no-send", "--today", "2026-03-05")
    app = App(Settings(workspace=root))
    reps = set(app.registry.reps_of("kim@seller.example.com"))
    weekly = manager_digest(app.registry, app.channels(), [], reps, date(2026, 3, 9))
    assert "Deals past the gap stage with no MAP (1)" in weekly["text"]
    assert "Contoso platform" in weekly["text"] and "Contoso platform" in weekly["html"]
    daily = rep_digest(app.registry, app.channels(), app.registry.maps(), date(2026, 3, 6))
    assert "CRM: stage move to Presentation Scheduled refused" in daily["text"]


def test_a_deal_in_another_currency_is_said_not_compared(
    tmp_path: Path, hubspot: HubSpotAccount
) -> None:
    root = tmp_path / "ws"
    hubspot.fake.update_deal(hubspot.deal, deal_currency_code="EUR")
    _linked(root, hubspot)
    out = run(root, "sync", "--no-send", "--today", "2026-03-05").output
    assert "the deal is in EUR, the MAP in USD" in out
    assert hubspot.fake.deal(hubspot.deal)["map_exists"] == "true"  # the signals still go
    wb = load_workbook(root / "rollup.xlsx")
    rollup = wb["Roll-up"]
    headers = [c.value for c in rollup[3]]
    row = {h: rollup.cell(4, i + 1).value for i, h in enumerate(headers)}
    assert row["CRM amount"] == "EUR 120,000"


def test_import_links_the_deal(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    root = tmp_path / "ws"
    run(root, "crm-setup")
    from tests.import_fixtures import FIXTURES, build_xlsx, load

    source = build_xlsx(load(FIXTURES[0]), tmp_path / "plan.xlsx")
    result = run(
        root,
        "import",
        str(source),
        "--rep-name",
        "Sam Rivera",
        "--rep-email",
        REP,
        "--target-close",
        "2026-09-30",
        "--contact",
        "dana@northwind.example.com",
        "--buyer-company",
        "Northwind Traders",
        "--crm-deal",
        hubspot.deal,
        "--today",
        "2026-03-02",
        ok=False,
    )
    assert "crm:      linked to Northwind analytics" in result.output, result.output
    assert hubspot.fake.deal(hubspot.deal)["map_exists"] == "true"


def test_the_live_smoke_runs_its_checklist(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    root = tmp_path / "ws"
    _linked(root, hubspot)
    out = run(root, "crm-smoke", "--map", _map_id(root), "--deal", hubspot.deal).output
    assert "[ ]" not in out, out
    assert "MAP buyer completion (percent)" in out
    assert "stage moved Qualified To Buy -> Presentation Scheduled" in out
    assert "note added to the deal" in out


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


def test_a_refused_key_is_named_never_printed(
    tmp_path: Path,
    hubspot: HubSpotAccount,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("MAP_HUBSPOT_SERVICE_KEY", "svc-wrong-key-5e1d")
    result = run(tmp_path / "ws", "crm-setup", ok=False)
    assert result.exit_code == 1
    assert "HubSpot refused the service key (401)" in result.output
    assert "svc-wrong-key-5e1d" not in result.output + caplog.text


def test_closed_deals_for_before_and_after_maps(tmp_path: Path, hubspot: HubSpotAccount) -> None:
    from datetime import date

    from addon.app import App
    from addon.config import Settings

    _linked(tmp_path / "ws", hubspot)
    hubspot.fake.update_deal(hubspot.deal, dealstage="closedwon", closedate="2026-04-20")
    hubspot.fake.update_deal(hubspot.other_deal, dealstage="closedlost", closedate="2026-04-21")
    app = App(Settings(workspace=tmp_path / "ws"))
    assert app.crm is not None
    closed = {d.deal_id: d for d in app.crm.closed_deals(date(2026, 1, 1))}
    assert set(closed) == {hubspot.deal, hubspot.other_deal}
    assert closed[hubspot.deal].won and closed[hubspot.deal].has_map
    assert not closed[hubspot.other_deal].won and not closed[hubspot.other_deal].has_map
    assert closed[hubspot.deal].closed_on == date(2026, 4, 20)
    assert closed[hubspot.deal].opened_on is not None
