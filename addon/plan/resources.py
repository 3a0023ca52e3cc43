"""The Resources tab's values: what a link cell holds, what Drive said about a file, and
what each row and each step still lacks. Pure: text and dates in, values out.

A typed address is only ever read, never requested: a buyer could type
`http://169.254.169.254/` and the service must not call it. So a link is checked for its
form here; a Google Drive or Docs link is also checked with Drive's own API by its file id
(an adapter asks, `DriveFacts` is its answer), which says whether the file exists, is in
the trash, and whom it is shared with.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from urllib.parse import parse_qs, urlsplit

from addon.plan.dates import fmt
from addon.plan.grid import find_header, find_tab
from addon.plan.models import Cell, Grid, Step
from sheets_schema.vocab import ResourceKind, Side
from sheets_schema.workbook import RESOURCES


class LinkForm(StrEnum):
    NONE = "none"  # empty: not shared yet
    WEB = "web"  # a well-formed https (or http) address
    DRIVE = "drive"  # a Google Drive / Docs / Sheets / Slides file or folder
    BAD = "bad"  # something that is not a link anyone else can open


@dataclass(frozen=True)
class LinkReading:
    url: str  # the address read from the cell ("" when there is none)
    form: LinkForm
    drive_id: str = ""
    resource_key: str = ""  # Drive's resourcekey for link-shared files made before 2021
    problem: str = ""  # why it is not usable, and what to type instead
    notice: str = ""  # usable, but worth saying (a second link, http)
    folder: bool = False
    fix: bool = True  # the problem is a mistake to fix (False: only no link yet, said)

    @property
    def usable(self) -> bool:
        return self.form in (LinkForm.WEB, LinkForm.DRIVE)


_SCHEMES = r"https?|ftp|file|javascript|data|mailto|smb|vbscript"
_URL = re.compile(rf"(?:(?:{_SCHEMES}):(?://)?|www\.)[^\s<>\"'`]+", re.I)
_TYPO_SCHEME = re.compile(r"\b(h+t+p+s?|htps?|hhtps?|ttps?)(:/*|/{2,}|:\\+)(?=[\w.-])", re.I)
_BARE = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?::\d{2,5})?(?:[/?#]\S*)?$", re.I
)
_EMAIL = re.compile(r"^(?:mailto:)?[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}$", re.I)
URL_TRAILING = ".,;:!?)]}>'\"’”"  # punctuation a sentence leaves after a link
_DRIVE_HOSTS = frozenset({"drive.google.com", "docs.google.com", "sheets.google.com"})
_DRIVE_PATH = re.compile(
    r"/(?:file|document|spreadsheets|presentation|forms|drawings)(?:/u/\d+)?/d/([\w-]{20,})"
    r"|/drive/(?:u/\d+/)?folders/([\w-]{20,})",
)
_DRIVE_ID = re.compile(r"^[\w-]{20,}$")
_INTERNAL_SUFFIXES = (".local", ".internal", ".localhost", ".lan", ".corp", ".intranet", ".home")
_NO_LINK_YET = re.compile(
    r"^\s*(?:tbd|tbc|tba|n/?a|none|pending|to follow|to come|coming soon|soon|-+|—|–|\?+|"
    r"not (?:yet )?shared|not yet|folgt|kommt noch|ausstehend|noch nicht|offen|à venir|"
    r"a venir|à suivre|pendiente|por definir|próximamente)\s*\.?$",
    re.I,
)


def read_link(value: object) -> LinkReading:
    """A Link cell as typed: the address in it, its form, and what is wrong with it."""
    text = "" if value is None else str(value).strip()
    if not text:
        return LinkReading("", LinkForm.NONE)
    if _NO_LINK_YET.match(text):
        return LinkReading("", LinkForm.NONE, notice=f'"{text}": no link yet')
    if _EMAIL.match(text):
        return LinkReading(
            "",
            LinkForm.BAD,
            problem="an email address, not a link: paste the document's own link "
            "(a Drive share link, a data room or trust centre address)",
        )
    found = [m.group(0).rstrip(URL_TRAILING) for m in _URL.finditer(text)]
    if not found:
        typo = _TYPO_SCHEME.search(text)
        if typo and typo.group(0).lower() not in ("http://", "https://"):
            return LinkReading(
                "",
                LinkForm.BAD,
                problem=f'"{typo.group(0)}" is not the start of a web address: '
                "type https:// (two t's, a colon, two slashes)",
            )
        word = text.split()[0] if len(text.split()) == 1 else ""
        if word and _BARE.match(word.rstrip(URL_TRAILING)):
            found = [word.rstrip(URL_TRAILING)]
        else:
            return LinkReading(
                "",
                LinkForm.BAD,
                problem="no link here: paste the document's full address (https://…) "
                "so the other side can open it from the plan",
                fix=False,
            )
    first = found[0]
    if "…" in first or first.endswith("..."):
        return LinkReading(
            "",
            LinkForm.BAD,
            problem="this link was shortened with …: copy the whole link from the address bar",
        )
    reading = _one(first)
    if len(found) > 1 and reading.usable:
        more = (
            f"{len(found)} links in one cell: the first is used; give each document "
            "its own row so each can be checked"
        )
        return _with_notice(reading, more)
    return reading


def _with_notice(reading: LinkReading, notice: str) -> LinkReading:
    return replace(reading, notice="; ".join(n for n in (reading.notice, notice) if n))


def _one(text: str) -> LinkReading:
    lowered = text.lower()
    added_scheme = False
    if lowered.startswith("www.") or ("://" not in lowered and ":" not in lowered.split("/")[0]):
        text, added_scheme = f"https://{text}", True
        lowered = text.lower()
    scheme = lowered.split(":", 1)[0]
    if scheme in ("javascript", "data", "vbscript"):
        return LinkReading(
            "", LinkForm.BAD, problem=f"a {scheme}: address is not a document: paste its link"
        )
    if scheme == "file" or scheme == "smb":
        return LinkReading(
            "",
            LinkForm.BAD,
            problem="a file on one computer or network share: nobody else can open it; "
            "upload it (Drive, the data room) and paste that link",
        )
    if scheme == "mailto":
        return LinkReading(
            "", LinkForm.BAD, problem="an email address, not a link: paste the document's link"
        )
    if scheme not in ("http", "https"):
        return LinkReading(
            "", LinkForm.BAD, problem=f"a {scheme}: address: paste an https:// link instead"
        )
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return LinkReading("", LinkForm.BAD, problem="not a readable web address: paste it again")
    if not host:
        return LinkReading("", LinkForm.BAD, problem="no site in this address: paste it again")
    if parts.username or parts.password:
        return LinkReading(
            "",
            LinkForm.BAD,
            problem="this address holds a user name or password: remove it (and change "
            "that password), then share the document by link",
        )
    internal = _internal(host)
    if internal:
        return LinkReading(
            "",
            LinkForm.BAD,
            problem=f"{host} is {internal}: nobody outside your network can open it; "
            "paste a link the other side can reach",
        )
    notice = "read as https://…" if added_scheme else ""
    if scheme == "http":
        notice = "http:// is not encrypted: use the https:// address if the site has one"
    if host in _DRIVE_HOSTS:
        drive_id, folder = _drive_id(parts.path, parts.query)
        if drive_id:
            key = parse_qs(parts.query).get("resourcekey", [""])[0]
            return LinkReading(text, LinkForm.DRIVE, drive_id, key, notice=notice, folder=folder)
    return LinkReading(text, LinkForm.WEB, notice=notice)


def _drive_id(path: str, query: str) -> tuple[str, bool]:
    m = _DRIVE_PATH.search(path)
    if m:
        return (m[1] or m[2]), bool(m[2])
    if path.rstrip("/") in ("/open", "/uc", "/file/open"):
        found = parse_qs(query).get("id", [""])[0]
        if _DRIVE_ID.match(found):
            return found, False
    return "", False


def _internal(host: str) -> str:
    """Why a host is one nobody outside can reach ("" when it is a public name)."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if host == "localhost" or host.endswith(_INTERNAL_SUFFIXES):
            return "an internal name"
        if "." not in host:
            return "a name only your own network knows"
        return ""
    if ip.is_loopback:
        return "this computer's own address"
    if ip.is_link_local:
        return "a link-local address (a cloud metadata server answers there)"
    if ip.is_private or ip.is_reserved or ip.is_unspecified or ip.is_multicast:
        return "a private network address"
    return ""


def drive_links(grids: Mapping[str, Grid]) -> list[LinkReading]:
    """The Drive links on a workbook's Resources tab, read before the sync asks Drive."""
    readings = (
        read_link(link) for _, link in resource_cells(grids) or () if link not in (None, "")
    )
    return [r for r in readings if r.form is LinkForm.DRIVE]


def resource_cells(grids: Mapping[str, Grid]) -> tuple[tuple[Cell, Cell], ...] | None:
    """The Resources tab's data rows as read: (Resource, Link) cells as typed, in sheet
    order, for a writer that finds a row by its cells (Google's Sync note lookup); None
    when the workbook has no Resources tab."""
    found = find_tab(grids, RESOURCES)
    header = find_header(found[1], RESOURCES) if found else None
    if found is None or header is None:
        return None
    cols = header.columns

    def at(row: Sequence[Cell], key: str) -> Cell:
        c = cols.get(key)
        return row[c] if c is not None and c < len(row) else None

    return tuple((at(row, "title"), at(row, "link")) for row in found[1][header.row + 1 :])


# --- what Drive said -----------------------------------------------------------------------


@dataclass(frozen=True)
class DriveFacts:
    """Drive's answer to files.get for one file id, as the service sees it."""

    file_id: str
    found: bool  # False: 404 (no such file, or not shared with the service)
    trashed: bool = False
    name: str = ""
    # Whom the file is shared with: "anyone", "domain:example.com", "user:a@example.com".
    # None: Drive did not show the permissions (the service may not share the file).
    shared_with: tuple[str, ...] | None = None
    error: str = ""  # Drive could not be asked (quota, outage): say nothing, ask next time


class DriveState(StrEnum):
    OPENS = "opens"  # the buyer can open it
    NOT_SHARED = "not_shared"  # it exists; the buyer is not among those it is shared with
    NOT_FOUND = "not_found"
    TRASHED = "trashed"
    UNKNOWN = "unknown"  # not asked, or who can open it is not visible


def drive_state(
    facts: DriveFacts | None, buyer_emails: Iterable[str], buyer_domains: Iterable[str]
) -> DriveState:
    if facts is None or facts.error:
        return DriveState.UNKNOWN
    if not facts.found:
        return DriveState.NOT_FOUND
    if facts.trashed:
        return DriveState.TRASHED
    if facts.shared_with is None:
        return DriveState.UNKNOWN
    emails = {e.lower() for e in buyer_emails}
    domains = {d.lower() for d in buyer_domains}
    for grant in facts.shared_with:
        kind, _, who = grant.partition(":")
        if kind == "anyone":
            return DriveState.OPENS
        if kind == "domain" and who.lower() in domains:
            return DriveState.OPENS
        if kind in ("user", "group") and (
            who.lower() in emails or (who.lower().rpartition("@")[2] in domains and kind == "group")
        ):
            return DriveState.OPENS
    return DriveState.NOT_SHARED


def drive_note(state: DriveState, reading: LinkReading, buyer: str) -> str:
    what = "folder" if reading.folder else "file"
    if state is DriveState.NOT_FOUND:
        return (
            f"Drive has no {what} with this link that the MAP service can see: it was "
            f"deleted, or it is not shared. Share it with {buyer} (or anyone with the link) "
            "and paste its share link"
        )
    if state is DriveState.TRASHED:
        return f"this Drive {what} is in the trash: restore it, or paste the new copy's link"
    if state is DriveState.NOT_SHARED:
        return (
            f"{buyer} cannot open this Drive {what}: it is not shared with them. Share it "
            "with the people on the Stakeholders tab, their domain, or anyone with the link"
        )
    return ""


# --- rows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    row: int  # 0-based row in the Resources grid
    title: str
    kind: ResourceKind | None  # None: blank, or a word not understood (kind_text keeps it)
    kind_text: str
    steps: tuple[str, ...]  # the step ids it serves
    link_text: str  # the Link cell as typed
    link: LinkReading
    side: Side | None
    provider: str
    shared_on: date | None
    notes: str

    @property
    def key(self) -> str:
        return resource_key(self.title, self.link_text)


def resource_key(title: object, link: object) -> str:
    """How a row is known across syncs, merges and writers: its link, else its title."""
    url = read_link(link).url if link not in (None, "") else ""
    if url:
        parts = urlsplit(url)
        return "link:" + (parts.netloc.lower() + parts.path.rstrip("/") + _q(parts.query))
    words = re.sub(r"\s+", " ", str(title or "")).strip().lower()
    return "title:" + words if words else ""


def _q(query: str) -> str:
    return f"?{query}" if query else ""


_SIDE_WORDS: dict[str, Side] = {
    **dict.fromkeys(
        (
            "buyer",
            "customer",
            "client",
            "prospect",
            "buyer side",
            "käufer",
            "kaeufer",
            "kunde",
            "auftraggeber",
            "acheteur",
            "comprador",
        ),
        Side.BUYER,
    ),
    **dict.fromkeys(
        (
            "seller",
            "vendor",
            "supplier",
            "seller side",
            "provider",
            "anbieter",
            "verkäufer",
            "verkaeufer",
            "lieferant",
            "hersteller",
            "fournisseur",
            "vendeur",
            "proveedor",
            "vendedor",
        ),
        Side.SELLER,
    ),
}
# Words whose side depends on who typed them: a buyer's "us" is the seller's "them".
WHO_TYPED = frozenset(
    {"us", "we", "our", "ours", "our side", "them", "they", "their", "theirs", "their side"}
    | {"wir", "uns", "unsere", "sie", "nous", "eux", "nosotros", "ellos"}
)


def read_resource_side(text: str) -> Side | None:
    """Buyer / Seller in the tab's words and a few languages' ('Anbieter', 'Käufer')."""
    return _SIDE_WORDS.get(re.sub(r"\s+", " ", text.strip().lower()))


_KIND_WORDS: dict[ResourceKind, tuple[str, ...]] = {
    ResourceKind.SECURITY: (
        "security",
        "infosec",
        "info sec",
        "information security",
        "sec",
        "compliance",
        "privacy",
        "soc 2",
        "soc2",
        "iso",
        "pen test",
        "pentest",
        "dpa",
        "gdpr",
        "sicherheit",
        "sécurité",
        "seguridad",
    ),
    ResourceKind.LEGAL: (
        "legal",
        "contract",
        "contracts",
        "msa",
        "terms",
        "nda",
        "redlines",
        "agreement",
        "recht",
        "vertrag",
        "juridique",
        "contrat",
    ),
    ResourceKind.COMMERCIAL: (
        "commercial",
        "pricing",
        "price",
        "proposal",
        "quote",
        "roi",
        "business case",
        "finance",
        "financial",
        "order form",
        "kommerziell",
        "kaufmännisch",
        "kaufmaennisch",
        "preis",
        "preise",
        "angebot",
        "commercial terms",
        "commerce",
    ),
    ResourceKind.TECHNICAL: (
        "technical",
        "tech",
        "architecture",
        "it",
        "integration",
        "engineering",
        "product",
        "api",
        "technik",
        "technisch",
        "technique",
        "técnico",
    ),
    ResourceKind.OTHER: ("other", "misc", "general", "sonstiges", "autre", "otro", "andere"),
}
_KINDS = {w: k for k, words in _KIND_WORDS.items() for w in words}


def read_kind(text: str) -> ResourceKind | None:
    words = re.sub(r"[^\w ]+", " ", text).strip().lower()
    words = re.sub(r"\s+", " ", words)
    if not words:
        return None
    return _KINDS.get(words)


_GUESS: tuple[tuple[ResourceKind, re.Pattern[str]], ...] = (
    (
        ResourceKind.SECURITY,
        re.compile(
            r"soc ?2|iso ?27001|pen(?:etration)? ?test|security|dpa\b|data processing|caiq|"
            r"sig lite|questionnaire|gdpr|hipaa|privacy|sub-?processors?|trust",
            re.I,
        ),
    ),
    (
        ResourceKind.LEGAL,
        re.compile(r"\bmsa\b|contract|agreement|terms|redline|nda\b|\bsla\b|order form", re.I),
    ),
    (
        ResourceKind.COMMERCIAL,
        re.compile(r"proposal|pricing|quote|roi\b|business case|budget|invoice|tco\b", re.I),
    ),
    (
        ResourceKind.TECHNICAL,
        re.compile(r"architecture|integration|api\b|technical|diagram|runbook|sso|trial", re.I),
    ),
)


def guess_kind(title: str) -> ResourceKind | None:
    """The kind a title names ("SOC 2 Type II report" -> security), for imported rows."""
    for kind, pattern in _GUESS:
        if pattern.search(title):
            return kind
    return None


# --- what each row and step lacks -----------------------------------------------------------


@dataclass(frozen=True)
class ResourceNote:
    column: str  # the column key the note is about ("link", "title")
    message: str
    fix: bool  # something to fix (True) or only worth saying (False)


@dataclass(frozen=True)
class ResourceCheck:
    """One row's verdict beyond its cells' form: is its document there for the other
    side (Drive's answer), is it listed twice, is it needed now."""

    key: str
    row: int
    missing: bool
    notes: tuple[ResourceNote, ...]

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(n.message for n in self.notes)


def check_resources(
    resources: Sequence[Resource],
    steps: Sequence[Step],
    near: set[str],
    drive: Mapping[str, DriveFacts],
    buyer_emails: Iterable[str],
    buyer_domains: Iterable[str],
    buyer: str,
) -> tuple[ResourceCheck, ...]:
    """Each resource row's verdict. The link's form was reported by the parser on its cell;
    here: what Drive said of a Drive link, a link listed twice, a title missing, and, when
    the step it serves is near and it has no usable link, that it is needed now."""
    by_id = {s.id: s for s in steps}
    emails, domains = tuple(buyer_emails), tuple(buyer_domains)
    first_row: dict[str, int] = {}
    for r in resources:
        if r.link.url:
            first_row.setdefault(resource_key("", r.link_text), r.row)
    checks: list[ResourceCheck] = []
    for r in resources:
        notes: list[ResourceNote] = []
        missing = not r.link.usable
        if r.link.form is LinkForm.DRIVE:
            state = drive_state(drive.get(r.link.drive_id), emails, domains)
            if state in (DriveState.NOT_FOUND, DriveState.TRASHED, DriveState.NOT_SHARED):
                missing = True
                notes.append(ResourceNote("link", drive_note(state, r.link, buyer), True))
        first = first_row.get(resource_key("", r.link_text)) if r.link.url else None
        if first is not None and first != r.row:
            notes.append(ResourceNote("link", f"the same link as row {first + 1}", False))
        if not r.title and r.link.url:
            notes.append(
                ResourceNote("title", "say what this document is in the Resource column", True)
            )
        open_steps = [by_id[s] for s in r.steps if s in by_id and by_id[s].is_open]
        if missing and any(s.id in near for s in open_steps):
            step = min(open_steps, key=lambda s: s.due or date.max)
            when = f", due {fmt(step.due)}" if step.due else ""
            notes.append(
                ResourceNote(
                    "link",
                    f"needed for {step.id} ({short(step.step, 50)}{when}): paste the link "
                    "once it is shared",
                    False,
                )
            )
        checks.append(ResourceCheck(r.key, r.row, missing, tuple(notes)))
    return tuple(checks)


def short(text: str, limit: int) -> str:
    """Text cut at a word before `limit` characters, with … when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"


def still_missing(
    resources: Sequence[Resource], checks: Sequence[ResourceCheck]
) -> dict[str, tuple[Resource, ...]]:
    """Step id -> the resources it serves that have no usable link yet, in sheet order."""
    missing: dict[str, list[Resource]] = {}
    for r, check in zip(resources, checks, strict=True):
        if check.missing:
            for sid in r.steps:
                missing.setdefault(sid, []).append(r)
    return {sid: tuple(rs) for sid, rs in missing.items()}


def missing_on_open_steps(
    resources: Sequence[Resource], checks: Sequence[ResourceCheck], steps: Sequence[Step]
) -> int:
    """How many resources still lack a usable link while a step they serve is open (each
    counted once, however many open steps it serves)."""
    open_ids = {s.id for s in steps if s.is_open}
    lacking = still_missing(resources, checks)
    return len({r.row for sid, rs in lacking.items() if sid in open_ids for r in rs})


def provided_by(side: str, provider: str) -> str:
    """'Seller: Priya Shah', 'Priya Shah', 'Seller' or '' (`side` as the tab says it:
    "Buyer", "Seller"; anything else is not said)."""
    side = side if side in ("Buyer", "Seller") else ""
    return f"{side}: {provider}" if side and provider else (provider or side)


def missing_line(resources: Sequence[Resource]) -> str:
    """A step's sync note line: 'Still missing: SOC 2 report (from Seller: Priya Shah); DPA'."""
    parts = []
    for r in resources:
        who = provided_by(r.side.value.title() if r.side else "", r.provider)
        parts.append((r.title or r.link_text) + (f" (from {who})" if who else ""))
    return "Still missing: " + "; ".join(parts)


def near_steps(steps: Sequence[Step], today: date, days: int, also: Iterable[str] = ()) -> set[str]:
    """Open steps whose resources are needed now: due within `days` (or late), started,
    or named in `also` (the next step, the current blocker)."""
    soon = today + timedelta(days=days)
    out = set(also)
    for s in steps:
        if not s.is_open:
            continue
        if (s.due is not None and s.due <= soon) or (
            s.status is not None and s.status.value in ("in_progress", "blocked")
        ):
            out.add(s.id)
    return out
