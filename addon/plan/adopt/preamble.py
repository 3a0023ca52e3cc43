"""Everything outside the tables: the title, key-value lines ("Customer: Acme", "Target
signature: 3/15"), a heading with its text below, a list under a "Risks" heading, read into
the summary, people and risks; the companies a title or preamble names (read before the
tables are found again); and `deal_name`. Does not find or read the tables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from addon.plan.adopt.accounting import _State
from addon.plan.adopt.companies import _Companies, _mentions
from addon.plan.adopt.layout import _HEADINGS, _LONG, _RISK_HEADING
from addon.plan.adopt.model import Note, Source, _Table, _text
from addon.plan.adopt.tables import _outside
from addon.plan.dates import read_date
from addon.plan.grid import a1, is_blank
from addon.plan.models import Cell
from addon.plan.schedule import PlannedRisk, PlannedStakeholder
from sheets_schema.vocab import ROLE_LABELS, SELLER_ROLES, Role, Side
from sheets_schema.workbook import normalise_header

_KEYS: tuple[tuple[str, str], ...] = (
    (
        r"motivo|razón|por qué (?:ahora|esa fecha)|evento (?:clave|crítico)|raison|"
        r"pourquoi (?:maintenant|cette date)|événement déclencheur|warum (?:jetzt|bis dahin)|"
        r"grund|anlass|"
        r"compelling event|why now|why (?:this|that) date|date driver|deadline driver|"
        r"reason for (?:the )?date|critical event|key event|driver|anlass|événement",
        "close_reason",
    ),
    (
        r"fecha (?:objetivo )?de (?:firma|cierre)|fecha objetivo|date (?:cible )?de signature|"
        r"signature (?:cible|visée)|zieltermin(?: unterschrift)?|unterschrift(?: geplant| bis)?|"
        r"geplante unterzeichnung|abschlussdatum|"
        r"target (?:signature|signing|close|decision)|signature date|signing date|"
        r"(?:expected |target )?close date|decision date|contract signature|sign(?:ed)? by|"
        r"target date|unterschrift|date de signature|fecha de firma|closing date",
        "target_close",
    ),
    (
        r"objetivo(?: compartido| común)?|objectif(?: commun)?|ziele?|gemeinsames ziel|"
        r"(?:target|expected|intended) outcomes?|"
        r"desired outcome|(?:shared |joint |mutual |business |customer )?(?:outcomes?|goals?|"
        r"objectives?)|success (?:looks like|"
        r"criteria|metrics?)|what success looks like|desired state|vision|ziel|objectif|"
        r"objetivo|why (?:we are|we're) doing this|business case|the problem",
        "desired_outcome",
    ),
    (
        r"customer|client|buyer|account|prospect|company|organi[sz]ation|kunde|cliente|"
        r"empresa cliente|société cliente",
        "buyer_company",
    ),
    (r"vendor|seller|supplier|provider|partner|anbieter|fournisseur|proveedor", "seller_company"),
    (
        r"deal(?: name)?|opportunity(?: name)?|project(?: name)?|initiative|projekt|projet|"
        r"proyecto",
        "deal",
    ),
    (
        r"deal (?:value|size)|contract value|acv|arr|tcv|investment|budget|price|amount",
        "deal_value",
    ),
    (r"champion", "person:champion"),
    (r"economic buyer|decision maker|signer|signatory|budget holder", "person:economic_buyer"),
    (r"exec(?:utive)? sponsor", "person:executive_sponsor"),
    (r"account executive|ae|account manager|sales rep", "person:ae"),
    (r"sales engineer|solutions? (?:engineer|consultant)|se", "person:se"),
    (r"customer success(?: manager)?|csm", "person:csm"),
    (r"risks?|risk flags|known risks|riesgos?|risques?|risiken?", "risk"),
    (
        r"(?:customer|buyer|client|prospect)(?:'s)? (?:lead|contact|owner|sponsor|side)|"
        r"main contact|primary contact|point of contact|ansprechpartner(?: kunde)?",
        "person:buyer",
    ),
    (
        r"(?:vendor|seller|supplier|our)(?:'s)? (?:lead|contact|owner|side)|account owner|"
        r"deal owner|sales lead",
        "person:seller",
    ),
)


_KEY_PATTERNS = tuple((re.compile(rf"^(?:{words})$"), key) for words, key in _KEYS)


_KEY_VALUE = re.compile(r"^\s*([^:：]{2,40}?)\s*[:：]\s*(.*)$", re.S)


_TITLE = re.compile(
    r"aktionsplan|mutual (?:action|success) plan|\bmap\b|action plan|close plan|joint (?:execution|"
    r"evaluation) plan|success plan|\bplan\b|×|\sx\s|\|",
    re.I,
)


_TITLE_NOISE = re.compile(
    r"gemeinsamer aktionsplan|aktionsplan|maßnahmenplan|plan de acción(?: mutuo| conjunto)?|"
    r"plan d'action(?: mutuel| commun)?|plano de ação(?: mútuo)?|"
    r"mutual (?:action|success) plan|joint (?:execution|evaluation) plan|action plan|"
    r"close plan|success plan|\(?\bmap\b\)?|template",
    re.I,
)


_VERSUS = re.compile(r"\s+(?:×|x|X|\+|vs\.?|/|<>|&lt;&gt;|–|—|\|)\s+")


def _prescan_companies(
    source: Source, outside: Mapping[str, list[tuple[int, int]]], companies: _Companies
) -> None:
    """'Customer: Acme' and 'Vendor: Widgetco' outside the tables, else a title that pairs
    them ('Acme × Widgetco', the buyer first as MAP titles write it)."""
    titles: list[str] = []
    for tab, cells in outside.items():
        grid = source.grids[tab]
        for r, c in cells:
            value = grid[r][c]
            if not isinstance(value, str) or len(value) > _LONG:
                continue
            key, rest = _split_key(value)
            if key is None:
                if r < 10 and _TITLE.search(value):
                    titles.append(value)
                continue
            if not rest:
                rest = next((_text(v) for v in grid[r][c + 1 :] if not is_blank(v)), "")
            if key == "buyer_company" and rest:
                companies.add(Side.BUYER, rest)
            elif key == "seller_company" and rest:
                companies.add(Side.SELLER, rest)
    for title in titles:
        # "Plan: Acme × Widgetco", or "Acme × Widgetco: Mutual Action Plan"
        head, _, tail = title.partition(":")
        name = _TITLE_NOISE.sub(" ", tail if _VERSUS.search(tail) or not head else head)
        parts = [p.strip(" -—–|·:") for p in _VERSUS.split(name.strip(" -—–|·:")) if p.strip()]
        parts = [p for p in parts if p and len(p) <= 60]
        if len(parts) == 2:
            first, second = (companies.side_of_name(p) for p in parts)
            if second is not Side.BUYER and first is not Side.SELLER:
                companies.add(Side.BUYER, parts[0])
                companies.add(Side.SELLER, parts[1])
            elif first is Side.SELLER or second is Side.BUYER:
                companies.add(Side.SELLER, parts[0])
                companies.add(Side.BUYER, parts[1])
            break


def _split_key(text: str) -> tuple[str | None, str]:
    """'Customer: Acme' -> ('buyer_company', 'Acme'); 'Customer:' -> ('buyer_company', '')."""
    m = _KEY_VALUE.match(text)
    label, rest = (m[1], m[2].strip()) if m else (text, "")
    key = _key_of(label)
    if key is None or (not m and not _key_of(text.strip())):
        return None, ""
    return key, rest


def _key_of(label: str) -> str | None:
    name = normalise_header(label)
    for pattern, key in _KEY_PATTERNS:
        if pattern.match(name):
            return key
    return None


def _title_rest(title: str) -> str:
    """A title without the MAP boilerplate: 'MAP — Acme × Widgetco' -> 'Acme × Widgetco'."""
    cleaned = re.sub(r"\s+", " ", _TITLE_NOISE.sub(" ", title))
    return re.sub(r"^[\s:|—–\-·]+|[\s:|—–\-·]+$", "", cleaned)


def _fuller(company: str, title: str) -> str:
    """'Northwind' and a 'MUTUAL ACTION PLAN — Northwind Health' title: Northwind Health."""
    rest = _title_rest(title)
    if rest and _mentions(rest.lower(), company) and not _VERSUS.search(rest) and len(rest) <= 60:
        return rest
    return company


def _read_free_cells(
    state: _State,
    tables: list[_Table],
    summary: dict[str, str | date | float],
    people: list[PlannedStakeholder],
    risks: list[PlannedRisk],
    plan: _Table | None,
) -> None:
    by_row: dict[tuple[str, int], list[int]] = {}
    for tab, cells in _outside(state.source, tables).items():
        for r, c in cells:
            by_row.setdefault((tab, r), []).append(c)
    for tab, grid in state.source.grids.items():
        in_risks = False  # under a "RISK FLAGS" heading, until a blank row
        for r, row in enumerate(grid):
            free = [c for c in by_row.get((tab, r), []) if (tab, r, c) not in state.placed]
            if not free:
                in_risks = in_risks and not all(is_blank(v) for v in row)
                continue
            first = free[0]
            text = _text(row[first])
            if in_risks and len(free) == 1 and not _HEADINGS.match(text):
                risks.append(PlannedRisk(risk=text.lstrip("•-–* ").strip()))
                state.place(tab, r, first)
                continue
            if len(free) == 1 and _RISK_HEADING.match(text):
                in_risks = True
                state.place(tab, r, first)
                continue
            in_risks = False
            _key_values(state, tab, r, free, summary, people, risks)
            if (
                plan is not None
                and tab == plan.tab
                and r < plan.row
                and "title" not in summary
                and (tab, r, first) not in state.placed
                and len(text) <= _LONG
                and _TITLE.search(text)
            ):
                summary["title"] = text
                state.place(tab, r, first)


def _key_values(
    state: _State,
    tab: str,
    r: int,
    free: list[int],
    summary: dict[str, str | date | float],
    people: list[PlannedStakeholder],
    risks: list[PlannedRisk],
) -> None:
    grid = state.source.grids[tab]
    row = grid[r]
    i = 0
    while i < len(free):
        c = free[i]
        value = row[c]
        if not isinstance(value, str):
            i += 1
            continue
        key, rest = _split_key(value)
        if key is None:
            i += 1
            continue
        value_at: tuple[int, int] | None = None
        answer: Cell = rest or None
        labelled = value.rstrip().endswith((":", "："))
        if not rest and i + 1 < len(free) and (labelled or len(free) == 2):
            value_at = (r, free[i + 1])
            answer = row[free[i + 1]]
            i += 1
        elif not rest and len(free) == 1 and r + 1 < len(grid):  # a heading; text below
            below = [k for k, v in enumerate(grid[r + 1]) if not is_blank(v)]
            if (
                len(below) == 1
                and key in ("desired_outcome", "close_reason")
                and _split_key(_text(grid[r + 1][below[0]]))[0] is None
            ):
                value_at = (r + 1, below[0])
                answer = grid[r + 1][below[0]]
        i += 1
        if answer is None or is_blank(answer):
            continue
        if _take(state, key, answer, summary, people, risks):
            state.place(tab, r, c)
            if value_at:
                state.place(tab, *value_at)
            state.readings.append(
                Note(
                    tab,
                    a1(*(value_at or (r, c))),
                    _text(answer),
                    f"read as {key.replace('_', ' ')}",
                )
            )


_PERSON = re.compile(r"^\s*([^,(<@\n]+?)\s*(?:[,(<\-–—]\s*(.*?))?\s*\)?\s*$")


_EMAIL_IN = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def _take(
    state: _State,
    key: str,
    answer: Cell,
    summary: dict[str, str | date | float],
    people: list[PlannedStakeholder],
    risks: list[PlannedRisk],
) -> bool:
    text = _text(answer)
    if key == "risk":
        risks.append(PlannedRisk(risk=text))
        return True
    if key.startswith("person:"):
        email_m = _EMAIL_IN.search(text)
        email = email_m[0].lower() if email_m else ""
        m = _PERSON.match(_EMAIL_IN.sub("", text).replace("<>", "").strip())
        name = m[1].strip() if m else text
        extra = (m[2] or "").strip(" ,()") if m else ""
        if not name and not email:
            return False
        kind = key.split(":")[1]
        if kind in ("buyer", "seller"):  # "Customer lead: Maria, Director of FP&A (champion)"
            side = kind.title()
            role_text, notes = extra, ""
        else:
            role = Role(kind)
            side = "Seller" if role in SELLER_ROLES else "Buyer"
            role_text, notes = ROLE_LABELS[role], extra
        people.append(
            PlannedStakeholder(name or email.split("@")[0], email, side, role_text, notes=notes)
        )
        return True
    if key in summary:
        return False
    if key == "target_close":
        reading = read_date(
            answer, locale=state.locale, anchor=state.today, plan_start=state.plan_start
        )
        if reading.value is None and isinstance(answer, str):
            m = re.match(r"^(.+?)\s*(?:[—–(;]|\s-\s|,\s)\s*(.+?)\)?$", answer)
            if m:
                reading = read_date(m[1], locale=state.locale, anchor=state.today)
                if reading.value is not None and "close_reason" not in summary:
                    summary["close_reason"] = m[2].strip()
        if reading.value is None:
            return False
        summary[key] = reading.value
        return True
    if key == "deal_value":
        number = re.sub(r"[^\d.]", "", text.replace(",", ""))
        try:
            amount = float(number) if not isinstance(answer, int | float) else float(answer)
        except ValueError:
            return False
        if re.search(r"\d\s*k\b", text, re.I):
            amount *= 1000
        summary[key] = amount
        return True
    summary[key] = text
    return True


def deal_name(summary: Mapping[str, object], fallback: str) -> str:
    """The deal's name: what the source calls it, else its title without the boilerplate."""
    if summary.get("deal"):
        return str(summary["deal"])
    return _title_rest(str(summary.get("title", ""))) or fallback
