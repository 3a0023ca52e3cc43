"""Which side a person is on, for sharing: pure, values in and out."""

from __future__ import annotations

from collections.abc import Iterable

from addon.plan.models import ParsedMap
from sheets_schema.vocab import Side


def seller_side(email: str, rep_email: str, seller_domains: Iterable[str] = ()) -> bool:
    """The rep's colleagues and service accounts: never offered access, never revoked."""
    domain = email.rpartition("@")[2].lower()
    ours = {rep_email.rpartition("@")[2].lower(), *(d.lower() for d in seller_domains)}
    return domain in ours or domain.endswith(".gserviceaccount.com")


def stakeholder_offers(
    parsed: ParsedMap, rep_email: str, seller_domains: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """Buyer-side people with an address on the Stakeholders tab, as (email, name): the
    ones the registry does not know yet are offered to the rep."""
    out = []
    for person in parsed.stakeholders:
        email = person.email.strip().lower()
        if "@" not in email or person.side is Side.SELLER:
            continue
        if not seller_side(email, rep_email, seller_domains):
            out.append((email, person.name))
    return out
