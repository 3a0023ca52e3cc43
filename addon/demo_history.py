"""`mapctl demo --history N`: a year of closed deals made through the real product.

Each deal is created with `App.create`, shared, edited day by day by a simulated buyer (and
rep) through `BuyerEdit` (the file's last-modified-by set to whoever saved), synced with
`sync_all` on each day that had an edit and at least weekly, and closed with
`lifecycle.close_map`: won when its signature step is done, lost when the buyer went
quiet for weeks (or chose another vendor). What the registry keeps afterwards (done
dates, baselines, pushes, buyer-added steps, closed_on) is what real use would leave.

The behaviour is drawn from distributions stated below (`PLANTED`): they are the
patterns the insights are meant to recover, so a test can import them. Everything is
drawn from one seeded `random.Random`; nothing here reads the wall clock except the
timing line of the summary.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import TYPE_CHECKING, Any

from addon.demo import BuyerEdit
from addon.lifecycle import close_map
from addon.plan.dates import fmt
from addon.sharing import share_map
from addon.sync import sync_all, write_rollup
from sheets_schema.template import Template
from sheets_schema.vocab import Side

if TYPE_CHECKING:
    from addon.app import App

# --- the planted patterns -----------------------------------------------------------------

# Days from the moment a step can start (every prerequisite done) to the day it is marked
# done: (median, p80) of a lognormal. Security review is far slower than any template says;
# technical validation is close to its template.
DURATIONS: dict[str, tuple[float, float]] = {
    "fit_confirmed": (3, 5),
    "problem_confirmed": (4, 7),
    "stakeholders_named": (4, 7),
    "security_docs_shared": (2, 4),
    "exec_alignment": (9, 14),
    "plan_agreed": (3, 6),
    "trial_completed": (14, 18),
    "technical_validation": (21, 26),
    "security_check": (12, 17),
    "security_review": (27, 35),
    "pilot_started": (6, 9),
    "pilot_completed": (30, 38),
    "business_case_ready": (7, 10),
    "vendor_selected": (7, 11),
    "implementation_plan_agreed": (12, 16),
    "proposal_received": (4, 6),
    "proposal_approved": (5, 8),
    "business_case_approved": (12, 18),
    "contract_docs_shared": (2, 4),
    "terms_accepted": (7, 10),
    "legal_redlines_received": (12, 17),
    "legal_redlines_agreed": (12, 17),
    "legal_terms_agreed": (12, 17),
    "commercial_terms_agreed": (10, 14),
    "vendor_setup": (5, 8),
    "vendor_onboarding": (9, 13),
    "contract_signed": (3, 5),
}
DEFAULT_DURATION = (7.0, 10.0)

# When a step is about to miss its due date (two days out or later), the chance its owner
# types a new, later date in the Due date cell rather than letting it run late.
PUSH_CHANCE: dict[str, float] = {
    "security_review": 0.9,
    "security_check": 0.7,
    "legal_redlines_received": 0.6,
    "legal_redlines_agreed": 0.6,
    "legal_terms_agreed": 0.6,
    "vendor_onboarding": 0.6,
}
DEFAULT_PUSH_CHANCE = 0.45
MAX_PUSHES = 3  # per step
PUSH_EVERY_DAYS = 7  # at most one push of a step per week


@dataclass(frozen=True)
class AddedKind:
    """A step buyers add of their own, with the wordings they use for it."""

    wordings: tuple[str, ...]
    chance: dict[str, float]  # template -> share of deals where the buyer adds it
    anchors: tuple[str, ...]  # added beside the first of these template steps in the plan
    duration: tuple[float, float]  # (median, p80) days


ADDED_STEPS: dict[str, AddedKind] = {
    "reference_call": AddedKind(
        (
            "Reference call with a customer",
            "Customer reference call",
            "Talk to a reference customer in our industry",
        ),
        {"enterprise": 0.40, "mid_market": 0.15, "smb": 0.0},
        ("technical_validation", "trial_completed"),
        (8, 12),
    ),
    "security_questionnaire": AddedKind(
        (
            "InfoSec questionnaire",
            "Security questionnaire (SIG Lite)",
            "Vendor security questionnaire",
            "CAIQ questionnaire for InfoSec",
        ),
        {"enterprise": 0.35, "mid_market": 0.30, "smb": 0.15},
        ("security_review", "security_check"),
        (12, 18),
    ),
    "dpa_review": AddedKind(
        ("DPA review", "Data processing agreement review", "Privacy team reviews the DPA"),
        {"enterprise": 0.30, "mid_market": 0.20, "smb": 0.05},
        ("legal_redlines_received", "legal_redlines_agreed", "terms_accepted"),
        (9, 14),
    ),
    "procurement_onboarding": AddedKind(
        (
            "Procurement vendor onboarding",
            "Supplier onboarding in the procurement portal",
            "New vendor form and bank details",
        ),
        {"enterprise": 0.15, "mid_market": 0.25, "smb": 0.30},
        ("vendor_onboarding", "vendor_setup"),
        (6, 10),
    ),
}

# Deal size -> template, with the share of deals of each size and the value range.
MIX: tuple[tuple[str, float, tuple[int, int]], ...] = (
    ("smb", 0.40, (8_000, 24_000)),
    ("mid_market", 0.35, (25_000, 100_000)),
    ("enterprise", 0.25, (100_000, 700_000)),
)

# How a deal ends. quiet_lost: the buyer stops editing for good and the rep marks it lost
# after LOST_AFTER_QUIET_DAYS; quiet_back: the buyer goes quiet for QUIET_BACK_DAYS and then
# carries on; competitor: the buyer tells the rep they chose another vendor (the rep marks
# it lost that day, the plan never went quiet); on_track: nothing of the kind.
FATES: dict[str, float] = {"quiet_lost": 0.30, "quiet_back": 0.14, "competitor": 0.10}
QUIET_STARTS_AT = (0.1, 0.4)  # share of the template's span after creation (deals sign early)
QUIET_BACK_DAYS = (22, 40)
LOST_AFTER_QUIET_DAYS = (35, 56)
COMPETITOR_AT = (0.2, 0.5)  # share of the template's span after creation
IN_PROGRESS_CHANCE = 0.6  # a step that can start is marked In progress in that save
TOUCH_EVERY_DAYS = (8, 12)  # an active buyer edits at least this often (a note, a status)

PLANTED: dict[str, Any] = {
    "durations": DURATIONS,
    "push_chance": PUSH_CHANCE,
    "added_steps": {k: dict(v.chance) for k, v in ADDED_STEPS.items()},
    "mix": {name: share for name, share, _ in MIX},
    "fates": FATES,
    # Of the deals whose buyer went quiet for 3+ weeks, the share lost; of the others.
    "lost_if_stale": FATES["quiet_lost"] / (FATES["quiet_lost"] + FATES["quiet_back"]),
    "lost_if_not_stale": FATES["competitor"] / (1 - FATES["quiet_lost"] - FATES["quiet_back"]),
    # A late security review delays the close: the signature waits on vendor onboarding,
    # which waits on the security review (the templates' own depends_on).
    "security_review_delays_close": True,
}

# --- made-up names (example.com only) ------------------------------------------------------

COMPANY_FIRST = (
    "Alder", "Birch", "Cobalt", "Driftwood", "Ember", "Fernhill", "Granite", "Harbor",
    "Ironleaf", "Juniper", "Kestrel", "Larch", "Maple", "Northgate", "Oakridge", "Pinecrest",
    "Quarry", "Redwood", "Silverbrook", "Thistle", "Upland", "Vale", "Willow", "Yarrow",
)  # fmt: skip
COMPANY_SECOND = (
    "Logistics", "Foods", "Health", "Manufacturing", "Energy", "Retail", "Insurance",
    "Software", "Freight", "Pharma", "Media", "Capital",
)  # fmt: skip
FIRST_NAMES = (
    "Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Kira",
    "Liam", "Mei", "Nora", "Omar", "Paula", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Victor",
)  # fmt: skip
LAST_NAMES = (
    "Adler", "Baptiste", "Castillo", "Dubois", "Eriksen", "Fontaine", "Gupta", "Haddad",
    "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okoro", "Petrova",
)  # fmt: skip
REPS = (
    ("Alex Moreno", "alex@seller.example.com", "East"),
    ("Sam Rivera", "sam@seller.example.com", "East"),
    ("Jo Park", "jo@seller.example.com", "West"),
    ("Riley Chen", "riley@seller.example.com", "West"),
)
DEAL_NAMES = (
    "Analytics rollout", "Planning platform", "Reporting modernisation", "Team plan",
    "Forecasting pilot", "Operations hub", "Customer portal", "Finance close automation",
)  # fmt: skip
OUTCOMES = (
    "Cut month-end reporting from 5 days to 1",
    "One view of every open order across the regions",
    "Plan demand weekly instead of quarterly",
    "Stop losing renewals in email threads",
)
REASONS = (
    "the new fiscal year budget is set then",
    "the board reviews the programme that month",
    "their busy season starts right after",
    "the current contract ends then",
)
NOTES = (
    "Chasing internally",
    "Meeting booked for next week",
    "Waiting on the owner's calendar",
    "Discussed on the weekly call",
    "In review, no blockers so far",
)

HISTORY_END = date(2026, 1, 5)  # the simulated year's end when no --today is given
WEEKLY = 7  # every open MAP is synced at least this often
MAX_DAYS = 2 * 365  # a deal still open this long after the start is marked lost


def _lognormal(rng: random.Random, median: float, p80: float) -> int:
    sigma = math.log(p80 / median) / 0.8416  # z of the 80th percentile
    return max(1, round(rng.lognormvariate(math.log(median), sigma)))


def _weekday(day: date) -> date:
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


# --- one simulated deal --------------------------------------------------------------------


@dataclass
class SimStep:
    key: str  # template key, or "added:<kind>"
    phase: str
    side: Side
    deps: list[str]  # sim keys
    text: str
    due: date | None
    sid: str | None = None  # the row id in the workbook (an added row's after its sync)
    duration: tuple[float, float] = DEFAULT_DURATION
    ready_on: date | None = None
    finish_on: date | None = None
    done_on: date | None = None
    pushes: int = 0
    last_push: date | None = None
    decided: date | None = None  # the due date whose push was decided
    add_on: date | None = None  # an added step: the day the buyer types it in
    added: bool = False  # in the workbook already


@dataclass
class SimDeal:
    index: int
    template: Template
    company: str
    deal: str
    buyer: str
    contacts: tuple[str, ...]
    rep: tuple[str, str, str]
    value: int
    created_on: date
    target_close: date
    fate: str
    quiet_from: date | None
    quiet_until: date | None  # None with quiet_from: quiet for good
    lost_after: int
    competitor_on: date | None
    touch_every: int
    map_id: str = ""
    sheet: Path = Path()
    steps: dict[str, SimStep] = field(default_factory=dict)
    last_buyer_edit: date | None = None
    last_sync: date | None = None
    outcome: str = ""  # won, lost
    closed_on: date | None = None

    def quiet(self, day: date) -> bool:
        if self.quiet_from is None or day < self.quiet_from:
            return False
        return self.quiet_until is None or day < self.quiet_until


@dataclass
class HistorySummary:
    deals: int
    won: int
    lost: int
    steps_done: int
    pushes: int
    added_steps: int
    syncs: int
    seconds: float
    first_day: date
    last_day: date
    outcomes: dict[str, str]  # "company — deal" -> won/lost


def _draw_deal(
    rng: random.Random,
    index: int,
    start: date,
    app: App,
    used: set[str],
    only: str | None = None,
) -> SimDeal:
    u, acc = rng.random(), 0.0
    name, low_high = MIX[-1][0], MIX[-1][2]
    for template_name, share, values in MIX:
        acc += share
        if u < acc:
            name, low_high = template_name, values
            break
    if only is not None:  # every deal from one template (its own size band when it has one)
        name = only
        low_high = next((v for n, _, v in MIX if n == only), low_high)
    template = app.templates[name]
    while True:
        company = f"{rng.choice(COMPANY_FIRST)} {rng.choice(COMPANY_SECOND)}"
        if company not in used:
            used.add(company)
            break
    domain = company.replace(" ", "").lower() + ".example.com"
    people: list[str] = []
    for _ in range(1 if name == "smb" else 2 if name == "mid_market" else 3):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if all(not p.startswith(first) for p in people):
            people.append(f"{first} {last} <{first.lower()}@{domain}>")
    span = template.span_days
    latest = max(0, 365 - round(1.6 * span))
    created = start + timedelta(days=rng.randint(0, latest))
    created = _weekday(created)
    target = _weekday(created + timedelta(days=span + rng.randint(0, 14)))
    u = rng.random()
    fate = "on_track"
    acc = 0.0
    for f, p in FATES.items():
        acc += p
        if u < acc:
            fate = f
            break
    quiet_from = quiet_until = competitor_on = None
    if fate in ("quiet_lost", "quiet_back"):
        quiet_from = created + timedelta(days=round(span * rng.uniform(*QUIET_STARTS_AT)))
        if fate == "quiet_back":
            quiet_until = quiet_from + timedelta(days=rng.randint(*QUIET_BACK_DAYS))
    if fate == "competitor":
        competitor_on = created + timedelta(days=round(span * rng.uniform(*COMPETITOR_AT)))
    return SimDeal(
        index=index,
        template=template,
        company=company,
        deal=rng.choice(DEAL_NAMES),
        buyer=people[0].split(" <")[0],
        contacts=tuple(people),
        rep=rng.choice(REPS),
        value=round(rng.randint(*low_high), -3),
        created_on=created,
        target_close=target,
        fate=fate,
        quiet_from=quiet_from,
        quiet_until=quiet_until,
        lost_after=rng.randint(*LOST_AFTER_QUIET_DAYS),
        competitor_on=competitor_on,
        touch_every=rng.randint(*TOUCH_EVERY_DAYS),
    )


def _create(app: App, d: SimDeal, rng: random.Random, seed: int) -> None:
    day = d.created_on
    created = app.create(
        {
            "deal": d.deal,
            "buyer_company": d.company,
            "buyer_contacts": list(d.contacts),
            "target_close": d.target_close,
            "close_reason": rng.choice(REASONS),
            "desired_outcome": rng.choice(OUTCOMES),
            "template": d.template.name,
            "deal_value": float(d.value),
            "rep_name": d.rep[0],
            "rep_email": d.rep[1],
            "team": d.rep[2],
            "idempotency_key": f"history-{seed}-{d.index}",
        },
        day,
        datetime.combine(day, clock(9)),
    )
    d.map_id = created.map_id
    row = app.registry.get(d.map_id)
    share_map(row, workspace=app.workspace, registry=app.registry, today=day)
    d.sheet = app.local.path(row.sheet_ref)
    d.last_sync = day  # create runs the first sync
    by_key = {m.template_key: m for m in app.registry.memory(d.map_id).values() if m.template_key}
    pre = [t for t in d.template.steps if t.offset_days <= 0]  # the deal, not the onboarding
    keys = {t.key for t in pre}
    for t in pre:
        mem = by_key[t.key]
        d.steps[t.key] = SimStep(
            key=t.key,
            phase=t.phase,
            side=t.side,
            deps=[k for k in t.depends_on if k in keys],
            text=t.step,
            due=mem.current_due,
            sid=mem.step_id,
            duration=DURATIONS.get(t.key, DEFAULT_DURATION),
        )
    signature = d.template.signature_step.key
    for kind_name, kind in ADDED_STEPS.items():
        anchor = next((a for a in kind.anchors if a in d.steps), None)
        if anchor is None or rng.random() >= kind.chance.get(d.template.name, 0.0):
            continue
        key = f"added:{kind_name}"
        d.steps[key] = SimStep(
            key=key,
            phase=d.steps[anchor].phase,
            side=Side.BUYER,
            deps=list(d.steps[anchor].deps),
            text=rng.choice(kind.wordings),
            due=d.steps[anchor].due,
            duration=kind.duration,
        )
        d.steps[key].add_on = None  # set when its anchor can start
        d.steps[signature].deps.append(key)  # the buyer will not sign before it is done


@dataclass
class DayEdits:
    buyer: list[Callable[[BuyerEdit], None]] = field(default_factory=list)
    seller: list[Callable[[BuyerEdit], None]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def _day(d: SimDeal, day: date, rng: random.Random, counts: dict[str, int]) -> DayEdits:
    """What the buyer and the rep do on this day."""
    out = DayEdits()
    quiet = d.quiet(day)
    if d.quiet_until == day:  # back from a quiet spell: what was under way took that long
        length = (d.quiet_until - d.quiet_from).days if d.quiet_from else 0
        for s in d.steps.values():
            if s.finish_on and s.done_on is None and s.side is not Side.SELLER:
                s.finish_on = max(s.finish_on, day) + timedelta(days=length // 2)
    started = _ready(d, day, rng)
    for s in d.steps.values():
        buyer_side = s.side is not Side.SELLER
        if s.done_on is not None or s.ready_on is None:
            continue
        if buyer_side and quiet:
            continue
        if s.key.startswith("added:") and not s.added and s.add_on and day >= s.add_on:
            s.added = True
            s.due = s.due if s.due and s.due > day else _weekday(day + timedelta(days=14))
            row = {
                "phase": s.phase,
                "step": s.text,
                "buyer_owner": d.buyer,
                "due": s.due,
                "depends_on": ", ".join(sid for k in s.deps if (sid := d.steps[k].sid)),
                "status": "In progress",
            }
            out.buyer.append(_add(row))
            out.lines.append(f'added a step "{s.text}"')
            counts["added"] += 1
            continue
        if s.sid is None:
            continue  # added today or not yet given its id by a sync
        sid = s.sid
        assert s.finish_on is not None
        if s.finish_on <= day:
            s.done_on = day
            typed = rng.random() < 0.5

            (out.buyer if buyer_side else out.seller).append(
                _set(sid, "status", "Done", done_on=day if typed else None)
            )
            counts["done"] += 1
            continue
        if not buyer_side:
            continue
        if (
            s.due is not None
            and s.finish_on > s.due
            # in a save made anyway in the last days before the due date, or on the day
            and ((s.due - day).days <= 0 or (out.buyer and (s.due - day).days <= 3))
            and s.pushes < MAX_PUSHES
            and (s.last_push is None or (day - s.last_push).days >= PUSH_EVERY_DAYS)
            and s.decided != s.due  # one decision per due date: push it, or let it run late
        ):
            s.decided = s.due
            if rng.random() >= PUSH_CHANCE.get(s.key, DEFAULT_PUSH_CHANCE):
                continue
            new = _weekday(max(s.finish_on + timedelta(days=rng.randint(0, 5)), day))
            if new > s.due:
                old, s.due, s.pushes, s.last_push = s.due, new, s.pushes + 1, day
                out.buyer.append(_set(sid, "due", new))
                out.lines.append(f"pushed {sid} ({s.key}) from {fmt(old)} to {fmt(new)}")
                counts["pushes"] += 1
    # What can start now that today's steps are done; marked in progress in the same save
    # (a buyer opening the sheet for nothing but that is rarer than one who does both).
    started += _ready(d, day, rng)
    if not quiet and (out.buyer or out.seller):
        for s in started:
            if s.sid and s.side is not Side.SELLER and rng.random() < IN_PROGRESS_CHANCE:
                out.buyer.append(_set(s.sid, "status", "In progress"))
    since = (day - (d.last_buyer_edit or d.created_on)).days
    if not quiet and not out.buyer and since >= d.touch_every:
        open_ids = [
            s.sid
            for s in d.steps.values()
            if s.sid and s.ready_on and s.done_on is None and s.side is not Side.SELLER
        ]
        if open_ids:
            out.buyer.append(_set(rng.choice(open_ids), "notes", rng.choice(NOTES)))
    return out


def _set(
    sid: str, key: str, value: Any, done_on: date | None = None
) -> Callable[[BuyerEdit], None]:
    def edit(e: BuyerEdit) -> None:
        e.set(sid, key, value)
        if done_on is not None:
            e.set(sid, "done_on", done_on)

    return edit


def _add(row: dict[str, Any]) -> Callable[[BuyerEdit], None]:
    def edit(e: BuyerEdit) -> None:
        e.add_row(row)

    return edit


def _on(day: date) -> Callable[[object], date]:
    return lambda _row: day


def _ready(d: SimDeal, day: date, rng: random.Random) -> list[SimStep]:
    """Steps whose prerequisites are all done (by today): they start today, and the day
    each will be done is drawn."""
    started = []
    for s in d.steps.values():
        if s.ready_on is None and all(d.steps[k].done_on is not None for k in s.deps):
            s.ready_on = day
            s.finish_on = day + timedelta(days=_lognormal(rng, *s.duration))
            if s.key.startswith("added:"):
                s.add_on = day + timedelta(days=rng.randint(0, 4))
            started.append(s)
    return started


def run_history(
    app: App,
    *,
    deals: int,
    seed: int,
    echo: Callable[[str], None],
    start: date,
    template: str | None = None,
) -> HistorySummary:
    """Create `deals` MAPs over the year from `start` and live each one to its close."""
    began = time.perf_counter()  # the timing line only
    rng = random.Random(seed)
    used: set[str] = set()
    sims = sorted(
        (_draw_deal(rng, i, start, app, used, template) for i in range(deals)),
        key=lambda d: (d.created_on, d.index),
    )
    echo(
        f"MAP history demo in {app.settings.workspace.resolve()}: {deals} deals from "
        f"{fmt(start)}, seed {seed}"
    )
    counts = {"done": 0, "pushes": 0, "added": 0, "syncs": 0}
    day = start
    last = start
    while any(not d.outcome for d in sims):
        if (day - start).days > MAX_DAYS:
            break
        for d in sims:
            if d.created_on == day:
                _create(app, d, rng, seed)
                echo(
                    f"  {fmt(day)} created {d.map_id} {d.company} — {d.deal} "
                    f"({d.template.name}, {d.value:,}, close {fmt(d.target_close)})"
                )
        to_sync: list[SimDeal] = []
        closing: list[tuple[SimDeal, str, str]] = []
        for d in sims:
            if not d.map_id or d.outcome or d.created_on == day:
                continue
            edits = _day(d, day, rng, counts)
            if edits.buyer or edits.seller:
                who = d.buyer if edits.buyer else d.rep[0]
                e = BuyerEdit(d.sheet, who, day)
                for edit in (*edits.seller, *edits.buyer):
                    edit(e)
                e.save()
                if edits.buyer:
                    d.last_buyer_edit = day
            signature = d.steps[d.template.signature_step.key]
            if signature.done_on == day:
                closing.append((d, "won", "signed"))
            elif d.fate == "quiet_lost" and d.quiet_from and d.quiet_from <= day:
                since = (day - (d.last_buyer_edit or d.created_on)).days
                if since >= d.lost_after:
                    closing.append((d, "lost", f"no word from the buyer for {since} days"))
            elif d.competitor_on == day:
                closing.append((d, "lost", "the buyer chose another vendor"))
            closes = bool(closing) and closing[-1][0] is d
            weekly = d.last_sync is not None and (day - d.last_sync).days >= WEEKLY
            if edits.buyer or edits.seller or closes or weekly:
                to_sync.append(d)
        if to_sync:
            sync_all(
                workspace=app.workspace,
                registry=app.registry,
                today_of=_on(day),
                only=[d.map_id for d in to_sync],
            )
            counts["syncs"] += len(to_sync)
            for d in to_sync:
                d.last_sync = day
                _ids_of_added(app, d)
        for d, outcome, note in closing:
            close_map(
                app.registry.get(d.map_id),
                outcome,
                workspace=app.workspace,
                registry=app.registry,
                today=day,
                note=note,
                seller_domains=app.settings.seller_domains,
            )
            d.outcome, d.closed_on, last = outcome, day, day
            echo(
                f"  {fmt(day)} {outcome:<4} {d.map_id} {d.company} — {d.deal}: {note} "
                f"({(day - d.created_on).days} days)"
            )
        day += timedelta(days=1)
    for d in sims:  # a deal the simulation could not finish
        if not d.outcome and d.map_id:
            close_map(
                app.registry.get(d.map_id),
                "lost",
                workspace=app.workspace,
                registry=app.registry,
                today=day,
                note="no decision",
                seller_domains=app.settings.seller_domains,
            )
            d.outcome, d.closed_on, last = "lost", day, day
    write_rollup(app.workspace, app.registry, last)
    summary = HistorySummary(
        deals=len(sims),
        won=sum(1 for d in sims if d.outcome == "won"),
        lost=sum(1 for d in sims if d.outcome == "lost"),
        steps_done=counts["done"],
        pushes=counts["pushes"],
        added_steps=counts["added"],
        syncs=counts["syncs"],
        seconds=time.perf_counter() - began,
        first_day=start,
        last_day=last,
        outcomes={f"{d.company} — {d.deal}": d.outcome for d in sims},
    )
    echo("")
    echo(
        f"{summary.deals} deals closed {fmt(start)} to {fmt(last)}: {summary.won} won, "
        f"{summary.lost} lost; {summary.steps_done} steps done, {summary.pushes} date "
        f"pushes, {summary.added_steps} buyer-added steps, {summary.syncs} syncs; "
        f"{summary.seconds:.1f} s"
    )
    echo(f"Registry: {app.settings.registry()}")
    return summary


def _ids_of_added(app: App, d: SimDeal) -> None:
    """The ids the sync gave the rows the buyer added (matched by their text)."""
    waiting = [s for s in d.steps.values() if s.added and s.sid is None]
    if not waiting:
        return
    by_text = {
        m.text: m.step_id for m in app.registry.memory(d.map_id).values() if not m.template_key
    }
    for s in waiting:
        s.sid = by_text.get(s.text)
