"""One CRM interface, two implementations (Salesforce, HubSpot): what the sync, the add-on
and `mapctl crm-*` ask of a CRM, in the product's own terms.

An adapter turns the core's values (addon/plan/crm.py) into the vendor's requests through
the vendor's own client library, and turns every refusal into one clear line per deal:
bad data on one deal never stops the others, and never stops a MAP's own sync.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from addon.plan.crm import Deal, Signal, Stage
from addon.plan.history import CrmDealHistory


class CrmError(Exception):
    """The CRM could not be used at all (credentials, URL, a refused setup): says what to fix."""


class LimitReached(CrmError):
    """The CRM's allowance for today is spent (or this service's share of it): nothing more
    is sent this sync; what was not written is written at a later one."""


@dataclass
class Read:
    """Deals read by id: `found` by the id asked for (a merged deal under the old id, its
    new id in `merged`), and a line for each id that could not be read."""

    found: dict[str, Deal] = field(default_factory=dict)
    merged: dict[str, str] = field(default_factory=dict)  # asked id -> surviving id
    missing: dict[str, str] = field(default_factory=dict)  # asked id -> why


@dataclass
class Results:
    """What a batch of writes did, per deal id: done, failed (with one clear line), or
    deferred (not tried: the CRM's allowance is spent; tried again next sync). `skipped`
    lists, per deal, fields that were not written (removed by an admin, not editable)."""

    done: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    deferred: set[str] = field(default_factory=set)
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)  # deal -> key -> why
    stopped: str = ""  # why the CRM stopped taking calls in this sync, if it did


@dataclass(frozen=True)
class Gate:
    """The field guide's gate: a deal worth at least `min_amount` cannot enter `stage` (or
    any later one) without a linked MAP."""

    stage: str
    min_amount: float


class Calls:
    """Calls made, by kind (read, write, stage, note, setup, token), for the benchmark and
    the sync's summary. Thread-safe: the web service shares one adapter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._counts[kind] += n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class Crm(Protocol):
    """What the product asks of a CRM. Every method is safe to call from many threads."""

    name: str  # salesforce or hubspot
    label: str  # Salesforce or HubSpot, for people
    calls: Calls

    def deal_url(self, deal_id: str) -> str: ...

    def deals(self, ids: Sequence[str]) -> Read:
        """The linked deals, current (a batch per call: 200 on Salesforce, 100 on HubSpot)."""
        ...

    def deals_for(
        self, rep_email: str, contacts: Sequence[str], domains: Sequence[str]
    ) -> list[Deal]:
        """Open deals that match the contacts' emails or the companies' domains, limited to
        what the rep may see: their own and their team's."""
        ...

    def open_deals(self, min_amount: float) -> list[Deal]:
        """Open deals worth at least `min_amount`, with their "MAP exists" field (gaps)."""
        ...

    def signal_values(self, deal_id: str) -> dict[str, object]:
        """The signals as the deal holds them now, by signal key, as the CRM spells them
        (the live smoke test reads back what was written)."""
        ...

    def closed_deals(self, since: date) -> list[CrmDealHistory]:
        """Deals closed (won or lost) since `since`, with or without a MAP: how long they
        took from opening in the CRM, and whether they were won (the insights' before vs
        after MAPs)."""
        ...

    def stages(self) -> list[Stage]:
        """Every pipeline's stages, in the pipeline's own order."""
        ...

    def write(self, updates: Mapping[str, Mapping[str, Signal]]) -> Results:
        """Write changed signals, deal id -> {signal key: value} (None clears), batched."""
        ...

    def move_stages(self, moves: Mapping[str, Stage]) -> Results:
        """Move deals to stages: requests of their own, each deal failing alone."""
        ...

    def add_notes(self, notes: Mapping[str, str], on: date) -> Results:
        """Add a note (a completed Task on Salesforce) to each deal, dated `on`: the first
        line is its title, the rest its text."""
        ...

    def setup(
        self,
        *,
        gate: Gate | None = None,
        layouts: Sequence[str] = (),
        reps: Sequence[str] = (),
    ) -> list[str]:
        """Make what the signals need (idempotent); one line for each thing made or found."""
        ...
