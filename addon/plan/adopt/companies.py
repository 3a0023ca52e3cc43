"""The names each side goes by in a file (`_Companies`): "Acme", "Customer" or "Us", over an
owner column or alone in a cell, means a side. It is told the names (by the caller, the
preamble, the title, the owners); it finds none itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from addon.plan import cells as read
from sheets_schema.vocab import Side

_BUYER_WORDS = re.compile(
    r"\b(?:buyer|customer|client|prospect|them|their|account|kunde|kunden|cliente|acheteur|"
    r"comprador)\b"
)


_SELLER_WORDS = re.compile(
    r"\b(?:seller|vendor|supplier|provider|us|our|we|your company|internal|sales|rep|ae|"
    r"anbieter|lieferant|verkäufer|fournisseur|vendeur|proveedor|vendedor)\b"
)


@dataclass
class _Companies:
    """The names each side goes by in this file: 'Acme' over an owner column means a side."""

    buyers: list[str] = field(default_factory=list)
    sellers: list[str] = field(default_factory=list)

    @property
    def buyer(self) -> str:
        return self.buyers[0] if self.buyers else ""

    @property
    def seller(self) -> str:
        return self.sellers[0] if self.sellers else ""

    def add(self, side: Side, name: str) -> None:
        names = self.buyers if side is Side.BUYER else self.sellers
        other = self.sellers if side is Side.BUYER else self.buyers
        core = _company_core(name)
        if core and all(_company_core(n) != core for n in (*names, *other)):
            names.append(name.strip())

    def _named(self, lowered: str) -> Side | None:
        for names, side in ((self.buyers, Side.BUYER), (self.sellers, Side.SELLER)):
            if any(lowered == n.lower() or _mentions(lowered, n) for n in names):
                return side
        return None

    def side_of_words(self, text: str) -> Side | None:
        lowered = text.lower()
        if side := self._named(lowered):
            return side
        if _BUYER_WORDS.search(lowered):
            return Side.BUYER
        if _SELLER_WORDS.search(lowered):
            return Side.SELLER
        return None

    def side_of_name(self, text: str) -> Side | None:
        """A company or side named alone: 'Acme', 'Acme team', 'Customer', 'Us', 'Joint'."""
        lowered = text.strip().lower()
        stripped = re.sub(r"\b(?:team|side|company|org|the|all)\b", "", lowered).strip(" :-")
        stripped = re.sub(r"\s+", " ", stripped)
        for names, side in ((self.buyers, Side.BUYER), (self.sellers, Side.SELLER)):
            if any(stripped in (n.lower(), _company_core(n)) for n in names):
                return side
        return read.read_side(stripped) or _SIDE_ALONE.get(stripped)


_SIDE_ALONE = {
    "we": Side.SELLER,
    "our team": Side.SELLER,
    "sales": Side.SELLER,
    "they": Side.BUYER,
    "their team": Side.BUYER,
    "both sides": Side.BOTH,
    "both teams": Side.BOTH,
    "together": Side.BOTH,
    "shared": Side.BOTH,
    "kunde": Side.BUYER,
    "client": Side.BUYER,
    "cliente": Side.BUYER,
    "anbieter": Side.SELLER,
    "fournisseur": Side.SELLER,
    "proveedor": Side.SELLER,
    "beide": Side.BOTH,
    "les deux": Side.BOTH,
    "ambos": Side.BOTH,
    "gemeinsam": Side.BOTH,
}


def _mentions(lowered: str, company: str) -> bool:
    """'Ashcombe owner' mentions Ashcombe Housing Group: its core, or its first word when
    that is a name of its own (not 'First' or 'United')."""
    core = _company_core(company)
    if not core:
        return False
    if re.search(rf"\b{re.escape(core)}\b", lowered):
        return True
    first = core.split()[0]
    return (
        len(first) >= 5
        and first not in _COMMON_FIRST_WORDS
        and re.search(rf"\b{re.escape(first)}\b", lowered) is not None
    )


_COMMON_FIRST_WORDS = frozenset(
    {"first", "united", "global", "national", "general", "american", "north", "south"}
    | {"western", "eastern", "central", "international", "royal", "great", "smart", "digital"}
)


def _company_core(company: str) -> str:
    """'Acme Corp.' -> 'acme': the word people write for the company."""
    words = re.sub(r"[^\w\s&-]", " ", company.lower()).split()
    words = [w for w in words if w not in _COMPANY_SUFFIXES]
    return " ".join(words[:2])


_COMPANY_SUFFIXES = frozenset(
    {"inc", "corp", "corporation", "ltd", "llc", "gmbh", "ag", "sa", "plc", "co", "bv", "nv"}
)
