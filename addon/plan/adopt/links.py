"""Resources (issue 21, point 5): a resources table ("Resource | Link | Type | Owner"), a plan
column of links and the addresses typed into a step's notes -> `PlannedResource`s, the rows
of the new MAP's Resources tab. A table's rows are read before the steps are known
(`_read_resources`, which accounts for their cells) and tied to their steps after
(`_settle_resources`); a plan row's links are read with its step (`_step_links`).

A link is only read, never requested: its address and the title written with it
("Pen test summary: https://…", "[Pen test summary](https://…)", an Excel HYPERLINK), else a
title made up from the address's last part, with a note that says so."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import unquote, urlsplit

from addon.plan import cells as read
from addon.plan.adopt.accounting import _State
from addon.plan.adopt.companies import _company_core
from addon.plan.adopt.layout import _ATTACHMENT, _RESOURCES_HEADING, _is_resource_line
from addon.plan.adopt.model import Origin, _Table, _text
from addon.plan.adopt.rows import _Row
from addon.plan.adopt.stakeholders import _table_rows
from addon.plan.adopt.tables import _outside
from addon.plan.dates import DateKind, read_date
from addon.plan.models import Grid
from addon.plan.resources import (
    URL_TRAILING,
    LinkForm,
    guess_kind,
    read_kind,
    read_link,
    read_resource_side,
    resource_key,
)
from addon.plan.schedule import PlannedResource, PlannedStakeholder, PlannedStep

_Found = tuple[str, int, PlannedResource]  # tab, row (0-based), the resource


@dataclass(frozen=True)
class _Link:
    title: str
    url: str
    made_up: bool  # the title was made up from the address


_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'`|]+", re.I)
_MARKDOWN = re.compile(r"\[([^\]\n]+)\]\(\s*((?:https?://|www\.)[^)\s]+)\s*\)", re.I)
_HYPERLINK = re.compile(r'^\s*=?\s*HYPERLINK\(\s*"([^"]+)"\s*(?:[,;]\s*"([^"]*)"\s*)?\)\s*$', re.I)
# what joins a title to its address: "Pen test summary here: https://…", "see: https://…"
_JOINER = re.compile(
    r"(?:\s*(?:[:=|>→(\[\-–—]+|\b(?:here|at|see|via|link|is|in|on|->|url)\b))+\s*$", re.I
)
_LEADER = re.compile(r"^\s*(?:[•*\-–—>]+|\d{1,2}[.)]|see\b|and\b|also\b)\s*", re.I)
_NOT_A_NAME = re.compile(
    r"^(?:edit|view|preview|d|u|\d+|index\.html?|share|open|folders?|file|document|"
    r"spreadsheets|presentation)$",
    re.I,
)


def _links_in(text: str) -> list[_Link]:
    """Each address in a cell's text, with the title written before it (if any)."""
    formula = _HYPERLINK.match(text)
    if formula:
        url = formula[1].strip()
        title = (formula[2] or "").strip()
        return [_Link(title or _title_of(url), url, not title)]
    found: list[_Link] = []
    spans: list[tuple[int, int, _Link]] = []
    for m in _MARKDOWN.finditer(text):
        spans.append((m.start(), m.end(), _Link(m[1].strip(), m[2].strip(), False)))
    for m in _URL.finditer(text):
        if any(s <= m.start() < e for s, e, _ in spans):
            continue
        url = m.group(0).rstrip(URL_TRAILING)
        before = text[max((e for _, e, _ in spans if e <= m.start()), default=0) : m.start()]
        spans.append((m.start(), m.start() + len(url), _Link(_title_before(before), url, False)))
    for _, _, link in sorted(spans, key=lambda s: s[0]):
        if link.title:
            found.append(link)
        else:
            found.append(_Link(_title_of(link.url), link.url, True))
    return found


def _title_before(text: str) -> str:
    """The words just before an address, on its own line and after the last full stop."""
    piece = re.split(r"\n|[.;!?](?:\s|$)|\s[-–—]\s(?=\S)", text)[-1]
    title = _JOINER.sub("", piece).strip()
    title = _LEADER.sub("", title).strip(" ,;:-–—(")
    if not title or len(title) > 80 or not re.search(r"[^\W\d_]", title):
        return ""
    return title


_GOOGLE = {
    "drive.google.com": "Google Drive file",
    "docs.google.com": "Google Doc",
    "sheets.google.com": "Google Sheet",
}
_GOOGLE_KINDS = {
    "document": "Google Doc",
    "spreadsheets": "Google Sheet",
    "presentation": "Google Slides",
    "forms": "Google Form",
}


def _title_of(url: str) -> str:
    """A title made up from an address: its last path part, de-slugged ('pen-test_2026.pdf'
    -> 'Pen test 2026'), else its site."""
    try:
        parts = urlsplit(url if "://" in url else f"https://{url}")
    except ValueError:
        return url
    host = (parts.hostname or url).lower()
    if host in _GOOGLE:  # a Drive file's address names no document: say what it is
        folder = "/folders/" in parts.path
        kind = next((k for k in _GOOGLE_KINDS if f"/{k}/" in parts.path), "")
        return "Google Drive folder" if folder else _GOOGLE_KINDS.get(kind, _GOOGLE[host])
    segments = [unquote(s) for s in parts.path.split("/") if s.strip()]
    named = [s for s in segments if not _NOT_A_NAME.match(s) and not re.fullmatch(r"[\w-]{25,}", s)]
    if named:
        words = re.sub(r"\.[a-z0-9]{2,5}$", "", named[-1], flags=re.I)
        words = re.sub(r"[-_+.]+", " ", words).strip()
        if words:
            return words[0].upper() + words[1:]
    return host[4:] if host.startswith("www.") else host


def _made_up_note(link: _Link) -> str:
    return f'the title "{link.title}" was made up from the address: no name was written with it'


def _kind_of(title: str, url: str = "", made_up: bool = False, step: str = "") -> str:
    """The Kind a resource plainly is: its title's word ("Order form", "SOC 2 report"), a
    part of its address that names one (".../legal/dpa"); for a title made up from the
    address, the address first and then the step it serves ("Share security documents")."""
    path = ""
    if url:
        try:
            path = urlsplit(url if "://" in url else f"https://{url}").path
        except ValueError:
            path = ""
    by_path = next((k for part in path.lower().split("/") if part and (k := read_kind(part))), None)
    by_title = read_kind(title) or guess_kind(title)
    kind = (by_path or by_title or guess_kind(step)) if made_up else (by_title or by_path)
    return kind.label if kind else ""


def _side_of_host(url: str, state: _State, people: Sequence[PlannedStakeholder]) -> str:
    """A document on a side's own site is that side's: the host names its company, or is
    the domain of its people's email."""
    try:
        host = (urlsplit(url if "://" in url else f"https://{url}").hostname or "").lower()
    except ValueError:
        return ""
    if not host:
        return ""
    labels = set(host.split("."))
    for names, side in ((state.companies.sellers, "Seller"), (state.companies.buyers, "Buyer")):
        for name in names:
            core = re.sub(r"[^a-z0-9 ]", "", _company_core(name))
            joined = core.replace(" ", "")
            if joined and len(joined) >= 3 and (joined in labels or core.split()[0] in labels):
                return side
    for p in people:
        domain = p.email.split("@")[1] if "@" in p.email else ""
        if (
            domain
            and p.side in ("Buyer", "Seller")
            and (host == domain or host.endswith("." + domain))
        ):
            return p.side
    return ""


def _line(text: str) -> tuple[_Link | None, str, str]:
    """A line listing a document -> its link (None: no address), its title, and what the
    line says in place of an address ("in the data room", "not uploaded yet")."""
    body = _ATTACHMENT.sub("", text).strip()
    links = _links_in(body)
    if links:
        return links[0], links[0].title, ""
    parts = re.split(r"\s[—–-]\s|:\s", body, maxsplit=1)
    if len(parts) == 2:
        return None, parts[0].strip(), parts[1].strip()
    return None, body, ""


# --- a plan row's links: its links column and its notes -----------------------------------


def _step_links(
    rows: Sequence[_Row],
    steps: Sequence[PlannedStep],
    plan: _Table,
    state: _State,
    people: Sequence[PlannedStakeholder],
) -> list[_Found]:
    """Each address in a step's links column or its notes -> a resource for that step, and
    each line listing a document under a step (or under a "Resources" heading: no step). A
    links cell with no address names a resource not shared yet; the notes stay notes."""
    found: list[tuple[int, list[PlannedResource]]] = []
    for raw, step in zip(rows, steps, strict=True):
        side = _side_of_step(step)
        here: list[PlannedResource] = []
        for key in ("resources", "notes"):
            c, value = raw.cell(key)
            if value is None or c < 0:
                continue
            text = _text(value)
            links = _links_in(text)
            where = (
                f'the "{plan.headers.get(c, key)}" column' if key == "resources" else "its notes"
            )
            for link in links:
                here.append(
                    PlannedResource(
                        title=link.title,
                        kind=_kind_of(link.title, link.url, link.made_up, step.step),
                        step=step.id,
                        link=_usable(link.url),
                        side=_side_of_host(link.url, state, people) or side,
                        notes="" if key == "resources" else "from the step's notes",
                    )
                )
                made_up = f"; {_made_up_note(link)}" if link.made_up else ""
                state.note(
                    plan.tab,
                    raw.row,
                    c,
                    f'a link in {where}: resource "{link.title}" for {step.id}{made_up}',
                )
            if key == "resources" and not links:
                _links_cell_without_address(here, text, step, side, plan, raw.row, c, state)
        found.append((raw.row, here))
    grid = state.source.grids[plan.tab]
    for r, c, above in plan.lines:
        owner = steps[above] if above is not None else None
        res = _line_resource(_text(grid[r][c]), owner, state, people)
        state.place(plan.tab, r, c)
        where = f"for {owner.id}" if owner else "for no one step"
        state.note(plan.tab, r, c, f'a line listing a document: resource "{res.title}" {where}')
        found.append((r, [res]))
    return [(plan.tab, r, res) for r, group in found for res in group]


def _line_resource(
    text: str, step: PlannedStep | None, state: _State, people: Sequence[PlannedStakeholder]
) -> PlannedResource:
    link, title, rest = _line(text)
    url = link.url if link else ""
    made_up = bool(link and link.made_up)
    return PlannedResource(
        title=title,
        kind=_kind_of(title, url, made_up, step.step if step else ""),
        step=step.id if step else "",
        link=_usable(url) if url else "",
        side=(_side_of_host(url, state, people) if url else "")
        or (_side_of_step(step) if step and url else ""),
        notes=rest,
    )


def _free_lines(
    state: _State, tables: list[_Table], people: Sequence[PlannedStakeholder]
) -> list[_Found]:
    """Lines outside every table that list a document ("📄 Platform overview — https://…"
    under an "Overview" heading above the plan), and the "Resources" heading over them."""
    found: list[_Found] = []
    by_row: dict[tuple[str, int], list[int]] = {}
    for tab, cells in _outside(state.source, tables).items():
        for r, c in cells:
            by_row.setdefault((tab, r), []).append(c)
    for (tab, r), cols in by_row.items():
        if len(cols) != 1 or (tab, r, cols[0]) in state.placed:
            continue
        c = cols[0]
        text = _text(state.source.grids[tab][r][c])
        if _is_resource_line(text):
            res = _line_resource(text, None, state, people)
            state.place(tab, r, c)
            state.note(tab, r, c, f'a line listing a document: resource "{res.title}"')
            found.append((tab, r, res))
        elif _RESOURCES_HEADING.match(text):
            below = by_row.get((tab, r + 1), [])
            if len(below) == 1 and _is_resource_line(
                _text(state.source.grids[tab][r + 1][below[0]])
            ):
                state.place(tab, r, c)
                state.note(tab, r, c, "a list of resources follows")
    return found


def _links_cell_without_address(
    found: list[PlannedResource],
    text: str,
    step: PlannedStep,
    side: str,
    plan: _Table,
    r: int,
    c: int,
    state: _State,
) -> None:
    if read_link(text).form is LinkForm.NONE:  # "TBD", "—": no resource named
        state.placed.discard((plan.tab, r, c))
        state.why(plan.tab, r, c, "a links cell with no address and no document named")
        return
    found.append(PlannedResource(title=text, kind=_kind_of(text), step=step.id, side=side))
    state.note(plan.tab, r, c, f"no address in it: a resource for {step.id}, not shared yet")


def _side_of_step(step: PlannedStep) -> str:
    if step.buyer_owner and not step.seller_owner:
        return "Buyer"
    if step.seller_owner and not step.buyer_owner:
        return "Seller"
    return ""


def _usable(url: str) -> str:
    reading = read_link(url)
    return reading.url if reading.usable else url


# --- a resources table ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Pending:
    """A resources table's row, its step still named as the source names it."""

    resource: PlannedResource  # .step: the source's text, settled later
    tab: str
    row: int
    step_col: int


_FILLER = re.compile(
    r"\b(?:documents?|docs?|documentation|materials?|resources?|links?|files?|collateral|"
    r"review|items?|and|&|the|our|their)\b",
    re.I,
)


def _heading_kind(text: str) -> str:
    """'Security', 'Legal documents', 'COMMERCIAL' alone on a row: the Kind of the rows
    below; '' when the heading names no kind."""
    kind = read_kind(text)
    if kind is None:
        words = _FILLER.sub(" ", text.rstrip(":")).strip()
        kind = read_kind(words) if words else None
        if kind is None and words:
            kinds = {read_kind(w) for w in words.split()}
            kind = kinds.pop() if len(kinds) == 1 else None
    return kind.label if kind else ""


def _read_resources(table: _Table, state: _State) -> list[_Pending]:
    grid = state.source.grids[table.tab]
    pending: list[_Pending] = []
    section = ""  # the Kind a heading row above gives
    title_col = table.fields.get("title", -1)
    rows = _table_rows(table, state, heading=lambda t: bool(_heading_kind(t)))
    for r, values in rows:
        texts = {k: t for k, (_, t) in values.items()}
        if (
            len(values) == 1
            and "link" not in values
            and not _URL.search(next(iter(texts.values())))
        ):
            (key, (c, alone)) = next(iter(values.items()))
            kind = _heading_kind(alone)
            if kind:
                section = kind
                state.note(table.tab, r, c, f'a heading: Kind "{kind}" for the rows below')
                continue
            if key != "title" or alone.endswith(":") or (alone.isupper() and len(alone) > 3):
                state.placed.discard((table.tab, r, c))
                state.why(table.tab, r, c, "a heading in the resources table that names no kind")
                section = ""
                continue
        title = texts.get("title", "")
        link_text = texts.get("link", "")
        link = ""
        notes: list[str] = []
        source = link_text or (title if _URL.search(title) else "")
        if source:
            links = _links_in(source)
            if links:
                first = links[0]
                link = _usable(first.url)
                if source is title or not title:
                    title = first.title
                    if first.made_up:
                        c = values.get("link", values.get("title", (title_col, "")))[0]
                        state.note(table.tab, r, c, _made_up_note(first))
                if len(links) > 1:
                    notes.append("Also: " + ", ".join(k.url for k in links[1:]))
            elif read_link(link_text).usable:  # "trust.example.com/pack": no scheme typed
                link = read_link(link_text).url
            elif read_link(link_text).form is not LinkForm.NONE:
                notes.append(link_text)  # "In the data room": where it is, not a link
                c = values["link"][0]
                state.note(table.tab, r, c, "no address: kept in the resource's notes")
        kind = _kind(
            texts.get("kind", ""), values, section, title, link, notes, table.tab, r, state
        )
        side_text = texts.get("side", "")
        side = read_resource_side(side_text) if side_text else None
        side = side or (state.companies.side_of_name(side_text) if side_text else None)
        shared = _shared_on(values, grid, table.tab, r, state)
        if texts.get("notes"):
            notes.insert(0, texts["notes"])
        if side_text and side is None:
            notes.append(f"Side as given: {side_text}")
        pending.append(
            _Pending(
                PlannedResource(
                    title=title,
                    kind=kind,
                    step=texts.get("step", ""),
                    link=link,
                    side=side.value.title() if side else "",
                    provider=texts.get("provider", ""),
                    shared_on=shared,
                    notes="; ".join(notes),
                ),
                table.tab,
                r,
                values.get("step", (-1, ""))[0],
            )
        )
    return pending


def _kind(
    text: str,
    values: dict[str, tuple[int, str]],
    section: str,
    title: str,
    link: str,
    notes: list[str],
    tab: str,
    r: int,
    state: _State,
) -> str:
    """The Kind column's word, a heading's above, else what the title plainly is. A type
    no Kind says ("Video", "Case study") is kept in the notes."""
    if text:
        heading = _heading_kind(text)
        if heading:
            return heading
        notes.append(f"Type: {text}")
        state.note(
            tab,
            r,
            values["kind"][0],
            "no Kind of the Resources tab (Security, Legal, Commercial, Technical, Other): "
            "kept in the resource's notes",
        )
    return section or _kind_of(title, link)


def _shared_on(
    values: dict[str, tuple[int, str]], grid: Grid, tab: str, r: int, state: _State
) -> date | None:
    if "shared_on" not in values:
        return None
    c = values["shared_on"][0]
    value = grid[r][c]
    reading = read_date(value, locale=state.locale, anchor=state.today)
    if reading.kind is DateKind.EXACT and reading.value is not None:
        if isinstance(value, str):
            state.note(tab, r, c, f"read as {reading.value.isoformat()}")
        return reading.value
    state.note(tab, r, c, "not a date: kept in the resource's notes", problem=True)
    return None


# --- tying each resource to its step ----------------------------------------------------------


def _settle_resources(
    pending: Sequence[_Pending],
    found: Sequence[_Found],
    steps: Sequence[PlannedStep],
    origins: Sequence[Origin],
    people: Sequence[PlannedStakeholder],
    state: _State,
) -> list[PlannedResource]:
    """All resources in source order (tab by tab, row by row): a table's rows with their
    step named by id (ours or the source's) or by text, as dependencies are, and their side
    from the provider on the Stakeholders tab or the site; the links read from the plan and
    the lines around it. An address a table already lists only lends it its step."""
    known = {s.id: s.step for s in steps}
    by_source = {_key(o.source_id): o.step_id for o in origins if o.source_id}
    phases: dict[str, str] = {}
    for s in steps:
        if s.phase:
            phases.setdefault(s.phase.strip().lower(), s.id)
    sides = {p.name.strip().lower(): p.side for p in people if p.side in ("Buyer", "Seller")}
    tabs = list(state.source.grids)
    rows: list[tuple[int, int, bool, PlannedResource]] = []
    for p in pending:
        res = p.resource
        ref = res.step.strip()
        step = ""
        notes = res.notes
        if ref:
            step = _step_named(ref, by_source, known, phases)
            if step:
                if step != ref:
                    how = "a phase: its first step" if ref.lower() in phases else step
                    state.note(p.tab, p.row, p.step_col, f"the step it serves: {how}")
            else:
                notes = "; ".join(n for n in (notes, f"For step as given: {ref}") if n)
                state.note(
                    p.tab,
                    p.row,
                    p.step_col,
                    "names no step of the plan: kept in the resource's notes",
                    problem=True,
                )
        side = (
            res.side
            or sides.get(res.provider.strip().lower(), "")
            or (_side_of_host(res.link, state, people) if res.link else "")
        )
        rows.append(
            (tabs.index(p.tab), p.row, True, replace(res, step=step, side=side, notes=notes))
        )
    rows += [(tabs.index(tab), r, False, res) for tab, r, res in found]
    rows.sort(key=lambda x: (x[0], x[1]))
    listed = {
        resource_key(r.title, r.link): i for i, (_, _, t, r) in enumerate(rows) if t and r.link
    }
    settled: dict[int, PlannedResource] = {}
    for i, (_, _, table, res) in enumerate(rows):
        key = resource_key(res.title, res.link)
        if not table and res.link and key in listed:
            j = listed[key]
            had = settled.get(j, rows[j][3])
            if not had.step:
                settled[j] = replace(had, step=res.step, side=had.side or res.side)
            continue
        settled.setdefault(i, res)
    return [settled[i] for i in sorted(settled)]


def _key(text: str) -> str:
    return re.sub(r"[\s#.]+", "", text.lower()).lstrip("0") or text.lower()


def _step_named(
    ref: str, by_source: dict[str, str], known: dict[str, str], phases: dict[str, str]
) -> str:
    if ref.upper() in known:
        return ref.upper()
    if (hit := by_source.get(_key(ref))) is not None:
        return hit
    number = re.fullmatch(r"(?:#|step|s)?\s*0*(\d{1,3})", ref, re.I)
    if number and not by_source and f"S{int(number[1]):02d}" in known:
        return f"S{int(number[1]):02d}"
    if ref.strip().lower() in phases:
        return phases[ref.strip().lower()]
    found = read.find_step(ref, known)
    return found[0] if found else ""
