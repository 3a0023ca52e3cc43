"""docs/crm_picture.py's page of a deal, without the screenshot: after the real product has
run against each fake, every MAP field is on the page, under its label, with the value the
fake holds; the banner says it is not the CRM's own screenshot; the stage move's activity
is there."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import pytest

from addon.plan.crm import FIELDS, Kind, SignalField
from sheets_schema.vocab import MapHealth
from tests.crm_env import seed_hubspot, seed_salesforce
from tests.crmfake.hubspot import serve as serve_hubspot
from tests.crmfake.salesforce import serve as serve_salesforce

SCRIPT = Path(__file__).resolve().parents[1] / "docs/crm_picture.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crm_picture", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


picture = _script()


class _Rows(HTMLParser):
    """The MAP section's rows by field key: (label, value text, link target), and the
    banner's text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.href: dict[str, str] = {}
        self.banner = ""
        self._row: str | None = None
        self._cell: int | None = None  # 0 the label, 1 the value
        self._in_code = False
        self._in_banner = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "div" and a.get("id") == "banner":
            self._in_banner = True
        if tag == "tr" and a.get("data-field"):
            self._row = str(a["data-field"])
            self.rows[self._row] = ["", ""]
        elif self._row and tag in ("th", "td"):
            self._cell = 0 if tag == "th" else 1
        elif self._row and tag == "code":
            self._in_code = True
        elif self._row and tag == "a":
            self.href[self._row] = str(a.get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = self._cell = None
        elif tag == "code":
            self._in_code = False
        elif tag == "div":
            self._in_banner = False

    def handle_data(self, data: str) -> None:
        if self._in_banner:
            self.banner += data
        if self._row and self._cell is not None and not self._in_code:
            self.rows[self._row][self._cell] += data


def _check(f: SignalField, shown: str, href: str | None, raw: object, crm: str) -> None:
    """The value on the page is the fake's, by the field's kind (independently of how the
    script formats it)."""
    if f.kind is Kind.CHECKBOX:
        assert shown == ("✓" if raw in (True, "true") else "—")
    elif f.kind is Kind.DATE:
        assert datetime.strptime(shown, "%d %b %Y").date() == date.fromisoformat(str(raw)[:10])
    elif f.kind is Kind.NUMBER:
        assert float(shown.replace(",", "")) == float(str(raw))
    elif f.kind is Kind.PERCENT:
        assert shown.endswith("%")
        scale = 100 if crm == "hubspot" else 1  # HubSpot keeps 0.125 for 12.5%
        assert float(shown[:-1]) == pytest.approx(float(str(raw)) * scale)
    elif f.kind is Kind.PICKLIST:
        assert shown == (MapHealth(str(raw)).label if crm == "hubspot" else raw)
    elif f.kind is Kind.URL:
        assert shown == raw and href == raw
    else:
        assert shown == raw


@pytest.mark.parametrize("crm", ["salesforce", "hubspot"])
def test_the_page_carries_every_field_with_the_fakes_value(crm: str, tmp_path: Path) -> None:
    if crm == "salesforce":
        with serve_salesforce() as sf:
            org = seed_salesforce(sf, tmp_path)
            picture.play(tmp_path, crm, org.deal, org.env)
            deal = picture.salesforce_deal(sf, org.deal)
            record = sf.record(org.deal)
            raw = {f.key: record[f.salesforce] for f in FIELDS}
            stage = record["StageName"]
            assert stage == "Proposal/Price Quote"  # S01's move happened
    else:
        with serve_hubspot() as hs:
            account = seed_hubspot(hs)
            picture.play(tmp_path, crm, account.deal, account.env)
            deal = picture.hubspot_deal(hs, account.deal)
            props = hs.deal(account.deal)
            raw = {f.key: props[f.hubspot] for f in FIELDS}
            assert props["dealstage"] == "presentationscheduled"
            stage = "Presentation Scheduled"
    page = picture.render(deal)
    parsed = _Rows()
    parsed.feed(page)

    name = "Salesforce" if crm == "salesforce" else "HubSpot"
    assert parsed.banner == (
        f"Rendered from the offline fake's state after a real sync: not a {name} screenshot"
    )
    assert list(parsed.rows) == [f.key for f in FIELDS]  # every field, in FIELDS order
    for f in FIELDS:
        label, shown = (x.strip() for x in parsed.rows[f.key])
        assert label == f.label
        if f.key == "map_link":  # the local workspace's file:// link is never sent
            assert raw[f.key] in (None, ""), "a file on the rep's disk reached the deal"
            continue
        assert raw[f.key] not in (None, ""), f"{f.key}: the scenario leaves it empty"
        _check(f, shown, parsed.href.get(f.key), raw[f.key], crm)
    assert "Northwind analytics" in page and stage in page
    assert "Step S01" in page  # the note / Task the stage move wrote
    assert not any(x in page for x in ("<link", "<script", "src=", "url(", "@import"))
