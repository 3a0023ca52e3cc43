"""Finding the tables: rows whose cells read as Plan, Stakeholders, Risks, Decision criteria
or Resources headers (side by side or stacked), where each table ends, and the cells outside
every table (which table is the plan is detect.py's). Reads no rows (rows.py,
stakeholders.py, links.py) and no cells outside (preamble.py)."""

from __future__ import annotations

import re

from addon.plan.adopt.columns import (
    _criteria_field,
    _people_field,
    _plan_field,
    _resolve_columns,
    _resource_field,
    _risk_field,
)
from addon.plan.adopt.companies import _Companies
from addon.plan.adopt.layout import _HEADER_MAX
from addon.plan.adopt.model import Source, _Table, _text
from addon.plan.grid import is_blank
from addon.plan.models import Cell, Grid


def _outside(source: Source, tables: list[_Table]) -> dict[str, list[tuple[int, int]]]:
    """Per tab, the non-blank cells that are in no table: titles, preambles, paragraphs."""
    inside = {
        (t.tab, r, c)
        for t in tables
        for r in range(t.row, t.end)
        for c in range(t.first, t.last + 1)
    }
    return {
        tab: [
            (r, c)
            for r, row in enumerate(grid)
            for c, value in enumerate(row)
            if not is_blank(value) and (tab, r, c) not in inside
        ]
        for tab, grid in source.grids.items()
    }


def _runs(row: list[Cell]) -> list[tuple[int, int]]:
    """Spans of adjacent non-blank cells: a header row may hold two tables side by side."""
    runs: list[tuple[int, int]] = []
    start = None
    for c, value in enumerate([*row, None]):
        if not is_blank(value) and start is None:
            start = c
        elif is_blank(value) and start is not None:
            runs.append((start, c - 1))
            start = None
    return runs


_DATED = re.compile(r"\bdue\b|deadline|\bdate\b|\bwhen\b")


def _header_candidates(tab: str, grid: Grid, companies: _Companies) -> list[_Table]:
    found: list[_Table] = []
    for r, row in enumerate(grid):
        for first, last in _runs(row):
            texts = {c: _text(row[c]) for c in range(first, last + 1)}
            if any(len(t) > _HEADER_MAX or "\n\n" in t for t in texts.values()):
                continue
            if any(not isinstance(row[c], str) for c in texts):
                continue
            resources = _resources_header(tab, r, texts, first, last, companies)
            if resources is not None:
                found.append(resources)
                continue
            for kind, classify in (
                ("plan", lambda t: _plan_field(t, companies)),
                ("people", _people_field),
                ("risks", _risk_field),
                ("criteria", _criteria_field),
            ):
                if kind == "criteria" and any(_DATED.search(t.lower()) for t in texts.values()):
                    continue  # a due date: a list of tasks ("Requirement | Due"), no scorecard
                columns = {c: classify(t) for c, t in texts.items()}
                keys = [k for k in columns.values() if k]
                if _is_header(kind, keys, len(texts)):
                    found.append(_Table(kind, tab, r, columns, texts, first, last))
                    break
    return found


def _resources_header(
    tab: str, r: int, texts: dict[int, str], first: int, last: int, companies: _Companies
) -> _Table | None:
    """A list of documents and their links ("Resource | Link | Owner | Shared on"): a title
    column and a link column, and more of its headers read as the Resources tab's than as
    the plan's (a plan's own "Link" column beside its steps stays the plan's)."""
    columns = {c: _resource_field(t) for c, t in texts.items()}
    keys = [k for k in columns.values() if k]
    if not {"title", "link"} <= set(keys) or not _is_header("resources", keys, len(texts)):
        return None
    plan = [k for t in texts.values() if (k := _plan_field(t, companies))]
    if _is_header("plan", plan, len(texts)) and len(set(plan)) > len(set(keys)):
        return None
    return _Table("resources", tab, r, columns, texts, first, last)


def _is_header(kind: str, keys: list[str], width: int) -> bool:
    distinct = set(keys)
    if len(distinct) < len(keys) - 1:  # the same meaning three times: a data row
        return False
    if 2 * len(keys) < width:  # most cells of a header say what the column holds
        return False
    if kind == "plan":
        has_step = "step" in distinct or ("phase" in distinct and len(distinct) >= 3)
        others = distinct & {"owner", "buyer_owner", "seller_owner", "due", "status", "done_on"}
        return has_step and len(others) >= 1 and len(distinct) >= 3
    if kind == "people":
        return "name" in distinct and len(distinct & {"email", "role", "side", "title"}) >= 1
    if kind == "risks":
        return "risk" in distinct and len(distinct) >= 2
    if kind == "resources":
        return {"title", "link"} <= distinct
    return "criterion" in distinct and len(distinct) >= 2


def _find_tables(source: Source, companies: _Companies) -> list[_Table]:
    tables: list[_Table] = []
    for tab, grid in source.grids.items():
        candidates = _header_candidates(tab, grid, companies)
        # adjacent runs of one kind on one row are one header with a blank header cell
        merged: list[_Table] = []
        for t in candidates:
            prev = merged[-1] if merged else None
            if (
                prev
                and prev.kind == t.kind
                and prev.row == t.row
                and t.first - prev.last == 2
                and not set(prev.fields) & set(t.fields)
            ):
                prev.columns.update(t.columns)
                prev.headers.update(t.headers)
                prev.last = t.last
                continue
            merged.append(t)
        tables.extend(merged)
    for t in tables:
        below = [
            o.row
            for o in tables
            if o.tab == t.tab and o.row > t.row and o.first <= t.last and o.last >= t.first
        ]
        t.end = min(below, default=len(source.grids[t.tab]))
        _resolve_columns(t, source.grids[t.tab])
    return tables
