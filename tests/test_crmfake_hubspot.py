"""The HubSpot fake, driven only through hubspot-api-client (configured with its public
options: access_token, host, ssl_ca_cert)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from hubspot import HubSpot
from hubspot.crm import companies, contacts
from hubspot.crm.associations.v4.exceptions import ApiException as AssocApiException
from hubspot.crm.deals import (
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
    SimplePublicObjectId,
    SimplePublicObjectInput,
)
from hubspot.crm.deals.exceptions import ApiException
from hubspot.crm.objects.notes import (
    AssociationSpec,
    BatchInputSimplePublicObjectBatchInputForCreate,
    PublicAssociationsForObject,
    PublicObjectId,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.notes.exceptions import ApiException as NotesApiException
from hubspot.crm.owners.exceptions import ApiException as OwnersApiException
from hubspot.crm.pipelines.exceptions import ApiException as PipelinesApiException
from hubspot.crm.properties import (
    BatchInputPropertyCreate,
    OptionInput,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyUpdate,
)
from hubspot.crm.properties.exceptions import ApiException as PropsApiException

from tests.crmfake import hubspot_assumptions
from tests.crmfake.hubspot import HubSpotFake, serve

ALL_SCOPES = [
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.schemas.deals.read",
    "crm.schemas.deals.write",
    "crm.objects.owners.read",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
]
KEY = "svc-key-all"


@pytest.fixture(scope="module")
def served() -> Iterator[HubSpotFake]:
    with serve() as fake:
        yield fake


@pytest.fixture()
def fake(served: HubSpotFake) -> HubSpotFake:
    """A fresh state per test, on the one HTTPS server of this module."""
    served.reset()
    served.add_key(KEY, ALL_SCOPES)
    return served


def client_for(fake: HubSpotFake, key: str = KEY) -> HubSpot:
    return HubSpot(access_token=key, host=fake.url, ssl_ca_cert=str(fake.ca_file))


@pytest.fixture()
def client(fake: HubSpotFake) -> HubSpot:
    return client_for(fake)


def body_of(exc: Any) -> dict[str, Any]:
    raw = exc.body
    return dict(json.loads(raw))


def search(client: HubSpot, groups: list[list[dict[str, Any]]], **kwargs: Any) -> Any:
    request = PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=[Filter(**f) for f in g]) for g in groups], **kwargs
    )
    return client.crm.deals.search_api.do_search(public_object_search_request=request)


def update(client: HubSpot, *items: tuple[str, dict[str, Any]]) -> Any:
    batch = BatchInputSimplePublicObjectBatchInput(
        inputs=[SimplePublicObjectBatchInput(id=i, properties=p) for i, p in items]
    )
    return client.crm.deals.batch_api.update(batch_input_simple_public_object_batch_input=batch)


def read(client: HubSpot, ids: list[str], properties: list[str]) -> Any:
    batch = BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in ids],
        properties=properties,
        properties_with_history=[],
    )
    return client.crm.deals.batch_api.read(batch_read_input_simple_public_object_id=batch)


def seed(fake: HubSpotFake) -> dict[str, str]:
    owner = fake.add_owner("ana@seller.example", "Ana", "Lopez", teams=["EMEA"])
    ids = {
        "owner": owner,
        "a": fake.add_deal("Acme renewal", 5000, "qualifiedtobuy", "2026-12-01", owner),
        "b": fake.add_deal("Globex pilot", 12000, "contractsent", "2027-01-15", owner),
        "c": fake.add_deal("Initech expansion", 800, "closedwon", "2026-10-01", None),
    }
    ids["contact"] = fake.add_contact("buyer@acme.example", "Bea", "Buyer")
    ids["company"] = fake.add_company("Acme", "acme.example")
    fake.associate(ids["a"], "contacts", ids["contact"])
    fake.associate(ids["b"], "companies", ids["company"])
    return ids


# ------------------------------------------------------------------------ connection, auth


def test_client_reaches_fake_with_host_and_ca_bundle_only(
    fake: HubSpotFake, client: HubSpot
) -> None:
    seed(fake)
    page = client.crm.owners.owners_api.get_page(email="ana@seller.example")
    owner = page.results[0]
    assert (owner.first_name, owner.last_name, owner.teams[0].name) == ("Ana", "Lopez", "EMEA")
    assert owner.teams[0].primary is True
    assert fake.calls("/crm/v3/owners")[0].query == "email=ana%40seller.example"


def test_without_the_ca_bundle_the_client_refuses_tls(fake: HubSpotFake) -> None:
    unverified = HubSpot(access_token=KEY, host=fake.url)
    with pytest.raises(urllib3.exceptions.MaxRetryError) as raised:
        unverified.crm.pipelines.pipelines_api.get_all(object_type="deals")
    assert isinstance(raised.value.reason, urllib3.exceptions.SSLError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value.reason)
    assert fake.calls() == []


def test_missing_or_unknown_key_is_401(fake: HubSpotFake) -> None:
    for key in ("", "not-a-key"):
        with pytest.raises(ApiException) as raised:
            search(client_for(fake, key), [])
        assert raised.value.status == 401
        body = body_of(raised.value)
        assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION"
        assert body["message"].startswith("Authentication credentials not found.")
        assert "correlationId" in body


def test_key_without_the_scope_is_403_missing_scopes(fake: HubSpotFake) -> None:
    ids = seed(fake)
    fake.add_key("read-only", ["crm.objects.deals.read"])
    reader = client_for(fake, "read-only")
    assert (
        read(reader, [ids["a"]], ["dealname"]).results[0].properties["dealname"] == "Acme renewal"
    )
    with pytest.raises(ApiException) as raised:
        update(reader, (ids["a"], {"amount": "1"}))
    assert raised.value.status == 403
    body = body_of(raised.value)
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredScopes"] == ["crm.objects.deals.write"]
    assert fake.deal(ids["a"])["amount"] == "5000"
    with pytest.raises(OwnersApiException) as owners:
        reader.crm.owners.owners_api.get_page()
    assert body_of(owners.value)["errors"][0]["context"]["requiredScopes"] == [
        "crm.objects.owners.read"
    ]
    with pytest.raises(PropsApiException) as schema:
        reader.crm.properties.groups_api.create(
            object_type="deals",
            property_group_create=PropertyGroupCreate(name="map", label="MAP"),
        )
    assert schema.value.status == 403


# ------------------------------------------------------------------------------ pipelines


def test_default_sales_pipeline(fake: HubSpotFake, client: HubSpot) -> None:
    pipelines = client.crm.pipelines.pipelines_api.get_all(object_type="deals").results
    default = next(p for p in pipelines if p.id == "default")
    got = [(s.id, s.metadata["probability"], s.metadata["isClosed"]) for s in default.stages]
    assert got == [
        ("appointmentscheduled", "0.2", "false"),
        ("qualifiedtobuy", "0.4", "false"),
        ("presentationscheduled", "0.6", "false"),
        ("decisionmakerboughtin", "0.8", "false"),
        ("contractsent", "0.9", "false"),
        ("closedwon", "1.0", "true"),
        ("closedlost", "0.0", "true"),
    ]
    fake.add_pipeline(
        "renewals", "Renewals", [("r_open", "Open", 0.5, False), ("r_won", "Won", 1.0, True)]
    )
    pipelines = client.crm.pipelines.pipelines_api.get_all(object_type="deals").results
    assert [p.id for p in pipelines] == ["default", "renewals"]


# ---------------------------------------------------------------------------------- search


def test_search_filters_groups_sorts_and_properties(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    found = search(client, [[{"property_name": "amount", "operator": "GT", "value": "1000"}]])
    assert {r.id for r in found.results} == {ids["a"], ids["b"]}
    assert set(found.results[0].properties) == {
        "dealname", "amount", "closedate", "pipeline", "dealstage", "createdate",
        "hs_lastmodifieddate", "hs_object_id",
    }  # fmt: skip
    ored = search(
        client,
        [
            [{"property_name": "dealstage", "operator": "EQ", "value": "closedwon"}],
            [
                {
                    "property_name": "amount",
                    "operator": "BETWEEN",
                    "value": "4000",
                    "high_value": "6000",
                },
                {"property_name": "dealname", "operator": "CONTAINS_TOKEN", "value": "acme*"},
            ],
        ],
        sorts=["-amount"],
        properties=["dealname", "hs_is_closed_won", "no_such_property"],
    )
    assert [r.id for r in ored.results] == [ids["a"], ids["c"]]
    assert ored.results[1].properties["hs_is_closed_won"] == "true"
    assert "no_such_property" not in ored.results[0].properties
    dated = search(
        client,
        [[{"property_name": "closedate", "operator": "LT", "value": "2026-11-01T00:00:00Z"}]],
    )
    assert [r.id for r in dated.results] == [ids["c"]]
    millis = search(
        client, [[{"property_name": "closedate", "operator": "GTE", "value": "1798761600000"}]]
    )
    assert [r.id for r in millis.results] == [ids["b"]]  # 2027-01-01 as epoch millis
    listed = search(
        client,
        [
            [
                {
                    "property_name": "dealstage",
                    "operator": "IN",
                    "values": ["closedwon", "contractsent"],
                }
            ]
        ],
    )
    assert {r.id for r in listed.results} == {ids["b"], ids["c"]}
    owned = search(
        client, [[{"property_name": "hubspot_owner_id", "operator": "NOT_HAS_PROPERTY"}]]
    )
    assert [r.id for r in owned.results] == [ids["c"]]


def test_search_by_association_and_paging(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    by_contact = search(
        client,
        [[{"property_name": "associations.contact", "operator": "EQ", "value": ids["contact"]}]],
    )
    assert [r.id for r in by_contact.results] == [ids["a"]]
    by_company = search(
        client,
        [[{"property_name": "associations.company", "operator": "EQ", "value": ids["company"]}]],
    )
    assert [r.id for r in by_company.results] == [ids["b"]]
    first = search(client, [], limit=2)
    assert first.total == 3 and len(first.results) == 2 and first.paging.next.after == "2"
    second = search(client, [], limit=2, after=first.paging.next.after)
    assert len(second.results) == 1 and second.paging is None
    fake.delete(ids["c"])
    assert search(client, []).total == 2


def test_contact_and_company_search(fake: HubSpotFake, client: HubSpot) -> None:
    seed(fake)
    by_email = contacts.Filter(property_name="email", operator="EQ", value="BUYER@acme.example")
    found = client.crm.contacts.search_api.do_search(
        public_object_search_request=contacts.PublicObjectSearchRequest(
            filter_groups=[contacts.FilterGroup(filters=[by_email])]
        )
    )
    assert found.results[0].properties["firstname"] == "Bea"
    assert set(found.results[0].properties) == {
        "createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname",
    }  # fmt: skip
    named = client.crm.companies.search_api.do_search(
        public_object_search_request=companies.PublicObjectSearchRequest(query="acme")
    )
    assert named.results[0].properties["domain"] == "acme.example"


@pytest.mark.parametrize(
    ("groups", "kwargs", "needle"),
    [
        ([[{"property_name": "amount", "operator": "HAS_PROPERTY"}]] * 6, {}, "filter groups"),
        ([[{"property_name": "amount", "operator": "HAS_PROPERTY"}] * 11], {}, "filter group"),
        (
            [[{"property_name": "amount", "operator": "HAS_PROPERTY"}] * 9] * 3,
            {},
            "Too many filters",
        ),
        ([], {"limit": 201}, "200"),
        ([], {"limit": 100, "after": "9950"}, "10000"),
        ([[{"property_name": "nope", "operator": "EQ", "value": "1"}]], {}, "nope"),
    ],
)
def test_search_limits_are_refused(
    fake: HubSpotFake,
    client: HubSpot,
    groups: list[list[dict[str, Any]]],
    kwargs: dict[str, Any],
    needle: str,
) -> None:
    with pytest.raises(ApiException) as raised:
        search(client, groups, **kwargs)
    assert raised.value.status == 400
    body = body_of(raised.value)
    assert body["category"] == "VALIDATION_ERROR" and needle in body["message"]


# ------------------------------------------------------------------------------ batch read


def test_batch_read_found_missing_and_merged(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    whole = read(client, [ids["a"], ids["b"]], ["dealname", "amount"])
    assert whole.status == "COMPLETE"
    assert {r.properties["dealname"] for r in whole.results} == {"Acme renewal", "Globex pilot"}
    assert set(whole.results[0].properties) == {
        "dealname", "amount", "hs_object_id", "createdate", "hs_lastmodifieddate",
    }  # fmt: skip
    fake.delete(ids["c"])
    partial = read(client, [ids["a"], "999999", ids["c"]], ["dealname"])
    assert [r.id for r in partial.results] == [ids["a"]]
    assert partial.num_errors == 1
    error = partial.errors[0]
    assert error.category == "OBJECT_NOT_FOUND" and error.context == {"ids": ["999999", ids["c"]]}
    assert fake.calls("/crm/v3/objects/deals/batch/read")[-1].status == 207
    fake.merge(ids["a"], ids["b"])
    merged = read(client, [ids["b"]], ["dealname", "hs_merged_object_ids"])
    assert merged.results[0].id == ids["a"]
    assert merged.results[0].properties["hs_merged_object_ids"] == ids["b"]
    with pytest.raises(ApiException) as raised:
        read(client, [str(i) for i in range(101)], ["dealname"])
    assert raised.value.status == 400 and "100" in body_of(raised.value)["message"]


# ---------------------------------------------------------------------------- batch update


def test_batch_update_writes_and_stamps(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    before = fake.deal(ids["a"])["hs_lastmodifieddate"]
    answer = update(
        client,
        (ids["a"], {"dealstage": "closedwon", "closedate": "1798761600000"}),
        (ids["b"], {"amount": "12500.50", "closedate": "2027-02-01"}),
    )
    assert answer.status == "COMPLETE" and len(answer.results) == 2
    deal_a = fake.deal(ids["a"])
    assert deal_a["dealstage"] == "closedwon" and deal_a["closedate"] == "2027-01-01T00:00:00.000Z"
    assert deal_a["hs_is_closed"] == "true" and deal_a["hs_is_closed_won"] == "true"
    assert deal_a["hs_lastmodifieddate"] is not None and deal_a["hs_lastmodifieddate"] >= str(
        before
    )
    assert fake.deal(ids["b"])["amount"] == "12500.50"
    assert fake.count("stage_moves") == 1


@pytest.mark.parametrize(
    ("properties", "code"),
    [
        ({"map_health": "green"}, "PROPERTY_DOESNT_EXIST"),
        ({"deal_currency_code": "XXX"}, "INVALID_OPTION"),
        ({"amount": "lots"}, "INVALID_INTEGER"),
        ({"amount": "1", "hs_is_closed": "true"}, "READ_ONLY_VALUE"),
        ({"dealstage": "r_open"}, "INVALID_OPTION"),
    ],
)
def test_batch_update_invalid_value_fails_whole_batch(
    fake: HubSpotFake, client: HubSpot, properties: dict[str, str], code: str
) -> None:
    ids = seed(fake)
    fake.add_pipeline("renewals", "Renewals", [("r_open", "Open", 0.5, False)])
    with pytest.raises(ApiException) as raised:
        update(client, (ids["b"], {"dealname": "renamed"}), (ids["a"], properties))
    assert raised.value.status == 400
    body = body_of(raised.value)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid: ")
    detail = json.loads(body["message"].split(": ", 1)[1])
    assert detail[0]["isValid"] is False and detail[0]["error"] == code
    assert body["errors"][0]["code"] == code
    assert fake.deal(ids["b"])["dealname"] == "Globex pilot"  # nothing written


def test_dates_must_be_midnight_utc_or_a_calendar_day(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    client.crm.properties.core_api.create(
        object_type="deals",
        property_create=PropertyCreate(
            name="map_next_step_due",
            label="Next step due",
            type="date",
            field_type="date",
            group_name="dealinformation",
        ),
    )
    update(client, (ids["a"], {"map_next_step_due": "1798761600000"}))
    assert fake.deal(ids["a"])["map_next_step_due"] == "2027-01-01"
    update(client, (ids["a"], {"map_next_step_due": "2027-03-04"}))
    assert fake.deal(ids["a"])["map_next_step_due"] == "2027-03-04"
    for bad in ("1798761600001", "2027-02-30", "next week"):
        with pytest.raises(ApiException) as raised:
            update(client, (ids["a"], {"map_next_step_due": bad}))
        assert body_of(raised.value)["errors"][0]["code"] == "INVALID_DATE"


def test_batch_update_missing_id_is_207_and_others_written(
    fake: HubSpotFake, client: HubSpot
) -> None:
    ids = seed(fake)
    fake.delete(ids["c"])
    answer = update(
        client,
        (ids["a"], {"amount": "7"}),
        ("424242", {"amount": "8"}),
        (ids["c"], {"amount": "9"}),
    )
    assert answer.num_errors == 1
    assert answer.errors[0].category == "OBJECT_NOT_FOUND"
    assert answer.errors[0].context == {"ids": ["424242", ids["c"]]}
    assert fake.deal(ids["a"])["amount"] == "7"
    assert fake.calls("/crm/v3/objects/deals/batch/update")[-1].status == 207


def test_batch_update_over_100_and_duplicates_are_refused(
    fake: HubSpotFake, client: HubSpot
) -> None:
    ids = seed(fake)
    with pytest.raises(ApiException) as raised:
        update(client, *[(ids["a"], {"amount": str(i)}) for i in range(101)])
    assert raised.value.status == 400 and "101 > 100" in body_of(raised.value)["message"]
    with pytest.raises(ApiException) as dupes:
        update(client, (ids["a"], {"amount": "1"}), (ids["a"], {"amount": "2"}))
    assert "Duplicate IDs" in body_of(dupes.value)["message"]


def test_stage_of_another_pipeline_needs_the_pipeline(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    fake.add_pipeline("renewals", "Renewals", [("r_open", "Open", 0.5, False)])
    with pytest.raises(ApiException):
        update(client, (ids["a"], {"dealstage": "r_open"}))
    update(client, (ids["a"], {"dealstage": "r_open", "pipeline": "renewals"}))
    assert fake.deal(ids["a"])["pipeline"] == "renewals"


def test_patch_one_deal(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    result = client.crm.deals.basic_api.update(
        deal_id=ids["a"],
        simple_public_object_input=SimplePublicObjectInput(properties={"amount": "99"}),
    )
    assert result.properties["amount"] == "99"
    with pytest.raises(ApiException) as raised:
        client.crm.deals.basic_api.update(
            deal_id="31337",
            simple_public_object_input=SimplePublicObjectInput(properties={"amount": "1"}),
        )
    assert raised.value.status == 404 and body_of(raised.value)["category"] == "OBJECT_NOT_FOUND"
    assert fake.count("batch_update") == 2


def test_stage_requirement_refuses_the_move(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    client.crm.properties.core_api.create(
        object_type="deals",
        property_create=PropertyCreate(
            name="map_signed_by",
            label="Signed by",
            type="string",
            field_type="text",
            group_name="dealinformation",
        ),
    )
    fake.require_for_stage("contractsent", ["map_signed_by"])
    with pytest.raises(ApiException) as raised:
        update(client, (ids["a"], {"dealstage": "contractsent"}))
    body = body_of(raised.value)
    assert raised.value.status == 400 and body["errors"][0]["code"] == "REQUIRED_PROPERTY"
    assert fake.deal(ids["a"])["dealstage"] == "qualifiedtobuy"
    update(client, (ids["a"], {"dealstage": "contractsent", "map_signed_by": "Bea Buyer"}))
    assert fake.deal(ids["a"])["dealstage"] == "contractsent"
    update(client, (ids["a"], {"amount": "1"}))  # staying in the stage is not a move


# ------------------------------------------------------------------------------ properties


def test_default_properties_and_their_types(fake: HubSpotFake, client: HubSpot) -> None:
    seed(fake)
    found = {p.name: p for p in client.crm.properties.core_api.get_all(object_type="deals").results}
    expected = {
        "dealname": ("string", "text"),
        "amount": ("number", "number"),
        "dealstage": ("enumeration", "radio"),
        "pipeline": ("enumeration", "select"),
        "closedate": ("datetime", "date"),
        "hubspot_owner_id": ("enumeration", "select"),
        "deal_currency_code": ("enumeration", "select"),
        "hs_is_closed": ("bool", "booleancheckbox"),
        "hs_is_closed_won": ("bool", "booleancheckbox"),
        "hs_lastmodifieddate": ("datetime", "date"),
        "createdate": ("datetime", "date"),
        "hs_object_id": ("number", "number"),
        "hs_merged_object_ids": ("enumeration", "checkbox"),
    }
    assert {n: (found[n].type, found[n].field_type) for n in expected} == expected
    assert found["hs_is_closed"].modification_metadata.read_only_value is True
    assert "closedwon" in [o.value for o in found["dealstage"].options]
    # hubspot-api-client 12's Property model has no numberDisplayHint: read the raw answer.
    raw = client.crm.properties.core_api.get_by_name(
        object_type="deals", property_name="amount", _preload_content=False
    )
    assert json.loads(raw.data)["numberDisplayHint"] == "currency"
    with pytest.raises(PropsApiException) as raised:
        client.crm.properties.core_api.get_by_name(object_type="deals", property_name="nope")
    assert raised.value.status == 404


def test_created_property_is_usable_at_once(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    options = [
        OptionInput(label=label, value=value, display_order=i, hidden=False)
        for i, (label, value) in enumerate([("Green", "green"), ("Red", "red")])
    ]
    client.crm.properties.core_api.create(
        object_type="deals",
        property_create=PropertyCreate(
            name="map_health", label="MAP health", type="enumeration", field_type="select",
            group_name="dealinformation", options=options,
        ),
    )  # fmt: skip
    update(client, (ids["a"], {"map_health": "green"}))
    found = search(
        client,
        [[{"property_name": "map_health", "operator": "EQ", "value": "green"}]],
        properties=["map_health"],
    )
    assert [(r.id, r.properties["map_health"]) for r in found.results] == [(ids["a"], "green")]
    assert read(client, [ids["a"]], ["map_health"]).results[0].properties["map_health"] == "green"
    with pytest.raises(ApiException) as raised:
        update(client, (ids["a"], {"map_health": "amber"}))
    assert body_of(raised.value)["errors"][0]["code"] == "INVALID_OPTION"
    client.crm.properties.core_api.update(
        object_type="deals",
        property_name="map_health",
        property_update=PropertyUpdate(
            options=[
                *options,
                OptionInput(label="Amber", value="amber", display_order=2, hidden=False),
            ]
        ),
    )
    update(client, (ids["a"], {"map_health": "amber"}))
    fake.remove_property("map_health")
    with pytest.raises(ApiException) as gone:
        update(client, (ids["a"], {"map_health": "red"}))
    assert body_of(gone.value)["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_property_create_refusals(fake: HubSpotFake, client: HubSpot) -> None:
    def create(**kw: Any) -> Any:
        base = {
            "name": "map_x",
            "label": "X",
            "type": "string",
            "field_type": "text",
            "group_name": "dealinformation",
        }
        return client.crm.properties.core_api.create(
            object_type="deals", property_create=PropertyCreate(**{**base, **kw})
        )

    # PropertyCreate in hubspot-api-client 12 lacks numberDisplayHint; the client sends a
    # plain dict body unchanged.
    def create_raw(**kw: Any) -> Any:
        base = {"name": "map_x", "label": "X", "type": "number", "fieldType": "number"}
        body = {**base, "groupName": "dealinformation", **kw}
        return client.crm.properties.core_api.create(object_type="deals", property_create=body)

    create_raw(name="map_pct", numberDisplayHint="percentage")
    with pytest.raises(PropsApiException) as hint:
        create_raw(name="map_pct2", type="string", fieldType="text", numberDisplayHint="percentage")
    assert hint.value.status == 400
    with pytest.raises(PropsApiException) as dup:
        create(name="map_pct", type="number", field_type="number")
    assert dup.value.status == 409 and body_of(dup.value)["category"] == "OBJECT_ALREADY_EXISTS"
    for kw in (
        {"type": "date", "field_type": "text"},
        {"type": "enumeration", "field_type": "select"},
        {"group_name": "no_such_group"},
        {"type": "bool", "field_type": "select", "options": []},
    ):
        with pytest.raises(PropsApiException) as raised:
            create(**kw)
        assert raised.value.status == 400, kw
        assert body_of(raised.value)["category"] == "VALIDATION_ERROR"


def test_groups_and_batch_create(fake: HubSpotFake, client: HubSpot) -> None:
    groups = client.crm.properties.groups_api
    groups.create(
        object_type="deals", property_group_create=PropertyGroupCreate(name="map", label="MAP")
    )
    assert "map" in [g.name for g in groups.get_all(object_type="deals").results]
    with pytest.raises(PropsApiException) as dup:
        groups.create(
            object_type="deals", property_group_create=PropertyGroupCreate(name="map", label="MAP")
        )
    assert dup.value.status == 409
    batch = BatchInputPropertyCreate(
        inputs=[
            PropertyCreate(
                name="map_due", label="Due", type="date", field_type="date", group_name="map"
            ),
            PropertyCreate(
                name="map_score",
                label="Score",
                type="number",
                field_type="number",
                group_name="map",
            ),
        ]
    )
    created = client.crm.properties.batch_api.create(
        object_type="deals", batch_input_property_create=batch
    )
    assert [p.name for p in created.results] == ["map_due", "map_score"]
    bad = BatchInputPropertyCreate(
        inputs=[
            PropertyCreate(
                name="map_ok", label="OK", type="string", field_type="text", group_name="map"
            ),
            PropertyCreate(
                name="map_score",
                label="Score",
                type="number",
                field_type="number",
                group_name="map",
            ),
        ]
    )
    with pytest.raises(PropsApiException):
        client.crm.properties.batch_api.create(object_type="deals", batch_input_property_create=bad)
    names = [p.name for p in client.crm.properties.core_api.get_all(object_type="deals").results]
    assert "map_ok" not in names


# ----------------------------------------------------------------------------------- notes


def note(
    deal_id: str, body: str, type_id: int = 214, **props: str
) -> SimplePublicObjectInputForCreate:
    return SimplePublicObjectInputForCreate(
        properties={"hs_timestamp": "2026-11-30T10:00:00Z", "hs_note_body": body, **props},
        associations=[
            PublicAssociationsForObject(
                to=PublicObjectId(id=deal_id),
                types=[
                    AssociationSpec(
                        association_category="HUBSPOT_DEFINED", association_type_id=type_id
                    )
                ],
            )
        ],
    )


def test_notes_on_deals(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    created = client.crm.objects.notes.basic_api.create(
        simple_public_object_input_for_create=note(ids["a"], "MAP: step 3 done")
    )
    assert created.properties["hs_note_body"] == "MAP: step 3 done"
    client.crm.objects.notes.batch_api.create(
        batch_input_simple_public_object_batch_input_for_create=BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[note(ids["a"], "second"), note(ids["b"], "third")]
        )
    )
    assert [n["hs_note_body"] for n in fake.notes_on(ids["a"])] == ["MAP: step 3 done", "second"]
    assert fake.notes_on(ids["a"])[0]["hs_timestamp"] == "2026-11-30T10:00:00.000Z"
    assert fake.count("notes") == 2


def test_note_refusals(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    api = client.crm.objects.notes.basic_api
    no_stamp = note(ids["a"], "x")
    no_stamp.properties = {"hs_note_body": "x"}
    for bad in (
        no_stamp,
        note(ids["a"], "x", type_id=202),
        note("777777", "x"),
        note(ids["a"], "x", colour="red"),
    ):
        with pytest.raises(NotesApiException) as raised:
            api.create(simple_public_object_input_for_create=bad)
        assert raised.value.status == 400
        assert body_of(raised.value)["category"] == "VALIDATION_ERROR"
    assert fake.notes_on(ids["a"]) == []


def test_v4_associations(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    page = client.crm.associations.v4.basic_api.get_page(
        object_type="deals", object_id=ids["a"], to_object_type="contacts"
    )
    assert [(r.to_object_id, r.association_types[0].type_id) for r in page.results] == [
        (ids["contact"], 3)
    ]
    with pytest.raises(AssocApiException):
        client.crm.associations.v4.basic_api.get_page(
            object_type="deals", object_id="1", to_object_type="contacts"
        )


# -------------------------------------------------------------- rate limits, faults, the log


def test_rate_limit_headers_and_429(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    _, status, headers = client.crm.deals.batch_api.read_with_http_info(
        batch_read_input_simple_public_object_id=BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=ids["a"])], properties=[], properties_with_history=[]
        )
    )
    assert status == 200
    assert headers["X-HubSpot-RateLimit-Max"] == "190"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert headers["X-HubSpot-RateLimit-Daily"] == "650000"
    assert int(headers["X-HubSpot-RateLimit-Remaining"]) < 190
    for name in ("Daily-Remaining", "Secondly", "Secondly-Remaining"):
        assert f"X-HubSpot-RateLimit-{name}" in headers
    fake.rate_limit(times=2)
    for _ in range(2):
        with pytest.raises(ApiException) as raised:
            update(client, (ids["a"], {"amount": "3"}))
        assert raised.value.status == 429
        body = body_of(raised.value)
        assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
        assert "X-HubSpot-RateLimit-Max" in raised.value.headers
        assert "Retry-After" not in raised.value.headers
    update(client, (ids["a"], {"amount": "3"}))
    assert fake.deal(ids["a"])["amount"] == "3"
    fake.search_rate_limit(times=1)
    with pytest.raises(ApiException) as searched:
        search(client, [])
    assert searched.value.status == 429 and body_of(searched.value)["policyName"] == "SECONDLY"
    read(client, [ids["a"]], [])  # the search limit does not touch other endpoints
    assert search(client, []).total == 3


def test_fault_injection(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    fake.fail("/crm/v3/objects/deals/batch", 502, times=1, headers={"X-Fault": "yes"})
    with pytest.raises(ApiException) as raised:
        read(client, [ids["a"]], [])
    assert raised.value.status == 502 and raised.value.headers["X-Fault"] == "yes"
    assert body_of(raised.value)["status"] == "error"
    fake.fail("/crm/v3/pipelines", 500, body={"status": "error", "message": "boom"})
    with pytest.raises(PipelinesApiException) as boom:
        client.crm.pipelines.pipelines_api.get_all(object_type="deals")
    assert boom.value.status == 500 and body_of(boom.value) == {
        "status": "error",
        "message": "boom",
    }
    assert read(client, [ids["a"]], []).status == "COMPLETE"


def test_call_log_classification(fake: HubSpotFake, client: HubSpot) -> None:
    ids = seed(fake)
    search(client, [])
    read(client, [ids["a"]], [])
    update(client, (ids["a"], {"dealstage": "closedlost"}))
    client.crm.properties.core_api.get_all(object_type="deals")
    client.crm.pipelines.pipelines_api.get_all(object_type="deals")
    client.crm.owners.owners_api.get_page()
    client.crm.objects.notes.basic_api.create(
        simple_public_object_input_for_create=note(ids["a"], "n")
    )
    counts = {
        k: fake.count(k)
        for k in (
            "search",
            "batch_read",
            "batch_update",
            "notes",
            "properties",
            "pipelines",
            "owners",
            "reads",
            "writes",
            "stage_moves",
        )
    }
    assert counts == {
        "search": 1, "batch_read": 1, "batch_update": 1, "notes": 1, "properties": 1,
        "pipelines": 1, "owners": 1, "reads": 5, "writes": 2, "stage_moves": 1,
    }  # fmt: skip
    logged = fake.calls("/crm/v3/objects/deals/batch/update")[0]
    assert logged.method == "POST" and logged.status == 200
    assert logged.body == {"inputs": [{"id": ids["a"], "properties": {"dealstage": "closedlost"}}]}


def test_sixteen_threads_update_different_deals(fake: HubSpotFake) -> None:
    deal_ids = [
        fake.add_deal(f"Deal {i}", i, "appointmentscheduled", None, None) for i in range(16)
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def work(i: int) -> None:
        try:
            own = client_for(fake)
            start.wait()
            for step in range(5):
                update(
                    own,
                    (deal_ids[i], {"amount": str(i * 100 + step), "dealname": f"Deal {i} v{step}"}),
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i, deal_id in enumerate(deal_ids):
        assert fake.deal(deal_id)["amount"] == str(i * 100 + 4)
        assert fake.deal(deal_id)["dealname"] == f"Deal {i} v4"
    assert fake.count("batch_update") == 80


def test_every_assumption_in_the_code_is_listed() -> None:
    source = Path(__file__).parent.joinpath("crmfake", "hubspot.py").read_text()
    named = set(re.findall(r"ASSUMPTION: ([a-z0-9-]+(?:, [a-z0-9-]+)*)", source))
    rules = {a.rule for a in hubspot_assumptions.ASSUMPTIONS}
    used = {r for group in named for r in group.split(", ")}
    assert used <= rules, used - rules
    assert hubspot_assumptions.markdown().count("\n") == len(rules) + 1
