"""An existing MAP spreadsheet of any common layout -> the first plan of a new MAP.

Teams keep MAPs made from a vendor template or a blog post: a title block, a key-value
preamble ("Customer:", "Target signature:"), a stakeholder block beside or above the plan,
a decision criteria table,
section rows, merged cells, several tabs. `adopt` finds the tables by what their headers
mean, maps their columns onto the MAP workbook, reads each cell with the parser's own
readers (dates, statuses, owners, dependencies) and accounts for every non-blank cell of
the source: each one is either placed (and where) or listed as unplaced (and why).

Pure: grids, merged ranges and dates in, values out.

This module holds `adopt`, which runs the steps in order, and re-exports the public names.
The steps, one module each:

- `tables.py`: finding the tables by their header rows; `columns.py`: what a header means
- `detect.py`: the plan by what its cells hold, candidates ranked, the rep's overrides
- `preamble.py`: the title, key-value lines and lists outside the tables
- `companies.py`: the names each side goes by; `language.py`: the locale dates are read in
- `rows.py`: which plan rows are steps or sections; `steps.py`: a row -> a step
- `owners.py`: owner cells -> buyer and seller owners; `stakeholders.py`: people, risks
  and decision criteria; `links.py`: resources tables, a plan's links column and the links
  in its notes -> the Resources tab's rows
- `accounting.py`: every cell placed or listed as unplaced, and why
- `exports.py`: Asana, Jira and Trello exports read by the tool's own column names;
  `hierarchy.py`, `predecessors.py`: Smartsheet parent rows and predecessors;
  `checkbox.py`: checkbox cells as a status
- `model.py`: the values in and out; `layout.py`: the heading and tab-name patterns
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from addon.plan.adopt.accounting import _State, _unplaced
from addon.plan.adopt.companies import _Companies
from addon.plan.adopt.detect import OverrideError, choose
from addon.plan.adopt.exports import _read_export
from addon.plan.adopt.language import _earliest_date, _locale_of
from addon.plan.adopt.links import (
    _free_lines,
    _Pending,
    _read_resources,
    _settle_resources,
    _step_links,
)
from addon.plan.adopt.model import (
    Adoption,
    Candidate,
    ColumnUse,
    Note,
    Origin,
    Range,
    Source,
)
from addon.plan.adopt.owners import _column_field, _learn_from_owners
from addon.plan.adopt.preamble import _fuller, _prescan_companies, _read_free_cells, deal_name
from addon.plan.adopt.rows import _plan_rows
from addon.plan.adopt.stakeholders import (
    _read_criteria,
    _read_people,
    _read_risks,
    _settle_sides,
)
from addon.plan.adopt.steps import _memory, _steps
from addon.plan.adopt.tables import _find_tables, _outside
from addon.plan.dates import day_first
from addon.plan.grid import col_letter
from addon.plan.schedule import PlannedCriterion, PlannedRisk, PlannedStakeholder
from sheets_schema.vocab import Side

__all__ = [
    "Adoption",
    "Candidate",
    "ColumnUse",
    "Note",
    "Origin",
    "OverrideError",
    "Range",
    "Source",
    "adopt",
    "deal_name",
]


def adopt(
    source: Source,
    *,
    today: date,
    locale: str | None = None,
    plan_start: date | None = None,
    buyer_company: str = "",
    seller_company: str = "",
    rep_name: str = "",
    rep_email: str = "",
    table: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> Adoption:
    """Read `source` as a MAP. `plan_start` anchors "Week 3" and "[Date +3]" (default: the
    earliest real date on the plan, else today). `locale` None: guess it from the plan.
    `table` ("Plan!A12": the table whose header row starts there) and `columns` (header ->
    field) are the rep's overrides; a wrong one raises `OverrideError`."""
    companies = _Companies()
    if buyer_company:
        companies.add(Side.BUYER, buyer_company)
    # First the tables by their headers alone, then the names the rest of the file gives
    # each side ("Customer: Acme", a "Acme × Widgetco" title), then the headers again:
    # "Verantwortlich Datavia" names a side once Datavia is known.
    outside = _outside(source, _find_tables(source, companies))
    _prescan_companies(source, outside, companies)
    if seller_company:
        companies.add(Side.SELLER, seller_company)
    tables = _find_tables(source, companies)
    choice = choose(tables, source, companies, today, table=table, columns=columns)
    plan = choice.plan
    if plan is not None and plan not in tables:
        tables.append(plan)
    start = plan_start or _earliest_date(source, plan) or today
    state = _State(source, today, _locale_of(source, plan, locale), start, companies)
    if state.locale != (locale or "en_US"):
        how = "given" if locale else "the default"
        state.readings.append(
            Note(
                plan.tab if plan else "",
                "",
                state.locale,
                f"text dates read as {state.locale} "
                f"({'day' if day_first(state.locale) else 'month'} first), not as {how} "
                f"{locale or 'en_US'}: the plan's language or its dates say so",
            )
        )
    # A task tool's export (Asana, Jira, Trello) is read by the tool's own column names
    export = _read_export(state, companies)
    if export is not None:
        plan = export.table
        tables = [t for t in tables if t.tab != plan.tab] + [plan]
    elif plan is None:
        state.problems.append(Note("", "", "", choice.note))
    else:
        state.readings.append(Note(plan.tab, "", "", choice.note))
        for c, key in sorted(plan.by_content.items()):
            state.readings.append(
                Note(
                    plan.tab,
                    "",
                    plan.headers[c],
                    f"a column the header words do not name: read as {key.replace('_', ' ')} "
                    "by what its cells hold",
                )
            )
    summary: dict[str, str | date | float] = {}
    people: list[PlannedStakeholder] = list(export.people) if export else []
    risks: list[PlannedRisk] = []
    criteria: list[PlannedCriterion] = []
    listed: list[_Pending] = []  # resources tables' rows, tied to their steps below
    for block in tables:
        if block.kind == "people":
            people.extend(_read_people(block, state))
        elif block.kind == "risks":
            risks.extend(_read_risks(block, state))
        elif block.kind == "criteria":
            criteria.extend(_read_criteria(block, state))
        elif block.kind == "resources":
            listed.extend(_read_resources(block, state))
    rows = export.rows if export else _plan_rows(plan, state) if plan else []
    lines = _free_lines(state, tables, people)  # "📄 Overview deck — https://…" above the plan
    _read_free_cells(state, tables, summary, people, risks, plan)
    if summary.get("buyer_company"):
        companies.add(Side.BUYER, str(summary["buyer_company"]))
    _learn_from_owners(rows, companies)
    if companies.buyer and "buyer_company" not in summary:
        summary["buyer_company"] = _fuller(companies.buyer, str(summary.get("title", "")))
        state.readings.append(
            Note("", "", companies.buyer, "the buyer's name, from the title or the owners")
        )
    people = _settle_sides(people, companies, rep_email)
    steps, origins = _steps(rows, plan, state, people, rep_name) if plan else ([], [])
    memory = _memory(steps, state)
    found = [*lines, *(_step_links(rows, steps, plan, state, people) if plan else [])]
    resources = _settle_resources(listed, found, steps, origins, people, state)
    if "target_close" not in summary:
        signature = next((m for m in memory.values() if m.signature), None)
        fallback = signature.current_due if signature else None
        if fallback is None:
            fallback = max((s.due for s in steps if s.due), default=None)
        if fallback is not None:
            summary["target_close"] = fallback
            how = (
                f"the due date of {signature.step_id}, the signature step"
                if signature
                else ("the last due date on the plan")
            )
            state.readings.append(
                Note(plan.tab if plan else "", "", "", f"no target close given: took {how}")
            )
    unplaced = _unplaced(state)
    return Adoption(
        plan_tab=plan.tab if plan else None,
        header_row=plan.row + 1 if plan else None,
        columns=tuple(
            ColumnUse(
                _column_field(key, plan.columns.values()), plan.headers[c], plan.tab, col_letter(c)
            )
            for c, key in sorted(plan.columns.items())
        )
        if plan
        else (),
        steps=tuple(steps),
        origins=tuple(origins),
        memory=memory,
        stakeholders=tuple(people),
        risks=tuple(risks),
        summary=summary,
        readings=tuple(state.readings),
        problems=tuple(state.problems),
        unplaced=tuple(unplaced),
        placed=len(state.placed),
        locale=state.locale,
        candidates=tuple(choice.candidates),
        criteria=tuple(criteria),
        resources=tuple(resources),
    )
