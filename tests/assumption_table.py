"""What a fake assumes about a vendor without a page to cite, and the README table of it:
one shape for the Google, Salesforce and HubSpot fakes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Assumption:
    rule: str  # short name
    assumes: str  # what the fake does
    why: str  # why it is not confirmed


def table(assumptions: Iterable[Assumption]) -> str:
    """The Markdown table the README carries (each fake's `markdown()`)."""
    rows = ["| Rule | What the fake assumes | Why it is not confirmed |", "|---|---|---|"]
    rows += [f"| {a.rule} | {a.assumes} | {a.why} |" for a in assumptions]
    return "\n".join(rows)
