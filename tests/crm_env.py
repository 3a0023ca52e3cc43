"""The product against the CRM fakes, as the tests use it: one HTTPS fake server per test
session (its state reset per test), the MAP_* settings that point the product at it, and
a seeded account: a rep (Sam) and a teammate (Pat) on team East, a rep on another team
(Zoe), the buyer's company and contact, and deals around them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.crmfake.hubspot import HubSpotFake
from tests.crmfake.hubspot import serve as serve_hubspot

HUBSPOT_KEY = "svc-key-test"  # a made-up service key
HUBSPOT_SCOPES = (
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.owners.read",
    "crm.schemas.deals.read",
    "crm.schemas.deals.write",
)
PORTAL = "4400123"
REP = "sam@seller.example.com"
TEAMMATE = "pat@seller.example.com"
OTHER_REP = "zoe@seller.example.com"
BUYER = "dana@northwind.example.com"


@dataclass
class HubSpotAccount:
    fake: HubSpotFake
    sam: str
    pat: str
    zoe: str
    company: str
    contact: str
    deal: str  # Sam's open Northwind deal: the one the MAP links to
    team_deal: str  # Pat's open Northwind deal (Sam's team)
    other_deal: str  # Zoe's Northwind deal (another team: not offered to Sam)
    big_unlinked: str  # a large deal past the gap stage with no MAP
    env: dict[str, str]


@pytest.fixture(scope="session")
def hubspot_server() -> Iterator[HubSpotFake]:
    with serve_hubspot() as fake:
        yield fake


def hubspot_env(fake: HubSpotFake) -> dict[str, str]:
    return {
        "MAP_CRM": "hubspot",
        "MAP_HUBSPOT_BASE_URL": fake.url,
        "MAP_HUBSPOT_SERVICE_KEY": HUBSPOT_KEY,
        "MAP_HUBSPOT_PORTAL_ID": PORTAL,
        "MAP_CRM_CA_BUNDLE": str(fake.ca_file),
        "MAP_CRM_GAP_STAGE": "decisionmakerboughtin",
        "MAP_CRM_GAP_AMOUNT": "50000",
    }


def seed_hubspot(fake: HubSpotFake) -> HubSpotAccount:
    fake.reset()
    fake.add_key(HUBSPOT_KEY, HUBSPOT_SCOPES)
    sam = fake.add_owner(REP, "Sam", "Rivera", teams=["East"])
    pat = fake.add_owner(TEAMMATE, "Pat", "Lee", teams=["East"])
    zoe = fake.add_owner(OTHER_REP, "Zoe", "Park", teams=["West"])
    company = fake.add_company("Northwind Traders", "northwind.example.com")
    contact = fake.add_contact(BUYER, "Dana", "Whitfield")
    deal = fake.add_deal(
        "Northwind analytics", 120000, "qualifiedtobuy", "2026-05-29", sam
    )
    team_deal = fake.add_deal("Northwind add-on seats", 30000, "qualifiedtobuy", "2026-06-30", pat)
    other_deal = fake.add_deal("Northwind EMEA", 80000, "qualifiedtobuy", "2026-07-31", zoe)
    for d in (deal, team_deal, other_deal):
        fake.associate(d, "companies", company)
    fake.associate(deal, "contacts", contact)
    big = fake.add_deal("Contoso platform", 250000, "contractsent", "2026-04-30", zoe)
    fake.add_deal("Fabrikam pilot", 20000, "contractsent", "2026-04-30", pat)  # too small
    fake.add_deal("Tailspin renewal", 90000, "appointmentscheduled", "2026-04-30", pat)  # early
    return HubSpotAccount(
        fake, sam, pat, zoe, company, contact, deal, team_deal, other_deal, big, hubspot_env(fake)
    )


@pytest.fixture
def hubspot(hubspot_server: HubSpotFake, monkeypatch: pytest.MonkeyPatch) -> HubSpotAccount:
    account = seed_hubspot(hubspot_server)
    for key, value in account.env.items():
        monkeypatch.setenv(key, value)
    return account


def workspace(tmp_path: Path) -> Path:
    return tmp_path / "ws"
