"""A picture of the CRM deal a MAP writes to, one per CRM, from the offline fakes' state.

Run as `.venv/bin/python docs/crm_picture.py`. It serves both fakes (tests/crmfake/),
seeds them as the tests do (tests/crm_env.py), and runs the real product through mapctl
in a temporary workspace: crm-setup, create linked to the deal on a team template whose
first step moves the stage, the buyer marking S01 done and pushing S02 out, and syncs on
later days so the signals are realistic (some done, a late step, a slipped close). It then
reads the deal back from the fake (the Opportunity record and its Tasks; the HubSpot deal's
properties, stage labels and notes), renders a plain record page of it and screenshots it
with headless Chromium to docs/crm-salesforce-deal.png and docs/crm-hubspot-deal.png.

Not a screenshot of either CRM: each page says so in a banner at its top.
"""

from __future__ import annotations

import html
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the tests' fakes and helpers are imports
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from addon.plan.crm import FIELDS, Kind, SignalField  # noqa: E402
from tests.cli_helpers import CREATE, run, set_step_cell  # noqa: E402
from tests.crm_env import HUBSPOT_KEY, seed_hubspot, seed_salesforce  # noqa: E402
from tests.crmfake.hubspot import HubSpotFake  # noqa: E402
from tests.crmfake.hubspot import serve as serve_hubspot  # noqa: E402
from tests.crmfake.salesforce import SalesforceFake  # noqa: E402
from tests.crmfake.salesforce import serve as serve_salesforce  # noqa: E402

BANNER = "Rendered from the offline fake's state after a real sync: not a {crm} screenshot"
SECTION = "Mutual Action Plan"
WIDTH = 900
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The stage each CRM's team template moves the deal to when S01 is done.
STAGE = {"salesforce": "Proposal/Price Quote", "hubspot": "presentationscheduled"}
# The story, in the product's days: create, the buyer's edits and a sync, weeks later a sync.
CREATED = "2026-03-02"
EDITED = "2026-04-23"  # S01 done the day before; S02 pushed out a week
LATER = "2026-05-12"  # S03 is four days late: the blocker; the close has slipped
S01_DONE_ON = date(2026, 4, 22)
S02_PUSHED_TO = date(2026, 5, 15)
BUYER_NAME = "Dana Whitfield"


# --- the product, through mapctl ---------------------------------------------------------


@contextmanager
def environment(settings: Mapping[str, str]) -> Iterator[None]:
    """os.environ with `settings` for the block (mapctl runs in-process and reads it)."""
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def team_template(folder: Path, stage: str) -> Path:
    """Team East's SMB template: its first step (S01) moves the deal to `stage` when done."""
    text = (ROOT / "sheets_schema/templates/smb.yaml").read_text()
    text = text.replace("name: smb", "name: east_smb").replace("label: SMB", "label: East SMB")
    text = text.replace(
        "    depends_on: []\n    signature: false\n",
        f"    depends_on: []\n    signature: false\n    crm_stage: {stage}\n",
        1,
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "east_smb.yaml").write_text(text)
    return folder


def play(work: Path, crm: str, deal_id: str, settings: Mapping[str, str]) -> None:
    """The product's life with one deal, through mapctl, against the fake `settings` name."""
    env = {
        **settings,
        "MAP_TEMPLATE_DIR": str(team_template(work / "templates", STAGE[crm])),
        "MAP_CRM_STAGE_TEAMS": "East",
    }
    root = work / "ws"
    with environment(env):
        run(root, "crm-setup")
        args = [a if a != "mid_market" else "east_smb" for a in CREATE]
        out = run(root, *args, "--team", "East", "--crm-deal", deal_id).output
        line = next(x for x in out.splitlines() if "workbook:" in x)
        path = Path(line.split("workbook:", 1)[1].strip())
        run(root, "sync", "--no-send", "--today", CREATED)
        wb = load_workbook(path)  # the buyer's edits
        set_step_cell(wb["Plan"], "S01", "Status", "Done")
        set_step_cell(
            wb["Plan"], "S01", "Done on", datetime.combine(S01_DONE_ON, datetime.min.time())
        )
        set_step_cell(
            wb["Plan"], "S02", "Due date", datetime.combine(S02_PUSHED_TO, datetime.min.time())
        )
        wb.properties.lastModifiedBy = BUYER_NAME  # as Excel stamps the buyer's save
        wb.save(path)
        run(root, "sync", "--no-send", "--today", EDITED)
        run(root, "sync", "--no-send", "--today", LATER)


# --- the deal, as the fake holds it ------------------------------------------------------


@dataclass
class Activity:
    kind: str  # "Task" or "Note"
    title: str
    body: str
    facts: tuple[tuple[str, str], ...]  # (what, the fake's value, formatted), in page order


@dataclass
class DealPage:
    crm: str  # "Salesforce" or "HubSpot"
    kind: str  # "Opportunity" or "Deal"
    name: str
    stage: str
    amount: object
    close_date: str
    owner: str
    values: dict[str, object]  # FIELDS key -> the fake's raw value
    options: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> value -> label
    activity: list[Activity] = field(default_factory=list)
    record_id: str = ""


def salesforce_deal(fake: SalesforceFake, deal_id: str) -> DealPage:
    opp = fake.record(deal_id)
    owner = fake.record(opp["OwnerId"]) if opp.get("OwnerId") else {}
    tasks = [t for t in fake.records("Task") if t.get("WhatId") == deal_id]
    return DealPage(
        crm="Salesforce",
        kind="Opportunity",
        name=opp["Name"],
        stage=opp["StageName"],
        amount=opp.get("Amount"),
        close_date=opp.get("CloseDate") or "",
        owner=owner.get("Name", ""),
        values={f.key: opp.get(f.salesforce) for f in FIELDS},
        activity=[
            Activity(
                kind="Task",
                title=t.get("Subject") or "",
                body=t.get("Description") or "",
                facts=(
                    ("Status", t.get("Status") or "none"),
                    ("Due date", _date(t["ActivityDate"]) if t.get("ActivityDate") else "none"),
                ),
            )
            for t in tasks
        ],
        record_id=deal_id,
    )


def _hubspot_get(fake: HubSpotFake, path: str) -> Any:
    """What HubSpot's own page would look up: stage and option labels, owner names."""
    response = requests.get(
        fake.url + path,
        headers={"Authorization": f"Bearer {HUBSPOT_KEY}"},
        verify=str(fake.ca_file),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def hubspot_deal(fake: HubSpotFake, deal_id: str) -> DealPage:
    props = fake.deal(deal_id)
    pipelines = _hubspot_get(fake, "/crm/v3/pipelines/deals")["results"]
    stages = {s["id"]: s["label"] for p in pipelines for s in p["stages"]}
    owners = _hubspot_get(fake, "/crm/v3/owners")["results"]
    owner = next((o for o in owners if o["id"] == props.get("hubspot_owner_id")), {})
    options = {}
    values: dict[str, object] = {f.key: props.get(f.hubspot) for f in FIELDS}
    for f in FIELDS:
        if f.kind not in (Kind.PICKLIST, Kind.PERCENT):
            continue
        definition = _hubspot_get(fake, f"/crm/v3/properties/deals/{f.hubspot}")
        if f.kind is Kind.PICKLIST:
            options[f.key] = {o["value"]: o["label"] for o in definition.get("options", [])}
        elif definition.get("numberDisplayHint") == "percentage" and values[f.key]:
            # HubSpot keeps a percentage as a fraction (0.125) and shows it as 12.5%
            values[f.key] = float(str(values[f.key])) * 100
    stage = props.get("dealstage") or ""
    return DealPage(
        crm="HubSpot",
        kind="Deal",
        name=props.get("dealname") or "",
        stage=stages.get(stage, stage),
        amount=props.get("amount"),
        close_date=props.get("closedate") or "",
        owner=" ".join(x for x in (owner.get("firstName"), owner.get("lastName")) if x),
        values=values,
        options=options,
        activity=[
            Activity(
                kind="Note",
                title="",
                body=n.get("hs_note_body") or "",
                facts=(
                    (
                        "Activity date",
                        _date(n["hs_timestamp"]) + " (the sync machine's clock)"
                        if n.get("hs_timestamp")
                        else "none",
                    ),
                ),
            )
            for n in fake.notes_on(deal_id)
        ],
        record_id=deal_id,
    )


# --- rendering ---------------------------------------------------------------------------


def _date(value: object) -> str:
    """An ISO date or timestamp (or epoch milliseconds, as HubSpot keeps note times) as
    '12 May 2026'; a timestamp keeps its time of day (UTC)."""
    text = str(value).strip()
    if not text:
        return ""
    if text.isdigit():  # epoch milliseconds
        moment = datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        return f"{moment:%-d %b %Y %H:%M} UTC"
    if len(text) == 10:
        return f"{date.fromisoformat(text):%-d %b %Y}"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.time() == datetime.min.time():  # HubSpot's date-only values: midnight UTC
        return f"{moment:%-d %b %Y}"
    return f"{moment:%-d %b %Y %H:%M} UTC"


def _number(value: object) -> str:
    number = round(float(str(value)), 6)
    return f"{number:,.0f}" if number == int(number) else f"{number:,}"


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def display(f: SignalField, value: object, options: Mapping[str, str] | None = None) -> str:
    """A field's value as a record page shows it (plain text; empty when the field is)."""
    if f.kind is Kind.CHECKBOX:
        return "✓" if value is True or str(value).lower() == "true" else "—"
    if _is_empty(value):
        return ""
    if f.kind is Kind.DATE:
        return _date(value)
    if f.kind is Kind.NUMBER:
        return _number(value)
    if f.kind is Kind.PERCENT:
        return _number(value) + "%"
    if f.kind is Kind.PICKLIST:
        return (options or {}).get(str(value), str(value))
    return str(value)


def _amount(value: object) -> str:
    return "" if _is_empty(value) else "$" + f"{float(str(value)):,.0f}"


def _cell(f: SignalField, value: object, options: Mapping[str, str] | None) -> str:
    shown = html.escape(display(f, value, options))
    if f.kind is Kind.URL and shown:
        return f'<a href="{html.escape(str(value))}">{shown}</a>'
    if f.kind is Kind.CHECKBOX:
        checked = "on" if shown == "✓" else "off"
        return f'<span class="check {checked}">{shown}</span>'
    return shown


CSS = """
* { box-sizing: border-box; }
body { margin: 0; background: #eef1f5; color: #1d2733;
  font: 14px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
.banner { background: #fff4c2; border-bottom: 2px solid #d9a400; color: #5a4300;
  padding: 10px 24px; font-weight: bold; }
.page { padding: 20px 24px 28px; }
.header { background: #fff; border: 1px solid #d5dbe3; border-radius: 6px; padding: 16px 20px; }
.kind { color: #5b6b7c; font-size: 12px; text-transform: uppercase; letter-spacing: .06em; }
h1 { margin: 2px 0 14px; font-size: 22px; }
.facts { display: grid; grid-template-columns: 1.5fr 1fr 1fr 1fr; gap: 12px; }
.facts div span { display: block; color: #5b6b7c; font-size: 12px; }
.facts div b { font-size: 15px; }
.card { background: #fff; border: 1px solid #d5dbe3; border-radius: 6px; margin-top: 16px; }
.card h2 { margin: 0; padding: 10px 20px; font-size: 15px; border-bottom: 1px solid #d5dbe3;
  background: #f7f9fb; border-radius: 6px 6px 0 0; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: 7px 20px;
  border-bottom: 1px solid #edf0f4; }
th { width: 38%; color: #5b6b7c; font-weight: normal; }
td { overflow-wrap: anywhere; }
tr:last-child th, tr:last-child td { border-bottom: 0; }
th code { color: #8a97a5; font-size: 11px; display: block; }
a { color: #0b5cad; }
.check.on { color: #1d2733; font-weight: bold; }
.check.off { color: #8a97a5; }
.activity { padding: 12px 20px; border-bottom: 1px solid #edf0f4; }
.activity:last-child { border-bottom: 0; }
.activity .meta { color: #5b6b7c; font-size: 12px; }
.activity .title { font-weight: bold; }
.activity pre { white-space: pre-wrap; font: inherit; margin: 6px 0 0; }
.none { padding: 12px 20px; color: #5b6b7c; }
"""


def render(deal: DealPage) -> str:
    """The deal as a plain record page: its facts, the MAP section in FIELDS order, the
    activity the product wrote. Plain HTML and inline CSS; nothing is fetched."""
    api = "salesforce" if deal.crm == "Salesforce" else "hubspot"
    rows = "\n".join(
        f'<tr data-field="{f.key}"><th>{html.escape(f.label)}'
        f"<code>{html.escape(getattr(f, api))}</code></th>"
        f"<td>{_cell(f, deal.values.get(f.key), deal.options.get(f.key))}</td></tr>"
        for f in FIELDS
    )
    activity = (
        "\n".join(
            f'<div class="activity"><div class="meta">{html.escape(a.kind)}'
            + "".join(f" · {html.escape(k)}: {html.escape(v)}" for k, v in a.facts)
            + "</div>"
            + (f'<div class="title">{html.escape(a.title)}</div>' if a.title else "")
            + f"<pre>{html.escape(a.body)}</pre></div>"
            for a in deal.activity
        )
        or '<div class="none">No activity.</div>'
    )
    facts = (
        ("Stage", deal.stage),
        ("Amount", _amount(deal.amount)),
        ("Close date", _date(deal.close_date)),
        (f"{deal.kind} owner", deal.owner),
    )
    facts_html = "".join(
        f'<div data-fact="{html.escape(k)}"><span>{html.escape(k)}</span>'
        f"<b>{html.escape(v)}</b></div>"
        for k, v in facts
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(deal.name)}: {deal.crm} {deal.kind.lower()} (rendered)</title>
<style>{CSS}</style></head>
<body>
<div class="banner" id="banner">{html.escape(BANNER.format(crm=deal.crm))}</div>
<div class="page">
<div class="header">
<div class="kind">{deal.crm} {deal.kind} · {html.escape(deal.record_id)}</div>
<h1 id="deal-name">{html.escape(deal.name)}</h1>
<div class="facts">{facts_html}</div>
</div>
<div class="card" id="map"><h2>{SECTION}</h2>
<table>
{rows}
</table></div>
<div class="card" id="activity"><h2>Activity</h2>
{activity}
</div>
</div>
</body></html>
"""


# --- the pictures ------------------------------------------------------------------------


def salesforce_page(work: Path) -> DealPage:
    with serve_salesforce() as fake:
        org = seed_salesforce(fake, work)
        play(work, "salesforce", org.deal, org.env)
        return salesforce_deal(fake, org.deal)


def hubspot_page(work: Path) -> DealPage:
    with serve_hubspot() as fake:
        account = seed_hubspot(fake)
        play(work, "hubspot", account.deal, account.env)
        return hubspot_deal(fake, account.deal)


def chromium() -> str | None:
    """Debian's chromium when there is one (as tests/test_preview_browser.py uses), else
    Playwright's own download (None)."""
    return shutil.which("chromium")


def screenshot(pages: Mapping[Path, str]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        path = chromium()
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            for out, text in pages.items():
                page = browser.new_page(viewport={"width": WIDTH, "height": 600})
                page.route("**/*", lambda route: route.abort())  # nothing from the network
                page.set_content(text, wait_until="load")
                page.screenshot(path=str(out), full_page=True)
                page.close()
        finally:
            browser.close()


def main() -> None:
    # One fixed folder, so the MAP link (a file:// path in a local workspace) is the same
    # on every run and the pictures only change when the product does.
    work = Path(tempfile.gettempdir()) / "map-crm-picture"
    shutil.rmtree(work, ignore_errors=True)
    try:
        (work / "sf").mkdir(parents=True)
        (work / "hs").mkdir()
        pages = {
            ROOT / "docs/crm-salesforce-deal.png": render(salesforce_page(work / "sf")),
            ROOT / "docs/crm-hubspot-deal.png": render(hubspot_page(work / "hs")),
        }
        if os.environ.get("MAP_PICTURE_HTML"):  # keep the pages to look at (not committed)
            for out, text in pages.items():
                out.with_suffix(".html").write_text(text)
        screenshot(pages)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for out in pages:
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
