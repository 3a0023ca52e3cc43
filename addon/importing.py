"""`mapctl import`: a team's existing MAP spreadsheet -> a new MAP, keeping what it read.

Reading the file (xlsx, csv, or a Google Sheet on the Google backend) is the adapter's
part; understanding it is `addon.plan.adopt` (pure); creating the MAP is the same
`create_map` a rep's Create MAP uses, given the plan that was read instead of a template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from addon.errors import InputError
from addon.maps import Created, create_map, validated
from addon.plan.adopt import Adoption, OverrideError, Source, adopt, deal_name
from addon.plan.cells import read_role
from addon.plan.grid import is_blank
from addon.plan.models import Grid, MapInfo
from addon.plan.parse import parse_map
from addon.plan.report import (
    CandidateReport,
    CellNote,
    ColumnReport,
    CreatedMap,
    CriterionReport,
    ImportedResource,
    ImportReport,
    ImportSummary,
    OriginReport,
    RiskReport,
    StakeholderReport,
    Unplaced,
    build_report,
)
from addon.plan.schedule import InitialPlan, PlannedStakeholder
from addon.plan.status import compute
from addon.prefill import company_from_domain
from addon.registry.store import Registry
from addon.workspace.base import Workspace
from addon.workspace.content import initial_tabs
from sheets_schema.template import Template
from sheets_schema.vocab import Role

IMPORTED_TEMPLATE = "imported"


def _as_written(company: str, text: str) -> str:
    """'Verdantlabs' (from verdantlabs.example.com) as the plan's title writes it:
    'Verdant Labs'."""
    key = re.sub(r"[^a-z0-9]", "", company.lower())
    words = re.findall(r"[\w&.'-]+", text)
    for i in range(len(words)):
        for j in range(i + 1, min(i + 5, len(words)) + 1):
            if re.sub(r"[^a-z0-9]", "", " ".join(words[i:j]).lower()) == key:
                return " ".join(words[i:j])
    return company


@dataclass(frozen=True)
class Given:
    """What the rep typed on the command line; each value overrides what the file says."""

    rep_name: str
    rep_email: str
    deal: str = ""
    buyer_company: str = ""
    contacts: tuple[str, ...] = ()
    target_close: date | None = None
    close_reason: str = ""
    desired_outcome: str = ""
    deal_value: float | None = None
    currency: str = "USD"
    team: str = ""
    stage: str = ""
    locale: str | None = None  # None: the plan's own language says
    time_zone: str = "UTC"
    plan_start: date | None = None
    table: str | None = None  # "Plan!A12": the table whose header row starts there
    columns: tuple[tuple[str, str], ...] = ()  # ("Next Steps", "step"): a header -> our field


@dataclass(frozen=True)
class Imported:
    adoption: Adoption
    plan: InitialPlan
    report: ImportReport
    data: dict[str, Any]  # the Create MAP form it fills in
    missing: list[InputError] = field(default_factory=list)  # what creating it still needs
    created: Created | None = None


def understand(source: Source, given: Given, *, today: date, seller_company: str) -> Imported:
    """Read the source and build the plan the new MAP would start with; writes nothing."""
    try:
        adoption = adopt(
            source,
            today=today,
            locale=given.locale,
            plan_start=given.plan_start,
            buyer_company=given.buyer_company,
            seller_company=seller_company,
            rep_name=given.rep_name,
            rep_email=given.rep_email,
            table=given.table,
            columns=dict(given.columns),
        )
    except OverrideError as exc:
        raise InputError(exc.option, exc.detail) from None
    s = adoption.summary
    people = list(adoption.stakeholders)
    if given.rep_email and not any(p.email == given.rep_email.lower() for p in people):
        people.append(
            PlannedStakeholder(given.rep_name, given.rep_email.lower(), "Seller", Role.AE.label)
        )
    buyers = [p for p in people if p.side == "Buyer" and p.email]
    company = given.buyer_company or str(s.get("buyer_company", ""))
    if not company and buyers:
        company = company_from_domain(buyers[0].email.split("@")[1])
        company = _as_written(company, f"{s.get('title', '')} {s.get('deal', '')}")
    target = given.target_close or _date(s.get("target_close"))
    data: dict[str, Any] = {
        "deal": (given.deal or deal_name(s, Path(source.name).stem.replace("_", " ")))[:200],
        "buyer_company": company,
        "buyer_contacts": list(given.contacts)
        or [f"{p.name} <{p.email}>" for p in _champion_first(buyers)],
        "target_close": target,
        "close_reason": given.close_reason or str(s.get("close_reason", "")),
        "desired_outcome": given.desired_outcome or str(s.get("desired_outcome", "")),
        "template": IMPORTED_TEMPLATE,
        "deal_value": given.deal_value
        if given.deal_value is not None
        else _number(s.get("deal_value")),
        "currency": given.currency,
        "rep_name": given.rep_name,
        "rep_email": given.rep_email,
        "team": given.team,
        "stage": given.stage,
        "locale": adoption.locale,
        "time_zone": given.time_zone,
    }
    plan = InitialPlan(
        adoption.steps,
        tuple(people),
        adoption.memory,
        None,
        risks=adoption.risks,
        criteria=adoption.criteria,
        resources=adoption.resources,
    )
    report = _report(source, adoption, plan, data, today)
    data["close_reason"] = _fit(data["close_reason"], 500)
    data["desired_outcome"] = _fit(data["desired_outcome"], 1000)
    missing = _missing(data, adoption, today)
    return Imported(adoption, plan, report, data, missing)


def _fit(text: str, limit: int) -> str:
    """The MAP's record holds this much; the import's report keeps the whole text."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _champion_first(buyers: list[PlannedStakeholder]) -> list[PlannedStakeholder]:
    return sorted(buyers, key=lambda p: read_role(p.role) is not Role.CHAMPION)


def _date(value: object) -> date | None:
    return value if isinstance(value, date) else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _missing(data: dict[str, Any], adoption: Adoption, today: date) -> list[InputError]:
    """Everything that stops the MAP being created, each naming the flag that fixes it."""
    errors: list[InputError] = []
    if not adoption.steps:
        errors.append(
            InputError(
                "file",
                "no plan table found: "
                + (
                    "no table holds rows of step text beside dates, statuses or people"
                    if not adoption.candidates
                    else "; ".join(f"{c.where}: {c.short}" for c in adoption.candidates[:3])
                )
                + '; --table "Tab!A1" names the plan\'s header row',
            )
        )
    if not data["buyer_company"]:
        errors.append(InputError("buyer_company", "the file does not say; pass it"))
    if not data["buyer_contacts"]:
        errors.append(
            InputError(
                "buyer_contacts",
                "no buyer stakeholder with an email in the file; pass "
                "--contact 'Name <email>' for each buyer contact",
            )
        )
    if data["target_close"] is None:
        errors.append(InputError("target_close", "the file gives no target close; pass it"))
    if not errors:
        try:  # the rep is checked by the caller: a dry run needs none
            validated(
                {
                    **data,
                    "rep_name": data["rep_name"] or "-",
                    "rep_email": data["rep_email"] or "rep@example.com",
                },
                today=today,
            )
        except InputError as exc:
            errors.append(exc)
    return errors


def _report(
    source: Source, adoption: Adoption, plan: InitialPlan, data: dict[str, Any], today: date
) -> ImportReport:
    info = MapInfo(
        map_id="",
        deal=data["deal"],
        buyer_company=data["buyer_company"],
        target_close=data["target_close"] or today,
        close_reason=data["close_reason"],
        desired_outcome=data["desired_outcome"],
        template=IMPORTED_TEMPLATE,
        rep_name=data["rep_name"],
        rep_email=data["rep_email"],
        created_on=today,
        locale=adoption.locale,
    )
    grids: dict[str, Grid] = {
        content.tab.name: [
            [c.header for c in content.tab.columns],
            *([row.get(c.key) for c in content.tab.columns] for row in content.rows),
        ]
        for content in initial_tabs(info, plan)
    }
    parsed = parse_map(grids, today=today, locale=adoption.locale, plan_start=today)
    status = compute(
        parsed, plan.memory, target_close=info.target_close, today=today, plan_start=today
    )
    computed = build_report(info, parsed, status, today)
    cells = sum(1 for grid in source.grids.values() for row in grid for v in row if not is_blank(v))
    return ImportReport(
        source=source.name,
        today=today,
        locale=adoption.locale,
        plan_tab=adoption.plan_tab,
        header_row=adoption.header_row,
        columns=[ColumnReport(**c.__dict__) for c in adoption.columns],
        summary=ImportSummary(
            deal=data["deal"],
            buyer_company=data["buyer_company"],
            target_close=data["target_close"],
            close_reason=data["close_reason"],
            desired_outcome=data["desired_outcome"],
            deal_value=data["deal_value"],
        ),
        steps=computed.steps,
        origins=[
            OriginReport(id=o.step_id, tab=o.tab, row=o.row, source_id=o.source_id)
            for o in adoption.origins
        ],
        stakeholders=[
            StakeholderReport(
                name=p.name,
                email=p.email,
                side=p.side.lower(),
                role=(role.value if (role := read_role(p.role)) else None) if p.role else None,
                role_text=p.role,
                decision_authority=p.decision_authority,
                notes=p.notes,
            )
            for p in plan.stakeholders
        ],
        risks=[RiskReport(**r.__dict__) for r in plan.risks],
        criteria=[CriterionReport(**c.__dict__) for c in plan.criteria],
        resources=[ImportedResource(**r.__dict__) for r in plan.resources],
        readings=[CellNote(**n.__dict__) for n in adoption.readings],
        problems=[CellNote(**n.__dict__) for n in adoption.problems],
        unplaced=[
            Unplaced(tab=n.tab, cell=n.cell, value=n.value, why=n.message)
            for n in adoption.unplaced
        ],
        cells=cells,
        placed=adoption.placed,
        created=None,
        candidates=[CandidateReport(**c.__dict__) for c in adoption.candidates],
    )


def create_imported(
    imported: Imported,
    *,
    templates: dict[str, Template],
    workspace: Workspace,
    registry: Registry,
    today: date,
    now: datetime,
    seller_company: str,
    workspace_kind: str,
) -> Imported:
    """Create the MAP the import read: its plan in place of a template's, first sync done."""
    if imported.missing:
        raise imported.missing[0]
    form = validated(imported.data, today=today)
    created = create_map(
        form,
        templates=templates,
        workspace=workspace,
        registry=registry,
        today=today,
        seller_company=seller_company,
        now=now,
        workspace_kind=workspace_kind,
        plan=imported.plan,
    )
    made = CreatedMap(map_id=created.map_id, sheet=created.files.sheet, doc=created.files.doc)
    report = imported.report.model_copy(update={"created": made})
    return replace(imported, report=report, created=created)
