"""Owner cells -> the buyer owner and the seller owner: side prefixes and suffixes
("Customer: Dana", "Dana (Acme)"), a side named alone ("Us", "Customer"), role words ("AE",
"Legal"), the stakeholders' directory and the rep's name; and the buyer's name learnt from
the owners when nothing else gave it. Notes each reading on the state."""

from __future__ import annotations

import re
from collections.abc import Iterable

from addon.plan import cells as read
from addon.plan.adopt.accounting import _State
from addon.plan.adopt.companies import _Companies, _company_core
from addon.plan.adopt.model import _text
from addon.plan.adopt.rows import _Row
from addon.plan.models import Cell
from sheets_schema.vocab import Side


def _learn_from_owners(rows: list[_Row], companies: _Companies) -> None:
    """'Dana (Northwind)' beside 'Sarah (Us)': the name no side word claims is the buyer."""
    if companies.buyer:
        _learn_other_side(rows, companies)
        return
    named: dict[str, int] = {}
    for raw in rows:
        for key in ("owner", "buyer_owner"):
            if key in raw.values:
                for part in _OWNER_SPLIT.split(_text(raw.values[key][1])):
                    m = _OWNER_SUFFIX.match(part.strip())
                    if m and companies.side_of_name(m[2]) is None and _side_of_role(m[2]) is None:
                        named[m[2]] = named.get(m[2], 0) + 1
    if named:
        companies.add(Side.BUYER, max(named, key=lambda n: named[n]))
    _learn_other_side(rows, companies)


def _learn_other_side(rows: list[_Row], companies: _Companies) -> None:
    """'Lucia (Fernwood) + Dev (Skyhook)' with Fernwood the buyer: Skyhook is the seller,
    the other party named beside a buyer's person in one owner cell."""
    if not companies.buyer:
        return
    named: dict[str, int] = {}
    for raw in rows:
        if "owner" not in raw.values:
            continue
        suffixes = [
            m[2]
            for part in _OWNER_SPLIT.split(_text(raw.values["owner"][1]))
            if (m := _OWNER_SUFFIX.match(part.strip()))
        ]
        sides = [companies.side_of_name(n) for n in suffixes]
        if Side.BUYER not in sides:
            continue
        for name, side in zip(suffixes, sides, strict=True):
            if side is None and _side_of_role(name) is None:
                named[name] = named.get(name, 0) + 1
    if named:
        companies.add(Side.SELLER, max(named, key=lambda n: named[n]))


_OWNER_PREFIX = re.compile(
    r"^\s*\[?(buyer|customer|client|prospect|them|seller|vendor|supplier|us|we|"
    r"kunde|anbieter|client|fournisseur|cliente|proveedor)\]?\s*(?::|-|–|—)\s*(.+)$",
    re.I,
)


_OWNER_SUFFIX = re.compile(r"^(.+?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$")


_OWNER_SPLIT = re.compile(r"\s*(?:\+|&|,|;|\n|/|\band\b|\bund\b|\bet\b|\by\b)\s*", re.I)


_SELLER_ROLE_WORDS = re.compile(
    r"\b(?:ae|se|csm|account exec(?:utive)?|sales(?: engineer| rep)?|solutions? "
    r"(?:engineer|consultant|architect)|customer success|our\b.*|implementation team|"
    r"professional services|ps team|deal desk|rev ?ops)\b",
    re.I,
)


_BUYER_ROLE_WORDS = re.compile(
    r"\b(?:their\b.*|legal|procurement|purchasing|infosec|security|it|finance|cfo|ciso|cio|"
    r"cto|ceo|coo|champion|economic buyer|eb|end users?|accounts payable|board|"
    r"steering committee)\b",
    re.I,
)


def _owners(
    state: _State, tab: str, raw: _Row, directory: read.People, rep_name: str
) -> tuple[str, str]:
    """The row's owner cells -> (buyer owner, seller owner) texts."""
    buyer: list[str] = []
    seller: list[str] = []
    side_cell = raw.values.get("side")
    column_side = state.companies.side_of_name(_text(side_cell[1])) if side_cell else None
    for key, default in (
        ("buyer_owner", Side.BUYER),
        ("seller_owner", Side.SELLER),
        ("owner", column_side),
    ):
        if key not in raw.values:
            continue
        c, value = raw.values[key]
        text = _text(value)
        for part_side, name, how in _paired_parts(
            text, default, side_cell if key == "owner" and column_side is None else None, state
        ) or _owner_parts(text, default, state, directory, rep_name):
            if part_side is None:
                part_side = Side.BUYER
                state.note(
                    tab,
                    raw.row,
                    c,
                    f'"{name}": no side given; put under the buyer '
                    "owner: move it if the seller owns it",
                )
            elif how:
                state.note(tab, raw.row, c, how)
            if part_side in (Side.BUYER, Side.BOTH):
                buyer.append(name)
            if part_side in (Side.SELLER, Side.BOTH):
                seller.append(name)
    if side_cell and "owner" not in raw.values:
        c = side_cell[0]
        if column_side in (Side.BUYER, Side.BOTH):
            buyer.append(_unnamed(Side.BUYER, state))
        if column_side in (Side.SELLER, Side.BOTH):
            seller.append(_unnamed(Side.SELLER, state))
        if column_side is None:
            # The Side column is the row's only owner column: a side it cannot read
            # ("Partner") leaves the step with no owner, so the cell is not placed.
            state.placed.discard((tab, raw.row, c))
            state.why(tab, raw.row, c, "not a side (Buyer, Seller or Both)")
    return " + ".join(dict.fromkeys(buyer)), " + ".join(dict.fromkeys(seller))


def _paired_parts(
    text: str, default: Side | None, side_cell: tuple[int, Cell] | None, state: _State
) -> list[tuple[Side | None, str, str]]:
    """Notion's Assignee beside its Company relation: "Ines, Tom" with "Halcyon, Northbeam"
    pairs each person with a company, in order. A company that is not the buyer's, when the
    buyer is known, is the seller's. [] when the cells do not pair up."""
    if side_cell is None:
        return []
    names = [p.strip() for p in _OWNER_SPLIT.split(text) if p.strip()]
    firms = [p.strip() for p in re.split(r"\s*[,;\n]\s*", _text(side_cell[1])) if p.strip()]
    if not names or len(names) != len(firms):
        return []
    out: list[tuple[Side | None, str, str]] = []
    for name, firm in zip(names, firms, strict=True):
        side = state.companies.side_of_name(firm)
        if side is None and state.companies.buyer:
            side = Side.SELLER
        out.append(
            (
                side or default,
                name,
                f'"{name}" read with "{firm}": {(side or default or Side.BUYER).value} side',
            )
        )
    return out


def _unnamed(side: Side, state: _State) -> str:
    company = state.companies.buyer if side is Side.BUYER else state.companies.seller
    label = _company_core(company).title() if company else side.value.title()
    return f"{label} (TBD)"


def _owner_parts(
    text: str,
    default: Side | None,
    state: _State,
    directory: read.People,
    rep_name: str,
) -> Iterable[tuple[Side | None, str, str]]:
    """(side, the name to write, how it was read) for each owner a cell names."""
    if not text:
        return
    whole = state.companies.side_of_name(text)
    if whole is not None and not directory.by_key.get(text.lower()):
        # "Us", "Them", "Both", "Joint", "Customer", "Acme": a side, nobody named
        for one in (Side.BUYER, Side.SELLER) if whole is Side.BOTH else (whole,):
            yield one, _unnamed(one, state), f'"{text}" names a side, not a person: name them'
        return
    m = _OWNER_PREFIX.match(text)
    prefix_side = state.companies.side_of_name(m[1]) if m else None
    body = m[2] if m else text
    parts = [p.strip() for p in _OWNER_SPLIT.split(body) if p.strip()]
    if len(parts) > 1 and all(
        state.companies.side_of_name(p) is None
        and not directory.by_key.get(p.lower())
        and _side_of_role(p) is not None
        for p in parts
    ):
        roles = {_side_of_role(p) for p in parts}
        if len(roles) == 1:  # "AE + our exec": one side's roles, kept together
            yield roles.pop(), body, ""
            return
    for part in parts:
        side: Side | None = prefix_side
        name, how = part, ""
        suffix = _OWNER_SUFFIX.match(part)
        if suffix and (company_side := state.companies.side_of_name(suffix[2])):
            name, side = suffix[1], company_side
            how = f'"{part}" read as {name}, {company_side.value} side'
        person = directory.by_key.get(name.lower())
        if side is None and person is not None and person.side in (Side.BUYER, Side.SELLER):
            side = person.side
        if (
            side is None
            and rep_name
            and name.lower()
            in (
                rep_name.lower(),
                rep_name.split()[0].lower(),
            )
        ):
            side = Side.SELLER
        if side is None:
            side = _side_of_role(name)
        if side is None:
            side = default
        if m and not how:
            how = f'"{text}" read as {name}, {side.value if side else ""} side'
        yield side, name, how


def _side_of_role(text: str) -> Side | None:
    if _SELLER_ROLE_WORDS.search(text):
        return Side.SELLER
    if _BUYER_ROLE_WORDS.search(text):
        return Side.BUYER
    return None


_OWNER_FIELDS = ("owner", "buyer_owner", "seller_owner")


def _column_field(key: str | None, fields: Iterable[str | None]) -> str:
    """What the report calls a plan column: a Side column with no owner column beside it
    is the owner column (it gives each step's owners by side)."""
    if key == "side" and not any(f in _OWNER_FIELDS for f in fields):
        return "owner"
    return key or ""
