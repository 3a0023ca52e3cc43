"""An offline HubSpot CRM fake: a WSGI app that hubspot-api-client talks to unchanged,
served over HTTPS by `serve()` (tls.serve_tls).

Every modelled behaviour cites the vendor page it follows. What no page confirms is marked
ASSUMPTION here and listed in `hubspot_assumptions.ASSUMPTIONS`.

Sources used throughout (cited by short name below):
  SEARCH   https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm
  SEARCH24 https://developers.hubspot.com/changelog/breaking-change-expanded-filtering-capabilities-and-error-messaging-in-hubspots-search-api
  SPECS    github.com/HubSpot/HubSpot-public-api-spec-collection (PublicApiSpecs/CRM/*/v3/*.json)
  USAGE    https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
  LIMITS   https://developers.hubspot.com/changelog/increasing-our-api-limits
  KEYS     https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/account-service-keys
  DATES    https://developers.hubspot.com/docs/faq/how-should-timestamps-be-formatted-for-hubspots-apis
  PIPES    https://developers.hubspot.com/docs/api/crm/pipelines
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from tests.crmfake.tls import serve_tls

Json = dict[str, Any]
StartResponse = Callable[..., Any]

BATCH_MAX = 100  # deals batch read/update: "up to 100 records" (SPECS deals.json batch endpoints)
SEARCH_PAGE_MAX = 200  # SEARCH "Limitations": max 200 records per page
SEARCH_TOTAL_MAX = 10_000  # SEARCH "Limitations": 10,000 total results for any given query
MAX_FILTER_GROUPS = 5  # SEARCH24
MAX_FILTERS_PER_GROUP = 10  # SEARCH24
MAX_FILTERS_TOTAL = 25  # SEARCH24
NOTE_TO_DEAL = 214  # https://developers.hubspot.com/docs/api/crm/associations (note to deal: 214)
DEAL_TO_CONTACT = 3  # same table: deal to contact 3
DEAL_TO_COMPANY = 341  # same table: deal to company (unlabeled) 341

# LIMITS: privately distributed apps on Professional: 190 per 10 seconds, 650,000 a day. KEYS:
# "Service keys are subject to the same limits as privately distributed apps".
BURST_MAX = 190
BURST_WINDOW_MS = 10_000
DAILY_MAX = 650_000
SECONDLY_MAX = 19  # ASSUMPTION: rate-limit-headers (deprecated Secondly headers' value)

# Scopes per endpoint, from each operation's `security` in SPECS (any one of the set grants).
SCOPES: dict[str, frozenset[str]] = {
    "owners": frozenset({"crm.objects.owners.read"}),
    "contacts.read": frozenset({"crm.objects.contacts.read"}),
    "companies.read": frozenset({"crm.objects.companies.read"}),
    "deals.read": frozenset({"crm.objects.deals.read"}),
    "deals.write": frozenset({"crm.objects.deals.write"}),
    "schema.read": frozenset(
        {"crm.schemas.deals.read", "crm.objects.deals.read", "crm.objects.deals.write"}
    ),
    "schema.write": frozenset({"crm.schemas.deals.write"}),
    "pipelines.read": frozenset(
        {"crm.objects.deals.read", "crm.schemas.deals.read", "crm.objects.deals.write"}
    ),
    "notes.write": frozenset({"crm.objects.contacts.write"}),
}

# The type/fieldType pairs the properties guide allows:
# https://developers.hubspot.com/docs/api/crm/properties#property-type-and-fieldtype-values
FIELD_TYPES: dict[str, frozenset[str]] = {
    "bool": frozenset({"booleancheckbox"}),
    "enumeration": frozenset(
        {"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"}
    ),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
    "string": frozenset(
        {"file", "text", "textarea", "calculation_equation", "html", "phonenumber"}
    ),
    "number": frozenset({"number", "calculation_equation"}),
}
NUMBER_HINTS = frozenset(
    {"unformatted", "formatted", "currency", "percentage", "duration", "probability"}
)

# Properties returned by default from search (SEARCH "Searchable CRM objects" table).
SEARCH_DEFAULTS: dict[str, tuple[str, ...]] = {
    "deals": (
        "dealname",
        "amount",
        "closedate",
        "pipeline",
        "dealstage",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    ),
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    "companies": ("name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"),
}
ALWAYS: dict[str, tuple[str, ...]] = {  # ASSUMPTION: search-returned-properties
    "deals": ("hs_object_id", "createdate", "hs_lastmodifieddate"),
    "contacts": ("hs_object_id", "createdate", "lastmodifieddate"),
    "companies": ("hs_object_id", "createdate", "hs_lastmodifieddate"),
}
OPERATORS = frozenset(
    {
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    }
)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    )


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    query: str
    body: Any
    status: int


@dataclass
class Record:
    id: str
    properties: dict[str, str | None]
    created: int
    updated: int
    archived: bool = False


@dataclass
class _Fault:
    prefix: str
    status: int
    remaining: int
    body: Json | None
    headers: dict[str, str]


@dataclass
class _Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class HubSpotError(Exception):
    """Raised inside handlers: becomes HubSpot's error body."""

    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        errors: list[Json] | None = None,
        context: dict[str, list[str]] | None = None,
        extra: Json | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message
        self.errors = errors
        self.context = context
        self.extra = extra or {}


def _error_body(err: HubSpotError) -> Json:
    # Error schema (SPECS, components.schemas.Error): status, message, correlationId, category,
    # optional errors[] and context.
    body: Json = {
        "status": "error",
        "message": err.message,
        "correlationId": str(uuid.uuid4()),
        "category": err.category,
    }
    if err.errors is not None:
        body["errors"] = err.errors
    if err.context is not None:
        body["context"] = err.context
    body.update(err.extra)
    return body


def _prop_def(
    name: str,
    label: str,
    type_: str,
    field_type: str,
    group: str = "dealinformation",
    *,
    options: list[Json] | None = None,
    read_only: bool = False,
    calculated: bool = False,
    hubspot_defined: bool = True,
    number_hint: str | None = None,
    description: str = "",
) -> Json:
    """A property as GET /crm/v3/properties/{objectType} returns it (SPECS Property schema)."""
    now = _iso(0)
    prop: Json = {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "description": description,
        "groupName": group,
        "options": options or [],
        "displayOrder": -1,
        "calculated": calculated,
        "externalOptions": False,
        "hasUniqueValue": False,
        "hidden": False,
        "hubspotDefined": hubspot_defined,
        "modificationMetadata": {
            "archivable": not hubspot_defined,
            "readOnlyDefinition": hubspot_defined,
            "readOnlyValue": read_only,
        },
        "formField": not read_only,
        "createdAt": now,
        "updatedAt": now,
        "archived": False,
    }
    if number_hint is not None:
        prop["numberDisplayHint"] = number_hint
    return prop


def _default_stages() -> list[Json]:
    # The default Sales Pipeline of a new account (PIPES; stage ids and probabilities as
    # https://knowledge.hubspot.com/object-settings/set-up-and-customize-pipelines lists them).
    stages = [
        ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
        ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
        ("presentationscheduled", "Presentation Scheduled", "0.6", False),
        ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
        ("contractsent", "Contract Sent", "0.9", False),
        ("closedwon", "Closed Won", "1.0", True),
        ("closedlost", "Closed Lost", "0.0", True),
    ]
    return [
        {
            "id": sid,
            "label": label,
            "displayOrder": order,
            "metadata": {"isClosed": "true" if closed else "false", "probability": prob},
            # SPECS PipelineStage: "The stages on default pipelines will have createdAt = 0."
            "createdAt": _iso(0),
            "updatedAt": _iso(0),
            "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        }
        for order, (sid, label, prob, closed) in enumerate(stages)
    ]


class HubSpotFake:
    """The fake's state, its Python seeding/inspection API and its WSGI entry point."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.url = ""
        self.ca_file: Path | None = None
        self._keys: dict[str, frozenset[str]] = {}
        self._next = 1000
        self._owners: dict[str, Json] = {}
        self._objects: dict[str, dict[str, Record]] = {"deals": {}, "contacts": {}, "companies": {}}
        self._notes: dict[str, Record] = {}
        self._note_deals: dict[str, list[str]] = {}
        self._assoc: dict[str, dict[str, list[str]]] = {}
        self._merged_into: dict[str, str] = {}
        self._stage_requirements: dict[str, list[str]] = {}
        self._stage_moves = 0
        self._faults: list[_Fault] = []
        self._rate_limited = 0
        self._rate_policy = "TEN_SECONDLY_ROLLING"
        self._search_rate_limited = 0
        self._recent: list[int] = []
        self._daily_used = 0
        self._log: list[Logged] = []
        self._groups: dict[str, Json] = {
            "dealinformation": {
                "name": "dealinformation",
                "label": "Deal information",
                "displayOrder": 0,
                "archived": False,
            },
            "deal_activity": {
                "name": "deal_activity",
                "label": "Deal activity",
                "displayOrder": 1,
                "archived": False,
            },
        }
        self._pipelines: dict[str, Json] = {
            "default": {
                "id": "default",
                "label": "Sales Pipeline",
                "displayOrder": 0,
                "createdAt": _iso(0),
                "updatedAt": _iso(0),
                "archived": False,
                "stages": _default_stages(),
            }
        }
        self._props: dict[str, Json] = {p["name"]: p for p in self._default_deal_properties()}
        self._object_props: dict[str, frozenset[str]] = {
            "contacts": frozenset(
                {"email", "firstname", "lastname", "createdate", "lastmodifieddate", "hs_object_id"}
            ),
            "companies": frozenset(
                {"name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"}
            ),
        }

    def reset(self) -> None:
        """Forget all state (keys, records, faults, the log); keep url and ca_file."""
        fresh = HubSpotFake()
        with self._lock:
            keep = {"_lock": self._lock, "url": self.url, "ca_file": self.ca_file}
            self.__dict__.update({**fresh.__dict__, **keep})

    # ----------------------------------------------------------------- seeding (Python API)

    @staticmethod
    def _default_deal_properties() -> list[Json]:
        # HubSpot's default deal properties, types as GET /crm/v3/properties/deals returns them
        # (https://knowledge.hubspot.com/properties/hubspots-default-deal-properties).
        currencies = [
            {"label": c, "value": c, "displayOrder": i, "hidden": False}
            for i, c in enumerate(("USD", "EUR", "GBP"))
        ]
        return [
            _prop_def("dealname", "Deal Name", "string", "text"),
            _prop_def("amount", "Amount", "number", "number", number_hint="currency"),
            _prop_def("dealstage", "Deal Stage", "enumeration", "radio"),
            _prop_def("pipeline", "Pipeline", "enumeration", "select"),
            _prop_def("closedate", "Close Date", "datetime", "date"),
            _prop_def("hubspot_owner_id", "Deal owner", "enumeration", "select"),
            _prop_def(
                "deal_currency_code", "Currency", "enumeration", "select", options=currencies
            ),
            _prop_def("createdate", "Create Date", "datetime", "date"),
            _prop_def(
                "hs_is_closed",
                "Is Deal Closed?",
                "bool",
                "booleancheckbox",
                read_only=True,
                calculated=True,
            ),
            _prop_def(
                "hs_is_closed_won",
                "Is Closed Won",
                "bool",
                "booleancheckbox",
                read_only=True,
                calculated=True,
            ),
            _prop_def(
                "hs_lastmodifieddate", "Last Modified Date", "datetime", "date", read_only=True
            ),
            _prop_def("hs_object_id", "Record ID", "number", "number", read_only=True),
            _prop_def(
                "hs_merged_object_ids", "Merged Deal IDs", "enumeration", "checkbox", read_only=True
            ),
        ]

    def _new_id(self) -> str:
        self._next += 1
        return str(self._next)

    def add_key(self, key: str, scopes: Iterable[str]) -> None:
        """A Service Key (KEYS) with its scopes."""
        with self._lock:
            self._keys[key] = frozenset(scopes)

    def add_owner(self, email: str, first: str, last: str, teams: Iterable[str] = ()) -> str:
        with self._lock:
            owner_id = self._new_id()
            now = _iso(_now_ms())
            team_list = [
                {"id": str(abs(hash(t)) % 10_000_000), "name": t, "primary": i == 0}
                for i, t in enumerate(teams)
            ]
            # Owner shape: SPECS crmOwners.json PublicOwner.
            self._owners[owner_id] = {
                "id": owner_id,
                "email": email,
                "type": "PERSON",
                "firstName": first,
                "lastName": last,
                "userId": int(owner_id) + 7_000_000,
                "userIdIncludingInactive": int(owner_id) + 7_000_000,
                "createdAt": now,
                "updatedAt": now,
                "archived": False,
                "teams": team_list,
            }
            return owner_id

    def _add(self, kind: str, properties: dict[str, str | None]) -> str:
        record_id = self._new_id()
        now = _now_ms()
        props = dict(properties)
        props["hs_object_id"] = record_id
        props["createdate"] = _iso(now)
        props["lastmodifieddate" if kind == "contacts" else "hs_lastmodifieddate"] = _iso(now)
        self._objects[kind][record_id] = Record(record_id, props, now, now)
        return record_id

    def add_contact(self, email: str, firstname: str, lastname: str) -> str:
        with self._lock:
            return self._add(
                "contacts", {"email": email, "firstname": firstname, "lastname": lastname}
            )

    def add_company(self, name: str, domain: str) -> str:
        with self._lock:
            return self._add("companies", {"name": name, "domain": domain})

    def add_deal(
        self,
        name: str,
        amount: float | str | None,
        stage: str,
        closedate: str | None,
        owner_id: str | None,
        pipeline: str = "default",
        **properties: str,
    ) -> str:
        with self._lock:
            raw: dict[str, Any] = {
                "dealname": name,
                "amount": None if amount is None else str(amount),
                "dealstage": stage,
                "pipeline": pipeline,
                "closedate": closedate,
                "hubspot_owner_id": owner_id,
                **properties,
            }
            clean = {k: v for k, v in raw.items() if v is not None}
            problems, values = self._validate_deal_props(clean, None, seeding=True)
            if problems:
                raise ValueError(f"bad seed values: {problems}")
            deal_id = self._add("deals", values)
            self._recompute(self._objects["deals"][deal_id])
            return deal_id

    def add_pipeline(
        self, pipeline_id: str, label: str, stages: Iterable[tuple[str, str, float, bool]]
    ) -> str:
        """stages: (stage_id, label, probability, is_closed)."""
        with self._lock:
            now = _iso(_now_ms())
            self._pipelines[pipeline_id] = {
                "id": pipeline_id,
                "label": label,
                "displayOrder": len(self._pipelines),
                "createdAt": now,
                "updatedAt": now,
                "archived": False,
                "stages": [
                    {
                        "id": sid,
                        "label": slabel,
                        "displayOrder": i,
                        "metadata": {
                            "isClosed": "true" if closed else "false",
                            "probability": str(prob),
                        },
                        "createdAt": now,
                        "updatedAt": now,
                        "archived": False,
                        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                    }
                    for i, (sid, slabel, prob, closed) in enumerate(stages)
                ],
            }
            return pipeline_id

    def associate(self, deal_id: str, kind: str, other_id: str) -> None:
        if kind not in ("contacts", "companies"):
            raise ValueError(kind)
        with self._lock:
            links = self._assoc.setdefault(deal_id, {}).setdefault(kind, [])
            if other_id not in links:
                links.append(other_id)

    def delete(self, deal_id: str) -> None:
        """Archive a deal, as DELETE /crm/v3/objects/deals/{id} does (SPECS deals.json)."""
        with self._lock:
            self._objects["deals"][deal_id].archived = True

    def merge(self, primary_id: str, merged_id: str) -> None:
        """As POST /crm/v3/objects/deals/merge (SPECS deals.json 'Merge two deals')."""
        with self._lock:
            deals = self._objects["deals"]
            primary, merged = deals[primary_id], deals.pop(merged_id)
            ids = [
                i for i in (primary.properties.get("hs_merged_object_ids") or "").split(";") if i
            ]
            ids.append(merged.id)
            primary.properties["hs_merged_object_ids"] = ";".join(ids)
            self._merged_into[merged_id] = primary_id
            for kind, others in self._assoc.pop(merged_id, {}).items():
                for other in others:
                    links = self._assoc.setdefault(primary_id, {}).setdefault(kind, [])
                    if other not in links:
                        links.append(other)

    def update_deal(self, deal_id: str, **properties: str) -> None:
        """A person edits the deal in HubSpot (no call is logged)."""
        with self._lock:
            record = self._objects["deals"][deal_id]
            record.properties.update(properties)
            self._recompute(record)

    def remove_property(self, name: str) -> None:
        """An admin deleted a custom property: its values are no longer readable or writable."""
        with self._lock:
            del self._props[name]

    def require_for_stage(self, stage_id: str, properties: Iterable[str]) -> None:
        with self._lock:
            self._stage_requirements[stage_id] = list(properties)

    def deal(self, deal_id: str) -> dict[str, str | None]:
        with self._lock:
            record = self._objects["deals"][self._merged_into.get(deal_id, deal_id)]
            return {k: v for k, v in record.properties.items() if k in self._props}

    def notes_on(self, deal_id: str) -> list[dict[str, str | None]]:
        with self._lock:
            return [dict(self._notes[n].properties) for n in self._note_deals.get(deal_id, [])]

    # ------------------------------------------------------------------- faults and the log

    def fail(
        self,
        path_prefix: str,
        status: int,
        times: int = 1,
        body: Json | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        with self._lock:
            self._faults.append(_Fault(path_prefix, status, times, body, dict(headers or {})))

    def rate_limit(self, times: int = 1, policy: str = "TEN_SECONDLY_ROLLING") -> None:
        """The next `times` calls answer 429 (policy TEN_SECONDLY_ROLLING or DAILY)."""
        with self._lock:
            self._rate_limited = times
            self._rate_policy = policy

    def search_rate_limit(self, times: int = 1) -> None:
        """The next `times` search calls answer 429: the search endpoints' own, lower limit
        (SEARCH 'Limitations': five requests per second per account)."""
        with self._lock:
            self._search_rate_limited = times

    def calls(self, prefix: str = "") -> list[Logged]:
        with self._lock:
            return [c for c in self._log if c.path.startswith(prefix)]

    def count(self, kind: str) -> int:
        """Classify the call log: search, batch_read, batch_update, notes, properties, pipelines,
        owners, reads, writes; stage_moves counts deals whose stage an update changed."""
        with self._lock:
            if kind == "stage_moves":
                return self._stage_moves
            return sum(1 for c in self._log if _kind_of(c, kind))

    # ------------------------------------------------------------------------------- WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        auth = environ.get("HTTP_AUTHORIZATION", "")
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        with self._lock:
            answer = self._answer(method, path, query, body, bad_json, auth)
            self._log.append(Logged(method, path, query, body, answer.status))
            headers = {**self._rate_headers(), **answer.headers}
        payload = b"" if answer.body is None else json.dumps(answer.body).encode()
        reason = {
            200: "OK",
            201: "Created",
            204: "No Content",
            207: "Multi-Status",
            400: "Bad Request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not Found",
            409: "Conflict",
            429: "Too Many Requests",
        }
        header_list = [
            ("Content-Type", "application/json;charset=utf-8"),
            ("Content-Length", str(len(payload))),
        ]
        header_list += list(headers.items())
        start_response(f"{answer.status} {reason.get(answer.status, 'Error')}", header_list)
        return [payload]

    def _rate_headers(self) -> dict[str, str]:
        # USAGE "Rate limits": the X-HubSpot-RateLimit-* headers every response carries.
        # ASSUMPTION: rate-limit-headers (also on search answers; Secondly values).
        now = _now_ms()
        self._recent = [t for t in self._recent if now - t < BURST_WINDOW_MS]
        return {
            "X-HubSpot-RateLimit-Daily": str(DAILY_MAX),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(DAILY_MAX - self._daily_used, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(BURST_WINDOW_MS),
            "X-HubSpot-RateLimit-Max": str(BURST_MAX),
            "X-HubSpot-RateLimit-Remaining": str(max(BURST_MAX - len(self._recent), 0)),
            "X-HubSpot-RateLimit-Secondly": str(SECONDLY_MAX),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(SECONDLY_MAX - 1),
        }

    def _answer(
        self, method: str, path: str, query: str, body: Any, bad_json: bool, auth: str
    ) -> _Answer:
        correlation = {"X-HubSpot-Correlation-Id": str(uuid.uuid4())}
        try:
            scopes = self._authenticate(auth)
            self._recent.append(_now_ms())
            self._daily_used += 1
            limited = self._rate_limit_answer(method, path)
            if limited is not None:
                return limited
            for fault in self._faults:
                if fault.remaining > 0 and path.startswith(fault.prefix):
                    fault.remaining -= 1
                    err = HubSpotError(fault.status, _category_for(fault.status), "Injected fault")
                    return _Answer(
                        fault.status,
                        fault.body if fault.body is not None else _error_body(err),
                        {**correlation, **fault.headers},
                    )
            if bad_json:
                raise HubSpotError(400, "VALIDATION_ERROR", "Invalid input JSON on line 1")
            status, out = self._route(method, path, parse_qs(query), body, scopes)
            return _Answer(status, out, correlation)
        except HubSpotError as err:
            return _Answer(err.status, _error_body(err), correlation)

    def _authenticate(self, auth: str) -> frozenset[str]:
        # Service keys are sent as "Authorization: Bearer <key>" (KEYS). A missing key gets the
        # body real users report (hubspot-api-nodejs#148, #432).
        key = auth[7:].strip() if auth.startswith("Bearer ") else ""
        if key not in self._keys:  # ASSUMPTION: unknown-key-401
            raise HubSpotError(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication "
                "and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            )
        return self._keys[key]

    def _rate_limit_answer(self, method: str, path: str) -> _Answer | None:
        # 429 body as reported in hubspot-api-python#117 (errorType RATE_LIMIT, policyName).
        # ASSUMPTION: no-retry-after.
        if method == "POST" and path.endswith("/search") and self._search_rate_limited > 0:
            self._search_rate_limited -= 1
            return _Answer(429, self._rate_body("SECONDLY", "secondly"))  # ASSUMPTION: search-429
        if self._rate_limited > 0:
            self._rate_limited -= 1
            policy = self._rate_policy
            return _Answer(429, self._rate_body(policy, policy.lower()))
        return None

    @staticmethod
    def _rate_body(policy: str, words: str) -> Json:
        return {
            "status": "error",
            "message": f"You have reached your {words} limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()),
            "policyName": policy,
            "groupName": f"publicapi:service-key-api-calls-{words.replace('_', '-')}:62515",
        }

    @staticmethod
    def _need(scopes: frozenset[str], what: str) -> None:
        # 403 MISSING_SCOPES body as reported in hubspot-api-nodejs#268.
        needed = SCOPES[what]
        if scopes.isdisjoint(needed):
            raise HubSpotError(
                403,
                "MISSING_SCOPES",
                "This app hasn't been granted all required scopes to make this call. Read more "
                "about required scopes here: https://developers.hubspot.com/scopes.",
                errors=[
                    {
                        "message": "One or more of the following scopes are required.",
                        "context": {"requiredScopes": sorted(needed)},
                    }
                ],
                extra={"links": {"scopes": "https://developers.hubspot.com/scopes"}},
            )

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, scopes: frozenset[str]
    ) -> tuple[int, Any]:
        p = path.rstrip("/")
        if method == "GET" and p == "/crm/v3/owners":
            self._need(scopes, "owners")
            return 200, self._get_owners(query)
        m = re.fullmatch(r"/crm/v3/objects/(contacts|companies|deals)/search", p)
        if method == "POST" and m:
            kind = m.group(1)
            self._need(scopes, f"{kind}.read")
            return 200, self._search(kind, body or {})
        if method == "POST" and p == "/crm/v3/objects/deals/batch/read":
            self._need(scopes, "deals.read")
            return self._batch_read(body or {}, query.get("archived", ["false"])[0] == "true")
        if method == "POST" and p == "/crm/v3/objects/deals/batch/update":
            self._need(scopes, "deals.write")
            return self._batch_update(body or {})
        m = re.fullmatch(r"/crm/v3/objects/deals/([^/]+)", p)
        if method == "PATCH" and m:
            self._need(scopes, "deals.write")
            return self._patch_deal(m.group(1), body or {})
        if p == "/crm/v3/properties/deals/groups":
            if method == "GET":
                self._need(scopes, "schema.read")
                return 200, {"results": list(self._groups.values())}
            if method == "POST":
                self._need(scopes, "schema.write")
                return self._create_group(body or {})
        if p == "/crm/v3/properties/deals":
            if method == "GET":
                self._need(scopes, "schema.read")
                return 200, {"results": [self._public_prop(x) for x in self._props.values()]}
            if method == "POST":
                self._need(scopes, "schema.write")
                return 201, self._create_property(body or {})
        if method == "POST" and p == "/crm/v3/properties/deals/batch/create":
            self._need(scopes, "schema.write")
            return self._batch_create_properties(body or {})
        m = re.fullmatch(r"/crm/v3/properties/deals/([^/]+)", p)
        if m:
            if method == "GET":
                self._need(scopes, "schema.read")
                return 200, self._public_prop(self._known_prop(m.group(1)))
            if method == "PATCH":
                self._need(scopes, "schema.write")
                return 200, self._update_property(m.group(1), body or {})
        if method == "GET" and p == "/crm/v3/pipelines/deals":
            self._need(scopes, "pipelines.read")
            return 200, {"results": list(self._pipelines.values())}
        if method == "POST" and p == "/crm/v3/objects/notes":
            self._need(scopes, "notes.write")
            return 201, self._create_note(body or {})
        if method == "POST" and p == "/crm/v3/objects/notes/batch/create":
            self._need(scopes, "notes.write")
            inputs = (body or {}).get("inputs") or []
            self._check_batch_size(inputs)
            for item in inputs:  # all or nothing: validate first
                self._validate_note(item)
            started = _iso(_now_ms())
            results = [self._create_note(item) for item in inputs]
            return 201, {
                "status": "COMPLETE",
                "results": results,
                "startedAt": started,
                "completedAt": _iso(_now_ms()),
            }
        m = re.fullmatch(r"/crm/v4/objects/deals/([^/]+)/associations/(contacts|companies)", p)
        if method == "GET" and m:
            self._need(scopes, "deals.read")
            return 200, self._v4_associations(m.group(1), m.group(2))
        raise HubSpotError(404, "OBJECT_NOT_FOUND", f"No route for {method} {path}")

    # ------------------------------------------------------------------------------ owners

    def _get_owners(self, query: dict[str, list[str]]) -> Json:
        # GET /crm/v3/owners/ (SPECS crmOwners.json): email filter, limit (max 500), after.
        email = query.get("email", [""])[0].lower()
        archived = query.get("archived", ["false"])[0] == "true"
        limit = min(int(query.get("limit", ["100"])[0]), 500)
        after = int(query.get("after", ["0"])[0] or 0)
        owners = [
            o
            for o in self._owners.values()
            if o["archived"] == archived and (not email or o["email"].lower() == email)
        ]
        page = owners[after : after + limit]
        out: Json = {"results": page}
        if after + limit < len(owners):
            out["paging"] = {
                "next": {"after": str(after + limit), "link": f"?after={after + limit}"}
            }
        return out

    # ------------------------------------------------------------------------------ search

    def _definition(self, kind: str, name: str) -> Json | None:
        if kind == "deals":
            return self._props.get(name)
        if name in self._object_props[kind]:
            return {"name": name, "type": "datetime" if "date" in name else "string"}
        return None

    def _search(self, kind: str, body: Json) -> Json:
        groups = body.get("filterGroups") or []
        limit = body.get("limit") or 10
        after = int(body.get("after") or 0)
        # SEARCH24 limits. ASSUMPTION: search-limit-errors (wording).
        if len(groups) > MAX_FILTER_GROUPS:
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"Too many filter groups: {len(groups)}. The maximum is {MAX_FILTER_GROUPS}.",
            )
        total_filters = 0
        for group in groups:
            filters = group.get("filters") or []
            total_filters += len(filters)
            if len(filters) > MAX_FILTERS_PER_GROUP:
                raise HubSpotError(
                    400,
                    "VALIDATION_ERROR",
                    f"Too many filters in a filter group: {len(filters)}. "
                    f"The maximum is {MAX_FILTERS_PER_GROUP}.",
                )
        if total_filters > MAX_FILTERS_TOTAL:
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"Too many filters: {total_filters}. The maximum is {MAX_FILTERS_TOTAL}.",
            )
        if limit > SEARCH_PAGE_MAX:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"limit must be less than or equal to {SEARCH_PAGE_MAX}"
            )
        if after + limit > SEARCH_TOTAL_MAX:
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"Search results are limited to {SEARCH_TOTAL_MAX} records; "
                "narrow the query to page further.",
            )
        for group in groups:
            for f in group.get("filters") or []:
                name = f.get("propertyName", "")
                if f.get("operator") not in OPERATORS:
                    raise HubSpotError(
                        400, "VALIDATION_ERROR", f"Unknown operator {f.get('operator')!r}"
                    )
                # SEARCH "Filter search results by association": associations.{objectType}.
                if kind == "deals" and name in ("associations.contact", "associations.company"):
                    continue
                if (
                    self._definition(kind, name) is None
                ):  # ASSUMPTION: search-unknown-filter-property
                    raise HubSpotError(400, "VALIDATION_ERROR", f"Property {name!r} does not exist")
        records = [r for r in self._objects[kind].values() if not r.archived]
        text = (body.get("query") or "").lower()
        if text:
            searched = {
                "deals": ("dealname",),
                "contacts": ("email", "firstname", "lastname"),
                "companies": ("name", "domain"),
            }[kind]
            records = [
                r
                for r in records
                if any(text in (r.properties.get(n) or "").lower() for n in searched)
            ]
        if groups:  # filterGroups are ORed, filters within a group ANDed (SEARCH).
            records = [
                r
                for r in records
                if any(
                    all(self._matches(kind, r, f) for f in g.get("filters") or []) for g in groups
                )
            ]
        records.sort(key=lambda r: int(r.id))  # ASSUMPTION: search-string-compare (default order)
        for sort in reversed(body.get("sorts") or []):
            name, descending = _sort_spec(sort)
            definition = self._definition(kind, name)

            def by(r: Record, n: str = name, d: Json | None = definition) -> tuple[int, Any]:
                return _sort_key(d, r.properties.get(n))

            records.sort(key=by, reverse=descending)
        page = records[after : after + limit]
        wanted = body.get("properties") or []
        names = (
            list(SEARCH_DEFAULTS[kind])
            if not wanted
            else [n for n in wanted if self._definition(kind, n) is not None]
            + [a for a in ALWAYS[kind] if a not in wanted]
        )
        out: Json = {
            "total": len(records),
            "results": [self._public_record(r, names) for r in page],
        }
        if after + limit < len(records):
            out["paging"] = {"next": {"after": str(after + limit)}}
        return out

    def _matches(self, kind: str, record: Record, f: Json) -> bool:
        name, op = f.get("propertyName", ""), f["operator"]
        if name.startswith("associations."):
            linked = self._assoc.get(record.id, {}).get(
                "contacts" if name.endswith("contact") else "companies", []
            )
            wanted = [str(v) for v in (f.get("values") or [f.get("value")])]
            hit = any(v in linked for v in wanted)
            return not hit if op in ("NEQ", "NOT_IN") else hit
        definition = self._definition(kind, name) or {"type": "string"}
        actual = record.properties.get(name)
        if op == "HAS_PROPERTY":
            return actual not in (None, "")
        if op == "NOT_HAS_PROPERTY":
            return actual in (None, "")
        if actual in (None, ""):
            return op in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN")
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            pattern = str(f.get("value", "")).lower()
            text = str(actual).lower()
            hit = fnmatchcase(text, pattern) or any(
                fnmatchcase(tok, pattern) for tok in re.split(r"[\s;,]+", text)
            )
            return hit if op == "CONTAINS_TOKEN" else not hit
        key = _compare_key(definition)
        try:
            left = key(str(actual))
            if op == "BETWEEN":
                return bool(key(str(f["value"])) <= left <= key(str(f["highValue"])))
            if op in ("IN", "NOT_IN"):
                hit = left in {key(str(v)) for v in f.get("values") or []}
                return hit if op == "IN" else not hit
            right = key(str(f.get("value")))
        except (ValueError, KeyError):
            return False
        return bool(
            {
                "EQ": left == right,
                "NEQ": left != right,
                "LT": left < right,
                "LTE": left <= right,
                "GT": left > right,
                "GTE": left >= right,
            }[op]
        )

    def _public_record(self, record: Record, names: Iterable[str]) -> Json:
        return {
            "id": record.id,
            "properties": {n: record.properties.get(n) for n in names},
            "createdAt": _iso(record.created),
            "updatedAt": _iso(record.updated),
            "archived": record.archived,
        }

    # --------------------------------------------------------------------- deals batch read

    def _check_batch_size(self, inputs: list[Any]) -> None:
        if len(inputs) > BATCH_MAX:  # ASSUMPTION: batch-limit-message
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"Batch input limit exceeded: {len(inputs)} > {BATCH_MAX}"
            )

    def _resolve(self, deal_id: str, archived: bool = False) -> Record | None:
        record = self._objects["deals"].get(
            self._merged_into.get(deal_id, deal_id)
        )  # ASSUMPTION: merged-id-update
        if record is None or record.archived != archived:
            return None
        return record

    def _batch_read(self, body: Json, archived: bool) -> tuple[int, Json]:
        inputs = body.get("inputs") or []
        self._check_batch_size(inputs)
        started = _iso(_now_ms())
        wanted = [n for n in body.get("properties") or [] if n in self._props]
        names = wanted + [a for a in ALWAYS["deals"] if a not in wanted]
        results: list[Json] = []
        missing: list[str] = []
        for item in inputs:
            record = self._resolve(str(item.get("id")), archived)
            if record is None:
                missing.append(str(item.get("id")))
            elif all(r["id"] != record.id for r in results):
                results.append(self._public_record(record, names))
        out: Json = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": _iso(_now_ms()),
        }
        return self._partial(out, missing)

    def _partial(self, out: Json, missing: list[str]) -> tuple[int, Json]:
        """A batch answer: 200, or 207 with OBJECT_NOT_FOUND and context.ids for the ids
        not found (hubspot-api-php#619, a real batch/read answer)."""
        if not missing:
            return 200, out
        out["numErrors"] = 1
        out["errors"] = [self._not_found(missing)]
        return 207, out

    @staticmethod
    def _not_found(ids: list[str]) -> Json:
        return {
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": "Could not get some DEAL objects, they may be deleted or not exist. "
            "Check that ids are valid.",
            "context": {"ids": ids},
            "links": {},  # ASSUMPTION: batch-error-links
            "errors": [],
        }

    # ------------------------------------------------------------------- deals batch update

    def _validate_deal_props(
        self, props: Json, record: Record | None, seeding: bool = False
    ) -> tuple[list[Json], dict[str, str | None]]:
        """HubSpot's per-property checks. Returns (problems in HubSpot's isValid form, values)."""
        problems: list[Json] = []
        values: dict[str, str | None] = {}

        def bad(name: str, code: str, message: str) -> None:
            problems.append(
                {
                    "isValid": False,
                    "message": message,
                    "error": code,
                    "name": name,
                    "localizedErrorMessage": message,
                    "portalId": 62515,
                }
            )

        current_pipeline = (record.properties.get("pipeline") if record else None) or "default"
        pipeline = str(props.get("pipeline", current_pipeline))
        for name, raw in props.items():
            definition = self._props.get(name)
            if definition is None:
                bad(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
                continue
            if definition["modificationMetadata"]["readOnlyValue"] and not seeding:
                # ASSUMPTION: validation-messages. Read-only: modificationMetadata.readOnlyValue
                # (https://developers.hubspot.com/docs/api/crm/properties).
                bad(
                    name,
                    "READ_ONLY_VALUE",
                    f'Property "{name}" is a read only property; its value cannot be set.',
                )
                continue
            value = None if raw is None else str(raw)
            if value in (None, ""):
                values[name] = ""  # an empty string clears a value (properties guide)
                continue
            kind = definition["type"]
            if name == "pipeline":
                if value not in self._pipelines:
                    bad(
                        name,
                        "INVALID_OPTION",
                        f"{value} was not one of the allowed options: {sorted(self._pipelines)}",
                    )
                    continue
            elif name == "dealstage":
                stages = [s["id"] for s in self._pipelines.get(pipeline, {"stages": []})["stages"]]
                if value not in stages:  # ASSUMPTION: stage-pipeline-mismatch
                    bad(
                        name,
                        "INVALID_OPTION",
                        f"{value} was not one of the allowed options: {stages}",
                    )
                    continue
            elif name == "hubspot_owner_id":
                pass  # ASSUMPTION: owner-id-unvalidated
            elif kind == "enumeration":
                allowed = [o["value"] for o in definition["options"]]
                chosen = value.split(";") if definition["fieldType"] == "checkbox" else [value]
                wrong = [c for c in chosen if c not in allowed]
                if wrong:
                    bad(
                        name,
                        "INVALID_OPTION",
                        f"{wrong[0]} was not one of the allowed options: {allowed}",
                    )
                    continue
            elif kind == "bool":
                if value.lower() not in ("true", "false"):
                    bad(name, "INVALID_BOOLEAN", f"{value} is not a valid boolean")
                    continue
                value = value.lower()
            elif kind == "number":
                try:
                    float(value)
                except ValueError:
                    bad(name, "INVALID_INTEGER", f"{value!r} is not a valid number")
                    continue
            elif kind == "date":
                parsed = _parse_date(value)
                if parsed is None:
                    bad(
                        name,
                        "INVALID_DATE",
                        f"{value} is not a valid date: "
                        "use YYYY-MM-DD or midnight-UTC epoch milliseconds",
                    )
                    continue
                value = parsed
            elif kind == "datetime":
                parsed = _parse_datetime(value)
                if parsed is None:
                    bad(
                        name,
                        "INVALID_DATE",
                        f"{value} is not a valid date-time: use epoch milliseconds or ISO 8601",
                    )
                    continue
                value = parsed
            values[name] = value
        if "pipeline" in props and "dealstage" not in props and record is not None:
            stage = record.properties.get("dealstage")
            if stage not in [
                s["id"] for s in self._pipelines.get(pipeline, {"stages": []})["stages"]
            ]:
                bad(
                    "dealstage",
                    "INVALID_OPTION",
                    f"{stage} was not one of the allowed options for pipeline {pipeline}",
                )
        return problems, values

    def _stage_problem(self, record: Record, values: dict[str, str | None]) -> list[str]:
        stage = values.get("dealstage")
        if not stage or stage == record.properties.get("dealstage"):
            return []
        merged = {**record.properties, **values}
        return [n for n in self._stage_requirements.get(stage, []) if merged.get(n) in (None, "")]

    def _refuse_invalid(self, problems: list[Json]) -> None:
        # "Property values were not valid: [...]" with VALIDATION_ERROR, as real 400s show it.
        # ASSUMPTION: validation-errors-array, batch-update-validation-whole-batch.
        raise HubSpotError(
            400,
            "VALIDATION_ERROR",
            "Property values were not valid: " + json.dumps(problems),
            errors=[
                {
                    "message": p["message"],
                    "code": p["error"],
                    "context": {"propertyName": [p["name"]]},
                }
                for p in problems
            ],
        )

    def _refuse_stage(self, stage: str, missing: list[str]) -> None:
        # ASSUMPTION: stage-requirements
        raise HubSpotError(
            400,
            "VALIDATION_ERROR",
            f"Deal stage {stage} requires these properties to be set: {', '.join(missing)}",
            errors=[
                {
                    "message": f"Property {n} is required to enter stage {stage}",
                    "code": "REQUIRED_PROPERTY",
                    "context": {"propertyName": [n]},
                }
                for n in missing
            ],
        )

    def _apply(self, record: Record, values: dict[str, str | None]) -> None:
        before = record.properties.get("dealstage")
        record.properties.update(values)
        now = _now_ms()
        record.updated = now
        record.properties["hs_lastmodifieddate"] = _iso(now)  # updates stamp hs_lastmodifieddate
        self._recompute(record)
        if record.properties.get("dealstage") != before:
            self._stage_moves += 1

    def _recompute(self, record: Record) -> None:
        # hs_is_closed / hs_is_closed_won are calculated from the stage's metadata (PIPES:
        # probability 1.0 is Closed Won, 0.0 Closed Lost; isClosed).
        pipeline = self._pipelines.get(
            record.properties.get("pipeline") or "default", {"stages": []}
        )
        stage = next(
            (s for s in pipeline["stages"] if s["id"] == record.properties.get("dealstage")), None
        )
        closed = bool(stage and stage["metadata"]["isClosed"] == "true")
        won = bool(closed and stage and float(stage["metadata"]["probability"]) == 1.0)
        record.properties["hs_is_closed"] = "true" if closed else "false"
        record.properties["hs_is_closed_won"] = "true" if won else "false"

    def _batch_update(self, body: Json) -> tuple[int, Json]:
        inputs = body.get("inputs") or []
        self._check_batch_size(inputs)
        ids = [str(i.get("id")) for i in inputs]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:  # ASSUMPTION: duplicate-ids
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"Duplicate IDs found in batch input: {dupes}. IDs must be unique",
            )
        started = _iso(_now_ms())
        planned: list[tuple[Record, dict[str, str | None]]] = []
        problems: list[Json] = []
        missing: list[str] = []
        for item in inputs:
            record = self._resolve(str(item.get("id")))
            found, values = self._validate_deal_props(item.get("properties") or {}, record)
            problems += found
            if record is None:
                missing.append(str(item.get("id")))  # ASSUMPTION: batch-update-missing-id-207
            else:
                planned.append((record, values))
        if problems:
            self._refuse_invalid(problems)
        for record, values in planned:
            lacking = self._stage_problem(record, values)
            if lacking:
                self._refuse_stage(str(values["dealstage"]), lacking)
        for record, values in planned:
            self._apply(record, values)
        names = list(dict.fromkeys([*ALWAYS["deals"], *(n for _, v in planned for n in v)]))
        out: Json = {
            "status": "COMPLETE",
            "results": [self._public_record(r, names) for r, _ in planned],
            "startedAt": started,
            "completedAt": _iso(_now_ms()),
        }
        return self._partial(out, missing)

    def _patch_deal(self, deal_id: str, body: Json) -> tuple[int, Json]:
        record = self._resolve(deal_id)
        if record is None:  # 404 OBJECT_NOT_FOUND for a single object (SPECS deals.json PATCH)
            raise HubSpotError(
                404,
                "OBJECT_NOT_FOUND",
                "Object not found.  objectId are usually numeric.",
                context={"id": [deal_id]},
            )
        problems, values = self._validate_deal_props(body.get("properties") or {}, record)
        if problems:
            self._refuse_invalid(problems)
        lacking = self._stage_problem(record, values)
        if lacking:
            self._refuse_stage(str(values["dealstage"]), lacking)
        self._apply(record, values)
        return 200, self._public_record(record, [n for n in record.properties if n in self._props])

    # -------------------------------------------------------------------------- properties

    def _known_prop(self, name: str) -> Json:
        if name not in self._props:  # ASSUMPTION: property-errors
            raise HubSpotError(
                404,
                "OBJECT_NOT_FOUND",
                f"Unable to find property {name} for object type deals",
                context={"name": [name]},
            )
        return self._props[name]

    def _public_prop(self, prop: Json) -> Json:
        out = dict(prop)
        if prop["name"] == "dealstage":
            out["options"] = [
                {
                    "label": s["label"],
                    "value": s["id"],
                    "displayOrder": s["displayOrder"],
                    "hidden": False,
                    "description": p["label"],
                }
                for p in self._pipelines.values()
                for s in p["stages"]
            ]
        elif prop["name"] == "pipeline":
            out["options"] = [
                {
                    "label": p["label"],
                    "value": p["id"],
                    "displayOrder": p["displayOrder"],
                    "hidden": False,
                }
                for p in self._pipelines.values()
            ]
        elif prop["name"] == "hubspot_owner_id":
            out["options"] = [
                {
                    "label": f"{o['firstName']} {o['lastName']}",
                    "value": o["id"],
                    "displayOrder": i,
                    "hidden": False,
                }
                for i, o in enumerate(self._owners.values())
            ]
        return out

    def _check_definition(
        self, type_: str, field_type: str, options: list[Json], hint: str | None, group: str
    ) -> None:
        # ASSUMPTION: property-errors (wording). Pairs: FIELD_TYPES.
        if field_type not in FIELD_TYPES.get(type_, frozenset()):
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"Property type {type_} cannot use fieldType {field_type}"
            )
        if type_ == "enumeration" and not options:
            raise HubSpotError(
                400, "VALIDATION_ERROR", "Enumeration properties must have at least one option"
            )
        if hint is not None and (type_ != "number" or hint not in NUMBER_HINTS):
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"numberDisplayHint {hint} is not valid for a {type_} property",
            )
        if group not in self._groups:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Property group {group} does not exist")

    def _create_property(self, body: Json, dry_run: bool = False) -> Json:
        missing = [
            k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)
        ]
        if missing:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Missing required fields: {missing}")
        name = str(body["name"])
        if (
            name in self._props
        ):  # 409 documented (SPECS properties.json); ASSUMPTION: property-errors
            raise HubSpotError(
                409, "OBJECT_ALREADY_EXISTS", "Property already exists", context={"name": [name]}
            )
        options = [
            {"hidden": False, "displayOrder": i, **o}
            for i, o in enumerate(body.get("options") or [])
        ]
        hint = body.get("numberDisplayHint")
        self._check_definition(body["type"], body["fieldType"], options, hint, body["groupName"])
        prop = _prop_def(
            name,
            str(body["label"]),
            str(body["type"]),
            str(body["fieldType"]),
            str(body["groupName"]),
            options=options,
            hubspot_defined=False,
            number_hint=hint,
            description=str(body.get("description") or ""),
        )
        prop["createdAt"] = prop["updatedAt"] = _iso(_now_ms())
        if not dry_run:
            self._props[name] = prop
        return prop

    def _batch_create_properties(self, body: Json) -> tuple[int, Json]:
        inputs = body.get("inputs") or []
        names = [i.get("name") for i in inputs]
        if len(set(names)) != len(names):
            raise HubSpotError(400, "VALIDATION_ERROR", "Duplicate property names in batch input")
        for (
            item
        ) in inputs:  # ASSUMPTION: property-errors (whole batch refused on the first bad input)
            self._create_property(item, dry_run=True)
        started = _iso(_now_ms())
        results = [self._create_property(item) for item in inputs]
        return 201, {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": _iso(_now_ms()),
        }

    def _update_property(self, name: str, body: Json) -> Json:
        prop = self._known_prop(name)
        if prop["hubspotDefined"] and ({"type", "fieldType", "options"} & set(body)):
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"Property {name} is a HubSpot-defined property; its definition is read-only",
            )
        merged = {**prop, **{k: v for k, v in body.items() if v is not None}}
        if "options" in body:
            merged["options"] = [
                {"hidden": False, "displayOrder": i, **o}
                for i, o in enumerate(body["options"] or [])
            ]
        self._check_definition(
            merged["type"],
            merged["fieldType"],
            merged["options"],
            merged.get("numberDisplayHint"),
            merged["groupName"],
        )
        merged["updatedAt"] = _iso(_now_ms())
        self._props[name] = merged
        return merged

    def _create_group(self, body: Json) -> tuple[int, Json]:
        name = str(body.get("name") or "")
        if not name or not body.get("label"):
            raise HubSpotError(400, "VALIDATION_ERROR", "Property groups need a name and a label")
        if name in self._groups:
            raise HubSpotError(
                409,
                "OBJECT_ALREADY_EXISTS",
                "Property group already exists",
                context={"name": [name]},
            )
        group = {
            "name": name,
            "label": body["label"],
            "displayOrder": body.get("displayOrder", -1),
            "archived": False,
        }
        self._groups[name] = group
        return 201, group

    # ------------------------------------------------------------------------------- notes

    def _validate_note(self, body: Json) -> tuple[dict[str, str], list[str]]:
        props = dict(body.get("properties") or {})
        known = {"hs_timestamp", "hs_note_body", "hubspot_owner_id", "hs_attachment_ids"}
        unknown = [n for n in props if n not in known]
        if unknown:
            self._refuse_invalid(
                [
                    {
                        "isValid": False,
                        "message": f'Property "{n}" does not exist',
                        "error": "PROPERTY_DOESNT_EXIST",
                        "name": n,
                        "localizedErrorMessage": f'Property "{n}" does not exist',
                        "portalId": 62515,
                    }
                    for n in unknown
                ]
            )
        # hs_timestamp is required (https://developers.hubspot.com/docs/api/crm/notes); epoch
        # millis or ISO. ASSUMPTION: note-errors (refusal body).
        stamp = props.get("hs_timestamp")
        if stamp in (None, ""):
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                "Property values were not valid: hs_timestamp is required",
                errors=[
                    {
                        "message": "hs_timestamp is required",
                        "code": "REQUIRED_PROPERTY",
                        "context": {"propertyName": ["hs_timestamp"]},
                    }
                ],
            )
        parsed = _parse_datetime(str(stamp))
        if parsed is None:
            self._refuse_invalid(
                [
                    {
                        "isValid": False,
                        "message": f"{stamp} is not a valid date-time",
                        "error": "INVALID_DATE",
                        "name": "hs_timestamp",
                        "localizedErrorMessage": f"{stamp} is not a valid date-time",
                        "portalId": 62515,
                    }
                ]
            )
        props["hs_timestamp"] = str(parsed)
        deals: list[str] = []
        for assoc in body.get("associations") or []:
            target = str((assoc.get("to") or {}).get("id"))
            for t in assoc.get("types") or []:
                if (
                    t.get("associationCategory") != "HUBSPOT_DEFINED"
                    or t.get("associationTypeId") != NOTE_TO_DEAL
                ):
                    raise HubSpotError(
                        400,
                        "VALIDATION_ERROR",
                        f"{t.get('associationCategory')} {t.get('associationTypeId')} "
                        "is not a valid association type between notes and deals",
                    )
            if self._resolve(target) is None:
                raise HubSpotError(
                    400, "VALIDATION_ERROR", f"No deal with id {target} to associate the note with"
                )
            deals.append(self._merged_into.get(target, target))
        return {k: str(v) for k, v in props.items()}, deals

    def _create_note(self, body: Json) -> Json:
        props, deals = self._validate_note(body)
        note_id = self._new_id()
        now = _now_ms()
        props.update(
            {"hs_object_id": note_id, "hs_createdate": _iso(now), "hs_lastmodifieddate": _iso(now)}
        )
        self._notes[note_id] = Record(note_id, dict(props), now, now)
        for deal_id in deals:
            self._note_deals.setdefault(deal_id, []).append(note_id)
        return self._public_record(self._notes[note_id], list(props))

    def _v4_associations(self, deal_id: str, kind: str) -> Json:
        # GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}
        # (SPECS associations v4).
        record = self._resolve(deal_id)
        if record is None:
            raise HubSpotError(
                404,
                "OBJECT_NOT_FOUND",
                "Object not found.  objectId are usually numeric.",
                context={"id": [deal_id]},
            )
        type_id = DEAL_TO_CONTACT if kind == "contacts" else DEAL_TO_COMPANY
        return {
            "results": [
                {
                    "toObjectId": int(other),
                    "associationTypes": [
                        {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}
                    ],
                }
                for other in self._assoc.get(record.id, {}).get(kind, [])
            ]
        }


# --------------------------------------------------------------------------- helpers


def _category_for(status: int) -> str:  # ASSUMPTION: fault-default-body
    return {
        400: "VALIDATION_ERROR",
        401: "INVALID_AUTHENTICATION",
        403: "MISSING_SCOPES",
        404: "OBJECT_NOT_FOUND",
        409: "CONFLICT",
        429: "RATE_LIMITS",
    }.get(status, "INTERNAL_ERROR")


def _kind_of(call: Logged, kind: str) -> bool:
    p = call.path.rstrip("/")
    checks: dict[str, bool] = {
        "search": call.method == "POST" and p.endswith("/search"),
        "batch_read": p.startswith("/crm/v3/objects/") and p.endswith("/batch/read"),
        "batch_update": (p.startswith("/crm/v3/objects/deals") and p.endswith("/batch/update"))
        or (call.method == "PATCH" and p.startswith("/crm/v3/objects/deals/")),
        "notes": p.startswith("/crm/v3/objects/notes"),
        "properties": p.startswith("/crm/v3/properties/"),
        "pipelines": p.startswith("/crm/v3/pipelines/"),
        "owners": p.startswith("/crm/v3/owners"),
    }
    if kind == "reads":
        return call.method == "GET" or checks["search"] or checks["batch_read"]
    if kind == "writes":
        return call.method in ("POST", "PATCH", "PUT", "DELETE") and not (
            checks["search"] or checks["batch_read"]
        )
    if kind not in checks:
        raise ValueError(f"unknown call kind {kind!r}")
    return checks[kind]


def _parse_date(value: str) -> str | None:
    # DATES: date properties take midnight-UTC epoch millis; YYYY-MM-DD also accepted
    # (https://developers.hubspot.com/changelog/new-standardization-of-date-formats-for-hubspots-form-submissions-api).
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    if re.fullmatch(r"-?\d+", value):
        ms = int(value)
        if (
            ms % 86_400_000 != 0
        ):  # "If you try to set a value that is not midnight UTC, you will receive an error."
            return None
        return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()
    return None


def _parse_datetime(value: str) -> str | None:
    if re.fullmatch(r"-?\d+", value):
        return _iso(int(value))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _iso(int(parsed.timestamp() * 1000))


def _to_ms(value: str) -> float:
    """Search compares dates as epoch millis; values may be millis or ISO 8601 (SEARCH)."""
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp() * 1000


def _compare_key(definition: Json) -> Callable[[str], Any]:
    kind = definition.get("type")
    if kind == "number":
        return float
    if kind in ("date", "datetime"):
        return _to_ms
    return str.lower  # ASSUMPTION: search-string-compare


def _sort_spec(sort: Any) -> tuple[str, bool]:
    if isinstance(sort, dict):
        return str(sort.get("propertyName")), str(
            sort.get("direction", "ASCENDING")
        ).upper() == "DESCENDING"
    text = str(sort)
    return (text[1:], True) if text.startswith("-") else (text, False)


def _sort_key(definition: Json | None, value: str | None) -> tuple[int, Any]:
    if value in (None, ""):
        return (1, 0)
    try:
        return (0, _compare_key(definition or {})(str(value)))
    except ValueError:
        return (0, 0)


@contextmanager
def serve() -> Iterator[HubSpotFake]:
    """Build the fake and serve it over HTTPS; `fake.url` is the client's `host`."""
    fake = HubSpotFake()
    with serve_tls(fake) as (base_url, ca_file):
        fake.url = base_url
        fake.ca_file = ca_file
        yield fake
