"""Task-tool exports read as what they are: Asana's and Jira's CSV, and Trello's board JSON
(flattened by `trello_grids`). Each is known by its header row, so its columns are mapped by
the tool's own names rather than guessed, and what the tool means by its rows is kept:

- Asana: sections are phases, "Completed At" is done (and when), "Blocked By" names task
  ids; the assignees' emails make them people, and their domain tells their side. A
  subtask ("Parent task") that carries its own commitment (an assignee or a due date) is
  kept as a step under its parent's phase and reported: folding a dated, owned commitment
  into text would stop it being tracked. A subtask with neither is folded into its parent's
  notes ("Subtask: <name>", "(done <Completed At>)" when completed) and reported; it stays
  a step when its parent is not in the export or another task is blocked by it.
- Jira: one column per value of a multi-valued field ("Sprint,Sprint") is one column; epics
  are phases (tasks name their epic's Issue id in "Parent"); "Inward issue link (Blocks)"
  names the issues this one waits on; due dates look like "09/Sep/26 12:00 AM".
- Trello: lists are phases, cards are steps (archived ones are not), members are people
  (the board's description tells their side), "dueComplete" is done, a "Blocked" label is
  blocked, checklist items are parts of their card (in its notes).

Pure: grids in, the plan table, its rows and the people out; every cell accounted for."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from addon.plan import cells as read
from addon.plan.adopt.accounting import _State
from addon.plan.adopt.companies import _Companies, _company_core
from addon.plan.adopt.model import Note, _Table, _text
from addon.plan.adopt.rows import _Row
from addon.plan.grid import a1, is_blank
from addon.plan.models import Cell, Grid
from addon.plan.schedule import PlannedStakeholder


@dataclass
class _Export:
    tool: str
    table: _Table
    rows: list[_Row] = field(default_factory=list)
    people: list[PlannedStakeholder] = field(default_factory=list)


def _norm(header: Cell) -> str:
    return re.sub(r"\s+", " ", _text(header).replace("\ufeff", "")).strip().lower()


# Each tool: the headers that say it is this tool's export, and its columns -> our fields.
# A column listed with "" is read (it tells a row's kind, a parent or an email) but has no
# column of its own in the MAP; a column not listed has no place.
_TOOLS: dict[str, tuple[frozenset[str], dict[str, str]]] = {
    "Asana": (
        frozenset({"task id", "name", "section/column", "parent task"}),
        {
            "task id": "id",
            "name": "step",
            "section/column": "phase",
            "assignee": "owner",
            "assignee email": "",
            "due date": "due",
            "completed at": "done_on",
            "notes": "notes",
            "parent task": "",
            "blocked by (dependencies)": "depends_on",
        },
    ),
    "Jira": (
        frozenset({"summary", "issue key", "issue type"}),
        {
            "summary": "step",
            "issue key": "id",
            "issue type": "",
            "issue id": "",
            "status": "status",
            "assignee": "seller_owner",
            "due date": "due",
            "parent": "phase",
            "inward issue link (blocks)": "depends_on",
            "custom field (customer contact)": "buyer_owner",
        },
    ),
    "Trello": (
        frozenset({"card", "list", "members", "due complete", "archived"}),
        {
            "card": "step",
            "list": "phase",
            "members": "owner",
            "due": "due",
            "due complete": "status",
            "labels": "",
            "description": "notes",
            "checklists": "notes",
            "archived": "",
            "card id": "id",
        },
    ),
}


def fold_repeated(headers: Sequence[Cell]) -> dict[int, list[int]]:
    """Jira writes a multi-valued field as one column per value, the header repeated
    ("Sprint,Sprint"): first column -> all the columns of that one field."""
    groups: dict[str, list[int]] = {}
    for c, h in enumerate(headers):
        name = _norm(h)
        if name:
            groups.setdefault(name, []).append(c)
    return {cols[0]: cols for cols in groups.values()}


def _known(grid: Grid) -> tuple[str, int] | None:
    for r, row in enumerate(grid[:5]):
        names = {_norm(h) for h in row}
        for tool, (signature, _) in _TOOLS.items():
            if signature <= names:
                return tool, r
    return None


def _read_export(state: _State, companies: _Companies) -> _Export | None:
    """The first tab that is a known tool's export, read; None: no such tab."""
    for tab, grid in state.source.grids.items():
        found = _known(grid)
        if found is None:
            continue
        tool, header = found
        return _READERS[tool](state, tab, grid, header, companies)
    return None


def _table(tool: str, tab: str, grid: Grid, header: int) -> tuple[_Table, dict[int, list[int]]]:
    row = grid[header]
    groups = fold_repeated(row)
    mapping = _TOOLS[tool][1]
    columns: dict[int, str | None] = {}
    for c in range(len(row)):
        first = next(f for f, cols in groups.items() if c in cols) if _norm(row[c]) else c
        key = mapping.get(_norm(row[c])) or None
        columns[c] = key if c == first else None
    table = _Table(
        "plan",
        tab,
        header,
        columns,
        {c: _text(v) for c, v in enumerate(row)},
        0,
        max(len(row) - 1, 0),
        len(grid),
    )
    return table, groups


class _Reader:
    """Reads one export's data rows into `_Row`s, accounting for each cell."""

    def __init__(self, state: _State, tool: str, tab: str, grid: Grid, header: int) -> None:
        self.state, self.tool, self.tab, self.grid = state, tool, tab, grid
        self.table, self.groups = _table(tool, tab, grid, header)
        self.by_name = {_norm(h): c for c, h in self.table.headers.items() if _norm(h)}
        for c, h in self.table.headers.items():
            if not is_blank(h):
                state.place(tab, header, c)
        state.readings.append(
            Note(tab, a1(header, 0), tool, f"read as {tool}'s export: its columns by their names")
        )

    def cell(self, r: int, name: str) -> str:
        c = self.by_name.get(name)
        return _text(self.grid[r][c]) if c is not None and c < len(self.grid[r]) else ""

    def col(self, name: str) -> int:
        return self.by_name.get(name, -1)

    def data_rows(self) -> list[int]:
        return [
            r
            for r in range(self.table.row + 1, len(self.grid))
            if any(not is_blank(v) for v in self.grid[r])
        ]

    def values(self, r: int) -> dict[str, tuple[int, Cell]]:
        row = self.grid[r]
        out: dict[str, tuple[int, Cell]] = {}
        for first, cols in self.groups.items():
            key = self.table.columns.get(first)
            if not key:
                continue
            texts = [_text(row[c]) for c in cols if c < len(row) and not is_blank(row[c])]
            if texts:
                out[key] = (first, ", ".join(texts) if len(cols) > 1 else row[first])
        return out

    def account(self, r: int, used: Callable[[int], bool], why: str = "") -> None:
        """Place the row's used cells; the others are listed, with why they have no place."""
        row = self.grid[r]
        for c, value in enumerate(row):
            if is_blank(value):
                continue
            if used(c):
                self.state.place(self.tab, r, c)
            else:
                header = self.table.headers.get(c, "")
                self.state.why(
                    self.tab,
                    r,
                    c,
                    why or f'in the "{header}" column, which has no place in the MAP',
                )

    def mapped(self, c: int) -> bool:
        first = next((f for f, cols in self.groups.items() if c in cols), c)
        return bool(self.table.columns.get(first))


def _email_side(email: str, companies: _Companies, others: set[str]) -> str:
    """A person's side from their email's domain: the buyer's name in it, else (two parties
    in the export) the other domain is the seller's."""
    domain = email.split("@")[1].lower() if "@" in email else ""
    if not domain:
        return ""
    core = _company_core(companies.buyer).replace(" ", "") if companies.buyer else ""
    if core and core in domain.replace("-", ""):
        return "Buyer"
    if companies.seller and _company_core(companies.seller).replace(" ", "") in domain:
        return "Seller"
    if core and len(others) <= 2:
        return "Seller"
    return ""


def _asana(state: _State, tab: str, grid: Grid, header: int, companies: _Companies) -> _Export:
    reader = _Reader(state, "Asana", tab, grid, header)
    export = _Export("Asana", reader.table)
    rows = reader.data_rows()
    phase_of = {reader.cell(r, "name"): reader.cell(r, "section/column") for r in rows}
    emails: dict[str, str] = {}
    for r in rows:
        name, email = reader.cell(r, "assignee"), reader.cell(r, "assignee email").lower()
        if name and read.EMAIL.match(email):
            emails.setdefault(name, email)
    domains = {e.split("@")[1] for e in emails.values()}
    for name, email in emails.items():
        export.people.append(
            PlannedStakeholder(name, email, _email_side(email, companies, domains), "")
        )
    phase = ""
    email_col, parent_col = reader.col("assignee email"), reader.col("parent task")
    folded = _asana_folded(reader, rows)
    for r in rows:
        values = reader.values(r)
        if "step" not in values:
            reader.account(r, lambda c: False, "a row with no task name")
            continue
        section = reader.cell(r, "section/column")
        parent = reader.cell(r, "parent task")
        if r in folded:
            state.readings.append(
                Note(
                    tab,
                    a1(r, reader.col("name")),
                    _text(values["step"][1]),
                    f'a subtask of "{parent}" with no owner or date: folded into its '
                    "parent's notes",
                )
            )
            _account_folded(reader, r)
            continue
        lines = [line for line, parent_row in folded.values() if parent_row == r]
        if lines:
            notes_col = values.get("notes", (reader.col("notes"), ""))[0]
            if notes_col < 0:
                notes_col = reader.col("name")
            notes = _text(values.get("notes", (0, ""))[1])
            values["notes"] = (notes_col, "\n".join(n for n in (notes, *lines) if n))
        if parent:
            section = phase_of.get(parent, "") or section
            if any(reader.cell(r, k) for k in ("assignee", "assignee email", "due date")):
                why = "with its own owner or date"
            elif parent not in phase_of:
                why = "(not in the export)"
            else:
                why = "that another task waits on, or under a folded subtask"
            state.readings.append(
                Note(
                    tab,
                    a1(r, reader.col("name")),
                    _text(values["step"][1]),
                    f'a subtask of "{parent}" {why}: kept as a step, in its parent\'s phase',
                )
            )
        phase = section or phase
        export.rows.append(_Row(r, values, phase, _text(values.get("id", (0, ""))[1])))
        reader.account(r, lambda c: reader.mapped(c) or c in (email_col, parent_col))
    return export


# The columns a folded subtask's text carries into its parent's notes (with the name, the
# parent and the section, whose cells are then placed too).
_FOLDED = ("task id", "name", "section/column", "parent task", "completed at", "notes")


def _asana_folded(reader: _Reader, rows: list[int]) -> dict[int, tuple[str, int]]:
    """The subtasks folded into their parent's notes: row -> (its line, the parent's row).
    Only those with no assignee and no due date, whose parent is a task in the export and
    which no other task is blocked by; the others stay steps."""
    tasks = {reader.cell(r, "name"): r for r in rows if reader.cell(r, "name")}
    waited_on = {
        i
        for r in rows
        for i in re.split(r"\s*,\s*", reader.cell(r, "blocked by (dependencies)"))
        if i
    }
    folded: dict[int, tuple[str, int]] = {}
    for r in rows:
        parent, name = reader.cell(r, "parent task"), reader.cell(r, "name")
        if not parent or not name or parent not in tasks or tasks[parent] == r:
            continue
        if reader.cell(r, "assignee") or reader.cell(r, "assignee email"):
            continue
        if reader.cell(r, "due date") or reader.cell(r, "task id") in waited_on - {""}:
            continue
        line = f"Subtask: {name}"
        if done := reader.cell(r, "completed at"):
            line += f" (done {done})"
        if notes := reader.cell(r, "notes"):
            line += f": {notes}"
        folded[r] = (line, tasks[parent])
    # a parent that is itself folded would lose its subtasks' lines: keep those as steps
    return {r: f for r, f in folded.items() if f[1] not in folded}


def _account_folded(reader: _Reader, r: int) -> None:
    """A folded subtask's cells: those its line carries are placed; a value a step would
    have kept (its own "Blocked By") is listed, saying the parent's notes do not carry it."""
    carried = {reader.col(name) for name in _FOLDED} | {reader.col("assignee email")}
    for c, value in enumerate(reader.grid[r]):
        if is_blank(value):
            continue
        if c in carried:
            reader.state.place(reader.tab, r, c)
        elif reader.mapped(c):
            reader.state.why(
                reader.tab, r, c, "a folded subtask's value: its parent's notes do not carry it"
            )
        else:
            header = reader.table.headers.get(c, "")
            reader.state.why(
                reader.tab, r, c, f'in the "{header}" column, which has no place in the MAP'
            )


_JIRA_DATE = re.compile(
    r"^\s*(\d{1,2})/([A-Za-z]{3})/(\d{2}|\d{4})(?:\s+(\d{1,2}):(\d{2})\s*([AP]M)?)?\s*$", re.I
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def jira_date(text: str) -> date | None:
    """Jira's export date, '09/Sep/26 12:00 AM' (dd/MMM/yy): the day; None: not one."""
    m = _JIRA_DATE.match(text)
    if not m or m[2].lower() not in _MONTHS:
        return None
    year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
    try:
        return date(year, _MONTHS.index(m[2].lower()) + 1, int(m[1]))
    except ValueError:
        return None


def _jira(state: _State, tab: str, grid: Grid, header: int, companies: _Companies) -> _Export:
    reader = _Reader(state, "Jira", tab, grid, header)
    export = _Export("Jira", reader.table)
    rows = reader.data_rows()
    epics = {
        reader.cell(r, "issue id"): reader.cell(r, "summary")
        for r in rows
        if reader.cell(r, "issue type").lower() == "epic"
    }
    keys = {reader.cell(r, "issue key"): reader.cell(r, "summary") for r in rows}
    type_col, id_col = reader.col("issue type"), reader.col("issue id")
    summary_col = reader.col("summary")
    for r in rows:
        kind = reader.cell(r, "issue type").lower()
        if kind == "epic":
            name = reader.cell(r, "summary")
            state.readings.append(Note(tab, a1(r, summary_col), name, f'an epic: phase "{name}"'))
            reader.account(
                r,
                lambda c: c in (summary_col, type_col, id_col),
                "an epic's value: the epic is a phase, not a step",
            )
            continue
        values = reader.values(r)
        if "step" not in values:
            reader.account(r, lambda c: False, "a row with no summary")
            continue
        parent = reader.cell(r, "parent")
        phase = epics.get(parent, keys.get(parent, parent))
        if parent and phase != parent:
            values["phase"] = (values["phase"][0], phase)
            state.readings.append(
                Note(tab, a1(r, values["phase"][0]), parent, f'the epic "{phase}": its phase')
            )
        if "due" in values and (day := jira_date(_text(values["due"][1]))) is not None:
            state.readings.append(
                Note(
                    tab,
                    a1(r, values["due"][0]),
                    _text(values["due"][1]),
                    f"read as {day.isoformat()} (Jira's dd/MMM/yy)",
                )
            )
            values["due"] = (values["due"][0], day)
        export.rows.append(_Row(r, values, phase, reader.cell(r, "issue key")))
        reader.account(r, lambda c: reader.mapped(c) or c == type_col)
    return export


# --- Trello's board JSON -----------------------------------------------------------------

TRELLO_HEADERS = (
    "Card",
    "List",
    "Members",
    "Due",
    "Due complete",
    "Labels",
    "Description",
    "Checklists",
    "Archived",
    "Card id",
)


def is_trello(data: object) -> bool:
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("cards"), list)
        and isinstance(data.get("lists"), list)
    )


def trello_grids(board: Mapping[str, Any]) -> dict[str, Grid]:
    """A Trello board export as tabs: "Board" (its name and description), "Cards" (one row a
    card, members and labels by name, checklist items as "[x] item") and "Lists"."""
    lists = {str(li.get("id")): str(li.get("name", "")) for li in board.get("lists") or []}
    members = {
        str(m.get("id")): str(m.get("fullName") or m.get("username") or "")
        for m in board.get("members") or []
    }
    checklists: dict[str, list[str]] = {}
    for cl in board.get("checklists") or []:
        items = [
            f"[{'x' if i.get('state') == 'complete' else ' '}] {i.get('name', '')}"
            for i in sorted(cl.get("checkItems") or [], key=lambda i: i.get("pos") or 0)
        ]
        checklists.setdefault(str(cl.get("idCard")), []).append(
            f"{cl.get('name', '')}: " + "; ".join(items)
        )
    order = {lid: i for i, lid in enumerate(lists)}
    cards = sorted(
        board.get("cards") or [],
        key=lambda c: (order.get(str(c.get("idList")), 99), c.get("pos") or 0),
    )
    rows: Grid = [list(TRELLO_HEADERS)]
    for card in cards:
        labels = [
            str(lab.get("name") or lab.get("color") or "") for lab in card.get("labels") or []
        ]
        rows.append(
            [
                str(card.get("name", "")),
                lists.get(str(card.get("idList")), ""),
                ", ".join(members.get(str(m), str(m)) for m in card.get("idMembers") or []),
                _utc_day(card.get("due")),
                "TRUE" if card.get("dueComplete") else "",
                ", ".join(x for x in labels if x),
                str(card.get("desc") or ""),
                "\n".join(checklists.get(str(card.get("id")), [])),
                "TRUE" if card.get("closed") else "",
                str(card.get("id", "")),
            ]
        )
    board_rows: Grid = [
        ["Board", str(board.get("name", ""))],
        ["Description", str(board.get("desc", ""))],
    ]
    return {"Board": board_rows, "Cards": rows}


def _utc_day(value: object) -> Cell:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return value


_SIDE_LINE = re.compile(r"([^.:;]+?)\s*:\s*([^.;]+)")


def _board_people(text: str, companies: _Companies) -> dict[str, str]:
    """'Shared with Fernhill Bank: Ana, Bo. Orbital team: Sara.' -> name -> side."""
    sides: dict[str, str] = {}
    for m in _SIDE_LINE.finditer(text):
        side = companies.side_of_words(m[1])
        label = "Buyer" if side is not None and side.value == "buyer" else ""
        if side is not None and side.value == "seller":
            label = "Seller"
        if not label and companies.buyer:
            label = "Seller"  # the other party named on a board shared with the buyer
        for name in re.split(r"\s*(?:,|\band\b|&)\s*", m[2]):
            if name.strip():
                sides[name.strip()] = label
    return sides


def _trello(state: _State, tab: str, grid: Grid, header: int, companies: _Companies) -> _Export:
    reader = _Reader(state, "Trello", tab, grid, header)
    export = _Export("Trello", reader.table)
    board = state.source.grids.get("Board") or []
    desc = next(
        (_text(row[1]) for row in board if len(row) > 1 and _text(row[0]) == "Description"), ""
    )
    for r, row in enumerate(board):
        for c in range(len(row)):
            if r == 1 or (r == 0 and c == 0):
                state.place("Board", r, c)
    sides = _board_people(desc, companies)
    named = {
        n for r in reader.data_rows() for n in re.split(r"\s*,\s*", reader.cell(r, "members")) if n
    }
    for name in [*sides, *sorted(named - set(sides))]:
        export.people.append(PlannedStakeholder(name, "", sides.get(name, ""), ""))
    archived_col, labels_col = reader.col("archived"), reader.col("labels")
    checklist_col, desc_col = reader.col("checklists"), reader.col("description")
    for r in reader.data_rows():
        values = reader.values(r)
        if reader.cell(r, "archived"):
            reader.account(r, lambda c: False, "an archived card, not a step")
            continue
        if "step" not in values:
            reader.account(r, lambda c: False, "a card with no name")
            continue
        done = bool(reader.cell(r, "due complete"))
        blocked = "blocked" in reader.cell(r, "labels").lower()
        status_col = values.get("status", (reader.col("due complete"), ""))[0]
        if done:
            values["status"] = (status_col, "Done")
        elif blocked:
            values["status"] = (labels_col, "Blocked")
        else:
            values.pop("status", None)
        notes = [reader.cell(r, "description"), reader.cell(r, "checklists")]
        if any(notes):
            values["notes"] = (
                desc_col if notes[0] else checklist_col,
                "\n".join(n for n in notes if n),
            )
        export.rows.append(_Row(r, values, reader.cell(r, "list"), ""))
        used = frozenset({archived_col, labels_col} if blocked else {archived_col})
        reader.account(r, partial(_used_or_mapped, reader, used))
    return export


def _used_or_mapped(reader: _Reader, used: frozenset[int], c: int) -> bool:
    return reader.mapped(c) or c in used


_READERS: dict[str, Callable[[_State, str, Grid, int, _Companies], _Export]] = {
    "Asana": _asana,
    "Jira": _jira,
    "Trello": _trello,
}
