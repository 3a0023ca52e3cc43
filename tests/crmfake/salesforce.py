"""An offline Salesforce org, served over HTTPS, that simple-salesforce talks to unchanged.

Modelled (each behaviour cites its page where it is implemented; what no page confirms is
marked ASSUMPTION and listed in `salesforce_assumptions.ASSUMPTIONS`):

- OAuth token endpoint: JWT bearer and client credentials flows.
- REST: SOQL query with paging, describe, sObject create/read/update/delete, sObject
  Collections create/update, the Sforce-Limit-Info header and the daily request limit.
- Tooling API: CustomField and ValidationRule create, ValidationRule and Layout update,
  tooling SOQL. Active validation rules are enforced on Opportunity writes.
- Field-level security for custom fields through PermissionSet / FieldPermissions /
  PermissionSetAssignment.

Tests seed and inspect the org through the Python API (add_user, add_opportunity, record,
...), inject faults with `fail(...)`, and read the call log with `calls()` / `count()`.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt

from tests.crmfake import soql
from tests.crmfake.tls import serve_tls

DOCS_REST_ERRORS = (
    "https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm"
)
DOCS_OBJECT_REF = (
    "https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference"
)

# 18-character ids: https://help.salesforce.com/s/articleView?id=000385008&type=1 (15-char id
# plus a 3-char case-safe suffix). Key prefixes are the first three characters:
# https://help.salesforce.com/s/articleView?id=000385203&type=1
KEY_PREFIXES: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "Task": "00T",
    "OpportunityStage": "01J",
    "PermissionSet": "0PS",
    "FieldPermissions": "01k",
    "PermissionSetAssignment": "0Pa",
    "CustomField": "00N",
    "ValidationRule": "03d",
    "Layout": "00h",
}
ORG_ID = "00D5g000004ExAMEA0"
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def to18(id15: str) -> str:
    """Salesforce's case-safe suffix: per 5-char chunk, a bit per upper-case letter."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        suffix += _SUFFIX_CHARS[bits]
    return id15 + suffix


def now_stamp() -> str:
    """Salesforce's datetime format in REST JSON: 2026-03-01T10:00:00.000+0000."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


# -------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class PicklistValue:
    value: str
    label: str
    default: bool = False
    active: bool = True


@dataclass
class FieldDef:
    """One field as describe reports it (a subset of the DescribeFieldResult)."""

    name: str
    label: str
    type: str  # describe type: id, string, double, percent, currency, date, ...
    updateable: bool = True
    createable: bool = True
    nillable: bool = True
    custom: bool = False
    length: int = 0
    precision: int = 0
    scale: int = 0
    picklist: list[PicklistValue] | None = None
    restricted: bool = False
    reference_to: str | None = None
    relationship_name: str | None = None
    required: bool = False  # required on create (REQUIRED_FIELD_MISSING)
    default: Any = None
    description: str | None = None
    help_text: str | None = None


_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "string": "xsd:string",
    "textarea": "xsd:string",
    "picklist": "xsd:string",
    "url": "xsd:string",
    "email": "xsd:string",
    "combobox": "xsd:string",
    "double": "xsd:double",
    "percent": "xsd:double",
    "currency": "xsd:double",
    "int": "xsd:int",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
_NUMBER_TYPES = {"double", "percent", "currency", "int"}
_TEXT_TYPES = {"string", "textarea", "url", "email", "combobox", "picklist", "id", "reference"}


def _id(label: str = "Record ID") -> FieldDef:
    return FieldDef(
        "Id", label, "id", updateable=False, createable=False, nillable=False, length=18
    )


def _text(name: str, label: str, length: int = 255, **kw: Any) -> FieldDef:
    return FieldDef(name, label, kw.pop("type", "string"), length=length, **kw)


def _ref(name: str, label: str, target: str, rel: str | None, **kw: Any) -> FieldDef:
    return FieldDef(
        name, label, "reference", length=18, reference_to=target, relationship_name=rel, **kw
    )


def _bool(name: str, label: str, **kw: Any) -> FieldDef:
    kw.setdefault("nillable", False)
    return FieldDef(name, label, "boolean", default=kw.pop("default", False), **kw)


def _readonly(fd: FieldDef) -> FieldDef:
    fd.updateable = False
    fd.createable = False
    return fd


def _picklist(values: Iterable[str], default: str | None = None) -> list[PicklistValue]:
    return [PicklistValue(v, v, v == default) for v in values]


# Developer Edition standard sales process. OpportunityStage fields:
# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunitystage.htm
# ASSUMPTION (stage-defaults): the probabilities and forecast categories of a fresh org.
STANDARD_STAGES: tuple[tuple[str, int, str, bool, bool], ...] = (
    # (ApiName/MasterLabel, DefaultProbability, ForecastCategoryName, IsClosed, IsWon)
    ("Prospecting", 10, "Pipeline", False, False),
    ("Qualification", 10, "Pipeline", False, False),
    ("Needs Analysis", 20, "Pipeline", False, False),
    ("Value Proposition", 50, "Pipeline", False, False),
    ("Id. Decision Makers", 60, "Pipeline", False, False),
    ("Perception Analysis", 70, "Pipeline", False, False),
    ("Proposal/Price Quote", 75, "Pipeline", False, False),
    ("Negotiation/Review", 90, "Pipeline", False, False),
    ("Closed Won", 100, "Closed", True, True),
    ("Closed Lost", 0, "Omitted", True, False),
)
# Opportunity.ForecastCategoryName values:
# https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm
FORECAST_CATEGORIES = ("Omitted", "Pipeline", "Best Case", "Commit", "Closed")
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")


def _standard_schema() -> dict[str, dict[str, FieldDef]]:
    fields: dict[str, list[FieldDef]] = {
        "User": [
            _id("User ID"),
            _readonly(_text("Name", "Full Name", 121)),
            _text("Email", "Email", 128, type="email", nillable=False),
            _text("Username", "Username", 80, nillable=False),
            _bool("IsActive", "Active"),
            _ref("ManagerId", "Manager ID", "User", "Manager"),
        ],
        "Account": [
            _id("Account ID"),
            _text("Name", "Account Name", 255, nillable=False, required=True),
            _text("Website", "Website", 255, type="url"),
            _readonly(
                FieldDef("LastModifiedDate", "Last Modified Date", "datetime", nillable=False)
            ),
        ],
        "Contact": [
            _id("Contact ID"),
            _text("FirstName", "First Name", 40),
            _text("LastName", "Last Name", 80, nillable=False, required=True),
            _readonly(_text("Name", "Full Name", 121)),
            _text("Email", "Email", 80, type="email"),
            _ref("AccountId", "Account ID", "Account", "Account"),
        ],
        "Opportunity": [
            _id("Opportunity ID"),
            _text("Name", "Name", 120, nillable=False, required=True),
            FieldDef("Amount", "Amount", "currency", precision=18, scale=2),
            FieldDef(
                "StageName",
                "Stage",
                "picklist",
                length=255,
                nillable=False,
                required=True,
                restricted=True,
            ),
            FieldDef("CloseDate", "Close Date", "date", nillable=False, required=True),
            _readonly(_bool("IsClosed", "Closed")),
            _readonly(_bool("IsWon", "Won")),
            _ref("OwnerId", "Owner ID", "User", "Owner", nillable=False),
            _ref("AccountId", "Account ID", "Account", "Account"),
            FieldDef("Probability", "Probability (%)", "percent", precision=3, scale=0),
            FieldDef(
                "ForecastCategoryName",
                "Forecast Category",
                "picklist",
                length=40,
                picklist=_picklist(FORECAST_CATEGORIES),
                restricted=True,
            ),
            _readonly(
                FieldDef("LastModifiedDate", "Last Modified Date", "datetime", nillable=False)
            ),
            # A system field on every object (object_reference "System Fields").
            _readonly(FieldDef("CreatedDate", "Created Date", "datetime", nillable=False)),
        ],
        "OpportunityStage": [
            _id("Opportunity Stage ID"),
            _readonly(_text("ApiName", "API Name")),
            _readonly(_text("MasterLabel", "Master Label")),
            _readonly(FieldDef("SortOrder", "Sort Order", "int", precision=9)),
            _readonly(_bool("IsActive", "Is Active")),
            _readonly(_bool("IsClosed", "Closed")),
            _readonly(_bool("IsWon", "Won")),
            _readonly(FieldDef("DefaultProbability", "Probability (%)", "percent", precision=3)),
            _readonly(
                FieldDef(
                    "ForecastCategoryName",
                    "Forecast Category Name",
                    "picklist",
                    length=255,
                    picklist=_picklist(FORECAST_CATEGORIES),
                    restricted=True,
                )
            ),
        ],
        "Task": [
            _id("Activity ID"),
            _ref("WhatId", "Related To ID", "Opportunity", None),
            _text("Subject", "Subject", 255, type="combobox"),
            _text("Description", "Description", 32000, type="textarea"),
            FieldDef(
                "Status",
                "Status",
                "picklist",
                length=255,
                nillable=False,
                picklist=_picklist(TASK_STATUSES, "Not Started"),
                default="Not Started",
            ),
            FieldDef("ActivityDate", "Due Date Only", "date"),
            _ref("OwnerId", "Assigned To ID", "User", "Owner"),
        ],
        "PermissionSet": [
            _id("Permission Set ID"),
            _text("Name", "Name", 80, nillable=False, required=True),
            _text("Label", "Label", 80, nillable=False, required=True),
        ],
        # https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_fieldpermissions.htm
        "FieldPermissions": [
            _id("Field Permissions ID"),
            _ref(
                "ParentId",
                "Parent ID",
                "PermissionSet",
                "Parent",
                nillable=False,
                required=True,
                updateable=False,
            ),
            FieldDef(
                "SobjectType",
                "Sobject Type Name",
                "picklist",
                length=255,
                nillable=False,
                required=True,
                updateable=False,
            ),
            FieldDef(
                "Field",
                "Field Name",
                "picklist",
                length=255,
                nillable=False,
                required=True,
                updateable=False,
            ),
            _bool("PermissionsRead", "Read Access"),
            _bool("PermissionsEdit", "Edit Access"),
        ],
        "PermissionSetAssignment": [
            _id("Permission Set Assignment ID"),
            _ref(
                "AssigneeId",
                "Assignee ID",
                "User",
                "Assignee",
                nillable=False,
                required=True,
                updateable=False,
            ),
            _ref(
                "PermissionSetId",
                "Permission Set ID",
                "PermissionSet",
                "PermissionSet",
                nillable=False,
                required=True,
                updateable=False,
            ),
        ],
    }
    return {name: {f.name: f for f in defs} for name, defs in fields.items()}


def _tooling_schema() -> dict[str, dict[str, FieldDef]]:
    # Tooling API objects: https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/reference_objects_list.htm
    defs = {
        "CustomField": [
            _id(),
            _readonly(_text("DeveloperName", "Developer Name")),
            _readonly(_text("TableEnumOrId", "Table Enum or ID")),
            _readonly(_text("NamespacePrefix", "Namespace Prefix")),
        ],
        "ValidationRule": [
            _id(),
            _readonly(_text("ValidationName", "Validation Name")),
            _readonly(_bool("Active", "Active")),
            _readonly(_text("Description", "Description")),
            _readonly(_text("ErrorMessage", "Error Message")),
            _readonly(_text("ErrorDisplayField", "Error Display Field")),
            _readonly(_text("EntityDefinitionId", "Entity Definition ID")),
        ],
        "Layout": [
            _id(),
            _readonly(_text("Name", "Name")),
            _readonly(_text("TableEnumOrId", "Table Enum or ID")),
        ],
    }
    return {name: {f.name: f for f in fs} for name, fs in defs.items()}


# ---------------------------------------------------------------------- call log


@dataclass(frozen=True)
class Logged:
    """One request as the fake saw it, and the status it answered."""

    method: str
    path: str
    query: str
    body: str
    status: int
    kinds: frozenset[str] = frozenset()


@dataclass
class _Fault:
    prefix: str
    status: int
    times: int
    body: Any
    headers: dict[str, str]


@dataclass
class _App:
    consumer_key: str
    public_key: Any | None
    secret: str | None
    run_as: str | None
    preauthorized: set[str] | None


@dataclass
class _Session:
    user_id: str
    app: str
    expired: bool = False


@dataclass
class _Rule:
    id: str
    sobject: str
    name: str
    metadata: dict[str, Any]
    formula: soql.FNode | None


@dataclass
class _Layout:
    id: str
    name: str
    sobject: str
    metadata: dict[str, Any]


class Refusal(Exception):
    """An error answer: HTTP status and JSON body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def rest_error(status: int, code: str, message: str, fields: list[str] | None = None) -> Refusal:
    """REST API error body: a list of {message, errorCode[, fields]} (DOCS_REST_ERRORS)."""
    item: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        item["fields"] = fields
    return Refusal(status, [item])


def _oauth_error(error: str, description: str, status: int = 400) -> Refusal:
    # OAuth errors: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm
    # {"error": ..., "error_description": ...}, 400 Bad Request.
    return Refusal(status, {"error": error, "error_description": description})


NOT_FOUND_MESSAGE = "The requested resource does not exist"


@dataclass
class _RecordError:
    code: str
    message: str
    fields: list[str] = field(default_factory=list)

    def save_result(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


class _RecordFailed(Exception):
    def __init__(self, errors: list[_RecordError], status: int = 400) -> None:
        super().__init__(errors[0].message)
        self.errors = errors
        self.status = status


# ------------------------------------------------------------------------- the fake


_LAYOUT_KEYS = {
    "customButtons",
    "customConsoleComponents",
    "emailDefault",
    "excludeButtons",
    "feedLayout",
    "headers",
    "layoutSections",
    "miniLayout",
    "multilineLayoutFields",
    "platformActionList",
    "quickActionList",
    "relatedContent",
    "relatedLists",
    "relatedObjects",
    "runAssignmentRulesDefault",
    "showEmailCheckbox",
    "showHighlightsPanel",
    "showInteractionLogPanel",
    "showKnowledgeComponent",
    "showRunAssignmentRulesCheckbox",
    "showSolutionSection",
    "showSubmitAndAttachButton",
    "summaryLayout",
    "urls",
}
# CustomField metadata: https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/customfield.htm
_CUSTOM_FIELD_KEYS = {
    "label",
    "type",
    "length",
    "precision",
    "scale",
    "valueSet",
    "defaultValue",
    "description",
    "inlineHelpText",
    "required",
    "unique",
    "externalId",
    "visibleLines",
    "fullName",
}
# ValidationRule metadata: https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/customobject.htm#validation_rule
_RULE_KEYS = {
    "active",
    "description",
    "errorConditionFormula",
    "errorMessage",
    "errorDisplayField",
    "fullName",
}
_FIELD_TYPES = {
    "Text": "string",
    "Date": "date",
    "Number": "double",
    "Percent": "percent",
    "Url": "url",
    "Checkbox": "boolean",
    "Picklist": "picklist",
}


class SalesforceFake:
    """The org: a WSGI app plus a Python API to seed and inspect it.

    One lock guards every state change and the call log; a request is handled whole under
    it (nothing sleeps while holding it).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.url = ""  # set by serve()
        self.ca_file: Path | None = None
        self.page_size = 2000
        self.daily_limit = 15000
        self.multi_currency = False
        self.corporate_currency = "USD"
        self.currencies: tuple[str, ...] = ("USD", "EUR", "GBP")
        self.login_urls: tuple[str, ...] = (
            "https://login.salesforce.com",
            "https://test.salesforce.com",
        )
        self._schema = _standard_schema()
        self._tooling = _tooling_schema()
        self._records: dict[str, dict[str, Any]] = {}  # id -> stored record
        self._types: dict[str, str] = {}  # id -> object name
        self._deleted: set[str] = set()
        self._counter = itertools.count(1)
        self._apps: dict[str, _App] = {}
        self._sessions: dict[str, _Session] = {}
        self._usage: deque[float] = deque()
        self._faults: list[_Fault] = []
        self._log: list[Logged] = []
        self._cursors: dict[str, tuple[str, list[dict[str, Any]]]] = {}
        self._rules: dict[str, _Rule] = {}
        self._layouts: dict[str, _Layout] = {}
        self._custom_fields: dict[str, str] = {}  # "Opportunity.X__c" -> 00N id
        for order, (name, prob, forecast, closed, won) in enumerate(STANDARD_STAGES, start=1):
            self._insert(
                "OpportunityStage",
                {
                    "ApiName": name,
                    "MasterLabel": name,
                    "SortOrder": order,
                    "IsActive": True,
                    "IsClosed": closed,
                    "IsWon": won,
                    "DefaultProbability": prob,
                    "ForecastCategoryName": forecast,
                },
            )
        self._add_layout("Opportunity Layout", "Opportunity")

    # ------------------------------------------------------------------ seeding API

    def _new_id(self, sobject: str) -> str:
        n = next(self._counter)
        digits = ""
        while True:
            n, rem = divmod(n, 62)
            digits = _BASE62[rem] + digits
            if n == 0:
                break
        return to18(KEY_PREFIXES[sobject] + "5g" + "000" + digits.rjust(7, "0"))

    def _insert(self, sobject: str, values: dict[str, Any]) -> str:
        record_id = self._new_id(sobject)
        record: dict[str, Any] = {name: fd.default for name, fd in self._schema[sobject].items()}
        record.update(values)
        record["Id"] = record_id
        if "CreatedDate" in self._schema[sobject] and not record.get("CreatedDate"):
            record["CreatedDate"] = now_stamp()  # set by Salesforce at insert (system field)
        self._derive(sobject, record, None, set(values))
        self._records[record_id] = record
        self._types[record_id] = sobject
        return record_id

    def add_user(
        self,
        username: str,
        *,
        name: str | None = None,
        email: str | None = None,
        active: bool = True,
        manager_id: str | None = None,
    ) -> str:
        with self._lock:
            return self._insert(
                "User",
                {
                    "Username": username,
                    "Name": name or username.split("@")[0],
                    "Email": email or username,
                    "IsActive": active,
                    "ManagerId": manager_id,
                },
            )

    def add_account(self, name: str, *, website: str | None = None) -> str:
        with self._lock:
            return self._insert("Account", {"Name": name, "Website": website})

    def add_contact(
        self,
        email: str,
        *,
        last_name: str = "Buyer",
        first_name: str | None = None,
        account_id: str | None = None,
    ) -> str:
        with self._lock:
            return self._insert(
                "Contact",
                {
                    "Email": email,
                    "LastName": last_name,
                    "FirstName": first_name,
                    "AccountId": account_id,
                },
            )

    def add_opportunity(
        self,
        name: str,
        *,
        stage: str = "Prospecting",
        close_date: str = "2026-06-30",
        amount: float | None = None,
        owner_id: str | None = None,
        account_id: str | None = None,
        **fields: Any,
    ) -> str:
        """Seed an Opportunity; Probability/ForecastCategoryName/IsClosed/IsWon follow the
        stage unless given. Extra keyword arguments set custom fields (which must exist)."""
        with self._lock:
            unknown = [k for k in fields if k not in self._schema["Opportunity"]]
            if unknown:
                raise KeyError(f"no such Opportunity field(s): {unknown}")
            values = {
                "Name": name,
                "StageName": stage,
                "CloseDate": close_date,
                "Amount": amount,
                "OwnerId": owner_id,
                "AccountId": account_id,
                **fields,
            }
            if self.multi_currency:
                values.setdefault("CurrencyIsoCode", self.corporate_currency)
            return self._insert("Opportunity", values)

    def add_task(self, what_id: str, subject: str, **fields: Any) -> str:
        with self._lock:
            return self._insert("Task", {"WhatId": what_id, "Subject": subject, **fields})

    def add_permission_set(self, name: str, label: str | None = None) -> str:
        with self._lock:
            return self._insert("PermissionSet", {"Name": name, "Label": label or name})

    def grant_field(
        self, user_id: str, field_name: str, *, read: bool = True, edit: bool = True
    ) -> str:
        """Give `user_id` FLS on `field_name` ("Opportunity.MAP_Health__c") through a new
        permission set assigned to them, as an admin would. Returns the permission set id."""
        sobject = field_name.split(".")[0]
        with self._lock:
            ps = self._insert(
                "PermissionSet", {"Name": f"Grant_{next(self._counter)}", "Label": "Grant"}
            )
            self._insert(
                "FieldPermissions",
                {
                    "ParentId": ps,
                    "SobjectType": sobject,
                    "Field": field_name,
                    "PermissionsRead": read,
                    "PermissionsEdit": edit,
                },
            )
            self._insert("PermissionSetAssignment", {"AssigneeId": user_id, "PermissionSetId": ps})
            return ps

    def add_app(
        self,
        consumer_key: str,
        *,
        public_key_pem: str | bytes | None = None,
        secret: str | None = None,
        run_as: str | None = None,
        preauthorized: Iterable[str] | None = None,
    ) -> None:
        """Register an External Client App: its certificate's public key (JWT bearer flow),
        its consumer secret and Run As username (client credentials flow), and the usernames
        pre-authorized for JWT (None: every user, as 'Admin approved users' with all
        profiles assigned)."""
        key = None
        if public_key_pem is not None:
            from cryptography import x509
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            pem = public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
            key = (
                x509.load_pem_x509_certificate(pem).public_key()
                if b"CERTIFICATE" in pem
                else load_pem_public_key(pem)
            )
        with self._lock:
            self._apps[consumer_key] = _App(
                consumer_key,
                key,
                secret,
                run_as,
                set(preauthorized) if preauthorized is not None else None,
            )

    def add_layout(self, name: str, sobject: str = "Opportunity") -> str:
        """Seed a page layout (tooling Layout), queryable by TableEnumOrId."""
        with self._lock:
            return self._add_layout(name, sobject)

    def _add_layout(self, name: str, sobject: str) -> str:
        layout_id = to18(
            KEY_PREFIXES["Layout"] + "5g" + "000" + str(next(self._counter)).rjust(7, "0")
        )
        metadata: dict[str, Any] = {
            "layoutSections": [
                {
                    "label": "Opportunity Information",
                    "style": "TwoColumnsTopToBottom",
                    "customLabel": False,
                    "detailHeading": False,
                    "editHeading": True,
                    "layoutColumns": [
                        {
                            "layoutItems": [
                                {"behavior": "Required", "field": "Name"},
                                {"behavior": "Edit", "field": "AccountId"},
                                {"behavior": "Edit", "field": "Amount"},
                            ],
                            "reserved": None,
                        },
                        {
                            "layoutItems": [
                                {"behavior": "Required", "field": "CloseDate"},
                                {"behavior": "Required", "field": "StageName"},
                                {"behavior": "Edit", "field": "Probability"},
                            ],
                            "reserved": None,
                        },
                    ],
                }
            ],
            "relatedLists": [],
        }
        self._layouts[layout_id] = _Layout(layout_id, name, sobject, metadata)
        return layout_id

    def add_validation_rule(
        self,
        name: str,
        formula: str,
        message: str,
        *,
        active: bool = True,
        display_field: str | None = None,
        sobject: str = "Opportunity",
    ) -> str:
        with self._lock:
            metadata = {
                "active": active,
                "errorConditionFormula": formula,
                "errorMessage": message,
                "errorDisplayField": display_field,
                "description": None,
            }
            compiled = self._compile_rule(sobject, metadata, None)
            rule_id = self._new_id("ValidationRule")
            self._rules[rule_id] = _Rule(rule_id, sobject, name, metadata, compiled)
            return rule_id

    def add_custom_field(self, full_name: str, metadata: dict[str, Any]) -> str:
        """Create a custom field as the Tooling API would (no FLS granted)."""
        with self._lock:
            return self._create_custom_field({"FullName": full_name, "Metadata": metadata})

    def remove_field(self, name: str, sobject: str = "Opportunity") -> None:
        """An admin deletes a custom field: it leaves describe, queries and records."""
        with self._lock:
            self._schema[sobject].pop(name, None)
            self._custom_fields.pop(f"{sobject}.{name}", None)
            for record_id, record in self._records.items():
                if self._types[record_id] == sobject:
                    record.pop(name, None)

    def delete(self, record_id: str) -> None:
        """Delete a record (to the recycle bin): later writes get ENTITY_IS_DELETED."""
        with self._lock:
            self._deleted.add(record_id)

    def expire_tokens(self) -> None:
        """Every issued access token now answers 401 INVALID_SESSION_ID."""
        with self._lock:
            for session in self._sessions.values():
                session.expired = True

    def token_for(self, username: str) -> str:
        """An access token for `username` without the OAuth round trip (test convenience)."""
        with self._lock:
            user_id = self._user_by_username(username)
            if user_id is None:
                raise KeyError(username)
            return self._issue(user_id, "test")

    def fail(
        self,
        path_prefix: str,
        status: int,
        times: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` requests whose path starts with `path_prefix` answer `status`."""
        if body is None:
            # ASSUMPTION (fault-bodies)
            code = {
                401: "INVALID_SESSION_ID",
                403: "REQUEST_LIMIT_EXCEEDED",
                503: "SERVER_UNAVAILABLE",
            }.get(status, "UNKNOWN_EXCEPTION")
            body = [{"message": f"injected fault ({status})", "errorCode": code}]
        with self._lock:
            self._faults.append(_Fault(path_prefix, status, times, body, dict(headers or {})))

    # -------------------------------------------------------------- inspection API

    def record(self, record_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._records[record_id])

    def revoke_edit(self, field_name: str) -> None:
        """An admin takes Edit away from every permission set granting `field_name`
        ("Opportunity.MAP_Health__c"): the field stays readable, no longer writable."""
        with self._lock:
            for record_id, record in self._records.items():
                if self._types.get(record_id) == "FieldPermissions" and (
                    record.get("Field") == field_name
                ):
                    record["PermissionsEdit"] = False

    def records(self, sobject: str) -> list[dict[str, Any]]:
        """Every live record of one object (e.g. the Tasks a client created)."""
        with self._lock:
            return [
                copy.deepcopy(r)
                for i, r in self._records.items()
                if self._types.get(i) == sobject and i not in self._deleted
            ]

    def is_deleted(self, record_id: str) -> bool:
        with self._lock:
            return record_id in self._deleted

    def calls(self, prefix: str = "") -> list[Logged]:
        with self._lock:
            return [c for c in self._log if c.path.startswith(prefix)]

    def count(self, kind: str) -> int:
        """Calls of a kind: query, describe, collections_update, collections_create,
        sobject_update, sobject_create, sobject_read, token, tooling, read, write,
        stage_move (writes that set StageName), note (Task creates)."""
        with self._lock:
            return sum(1 for c in self._log if kind in c.kinds)

    def api_usage(self) -> int:
        with self._lock:
            return self._usage_now(time.time())

    def custom_field_id(self, full_name: str) -> str | None:
        with self._lock:
            return self._custom_fields.get(full_name)

    def layout(self, layout_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._layouts[layout_id].metadata)

    # ------------------------------------------------------------------- internals

    def _usage_now(self, now: float) -> int:
        while self._usage and self._usage[0] < now - 86400:
            self._usage.popleft()
        return len(self._usage)

    def _user_by_username(self, username: str) -> str | None:
        for record_id, record in self._records.items():
            if (
                self._types[record_id] == "User"
                and str(record.get("Username", "")).lower() == username.lower()
            ):
                return record_id
        return None

    def _live(self, sobject: str) -> list[dict[str, Any]]:
        return [
            r
            for rid, r in self._records.items()
            if self._types[rid] == sobject and rid not in self._deleted
        ]

    def _granted(self, user_id: str, sobject: str, name: str) -> tuple[bool, bool]:
        """(read, edit) on a custom field for a user, from their permission sets.
        FLS through permission sets: https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_fieldpermissions.htm
        ("To grant a user access to a field, associate a FieldPermissions record with a
        PermissionSet that's assigned to a user.") A field created through the Metadata or
        Tooling API has no FieldPermissions yet, so nobody can see it:
        https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_profile.htm
        (field permissions are deployed separately, in Profile/PermissionSet metadata)."""
        return self._grants(user_id).get(f"{sobject}.{name}".lower(), (False, False))

    def _grants(self, user_id: str) -> dict[str, tuple[bool, bool]]:
        """(read, edit) by lower-case "Object.Field" for every field a user's permission
        sets grant: one pass over the org's grants (not one per field and record)."""
        sets = {
            r["PermissionSetId"]
            for r in self._live("PermissionSetAssignment")
            if r["AssigneeId"] == user_id
        }
        out: dict[str, tuple[bool, bool]] = {}
        for fp in self._live("FieldPermissions"):
            if fp["ParentId"] in sets:
                key = str(fp["Field"]).lower()
                read, edit = out.get(key, (False, False))
                read = read or bool(fp["PermissionsRead"]) or bool(fp["PermissionsEdit"])
                out[key] = (read, edit or bool(fp["PermissionsEdit"]))
        return out

    def _fields_for(self, user_id: str, sobject: str) -> dict[str, tuple[FieldDef, bool]]:
        """The fields `user_id` can see on `sobject`, each with whether they may edit it.
        ASSUMPTION (setup-permissions): standard fields are visible to every user."""
        out: dict[str, tuple[FieldDef, bool]] = {}
        grants: dict[str, tuple[bool, bool]] | None = None
        for name, fd in self._schema[sobject].items():
            if fd.custom:
                if grants is None:
                    grants = self._grants(user_id)
                read, edit = grants.get(f"{sobject}.{name}".lower(), (False, False))
                if read:
                    out[name] = (fd, edit)
            else:
                out[name] = (fd, True)
        if sobject == "Opportunity" and self.multi_currency:
            out["CurrencyIsoCode"] = (self._currency_field(), True)
        return out

    def _currency_field(self) -> FieldDef:
        # CurrencyIsoCode exists only when multicurrency is enabled:
        # https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm
        return FieldDef(
            "CurrencyIsoCode",
            "Opportunity Currency",
            "picklist",
            length=3,
            nillable=False,
            picklist=_picklist(self.currencies, self.corporate_currency),
            restricted=True,
            default=self.corporate_currency,
        )

    def _picklist_values(self, sobject: str, fd: FieldDef) -> list[PicklistValue]:
        if sobject == "Opportunity" and fd.name == "StageName":
            stages = sorted(self._live("OpportunityStage"), key=lambda s: s["SortOrder"])
            return [
                PicklistValue(s["ApiName"], s["MasterLabel"], active=bool(s["IsActive"]))
                for s in stages
            ]
        return list(fd.picklist or [])

    def _stage(self, name: Any) -> dict[str, Any] | None:
        for stage in self._live("OpportunityStage"):
            if stage["ApiName"] == name and stage["IsActive"]:
                return stage
        return None

    def _derive(
        self, sobject: str, record: dict[str, Any], old: dict[str, Any] | None, given: set[str]
    ) -> None:
        """Fields Salesforce computes on save."""
        if sobject == "Opportunity":
            stage = self._stage(record.get("StageName"))
            if stage is not None and (
                old is None or old.get("StageName") != record.get("StageName")
            ):
                # The stage sets Probability, ForecastCategoryName, IsClosed and IsWon:
                # https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm
                # (IsClosed/IsWon "directly controlled by StageName"; Probability "implied by
                # StageName" and may be overridden). ASSUMPTION (stage-probability)
                if "Probability" not in given:
                    record["Probability"] = stage["DefaultProbability"]
                if "ForecastCategoryName" not in given:
                    record["ForecastCategoryName"] = stage["ForecastCategoryName"]
                record["IsClosed"] = stage["IsClosed"]
                record["IsWon"] = stage["IsWon"]
        if sobject == "Contact":
            record["Name"] = " ".join(
                p for p in (record.get("FirstName"), record.get("LastName")) if p
            )
        if "LastModifiedDate" in self._schema[sobject]:
            # Every save stamps LastModifiedDate (system field, read-only):
            # https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/system_fields.htm
            record["LastModifiedDate"] = now_stamp()

    def _issue(self, user_id: str, app: str) -> str:
        token = f"{ORG_ID[:15]}!AQ{secrets.token_urlsafe(40)}"
        self._sessions[token] = _Session(user_id, app)
        return token

    # ------------------------------------------------------------------- WSGI entry

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", ""))
        query = str(environ.get("QUERY_STRING", ""))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        body_text = raw.decode("utf-8", "replace")
        auth = str(environ.get("HTTP_AUTHORIZATION", ""))
        with self._lock:
            status, headers, payload, kinds = self._handle(method, path, query, body_text, auth)
            self._log.append(Logged(method, path, query, body_text, status, frozenset(kinds)))
        data = b"" if payload is None else json.dumps(payload).encode()
        out_headers = [("Content-Type", "application/json;charset=UTF-8"), *headers.items()]
        if data:
            out_headers.append(("Content-Length", str(len(data))))
        start_response(f"{status} {HTTPStatus(status).phrase}", out_headers)
        return [data]

    def _handle(
        self, method: str, path: str, query: str, body: str, auth: str
    ) -> tuple[int, dict[str, str], Any, set[str]]:
        kinds = self._classify(method, path, body)
        for fault in self._faults:
            if fault.times > 0 and path.startswith(fault.prefix):
                fault.times -= 1
                return fault.status, dict(fault.headers), fault.body, kinds
        if path.rstrip("/") == "/services/oauth2/token":
            try:
                if method != "POST":
                    raise _oauth_error("invalid_request", "must use HTTP POST", 400)
                return 200, {}, self._token(body, auth), kinds
            except Refusal as refusal:
                return refusal.status, refusal.headers, refusal.body, kinds
        match = re.fullmatch(r"/services/data/v(\d+\.\d)/(.*)", path)
        if not match:
            return 404, {}, [{"errorCode": "NOT_FOUND", "message": NOT_FOUND_MESSAGE}], kinds
        version, rest = match.group(1), match.group(2)
        # Authentication: 401 with the REST error body (DOCS_REST_ERRORS: "The session ID or
        # OAuth token used has expired or is invalid").
        token = auth[7:] if auth.startswith("Bearer ") else ""
        session = self._sessions.get(token)
        if session is None or session.expired:
            return (
                401,
                {},
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                kinds,
            )
        # Sforce-Limit-Info on every REST response:
        # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
        # ASSUMPTION (usage-counting)
        now = time.time()
        self._usage.append(now)
        used = self._usage_now(now)
        headers = {"Sforce-Limit-Info": f"api-usage={used}/{self.daily_limit}"}
        if used > self.daily_limit:
            # 403 REQUEST_LIMIT_EXCEEDED (DOCS_REST_ERRORS; limits:
            # https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm)
            return (
                403,
                headers,
                [
                    {
                        "message": "TotalRequests Limit exceeded.",
                        "errorCode": "REQUEST_LIMIT_EXCEEDED",
                    }
                ],
                kinds,
            )
        try:
            status, payload = self._route(method, version, rest, query, body, session)
        except Refusal as refusal:
            headers.update(refusal.headers)
            return refusal.status, headers, refusal.body, kinds
        return status, headers, payload, kinds

    def _classify(self, method: str, path: str, body: str) -> set[str]:
        kinds: set[str] = set()
        if path.rstrip("/") == "/services/oauth2/token":
            return {"token"}
        match = re.fullmatch(r"/services/data/v\d+\.\d/(.*)", path)
        rest = match.group(1).rstrip("/") if match else ""
        if rest.startswith("tooling/"):
            return {"tooling"}
        if rest == "query" or rest.startswith("query/"):
            kinds |= {"query", "read"}
        elif rest.endswith("/describe"):
            kinds |= {"describe", "read"}
        elif rest == "composite/sobjects":
            kinds |= {"collections_update" if method == "PATCH" else "collections_create", "write"}
        elif rest.startswith("sobjects/"):
            parts = rest.split("/")
            if method == "GET":
                kinds |= {"sobject_read", "read"}
            elif method == "PATCH":
                kinds |= {"sobject_update", "write"}
            elif method == "POST":
                kinds |= {"sobject_create", "write"}
            elif method == "DELETE":
                kinds |= {"sobject_delete", "write"}
            if method == "POST" and len(parts) == 2 and parts[1] == "Task":
                kinds.add("note")
        if "write" in kinds:
            try:
                data = json.loads(body) if body else None
            except ValueError:
                data = None
            records = (
                data.get("records") if isinstance(data, dict) and "records" in data else [data]
            )
            for rec in records if isinstance(records, list) else []:
                if isinstance(rec, dict):
                    if "StageName" in rec:
                        kinds.add("stage_move")
                    if (rec.get("attributes") or {}).get("type") == "Task":
                        kinds.add("note")
        return kinds

    # ------------------------------------------------------------------------ OAuth

    def _token(self, body: str, auth: str) -> dict[str, Any]:
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            user_id, app = self._jwt_grant(form.get("assertion", ""))
        elif grant == "client_credentials":
            user_id, app = self._client_credentials(form, auth)
        else:
            raise _oauth_error("unsupported_grant_type", "grant type not supported")
        token = self._issue(user_id, app.consumer_key)
        issued_at = str(int(time.time() * 1000))
        identity = f"{self.url}/id/{ORG_ID}/{user_id}"
        # Signature: "Base64-encoded HMAC-SHA256 signature signed with the client_secret
        # containing the concatenated ID and issued_at value":
        # https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
        key = (app.secret or app.consumer_key).encode()
        signature = base64.b64encode(
            hmac.new(key, (identity + issued_at).encode(), hashlib.sha256).digest()
        )
        return {
            "access_token": token,
            "scope": "api",
            "instance_url": self.url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": signature.decode(),
        }

    def _jwt_grant(self, assertion: str) -> tuple[str, _App]:
        # JWT bearer flow: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm
        # Claims: iss = consumer key, aud = login URL, sub = username, exp within 3 minutes.
        # Failures answer {"error": "invalid_grant", "error_description": ...} with 400.
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError as exc:
            raise _oauth_error("invalid_grant", "invalid assertion") from exc
        app = self._apps.get(str(claims.get("iss", "")))
        if app is None:
            raise _oauth_error(
                "invalid_client_id", "client identifier invalid"
            )  # ASSUMPTION (oauth-unknown-client)
        if app.public_key is None or header.get("alg") != "RS256":
            raise _oauth_error("invalid_grant", "invalid assertion")
        try:
            jwt.decode(
                assertion,
                key=app.public_key,
                algorithms=["RS256"],
                options={
                    "verify_aud": False,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise _oauth_error("invalid_grant", "invalid assertion") from exc
        # ASSUMPTION (oauth-login-urls)
        audiences = {u.rstrip("/") for u in (*self.login_urls, self.url)}
        aud = claims.get("aud")
        aud_list = aud if isinstance(aud, list) else [aud]
        if not any(isinstance(a, str) and a.rstrip("/") in audiences for a in aud_list):
            raise _oauth_error("invalid_grant", "audience is invalid")
        exp = claims.get("exp")
        now = time.time()
        if not isinstance(exp, int | float):
            raise _oauth_error("invalid_grant", "invalid assertion")
        if exp < now:
            raise _oauth_error(
                "invalid_grant", "expired authorization code"
            )  # ASSUMPTION (jwt-expired)
        if exp > now + 180 + 5:
            raise _oauth_error("invalid_grant", "invalid assertion")  # ASSUMPTION (jwt-expired)
        user_id = self._user_by_username(str(claims.get("sub", "")))
        # ASSUMPTION (jwt-user)
        if user_id is None or (
            app.preauthorized is not None
            and self._records[user_id]["Username"] not in app.preauthorized
        ):
            raise _oauth_error("invalid_grant", "user hasn't approved this consumer")
        if not self._records[user_id]["IsActive"]:
            raise _oauth_error("invalid_grant", "inactive user")
        return user_id, app

    def _client_credentials(self, form: dict[str, str], auth: str) -> tuple[str, _App]:
        # Client credentials flow: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm
        # The token runs as the app's configured Run As user. Bad secret: invalid_client
        # "invalid client credentials" (reported, e.g. restforce#338); no Run As user:
        # invalid_grant "no client credentials user enabled" (reported by integrators).
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if auth.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError as exc:
                raise _oauth_error("invalid_client", "invalid client credentials") from exc
        app = self._apps.get(client_id)
        if app is None:
            raise _oauth_error(
                "invalid_client_id", "client identifier invalid"
            )  # ASSUMPTION (oauth-unknown-client)
        if app.secret is None or not hmac.compare_digest(app.secret, client_secret):
            raise _oauth_error("invalid_client", "invalid client credentials")
        user_id = self._user_by_username(app.run_as) if app.run_as else None
        if user_id is None or not self._records[user_id]["IsActive"]:
            raise _oauth_error("invalid_grant", "no client credentials user enabled")
        return user_id, app

    # ------------------------------------------------------------------------ routes

    def _route(
        self, method: str, version: str, rest: str, query: str, body: str, session: _Session
    ) -> tuple[int, Any]:
        user = session.user_id
        parts = [p for p in rest.split("/") if p]
        params = {k: v[0] for k, v in parse_qs(query).items()}
        tooling = bool(parts) and parts[0] == "tooling"
        if tooling:
            parts = parts[1:]
        if parts and parts[0] == "query":
            self._allow(method, "GET", "HEAD")
            if len(parts) == 1:
                if "q" not in params:
                    raise rest_error(400, "MALFORMED_QUERY", "A query string has to be specified")
                return 200, self._query(version, params["q"], user, tooling)
            if len(parts) == 2:
                return 200, self._next_page(version, parts[1], tooling)
        if not tooling and parts == ["composite", "sobjects"]:
            self._allow(method, "PATCH", "POST")
            return 200, self._collections(method, version, body, user)
        if parts and parts[0] == "sobjects" and len(parts) >= 2:
            schema = self._tooling if tooling else self._schema
            sobject = next((n for n in schema if n.lower() == parts[1].lower()), None)
            if sobject is None:
                raise rest_error(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
            if tooling:
                return self._tooling_sobject(method, version, sobject, parts[2:], body)
            if len(parts) == 3 and parts[2] == "describe":
                self._allow(method, "GET", "HEAD")
                return 200, self._describe(version, sobject, user)
            if len(parts) == 2:
                self._allow(method, "GET", "POST", "HEAD")
                if method == "POST":
                    values = self._parse_object(body)
                    new_id = self._write_one(version, sobject, None, values, body, user)
                    return 201, {"id": new_id, "success": True, "errors": []}
                return 200, {
                    "objectDescribe": self._describe(version, sobject, user),
                    "recentItems": [],
                }
            if len(parts) == 3:
                self._allow(method, "GET", "PATCH", "DELETE", "HEAD")
                return self._sobject_row(method, version, sobject, parts[2], body, user, params)
        raise rest_error(404, "NOT_FOUND", NOT_FOUND_MESSAGE)

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            # Reported body: [{"errorCode":"METHOD_NOT_ALLOWED","message":"HTTP Method 'PATCH'
            # not allowed. Allowed are HEAD,GET,POST"}] (simple-salesforce#157).
            raise Refusal(
                405,
                [
                    {
                        "errorCode": "METHOD_NOT_ALLOWED",
                        "message": f"HTTP Method '{method}' not allowed. Allowed are "
                        "{','.join(allowed)}",
                    }
                ],
            )

    def _url(self, version: str, sobject: str, record_id: str, tooling: bool = False) -> str:
        base = f"/services/data/v{version}/" + ("tooling/" if tooling else "")
        return f"{base}sobjects/{sobject}/{record_id}"

    # ------------------------------------------------------------------------- query

    def _query(self, version: str, text: str, user: str, tooling: bool) -> dict[str, Any]:
        # SOQL over REST: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
        view = _ToolingView(self, version) if tooling else _UserView(self, user, version)
        try:
            records = soql.execute(view, text)
        except soql.SoqlError as exc:
            raise rest_error(400, exc.code, exc.message) from exc
        return self._page(version, records, 0, len(records), tooling)

    def _page(
        self, version: str, records: list[dict[str, Any]], start: int, total: int, tooling: bool
    ) -> dict[str, Any]:
        # Paging: "done": false and "nextRecordsUrl" .../query/01gD0000002HU6KIAW-2000;
        # default batch size 2000: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm
        end = start + self.page_size
        page: dict[str, Any] = {
            "totalSize": total,
            "done": end >= len(records),
            "records": records[start:end],
        }
        if end < len(records):
            locator = to18("01g" + "5g" + "000" + str(next(self._counter)).rjust(7, "0"))
            self._cursors[locator] = (version, records)
            base = f"/services/data/v{version}/" + ("tooling/" if tooling else "")
            page["nextRecordsUrl"] = f"{base}query/{locator}-{end}"
        return page

    def _next_page(self, version: str, locator: str, tooling: bool) -> dict[str, Any]:
        key, _, offset = locator.partition("-")
        found = self._cursors.get(key)
        if found is None or not offset.isdigit():
            # Expired/unknown locator: INVALID_QUERY_LOCATOR
            # (https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm)
            raise rest_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        _version, records = found
        return self._page(version, records, int(offset), len(records), tooling)

    # ---------------------------------------------------------------------- describe

    def _describe(self, version: str, sobject: str, user: str) -> dict[str, Any]:
        # Describe: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
        # Field-level security applies: fields the user cannot read are absent, fields they
        # cannot edit are updateable: false (DescribeFieldResult,
        # https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm).
        fields_out = []
        for name, (fd, edit) in self._fields_for(user, sobject).items():
            picklist = self._picklist_values(sobject, fd) if fd.type == "picklist" else []
            fields_out.append(
                {
                    "name": name,
                    "label": fd.label,
                    "type": fd.type,
                    "soapType": _SOAP_TYPES.get(fd.type, "xsd:string"),
                    "updateable": fd.updateable and edit,
                    "createable": fd.createable and edit,
                    "nillable": fd.nillable,
                    "custom": fd.custom,
                    "calculated": False,
                    "length": fd.length,
                    "precision": fd.precision,
                    "scale": fd.scale,
                    "digits": fd.precision if fd.type == "int" else 0,
                    "defaultValue": fd.default if fd.type in ("boolean", "picklist") else None,
                    "defaultedOnCreate": fd.default is not None,
                    "inlineHelpText": fd.help_text,
                    "picklistValues": [
                        {
                            "value": p.value,
                            "label": p.label,
                            "active": p.active,
                            "defaultValue": p.default,
                            "validFor": None,
                        }
                        for p in picklist
                    ],
                    "restrictedPicklist": fd.restricted,
                    "referenceTo": [fd.reference_to] if fd.reference_to else [],
                    "relationshipName": fd.relationship_name,
                    "filterable": True,
                    "sortable": fd.type != "textarea",
                    "unique": False,
                    "externalId": False,
                }
            )
        base = f"/services/data/v{version}/sobjects/{sobject}"
        writable = sobject not in ("OpportunityStage",)
        return {
            "name": sobject,
            "label": sobject,
            "labelPlural": sobject + "s",
            "keyPrefix": KEY_PREFIXES[sobject],
            "custom": False,
            "createable": writable,
            "updateable": writable,
            "deletable": writable,
            "queryable": True,
            "retrieveable": True,
            "fields": fields_out,
            "childRelationships": [],
            "recordTypeInfos": [],
            "urls": {
                "sobject": base,
                "describe": f"{base}/describe",
                "rowTemplate": f"{base}/{{ID}}",
            },
        }

    # ------------------------------------------------------------------ record writes

    def _parse_object(self, body: str) -> dict[str, Any]:
        try:
            data = json.loads(body) if body else None
        except json.JSONDecodeError as exc:
            raise rest_error(
                400,
                "JSON_PARSER_ERROR",
                f"Unexpected character: was expecting a value at [line:{exc.lineno}, "
                f"column:{exc.colno}]",
            ) from exc
        if not isinstance(data, dict):
            raise rest_error(
                400,
                "JSON_PARSER_ERROR",
                "Cannot deserialize instance of sObject from START_ARRAY value [ at [line:1, "
                "column:1]",
            )
        return data

    def _sobject_row(
        self,
        method: str,
        version: str,
        sobject: str,
        record_id: str,
        body: str,
        user: str,
        params: dict[str, str],
    ) -> tuple[int, Any]:
        # sObject rows: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_retrieve.htm
        if self._types.get(record_id) != sobject:
            raise rest_error(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
        if record_id in self._deleted:
            raise rest_error(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        if method in ("GET", "HEAD"):
            visible = self._fields_for(user, sobject)
            wanted = (
                [f.strip() for f in params["fields"].split(",")]
                if "fields" in params
                else list(visible)
            )
            out: dict[str, Any] = {
                "attributes": {"type": sobject, "url": self._url(version, sobject, record_id)}
            }
            for name in wanted:
                canonical = next((n for n in visible if n.lower() == name.lower()), None)
                if canonical is None:
                    raise rest_error(
                        400,
                        "INVALID_FIELD",
                        f"No such column '{name}' on sobject of type {sobject}",
                    )
                out[canonical] = self._records[record_id].get(canonical)
            return 200, out
        if method == "DELETE":
            self._deleted.add(record_id)
            return 204, None
        # Update: PATCH → 204 No Content:
        # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_update_fields.htm
        values = self._parse_object(body)
        self._write_one(version, sobject, record_id, values, body, user)
        return 204, None

    def _write_one(
        self,
        version: str,
        sobject: str,
        record_id: str | None,
        values: dict[str, Any],
        raw: str,
        user: str,
    ) -> str:
        values = {k: v for k, v in values.items() if k != "attributes"}
        typed = self._deserialize(sobject, values, raw, user)
        try:
            new_id, record = self._prepare(sobject, record_id, typed, user)
        except _RecordFailed as failed:
            # Single-record errors: a list of {message, errorCode, fields} (DOCS_REST_ERRORS).
            raise Refusal(
                failed.status,
                [
                    {"message": e.message, "errorCode": e.code, "fields": e.fields}
                    for e in failed.errors
                ],
            ) from failed
        self._commit(sobject, new_id, record)
        return new_id

    def _deserialize(
        self, sobject: str, values: dict[str, Any], raw: str, user: str
    ) -> dict[str, Any]:
        """Request-level checks Salesforce makes while reading the JSON body: unknown (or
        FLS-hidden) fields and values of the wrong JSON type refuse the whole request."""
        visible = self._fields_for(user, sobject)
        out: dict[str, Any] = {}
        for key, value in values.items():
            canonical = next((n for n in visible if n.lower() == key.lower()), None)
            if canonical is None:
                # Reported: "No such column 'AccountSource' on sobject of type Account"
                # (Force.com-Toolkit-for-NET#90, simple-salesforce#737), INVALID_FIELD, 400.
                raise rest_error(
                    400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject}"
                )
            fd = visible[canonical][0]
            out[canonical] = self._coerce(fd, key, value, raw)
        return out

    @staticmethod
    def _coerce(fd: FieldDef, key: str, value: Any, raw: str) -> Any:
        if value is None:
            return None

        def parser_error(java: str) -> Refusal:
            # ASSUMPTION (json-parser-column)
            token = (
                "VALUE_STRING"
                if isinstance(value, str)
                else "VALUE_TRUE"
                if value is True
                else "VALUE_FALSE"
                if value is False
                else "VALUE_NUMBER_INT"
                if isinstance(value, int)
                else "VALUE_NUMBER_FLOAT"
                if isinstance(value, float)
                else "START_OBJECT"
            )
            at = raw.find(f'"{key}"')
            column = (raw.find(":", at) + 2 + len(json.dumps(value))) if at >= 0 else 1
            return rest_error(
                400,
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of {java} from {token} value {value} or request may "
                f"be missing a required field at [line:1, column:{column}]",
            )

        if fd.type in _NUMBER_TYPES:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise parser_error("double")
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError as exc:
                    raise parser_error("double") from exc
            return value
        if fd.type == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise parser_error("boolean")
        if fd.type == "date":
            if isinstance(value, str):
                try:
                    return date.fromisoformat(value[:10]).isoformat()
                except ValueError as exc:
                    raise parser_error("date") from exc
            raise parser_error("date")
        if fd.type == "datetime":
            if isinstance(value, str):
                try:
                    return soql.parse_datetime(value).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
                except ValueError as exc:
                    raise parser_error("datetime") from exc
            raise parser_error("datetime")
        if fd.type in _TEXT_TYPES:
            if isinstance(value, dict | list):
                raise parser_error("string")
            return value if isinstance(value, str) else json.dumps(value)
        return value

    def _prepare(
        self, sobject: str, record_id: str | None, values: dict[str, Any], user: str
    ) -> tuple[str, dict[str, Any]]:
        """DML-level checks for one record; returns (id, record to store) or raises
        _RecordFailed with Salesforce's per-record errors."""
        visible = self._fields_for(user, sobject)
        old: dict[str, Any] | None = None
        if record_id is not None:
            if record_id in self._deleted:
                # ENTITY_IS_DELETED: https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm#statuscode
                raise _RecordFailed([_RecordError("ENTITY_IS_DELETED", "entity is deleted")], 404)
            if self._types.get(record_id) != sobject:
                raise _RecordFailed([_RecordError("NOT_FOUND", NOT_FOUND_MESSAGE)], 404)
            old = self._records[record_id]
        errors: list[_RecordError] = []
        locked = [
            name
            for name in values
            if not (
                (visible[name][0].updateable if old is not None else visible[name][0].createable)
                and visible[name][1]
            )
        ]
        if locked:
            # INVALID_FIELD_FOR_INSERT_UPDATE, the wording users report:
            # "Unable to create/update fields: X. Please check the security settings of this
            # field and verify that it is read/write for your profile or permission set."
            errors.append(
                _RecordError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {', '.join(locked)}. Please check the "
                    "security settings of this field and verify that it is read/write for your "
                    "profile or permission set.",
                    locked,
                )
            )
        record: dict[str, Any] = (
            copy.deepcopy(old)
            if old is not None
            else {
                n: (fd.default if not callable(fd.default) else None)
                for n, (fd, _e) in visible.items()
            }
        )
        if old is None:
            for name, fd in self._schema[sobject].items():  # hidden custom fields keep defaults
                record.setdefault(name, fd.default)
            if sobject == "Opportunity":
                record["OwnerId"] = values.get("OwnerId") or user
                if self.multi_currency:
                    record.setdefault("CurrencyIsoCode", self.corporate_currency)
            if sobject == "Task":
                record["OwnerId"] = values.get("OwnerId") or user
        for name, value in values.items():
            fd = visible[name][0]
            if fd.type == "picklist" and value is not None:
                allowed = [p.value for p in self._picklist_values(sobject, fd) if p.active]
                if fd.restricted and value not in allowed:
                    # INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, "bad value for restricted
                    # picklist field: X": https://help.salesforce.com/s/articleView?id=000384468&type=1
                    errors.append(
                        _RecordError(
                            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                            f"{fd.label}: bad value for restricted picklist field: {value}",
                            [name],
                        )
                    )
                    continue
            if (
                isinstance(value, str)
                and fd.length
                and fd.type in ("string", "url", "email", "textarea", "combobox")
                and len(value) > fd.length
            ):
                # STRING_TOO_LONG: "<Label>: data value too large: <value> (max length=<n>)"
                errors.append(
                    _RecordError(
                        "STRING_TOO_LONG",
                        f"{fd.label}: data value too large: {value} (max length={fd.length})",
                        [name],
                    )
                )
                continue
            if (
                fd.type == "reference"
                and value is not None
                and fd.reference_to
                and name not in locked
            ):
                target_type = self._types.get(str(value))
                if target_type is None and str(value)[:3] == KEY_PREFIXES.get(
                    fd.reference_to, "???"
                ):
                    errors.append(
                        _RecordError(
                            "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [name]
                        )
                    )  # ASSUMPTION (collections-unknown-id)
                    continue
                if target_type is None or (target_type != fd.reference_to and name != "WhatId"):
                    # ASSUMPTION (reference-checks)
                    errors.append(
                        _RecordError(
                            "FIELD_INTEGRITY_EXCEPTION",
                            f"{fd.label}: id value of incorrect type: {value}",
                            [name],
                        )
                    )
                    continue
            record[name] = value
        if errors:
            raise _RecordFailed(errors)
        missing = [
            name
            for name, fd in self._schema[sobject].items()
            if fd.required and (record.get(name) is None or record.get(name) == "")
        ]
        if missing:
            # REQUIRED_FIELD_MISSING "Required fields are missing: [Name, CloseDate]"
            raise _RecordFailed(
                [
                    _RecordError(
                        "REQUIRED_FIELD_MISSING",
                        f"Required fields are missing: [{', '.join(missing)}]",
                        missing,
                    )
                ]
            )
        self._check_setup_duplicates(sobject, record, record_id)
        self._derive(sobject, record, old, set(values))
        failed = self._run_rules(sobject, record, old)
        if failed:
            raise _RecordFailed(failed)
        return record_id or self._new_id(sobject), record

    def _check_setup_duplicates(
        self, sobject: str, record: dict[str, Any], record_id: str | None
    ) -> None:
        # DUPLICATE_VALUE (status code list:
        # https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm#statuscode)
        # ASSUMPTION (setup-duplicates): which field the message names.
        keys = {
            "PermissionSet": ("Name",),
            "FieldPermissions": ("ParentId", "Field"),
            "PermissionSetAssignment": ("AssigneeId", "PermissionSetId"),
        }.get(sobject)
        if sobject == "FieldPermissions":
            target = str(record.get("Field") or "")
            obj, _, fname = target.partition(".")
            if (
                obj != record.get("SobjectType")
                or obj not in self._schema
                or fname not in self._schema[obj]
            ):
                raise _RecordFailed(
                    [
                        _RecordError(
                            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                            f"Field Name: bad value for restricted picklist field: {target}",
                            ["Field"],
                        )
                    ]
                )
        if not keys:
            return
        for other in self._live(sobject):
            if other["Id"] != record_id and all(
                str(other.get(k)).lower() == str(record.get(k)).lower() for k in keys
            ):
                raise _RecordFailed(
                    [
                        _RecordError(
                            "DUPLICATE_VALUE",
                            f"duplicate value found: {keys[-1]} duplicates value on record with "
                            f"id: {other['Id']}",
                            [],
                        )
                    ]
                )

    def _run_rules(
        self, sobject: str, record: dict[str, Any], old: dict[str, Any] | None
    ) -> list[_RecordError]:
        """Active validation rules; a true errorConditionFormula refuses the save with
        FIELD_CUSTOM_VALIDATION_EXCEPTION and the rule's errorMessage:
        https://help.salesforce.com/s/articleView?id=sf.fields_about_field_validation.htm
        ASSUMPTION (validation-on-insert)"""
        errors = []
        for rule in self._rules.values():
            if rule.sobject != sobject or not rule.metadata.get("active") or rule.formula is None:
                continue
            if soql.evaluate_formula(rule.formula, record, old) is True:
                display = rule.metadata.get("errorDisplayField")
                errors.append(
                    _RecordError(
                        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                        str(rule.metadata.get("errorMessage") or ""),
                        [display] if display else [],
                    )
                )
        return errors

    def _commit(self, sobject: str, record_id: str, record: dict[str, Any]) -> None:
        record["Id"] = record_id
        self._records[record_id] = record
        self._types[record_id] = sobject

    # ------------------------------------------------------------------- collections

    def _collections(self, method: str, version: str, body: str, user: str) -> list[dict[str, Any]]:
        # sObject Collections: update (PATCH) / create (POST), up to 200 records, SaveResults
        # in input order, allOrNone rolls back everything:
        # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
        # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm
        data = self._parse_object(body)
        unknown = [k for k in data if k not in ("allOrNone", "records")]
        if unknown:
            raise rest_error(400, "JSON_PARSER_ERROR", f'Unrecognized field "{unknown[0]}"')
        records = data.get("records")
        all_or_none = bool(data.get("allOrNone", False))
        if not isinstance(records, list):
            raise rest_error(
                400, "JSON_PARSER_ERROR", "Cannot deserialize instance of list from VALUE_NULL"
            )
        if len(records) > 200:
            # ASSUMPTION (collections-over-200)
            raise rest_error(
                400,
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into this call",
            )
        # Deserialise every record first: unknown fields / wrong types refuse the request.
        # ASSUMPTION (collections-unknown-field)
        parsed: list[tuple[str, str | None, dict[str, Any]]] = []
        for rec in records:
            if not isinstance(rec, dict):
                raise rest_error(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sObject")
            type_name = (rec.get("attributes") or {}).get("type")
            sobject = next((n for n in self._schema if n.lower() == str(type_name).lower()), None)
            if sobject is None:
                raise rest_error(
                    400, "INVALID_TYPE", f"sObject type '{type_name}' is not supported."
                )
            rid = rec.get("id", rec.get("Id"))
            values = {k: v for k, v in rec.items() if k not in ("attributes", "id", "Id")}
            parsed.append(
                (
                    sobject,
                    rid if isinstance(rid, str) else None,
                    self._deserialize(sobject, values, body, user),
                )
            )
            if method == "POST" and rid is not None:
                raise rest_error(400, "INVALID_FIELD", "Cannot specify Id in an insert call")
        results: list[dict[str, Any]] = []
        saved: list[tuple[str, dict[str, Any] | None]] = []  # (id, previous record or None)
        failed_any = False
        for sobject, rid, values in parsed:
            try:
                if method == "PATCH":
                    if rid is None:
                        raise _RecordFailed(
                            [
                                _RecordError(
                                    "MISSING_ARGUMENT", "Id not specified in an update call", []
                                )
                            ]
                        )
                    if (
                        len(rid) not in (15, 18)
                        or not re.fullmatch(r"[A-Za-z0-9]+", rid)
                        or rid[:3] != KEY_PREFIXES[sobject]
                    ):
                        raise _RecordFailed(
                            [_RecordError("MALFORMED_ID", f"malformed id {rid}", ["Id"])]
                        )
                    if rid not in self._records:
                        raise _RecordFailed(
                            [
                                _RecordError(
                                    "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", []
                                )
                            ]
                        )  # ASSUMPTION (collections-unknown-id)
                new_id, record = self._prepare(
                    sobject, rid if method == "PATCH" else None, values, user
                )
            except _RecordFailed as failed:
                failed_any = True
                results.append(
                    {"success": False, "errors": [e.save_result() for e in failed.errors]}
                )
                continue
            previous = copy.deepcopy(self._records[new_id]) if new_id in self._records else None
            self._commit(sobject, new_id, record)
            saved.append((new_id, previous))
            results.append({"id": new_id, "success": True, "errors": []})
        if all_or_none and failed_any:
            for record_id, previous in reversed(saved):
                if previous is None:
                    self._records.pop(record_id, None)
                    self._types.pop(record_id, None)
                else:
                    self._records[record_id] = previous
            # Rolled-back records report ALL_OR_NONE_OPERATION_ROLLED_BACK:
            # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
            rolled = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the "
                "request was using AllOrNone header",
                "fields": [],
            }
            results = [
                r if not r["success"] else {"id": r["id"], "success": False, "errors": [rolled]}
                for r in results
            ]
            if method == "POST":
                for r in results:
                    r.pop("id", None)
        return results

    # ----------------------------------------------------------------------- tooling

    def _tooling_sobject(
        self, method: str, version: str, sobject: str, rest: list[str], body: str
    ) -> tuple[int, Any]:
        # Tooling API sObjects: https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/intro_rest_resources.htm
        created = {"success": True, "errors": [], "warnings": [], "infos": []}
        if not rest:
            self._allow(method, "POST")
            data = self._parse_object(body)
            if sobject == "CustomField":
                return 201, {"id": self._create_custom_field(data), **created}
            if sobject == "ValidationRule":
                return 201, {"id": self._create_rule(data), **created}
            raise Refusal(
                405,
                [
                    {
                        "errorCode": "METHOD_NOT_ALLOWED",
                        "message": "HTTP Method 'POST' not allowed. Allowed are HEAD,GET",
                    }
                ],
            )
        record_id = rest[0]
        if sobject == "Layout":
            layout = self._layouts.get(record_id)
            if layout is None:
                raise rest_error(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
            self._allow(method, "GET", "PATCH", "HEAD")
            if method == "PATCH":
                data = self._parse_object(body)
                self._top_keys(data, "Layout", {"Metadata", "FullName", "Name"})
                metadata = data.get("Metadata")
                if not isinstance(metadata, dict):
                    raise rest_error(400, "JSON_PARSER_ERROR", "Metadata must be an object")
                self._metadata_keys(metadata, _LAYOUT_KEYS)
                # ASSUMPTION (tooling-patch-replaces)
                layout.metadata = copy.deepcopy(metadata)
                return 204, None
            return 200, {
                "attributes": {
                    "type": "Layout",
                    "url": self._url(version, "Layout", record_id, True),
                },
                "Id": layout.id,
                "Name": layout.name,
                "TableEnumOrId": layout.sobject,
                "FullName": f"{layout.sobject}-{layout.name}",
                "Metadata": copy.deepcopy(layout.metadata),
            }
        if sobject == "ValidationRule":
            rule = self._rules.get(record_id)
            if rule is None:
                raise rest_error(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
            self._allow(method, "GET", "PATCH", "HEAD")
            if method == "PATCH":
                data = self._parse_object(body)
                self._top_keys(data, "ValidationRule", {"Metadata", "FullName"})
                metadata = data.get("Metadata")
                if not isinstance(metadata, dict):
                    raise rest_error(400, "JSON_PARSER_ERROR", "Metadata must be an object")
                self._metadata_keys(metadata, _RULE_KEYS)
                # ASSUMPTION (tooling-patch-replaces)
                rule.formula = self._compile_rule(rule.sobject, metadata, "Metadata")
                rule.metadata = dict(metadata)
                return 204, None
            return 200, {
                "attributes": {
                    "type": "ValidationRule",
                    "url": self._url(version, "ValidationRule", record_id, True),
                },
                "Id": rule.id,
                "ValidationName": rule.name,
                "Active": bool(rule.metadata.get("active")),
                "FullName": f"{rule.sobject}.{rule.name}",
                "Metadata": copy.deepcopy(rule.metadata),
            }
        if sobject == "CustomField":
            full = next((k for k, v in self._custom_fields.items() if v == record_id), None)
            if full is None:
                raise rest_error(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
            self._allow(method, "GET", "HEAD")
            obj, _, name = full.partition(".")
            fd = self._schema[obj][name]
            return 200, {
                "attributes": {
                    "type": "CustomField",
                    "url": self._url(version, "CustomField", record_id, True),
                },
                "Id": record_id,
                "DeveloperName": name[:-3],
                "TableEnumOrId": obj,
                "FullName": full,
                "Metadata": {
                    "label": fd.label,
                    "description": fd.description,
                    "inlineHelpText": fd.help_text,
                },
            }
        raise rest_error(404, "NOT_FOUND", NOT_FOUND_MESSAGE)

    @staticmethod
    def _top_keys(data: dict[str, Any], sobject: str, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                raise rest_error(
                    400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject}"
                )

    @staticmethod
    def _metadata_keys(metadata: dict[str, Any], allowed: set[str]) -> None:
        for key in metadata:
            if key not in allowed:
                # ASSUMPTION (tooling-field-errors): the deserializer's wording.
                raise rest_error(
                    400,
                    "JSON_PARSER_ERROR",
                    f"Unexpected parameter encountered during deserialization: {key} at [line:1, "
                    "column:1]",
                )

    def _create_custom_field(self, data: dict[str, Any]) -> str:
        # CustomField via Tooling API: https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm
        # Types and required attributes: https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/customfield.htm
        # ASSUMPTION (tooling-field-errors) for the wording of each refusal.
        self._top_keys(data, "CustomField", {"FullName", "Metadata"})
        full = str(data.get("FullName") or "")
        metadata = data.get("Metadata")
        if not isinstance(metadata, dict):
            raise rest_error(
                400,
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [Metadata]",
                ["Metadata"],
            )
        self._metadata_keys(metadata, _CUSTOM_FIELD_KEYS)
        obj, _, name = full.partition(".")

        def bad(message: str, fields: list[str]) -> Refusal:
            return rest_error(400, "FIELD_INTEGRITY_EXCEPTION", message, fields)

        if obj not in self._schema or obj == "OpportunityStage":
            raise bad(f"Cannot find entity: {obj}", ["FullName"])
        if (
            not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*__c", name)
            or "___" in name
            or name[:-3].endswith("_")
        ):
            raise bad(
                "The name can only contain underscores and alphanumeric characters. It must be "
                "unique, begin with a letter, not include spaces, not end with an underscore, "
                "and not contain two consecutive underscores. The field name must end with __c.",
                ["FullName"],
            )
        if name in self._schema[obj]:
            raise rest_error(
                400,
                "DUPLICATE_DEVELOPER_NAME",
                f"There is already a field named {name[:-3]} on {obj}.",
                ["FullName"],
            )
        kind = metadata.get("type")
        if kind not in _FIELD_TYPES:
            raise bad(f"Invalid or unsupported field type: {kind}", ["Metadata.type"])
        label = metadata.get("label")
        if not label:
            raise bad("Must specify 'label' for a CustomField", ["Metadata.label"])
        fd = FieldDef(
            name,
            str(label),
            _FIELD_TYPES[str(kind)],
            custom=True,
            description=metadata.get("description"),
            help_text=metadata.get("inlineHelpText"),
        )
        if kind == "Text":
            length = metadata.get("length")
            if not isinstance(length, int) or not 1 <= length <= 255:
                raise bad(
                    "Must specify 'length' between 1 and 255 for a CustomField of type Text",
                    ["Metadata.length"],
                )
            fd.length = length
        if kind in ("Number", "Percent"):
            precision, scale = metadata.get("precision"), metadata.get("scale")
            if not isinstance(precision, int) or not isinstance(scale, int):
                raise bad(
                    f"Must specify 'precision' and 'scale' for a CustomField of type {kind}",
                    ["Metadata.precision"],
                )
            if not 1 <= precision <= 18 or not 0 <= scale <= precision:
                raise bad(
                    "The sum of the length and decimal places must be an integer less than or "
                    "equal to 18",
                    ["Metadata.precision"],
                )
            fd.precision, fd.scale = precision, scale
        if kind == "Url":
            fd.length = 255
        if kind == "Checkbox":
            fd.nillable = False
            fd.default = str(metadata.get("defaultValue", "false")).lower() == "true"
        if kind == "Picklist":
            value_set = metadata.get("valueSet")
            definition = (
                value_set.get("valueSetDefinition") if isinstance(value_set, dict) else None
            )
            values = definition.get("value") if isinstance(definition, dict) else None
            if not isinstance(values, list) or not values:
                raise bad(
                    "Must specify 'valueSet' for a CustomField of type Picklist",
                    ["Metadata.valueSet"],
                )
            fd.picklist = [
                PicklistValue(
                    str(v.get("fullName")),
                    str(v.get("label") or v.get("fullName")),
                    bool(v.get("default")),
                )
                for v in values
                if isinstance(v, dict)
            ]
            fd.restricted = (
                bool(value_set.get("restricted", False)) if isinstance(value_set, dict) else False
            )
            fd.length = 255
        self._schema[obj][name] = fd
        for record_id, record in self._records.items():
            if self._types[record_id] == obj:
                record[name] = fd.default
        field_id = self._new_id("CustomField")
        self._custom_fields[full] = field_id
        return field_id

    def _create_rule(self, data: dict[str, Any]) -> str:
        # ValidationRule via Tooling API: https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_validationrule.htm
        self._top_keys(data, "ValidationRule", {"FullName", "Metadata"})
        full = str(data.get("FullName") or "")
        obj, _, name = full.partition(".")
        metadata = data.get("Metadata")
        if not isinstance(metadata, dict):
            raise rest_error(
                400,
                "REQUIRED_FIELD_MISSING",
                "Required fields are missing: [Metadata]",
                ["Metadata"],
            )
        self._metadata_keys(metadata, _RULE_KEYS)
        if obj not in self._schema or not name:
            raise rest_error(
                400, "FIELD_INTEGRITY_EXCEPTION", f"Cannot find entity: {obj}", ["FullName"]
            )
        if any(r.sobject == obj and r.name.lower() == name.lower() for r in self._rules.values()):
            raise rest_error(
                400,
                "DUPLICATE_DEVELOPER_NAME",
                "Rule Name: Validation rule names must be unique",
                ["FullName"],
            )
        compiled = self._compile_rule(obj, metadata, "Metadata")
        rule_id = self._new_id("ValidationRule")
        self._rules[rule_id] = _Rule(rule_id, obj, name, dict(metadata), compiled)
        return rule_id

    def _compile_rule(
        self, sobject: str, metadata: dict[str, Any], prefix: str | None
    ) -> soql.FNode:
        where = f"{prefix}." if prefix else ""
        for required in ("errorConditionFormula", "errorMessage"):
            if not metadata.get(required):
                raise rest_error(
                    400,
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{required}]",
                    [where + required],
                )
        fields = self._schema[sobject]

        class _Fields:
            def field_name(self, name: str) -> str | None:
                return next((n for n in fields if n.lower() == name.lower()), None)

            def field_type(self, name: str) -> str:
                return fields[name].type

        try:
            # ASSUMPTION (formula-errors)
            return soql.parse_formula(str(metadata["errorConditionFormula"]), _Fields())
        except soql.FormulaError as exc:
            raise rest_error(
                400, "FIELD_INTEGRITY_EXCEPTION", str(exc), [where + "errorConditionFormula"]
            ) from exc

    # ----------------------------------------------------------------- tooling rows

    def _tooling_rows(self, sobject: str) -> list[dict[str, Any]]:
        if sobject == "CustomField":
            return [
                {
                    "Id": fid,
                    "DeveloperName": full.partition(".")[2][:-3],
                    "TableEnumOrId": full.partition(".")[0],
                    "NamespacePrefix": None,
                }
                for full, fid in self._custom_fields.items()
            ]
        if sobject == "ValidationRule":
            return [
                {
                    "Id": r.id,
                    "ValidationName": r.name,
                    "Active": bool(r.metadata.get("active")),
                    "Description": r.metadata.get("description"),
                    "ErrorMessage": r.metadata.get("errorMessage"),
                    "ErrorDisplayField": r.metadata.get("errorDisplayField"),
                    "EntityDefinitionId": r.sobject,
                }
                for r in self._rules.values()
            ]
        return [
            {"Id": lay.id, "Name": lay.name, "TableEnumOrId": lay.sobject}
            for lay in self._layouts.values()
        ]


class _UserView:
    """The org as one user's SOQL sees it (field-level security applied)."""

    def __init__(self, fake: SalesforceFake, user: str, version: str) -> None:
        self.fake, self.user, self.version = fake, user, version
        self._cache: dict[str, dict[str, tuple[FieldDef, bool]]] = {}

    def _fields(self, sobject: str) -> dict[str, tuple[FieldDef, bool]]:
        if sobject not in self._cache:
            self._cache[sobject] = self.fake._fields_for(self.user, sobject)
        return self._cache[sobject]

    def object_name(self, name: str) -> str | None:
        return next((n for n in self.fake._schema if n.lower() == name.lower()), None)

    def field_name(self, sobject: str, name: str) -> str | None:
        return next((n for n in self._fields(sobject) if n.lower() == name.lower()), None)

    def field_type(self, sobject: str, name: str) -> str:
        return self._fields(sobject)[name][0].type

    def relationship(self, sobject: str, name: str) -> tuple[str, str, str] | None:
        for fd, _edit in self._fields(sobject).values():
            if (
                fd.relationship_name
                and fd.reference_to
                and fd.relationship_name.lower() == name.lower()
            ):
                return fd.relationship_name, fd.name, fd.reference_to
        return None

    def rows(self, sobject: str) -> Sequence[dict[str, Any]]:
        return self.fake._live(sobject)

    def get(self, record_id: str) -> dict[str, Any] | None:
        if record_id in self.fake._deleted:
            return None
        return self.fake._records.get(record_id)

    def url(self, sobject: str, record_id: str) -> str:
        return self.fake._url(self.version, sobject, record_id)


class _ToolingView:
    """Tooling SOQL: "
    "https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/intro_rest_resources.htm"""

    def __init__(self, fake: SalesforceFake, version: str) -> None:
        self.fake, self.version = fake, version

    def object_name(self, name: str) -> str | None:
        return next((n for n in self.fake._tooling if n.lower() == name.lower()), None)

    def field_name(self, sobject: str, name: str) -> str | None:
        return next((n for n in self.fake._tooling[sobject] if n.lower() == name.lower()), None)

    def field_type(self, sobject: str, name: str) -> str:
        return self.fake._tooling[sobject][name].type

    def relationship(self, sobject: str, name: str) -> tuple[str, str, str] | None:
        return None

    def rows(self, sobject: str) -> Sequence[dict[str, Any]]:
        return self.fake._tooling_rows(sobject)

    def get(self, record_id: str) -> dict[str, Any] | None:
        return None

    def url(self, sobject: str, record_id: str) -> str:
        return self.fake._url(self.version, sobject, record_id, tooling=True)


@contextmanager
def serve(**settings: Any) -> Iterator[SalesforceFake]:
    """A fake org on HTTPS loopback: `fake.url` is its base URL (login and instance URL),
    `fake.ca_file` the CA bundle a client must trust. Keyword arguments set attributes
    (page_size, daily_limit, multi_currency, corporate_currency, ...)."""
    fake = SalesforceFake()
    for key, value in settings.items():
        if not hasattr(fake, key):
            raise AttributeError(key)
        setattr(fake, key, value)
    with serve_tls(fake) as (url, ca_file):
        fake.url = url
        fake.ca_file = ca_file
        yield fake
