"""HubSpot through hubspot-api-client: deals carry the signals as properties of their own
group ("Mutual Action Plan").

The service authenticates with a HubSpot service key (Development > Keys > Service keys),
sent as a bearer token: HubSpot's credential for account-level system-to-system
integrations since legacy private apps could no longer be created (October 2026). The
client is pointed at MAP_HUBSPOT_BASE_URL and trusts MAP_CRM_CA_BUNDLE when set.

Answers are read as the JSON HubSpot sent (`_preload_content=False`): the client does the
transport, authentication and TLS; the product reads the documented shapes itself, so a
field the generated models do not know yet is never lost. Each thread has its own API
objects (each holds a connection pool). A 429 is retried after the wait HubSpot's
rate-limit headers give (Retry-After when sent, else the interval of the policy hit).
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from hubspot import HubSpot
from hubspot.crm.deals.exceptions import ApiException as DealsApiException

from addon.config import Settings
from addon.crm.base import Calls, CrmError, Gate, Read, Results
from addon.plan.crm import BY_KEY, FIELDS, Deal, Kind, Signal, Stage, find_stage
from addon.plan.history import CrmDealHistory
from sheets_schema.vocab import MapHealth

T = TypeVar("T")
BATCH = 100  # batch read and update: 100 inputs a call
SEARCH_LIMIT = 200
SEARCH_GROUPS = 5  # filterGroups per search
GROUP = "mutual_action_plan"
GROUP_LABEL = "Mutual Action Plan"
NOTE_TO_DEAL = 214  # HUBSPOT_DEFINED association type: note to deal
PROPERTIES_SECONDS = 600.0
MAX_429 = 5
DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "deal_currency_code",
    "dealstage",
    "pipeline",
    "closedate",
    "hs_is_closed",
    "hs_is_closed_won",
    "hubspot_owner_id",
    "hs_merged_object_ids",
)

# How each kind of signal is made as a deal property (CRM properties API: type/fieldType).
_PROPERTY: dict[Kind, dict[str, Any]] = {
    Kind.CHECKBOX: {
        "type": "bool",
        "fieldType": "booleancheckbox",
        "options": [
            {"label": "Yes", "value": "true", "displayOrder": 0},
            {"label": "No", "value": "false", "displayOrder": 1},
        ],
    },
    Kind.URL: {"type": "string", "fieldType": "text"},
    Kind.DATE: {"type": "date", "fieldType": "date"},
    Kind.NUMBER: {"type": "number", "fieldType": "number", "numberDisplayHint": "unformatted"},
    Kind.PERCENT: {"type": "number", "fieldType": "number", "numberDisplayHint": "percentage"},
    Kind.TEXT: {"type": "string", "fieldType": "text"},
}
_HEALTH_VALUE = {h.label: h.value for h in MapHealth}  # "On track" -> "on_track"


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _value(kind: Kind, value: Signal) -> str:
    """A signal as HubSpot takes a property value: text, "" clears."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()  # date properties take YYYY-MM-DD
    if kind is Kind.PERCENT and isinstance(value, int | float):
        return f"{value / 100:g}"  # ASSUMPTION: a percentage property holds 0.5 for 50%
    if kind is Kind.PICKLIST and isinstance(value, str):
        return _HEALTH_VALUE.get(value, value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _body(exc: Any) -> dict[str, Any]:
    raw = getattr(exc, "body", None)
    try:
        found = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        found = {"message": str(raw)}
    return found if isinstance(found, dict) else {"message": str(found)}


def _message(exc: Any) -> str:
    body = _body(exc)
    message = str(body.get("message") or getattr(exc, "reason", "") or "no detail")
    category = body.get("category")
    return f"{category}: {message}" if category else message


def _day(value: Any) -> date | None:
    if not value:
        return None
    text = str(value)
    try:
        if text.isdigit():
            return date.fromtimestamp(int(text) / 1000)
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


class HubSpotCrm:
    name = "hubspot"
    label = "HubSpot"

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep) -> None:
        if settings.hubspot_service_key is None:
            raise CrmError(
                "MAP_HUBSPOT_SERVICE_KEY is not set: make a service key in HubSpot "
                "(Development > Keys > Service keys) with the crm.objects.deals.read/write, "
                "crm.objects.contacts.read, crm.objects.companies.read, crm.objects.owners.read "
                "and crm.schemas.deals.read/write scopes"
            )
        self.settings = settings
        self.calls = Calls()
        self.sleep = sleep
        self.base_url = settings.hubspot_base_url.rstrip("/")
        self._lock = threading.Lock()
        self._local = threading.local()
        self._properties: dict[str, dict[str, Any]] | None = None
        self._properties_at = 0.0
        self._stages: list[Stage] | None = None
        self._owners_by_id: dict[str, str] | None = None
        self._owners_at = 0.0

    # --- connection ---------------------------------------------------------------------

    def _client(self) -> HubSpot:
        client: HubSpot | None = getattr(self._local, "client", None)
        if client is None:
            assert self.settings.hubspot_service_key is not None
            options: dict[str, Any] = {"host": self.base_url}
            if self.settings.crm_ca_bundle:
                options["ssl_ca_cert"] = str(self.settings.crm_ca_bundle)
            client = HubSpot(
                access_token=self.settings.hubspot_service_key.get_secret_value(), **options
            )
            self._local.client = client
            self._local.apis = {}
        return client

    def _api(self, name: str, make: Callable[[HubSpot], Any]) -> Any:
        self._client()
        apis: dict[str, Any] = self._local.apis
        if name not in apis:
            apis[name] = make(self._local.client)
        return apis[name]

    def _call(
        self,
        kind: str,
        api: str,
        make: Callable[[HubSpot], Any],
        method: str,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """One call, counted; a 429 waits as HubSpot's headers say and tries again."""
        target = self._api(api, make)
        for attempt in range(1, MAX_429 + 1):
            self.calls.add(kind)
            try:
                answer = getattr(target, method)(*args, _preload_content=False, **kwargs)
            except Exception as exc:
                status = getattr(exc, "status", None)
                if status == 429 and attempt < MAX_429:
                    self.calls.add("rate_limited")
                    self.sleep(_wait(getattr(exc, "headers", None) or {}, attempt))
                    continue
                if status in (401, 403):
                    raise CrmError(
                        f"HubSpot refused the service key ({status}): {_message(exc)}. Check "
                        "MAP_HUBSPOT_SERVICE_KEY and its scopes"
                    ) from None
                if status is None and not isinstance(exc, DealsApiException):
                    raise CrmError(f"cannot reach HubSpot at {self.base_url}: {exc}") from None
                raise
            data = answer.data
            return json.loads(data) if data else {}
        raise AssertionError("unreachable")

    # --- what the account holds --------------------------------------------------------

    def properties(self, fresh: bool = False) -> dict[str, dict[str, Any]]:
        with self._lock:
            cached, at = self._properties, self._properties_at
        if cached is not None and not fresh and time.monotonic() - at < PROPERTIES_SECONDS:
            return cached
        answer = self._call(
            "read", "properties", lambda c: c.crm.properties.core_api, "get_all", "deals"
        )
        found = {p["name"]: p for p in answer.get("results", [])}
        with self._lock:
            self._properties, self._properties_at = found, time.monotonic()
        return found

    def stages(self) -> list[Stage]:
        if self._stages is None:
            answer = self._call(
                "read", "pipelines", lambda c: c.crm.pipelines.pipelines_api, "get_all", "deals"
            )
            stages = []
            for pipeline in sorted(
                answer.get("results", []), key=lambda p: p.get("displayOrder", 0)
            ):
                for stage in pipeline.get("stages", []):
                    meta = stage.get("metadata") or {}
                    closed = str(meta.get("isClosed", "false")).lower() == "true"
                    won = closed and float(meta.get("probability") or 0) >= 1.0
                    stages.append(
                        Stage(
                            str(stage["id"]),
                            stage.get("label") or str(stage["id"]),
                            int(stage.get("displayOrder") or 0),
                            closed,
                            won,
                            str(pipeline["id"]),
                        )
                    )
            self._stages = stages
        return self._stages

    def deal_url(self, deal_id: str) -> str:
        portal = self.settings.hubspot_portal_id
        app = self.settings.hubspot_app_url.rstrip("/")
        return f"{app}/contacts/{portal}/record/0-3/{deal_id}" if portal else ""

    def _deal(self, record: Mapping[str, Any]) -> Deal:
        p = record.get("properties") or {}
        pipeline = p.get("pipeline") or "default"
        stage_id = p.get("dealstage") or ""
        stage = find_stage(self.stages(), stage_id, pipeline)
        amount = p.get("amount")
        try:
            value = float(amount) if amount not in (None, "") else None
        except ValueError:
            value = None
        closed = str(p.get("hs_is_closed") or "").lower() == "true" or bool(stage and stage.closed)
        won = str(p.get("hs_is_closed_won") or "").lower() == "true" or bool(stage and stage.won)
        return Deal(
            id=str(record["id"]),
            name=p.get("dealname") or "",
            amount=value,
            currency=p.get("deal_currency_code") or "",
            stage=stage_id,
            stage_label=stage.label if stage else stage_id,
            close_date=_day(p.get("closedate")),
            closed=closed,
            won=won,
            owner=self._owner_email(str(p.get("hubspot_owner_id") or "")),
            url=self.deal_url(str(record["id"])),
            pipeline=pipeline,
            has_map=str(p.get(BY_KEY["map_exists"].hubspot) or "").lower() == "true",
        )

    def _owner_email(self, owner_id: str) -> str:
        """An owner's email by id (deals name owners by id), from one listing of the
        account's owners, kept ten minutes."""
        if not owner_id:
            return ""
        with self._lock:
            cached, at = self._owners_by_id, self._owners_at
        if cached is None or time.monotonic() - at > PROPERTIES_SECONDS:
            cached = {str(o["id"]): str(o.get("email") or "").lower() for o in self._owners()}
            with self._lock:
                self._owners_by_id, self._owners_at = cached, time.monotonic()
        return cached.get(owner_id, owner_id)

    def _wanted_properties(self) -> list[str]:
        known = self.properties()
        return [*DEAL_PROPERTIES, *(p for p in [BY_KEY["map_exists"].hubspot] if p in known)]

    def deals(self, ids: Sequence[str]) -> Read:
        read = Read()
        wanted = list(dict.fromkeys(i for i in ids if i))
        properties = self._wanted_properties()
        for chunk in _chunks(wanted, BATCH):
            body = {
                "inputs": [{"id": i} for i in chunk],
                "properties": properties,
                "propertiesWithHistory": [],
            }
            try:
                answer = self._call(
                    "read", "deals_batch", lambda c: c.crm.deals.batch_api, "read", body
                )
            except CrmError:
                raise
            except Exception as exc:
                for deal_id in chunk:
                    read.missing[deal_id] = f"HubSpot could not read the deal: {_message(exc)}"
                continue
            for record in answer.get("results", []):
                deal = self._deal(record)
                merged = str((record.get("properties") or {}).get("hs_merged_object_ids") or "")
                names = {deal.id, *(m for m in merged.split(";") if m)}
                for asked in chunk:
                    if asked in names:
                        read.found[asked] = deal
                        if asked != deal.id:
                            read.merged[asked] = deal.id
            for deal_id in chunk:
                if deal_id not in read.found:
                    read.missing[deal_id] = (
                        f"HubSpot has no deal {deal_id} (deleted or archived); link the MAP "
                        "to another deal"
                    )
        return read

    def closed_deals(self, since: date) -> list[CrmDealHistory]:
        exists = BY_KEY["map_exists"].hubspot
        start = int(datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp() * 1000)
        body = {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "hs_is_closed", "operator": "EQ", "value": "true"},
                        {"propertyName": "closedate", "operator": "GTE", "value": str(start)},
                    ]
                }
            ],
            "properties": [
                "createdate",
                "closedate",
                "hs_is_closed_won",
                "amount",
                *([exists] if exists in self.properties() else []),
            ],
        }
        out = []
        for r in self._search("read", "deals", body):
            p = r.get("properties") or {}
            amount = p.get("amount")
            out.append(
                CrmDealHistory(
                    deal_id=str(r["id"]),
                    opened_on=_day(p.get("createdate")),
                    closed_on=_day(p.get("closedate")),
                    won=str(p.get("hs_is_closed_won") or "").lower() == "true",
                    amount=float(amount) if amount not in (None, "") else None,
                    has_map=str(p.get(exists) or "").lower() == "true",
                )
            )
        return out

    def signal_values(self, deal_id: str) -> dict[str, object]:
        known = self.properties(fresh=True)
        names = [f.hubspot for f in FIELDS if f.hubspot in known]
        body = {"inputs": [{"id": deal_id}], "properties": names, "propertiesWithHistory": []}
        answer = self._call("read", "deals_batch", lambda c: c.crm.deals.batch_api, "read", body)
        results = answer.get("results") or [{}]
        values = results[0].get("properties") or {}
        return {f.key: values.get(f.hubspot) for f in FIELDS if f.hubspot in known}

    def _search(self, kind: str, obj: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        api = {
            "deals": lambda c: c.crm.deals.search_api,
            "contacts": lambda c: c.crm.contacts.search_api,
            "companies": lambda c: c.crm.companies.search_api,
        }[obj]
        out: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = {**body, "limit": SEARCH_LIMIT, **({"after": after} if after else {})}
            answer = self._call(kind, f"{obj}_search", api, "do_search", page)
            out += answer.get("results", [])
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if not after or len(out) >= 10_000:  # search answers at most 10,000 results
                return out

    def _owners(self, **query: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = {**query, "limit": 500, **({"after": after} if after else {})}
            answer = self._call(
                "read", "owners", lambda c: c.crm.owners.owners_api, "get_page", **page
            )
            out += answer.get("results", [])
            after = ((answer.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return out

    def deals_for(
        self, rep_email: str, contacts: Sequence[str], domains: Sequence[str]
    ) -> list[Deal]:
        found = self._owners(email=rep_email.lower())
        if not found:
            return []
        rep = found[0]
        owners = {str(rep["id"])}
        teams = {str(t["id"]) for t in rep.get("teams") or []}
        if teams:
            owners |= {
                str(o["id"])
                for o in self._owners()
                if teams & {str(t["id"]) for t in o.get("teams") or []}
            }
        links: list[tuple[str, str]] = []
        emails = sorted({c.lower() for c in contacts if c})
        if emails:
            body = {
                "filterGroups": [
                    {"filters": [{"propertyName": "email", "operator": "IN", "values": emails}]}
                ],
                "properties": ["email"],
            }
            links += [("contact", str(r["id"])) for r in self._search("read", "contacts", body)]
        names = sorted({d.lower() for d in domains if d})
        if names:
            body = {
                "filterGroups": [
                    {"filters": [{"propertyName": "domain", "operator": "IN", "values": names}]}
                ],
                "properties": ["domain"],
            }
            links += [("company", str(r["id"])) for r in self._search("read", "companies", body)]
        deals: dict[str, Deal] = {}
        for chunk in _chunks(links, SEARCH_GROUPS):
            body = {
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": f"associations.{kind}",
                                "operator": "EQ",
                                "value": ref,
                            },
                            {
                                "propertyName": "hubspot_owner_id",
                                "operator": "IN",
                                "values": sorted(owners),
                            },
                            {"propertyName": "hs_is_closed", "operator": "EQ", "value": "false"},
                        ]
                    }
                    for kind, ref in chunk
                ],
                "properties": self._wanted_properties(),
                "sorts": [{"propertyName": "closedate", "direction": "ASCENDING"}],
            }
            for record in self._search("read", "deals", body):
                deal = self._deal(record)
                if not deal.closed:
                    deals[deal.id] = deal
        return sorted(deals.values(), key=lambda d: (d.close_date or date.max, d.name))[:25]

    def open_deals(self, min_amount: float) -> list[Deal]:
        body = {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "hs_is_closed", "operator": "EQ", "value": "false"},
                        {"propertyName": "amount", "operator": "GTE", "value": f"{min_amount:g}"},
                    ]
                }
            ],
            "properties": self._wanted_properties(),
        }
        return [self._deal(r) for r in self._search("read", "deals", body)]

    # --- writes ---------------------------------------------------------------------------

    def _batch(
        self,
        kind: str,
        inputs: list[dict[str, Any]],
        results: Results,
        send: Callable[[list[dict[str, Any]]], Any],
        key: Callable[[dict[str, Any]], str],
    ) -> None:
        """Send inputs 100 at a time. A batch HubSpot refuses as a whole (one bad input
        fails all of it) is split in halves until the bad input stands alone: its deal gets
        the line, every other deal is written."""
        pending = [list(c) for c in _chunks(inputs, BATCH)]
        while pending:
            chunk = pending.pop(0)
            try:
                answer = send(chunk)
            except CrmError:
                raise
            except Exception as exc:
                status = getattr(exc, "status", None)
                if status == 429:
                    results.stopped = (
                        "HubSpot kept answering 429 (rate limit); the rest is written next sync"
                    )
                    results.deferred.update(key(i) for c in [chunk, *pending] for i in c)
                    return
                if len(chunk) > 1 and status in (400, 404, 409):
                    half = len(chunk) // 2
                    pending[:0] = [chunk[:half], chunk[half:]]
                    continue
                for item in chunk:
                    results.failed[key(item)] = _line(exc)
                continue
            failed = set()
            for error in answer.get("errors") or []:
                for ref in (error.get("context") or {}).get("ids") or []:
                    failed.add(str(ref))
                    results.failed[str(ref)] = _error_line(error)
            for item in chunk:
                if key(item) not in failed:
                    results.done.add(key(item))

    def write(self, updates: Mapping[str, Mapping[str, Signal]]) -> Results:
        results = Results()
        if not updates:
            return results
        known = self.properties()
        inputs = []
        for deal_id, values in updates.items():
            properties: dict[str, str] = {}
            for key, value in values.items():
                field = BY_KEY[key]
                found = known.get(field.hubspot)
                if found is None:
                    results.skipped.setdefault(deal_id, {})[key] = (
                        f"{field.hubspot} is not a deal property in HubSpot (deleted?): "
                        "run mapctl crm-setup"
                    )
                elif (found.get("modificationMetadata") or {}).get("readOnlyValue"):
                    results.skipped.setdefault(deal_id, {})[key] = (
                        f"{field.hubspot} is read-only in HubSpot"
                    )
                else:
                    properties[field.hubspot] = _value(field.kind, value)
            if properties:
                inputs.append({"id": deal_id, "properties": properties})
            else:
                results.done.add(deal_id)
        self._batch("write", inputs, results, self._update("write"), lambda i: str(i["id"]))
        return results

    def _update(self, kind: str) -> Callable[[list[dict[str, Any]]], Any]:
        def send(chunk: list[dict[str, Any]]) -> Any:
            return self._call(
                kind, "deals_batch", lambda c: c.crm.deals.batch_api, "update", {"inputs": chunk}
            )

        return send

    def move_stages(self, moves: Mapping[str, Stage]) -> Results:
        results = Results()
        inputs = [
            {
                "id": deal_id,
                "properties": {
                    "dealstage": stage.id,
                    **({"pipeline": stage.pipeline} if stage.pipeline else {}),
                },
            }
            for deal_id, stage in moves.items()
        ]
        self._batch("stage", inputs, results, self._update("stage"), lambda i: str(i["id"]))
        return results

    def add_notes(self, notes: Mapping[str, str], on: date) -> Results:
        results = Results()
        # The day the plan moved the deal (noon UTC, so every time zone shows that day).
        stamp = str(int(datetime(on.year, on.month, on.day, 12, tzinfo=UTC).timestamp() * 1000))
        inputs = [
            {
                "properties": {"hs_timestamp": stamp, "hs_note_body": note_html(text)},
                "associations": [
                    {
                        "to": {"id": deal_id},
                        "types": [
                            {
                                "associationCategory": "HUBSPOT_DEFINED",
                                "associationTypeId": NOTE_TO_DEAL,
                            }
                        ],
                    }
                ],
            }
            for deal_id, text in notes.items()
        ]

        def send(chunk: list[dict[str, Any]]) -> Any:
            return self._call(
                "note",
                "notes_batch",
                lambda c: c.crm.objects.notes.batch_api,
                "create",
                {"inputs": chunk},
            )

        self._batch("note", inputs, results, send, lambda i: str(i["associations"][0]["to"]["id"]))
        return results

    # --- crm-setup ---------------------------------------------------------------------

    def setup(
        self, *, gate: Gate | None = None, layouts: Sequence[str] = (), reps: Sequence[str] = ()
    ) -> list[str]:
        lines = []
        groups = self._call(
            "setup", "groups", lambda c: c.crm.properties.groups_api, "get_all", "deals"
        )
        if any(g.get("name") == GROUP for g in groups.get("results", [])):
            lines.append(f'property group "{GROUP_LABEL}": exists')
        else:
            self._setup_call(
                "groups",
                lambda c: c.crm.properties.groups_api,
                "create",
                "deals",
                {"name": GROUP, "label": GROUP_LABEL, "displayOrder": -1},
            )
            lines.append(f'property group "{GROUP_LABEL}": made')
        known = self.properties(fresh=True)
        wanted = []
        for order, field in enumerate(FIELDS):
            if field.hubspot in known:
                lines.append(f"property {field.hubspot}: exists")
                continue
            spec = dict(_PROPERTY.get(field.kind) or {})
            if field.kind is Kind.PICKLIST:
                spec = {
                    "type": "enumeration",
                    "fieldType": "select",
                    "options": [
                        {"label": v, "value": _HEALTH_VALUE.get(v, v), "displayOrder": i}
                        for i, v in enumerate(field.values)
                    ],
                }
            wanted.append(
                {
                    "name": field.hubspot,
                    "label": field.label,
                    "description": field.help,
                    "groupName": GROUP,
                    "displayOrder": order,
                    **spec,
                }
            )
            lines.append(f"property {field.hubspot}: made ({spec['type']}/{spec['fieldType']})")
        if wanted:
            self._setup_call(
                "properties_batch",
                lambda c: c.crm.properties.batch_api,
                "create",
                "deals",
                {"inputs": wanted},
            )
            self.properties(fresh=True)
        if layouts:
            lines.append("layouts: HubSpot shows a property group on the deal record by itself")
        if reps:
            lines.append("reps: HubSpot properties are visible to every user who sees the deal")
        if gate is not None:
            lines += self.gate_steps(gate)
        return lines

    def _setup_call(self, api: str, make: Callable[[HubSpot], Any], method: str, *args: Any) -> Any:
        try:
            return self._call("setup", api, make, method, *args)
        except CrmError:
            raise
        except Exception as exc:
            raise CrmError(
                f"HubSpot refused the setup ({method} {args[0]}): {_message(exc)}"
            ) from None

    def gate_steps(self, gate: Gate) -> list[str]:
        """HubSpot's stage requirement: MAP exists is required to enter the gate stage and
        each open stage after it, in the gate stage's pipeline."""
        stages = self.stages()
        start = find_stage(stages, gate.stage)
        if start is None:
            raise CrmError(
                f'HubSpot has no deal stage "{gate.stage}"; choose one of: '
                + ", ".join(f"{s.label} ({s.id})" for s in stages)
            )
        gated = [
            s
            for s in stages
            if s.pipeline == start.pipeline and s.order >= start.order and not s.closed
        ]
        prop = BY_KEY["map_exists"].hubspot
        return [
            f'gate: in Settings > Objects > Deals > Pipelines, open "{s.label}" ({s.id}) > '
            f'Edit stage properties and require "{BY_KEY["map_exists"].label}" ({prop}); '
            "HubSpot's API does not set stage requirements"
            for s in gated
        ]


def note_html(text: str) -> str:
    """A note as HubSpot shows note bodies (HTML): the first line bold, each line a
    paragraph, links clickable; everything else escaped."""
    paragraphs = []
    for i, line in enumerate(line for line in text.splitlines() if line.strip()):
        escaped = html.escape(line)
        escaped = re.sub(r"(https?://[^\s<]+)", lambda m: f'<a href="{m[1]}">{m[1]}</a>', escaped)
        paragraphs.append(f"<p><strong>{escaped}</strong></p>" if i == 0 else f"<p>{escaped}</p>")
    return "".join(paragraphs)


def _wait(headers: Mapping[str, Any], attempt: int) -> float:
    """How long to wait after a 429: Retry-After when HubSpot sends it, else the rate-limit
    interval of the policy hit when its window is spent, else a growing backoff."""
    lower = {str(k).lower(): v for k, v in dict(headers).items()}
    retry = lower.get("retry-after")
    if retry:
        try:
            return min(60.0, float(str(retry)))
        except ValueError:
            pass
    interval = lower.get("x-hubspot-ratelimit-interval-milliseconds")
    if interval and str(lower.get("x-hubspot-ratelimit-remaining", "0")) == "0":
        try:
            return min(60.0, float(str(interval)) / 1000)
        except ValueError:
            pass
    backoff: float = 0.5 * 2 ** (attempt - 1)
    return min(30.0, backoff)


def _error_line(error: Mapping[str, Any]) -> str:
    category = error.get("category") or "ERROR"
    return f"HubSpot refused it: {category}: {error.get('message', '')}".strip()


def _line(exc: Any) -> str:
    body = _body(exc)
    errors = body.get("errors") or []
    detail = "; ".join(
        str(e.get("message")) for e in errors if isinstance(e, dict) and e.get("message")
    )
    base = _message(exc)
    return f"HubSpot refused it: {base}" + (f" ({detail})" if detail and detail not in base else "")
