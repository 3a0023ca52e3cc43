"""What a new MAP workbook holds, whichever program shows it: titles, rows, colours.

The .xlsx writer and the Google Sheets builder both lay out these values with the tabs and
columns of sheets_schema, so a MAP reads the same in Excel, LibreOffice and Google Sheets.
"""

from __future__ import annotations

from dataclasses import dataclass

from addon.plan.crm import Deal
from addon.plan.dates import fmt
from addon.plan.insights import Days, Insights, Rate
from addon.plan.models import Cell, MapInfo
from addon.plan.rollup import RollupRow
from addon.plan.schedule import InitialPlan
from sheets_schema.vocab import Health, MapHealth
from sheets_schema.workbook import (
    DECISION_CRITERIA,
    PLAN,
    RESOURCES,
    RISKS,
    STAKEHOLDERS,
    SUMMARY,
    Tab,
)

RESOURCES_SUBTITLE = (
    "The documents each step needs, from either side: paste the link when it is "
    "shared (Drive links must be shared with the other side)."
)

# Health label -> background colour (hex RGB), for conditional formats in both programs.
HEALTH_COLOURS: dict[str, str] = {
    Health.OVERDUE.label: "F4B6B6",
    Health.BLOCKED.label: "F4B6B6",
    Health.AT_RISK.label: "FFE08A",
    Health.DUE_SOON.label: "FFF2C2",
    Health.ON_TRACK.label: "CDEBC5",
    Health.DONE.label: "A9D8A0",
    Health.SKIPPED.label: "D9D9D9",
    Health.UNSCHEDULED.label: "E7E6F7",
    MapHealth.OFF_TRACK.label: "F4B6B6",
    MapHealth.AT_RISK.label: "FFE08A",
    MapHealth.ON_TRACK.label: "CDEBC5",
}


@dataclass(frozen=True)
class TabContent:
    tab: Tab
    title: str
    subtitle: str
    rows: list[dict[str, Cell]]


def initial_tabs(info: MapInfo, plan: InitialPlan) -> list[TabContent]:
    """Every tab of a new MAP, in order, with its title block and first rows."""
    plan_subtitle = (
        f"Target close {fmt(info.target_close)}"
        + (f" — {info.close_reason}" if info.close_reason else "")
        + (f". Goal: {info.desired_outcome}" if info.desired_outcome else "")
    )
    steps: list[dict[str, Cell]] = [
        {
            "id": s.id,
            "phase": s.phase,
            "step": s.step,
            "buyer_owner": s.buyer_owner,
            "seller_owner": s.seller_owner,
            "due": s.due,
            "depends_on": ", ".join(s.depends_on),
            "status": s.status.label,
            "done_on": s.done_on,
            "notes": s.notes,
            "if_it_slips": s.if_it_slips,
            **s.verbatim,
        }
        for s in plan.steps
    ]
    people: list[dict[str, Cell]] = [
        {
            "name": p.name,
            "email": p.email,
            "side": p.side,
            "role": p.role,
            "decision_authority": p.decision_authority,
            "notes": p.notes,
        }
        for p in plan.stakeholders
    ]
    resources: list[dict[str, Cell]] = [
        {
            "title": r.title,
            "kind": r.kind,
            "step": r.step,
            "link": r.link,
            "side": r.side,
            "provider": r.provider,
            "shared_on": r.shared_on,
            "notes": r.notes,
        }
        for r in plan.resources
    ]
    risks: list[dict[str, Cell]] = [
        {"risk": r.risk, "owner": r.owner, "mitigation": r.mitigation, "status": r.status}
        for r in plan.risks
    ]
    criteria: list[dict[str, Cell]] = [
        {
            "criterion": c.criterion,
            "who_decides": c.who_decides,
            "how_shown": c.how_shown,
            "status": c.status,
        }
        for c in plan.criteria
    ]
    return [
        TabContent(
            PLAN, f"Mutual Action Plan: {info.buyer_company} · {info.deal}", plan_subtitle, steps
        ),
        TabContent(
            STAKEHOLDERS,
            STAKEHOLDERS.name,
            "Everyone involved on both sides, their role in the decision and their authority.",
            people,
        ),
        TabContent(RESOURCES, RESOURCES.name, RESOURCES_SUBTITLE, resources),
        TabContent(
            RISKS, RISKS.name, "Known risks to the timeline and what both sides will do.", risks
        ),
        TabContent(
            DECISION_CRITERIA,
            DECISION_CRITERIA.name,
            "What the buying committee needs to see to say yes.",
            criteria,
        ),
        TabContent(SUMMARY, SUMMARY.name, "Filled in by the sync: edit the Plan tab instead.", []),
    ]


# The managers' roll-up: (key, header, width in characters), in order.
ROLLUP_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("rank", "Rank", 6),
    ("deal", "Deal", 24),
    ("buyer_company", "Buyer", 20),
    ("rep", "Rep", 16),
    ("team", "Team", 12),
    ("lifecycle", "State", 9),
    ("deal_value", "Deal value", 12),
    ("health", "Health", 11),
    ("score", "Score", 7),
    ("stale", "Stale", 7),
    ("target_close", "Target close", 13),
    ("projected_close", "Projected close", 14),
    ("close_slip_days", "Close slip (days)", 10),
    ("target_close_moves", "Close date moves", 9),
    ("slipped_days", "Step slip (days)", 10),
    ("date_pushes", "Date pushes", 9),
    ("buyer_steps", "Buyer steps done", 11),
    ("current_blocker", "Current blocker", 34),
    ("blocker_owner", "Blocker owner", 16),
    ("ball_in_court", "Ball in court", 10),
    ("days_since_last_completion", "Days since a step was done", 12),
    ("last_buyer_update", "Last buyer update", 14),
    ("consequences_fired", "Consequences", 12),
    ("problems", "Sheet problems", 9),
    ("sync_state", "Sync", 24),
    ("link", "Link", 40),
    ("health_reason", "Why at risk", 30),  # an emptied or gutted plan (last: columns keep places)
    # The linked deal as the CRM has it, beside the plan's own figures.
    ("crm_stage", "CRM stage", 16),
    ("crm_amount", "CRM amount", 12),
    ("crm_close", "CRM close date", 13),
    ("crm_closed", "CRM says", 22),
    ("crm_note", "CRM sync", 28),
    ("crm_link", "CRM deal", 36),
    # Documents on the Resources tab with no usable link while a step they serve is open
    # (last, as each added column is: the others keep their places).
    ("missing_resources", "Resources missing", 10),
)

# The roll-up's second tab: open deals the CRM has at or past the gap stage, with no MAP.
GAP_TAB = "No MAP"
GAP_TITLE = "No MAP: open deals at or past the gap stage with no Mutual Action Plan"
GAP_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("deal", "Deal", 28),
    ("company", "Company", 20),
    ("owner", "Owner", 26),
    ("stage", "Stage", 18),
    ("amount", "Amount", 12),
    ("currency", "Currency", 8),
    ("close_date", "Close date", 12),
    ("why", "Why listed", 36),
    ("link", "CRM deal", 40),
)


def rollup_cells(row: RollupRow) -> dict[str, Cell]:
    """A roll-up row as the cells both roll-up writers show."""
    values: dict[str, Cell] = dict(row.__dict__)
    values["buyer_steps"] = f"{row.buyer_steps_done}/{row.buyer_steps_total}"
    values["stale"] = "STALE" if row.stale else ""
    values["health"] = row.health.replace("_", " ") if row.health else ""
    if row.crm_closed:
        mark = {"won": "won", "lost": "lost"}[row.crm_closed]
        values["crm_closed"] = f"Closed {mark}" + (
            f": mark the MAP {mark}" if row.lifecycle != mark else ""
        )
    if row.crm_amount is not None and row.crm_currency and row.crm_currency != row.currency:
        values["crm_amount"] = f"{row.crm_currency} {row.crm_amount:,.0f}"
    return values


def gap_cells(deal: Deal, why: str) -> dict[str, Cell]:
    """A deal without a MAP as the roll-up's No MAP tab shows it."""
    return {
        "deal": deal.name,
        "company": deal.company,
        "owner": deal.owner,
        "stage": deal.stage_label,
        "amount": deal.amount,
        "currency": deal.currency,
        "close_date": deal.close_date,
        "why": why,
        "link": deal.url,
    }


# --- the roll-up's Insights tab -------------------------------------------------------------

INSIGHTS_TAB = "Insights"
INSIGHT_STEPS = 25  # rows of steps shown (the chart reads this block)
INSIGHT_STEP_HEADER = 4  # 1-based row of the steps table's header


def _pct(rate: Rate) -> Cell:
    return round(100 * rate.rate, 1) if rate.rate is not None else None


def _span(rate: Rate) -> str:
    if rate.low is None or rate.high is None:
        return ""
    return f"{100 * rate.low:.0f}-{100 * rate.high:.0f} %"


def _median(d: Days) -> Cell:
    """A median, or "≥ N" when censoring leaves only a lower bound."""
    if d.median is None:
        return None
    return d.median if d.median_reached else f"≥ {d.median:g}"


def insight_blocks(ins: Insights) -> list[tuple[str, list[str], list[list[Cell]]]]:
    """The Insights tab as titled tables, both roll-up writers lay out the same way; the
    steps table first, at a fixed place, so its chart can point at it."""
    steps = [
        [
            s.label,
            "template" if s.kind == "template" else "added by buyers",
            s.n,
            s.n_closed,
            _median(s.duration),
            s.duration.p80,
            s.duration.censored,
            _median(s.lateness),
            _pct(s.pushed),
            _pct(s.open_at_close),
            s.days_cost_median,
            "yes" if s.trend else f"no (n={s.n_closed})",
        ]
        for s in ins.steps[:INSIGHT_STEPS]
    ]
    cycle = [
        [
            g.label,
            g.created_to_signed.n,
            _median(g.created_to_signed),
            g.created_to_signed.p80,
            _median(g.crm_opened_to_signed),
            "yes" if g.created_to_signed.trend else "no",
        ]
        for g in (ins.cycle_time.overall, *ins.cycle_time.by_template, *ins.cycle_time.by_deal_size)
    ]
    cohorts = [
        [
            c.label,
            c.n,
            _median(c.cycle),
            c.cycle.p80,
            _pct(c.win_rate),
            _span(c.win_rate),
        ]
        for c in (ins.cycle_time.with_map, ins.cycle_time.without_map)
    ]
    horizons = [
        [
            f"{h.days_before} days before",
            h.n,
            _median(h.projected_error),
            _median(h.target_error),
            h.projected_bias,
            h.target_bias,
            _pct(h.projected_closer),
            "yes" if h.trend else "no",
        ]
        for h in ins.calibration.horizons
    ]
    bands = [
        [
            b.label,
            b.win_rate.n,
            _pct(b.win_rate),
            _span(b.win_rate),
            "yes" if b.win_rate.trend else "no",
        ]
        for b in ins.outcomes.bands
    ]
    return [
        (
            "Steps, by the days of close they cost",
            [
                "Step",
                "Kind",
                "Plans",
                "Closed",
                "Median days",
                "p80 days",
                "Still open",
                "Median days late",
                "Pushed %",
                "Open at close %",
                "Days of close cost",
                "Trend",
            ],
            steps,
        ),
        (
            "Cycle time: MAP created to signature (won deals)",
            ["Group", "Won", "Median days", "p80 days", "CRM opened to signed", "Trend"],
            cycle,
        ),
        (
            "Before and after MAPs (the CRM's closed deals)",
            ["Deals", "Closed", "Median days open to close", "p80", "Win rate %", "Interval"],
            cohorts,
        ),
        (
            f"Forecast calibration: {ins.calibration.answer}",
            [
                "When",
                "Plans",
                "Projected error (median days)",
                "Target error (median days)",
                "Projected bias",
                "Target bias",
                "Projected closer %",
                "Trend",
            ],
            horizons,
        ),
        (
            f"Win rate by plan health {ins.outcomes.days_before} days before close",
            ["Group", "Closed", "Win rate %", "Interval", "Trend"],
            bands,
        ),
    ]


def insight_grid(ins: Insights) -> list[list[Cell]]:
    """The whole tab as rows: a title, the sample, then each table with a blank row between;
    the steps table always spans INSIGHT_STEPS rows so the others keep their places."""
    s = ins.sample
    grid: list[list[Cell]] = [
        ["MAP insights: what the plans' history teaches"],
        [
            f"As of {fmt(ins.today)} · {s.considered} plans, {s.closed} closed ({s.won} won, "
            f"{s.lost} lost) · medians and Wilson intervals; trends need 8+ closed deals"
        ],
    ]
    for i, (title, headers, rows) in enumerate(insight_blocks(ins)):
        grid.append([title])
        grid.append(list(headers))
        body = [list(r) for r in rows] or [["no data yet"]]
        if i == 0:
            body += [[] for _ in range(INSIGHT_STEPS - len(body))]
        grid += body
        grid.append([])
    return grid
