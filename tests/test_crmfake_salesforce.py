"""The Salesforce fake, driven through simple-salesforce unchanged (configured only with the
instance URL, a session token, the API version and a requests Session trusting the fake's
CA bundle)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, cast

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from tests.crmfake import salesforce_assumptions
from tests.crmfake.salesforce import SalesforceFake, serve

CONSUMER_KEY = "3MVG9-map-consumer-key"
SECRET = "map-consumer-secret"
ADMIN = "integration@map.example"
LOGIN = "https://login.salesforce.com"


@cache
def keypair() -> tuple[bytes, bytes]:
    """(private key PEM, public key PEM), made once per run."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


@pytest.fixture
def fake() -> Iterator[SalesforceFake]:
    with serve() as org:
        org.add_user(ADMIN, name="Integration User")
        org.add_app(CONSUMER_KEY, public_key_pem=keypair()[1], secret=SECRET, run_as=ADMIN)
        yield org


def assertion(**overrides: Any) -> str:
    claims: dict[str, Any] = {
        "iss": CONSUMER_KEY,
        "sub": ADMIN,
        "aud": LOGIN,
        "exp": int(time.time()) + 170,
    }
    claims.update(overrides)
    key = overrides.pop("_key", None) or keypair()[0]
    claims.pop("_key", None)
    return jwt.encode(claims, key, algorithm="RS256")


def token_request(fake: SalesforceFake, data: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{fake.url}/services/oauth2/token", data=data, verify=str(fake.ca_file), timeout=10
    )


def jwt_token(fake: SalesforceFake, **overrides: Any) -> requests.Response:
    return token_request(
        fake,
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": assertion(**overrides),
        },
    )


def trusting(fake: SalesforceFake) -> requests.Session:
    """A requests Session trusting only the fake's CA bundle. `trust_env = False` because
    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the environment override
    `Session.verify` (psf/requests#3829), and simple-salesforce passes no per-request verify:
    the product's CA-bundle setting must do the same or be silently ignored."""
    session = requests.Session()
    session.verify = str(fake.ca_file)
    session.trust_env = False
    return session


def client(fake: SalesforceFake, username: str = ADMIN) -> Salesforce:
    answer = jwt_token(fake) if username == ADMIN else jwt_token(fake, sub=username)
    assert answer.status_code == 200, answer.text
    session = trusting(fake)
    return Salesforce(
        instance_url=answer.json()["instance_url"],
        session_id=answer.json()["access_token"],
        version="62.0",
        session=session,
    )


def sobject(sf: Salesforce, name: str) -> SFType:
    """`sf.Opportunity` etc.: simple-salesforce's attribute access, typed."""
    return cast(SFType, getattr(sf, name))


def content(error: Exception) -> Any:
    return error.content  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ OAuth


def test_jwt_bearer_flow_issues_a_token_for_the_subject(fake: SalesforceFake) -> None:
    answer = jwt_token(fake)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
        "scope",
    }
    assert body["instance_url"] == fake.url
    assert body["token_type"] == "Bearer"
    admin_id = next(iter(client(fake).query("SELECT Id FROM User")["records"]))["Id"]
    assert body["id"].endswith("/" + admin_id)
    assert fake.count("token") == 2


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        ({"aud": "https://evil.example"}, "invalid_grant", "audience is invalid"),
        ({"exp": int(time.time()) - 10}, "invalid_grant", "expired authorization code"),
        ({"exp": int(time.time()) + 3600}, "invalid_grant", "invalid assertion"),
        ({"sub": "nobody@map.example"}, "invalid_grant", "user hasn't approved this consumer"),
        ({"iss": "unknown-key"}, "invalid_client_id", "client identifier invalid"),
    ],
)
def test_jwt_bearer_refusals(
    fake: SalesforceFake, overrides: dict[str, Any], error: str, description: str
) -> None:
    answer = jwt_token(fake, **overrides)
    assert answer.status_code == 400
    assert answer.json() == {"error": error, "error_description": description}


def test_jwt_signed_with_another_key_is_an_invalid_assertion(fake: SalesforceFake) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    answer = jwt_token(fake, _key=other)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}
    garbage = token_request(
        fake,
        {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "not.a.jwt"},
    )
    assert garbage.json()["error"] == "invalid_grant"


def test_jwt_for_an_inactive_user_is_refused(fake: SalesforceFake) -> None:
    fake.add_user("gone@map.example", active=False)
    answer = jwt_token(fake, sub="gone@map.example")
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "inactive user"}


def test_client_credentials_runs_as_the_apps_run_as_user(fake: SalesforceFake) -> None:
    data = {"grant_type": "client_credentials", "client_id": CONSUMER_KEY}
    answer = token_request(fake, {**data, "client_secret": SECRET})
    assert answer.status_code == 200
    run_as = fake.record(answer.json()["id"].rsplit("/", 1)[1])
    assert run_as["Username"] == ADMIN
    session = trusting(fake)
    sf = Salesforce(
        instance_url=fake.url,
        session_id=answer.json()["access_token"],
        version="62.0",
        session=session,
    )
    assert sf.query("SELECT Username FROM User")["records"][0]["Username"] == ADMIN
    basic = requests.post(
        f"{fake.url}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(CONSUMER_KEY, SECRET),
        verify=str(fake.ca_file),
        timeout=10,
    )
    assert basic.status_code == 200
    bad = token_request(fake, {**data, "client_secret": "wrong"})
    assert bad.status_code == 400
    assert bad.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    fake.add_app("no-run-as", secret="s")
    none = token_request(
        fake, {"grant_type": "client_credentials", "client_id": "no-run-as", "client_secret": "s"}
    )
    assert none.json() == {
        "error": "invalid_grant",
        "error_description": "no client credentials user enabled",
    }
    unsupported = token_request(fake, {"grant_type": "password"})
    assert unsupported.json() == {
        "error": "unsupported_grant_type",
        "error_description": "grant type not supported",
    }
    assert fake.count("token") == 5


def test_without_the_ca_bundle_the_client_refuses_the_connection(fake: SalesforceFake) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(f"{fake.url}/services/oauth2/token", data={}, timeout=10)
    token = fake.token_for(ADMIN)
    sf = Salesforce(instance_url=fake.url, session_id=token, version="62.0")
    with pytest.raises(requests.exceptions.SSLError):
        sf.query("SELECT Id FROM User")
    assert fake.calls("/services/data") == []  # the handshake failed before any request


# ------------------------------------------------------------------- session, limits


def test_expired_session_raises_salesforce_expired_session(fake: SalesforceFake) -> None:
    sf = client(fake)
    sf.query("SELECT Id FROM User")
    fake.expire_tokens()
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT Id FROM User")
    assert content(caught.value) == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_limit_info_header_and_request_limit(fake: SalesforceFake) -> None:
    fake.daily_limit = 3
    sf = client(fake)
    sf.query("SELECT Id FROM User")
    assert sf.api_usage["api-usage"].used == 1
    assert sf.api_usage["api-usage"].total == 3
    sf.query("SELECT Id FROM User")
    sf.query("SELECT Id FROM User")
    assert sf.api_usage["api-usage"].used == 3
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM User")
    assert content(caught.value) == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert fake.api_usage() == 4


def test_fault_injection_answers_the_next_matching_requests(fake: SalesforceFake) -> None:
    sf = client(fake)
    fake.fail("/services/data/v62.0/query", 503, times=2)
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError):
            sf.query("SELECT Id FROM User")
    assert sf.query("SELECT Id FROM User")["totalSize"] == 1
    fake.fail("/services/data/v62.0/sobjects", 500, body=[{"errorCode": "X", "message": "boom"}])
    with pytest.raises(SalesforceGeneralError) as caught:
        sobject(sf, "Opportunity").describe()
    assert content(caught.value) == [{"errorCode": "X", "message": "boom"}]
    statuses = [c.status for c in fake.calls("/services/data/v62.0/query")]
    assert statuses == [503, 503, 200]


# ------------------------------------------------------------------------------ query


def seed_pipeline(fake: SalesforceFake) -> dict[str, str]:
    owner = fake.add_user("seller@map.example", name="Sam Seller", email="sam@map.example")
    acme = fake.add_account("Acme", website="https://acme.example")
    ids = {
        "owner": owner,
        "acme": acme,
        "big": fake.add_opportunity(
            "Big deal", amount=90000, owner_id=owner, account_id=acme, close_date="2026-04-15"
        ),
        "small": fake.add_opportunity(
            "Small deal",
            amount=1000,
            owner_id=owner,
            stage="Qualification",
            close_date="2026-02-01",
        ),
        "lost": fake.add_opportunity("Lost o'deal", amount=500, stage="Closed Lost"),
    }
    return ids


def test_ids_are_18_characters_with_key_prefixes(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    assert ids["owner"].startswith("005") and len(ids["owner"]) == 18
    assert ids["acme"].startswith("001")
    assert ids["big"].startswith("006")
    assert fake.add_contact("buyer@acme.example", account_id=ids["acme"]).startswith("003")
    assert fake.add_task(ids["big"], "Kickoff").startswith("00T")


def test_query_nests_relationship_fields_and_filters(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    sf = client(fake)
    result = sf.query(
        "SELECT Id, Name, Amount, Owner.Email, Account.Name, Account.Website FROM Opportunity "
        "WHERE Amount >= 500 ORDER BY Amount DESC"
    )
    assert result["totalSize"] == 3 and result["done"] is True
    big, _small, lost = result["records"]
    assert big["attributes"] == {
        "type": "Opportunity",
        "url": f"/services/data/v62.0/sobjects/Opportunity/{ids['big']}",
    }
    assert big["Owner"]["Email"] == "sam@map.example"
    assert big["Owner"]["attributes"]["type"] == "User"
    assert big["Account"]["Name"] == "Acme"
    assert big["Account"]["Website"] == "https://acme.example"
    assert lost["Account"] is None

    def names(where: str) -> list[str]:
        soql = f"SELECT Name FROM Opportunity WHERE {where} ORDER BY Name"
        return [r["Name"] for r in sf.query(soql)["records"]]

    assert names("StageName = 'qualification'") == ["Small deal"]  # case-insensitive
    assert names("Name LIKE '%deal'") == ["Big deal", "Lost o'deal", "Small deal"]
    assert names("Name = 'Lost o\\'deal'") == ["Lost o'deal"]
    assert names("StageName IN ('Prospecting', 'Qualification')") == ["Big deal", "Small deal"]
    assert names("StageName NOT IN ('Prospecting')") == ["Lost o'deal", "Small deal"]
    assert names("NOT (Amount > 600) AND IsClosed = false") == []
    assert names("(Amount > 50000 OR Amount < 600) AND IsClosed = true") == ["Lost o'deal"]
    assert names("CloseDate < 2026-03-01") == ["Small deal"]
    assert names("AccountId = null") == ["Lost o'deal", "Small deal"]
    assert names("AccountId != null") == ["Big deal"]
    assert names("Owner.Email = 'sam@map.example'") == ["Big deal", "Small deal"]
    limited = sf.query("SELECT Name FROM Opportunity ORDER BY Amount ASC LIMIT 1")
    assert [r["Name"] for r in limited["records"]] == ["Lost o'deal"]
    assert fake.count("query") == 13


def test_query_all_follows_next_records_url(fake: SalesforceFake) -> None:
    fake.page_size = 3
    for n in range(8):
        fake.add_opportunity(f"Deal {n}")
    sf = client(fake)
    first = sf.query("SELECT Id FROM Opportunity")
    assert first["done"] is False and first["totalSize"] == 8
    assert len(first["records"]) == 3
    assert re.fullmatch(r"/services/data/v62\.0/query/01g\w{15}-3", first["nextRecordsUrl"])
    everything = sf.query_all("SELECT Id, Name FROM Opportunity")
    assert everything["totalSize"] == 8
    assert sorted(r["Name"] for r in everything["records"]) == [f"Deal {n}" for n in range(8)]
    assert fake.count("query") == 1 + 3


@pytest.mark.parametrize(
    ("soql", "code", "message"),
    [
        (
            "SELECT Id, Nmae FROM Opportunity",
            "INVALID_FIELD",
            "\nSELECT Id, Nmae FROM Opportunity\n           ^\nERROR at Row:1:Column:12\n"
            "No such column 'Nmae' on entity 'Opportunity'. If you are attempting to use a "
            "custom field, be sure to append the '__c' after the custom field name. Please "
            "reference your WSDL or the describe call for the appropriate names.",
        ),
        (
            "SELECT Id FROM Opportunty",
            "INVALID_TYPE",
            "\nSELECT Id FROM Opportunty\n               ^\nERROR at Row:1:Column:16\n"
            "sObject type 'Opportunty' is not supported. If you are attempting to use a custom "
            "object, be sure to append the '__c' after the entity name. Please reference your "
            "WSDL or the describe call for the appropriate names.",
        ),
        (
            "SELECT Id FORM Opportunity",
            "MALFORMED_QUERY",
            "\nSELECT Id FORM Opportunity\n          ^\nERROR at Row:1:Column:11\n"
            "unexpected token: 'FORM'",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate > '2026-01-01'",
            "INVALID_QUERY_FILTER_OPERATOR",
            None,
        ),
        ("SELECT Id, Boss.Name FROM Opportunity", "INVALID_FIELD", None),
        ("SELECT Id FROM Opportunity WHERE", "MALFORMED_QUERY", None),
    ],
)
def test_query_refusals(fake: SalesforceFake, soql: str, code: str, message: str | None) -> None:
    sf = client(fake)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    (error,) = content(caught.value)
    assert error["errorCode"] == code
    if message is not None:
        assert error["message"] == message


def test_any_api_version_is_served(fake: SalesforceFake) -> None:
    token = jwt_token(fake).json()["access_token"]
    sf = Salesforce(instance_url=fake.url, session_id=token, version="59.0", session=trusting(fake))
    assert sf.query("SELECT Id FROM OpportunityStage")["totalSize"] == 10


def test_standard_stages_are_seeded(fake: SalesforceFake) -> None:
    sf = client(fake)
    stages = sf.query(
        "SELECT ApiName, SortOrder, DefaultProbability, ForecastCategoryName, IsClosed, IsWon "
        "FROM OpportunityStage WHERE IsActive = true ORDER BY SortOrder"
    )["records"]
    assert [(s["ApiName"], s["DefaultProbability"], s["ForecastCategoryName"]) for s in stages] == [
        ("Prospecting", 10, "Pipeline"),
        ("Qualification", 10, "Pipeline"),
        ("Needs Analysis", 20, "Pipeline"),
        ("Value Proposition", 50, "Pipeline"),
        ("Id. Decision Makers", 60, "Pipeline"),
        ("Perception Analysis", 70, "Pipeline"),
        ("Proposal/Price Quote", 75, "Pipeline"),
        ("Negotiation/Review", 90, "Pipeline"),
        ("Closed Won", 100, "Closed"),
        ("Closed Lost", 0, "Omitted"),
    ]
    assert [s["ApiName"] for s in stages if s["IsWon"]] == ["Closed Won"]


# --------------------------------------------------------------------------- describe


def test_describe_opportunity(fake: SalesforceFake) -> None:
    sf = client(fake)
    described = sobject(sf, "Opportunity").describe()
    assert described["name"] == "Opportunity"
    fields = {f["name"]: f for f in described["fields"]}
    assert {
        "Id",
        "Name",
        "Amount",
        "StageName",
        "CloseDate",
        "IsClosed",
        "IsWon",
        "OwnerId",
    } <= set(fields)
    assert "CurrencyIsoCode" not in fields
    stage = fields["StageName"]
    assert stage["type"] == "picklist" and stage["restrictedPicklist"] is True
    assert stage["picklistValues"][0] == {
        "value": "Prospecting",
        "label": "Prospecting",
        "active": True,
        "defaultValue": False,
        "validFor": None,
    }
    assert fields["IsClosed"]["updateable"] is False
    assert fields["CloseDate"]["type"] == "date"
    assert fields["Probability"]["type"] == "percent"
    assert fields["OwnerId"]["referenceTo"] == ["User"]
    assert fields["OwnerId"]["relationshipName"] == "Owner"
    assert fake.count("describe") == 1
    # the trailing-slash form answers the same
    slashed = sf.restful("sobjects/Opportunity/describe/")
    assert slashed is not None and slashed["name"] == "Opportunity"


# ------------------------------------------------------------------------------ writes


def test_update_stage_sets_probability_forecast_and_closed_flags(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    before = fake.record(ids["big"])
    sf = client(fake)
    time.sleep(0.002)
    assert sobject(sf, "Opportunity").update(ids["big"], {"StageName": "Closed Won"}) == 204
    after = fake.record(ids["big"])
    assert after["Probability"] == 100
    assert after["ForecastCategoryName"] == "Closed"
    assert after["IsClosed"] is True and after["IsWon"] is True
    assert after["LastModifiedDate"] > before["LastModifiedDate"]
    sobject(sf, "Opportunity").update(
        ids["big"], {"StageName": "Negotiation/Review", "Probability": 85}
    )
    again = fake.record(ids["big"])
    assert again["Probability"] == 85 and again["IsClosed"] is False
    assert fake.count("sobject_update") == 2
    assert fake.count("stage_move") == 2


@pytest.mark.parametrize(
    ("values", "error"),
    [
        (
            {"Nope__c": 1},
            {
                "message": "No such column 'Nope__c' on sobject of type Opportunity",
                "errorCode": "INVALID_FIELD",
            },
        ),
        (
            {"IsClosed": True},
            {
                "message": "Unable to create/update fields: IsClosed. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set.",
                "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
                "fields": ["IsClosed"],
            },
        ),
        (
            {"StageName": "Won-ish"},
            {
                "message": "Stage: bad value for restricted picklist field: Won-ish",
                "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                "fields": ["StageName"],
            },
        ),
        ({"CloseDate": "next week"}, {"errorCode": "JSON_PARSER_ERROR"}),
        ({"Amount": "lots"}, {"errorCode": "JSON_PARSER_ERROR"}),
        (
            {"Name": None},
            {
                "message": "Required fields are missing: [Name]",
                "errorCode": "REQUIRED_FIELD_MISSING",
                "fields": ["Name"],
            },
        ),
    ],
)
def test_single_update_refusals(
    fake: SalesforceFake, values: dict[str, Any], error: dict[str, Any]
) -> None:
    ids = seed_pipeline(fake)
    before = fake.record(ids["big"])
    sf = client(fake)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sobject(sf, "Opportunity").update(ids["big"], values)
    (got,) = content(caught.value)
    assert {k: got[k] for k in error} == error
    assert fake.record(ids["big"]) == before


def test_update_of_deleted_or_unknown_record_is_not_found(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    fake.delete(ids["lost"])
    sf = client(fake)
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sobject(sf, "Opportunity").update(ids["lost"], {"Amount": 1})
    assert content(caught.value)[0]["errorCode"] == "ENTITY_IS_DELETED"
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sobject(sf, "Opportunity").update("006000000000000AAA", {"Amount": 1})
    assert content(missing.value) == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_read_a_record_with_chosen_fields(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    sf = client(fake)
    got = sobject(sf, "Opportunity").get(ids["big"])
    assert got["Name"] == "Big deal" and got["attributes"]["type"] == "Opportunity"
    assert "MAP_Health__c" not in got
    fake.delete(ids["big"])
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sobject(sf, "Opportunity").get(ids["big"])
    assert content(caught.value)[0]["errorCode"] == "ENTITY_IS_DELETED"
    assert fake.count("sobject_read") == 2 and fake.count("read") == 2


def collections(
    sf: Salesforce, records: list[dict[str, Any]], all_or_none: bool = False, method: str = "PATCH"
) -> Any:
    return sf.restful(
        "composite/sobjects",
        method=method,
        json={"allOrNone": all_or_none, "records": records},
    )


def opp(record_id: str, **values: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Opportunity"}, "id": record_id, **values}


def test_collections_update_reports_each_record_in_order(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    fake.delete(ids["lost"])
    sf = client(fake)
    results = collections(
        sf,
        [
            opp(ids["big"], StageName="Proposal/Price Quote"),
            opp(ids["lost"], Amount=1),
            opp("006000000000000AAA", Amount=1),
            opp("001000000000000AAA", Amount=1),
            opp(ids["small"], IsWon=True),
            opp(ids["small"], StageName="Maybe"),
            opp(ids["small"], Amount=2000),
        ],
    )
    assert results[0] == {"id": ids["big"], "success": True, "errors": []}
    assert results[1] == {
        "success": False,
        "errors": [
            {"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}
        ],
    }
    assert results[2]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert results[3]["errors"][0] == {
        "statusCode": "MALFORMED_ID",
        "message": "malformed id 001000000000000AAA",
        "fields": ["Id"],
    }
    assert results[4]["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert results[5]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert results[6] == {"id": ids["small"], "success": True, "errors": []}
    assert fake.record(ids["big"])["Probability"] == 75
    assert fake.record(ids["small"])["Amount"] == 2000
    assert fake.count("collections_update") == 1


def test_collections_all_or_none_rolls_everything_back(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    sf = client(fake)
    results = collections(
        sf, [opp(ids["big"], Amount=1), opp(ids["small"], StageName="Maybe")], all_or_none=True
    )
    assert results[0] == {
        "id": ids["big"],
        "success": False,
        "errors": [
            {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the "
                "request was using AllOrNone header",
                "fields": [],
            }
        ],
    }
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert fake.record(ids["big"])["Amount"] == 90000


def test_collections_request_level_refusals(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    sf = client(fake)
    with pytest.raises(SalesforceMalformedRequest) as too_many:
        collections(sf, [opp(ids["big"], Amount=n) for n in range(201)])
    assert content(too_many.value) == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        collections(sf, [opp(ids["big"], Amount=5), opp(ids["small"], Nope__c=1)])
    assert content(unknown.value) == [
        {
            "message": "No such column 'Nope__c' on sobject of type Opportunity",
            "errorCode": "INVALID_FIELD",
        }
    ]
    with pytest.raises(SalesforceMalformedRequest) as typed:
        collections(sf, [opp(ids["big"], CloseDate=20260101)])
    assert content(typed.value)[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert fake.record(ids["big"])["Amount"] == 90000  # nothing was saved


def test_collections_create_and_task_notes(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    sf = client(fake)
    results = collections(
        sf,
        [
            {"attributes": {"type": "Task"}, "WhatId": ids["big"], "Subject": "MAP: kickoff done"},
            {"attributes": {"type": "Opportunity"}, "Name": "New", "StageName": "Prospecting"},
        ],
        method="POST",
    )
    assert results[0]["success"] is True and results[0]["id"].startswith("00T")
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [CloseDate]",
                "fields": ["CloseDate"],
            }
        ],
    }
    task = fake.record(results[0]["id"])
    assert task["Status"] == "Not Started"
    assert fake.count("collections_create") == 1
    assert fake.count("note") == 1
    found = sf.query(f"SELECT Subject, Owner.Username FROM Task WHERE WhatId = '{ids['big']}'")
    assert found["records"][0]["Owner"]["Username"] == ADMIN


# ------------------------------------------------- tooling: custom fields and FLS


def create_field(sf: Salesforce, name: str, metadata: dict[str, Any]) -> Any:
    return sf.toolingexecute(
        "sobjects/CustomField",
        method="POST",
        data={"FullName": f"Opportunity.{name}", "Metadata": metadata},
    )


FIELD_TYPES: list[tuple[str, dict[str, Any], str]] = [
    ("MAP_Next_Step__c", {"label": "MAP next step", "type": "Text", "length": 255}, "string"),
    ("MAP_Due__c", {"label": "MAP due", "type": "Date"}, "date"),
    (
        "MAP_Steps__c",
        {"label": "MAP steps", "type": "Number", "precision": 5, "scale": 0},
        "double",
    ),
    (
        "MAP_Done__c",
        {"label": "MAP done", "type": "Percent", "precision": 5, "scale": 2},
        "percent",
    ),
    ("MAP_Link__c", {"label": "MAP link", "type": "Url"}, "url"),
    ("MAP_Live__c", {"label": "MAP live", "type": "Checkbox", "defaultValue": "false"}, "boolean"),
    (
        "MAP_Health__c",
        {
            "label": "MAP health",
            "type": "Picklist",
            "valueSet": {
                "restricted": True,
                "valueSetDefinition": {
                    "sorted": False,
                    "value": [
                        {"fullName": "On track", "default": False, "label": "On track"},
                        {"fullName": "At risk", "default": False, "label": "At risk"},
                    ],
                },
            },
        },
        "picklist",
    ),
]


def grant(sf: Salesforce, user_id: str, field_name: str, edit: bool = True) -> None:
    ps = sobject(sf, "PermissionSet").create(
        {"Name": f"MAP_{field_name[:-3]}", "Label": "MAP fields"}
    )
    assert ps["success"] is True and ps["id"].startswith("0PS")
    fp = sobject(sf, "FieldPermissions").create(
        {
            "ParentId": ps["id"],
            "SobjectType": "Opportunity",
            "Field": f"Opportunity.{field_name}",
            "PermissionsRead": True,
            "PermissionsEdit": edit,
        }
    )
    assert fp["success"] is True
    psa = sobject(sf, "PermissionSetAssignment").create(
        {"AssigneeId": user_id, "PermissionSetId": ps["id"]}
    )
    assert psa["id"].startswith("0Pa")


def admin_id(fake: SalesforceFake) -> str:
    return str(jwt_token(fake).json()["id"]).rsplit("/", 1)[1]


def test_tooling_custom_fields_appear_only_with_field_permissions(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    sf = client(fake)
    me = admin_id(fake)
    for name, metadata, _type in FIELD_TYPES:
        created = create_field(sf, name, metadata)
        assert created["success"] is True and created["id"].startswith("00N"), created
        assert created == {
            "id": created["id"],
            "success": True,
            "errors": [],
            "warnings": [],
            "infos": [],
        }
    # Created through the Tooling API, the fields grant no access by themselves.
    names = {f["name"] for f in sobject(sf, "Opportunity").describe()["fields"]}
    assert not names & {name for name, _m, _t in FIELD_TYPES}
    with pytest.raises(SalesforceMalformedRequest) as hidden:
        sf.query("SELECT MAP_Health__c FROM Opportunity")
    assert content(hidden.value)[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as unwritable:
        sobject(sf, "Opportunity").update(ids["big"], {"MAP_Health__c": "On track"})
    assert content(unwritable.value)[0]["errorCode"] == "INVALID_FIELD"

    for name, _metadata, _type in FIELD_TYPES:
        grant(sf, me, name, edit=name != "MAP_Steps__c")
    fields = {f["name"]: f for f in sobject(sf, "Opportunity").describe()["fields"]}
    for name, _metadata, kind in FIELD_TYPES:
        assert fields[name]["type"] == kind
        assert fields[name]["custom"] is True
    assert fields["MAP_Health__c"]["restrictedPicklist"] is True
    assert [p["value"] for p in fields["MAP_Health__c"]["picklistValues"]] == [
        "On track",
        "At risk",
    ]
    assert fields["MAP_Steps__c"]["updateable"] is False
    assert fields["MAP_Done__c"]["scale"] == 2

    sobject(sf, "Opportunity").update(
        ids["big"], {"MAP_Health__c": "At risk", "MAP_Due__c": "2026-03-01", "MAP_Live__c": True}
    )
    row = sf.query(f"SELECT MAP_Health__c, MAP_Due__c FROM Opportunity WHERE Id = '{ids['big']}'")
    assert row["records"][0]["MAP_Health__c"] == "At risk"
    assert row["records"][0]["MAP_Due__c"] == "2026-03-01"
    with pytest.raises(SalesforceMalformedRequest) as read_only:
        sobject(sf, "Opportunity").update(ids["big"], {"MAP_Steps__c": 3})
    assert content(read_only.value)[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(SalesforceMalformedRequest) as bad_value:
        sobject(sf, "Opportunity").update(ids["big"], {"MAP_Health__c": "Doomed"})
    assert content(bad_value.value)[0]["message"] == (
        "MAP health: bad value for restricted picklist field: Doomed"
    )
    with pytest.raises(SalesforceMalformedRequest) as too_long:
        sobject(sf, "Opportunity").update(ids["big"], {"MAP_Next_Step__c": "x" * 256})
    assert content(too_long.value)[0]["errorCode"] == "STRING_TOO_LONG"

    fake.remove_field("MAP_Health__c")
    with pytest.raises(SalesforceMalformedRequest):
        sf.query("SELECT MAP_Health__c FROM Opportunity")
    assert "MAP_Health__c" not in {
        f["name"] for f in sobject(sf, "Opportunity").describe()["fields"]
    }
    listed = sf.toolingexecute(
        "query/?q="
        + "SELECT+Id,+DeveloperName+FROM+CustomField+WHERE+TableEnumOrId+=+'Opportunity'"
    )
    assert "MAP_Health" not in {r["DeveloperName"] for r in listed["records"]}
    assert "MAP_Due" in {r["DeveloperName"] for r in listed["records"]}


def test_tooling_custom_field_refusals(fake: SalesforceFake) -> None:
    sf = client(fake)
    create_field(sf, "MAP_Health__c", {"label": "Health", "type": "Text", "length": 40})
    cases: list[tuple[str, dict[str, Any], str]] = [
        (
            "MAP_Health__c",
            {"label": "Health", "type": "Text", "length": 40},
            "DUPLICATE_DEVELOPER_NAME",
        ),
        ("MAP_Count__c", {"label": "Count", "type": "Number"}, "FIELD_INTEGRITY_EXCEPTION"),
        ("MAP_Note__c", {"label": "Note", "type": "Text"}, "FIELD_INTEGRITY_EXCEPTION"),
        ("MAP_Blob__c", {"label": "Blob", "type": "Html"}, "FIELD_INTEGRITY_EXCEPTION"),
        ("MAP_Bad", {"label": "Bad", "type": "Date"}, "FIELD_INTEGRITY_EXCEPTION"),
        ("MAP_Odd__c", {"label": "Odd", "type": "Date", "colour": "red"}, "JSON_PARSER_ERROR"),
    ]
    for name, metadata, code in cases:
        with pytest.raises(SalesforceMalformedRequest) as caught:
            create_field(sf, name, metadata)
        assert content(caught.value)[0]["errorCode"] == code, (name, content(caught.value))


def test_setup_object_duplicates(fake: SalesforceFake) -> None:
    sf = client(fake)
    me = admin_id(fake)
    create_field(sf, "MAP_Health__c", {"label": "Health", "type": "Text", "length": 40})
    grant(sf, me, "MAP_Health__c")
    ps_id = sf.query("SELECT Id FROM PermissionSet")["records"][0]["Id"]
    with pytest.raises(SalesforceMalformedRequest) as dup_ps:
        sobject(sf, "PermissionSet").create({"Name": "MAP_MAP_Health", "Label": "again"})
    assert content(dup_ps.value)[0]["errorCode"] == "DUPLICATE_VALUE"
    with pytest.raises(SalesforceMalformedRequest) as dup_fp:
        sobject(sf, "FieldPermissions").create(
            {
                "ParentId": ps_id,
                "SobjectType": "Opportunity",
                "Field": "Opportunity.MAP_Health__c",
                "PermissionsRead": True,
            }
        )
    assert content(dup_fp.value)[0]["errorCode"] == "DUPLICATE_VALUE"
    with pytest.raises(SalesforceMalformedRequest) as dup_psa:
        sobject(sf, "PermissionSetAssignment").create({"AssigneeId": me, "PermissionSetId": ps_id})
    assert content(dup_psa.value)[0]["errorCode"] == "DUPLICATE_VALUE"
    with pytest.raises(SalesforceMalformedRequest) as no_field:
        sobject(sf, "FieldPermissions").create(
            {"ParentId": ps_id, "SobjectType": "Opportunity", "Field": "Opportunity.Nope__c"}
        )
    assert content(no_field.value)[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    granted = sf.query(
        "SELECT Field, PermissionsRead, PermissionsEdit FROM FieldPermissions "
        "WHERE SobjectType = 'Opportunity'"
    )
    assert granted["records"][0]["Field"] == "Opportunity.MAP_Health__c"


# ------------------------------------------------------------------ validation rules


def create_rule(sf: Salesforce, name: str, formula: str, message: str, **extra: Any) -> Any:
    return sf.toolingexecute(
        "sobjects/ValidationRule",
        method="POST",
        data={
            "FullName": f"Opportunity.{name}",
            "Metadata": {
                "active": True,
                "description": "MAP guard",
                "errorConditionFormula": formula,
                "errorMessage": message,
                **extra,
            },
        },
    )


def test_validation_rule_refuses_one_record_while_the_other_saves(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    sf = client(fake)
    rule = create_rule(
        sf,
        "Small_Deals_Need_Review",
        'AND(ISCHANGED(StageName), ISPICKVAL(StageName, "Closed Won"), Amount < 5000)',
        "Deals under 5000 need a review before Closed Won.",
        errorDisplayField="StageName",
    )
    assert rule["success"] is True and rule["id"].startswith("03d")
    results = collections(
        sf, [opp(ids["small"], StageName="Closed Won"), opp(ids["big"], StageName="Closed Won")]
    )
    assert results[0] == {
        "success": False,
        "errors": [
            {
                "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "message": "Deals under 5000 need a review before Closed Won.",
                "fields": ["StageName"],
            }
        ],
    }
    assert results[1] == {"id": ids["big"], "success": True, "errors": []}
    assert fake.record(ids["small"])["StageName"] == "Qualification"
    # Deactivated through the Tooling API, the rule no longer applies.
    sf.toolingexecute(
        f"sobjects/ValidationRule/{rule['id']}",
        method="PATCH",
        data={
            "Metadata": {
                "active": False,
                "errorConditionFormula": 'ISPICKVAL(StageName, "Closed Won")',
                "errorMessage": "off",
            }
        },
    )
    sobject(sf, "Opportunity").update(ids["small"], {"StageName": "Closed Won"})
    assert fake.record(ids["small"])["IsWon"] is True
    listed = sf.toolingexecute("query/?q=SELECT+Id,+ValidationName,+Active+FROM+ValidationRule")
    assert listed["records"][0]["Active"] is False


def test_validation_rules_with_priorvalue_text_and_operators(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    sf = client(fake)
    create_rule(
        sf,
        "No_Reopen",
        'TEXT(PRIORVALUE(StageName)) = "Closed Lost" && NOT(ISPICKVAL(StageName, "Closed Lost"))',
        "Lost deals stay lost.",
    )
    create_rule(sf, "Name_Set", "ISBLANK(Name) || Amount > 1000000", "Too big.")
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sobject(sf, "Opportunity").update(ids["lost"], {"StageName": "Prospecting"})
    assert content(caught.value) == [
        {
            "message": "Lost deals stay lost.",
            "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "fields": [],
        }
    ]
    with pytest.raises(SalesforceMalformedRequest):
        sobject(sf, "Opportunity").update(ids["big"], {"Amount": 2000000})
    sobject(sf, "Opportunity").update(ids["big"], {"Amount": 95000})
    assert fake.record(ids["big"])["Amount"] == 95000


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("VLOOKUP(Name, Name, Name)", "Error: Unknown function VLOOKUP. Check spelling."),
        ("ISBLANK(Nope__c)", "Error: Field Nope__c does not exist. Check spelling."),
        (
            'StageName = "Closed Won"',
            "Error: Field StageName is a picklist field. Picklist fields are only supported in "
            "certain functions.",
        ),
        ("AND(ISBLANK(Name)", "Error: Syntax error. Missing ')'"),
    ],
)
def test_validation_rule_formula_refusals(fake: SalesforceFake, formula: str, message: str) -> None:
    sf = client(fake)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        create_rule(sf, "Bad_Rule", formula, "never")
    assert content(caught.value) == [
        {
            "message": message,
            "errorCode": "FIELD_INTEGRITY_EXCEPTION",
            "fields": ["Metadata.errorConditionFormula"],
        }
    ]
    assert fake.count("tooling") == 1


# ----------------------------------------------------------------------------- layouts


def test_layouts_are_queryable_readable_and_patchable(fake: SalesforceFake) -> None:
    extra = fake.add_layout("MAP Layout")
    sf = client(fake)
    found = sf.toolingexecute(
        "query/?q=SELECT+Id,+Name+FROM+Layout+WHERE+TableEnumOrId+=+'Opportunity'+ORDER+BY+Name"
    )
    assert [r["Name"] for r in found["records"]] == ["MAP Layout", "Opportunity Layout"]
    layout_id = found["records"][1]["Id"]
    assert layout_id.startswith("00h") and found["records"][0]["Id"] == extra
    layout = sf.toolingexecute(f"sobjects/Layout/{layout_id}")
    assert layout["Name"] == "Opportunity Layout"
    metadata = layout["Metadata"]
    metadata["layoutSections"].append(
        {
            "label": "Mutual Action Plan",
            "style": "OneColumn",
            "layoutColumns": [
                {"layoutItems": [{"behavior": "Readonly", "field": "MAP_Health__c"}]}
            ],
        }
    )
    sf.toolingexecute(f"sobjects/Layout/{layout_id}", method="PATCH", data={"Metadata": metadata})
    assert fake.layout(layout_id)["layoutSections"][-1]["label"] == "Mutual Action Plan"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.toolingexecute(
            f"sobjects/Layout/{layout_id}", method="PATCH", data={"Metadata": {"colour": "red"}}
        )
    assert content(caught.value)[0]["errorCode"] == "JSON_PARSER_ERROR"


# ------------------------------------------------------------------------ currency


def test_currency_iso_code_exists_only_with_multi_currency(fake: SalesforceFake) -> None:
    ids = seed_pipeline(fake)
    sf = client(fake)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sobject(sf, "Opportunity").update(ids["big"], {"CurrencyIsoCode": "EUR"})
    assert content(caught.value)[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest):
        sf.query("SELECT CurrencyIsoCode FROM Opportunity")
    fake.multi_currency = True
    fake.corporate_currency = "EUR"
    fake.currencies = ("EUR", "USD")
    new = fake.add_opportunity("Euro deal", amount=10)
    described = {f["name"]: f for f in sobject(sf, "Opportunity").describe()["fields"]}
    assert [p["value"] for p in described["CurrencyIsoCode"]["picklistValues"]] == ["EUR", "USD"]
    assert fake.record(new)["CurrencyIsoCode"] == "EUR"
    sobject(sf, "Opportunity").update(ids["big"], {"CurrencyIsoCode": "USD"})
    rows = sf.query(f"SELECT CurrencyIsoCode FROM Opportunity WHERE Id = '{ids['big']}'")
    assert rows["records"][0]["CurrencyIsoCode"] == "USD"
    with pytest.raises(SalesforceMalformedRequest) as bad:
        sobject(sf, "Opportunity").update(ids["big"], {"CurrencyIsoCode": "XXX"})
    assert content(bad.value)[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


# ------------------------------------------------------------------------ concurrency


def test_sixteen_threads_update_different_opportunities(fake: SalesforceFake) -> None:
    opps = [fake.add_opportunity(f"Deal {n}", amount=n) for n in range(16)]
    token = jwt_token(fake).json()["access_token"]
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def work(n: int) -> None:
        try:
            session = trusting(fake)
            sf = Salesforce(
                instance_url=fake.url, session_id=token, version="62.0", session=session
            )
            start.wait()
            for round_ in range(3):
                sobject(sf, "Opportunity").update(
                    opps[n], {"Amount": n * 100 + round_, "StageName": "Needs Analysis"}
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for n, record_id in enumerate(opps):
        record = fake.record(record_id)
        assert record["Amount"] == n * 100 + 2
        assert record["Probability"] == 20
    assert fake.count("sobject_update") == 48
    assert fake.api_usage() == 48


# ------------------------------------------------------------------------ assumptions


def test_every_assumption_marked_in_code_is_listed() -> None:
    folder = Path(salesforce_assumptions.__file__).parent
    source = (folder / "salesforce.py").read_text() + (folder / "soql.py").read_text()
    marked = set(re.findall(r"ASSUMPTION \(([a-z0-9-]+)\)", source))
    listed = {a.rule for a in salesforce_assumptions.ASSUMPTIONS}
    assert marked == listed
    table = salesforce_assumptions.markdown()
    assert table.startswith("| Rule | What the fake assumes | Why it is not confirmed |")
    assert table.count("\n") == len(salesforce_assumptions.ASSUMPTIONS) + 1
