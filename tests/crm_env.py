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
from tests.crmfake.salesforce import SalesforceFake
from tests.crmfake.salesforce import serve as serve_salesforce

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
    deal = fake.add_deal("Northwind analytics", 120000, "qualifiedtobuy", "2026-05-29", sam)
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


# --- Salesforce ---------------------------------------------------------------------------

SF_CLIENT_ID = "3MVG9-test-consumer-key"  # a made-up External Client App consumer key
SF_USER = "map-integration@seller.example.com"


@dataclass
class SalesforceOrg:
    fake: SalesforceFake
    integration: str
    sam: str
    pat: str
    zoe: str
    account: str
    deal: str
    team_deal: str
    other_deal: str
    big_unlinked: str
    env: dict[str, str]


def _key_pair(folder: Path) -> tuple[Path, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "sf-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public.decode()


def seed_salesforce(fake: SalesforceFake, folder: Path) -> SalesforceOrg:
    key_file, public = _key_pair(folder)
    integration = fake.add_user(SF_USER, name="MAP Integration", email=SF_USER)
    manager = fake.add_user(
        "mia@seller.example.com", name="Mia Chen", email="mia@seller.example.com"
    )
    sam = fake.add_user(REP, name="Sam Rivera", email=REP, manager_id=manager)
    pat = fake.add_user(TEAMMATE, name="Pat Lee", email=TEAMMATE, manager_id=manager)
    zoe = fake.add_user(OTHER_REP, name="Zoe Park", email=OTHER_REP)
    fake.add_app(SF_CLIENT_ID, public_key_pem=public)
    account = fake.add_account("Northwind Traders", website="https://www.northwind.example.com")
    fake.add_contact(BUYER, last_name="Whitfield", first_name="Dana", account_id=account)
    deal = fake.add_opportunity(
        "Northwind analytics",
        stage="Qualification",
        close_date="2026-05-29",
        amount=120000,
        owner_id=sam,
        account_id=account,
    )
    team_deal = fake.add_opportunity(
        "Northwind add-on seats",
        stage="Qualification",
        amount=30000,
        owner_id=pat,
        account_id=account,
    )
    other_deal = fake.add_opportunity(
        "Northwind EMEA", stage="Qualification", amount=80000, owner_id=zoe, account_id=account
    )
    other = fake.add_account("Contoso", website="contoso.example.com")
    big = fake.add_opportunity(
        "Contoso platform",
        stage="Negotiation/Review",
        amount=250000,
        owner_id=zoe,
        account_id=other,
    )
    fake.add_opportunity("Fabrikam pilot", stage="Negotiation/Review", amount=20000, owner_id=pat)
    fake.add_opportunity("Tailspin renewal", stage="Prospecting", amount=90000, owner_id=pat)
    env = {
        "MAP_CRM": "salesforce",
        "MAP_SALESFORCE_LOGIN_URL": fake.url,
        "MAP_SALESFORCE_CLIENT_ID": SF_CLIENT_ID,
        "MAP_SALESFORCE_USERNAME": SF_USER,
        "MAP_SALESFORCE_PRIVATE_KEY_FILE": str(key_file),
        "MAP_CRM_CA_BUNDLE": str(fake.ca_file),
        "MAP_CRM_GAP_STAGE": "Proposal/Price Quote",
        "MAP_CRM_GAP_AMOUNT": "50000",
    }
    return SalesforceOrg(
        fake, integration, sam, pat, zoe, account, deal, team_deal, other_deal, big, env
    )


@pytest.fixture
def salesforce(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceOrg]:
    with serve_salesforce() as fake:
        org = seed_salesforce(fake, tmp_path)
        for key, value in org.env.items():
            monkeypatch.setenv(key, value)
        yield org
