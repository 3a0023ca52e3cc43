"""Predecessors as a project tool writes them (Smartsheet, MS Project): row numbers counting
the sheet's data rows from 1, parent rows included, each with an optional dependency type
and lag: "3", "3FS", "4FS, 6", "12FS +3d", "5SS-2d". The MAP keeps that a step depends on
another, not the type or the lag: those are said in the reading."""

from __future__ import annotations

import re

_ONE = re.compile(
    r"^\s*(\d{1,5})\s*(?:(FS|SS|FF|SF)\s*(?:([+-])\s*(\d+(?:\.\d+)?)\s*"
    r"(d|days?|w|wks?|weeks?|h|hrs?|hours?|m|mins?|e?d|e?w)?)?)?\s*$",
    re.I,
)


_HEADER = re.compile(r"\bpredecessors?\b|\bvorgänger\b|\bprédécesseurs?\b|\bpredecesoras?\b", re.I)


def _is_predecessors(header: str) -> bool:
    """A "Predecessors" column: its numbers are row numbers, not step ids."""
    return bool(_HEADER.search(header))


def _predecessor_rows(text: str) -> list[tuple[int, str]] | None:
    """'4FS, 6' -> [(4, 'FS'), (6, '')]; None unless every part is a row reference."""
    parts = [p for p in re.split(r"\s*[,;]\s*", text.strip()) if p]
    refs: list[tuple[int, str]] = []
    for part in parts:
        m = _ONE.match(part)
        if not m:
            return None
        kind = (m[2] or "").upper()
        lag = f" {m[3]}{m[4]}{(m[5] or 'd').lower()}" if m[3] else ""
        refs.append((int(m[1]), kind + lag))
    return refs or None
