"""Salesforce through simple-salesforce: Opportunities carry the signals as custom fields.

The service logs in as an External Client App (new connected apps are restricted since
Spring '26), with the JWT bearer flow (MAP_SALESFORCE_USERNAME and a private key) or the
client-credentials flow (MAP_SALESFORCE_CLIENT_SECRET; the app's Run As user). The token
is fetched here (simple-salesforce builds `https://{domain}.salesforce.com` login URLs and
cannot take a My Domain or a test server's URL), then handed to simple-salesforce for
every REST call. Each thread has its own client (requests sessions are not shared across
threads); the token is shared and refreshed once when Salesforce says it expired.

Writes go through sObject Collections (200 records a call, allOrNone=false, so one deal's
refusal never blocks another's). Every answer's Sforce-Limit-Info header says how much of
the org's rolling 24-hour allowance is spent; at MAP_CRM_DAILY_SHARE of it the adapter
stops writing for this sync (backoff would not help: the allowance refills over a day).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import jwt
import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from addon.config import Settings
from addon.crm.base import Calls, CrmError, Gate, LimitReached, Read, Results
from addon.plan.crm import BY_KEY, FIELDS, Deal, Kind, Signal, Stage, find_stage
from addon.plan.history import CrmDealHistory

T = TypeVar("T")
BATCH = 200  # sObject Collections: "up to 200 records"
IDS_PER_QUERY = 200
DESCRIBE_SECONDS = 600.0
PERMISSION_SET = "MAP_Signals"
READ_PERMISSION_SET = "MAP_Signals_Read"
GATE_RULE = "MAP_Required_For_Stage"
LAYOUT_SECTION = "Mutual Action Plan"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

# Metadata for each kind of signal (Metadata API CustomField, through the Tooling API).
_METADATA: dict[Kind, dict[str, Any]] = {
    Kind.CHECKBOX: {"type": "Checkbox", "defaultValue": "false"},
    Kind.URL: {"type": "Url"},
    Kind.DATE: {"type": "Date"},
    Kind.NUMBER: {"type": "Number", "precision": 18, "scale": 0},
    Kind.PERCENT: {"type": "Percent", "precision": 5, "scale": 1},
    Kind.TEXT: {"type": "Text", "length": 255},
}

_KEY_OF = {f.salesforce: f.key for f in FIELDS}

# Per-record errors, as people read them (statusCode -> what happened and what to do).
_ERRORS = {
    "ENTITY_IS_DELETED": "the deal was deleted in Salesforce; link the MAP to another deal "
    "(mapctl link MAP --deal ID)",
    "INVALID_CROSS_REFERENCE_KEY": "Salesforce has no such deal; link the MAP to another deal",
    "MALFORMED_ID": "Salesforce has no such deal; link the MAP to another deal",
    "NOT_FOUND": "Salesforce has no such deal; link the MAP to another deal",
    "INSUFFICIENT_ACCESS_OR_READONLY": "the integration user may not edit this deal; share it "
    "with them or give them Edit on Opportunities",
    "ENTITY_IS_LOCKED": "the deal is locked (an approval process); it is written once unlocked",
    "UNABLE_TO_LOCK_ROW": "someone else was saving the deal; it is written next sync",
}


def soql_text(value: str) -> str:
    """A string literal for SOQL: quotes and backslashes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _value(kind: Kind, value: Signal) -> Any:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if kind is Kind.NUMBER and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _errors(content: Any) -> list[dict[str, Any]]:
    """Salesforce's error list, from a failed call's body."""
    if isinstance(content, list):
        return [e for e in content if isinstance(e, dict)]
    if isinstance(content, dict):
        return [content]
    return [{"message": str(content), "errorCode": ""}]


class _Session(requests.Session):
    """A session whose every request has a timeout (simple-salesforce passes none) and, when
    MAP_CRM_CA_BUNDLE is set, that bundle: passed per request, because requests lets
    REQUESTS_CA_BUNDLE in the environment override a session's own `verify`
    (psf/requests#3829), while proxy settings from the environment still apply."""

    def __init__(self, timeout: float, ca_bundle: str | None) -> None:
        super().__init__()
        self.timeout = timeout
        self.ca_bundle = ca_bundle

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        if self.ca_bundle:
            kwargs.setdefault("verify", self.ca_bundle)
        return super().request(method, url, *args, **kwargs)


class _Stop(LimitReached):
    """The org's daily allowance is spent (or nearly): no more calls this sync."""


class SalesforceCrm:
    name = "salesforce"
    label = "Salesforce"

    def __init__(self, settings: Settings) -> None:
        if not settings.salesforce_client_id:
            raise CrmError(
                "MAP_SALESFORCE_CLIENT_ID is not set: give the External Client App's consumer key"
            )
        has_key = settings.salesforce_private_key or settings.salesforce_private_key_file
        if not has_key and settings.salesforce_client_secret is None:
            raise CrmError(
                "Salesforce needs MAP_SALESFORCE_PRIVATE_KEY_FILE (or _PRIVATE_KEY) with "
                "MAP_SALESFORCE_USERNAME for the JWT bearer flow, or "
                "MAP_SALESFORCE_CLIENT_SECRET for the client-credentials flow"
            )
        if has_key and not settings.salesforce_username:
            raise CrmError(
                "the JWT bearer flow needs MAP_SALESFORCE_USERNAME (the integration user)"
            )
        self.settings = settings
        self.calls = Calls()
        self.login_url = settings.salesforce_login_url.rstrip("/")
        self.version = settings.salesforce_api_version
        self.share = settings.crm_daily_share
        self._lock = threading.Lock()
        self._local = threading.local()
        self._token: dict[str, str] | None = None
        self._generation = 0
        self._usage: tuple[int, int] | None = None  # used, total (Sforce-Limit-Info)
        self._fields: dict[str, dict[str, Any]] | None = None
        self._fields_at = 0.0
        self._stages: list[Stage] | None = None
        self.multi_currency = False

    # --- connection ---------------------------------------------------------------------

    def _session(self) -> requests.Session:
        ca = self.settings.crm_ca_bundle
        return _Session(self.settings.crm_timeout, str(ca) if ca else None)

    def _private_key(self) -> str:
        if self.settings.salesforce_private_key is not None:
            return self.settings.salesforce_private_key.get_secret_value()
        path = self.settings.salesforce_private_key_file
        assert path is not None
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CrmError(f"cannot read MAP_SALESFORCE_PRIVATE_KEY_FILE {path}: {exc}") from None

    def _login(self) -> dict[str, str]:
        s = self.settings
        if s.salesforce_private_key or s.salesforce_private_key_file:
            claims = {
                "iss": s.salesforce_client_id,
                "sub": s.salesforce_username,
                "aud": self.login_url,
                "exp": int(time.time()) + 180,  # Salesforce: at most 3 minutes ahead
            }
            form = {
                "grant_type": JWT_GRANT,
                "assertion": jwt.encode(claims, self._private_key(), algorithm="RS256"),
            }
        else:
            assert s.salesforce_client_secret is not None
            form = {
                "grant_type": "client_credentials",
                "client_id": s.salesforce_client_id,
                "client_secret": s.salesforce_client_secret.get_secret_value(),
            }
        self.calls.add("token")
        try:
            answer = self._session().post(f"{self.login_url}/services/oauth2/token", data=form)
        except requests.RequestException as exc:
            raise CrmError(f"cannot reach Salesforce at {self.login_url}: {exc}") from None
        try:
            body = answer.json()
        except ValueError:
            body = {}
        if answer.status_code != 200 or "access_token" not in body:
            why = body.get("error_description") or body.get("error") or answer.reason
            raise CrmError(
                f"Salesforce refused the login at {self.login_url} ({answer.status_code}): "
                f"{why}. Check the External Client App's consumer key, its certificate or "
                "secret, that its policies pre-authorise the integration user, and that "
                "MAP_SALESFORCE_LOGIN_URL is your org's login (My Domain for client credentials)"
            )
        return {k: str(v) for k, v in body.items()}

    def _client(self) -> Salesforce:
        with self._lock:
            if self._token is None:
                self._token = self._login()
                self._generation += 1
            token, generation = self._token, self._generation
        local = self._local
        if getattr(local, "generation", None) != generation:
            local.client = Salesforce(
                instance_url=token["instance_url"],
                session_id=token["access_token"],
                version=self.version,
                session=getattr(local, "session", None) or self._session(),
            )
            local.session = local.client.session
            local.generation = generation
        client: Salesforce = local.client
        return client

    def _expired(self, generation: int) -> None:
        with self._lock:
            if self._generation == generation:
                self._token = None

    def user_id(self) -> str:
        """The integration user's id (the token's identity URL ends with it)."""
        self._client()
        assert self._token is not None
        return self._token.get("id", "").rstrip("/").rsplit("/", 1)[-1]

    def instance_url(self) -> str:
        self._client()
        assert self._token is not None
        return self._token["instance_url"].rstrip("/")

    def _call(self, kind: str, work: Callable[[Salesforce], T]) -> T:
        """One REST call: counted, retried once on an expired session, metered against
        the daily allowance."""
        for attempt in (1, 2):
            client = self._client()
            generation = self._local.generation
            self.calls.add(kind)
            try:
                result = work(client)
            except SalesforceExpiredSession:
                self._expired(generation)
                if attempt == 2:
                    raise CrmError("Salesforce keeps refusing the session; log in again") from None
                continue
            except SalesforceRefusedRequest as exc:
                if any(
                    e.get("errorCode") == "REQUEST_LIMIT_EXCEEDED" for e in _errors(exc.content)
                ):
                    raise _Stop(
                        "Salesforce's daily API allowance is spent (REQUEST_LIMIT_EXCEEDED); "
                        "the rest is written at a later sync"
                    ) from None
                raise
            except requests.RequestException as exc:
                raise CrmError(f"cannot reach Salesforce: {exc}") from None
            usage = client.api_usage.get("api-usage")
            if usage is not None:
                with self._lock:
                    self._usage = (usage.used, usage.total)
            return result
        raise AssertionError("unreachable")

    def _check_allowance(self) -> None:
        with self._lock:
            usage = self._usage
        if usage and usage[1] and usage[0] >= self.share * usage[1]:
            raise _Stop(
                f"Salesforce's daily API allowance is {usage[0]:,} of {usage[1]:,} used, "
                f"past the {self.share:.0%} this service may spend (MAP_CRM_DAILY_SHARE); "
                "the rest is written at a later sync"
            )

    def usage(self) -> tuple[int, int] | None:
        with self._lock:
            return self._usage

    def _query(self, soql: str, kind: str = "read") -> list[dict[str, Any]]:
        answer = self._call(kind, lambda sf: sf.query_all(soql))
        return list(answer.get("records", []))

    def _tooling_query(self, soql: str) -> list[dict[str, Any]]:
        from urllib.parse import quote

        answer = self._call("setup", lambda sf: sf.toolingexecute("query/?q=" + quote(soql)))
        return list(answer.get("records", [])) if isinstance(answer, dict) else []

    # --- what the org holds ------------------------------------------------------------

    def describe(self, fresh: bool = False) -> dict[str, dict[str, Any]]:
        """Opportunity's fields the integration user can see (field-level security hides
        the rest), cached for ten minutes."""
        with self._lock:
            cached, at = self._fields, self._fields_at
        if cached is not None and not fresh and time.monotonic() - at < DESCRIBE_SECONDS:
            return cached
        answer = self._call("read", lambda sf: sf.restful("sobjects/Opportunity/describe")) or {}
        fields = {f["name"]: f for f in answer.get("fields", [])}
        with self._lock:
            self._fields, self._fields_at = fields, time.monotonic()
            self.multi_currency = "CurrencyIsoCode" in fields
        return fields

    def stages(self) -> list[Stage]:
        if self._stages is None:
            rows = self._query(
                "SELECT ApiName, MasterLabel, SortOrder, IsClosed, IsWon FROM OpportunityStage "
                "WHERE IsActive = true ORDER BY SortOrder"
            )
            self._stages = [
                Stage(
                    r["ApiName"],
                    r.get("MasterLabel") or r["ApiName"],
                    int(r.get("SortOrder") or 0),
                    bool(r.get("IsClosed")),
                    bool(r.get("IsWon")),
                )
                for r in rows
            ]
        return self._stages

    def deal_url(self, deal_id: str) -> str:
        return f"{self.instance_url()}/lightning/r/Opportunity/{deal_id}/view"

    def _select(self, extra: Sequence[str] = ()) -> str:
        fields = self.describe()
        names = [
            "Id",
            "Name",
            "Amount",
            "StageName",
            "CloseDate",
            "IsClosed",
            "IsWon",
            "Owner.Email",
            "Account.Name",
        ]
        if "CurrencyIsoCode" in fields:
            names.append("CurrencyIsoCode")
        names += [f for f in extra if f in fields]
        return ", ".join(names)

    def _deal(self, record: Mapping[str, Any]) -> Deal:
        stage = record.get("StageName") or ""
        found = find_stage(self.stages(), stage)
        owner = record.get("Owner") or {}
        account = record.get("Account") or {}
        close = record.get("CloseDate")
        amount = record.get("Amount")
        return Deal(
            id=record["Id"],
            name=record.get("Name") or "",
            amount=float(amount) if amount is not None else None,
            currency=record.get("CurrencyIsoCode") or "",
            stage=stage,
            stage_label=found.label if found else stage,
            close_date=date.fromisoformat(close) if close else None,
            closed=bool(record.get("IsClosed")),
            won=bool(record.get("IsWon")),
            owner=(owner.get("Email") or "").lower(),
            url=self.deal_url(record["Id"]),
            company=account.get("Name") or "",
            has_map=bool(record.get(BY_KEY["map_exists"].salesforce)),
        )

    def deals(self, ids: Sequence[str]) -> Read:
        read = Read()
        wanted = list(dict.fromkeys(i for i in ids if i))
        for chunk in _chunks(wanted, IDS_PER_QUERY):
            soql = (
                f"SELECT {self._select([BY_KEY['map_exists'].salesforce])} FROM Opportunity "
                f"WHERE Id IN ({', '.join(soql_text(i) for i in chunk)})"
            )
            try:
                rows = self._query(soql)
            except _Stop as exc:
                for deal_id in chunk:
                    read.missing[deal_id] = str(exc)
                continue
            except SalesforceMalformedRequest as exc:
                for deal_id in chunk:
                    read.missing[deal_id] = _first_message(exc.content)
                continue
            by_id = {r["Id"]: r for r in rows}
            for deal_id in chunk:
                # Ids come back in their 18-character form; a link may hold the 15.
                record = by_id.get(deal_id) or next(
                    (r for i, r in by_id.items() if i[:15] == deal_id[:15]), None
                )
                if record is None:
                    read.missing[deal_id] = (
                        f"Salesforce has no deal {deal_id} the integration user can see "
                        "(deleted, or not shared with it); link the MAP to another deal"
                    )
                else:
                    read.found[deal_id] = self._deal(record)
        return read

    def closed_deals(self, since: date) -> list[CrmDealHistory]:
        fields = self.describe()
        exists = BY_KEY["map_exists"].salesforce
        extra = f", {exists}" if exists in fields else ""
        rows = self._query(
            f"SELECT Id, CreatedDate, CloseDate, IsWon, Amount{extra} FROM Opportunity "
            f"WHERE IsClosed = true AND CloseDate >= {since.isoformat()}"
        )
        return [
            CrmDealHistory(
                deal_id=r["Id"],
                opened_on=date.fromisoformat(str(r["CreatedDate"])[:10])
                if r.get("CreatedDate")
                else None,
                closed_on=date.fromisoformat(r["CloseDate"]) if r.get("CloseDate") else None,
                won=bool(r.get("IsWon")),
                amount=float(r["Amount"]) if r.get("Amount") is not None else None,
                has_map=bool(r.get(exists)),
            )
            for r in rows
        ]

    def signal_values(self, deal_id: str) -> dict[str, object]:
        fields = self.describe(fresh=True)
        names = [f.salesforce for f in FIELDS if f.salesforce in fields]
        if not names:
            return {}
        rows = self._query(
            f"SELECT {', '.join(names)} FROM Opportunity WHERE Id = {soql_text(deal_id)}"
        )
        record = rows[0] if rows else {}
        return {_KEY_OF[n]: record.get(n) for n in names}

    def deals_for(
        self, rep_email: str, contacts: Sequence[str], domains: Sequence[str]
    ) -> list[Deal]:
        users = self._query(
            "SELECT Id, ManagerId FROM User WHERE IsActive = true AND Email = "
            + soql_text(rep_email.lower())
        )
        if not users:
            return []
        rep = users[0]
        owner_ids = {rep["Id"]}
        team_clause = f"ManagerId = {soql_text(rep['Id'])}"
        if rep.get("ManagerId"):
            team_clause += f" OR ManagerId = {soql_text(rep['ManagerId'])}"
        owner_ids |= {
            u["Id"]
            for u in self._query(f"SELECT Id FROM User WHERE IsActive = true AND ({team_clause})")
        }
        accounts: set[str] = set()
        emails = sorted({c.lower() for c in contacts if c})
        if emails:
            accounts |= {
                r["AccountId"]
                for r in self._query(
                    "SELECT AccountId FROM Contact WHERE Email IN ("
                    + ", ".join(soql_text(e) for e in emails)
                    + ")"
                )
                if r.get("AccountId")
            }
        names = sorted({d.lower() for d in domains if d})
        if names:
            like = " OR ".join(f"Website LIKE {soql_text('%' + d + '%')}" for d in names)
            accounts |= {r["Id"] for r in self._query(f"SELECT Id FROM Account WHERE {like}")}
        if not accounts:
            return []
        soql = (
            f"SELECT {self._select()} FROM Opportunity WHERE IsClosed = false "
            f"AND OwnerId IN ({', '.join(soql_text(o) for o in sorted(owner_ids))}) "
            f"AND AccountId IN ({', '.join(soql_text(a) for a in sorted(accounts))}) "
            "ORDER BY CloseDate LIMIT 25"
        )
        return [self._deal(r) for r in self._query(soql)]

    def open_deals(self, min_amount: float) -> list[Deal]:
        extra = [BY_KEY["map_exists"].salesforce]
        soql = (
            f"SELECT {self._select(extra)} FROM Opportunity WHERE IsClosed = false "
            f"AND Amount >= {min_amount:.2f}"
        )
        return [self._deal(r) for r in self._query(soql)]

    # --- writes ---------------------------------------------------------------------------

    def _collections(
        self, records: list[dict[str, Any]], kind: str, method: str, results: Results
    ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Send records through sObject Collections in calls of 200 (allOrNone=false).
        Marks done and deferred in `results`; returns the records that failed with their
        errors, for the caller to read."""
        failed: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for index, chunk in enumerate(_chunks(records, BATCH)):
            ids = [r.get("id") or r.get("WhatId") or "" for r in chunk]
            if results.stopped:
                results.deferred.update(ids)
                continue
            try:
                self._check_allowance()
                body = {"allOrNone": False, "records": list(chunk)}

                def send(sf: Salesforce, body: dict[str, Any] = body) -> Any:
                    return sf.restful("composite/sobjects", method=method, json=body)

                answer = self._call(kind, send)
            except _Stop as exc:
                results.stopped = str(exc)
                for rest in list(_chunks(records, BATCH))[index:]:
                    results.deferred.update(r.get("id") or r.get("WhatId") or "" for r in rest)
                break
            except (
                SalesforceMalformedRequest,
                SalesforceResourceNotFound,
                SalesforceRefusedRequest,
            ) as exc:
                errors = _errors(exc.content)
                failed += [(r, errors) for r in chunk]
                continue
            except SalesforceError as exc:
                errors = [{"statusCode": "", "message": f"Salesforce answered {exc.status}"}]
                failed += [(r, errors) for r in chunk]
                continue
            for record, outcome, deal_id in zip(chunk, answer or [], ids, strict=False):
                if outcome.get("success"):
                    results.done.add(deal_id)
                else:
                    failed.append((record, list(outcome.get("errors") or [])))
        return failed

    def _fields_to_write(
        self, values: Mapping[str, Signal], fields: Mapping[str, dict[str, Any]]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        record: dict[str, Any] = {}
        skipped: dict[str, str] = {}
        for key, value in values.items():
            field = BY_KEY[key]
            found = fields.get(field.salesforce)
            if found is None:
                skipped[key] = (
                    f"{field.salesforce} is not on Opportunity for the integration user "
                    "(removed, or no field access): run mapctl crm-setup"
                )
            elif not found.get("updateable", False):
                skipped[key] = (
                    f"{field.salesforce} is read-only for the integration user: give it Edit "
                    f"in the {PERMISSION_SET} permission set (mapctl crm-setup does)"
                )
            else:
                record[field.salesforce] = _value(field.kind, value)
        return record, skipped

    def write(self, updates: Mapping[str, Mapping[str, Signal]]) -> Results:
        results = Results()
        if not updates:
            return results
        try:
            self._check_allowance()
            fields = self.describe()
        except _Stop as exc:
            results.stopped = str(exc)
            results.deferred.update(updates)
            return results
        records = []
        for deal_id, values in updates.items():
            record, skipped = self._fields_to_write(values, fields)
            if skipped:
                results.skipped[deal_id] = skipped
            if record:
                records.append({"attributes": {"type": "Opportunity"}, "id": deal_id, **record})
            else:
                results.done.add(deal_id)  # nothing writable: the lines say why
        failed = self._collections(records, "write", "PATCH", results)
        retry: list[dict[str, Any]] = []
        for record, errors in failed:
            deal_id = record["id"]
            named = {f for e in errors for f in e.get("fields") or [] if f in record}
            if named and all(
                e.get("statusCode")
                in {
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    "INVALID_FIELD",
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    "INVALID_TYPE_ON_FIELD_IN_RECORD",
                }
                for e in errors
            ):
                # Write the rest of the deal's signals; say which field was refused.
                for name in sorted(named):
                    results.skipped.setdefault(deal_id, {})[_KEY_OF.get(name, name)] = (
                        f"{name}: {_first_message(errors)}"
                    )
                rest = {k: v for k, v in record.items() if k not in named}
                if len(rest) > 2:  # more than attributes and id
                    retry.append(rest)
                else:
                    results.done.add(deal_id)
            else:
                results.failed[deal_id] = _line(errors)
        for record, errors in self._collections(retry, "write", "PATCH", results):
            results.failed[record["id"]] = _line(errors)
        return results

    def move_stages(self, moves: Mapping[str, Stage]) -> Results:
        results = Results()
        records = [
            {"attributes": {"type": "Opportunity"}, "id": deal_id, "StageName": stage.id}
            for deal_id, stage in moves.items()
        ]
        for record, errors in self._collections(records, "stage", "PATCH", results):
            results.failed[record["id"]] = _line(errors)
        return results

    def add_notes(self, notes: Mapping[str, str], on: date) -> Results:
        results = Results()
        records = [
            {
                "attributes": {"type": "Task"},
                "WhatId": deal_id,
                "Subject": text.split("\n", 1)[0][:255],
                "Description": text.split("\n", 1)[-1],
                "Status": "Completed",
                "ActivityDate": on.isoformat(),
            }
            for deal_id, text in notes.items()
        ]
        for record, errors in self._collections(records, "note", "POST", results):
            results.failed[record["WhatId"]] = _line(errors)
        return results

    # --- crm-setup ---------------------------------------------------------------------

    def setup(
        self, *, gate: Gate | None = None, layouts: Sequence[str] = (), reps: Sequence[str] = ()
    ) -> list[str]:
        lines = self._setup_fields()
        lines += self._setup_access(reps)
        self.describe(fresh=True)
        for layout in layouts:
            lines.append(self._setup_layout(layout))
        if gate is not None:
            lines.append(self._setup_gate(gate))
        return lines

    def _setup_fields(self) -> list[str]:
        existing = {
            r.get("DeveloperName", "")
            for r in self._tooling_query(
                "SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = 'Opportunity'"
            )
        }
        lines = []
        for field in FIELDS:
            name = field.salesforce
            if name.removesuffix("__c") in existing:
                lines.append(f"field {name}: exists")
                continue
            metadata: dict[str, Any] = {
                "label": field.label[:40],
                "description": field.help,
                "inlineHelpText": field.help,
            }
            if field.kind is Kind.PICKLIST:
                metadata |= {
                    "type": "Picklist",
                    "valueSet": {
                        "restricted": True,
                        "valueSetDefinition": {
                            "sorted": False,
                            "value": [
                                {"fullName": v, "label": v, "default": False} for v in field.values
                            ],
                        },
                    },
                }
            else:
                metadata |= _METADATA[field.kind]
            body = {"FullName": f"Opportunity.{name}", "Metadata": metadata}

            def make(sf: Salesforce, body: dict[str, Any] = body) -> Any:
                return sf.toolingexecute("sobjects/CustomField", method="POST", data=body)

            self._setup_call(make, f"make the field {name}")
            lines.append(f"field {name}: made ({metadata['type']})")
        return lines

    def _setup_call(self, work: Callable[[Salesforce], Any], what: str) -> Any:
        try:
            return self._call("setup", work)
        except SalesforceError as exc:
            raise CrmError(f"Salesforce refused to {what}: {_first_message(exc.content)}") from None

    def _permission_set(self, name: str, label: str) -> tuple[str, bool]:
        found = self._query(
            f"SELECT Id FROM PermissionSet WHERE Name = {soql_text(name)}", kind="setup"
        )
        if found:
            return found[0]["Id"], False
        made = self._setup_call(
            lambda sf: sf.restful(
                "sobjects/PermissionSet", method="POST", json={"Name": name, "Label": label}
            ),
            f"make the permission set {name}",
        )
        return str(made["id"]), True

    def _setup_access(self, reps: Sequence[str]) -> list[str]:
        lines = []
        sets = [(PERMISSION_SET, "MAP signals (read and edit)", True)]
        if reps:
            sets.append((READ_PERMISSION_SET, "MAP signals (read)", False))
        for name, label, edit in sets:
            set_id, made = self._permission_set(name, label)
            lines.append(f"permission set {name}: {'made' if made else 'exists'}")
            have = {
                r["Field"]
                for r in self._query(
                    f"SELECT Field FROM FieldPermissions WHERE ParentId = {soql_text(set_id)}",
                    kind="setup",
                )
            }
            wanted = [
                {
                    "attributes": {"type": "FieldPermissions"},
                    "ParentId": set_id,
                    "SobjectType": "Opportunity",
                    "Field": f"Opportunity.{f.salesforce}",
                    "PermissionsRead": True,
                    "PermissionsEdit": edit,
                }
                for f in FIELDS
                if f"Opportunity.{f.salesforce}" not in have
            ]
            results = Results()
            failed = self._collections(wanted, "setup", "POST", results)
            if failed:
                raise CrmError(
                    f"Salesforce refused field access in {name}: {_first_message(failed[0][1])}"
                )
            lines.append(
                f"permission set {name}: field access to {len(FIELDS)} fields "
                f"({len(wanted)} granted now, {'read and edit' if edit else 'read'})"
            )
            users = [self.user_id()] if edit else self._users(reps, lines)
            for user in users:
                lines.append(self._assign(set_id, name, user))
        return lines

    def _users(self, emails: Sequence[str], lines: list[str]) -> list[str]:
        found = self._query(
            "SELECT Id, Email FROM User WHERE IsActive = true AND Email IN ("
            + ", ".join(soql_text(e.lower()) for e in emails)
            + ")",
            kind="setup",
        )
        known = {r["Email"].lower() for r in found}
        lines += [
            f"rep {e}: no active Salesforce user with this email"
            for e in emails
            if e.lower() not in known
        ]
        return [r["Id"] for r in found]

    def _assign(self, set_id: str, name: str, user: str) -> str:
        have = self._query(
            "SELECT Id FROM PermissionSetAssignment WHERE PermissionSetId = "
            f"{soql_text(set_id)} AND AssigneeId = {soql_text(user)}",
            kind="setup",
        )
        if have:
            return f"permission set {name}: assigned to {user} already"
        self._setup_call(
            lambda sf: sf.restful(
                "sobjects/PermissionSetAssignment",
                method="POST",
                json={"AssigneeId": user, "PermissionSetId": set_id},
            ),
            f"assign {name} to {user}",
        )
        return f"permission set {name}: assigned to {user}"

    def _setup_layout(self, name: str) -> str:
        found = self._tooling_query(
            "SELECT Id, Name FROM Layout WHERE TableEnumOrId = 'Opportunity' AND Name = "
            + soql_text(name)
        )
        if not found:
            raise CrmError(f'Salesforce has no Opportunity page layout named "{name}"')
        layout_id = found[0]["Id"]
        layout = self._setup_call(
            lambda sf: sf.toolingexecute(f"sobjects/Layout/{layout_id}"), f"read layout {name}"
        )
        metadata = dict(layout.get("Metadata") or {})
        sections = list(metadata.get("layoutSections") or [])
        placed = {
            item.get("field")
            for section in sections
            for column in section.get("layoutColumns") or []
            for item in column.get("layoutItems") or []
        }
        missing = [f.salesforce for f in FIELDS if f.salesforce not in placed]
        if not missing:
            return f'layout "{name}": has the MAP fields'
        items = [{"field": f, "behavior": "Readonly"} for f in missing]
        half = (len(items) + 1) // 2
        sections.append(
            {
                "label": LAYOUT_SECTION,
                "style": "TwoColumnsTopToBottom",
                "customLabel": True,
                "detailHeading": True,
                "editHeading": True,
                "layoutColumns": [{"layoutItems": items[:half]}, {"layoutItems": items[half:]}],
            }
        )
        metadata["layoutSections"] = sections
        self._setup_call(
            lambda sf: sf.toolingexecute(
                f"sobjects/Layout/{layout_id}", method="PATCH", data={"Metadata": metadata}
            ),
            f"add the MAP fields to layout {name}",
        )
        return f'layout "{name}": {len(missing)} MAP fields added in section "{LAYOUT_SECTION}"'

    def gate_formula(self, gate: Gate) -> str:
        stages = self.stages()
        start = find_stage(stages, gate.stage)
        if start is None:
            raise CrmError(
                f'Salesforce has no opportunity stage "{gate.stage}"; choose one of: '
                + ", ".join(s.label for s in stages)
            )
        gated = [s for s in stages if s.order >= start.order and not s.closed]
        picks = ", ".join(f'ISPICKVAL(StageName, "{s.id}")' for s in gated)
        exists = BY_KEY["map_exists"].salesforce
        return (
            f"AND(ISCHANGED(StageName), NOT({exists}), Amount >= {gate.min_amount:.0f}, "
            f"OR({picks}))"
        )

    def _setup_gate(self, gate: Gate) -> str:
        metadata = {
            "active": True,
            "description": "Mutual Action Plan: deals past this stage need a linked MAP",
            "errorConditionFormula": self.gate_formula(gate),
            "errorMessage": gate_message(gate),
            "errorDisplayField": "StageName",
        }
        found = self._tooling_query(
            f"SELECT Id FROM ValidationRule WHERE ValidationName = {soql_text(GATE_RULE)}"
        )
        if found:
            rule_id = found[0]["Id"]
            self._setup_call(
                lambda sf: sf.toolingexecute(
                    f"sobjects/ValidationRule/{rule_id}",
                    method="PATCH",
                    data={"Metadata": metadata},
                ),
                "update the validation rule",
            )
            return f"validation rule {GATE_RULE}: updated ({gate.stage}, {gate.min_amount:,.0f})"
        self._setup_call(
            lambda sf: sf.toolingexecute(
                "sobjects/ValidationRule",
                method="POST",
                data={"FullName": f"Opportunity.{GATE_RULE}", "Metadata": metadata},
            ),
            "make the validation rule",
        )
        return f"validation rule {GATE_RULE}: made ({gate.stage}, {gate.min_amount:,.0f})"


def gate_message(gate: Gate) -> str:
    """What a rep reads when the CRM refuses the stage (both CRMs)."""
    return (
        f"This deal needs a Mutual Action Plan before it reaches {gate.stage}. In Gmail, open "
        "the buyer's thread and click Create MAP in the MAP add-on (pick this deal), or link "
        "an existing plan; then change the stage again."
    )[:255]


def _first_message(content: Any) -> str:
    errors = _errors(content)
    if not errors:
        return "no detail"
    e = errors[0]
    code = e.get("errorCode") or e.get("statusCode") or ""
    return f"{code}: {e.get('message', '')}".strip(": ")


def _line(errors: Sequence[Mapping[str, Any]]) -> str:
    """One clear line for a refused record."""
    if not errors:
        return "Salesforce refused the write without saying why"
    e = errors[0]
    code = str(e.get("statusCode") or e.get("errorCode") or "")
    if code in _ERRORS:
        return _ERRORS[code]
    if code == "FIELD_CUSTOM_VALIDATION_EXCEPTION":
        return f"a Salesforce validation rule refused it: {e.get('message', '')}"
    fields = ", ".join(e.get("fields") or [])
    where = f" ({fields})" if fields else ""
    return f"Salesforce refused it{where}: {code} {e.get('message', '')}".strip()
