"""Where an issue decides against what a blind import fixture's writer expected.

Blind fixtures (tests/fixtures/imports/*.yaml) are never edited. When an issue itself
changes what the importer must do with a fixture's cells, `ISSUE_OVERRIDES` says so
explicitly: the issue's point (`reason`), the fixture's expectations it replaces
(`expect`, key by key: nothing else is replaced), and the further checks that take their
place: `placed` (ranges whose non-empty cells must be placed, not reported as not placed),
`criteria` (the dry run's decision criteria, exactly and in order) and `resources` (the
dry run's resources, each as `check_resources` reads an `expect.resources` entry, and no
others). tests/test_import.py (fixtures 01-08) and tests/test_import_layouts.py (09 on)
both apply them; the guard test in tests/test_import_layouts.py checks every entry."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.import_fixtures import cells_in, normal

ISSUE_OVERRIDES: dict[str, dict[str, Any]] = {
    "02_getaccept_excel_workbook_tabs": {
        "reason": "issue 21, point 5: resources are imported into the Resources tab; the "
        "fixture's writer believed the workbook had no home for them and expected the whole "
        "Resources tab reported as not placed",
        "expect": {
            # the commercials line still has no home; the Resources tab now does
            "unplaced": ["'Executive Summary'!A8:B8"],
        },
        "placed": ["Resources!A1:C5"],
        "resources": [
            {
                "title": "Corvida security pack (SOC 2 Type II, ISO 27001)",
                "link": "https://trust.corvida.example.com/pack",
                "kind": "Security",
                "step": "",  # the tab names no step
            },
            {
                "title": "ROI calculator",
                "link": "https://corvida.example.com/roi/fenwick-hale",
                "kind": "Commercial",
                "step": "",
            },
            {
                "title": "Customer story: Marlow Mutual",
                "link": "https://corvida.example.com/stories/marlow-mutual",
                "step": "",
            },
            {
                "title": "Draft MSA v3",
                "link": "https://docs.corvida.example.com/msa-v3",
                "kind": "Legal",
                "step": "",
            },
        ],
    },
    "06_dock_sections_emoji_contacts_beside": {
        "reason": "issue 21, point 5: resources are imported into the Resources tab; the "
        "fixture's writer believed the plan's \"Link\" column had no home and expected it "
        "reported as a column with no place, its four links as not placed",
        "expect": {
            "unmapped_columns": [],
            "unplaced": [],  # the four were the Link column's cells
        },
        "placed": [
            "'Summit + Tallyfox MAP'!F3",  # the header
            "'Summit + Tallyfox MAP'!F6",
            "'Summit + Tallyfox MAP'!F11",
            "'Summit + Tallyfox MAP'!F14",
            "'Summit + Tallyfox MAP'!F16",
        ],
        # no title is written beside the links: each is made up from its address. Every
        # link is on Tallyfox's (the seller's) site, so each is the seller's, whoever owns
        # the step (fixtures 22 and 23 read a vendor's host the same way)
        "resources": [
            {
                "title": "Summit demo",
                "link": "https://tallyfox.example.com/rec/summit-demo",
                "step": "Demo for the revenue cycle team",
                "side": "Seller",
            },
            {
                "title": "Summit",
                "link": "https://tallyfox.example.com/poc/summit",
                "step": "Billing team tests denial workflows",
                "side": "Seller",
            },
            {
                "title": "trust.tallyfox.example.com",
                "link": "https://trust.tallyfox.example.com",
                "kind": "Security",  # a trust centre
                "step": "HIPAA security review and BAA signed",
                "side": "Seller",
            },
            {
                "title": "Summit v2",
                "link": "https://tallyfox.example.com/proposals/summit-v2",
                "kind": "Commercial",  # ".../proposals/...": a proposal
                "step": "Proposal and pricing reviewed",
                "side": "Seller",
            },
        ],
    },
    "18_decision_criteria_tab": {
        "reason": "issue 20, point 3: decision criteria tables are imported (into the new "
        "MAP's Decision criteria tab); the fixture's writer believed the workbook had no "
        "home for them and expected the whole tab reported as not placed",
        "expect": {
            # the Weight column has no home in the Decision criteria tab: still not placed
            "unplaced": ["'Decision criteria'!B1:B6"],
        },
        "placed": [
            "'Decision criteria'!A1:A6",  # Criterion
            "'Decision criteria'!C1:C6",  # Who decides
            "'Decision criteria'!D1:D6",  # Met? (D6 is empty)
        ],
        "criteria": [
            {
                "criterion": "Cuts first-notice-of-loss triage time by 40%",
                "who_decides": "Nadia Brooks",
                "how_shown": "",
                "status": "Agreed",  # "Yes"
            },
            {
                "criterion": "Runs in our Azure tenant (EU region)",
                "who_decides": "Omar Said",
                "how_shown": "",
                "status": "Agreed",  # "Yes"
            },
            {
                "criterion": "Integrates with Guidewire ClaimCenter",
                "who_decides": "Pete Ramos",
                "how_shown": "",
                "status": "Partly",  # no status of ours says it: kept as typed
            },
            {
                "criterion": "Total 3-year cost under €600k",
                "who_decides": "Lydia Grant",
                "how_shown": "",
                "status": "Not yet shown",  # "Not yet"
            },
            {
                "criterion": "Reference from another EU insurer",
                "who_decides": "Nadia Brooks",
                "how_shown": "",
                "status": "",  # Met? left empty
            },
        ],
    },
}


def overridden(data: dict[str, Any], stem: str) -> dict[str, Any]:
    """The fixture with the expectations its override replaces, and only those, replaced."""
    override = ISSUE_OVERRIDES.get(stem)
    if override is None:
        return data
    return {**data, "expect": {**data["expect"], **override["expect"]}}


def _text(value: Any) -> str:
    return normal(str(value or "").replace("\ufeff", ""))


def _link(value: Any) -> str:
    return _text(value).rstrip("/").lower()


def check_resources(want: list[dict[str, Any]], report: dict[str, Any]) -> list[str]:
    """The dry run's resources against a fixture's `expect.resources`: each entry found (by
    its link, else its title) with the fields it gives (`step` is the step's text; `notes`
    must be in the row's notes), in the source's order, and no resource the fixture does
    not list."""
    problems: list[str] = []
    steps = {s["id"]: _text(s["step"]) for s in report["steps"]}
    got = list(report.get("resources") or [])
    left = list(got)
    order: list[int] = []
    for w in want:
        if w.get("link"):
            hits = [r for r in left if _link(r["link"]) == _link(w["link"])]
        else:
            hits = [r for r in left if _text(r["title"]).lower() == _text(w["title"]).lower()]
        if not hits:
            problems.append(f"resource {w.get('title') or w.get('link')!r} missing")
            continue
        r = hits[0]
        left.remove(r)
        order.append(got.index(r))
        where = f"resource {w.get('title') or w.get('link')!r}"
        for key, value in w.items():
            have: Any = r.get(key)
            if key == "step":
                have = steps.get(r["step"], r["step"])
            if key == "link":
                same = _link(have) == _link(value)
            elif key == "shared_on":
                same = have == (value.isoformat() if isinstance(value, date) else value)
            elif key in ("kind", "side"):
                same = _text(have).lower() == _text(value).lower()
            elif key == "notes":
                same = _text(value).lower() in _text(have).lower()
            else:
                same = _text(have) == _text(value)
            if not same:
                problems.append(f"{where}: {key} {have!r}, want {value!r}")
    for r in left:
        problems.append(f"resource {r['title']!r} ({r['link']}) not expected")
    if order != sorted(order):
        problems.append(f"resources not in the source's order: {[got[i]['title'] for i in order]}")
    return problems


def check_override(stem: str, source: set[tuple[str, str]], report: dict[str, Any]) -> list[str]:
    """The checks an override adds in place of the expectations it replaced; `source` is
    every non-empty cell of the fixture, as (tab, A1)."""
    override = ISSUE_OVERRIDES.get(stem)
    if override is None:
        return []
    problems: list[str] = []
    unplaced = {(u["tab"], u["cell"]) for u in report["unplaced"]}
    for ref in override.get("placed") or []:
        for cell in cells_in(ref):
            if cell in source and cell in unplaced:
                problems.append(f"{cell[0]}!{cell[1]} reported as not placed ({ref})")
    if "criteria" in override:
        got = [
            {k: _text(c[k]) for k in ("criterion", "who_decides", "how_shown", "status")}
            for c in report["criteria"]
        ]
        want = [{k: _text(v) for k, v in c.items()} for c in override["criteria"]]
        if got != want:
            problems.append(f"criteria {got}, want {want}")
    if "resources" in override:
        problems += check_resources(override["resources"], report)
    return problems
