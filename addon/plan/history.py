"""What the registry remembers of each plan's life, as values: the input of the insights
(addon/plan/insights.py) and of templates that learn (`mapctl templates suggest`).

Pure: built by addon/registry/history.py from the registry's rows; nothing here reads a
file, a database or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class DaySnapshot:
    """A plan as one day's sync saw it (one per MAP per day it was synced). `replayed`:
    rebuilt afterwards from the stored date changes and done dates, for a MAP synced
    before snapshots were kept (its `blocker` is unknown then)."""

    day: date
    projected_close: date | None
    target_close: date
    health: str  # on_track, at_risk, off_track, unknown
    score: int | None
    buyer_done: int
    buyer_total: int
    stale: bool
    blocker: str = ""  # the current blocker's step id, "" when none (or not known)
    buyer_edited: bool = False  # the buyer had edited the plan by this day
    replayed: bool = False

    @property
    def completion(self) -> float | None:
        """Share of buyer steps done, 0..1."""
        return self.buyer_done / self.buyer_total if self.buyer_total else None


@dataclass(frozen=True)
class StepHistory:
    """One step of one plan, as the registry saw it over the plan's life."""

    step_id: str
    text: str
    side: str  # buyer, seller, both ("" when unknown)
    template_key: str | None  # the template step it came from; None: added by someone
    first_due: date | None  # the first agreed date (baseline)
    last_due: date | None  # the date when the plan closed (or now)
    pushes: int  # times its date was moved later
    done_on: date | None  # first seen done; None: still open
    depends_on: tuple[str, ...] = ()  # step ids it waits on
    first_seen: date | None = None
    signature: bool = False


@dataclass(frozen=True)
class PlanHistory:
    """One plan's life: who and what it was, how its steps went, how it ended."""

    map_id: str
    deal: str
    template: str
    team: str
    rep: str  # the rep's email
    deal_value: float | None
    currency: str
    created_on: date
    outcome: str  # won, lost, open (archived plans are left out by the builder)
    closed_on: date | None  # when it was marked won or lost
    signed_on: date | None  # the signature step's done date (won deals), else None
    steps: tuple[StepHistory, ...]
    snapshots: tuple[DaySnapshot, ...] = ()  # in day order
    target_close_first: date | None = None
    buyer_ever_edited: bool = False
    test: bool = False  # marked as a test deal: left out
    crm_opened_on: date | None = None  # the linked deal's creation in the CRM, when known


@dataclass(frozen=True)
class CrmDealHistory:
    """A closed CRM deal, with or without a MAP: the "before vs after MAPs" comparison."""

    deal_id: str
    opened_on: date | None
    closed_on: date | None
    won: bool
    amount: float | None
    has_map: bool


@dataclass(frozen=True)
class History:
    plans: tuple[PlanHistory, ...]
    crm_deals: tuple[CrmDealHistory, ...] = field(default_factory=tuple)
