"""The Resources tab everywhere a person looks (issue 21): the MAP Doc, `mapctl status`,
the roll-up, the status card, the handoff Doc and the rep's digest. Real files through the
CLI, the add-on through its real HTTP server; a buyer fills links with openpyxl."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from addon.alerts import rep_digest
from addon.app import App
from addon.config import Settings
from addon.plan.rollup import RollupRow, from_json
from addon.web.cards import Actions, Links, card_json, status_card
from tests.buyer_workbook import Buyer
from tests.cli_helpers import create, run, status_json
from tests.test_web_cards import cards_in, only_card, widgets
from tests.test_web_cards import create as web_create
from tests.web_env import Web, text

SOC2 = "https://trust.example.com/northwind/soc2-type2.pdf"
DPA = "https://dataroom.example.com/dpa-draft"
MSA = "https://dataroom.example.com/msa-v3"
ORDER = "https://dataroom.example.com/order-form"


def resources_rows(path: Path) -> dict[str, int]:
    """Resource title -> its row on the Resources tab."""
    ws = load_workbook(path)["Resources"]
    return {str(r[0].value): r[0].row for r in ws.iter_rows(min_row=4) if r[0].value}


def fill(path: Path, links: dict[str, str], done: tuple[str, ...] = ("S01",)) -> None:
    """As the buyer: mark steps done and paste links on the Resources tab (column D)."""
    rows = resources_rows(path)
    ops: list[dict[str, Any]] = [{"type": {"at": f"{s}/Status", "value": "Done"}} for s in done]
    ops += [{"type": {"at": f"Resources!D{rows[t]}", "value": v}} for t, v in links.items()]
    Buyer(path).edit(ops)


def card_resources(card: dict[str, Any]) -> list[dict[str, Any]]:
    section = next(
        s for s in card["sections"] if s.get("header", "").startswith("Documents for the next")
    )
    return [w["decoratedText"] for w in section["widgets"] if "decoratedText" in w]


def test_resources_reach_status_rollup_doc_and_handoff(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    path = create(root)
    doc = next(path.parent.glob("*.html")).read_text()
    # The MAP Doc is written once, at create: the template's documents under their step.
    assert "Documents each step needs" in doc
    assert "<h3>S02 · Security team has the SOC 2 report" in doc
    assert "SOC 2 Type II report: <span" in doc and "not shared yet" in doc

    fill(
        path,
        {
            "SOC 2 Type II report": SOC2,
            "Penetration test summary": "TBD",
            "Data processing agreement (DPA) draft": "htps://dataroom.example.com/dpa",
            "Master services agreement (MSA)": MSA,
        },
    )
    run(root, "sync", "--today", "2026-03-04")

    status = status_json(root, path, "2026-03-04")
    assert status["map"]["next_step"]["step"].startswith("Security team has the SOC 2")
    by_title = {r["title"]: r for r in status["resources"]}
    soc2 = by_title["SOC 2 Type II report"]
    assert soc2 == {
        "title": "SOC 2 Type II report",
        "kind": "Security",
        "steps": ["S02"],
        "side": "Seller",
        "provider": "SE (TBD)",
        "link": SOC2,
        "missing": False,
        "note": "",
    }
    pen = by_title["Penetration test summary"]
    assert pen["missing"] and pen["link"] == "" and "needed for S02" in pen["note"]
    dpa = by_title["Data processing agreement (DPA) draft"]
    assert dpa["missing"] and "is not the start of a web address" in dpa["note"]
    assert not by_title["Master services agreement (MSA)"]["missing"]
    # every open step's missing documents: 13 rows, 2 have a usable link
    assert sum(r["missing"] for r in status["resources"]) == 11
    text_out = run(root, "status", str(path), "--today", "2026-03-04").output
    assert f"SOC 2 Type II report (from Seller: SE (TBD)): {SOC2}" in text_out
    assert "Penetration test summary (from Seller: SE (TBD)): MISSING" in text_out

    ws = load_workbook(root / "rollup.xlsx")["Roll-up"]
    header = [c.value for c in ws[3]]
    values = dict(zip(header, next(ws.iter_rows(min_row=4, values_only=True)), strict=True))
    assert values["Resources missing"] == 11

    # The Plan's S02 row says what it still lacks (the sync note), and so would a digest.
    plan = load_workbook(path)["Plan"]
    notes = [str(c.value) for row in plan.iter_rows() for c in row if c.value]
    assert any(
        "Still missing: Penetration test summary (from Seller: SE (TBD)); "
        "Data processing agreement (DPA) draft (from Seller: Sam Rivera)" in n
        for n in notes
    )

    # The rep's daily digest: S02 is due within its two weeks and still lacks two documents.
    app = App(Settings(workspace=root))
    daily = rep_digest(app.registry, app.channels(), app.registry.maps(), date(2026, 3, 5))
    line = "Still missing: Penetration test summary (from Seller: SE (TBD))"
    assert line in daily["text"] and line in daily["html"]
    s02 = daily["text"].split("- S02 ", 1)[1].split("\n   - ", 1)[0]
    assert line in s02  # under its step, not elsewhere

    # Won: the handoff Doc lists every document with its link.
    fill(path, {"Order form": ORDER}, done=())
    out = run(root, "mark", str(path), "won", "--today", "2026-03-05").output
    handoff_line = next(x for x in out.splitlines() if "handoff doc:" in x)
    handoff = Path(handoff_line.split("handoff doc:", 1)[1].strip()).read_text()
    assert "Documents: what was promised and shared" in handoff
    for url in (SOC2, MSA, ORDER):
        assert f'<a href="{url}">{url}</a>' in handoff
    assert "Penetration test summary" in handoff and "never shared" in handoff


def test_rollup_rows_stored_before_resources_still_load() -> None:
    row = from_json(
        {
            "rank": 1,
            "map_id": "MAP-OLD",
            "deal": "Old deal",
            "buyer_company": "Fabrikam",
            "rep": "Sam Rivera",
            "team": "",
            "stage": "",
            "lifecycle": "shared",
            "deal_value": None,
            "currency": "USD",
            "health": "on_track",
            "score": 90,
            "stale": False,
            "target_close": "2026-05-29",
            "projected_close": None,
            "close_slip_days": None,
            "target_close_moves": 0,
            "slipped_days": 0,
            "date_pushes": 0,
            "buyer_steps_done": 0,
            "buyer_steps_total": 5,
            "current_blocker": "",
            "blocker_owner": "",
            "ball_in_court": "",
            "days_since_last_completion": None,
            "last_buyer_update": None,
            "consequences_fired": 0,
            "problems": 0,
            "sync_state": "ok",
            "link": "",
        }
    )
    assert isinstance(row, RollupRow)
    assert row.missing_resources == 0 and row.resources == ()
    card = status_card(
        row,
        Links("https://example.com/s", "https://example.com/d"),
        Actions("https://map-addon.example.com"),
        lifecycle="shared",
        last_synced=date(2026, 3, 2),
    )
    assert "Documents for the next step" not in json.dumps(card_json(card))


def _web_map(web: Web, deal: str, request_id: str) -> tuple[str, Path]:
    event = web.event(
        form={
            "deal": text(deal),
            "buyer_company": text("Northwind"),
            "buyer_contacts": text("Dana Whitfield <dana@northwind.example.com>"),
            "deal_value": text("$48,000"),
            "template": text("auto"),
            "target_close": {"dateInput": {"msSinceEpoch": 1780012800000}},  # 29 May 2026
            "close_reason": text("budget is set on 1 June"),
            "desired_outcome": text("One dashboard the board trusts"),
        },
        params={"request_id": request_id},
    )
    assert web.post("/addon/actions/create", event).status_code == 200
    row = next(r for r in web.app.registry.maps() if r.deal == deal)
    return row.id, web.settings.workspace / row.sheet_ref


def _open(web: Web, map_id: str) -> dict[str, Any]:
    answer = web.post("/addon/actions/open", web.event("DRIVE", params={"map_id": map_id}))
    assert answer.status_code == 200
    data = dict(answer.json())
    assert cards_in(data)  # parsed strictly as Card v1: nothing the host would refuse
    return only_card(data)


def _sync(web: Web, map_id: str) -> None:
    answer = web.post("/addon/actions/sync", web.event("DRIVE", params={"map_id": map_id}))
    assert answer.status_code == 200 and cards_in(answer.json())


def test_status_card_links_the_next_steps_documents_and_says_which_are_missing(
    web: Web,
) -> None:
    web_create(web)
    [row] = web.app.registry.maps()
    path = web.settings.workspace / row.sheet_ref
    fill(path, {"SOC 2 Type II report": SOC2, "Penetration test summary": "not yet"})
    _sync(web, row.id)
    card = _open(web, row.id)
    shown = card_resources(card)
    linked = [f for f in shown if "onClick" in f]
    assert [(f["text"], f["onClick"]["openLink"]["url"]) for f in linked] == [
        ("SOC 2 Type II report", SOC2)
    ]
    assert linked[0]["topLabel"] == "S02 · Security"
    assert linked[0]["bottomLabel"].startswith("from Seller: ")
    missing = [f["text"] for f in shown if "onClick" not in f]
    assert missing[0].startswith("missing: Penetration test summary (from Seller: ")
    assert any(m.startswith("missing: Data processing agreement (DPA) draft") for m in missing)
    more = [w["textParagraph"]["text"] for w in widgets(card) if "textParagraph" in w]
    assert any("more documents missing for later steps" in t for t in more)


def test_twelve_status_cards_at_once_each_shows_its_own_documents(web: Web) -> None:
    maps = []
    for i in range(3):
        map_id, path = _web_map(web, f"Rollout wave {i}", f"req-{i}")
        url = f"https://trust.example.com/wave-{i}/soc2.pdf"
        fill(path, {"SOC 2 Type II report": url})
        _sync(web, map_id)
        maps.append((map_id, url))
    with ThreadPoolExecutor(12) as pool:
        cards = list(pool.map(lambda k: (k, _open(web, maps[k % 3][0])), range(12)))
    for k, card in cards:
        map_id, url = maps[k % 3]
        assert card["name"] == f"status-{map_id}"
        shown = card_resources(card)
        links = [f["onClick"]["openLink"]["url"] for f in shown if "onClick" in f]
        assert links == [url]
        assert sum(1 for f in shown if f["text"].startswith("missing: ")) == 2
