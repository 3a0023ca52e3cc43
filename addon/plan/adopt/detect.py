"""Finding the plan by what its cells hold, not only by its header words.

A table is a plan candidate when its rows hold text that reads like steps (multi-word
text, mostly distinct, in one column) and one or more of: a column of dates, a column of
statuses (or checkboxes), a column of people. Headers the vocabulary has never seen
("Next Steps", "Name", "Stakeholders") are placed by what their columns hold. A header row
repeated inside the table (monday.com repeats it per group) is part of the table, and the
group name just above the first header is the first phase.

Candidates are ranked by a score from that evidence; one that falls below the rule (no
step text, nothing beside it, or a column of amounts: a billing or pricing table) is not
taken, and the report says why. The rep's overrides (`--table Plan!A12`, `--column
"Next Steps=step"`) arrive here as values; a wrong one is an `OverrideError` naming what
exists. Pure: grids in, tables and candidates out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from addon.plan import cells as read
from addon.plan.adopt.columns import _plan_field
from addon.plan.adopt.companies import _Companies
from addon.plan.adopt.layout import _HEADER_MAX, _PLAN_TABS, _SKIP_TABS
from addon.plan.adopt.model import Candidate, Source, _at, _Table, _text
from addon.plan.adopt.tables import _runs
from addon.plan.dates import DateKind, read_date
from addon.plan.grid import col_letter, is_blank
from addon.plan.models import Cell, Grid
from sheets_schema.workbook import normalise_header


class OverrideError(ValueError):
    """A --table or --column the file does not have; the message names what it has."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"--{option}: {message}")
        self.option = option
        self.detail = message


FIELDS = (
    "id",
    "phase",
    "step",
    "owner",
    "buyer_owner",
    "seller_owner",
    "due",
    "depends_on",
    "status",
    "done_on",
    "notes",
    "if_it_slips",
    "side",
    "resources",
)

_NONE_FIELDS = ("", "none", "ignore", "skip")

_MIN_STEPS = 3  # fewer rows of step text is a list, not a plan

_SHARE = 0.6  # the share of a column's cells that must read as one kind

_NAME = r"[A-Z][\w'’.\-]*(?:\s+(?:[A-Z][\w'’.\-]*|de|van|von|da|del|la|le|di)){1,3}"
_PERSON = re.compile(rf"^(?:{_NAME}|[\w.+\-]+@[\w\-]+\.[\w.\-]+)(?:\s*[(\[][^()\[\]]+[)\]])?$")
_PARTS = re.compile(r"\s*(?:,|;|\+|&|\n|/|\band\b)\s*")
_MONEY_HEADER = re.compile(
    r"amount|price|cost|total|\barr\b|\bmrr\b|\bacv\b|\btcv\b|fee|invoice|revenue|"
    r"subtotal|discount|\$|€|£",
    re.I,
)
_DONE_HEADER = re.compile(r"complet|\bdone\b|finish|resolved|closed", re.I)
_BOOL_TEXT = frozenset({"true", "false", "yes", "no", "x", "✓", "✔"})


@dataclass
class Evidence:
    """What a candidate table holds, each part named after its column's header."""

    steps: int = 0  # rows of step text
    step_header: str = ""
    step_by_words: bool = False  # its header says so ("Task"), not only its cells
    dates: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    money: list[str] = field(default_factory=list)
    words: int = 0  # headers the vocabulary knows

    def parts(self) -> list[str]:
        out = [f"{self.steps} rows of step text ({self.step_header})" if self.steps else ""]
        for what, cols in (
            ("a date column", self.dates),
            ("a status column", self.statuses),
            ("a people column", self.people),
        ):
            if cols:
                out.append(f"{what} ({', '.join(cols)})")
        return [p for p in out if p]

    def short(self) -> str:
        """Why the table is no plan; "" when it qualifies."""
        if self.steps < (1 if self.step_by_words else _MIN_STEPS):
            if not self.steps:
                return "no column of step text"
            return f"only {self.steps} rows of step text (a plan has {_MIN_STEPS} or more)"
        if not (self.dates or self.statuses or self.people):
            return "step text but no column of dates, statuses or people beside it"
        if self.money:
            return (
                f"a column of amounts ({', '.join(self.money)}): a billing or pricing table, "
                "not a plan"
            )
        return ""


def _values(grid: Grid, t: _Table, c: int) -> list[Cell]:
    return [
        v
        for r in range(t.row + 1, t.end)
        if r not in t.repeats and not is_blank(v := _at(grid, r, c)) and _filled(grid, t, r) >= 2
    ]


def _filled(grid: Grid, t: _Table, r: int) -> int:
    return sum(1 for c in range(t.first, t.last + 1) if not is_blank(_at(grid, r, c)))


def _share(values: list[Cell], test: object) -> float:
    if not values:
        return 0.0
    assert callable(test)
    return sum(1 for v in values if test(v)) / len(values)


def _is_date(value: Cell, today: date) -> bool:
    if isinstance(value, date):
        return True
    if not isinstance(value, str):
        return False
    kind = read_date(value, locale="en_US", anchor=today).kind
    return kind in (DateKind.EXACT, DateKind.RELATIVE)


def _is_status(value: Cell) -> bool:
    if isinstance(value, bool):
        return True
    text = _text(value).strip()
    if text.lower() in _BOOL_TEXT:
        return True
    return read.read_status(value).status is not None and not isinstance(value, int | float)


def _is_person(value: Cell, companies: _Companies) -> bool:
    if not isinstance(value, str):
        return False
    parts = [p for p in _PARTS.split(value.strip()) if p]
    return bool(parts) and all(
        _PERSON.match(p) and companies.side_of_name(p) is None for p in parts
    )


def _is_company(value: Cell, companies: _Companies) -> bool:
    if not isinstance(value, str):
        return False
    parts = [p for p in _PARTS.split(value.strip()) if p]
    return bool(parts) and all(companies.side_of_name(p) is not None for p in parts)


def _is_step_text(value: Cell) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    return len(text.split()) >= 2 and 6 <= len(text) <= 200


def _is_money(values: list[Cell]) -> bool:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return bool(values) and len(numbers) >= _SHARE * len(values)


def content_field(values: list[Cell], today: date, companies: _Companies) -> str | None:
    """What a column holds, from its cells: step, due, status, owner or side; else None."""
    if not values:
        return None
    if _share(values, lambda v: _is_date(v, today)) >= _SHARE:
        return "due"
    if _share(values, _is_status) >= _SHARE:
        return "status"
    if _share(values, lambda v: _is_company(v, companies)) >= _SHARE:
        return "side"
    if _share(values, lambda v: _is_person(v, companies)) >= _SHARE:
        return "owner"
    texts = [_text(v).strip().lower() for v in values]
    if _share(values, _is_step_text) >= _SHARE and len(set(texts)) >= 0.7 * len(texts):
        return "step"
    return None


def place_by_content(t: _Table, grid: Grid, today: date, companies: _Companies) -> None:
    """The plan table's columns with no header meaning, placed by what they hold: only
    into a field no other column has."""
    have = set(t.fields)
    rows = sum(1 for r in range(t.row + 1, t.end) if _filled(grid, t, r) >= 2)
    if "step" in have and len(_values(grid, t, t.fields["step"])) < 0.5 * rows:
        # Asana's "Parent task" is a step column by its words, but nearly empty: a full
        # column of step text beside it ("Name") is the step
        for c in sorted(t.columns):
            values = _values(grid, t, c)
            if t.columns[c] is None and content_field(values, today, companies) == "step":
                t.columns[t.fields["step"]] = None
                t.columns[c] = "step"
                t.by_content[c] = "step"
                break
        have = set(t.fields)
    for c in sorted(t.columns):
        if t.columns[c] is not None:
            continue
        key = content_field(_values(grid, t, c), today, companies)
        if key == "due" and _DONE_HEADER.search(t.headers.get(c, "")):
            key = "done_on"  # Asana's "Completed At": the day it was done
        if key is None or key in have or (key == "side" and "owner" not in have):
            continue
        if key == "owner" and have & {"buyer_owner", "seller_owner"}:
            continue
        t.columns[c] = key
        t.by_content[c] = key
        have.add(key)
    keys = set(t.fields)
    # One column of the buyer's contacts beside an owner column: the owner is the seller's.
    if "owner" in keys and ("buyer_owner" in keys) != ("seller_owner" in keys):
        other = "seller_owner" if "buyer_owner" in keys else "buyer_owner"
        owners = [c for c, k in t.columns.items() if k == "owner"]
        if len(owners) == 1:
            t.columns[owners[0]] = other


def evidence(t: _Table, source: Source, today: date, companies: _Companies) -> Evidence:
    grid = source.grids[t.tab]
    found = Evidence()
    found.words = sum(1 for c, k in t.columns.items() if k and c not in t.by_content)
    for c, key in t.columns.items():
        header = t.headers.get(c, "").strip() or col_letter(c)
        values = _values(grid, t, c)
        if key == "step":
            found.steps = sum(1 for v in values if isinstance(v, str))
            found.step_header = header
            found.step_by_words = c not in t.by_content
        elif key in ("due", "done_on"):
            if _share(values, lambda v: _is_date(v, today)) >= 0.3 or not values:
                found.dates.append(header)
        elif key == "status":
            found.statuses.append(header)
        elif key in ("owner", "buyer_owner", "seller_owner"):
            found.people.append(header)
        if _MONEY_HEADER.search(header) and _is_money(values) and key not in ("id",):
            found.money.append(header)
    return found


def score(t: _Table, found: Evidence) -> int:
    points = min(found.steps, 15) + 4 * bool(found.dates) + 4 * bool(found.statuses)
    points += 4 * bool(found.people) + found.words
    if _SKIP_TABS.search(t.tab):
        points -= 15  # a template's worked example, not the team's plan
    if _PLAN_TABS.search(t.tab):
        points += 2
    return points


def where(t: _Table) -> str:
    return f"{t.tab}!{col_letter(t.first)}{t.row + 1}:{col_letter(t.last)}{max(t.end, t.row + 1)}"


# -- finding tables by content ---------------------------------------------------------


def _header_like(row: list[Cell], first: int, last: int) -> bool:
    cells = [row[c] for c in range(first, last + 1)]
    return (
        last - first >= 2
        and all(isinstance(v, str) for v in cells)
        and all(0 < len(_text(v).strip()) <= _HEADER_MAX for v in cells)
    )


def _key(row: list[Cell], first: int, last: int) -> tuple[str, ...]:
    return tuple(normalise_header(_text(_at([row], 0, c))) for c in range(first, last + 1))


def _table_at(
    tab: str,
    grid: Grid,
    at: tuple[int, int, int],
    companies: _Companies,
    today: date,
    others: list[_Table],
) -> _Table:
    """The table whose header is row r, columns first..last; it ends at the next table
    below it on the tab."""
    r, first, last = at
    row = grid[r]
    headers = {c: _text(row[c]).replace("\ufeff", "").strip() for c in range(first, last + 1)}
    columns = {c: _plan_field(h, companies) for c, h in headers.items()}
    below = [
        o.row for o in others if o.tab == tab and o.row > r and o.first <= last and o.last >= first
    ]
    t = _Table("plan", tab, r, columns, headers, first, last, min(below, default=len(grid)))
    key = _key(row, first, last)
    for k in range(r + 1, t.end):
        if k < len(grid) and _key(grid[k], first, last) == key:
            t.repeats.add(k)
    if t.repeats and r > 0:
        above = [c for c, v in enumerate(grid[r - 1]) if not is_blank(v)]
        if len(above) == 1 and first <= above[0] <= last:
            t.group_row = r - 1
    # two columns meaning one field (the header words said so): the first keeps it
    seen: set[str] = set()
    for c in sorted(columns):
        k2 = columns[c]
        if k2 and k2 != "owner" and k2 in seen:
            columns[c] = None
        if k2:
            seen.add(k2)
    place_by_content(t, grid, today, companies)
    return t


def content_tables(
    source: Source, found: list[_Table], companies: _Companies, today: date
) -> list[_Table]:
    """Plan candidates whose header words the vocabulary does not know: the first header-
    like row above rows of step text, per block; rows inside a table already found are
    skipped."""
    out: list[_Table] = []
    for tab, grid in source.grids.items():
        taken = [(t.row, t.end, t.first, t.last) for t in found if t.tab == tab]
        r = 0
        while r < len(grid):
            row = grid[r]
            made = None
            for first, last in _runs(row):
                if any(a <= r < b and f <= last and first <= la for a, b, f, la in taken):
                    continue
                if not _header_like(row, first, last):
                    continue
                t = _table_at(tab, grid, (r, first, last), companies, today, found)
                if "step" not in t.fields:
                    continue
                made = t
                break
            if made is None:
                r += 1
                continue
            out.append(made)
            taken.append((made.row, made.end, made.first, made.last))
            r = max(made.end, r + 1)
    return out


# -- ranking -----------------------------------------------------------------------------


@dataclass
class Choice:
    plan: _Table | None
    candidates: list[Candidate]
    note: str  # why the plan was taken, or why none was


def choose(
    tables: list[_Table],
    source: Source,
    companies: _Companies,
    today: date,
    *,
    table: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> Choice:
    """The plan among the tables found by header words and those found by content: the
    best that qualifies, or the one the rep named."""
    plans = [t for t in tables if t.kind == "plan"]
    for t in plans:
        place_by_content(t, source.grids[t.tab], today, companies)
    plans += content_tables(source, tables, companies, today)
    forced = None
    if table:
        forced = _named_table(table, plans, source, companies, today)
        if forced not in plans:
            plans.append(forced)
    if columns:
        _apply_columns(columns, [forced] if forced else plans)
    ranked: list[tuple[int, int, _Table, Evidence]] = []
    for i, t in enumerate(plans):
        found = evidence(t, source, today, companies)
        ranked.append((score(t, found), -list(source.grids).index(t.tab) * 100 - i, t, found))
    ranked.sort(key=lambda x: (x[0], x[1]), reverse=True)
    chosen = forced
    if chosen is None:
        chosen = next((t for _, _, t, f in ranked if not f.short()), None)
    candidates: list[Candidate] = []
    for points, _, t, found in ranked:
        parts = found.parts()
        short = ""
        if t is not chosen:
            short = found.short() or (
                f"ranks below the plan taken ({points} points)" if chosen else ""
            )
        candidates.append(
            Candidate(where(t), points, t is chosen, ", ".join(parts) or "no evidence", short)
        )
    if chosen is not None:
        top = next(c for c in candidates if c.taken)
        how = "named by --table" if forced else "the best that qualifies"
        note = f"took {top.where} as the plan ({how}): {top.evidence}"
    elif candidates:
        note = "no plan taken: no table qualifies; " + "; ".join(
            f"{c.where}: {c.short}" for c in candidates[:3]
        )
    else:
        note = (
            "no plan taken: no table holds rows of step text beside a column of dates, "
            "statuses or people"
        )
    return Choice(chosen, candidates, note)


def _tab_named(name: str, source: Source) -> str:
    if name in source.grids:
        return name
    for tab in source.grids:
        if tab.strip().lower() == name.strip().lower():
            return tab
    tabs = ", ".join(f'"{t}"' for t in source.grids)
    raise OverrideError("table", f'no tab "{name}"; the tabs are {tabs}')


_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,6})$")


def _named_table(
    text: str, plans: list[_Table], source: Source, companies: _Companies, today: date
) -> _Table:
    tab_text, _, cell = text.rpartition("!")
    if not tab_text:
        if len(source.grids) != 1:
            tabs = ", ".join(f'"{t}"' for t in source.grids)
            raise OverrideError("table", f'say which tab, as "Tab!A1"; the tabs are {tabs}')
        tab_text = next(iter(source.grids))
    tab = _tab_named(tab_text.strip().strip("'"), source)
    m = _CELL.match(cell.strip())
    if not m:
        raise OverrideError("table", f'"{cell}" is not a cell; give the header row\'s first cell')
    col = 0
    for ch in m[1].upper():
        col = col * 26 + ord(ch) - 64
    col -= 1
    r = int(m[2]) - 1
    for t in plans:
        if t.tab == tab and t.row == r and t.first <= col <= t.last:
            return t
    grid = source.grids[tab]
    run = next(
        ((f, la) for f, la in _runs(grid[r]) if f <= col <= la) if r < len(grid) else iter(()),
        None,
    )
    if run is None:
        starts = [where(t) for t in plans if t.tab == tab]
        known = f"; tables found on it: {', '.join(starts)}" if starts else ""
        raise OverrideError("table", f"{tab}!{m[1].upper()}{r + 1} is blank{known}")
    return _table_at(tab, grid, (r, col, run[1]), companies, today, plans)


def _apply_columns(columns: Mapping[str, str], plans: list[_Table]) -> None:
    for header, key in columns.items():
        key = key.strip().lower().replace(" ", "_")
        if key not in FIELDS and key not in _NONE_FIELDS:
            raise OverrideError(
                "column",
                f'"{key}" is no field; the fields are {", ".join(FIELDS)} (or "none": no place)',
            )
        wanted = normalise_header(header)
        hit = False
        for t in plans:
            for c, h in t.headers.items():
                if normalise_header(h) == wanted:
                    hit = True
                    new = None if key in _NONE_FIELDS else key
                    if new:
                        for o, k in t.columns.items():
                            if k == new and o != c and new not in ("owner",):
                                t.columns[o] = None
                    t.columns[c] = new
                    t.by_content.pop(c, None)
        if not hit:
            headers = sorted({h for t in plans for h in t.headers.values() if h})
            raise OverrideError(
                "column",
                f'no column headed "{header}"; the headers are '
                + (", ".join(f'"{h}"' for h in headers) or "(no table found)"),
            )
