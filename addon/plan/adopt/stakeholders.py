"""The Stakeholders, Risks and Decision criteria tables -> `PlannedStakeholder`s,
`PlannedRisk`s and `PlannedCriterion`s: their rows, a side heading ("Acme team") over the
people below, the role that fits a person's side, each person's side settled by role or
email domain, and a criterion's status word as the Decision criteria tab's own ("Yes" is
Agreed; a word that says no more than "Partly" is kept as typed). People and risks named
outside a table ("Champion: Dana", a "Risks" list) are preamble.py's; a criterion's "Who
decides" names no stakeholder."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from addon.plan import cells as read
from addon.plan.adopt.accounting import _no_place, _State
from addon.plan.adopt.companies import _Companies, _company_core
from addon.plan.adopt.model import _at, _Table, _text
from addon.plan.grid import is_blank
from addon.plan.schedule import PlannedCriterion, PlannedRisk, PlannedStakeholder
from sheets_schema.vocab import BUYER_ROLES, SELLER_ROLES, Role, Side


def _table_rows(
    table: _Table, state: _State, heading: Callable[[str], bool] | None = None
) -> Iterable[tuple[int, dict[str, tuple[int, str]]]]:
    """The table's rows as field -> (column, text), each cell placed or listed. A line
    alone after a blank row ends the table, unless `heading` says it heads the rows below
    ("Legal documents" in a resources table)."""
    grid = state.source.grids[table.tab]
    for c in range(table.first, table.last + 1):
        if table.kind in ("criteria", "resources") and not table.columns.get(c):
            # the header of a column with no home ("Weight") is listed with its cells
            state.why(table.tab, table.row, c, _no_place(table.headers[c]))
        else:
            state.place(table.tab, table.row, c)
    blank_before = False
    for r in range(table.row + 1, table.end):
        row = grid[r] if r < len(grid) else []
        filled = [
            c for c in range(table.first, min(table.last + 1, len(row))) if not is_blank(row[c])
        ]
        if blank_before and len(filled) == 1 and not (heading and heading(_text(row[filled[0]]))):
            table.end = r  # a heading after a gap ("Action plan"): the next block starts
            return
        blank_before = not filled
        if not filled:
            if r > table.row + 1 and all(
                is_blank(_at(grid, r + k, c))
                for k in (1, 2)
                for c in range(table.first, table.last + 1)
            ):
                table.end = r  # two blank rows more: the table has ended
                return
            continue
        values = {
            key: (c, _text(row[c]))
            for c, key in table.columns.items()
            if key and c < len(row) and not is_blank(row[c])
        }
        yield r, values
        for c in filled:
            if table.columns.get(c) and table.columns[c] in values:
                state.place(table.tab, r, c)
            elif not table.columns.get(c):
                state.why(table.tab, r, c, _no_place(table.headers[c]))


def _read_people(table: _Table, state: _State) -> list[PlannedStakeholder]:
    people: list[PlannedStakeholder] = []
    section: Side | None = None
    for r, values in _table_rows(table, state):
        if len(values) == 1:
            (alone,) = (text for _, text in values.values())
            side = _side_heading(alone, state)
            if side is not None:  # "Acme team" alone on a row: the people below are theirs
                section = side
                continue
        people.append(_person(_name_and_title(values), section, state, table.tab, r))
    return people


_YOUR_SIDE = re.compile(r"^\s*(?:your|our|my)\s*(?:side|team|company)?\s*$", re.I)


def _side_heading(text: str, state: _State) -> Side | None:
    """'Acme team', 'Customer Side', 'Your Side' alone on a row: a side heading."""
    if _YOUR_SIDE.match(re.sub(r"\b(?:team|side)\b", "", text, flags=re.I)):
        return Side.SELLER
    return state.companies.side_of_name(re.sub(r"\b(?:team|side)\b", "", text, flags=re.I))


_NAME_TITLE = re.compile(r"^\s*((?:[A-Z][\w'’-]+\.?\s+){1,3}[A-Z][\w'’-]+)\s*,\s*(\S.*)$")


def _name_and_title(values: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    """'Miriam Holt, VP Quality' in the name column: the name, and the title beside it."""
    c, name = values.get("name", (0, ""))
    m = _NAME_TITLE.match(name)
    if not m or "title" in values:
        return values
    return {**values, "name": (c, m[1]), "title": (c, m[2].strip())}


def _person(
    values: Mapping[str, tuple[int, str]], section: Side | None, state: _State, tab: str, r: int
) -> PlannedStakeholder:
    name = values.get("name", (0, ""))[1]
    email = values.get("email", (0, ""))[1]
    if email.lower().startswith("mailto:"):
        email = email[7:]
    if email and not read.EMAIL.match(email):
        c = values["email"][0]
        state.note(tab, r, c, "not an email address; kept in the Stakeholders' notes", problem=True)
        extra = f"Email as given: {email}"
        email = ""
    else:
        extra = ""
    side_text = values.get("side", (0, ""))[1]
    side = state.companies.side_of_name(side_text) if side_text else section
    # "Role in decision" says the role; else the job title, else what they decide, the
    # first that fits their side (a seller's "technical questions" is no evaluator)
    texts = [values.get(k, (0, ""))[1] for k in ("role", "title", "decision_authority")]
    fits = [t for t in texts if t and _fits(read.read_role(t), side)]
    role = fits[0] if fits else next((t for t in texts[:2] if t), "")
    title = next((t for t in texts[:2] if t and t != role), "")
    notes = "; ".join(t for t in (title, values.get("notes", (0, ""))[1]) if t)
    return PlannedStakeholder(
        name=name or (email.split("@")[0] if email else ""),
        email=email.lower(),
        side=side.value.title() if side in (Side.BUYER, Side.SELLER) else side_text,
        role=role,
        decision_authority=values.get("decision_authority", (0, ""))[1],
        notes="; ".join(t for t in (notes, extra) if t),
    )


def _fits(role: Role | None, side: Side | None) -> bool:
    if role is None:
        return False
    if side is Side.SELLER:
        return role in SELLER_ROLES
    if side is Side.BUYER:
        return role in BUYER_ROLES
    return True


def _read_risks(table: _Table, state: _State) -> list[PlannedRisk]:
    return [
        PlannedRisk(
            risk=values.get("risk", (0, ""))[1],
            owner=values.get("owner", (0, ""))[1],
            mitigation=values.get("mitigation", (0, ""))[1],
            status=values.get("status", (0, ""))[1],
        )
        for _, values in _table_rows(table, state)
        if values.get("risk")
    ]


# The Decision criteria tab's statuses, by the words that say them unambiguously; any other
# word ("Partly", "In review") is kept as typed, with a note: it is not ours to guess.
_CRITERION_STATUS = {
    **dict.fromkeys(
        ("yes", "met", "agreed", "achieved", "done", "complete", "true"),
        "Agreed",
    ),
    **dict.fromkeys(("✓", "✔", "✅", "✔️"), "Agreed"),  # a tick, however drawn
    **dict.fromkeys(("shown", "demonstrated"), "Shown"),
    **dict.fromkeys(
        ("no", "not yet", "not yet shown", "open", "pending", "not met", "false"),
        "Not yet shown",
    ),
}


def _criterion_status(text: str, state: _State, tab: str, r: int, c: int) -> str:
    word = re.sub(r"[\s.!?]+$", "", text.strip()).lower()
    word = re.sub(r"\s+", " ", word)
    status = _CRITERION_STATUS.get(word)
    if status is None:
        state.note(
            tab,
            r,
            c,
            "not a Decision criteria status (Not yet shown, Shown, Agreed): kept as typed",
        )
        return text
    if status != text:
        state.note(tab, r, c, f'read as "{status}"')
    return status


def _read_criteria(table: _Table, state: _State) -> list[PlannedCriterion]:
    criteria: list[PlannedCriterion] = []
    for r, values in _table_rows(table, state):
        if not values.get("criterion"):
            continue
        status = ""
        if "status" in values:
            c, text = values["status"]
            status = _criterion_status(text, state, table.tab, r, c)
        criteria.append(
            PlannedCriterion(
                criterion=values["criterion"][1],
                who_decides=values.get("who_decides", (0, ""))[1],
                how_shown=values.get("how_shown", (0, ""))[1],
                status=status,
            )
        )
    return criteria


def _settle_sides(
    people: list[PlannedStakeholder], companies: _Companies, rep_email: str
) -> list[PlannedStakeholder]:
    """People with no side: by their role, else by their email's domain (or the company
    they were listed under) shared with someone whose side is known."""
    unique: list[PlannedStakeholder] = []
    seen: set[tuple[str, str]] = set()
    for p in people:
        key = (p.name.lower(), p.email)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    by_role = [_side_by_role(p) for p in unique]
    domains: dict[str, str] = {}
    groups: dict[str, str] = {}  # the company column's text -> the side it turned out to be
    for p, side in zip(unique, by_role, strict=True):
        if side in ("Buyer", "Seller"):
            if p.email:
                domains.setdefault(p.email.split("@")[1], side)
            if p.side and p.side not in ("Buyer", "Seller"):
                groups.setdefault(p.side.strip().lower(), side)
    if rep_email and "@" in rep_email:
        domains.setdefault(rep_email.split("@")[1].lower(), "Seller")
    settled: list[PlannedStakeholder] = []
    for p, side in zip(unique, by_role, strict=True):
        if side not in ("Buyer", "Seller"):
            domain = p.email.split("@")[1] if p.email else ""
            if domain in domains:
                side = domains[domain]
            elif p.side.strip().lower() in groups:
                side = groups[p.side.strip().lower()]
            elif domain and companies.buyer and _company_core(companies.buyer).split()[0] in domain:
                side = "Buyer"
        settled.append(
            PlannedStakeholder(p.name, p.email, side, p.role, p.decision_authority, p.notes)
        )
    return settled


def _side_by_role(p: PlannedStakeholder) -> str:
    if p.side in ("Buyer", "Seller"):
        return p.side
    role = read.read_role(p.role) if p.role else None
    if role in BUYER_ROLES:
        return "Buyer"
    if role in SELLER_ROLES:
        return "Seller"
    return p.side
