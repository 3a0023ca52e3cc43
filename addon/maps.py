"""Creating a MAP: validated input -> template -> first plan -> workspace -> registry."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from addon.docs import render_map_doc
from addon.errors import InputError, MapError
from addon.plan.cells import EMAIL
from addon.plan.dates import fmt
from addon.plan.schedule import Contact, InitialPlan, build_plan
from addon.registry.models import MapRow
from addon.registry.store import Registry, info_of
from addon.sync import sync_map
from addon.workspace.base import MapDraft, MapFiles, Workspace
from sheets_schema.template import Template

# A double click's later requests wait this long for the first one's MAP: inside the 30 s we
# budget for a card's answer (Google documents no limit for HTTP add-ons that we could find;
# 30 s is Apps Script's), and longer than a create takes (files, registry, first sync: a few
# seconds on Google).
CREATE_WAIT_SECONDS = 20.0
CLAIM_POLL_SECONDS = 0.1
# A claim this old with no MAP was left by a create whose process died (Cloud Run ends a
# request after 300 s): a later create may take the key over.
STALE_CLAIM = timedelta(minutes=10)

_CONTACT = re.compile(r"^\s*(?:\"?([^\"<]*?)\"?\s*<([^>]+)>|([^\s<>]+))\s*$")


def parse_contact(text: str) -> Contact:
    """'Dana Whitfield <dana@example.com>' or 'dana@example.com'."""
    m = _CONTACT.match(text)
    email = (m[2] or m[3]).strip() if m else ""
    if not m or not EMAIL.match(email):
        raise ValueError(
            f'"{text}" is not an email address; write it as '
            '"Dana Whitfield <dana@example.com>" or "dana@example.com"'
        )
    return Contact(email=email.lower(), name=(m[1] or "").strip())


class CreateMap(BaseModel):
    """What a rep fills in to create a MAP (CLI flags or the add-on's form)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    deal: str = Field(min_length=1, max_length=200)
    buyer_company: str = Field(min_length=1, max_length=200)
    buyer_contacts: list[str] = Field(min_length=1, max_length=50)
    target_close: date
    close_reason: str = Field(default="", max_length=500)
    desired_outcome: str = Field(default="", max_length=1000)
    template: str = Field(min_length=1)
    deal_value: float | None = Field(default=None, ge=0)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    rep_name: str = Field(min_length=1, max_length=200)
    rep_email: str
    team: str = ""
    stage: str = ""
    crm_link: str = ""
    locale: str = Field(default="en_US", pattern=r"^[a-z]{2}(_[A-Z]{2})?$")
    time_zone: str = "UTC"
    idempotency_key: str | None = Field(default=None, max_length=200)

    @field_validator("buyer_contacts")
    @classmethod
    def _contacts(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_contact(text)
        return value

    @field_validator("rep_email")
    @classmethod
    def _rep_email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError(f'"{value}" is not an email address; write it like sam@example.com')
        return value.lower()

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f'"{value}" is not a time zone; write one like Europe/Berlin or America/New_York'
            ) from None
        return value


def validate_create(
    data: dict[str, object], templates: dict[str, Template], today: date
) -> CreateMap:
    """Check everything a rep typed; the first error names the field and the fix."""
    return validated(data, today=today, templates=templates)


def validated(
    data: dict[str, object],
    *,
    today: date,
    templates: dict[str, Template] | None = None,
) -> CreateMap:
    """The form checked field by field; the template too unless `templates` is None (an
    imported plan brings its own steps)."""
    try:
        form = CreateMap.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "input"
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "is required"
        raise InputError(field, message) from None
    if templates is not None and form.template not in templates:
        raise InputError(
            "template",
            f'no template "{form.template}"; choose one of: ' + ", ".join(sorted(templates)),
        )
    if form.target_close <= today:
        raise InputError(
            "target_close",
            f"{fmt(form.target_close)} is not in the future "
            f"(today is {fmt(today)}); give the date the buyer wants to decide by",
        )
    return form


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "map"


class CreateRunning(MapError):
    """Another request with the same idempotency key is still creating the MAP."""


@dataclass(frozen=True)
class Created:
    map_id: str
    files: MapFiles
    existing: bool  # the idempotency key matched an earlier create
    compressed_from_days: int | None
    crm: str = ""  # what linking the CRM deal did, when one was picked


def create_map(
    form: CreateMap,
    *,
    templates: dict[str, Template],
    workspace: Workspace,
    registry: Registry,
    today: date,
    seller_company: str,
    now: datetime,
    workspace_kind: str = "local",
    plan: InitialPlan | None = None,
    wait_seconds: float = CREATE_WAIT_SECONDS,
) -> Created:
    """`plan` is the first plan when it does not come from the form's template (an import).

    With an idempotency key the key is claimed in the registry before anything else is done:
    of a double click's requests one creates the MAP, the others wait for it (at most
    `wait_seconds`) and answer with the same MAP; a create that fails gives the key back."""
    key = form.idempotency_key
    if key and (existing := claim_or_wait(registry, key, wait_seconds)) is not None:
        hit = registry.get(existing)
        return Created(hit.id, MapFiles(hit.sheet_ref, hit.doc_ref), True, None)
    try:
        return _create(
            form,
            templates=templates,
            workspace=workspace,
            registry=registry,
            today=today,
            seller_company=seller_company,
            now=now,
            workspace_kind=workspace_kind,
            plan=plan,
        )
    except BaseException:
        if key:
            registry.release_key(key)  # a no-op once the key names the MAP
        raise


def claim_or_wait(registry: Registry, key: str, wait_seconds: float) -> str | None:
    """None when this create holds `key` and makes the MAP; else the id of the MAP the key
    names, once the create holding it has made it."""
    deadline = time.monotonic() + wait_seconds
    while True:
        claim = registry.claim_key(key, STALE_CLAIM)
        if claim.mine:
            return None
        if claim.map_id:
            return claim.map_id
        if time.monotonic() >= deadline:
            raise CreateRunning(
                f"request {key}: this MAP is still being created by an earlier click; "
                "open your MAPs in a moment to see it"
            )
        time.sleep(CLAIM_POLL_SECONDS)


def _create(
    form: CreateMap,
    *,
    templates: dict[str, Template],
    workspace: Workspace,
    registry: Registry,
    today: date,
    seller_company: str,
    now: datetime,
    workspace_kind: str,
    plan: InitialPlan | None,
) -> Created:
    contacts = [parse_contact(c) for c in form.buyer_contacts]
    if plan is None:
        plan = build_plan(
            templates[form.template],
            target_close=form.target_close,
            today=today,
            buyer_contacts=contacts,
            rep=Contact(form.rep_email, form.rep_name),
        )
    row = MapRow(
        id="MAP-" + uuid.uuid4().hex[:10].upper(),
        deal=form.deal,
        buyer_company=form.buyer_company,
        buyer_contacts=[{"email": c.email, "name": c.display} for c in contacts],
        target_close=form.target_close,
        close_reason=form.close_reason,
        desired_outcome=form.desired_outcome,
        template=form.template,
        deal_value=form.deal_value,
        currency=form.currency,
        rep_name=form.rep_name,
        rep_email=form.rep_email,
        team=form.team,
        stage=form.stage,
        crm_link=form.crm_link,
        time_zone=form.time_zone,
        locale=form.locale,
        lifecycle="draft",
        workspace=workspace_kind,
        created_on=today,
        created_at=now,
        last_written={},
        rollup={},
        seller_mirror={},
    )
    info = info_of(row)
    base = f"{_slug(form.buyer_company)}-{_slug(form.deal)}"
    slug, n = base, 1
    while registry_has_slug(registry, slug):
        n += 1
        slug = f"{base}-{n}"
    draft = MapDraft(
        info=info,
        plan=plan,
        slug=slug,
        render_doc=lambda link, name: render_map_doc(
            info, plan, sheet_link=link, sheet_name=name, seller_company=seller_company
        ),
    )
    files = workspace.create_map(draft)
    row.sheet_ref, row.doc_ref = files.sheet, files.doc
    try:
        registry.add_map(row, plan.memory, form.idempotency_key)
    except Exception:
        workspace.delete_map(files)  # nothing left behind unregistered
        raise
    # The first sync fills the computed columns and the Summary, and records our version
    # (on Google its one write also builds the Sheet): if it fails, nothing is left behind.
    try:
        sync_map(
            registry.get(row.id),
            workspace=workspace,
            registry=registry,
            today=today,
            made=files.made,
        )
    except Exception:
        registry.remove_map(row.id)
        workspace.delete_map(files)
        raise
    return Created(row.id, files, False, plan.compressed_from_days)


def registry_has_slug(registry: Registry, slug: str) -> bool:
    return any(r.sheet_ref.split("/")[-1].removesuffix(".xlsx") == slug for r in registry.maps())
