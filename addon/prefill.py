"""What the Create MAP form can guess from the open Gmail message's headers.

Pure: header values in, a Prefill out. The buyer contacts are the people on From/To/Cc who
are not on the seller's side (the rep's own domain and any configured seller domains) and
not on a free-mail domain; the company comes from the most common of their domains (the
registrable part, by the Public Suffix List that tldextract ships with, read offline); the
deal name is the subject without reply and forward prefixes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import getaddresses

import tldextract

from addon.plan.cells import EMAIL

# Consumer mail services: a person there is not a company we can name.
FREE_MAIL = frozenset(
    {
        "aol.com",
        "gmail.com",
        "googlemail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "hotmail.com",
        "hotmail.co.uk",
        "icloud.com",
        "live.com",
        "mac.com",
        "mail.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "web.de",
        "yahoo.com",
        "yahoo.co.uk",
        "yandex.com",
        "yandex.ru",
        "zoho.com",
    }
)
# Names reserved for documentation (RFC 2606, RFC 6761): northwind.example.com is Northwind.
_RESERVED = {"example", "test", "invalid", "localhost"}
_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|tr)\s*(?:\[\d+\])?\s*:|\[[^\]]*\])\s*", re.I)
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled snapshot


@dataclass(frozen=True)
class Prefill:
    contacts: tuple[str, ...]  # "Name <email>" or "email"
    company: str
    deal: str
    domains: tuple[str, ...]  # the buyers' email domains, most common first


def deal_from_subject(subject: str) -> str:
    text = subject.strip()
    while (m := _PREFIX.match(text)) and m.end() > 0:
        text = text[m.end() :]
    return text.strip()


def company_from_domain(domain: str) -> str:
    parts = _EXTRACT(domain)
    name = parts.domain
    if (name in _RESERVED or parts.suffix in _RESERVED or not parts.suffix) and parts.subdomain:
        name = parts.subdomain.split(".")[-1]
    elif name in _RESERVED and not parts.subdomain:
        name = ""
    words = re.split(r"[-_]+", name)
    return " ".join(w if w.isupper() else w.capitalize() for w in words if w)


def prefill(
    headers: Mapping[str, str], rep_email: str, seller_domains: Iterable[str] = ()
) -> Prefill:
    """`headers`: From, To, Cc, Subject as they arrived (any case of the names)."""
    by_name = {k.lower(): v for k, v in headers.items()}
    ours = {rep_email.rpartition("@")[2].lower(), *(d.strip().lower() for d in seller_domains)}
    ours.discard("")
    seen: dict[str, str] = {}
    for name, email in getaddresses([by_name.get(h, "") for h in ("from", "to", "cc")]):
        email = email.strip().lower()
        domain = email.rpartition("@")[2]
        if not EMAIL.match(email) or email in seen:
            continue
        if domain in ours or domain in FREE_MAIL or any(domain.endswith("." + d) for d in ours):
            continue
        name = name.strip().strip('"').replace("<", "").replace(">", "")
        seen[email] = f"{name} <{email}>" if name and name.lower() != email else email
    counts = Counter(e.rpartition("@")[2] for e in seen)
    domains = tuple(d for d, _ in counts.most_common())
    company = company_from_domain(domains[0]) if domains else ""
    return Prefill(
        tuple(seen.values()), company, deal_from_subject(by_name.get("subject", "")), domains
    )
