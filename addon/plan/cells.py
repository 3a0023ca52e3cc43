"""Reading the non-date cells a buyer types: statuses, owners, dependencies, thresholds."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from addon.plan.models import Owner, OwnerKind, Stakeholder
from sheets_schema.vocab import ROLE_LABELS, STATUS_LABELS, Role, Side, Status

STATUS_HINT = "type one of: " + ", ".join(STATUS_LABELS.values())

_STATUS_WORDS: dict[Status, tuple[str, ...]] = {
    Status.DONE: (
        "done",
        "complete",
        "completed",
        "finished",
        "closed",
        "signed",
        "approved",
        "yes",
        "y",
        "accepted",
        "delivered",
        "received",
        "resolved",
        "achieved",
        "ok",
        "live",
        "submitted",
        "erledigt",
        "fertig",
        "abgeschlossen",
        "terminé",
        "termine",
        "fait",
        "hecho",
        "completado",
        "terminado",
        "concluído",
        "concluido",
        "feito",
        "fatto",
        "completato",
        "klaar",
        "afgerond",
        "gereed",
        "klart",
        "valmis",
        "完了",
        "已完成",
    ),
    Status.IN_PROGRESS: (
        "in progress",
        "in-progress",
        "inprogress",
        "started",
        "ongoing",
        "wip",
        "underway",
        "under way",
        "working",
        "working on it",
        "in review",
        "under review",
        "reviewing",
        "in flight",
        # -- issue 20 (import detection): export formats' status words --
        "progressing",  # Paperflite deal rooms: Not Started / Progressing / Completed
        # -- end issue 20 --
        "active",
        "doing",
        "partially done",
        "partial",
        "almost done",
        "in bearbeitung",
        "läuft",
        "laeuft",
        "in arbeit",
        "en cours",
        "en progreso",
        "en curso",
        "em andamento",
        "em progresso",
        "in corso",
        "bezig",
        "pågår",
        "進行中",
    ),
    Status.NOT_STARTED: (
        "not started",
        "not-started",
        "to do",
        "todo",
        "to-do",
        "open",
        "pending",
        "planned",
        "scheduled",
        "not scheduled",
        "not yet",
        "no",
        "n",
        "new",
        "queued",
        "upcoming",
        "backlog",
        "next",
        "offen",
        "nicht begonnen",
        "geplant",
        "à faire",
        "a faire",
        "pas commencé",
        "pas commence",
        "prévu",
        "pendiente",
        "no iniciado",
        "por hacer",
        "não iniciado",
        "nao iniciado",
        "pendente",
        "da fare",
        "non iniziato",
        "open staan",
        "未着手",
    ),
    Status.BLOCKED: (
        "blocked",
        "stuck",
        "blocker",
        "at a standstill",
        "stalled",
        "escalated",
        "blockiert",
        "bloqué",
        "bloque",
        "bloqueado",
        "bloccato",
        "geblokkeerd",
    ),
    Status.ON_HOLD: (
        "on hold",
        "on-hold",
        "hold",
        "paused",
        "waiting",
        "deferred",
        "postponed",
        "parked",
        "pausiert",
        "zurückgestellt",
        "en attente",
        "en pausa",
        "en espera",
        "em espera",
        "in attesa",
        "in de wacht",
    ),
    Status.SKIPPED: (
        "skipped",
        "skip",
        "n/a",
        "na",
        "not applicable",
        "not needed",
        "not required",
        "cancelled",
        "canceled",
        "dropped",
        "removed",
        "won't do",
        "wont do",
        "descoped",
        "skipped (n/a)",
        "entfällt",
        "entfaellt",
        "nicht zutreffend",
        "sans objet",
        "no aplica",
        "não se aplica",
        "non applicabile",
        "vervalt",
    ),
}
_SYMBOLS: dict[str, Status] = {
    "✅": Status.DONE,
    "✓": Status.DONE,
    "✔": Status.DONE,
    "☑": Status.DONE,
    "🗹": Status.DONE,
    "●": Status.DONE,
    "✔️": Status.DONE,
    "☒": Status.DONE,
    "🎉": Status.DONE,
    "👍": Status.DONE,
    "◐": Status.IN_PROGRESS,
    "◑": Status.IN_PROGRESS,
    "◒": Status.IN_PROGRESS,
    "🔄": Status.IN_PROGRESS,
    "⏳": Status.IN_PROGRESS,
    "🚧": Status.IN_PROGRESS,
    "🏃": Status.IN_PROGRESS,
    "▶": Status.IN_PROGRESS,
    "⌛": Status.IN_PROGRESS,
    "☐": Status.NOT_STARTED,
    "○": Status.NOT_STARTED,
    "⬜": Status.NOT_STARTED,
    "□": Status.NOT_STARTED,
    "◯": Status.NOT_STARTED,
    "🔲": Status.NOT_STARTED,
    "📅": Status.NOT_STARTED,
    "🗓": Status.NOT_STARTED,
    "⛔": Status.BLOCKED,
    "🛑": Status.BLOCKED,
    "🚫": Status.BLOCKED,
    "❌": Status.BLOCKED,
    "✗": Status.BLOCKED,
    "✘": Status.BLOCKED,
    "🧱": Status.BLOCKED,
    "⏸": Status.ON_HOLD,
    "⏸️": Status.ON_HOLD,
    "✋": Status.ON_HOLD,
    "➖": Status.SKIPPED,
    "⊘": Status.SKIPPED,
    "—": Status.SKIPPED,
    "–": Status.SKIPPED,
}
_WORD_INDEX: dict[str, Status] = {w: s for s, words in _STATUS_WORDS.items() for w in words}
for _s, _label in STATUS_LABELS.items():
    _WORD_INDEX[_label.lower()] = _s
_LONGEST_FIRST = sorted(_WORD_INDEX, key=len, reverse=True)
# A status word at the start of the text, longest first, ending at a word boundary.
_LEADING_WORD = re.compile(
    "(?:" + "|".join(re.escape(w) for w in _LONGEST_FIRST) + r")(?!\w)", re.IGNORECASE
)
_SYMBOLS_LONGEST_FIRST = sorted(_SYMBOLS, key=len, reverse=True)
_PERCENT = re.compile(r"^(\d{1,3})(?:[.,]\d+)?\s*%")


@dataclass(frozen=True)
class StatusReading:
    status: Status | None  # None: nothing understood
    rest: str = ""  # what followed the status word ("PO pending"), worth a notice
    empty: bool = False


def _strip_marks(text: str) -> str:
    return "".join(
        ch
        for ch in text
        if unicodedata.category(ch) not in ("Mn", "Cf", "So", "Sk") and ch != "\ufe0f"
    ).strip()


def read_status(value: object) -> StatusReading:
    """Words, symbols, emoji, percentages, checkboxes, other languages. Never raises."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return StatusReading(None, empty=True)
    if isinstance(value, bool):
        return StatusReading(Status.DONE if value else Status.NOT_STARTED)
    if isinstance(value, int | float):
        if value in (0, 1) or 0 < value < 1:  # a checkbox or a fraction done
            if value >= 1:
                return StatusReading(Status.DONE)
            return StatusReading(Status.IN_PROGRESS if value else Status.NOT_STARTED)
        return StatusReading(None)
    return _read_status_text(str(value).strip())


@lru_cache(maxsize=4096)
def _read_status_text(text: str) -> StatusReading:
    if "?" in text:  # "Done?", "Fait ?": a question, not a status
        return StatusReading(None)
    symbol = None
    if text and not text[0].isascii():  # symbols and emoji are never ASCII
        for sym in _SYMBOLS_LONGEST_FIRST:
            if text.startswith(sym):
                symbol = _SYMBOLS[sym]
                text = text[len(sym) :].strip(" -:–—\ufe0f")
                break
    words = _read_words(text)
    if words.status is not None:
        return words
    if symbol is not None:
        return StatusReading(symbol, _strip_marks(text))
    return StatusReading(None)


def _read_words(text: str) -> StatusReading:
    clean = re.sub(r"\s+", " ", _strip_marks(text)).strip(" .!")
    lowered = clean.lower()
    if not lowered:
        return StatusReading(None)
    if lowered in _WORD_INDEX:
        return StatusReading(_WORD_INDEX[lowered])
    if m := _PERCENT.match(lowered):
        pct = int(m[1])
        status = (
            Status.DONE if pct >= 100 else Status.NOT_STARTED if pct == 0 else (Status.IN_PROGRESS)
        )
        return StatusReading(status, lowered[m.end() :].strip(" -:–—,;()"))
    m = _LEADING_WORD.match(clean)
    leading = _WORD_INDEX.get(m[0].lower()) if m else None
    if m is None or leading is None:
        return StatusReading(None)
    return StatusReading(leading, clean[m.end() :].strip(" -:–—,;()/"))


# --- owners -----------------------------------------------------------------------------

PLACEHOLDER_OWNERS = frozenset(
    {
        "tbd",
        "tbc",
        "tba",
        "?",
        "??",
        "-",
        "—",
        "–",
        "n/a",
        "na",
        "none",
        "unknown",
        "x",
        "someone",
        "anyone",
        "to be confirmed",
        "to be decided",
        "to be determined",
        "pending",
        "both",
        "us",
        "them",
        "we",
        "they",
        "team",
        "all",
    }
)
ROLE_WORDS = frozenset(
    {
        "legal",
        "procurement",
        "purchasing",
        "security",
        "infosec",
        "it",
        "finance",
        "team",
        "department",
        "dept",
        "cfo",
        "ceo",
        "cto",
        "cio",
        "ciso",
        "coo",
        "cro",
        "cmo",
        "vp",
        "svp",
        "evp",
        "director",
        "head",
        "of",
        "manager",
        "mgr",
        "champion",
        "buyer",
        "economic",
        "technical",
        "evaluator",
        "sales",
        "ops",
        "operations",
        "engineering",
        "compliance",
        "exec",
        "executive",
        "sponsor",
        "admin",
        "our",
        "their",
        "the",
        "board",
        "committee",
        "counsel",
        "general",
        "gc",
        "ae",
        "se",
        "csm",
        "account",
        "solutions",
        "engineer",
        "success",
        "customer",
        "vendor",
        "seller",
        "revops",
        "hr",
        "people",
        "privacy",
        "dpo",
        "architect",
        "architecture",
        "data",
        "review",
        "reviewer",
        "lead",
        "leadership",
        "steering",
        "user",
        "users",
        "end",
        "project",
        "pm",
        "pmo",
        "implementation",
        "partner",
        "accounts",
        "payable",
        "ap",
        "treasury",
        "risk",
        "audit",
        "network",
        "infra",
        "infrastructure",
        "platform",
        "product",
        "marketing",
        "support",
        "rep",
        "approver",
        "signatory",
        "signer",
        "stakeholder",
        "stakeholders",
        "group",
        "office",
        "owner",
        "and",
        "&",
        "+",
        "/",
        "staff",
        "analyst",
        "chief",
        "officer",
        "president",
        "founder",
        "cso",
        "cpo",
        "cdo",
        "legal's",
        "it's",
    }
)
_SPLIT_OWNERS = re.compile(r"\s*(?:\+|&|,|;|\band\b|\n|/)\s*", re.IGNORECASE)
EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PLACEHOLDER_IN = re.compile(r"\b(tbd|tbc|tba|to be (?:confirmed|decided|determined))\b", re.I)


@dataclass(frozen=True)
class People:
    """The Stakeholders tab as lookups, built once per MAP: by email, full name, first name."""

    by_key: dict[str, Stakeholder]
    all: tuple[Stakeholder, ...]
    read: dict[str, tuple[Owner, ...]] = field(default_factory=dict)  # owners repeat per plan

    @classmethod
    def of(cls, stakeholders: Sequence[Stakeholder]) -> People:
        by_key: dict[str, Stakeholder] = {}
        firsts: dict[str, list[Stakeholder]] = {}
        for person in stakeholders:
            if person.name:
                firsts.setdefault(person.name.split()[0].lower(), []).append(person)
        for first, group in firsts.items():
            if len(group) == 1:  # a first name two people share names nobody
                by_key[first] = group[0]
        for person in stakeholders:
            if person.name:
                by_key[person.name.lower()] = person
        for person in stakeholders:
            if person.email:
                by_key[person.email.lower()] = person
        return cls(by_key, tuple(stakeholders))


def read_owners(value: object, people: People | Sequence[Stakeholder]) -> tuple[Owner, ...]:
    """'Sarah + CFO' names two owners; 'Legal - TBD' is a placeholder, not an owner."""
    if value is None:
        return ()
    text = str(value).strip()
    if not text:
        return ()
    if _PLACEHOLDER_IN.search(text) or text.lower() in PLACEHOLDER_OWNERS:
        return (Owner(text, OwnerKind.PLACEHOLDER),)
    index = people if isinstance(people, People) else People.of(people)
    if (known := index.read.get(text)) is not None:
        return known
    parts = [_unwrap(p) for p in _SPLIT_OWNERS.split(_SIDE_PREFIX.sub("", text))]
    owners = index.read[text] = tuple(_read_one(p, index) for p in parts if p)
    return owners


def _unwrap(part: str) -> str:
    """' (Dana) ' -> 'Dana'; 'Lee Okafor (legal)' keeps its closing bracket."""
    part = part.strip()
    while len(part) >= 2 and part[0] in "([" and part[-1] in ")]":
        part = part[1:-1].strip()
    if part.count("(") < part.count(")"):
        part = part.strip(")").strip()
    elif part.count("(") > part.count(")"):
        part = part.strip("(").strip()
    return part


_ANNOTATION = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")  # "Lee Okafor (legal)": the "(legal)"


_SIDE_PREFIX = re.compile(r"^(?:buyer|customer|client|seller|vendor|us|them)\s*:\s*", re.I)


def _read_one(text: str, people: People) -> Owner:
    lowered = text.lower()
    if lowered in PLACEHOLDER_OWNERS:
        return Owner(text, OwnerKind.PLACEHOLDER)
    person = people.by_key.get(lowered) or people.by_key.get(_ANNOTATION.sub("", lowered))
    if person is not None:
        return Owner(text, OwnerKind.PERSON, person.name or person.email, person.email or None)
    # "Dana (Legal)", "Dana W." — match on the leading name words.
    lead = re.split(r"[\s(]+", lowered)
    if len(lead) >= 2 and (initial := lead[1].rstrip(".")):
        for person in people.all:
            names = person.name.lower().split() if person.name else []
            if len(names) >= 2 and lead[0] == names[0] and names[1].startswith(initial):
                return Owner(text, OwnerKind.PERSON, person.name, person.email or None)
    if EMAIL.match(text):
        return Owner(text, OwnerKind.UNLISTED, None, text)
    tokens = re.findall(r"[\w'&+/]+", lowered)
    if tokens and all(t in ROLE_WORDS for t in tokens):
        return Owner(text, OwnerKind.ROLE)
    return Owner(text, OwnerKind.UNLISTED, text)


PLACEHOLDER_NOTICE = "a placeholder, not an owner: name the person who will do it"


def owner_notice(owner: Owner) -> str | None:
    if owner.kind is OwnerKind.PLACEHOLDER:
        return PLACEHOLDER_NOTICE
    if owner.kind is OwnerKind.ROLE:
        return (
            f'"{owner.text}" is a role or a team, not a person: name the person '
            "and add them on the Stakeholders tab"
        )
    if owner.kind is OwnerKind.UNLISTED:
        return f'"{owner.text}" is not on the Stakeholders tab: add them there'
    return None


# --- dependencies -----------------------------------------------------------------------

_ID_LIST = re.compile(r"^[Ss]0*[1-9]\d{0,3}(?:\s*[,;]\s*[Ss]0*[1-9]\d{0,3})*$")
_ID_NUMBER = re.compile(r"\d+")
NO_DEPENDENCY = frozenset(
    {
        "",
        "-",
        "—",
        "–",
        "none",
        "n/a",
        "na",
        "no",
        "nil",
        "x",
        "/",
        "keine",
        "aucune",
        "ninguna",
        "nessuna",
    }
)
_ID = re.compile(r"^(?:s|step|#|m|row)?\s*0*(\d{1,4})$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def normalise_id(text: str) -> str | None:
    m = _ID.match(text.strip())
    if not m or int(m[1]) == 0:
        return None
    return f"S{int(m[1]):02d}"


@dataclass(frozen=True)
class DependsReading:
    ids: tuple[str, ...]
    unreadable: tuple[str, ...]  # parts that name no step
    notes: tuple[str, ...]  # how step names were read
    itself: bool = False  # the step names itself


def read_depends(
    value: object, known_ids: Mapping[str, str], exclude: str | None = None
) -> DependsReading:
    """'S03, S05', '3', step names, '—' or 'None'. `known_ids` maps id -> step text."""
    if value is None:
        return DependsReading((), (), ())
    if isinstance(value, bool):
        return DependsReading((), (cell_text(value),), ())
    if isinstance(value, int | float):
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    if text.lower() in NO_DEPENDENCY:
        return DependsReading((), (), ())
    if _ID_LIST.match(text):  # the usual "S03, S05": no names to look up
        listed = tuple(dict.fromkeys(f"S{int(n):02d}" for n in _ID_NUMBER.findall(text)))
        if all(i in known_ids and i != exclude for i in listed):
            return DependsReading(listed, (), ())
    parts = [p.strip() for p in re.split(r"\s*(?:,|;|\n|&|\band\b|\+)\s*", text) if p.strip()]
    if not parts:  # only separators: "," or "; ;"
        return DependsReading((), (text,), ())
    ids: list[str] = []
    bad: list[str] = []
    notes: list[str] = []
    itself = False
    for part in parts:
        if part.lower() in NO_DEPENDENCY:
            continue
        if exclude is not None and normalise_id(part) == exclude:
            itself = True
            continue
        found = find_step(part, known_ids, exclude)
        if found is None:
            bad.append(part)
            continue
        step_id, by_name = found
        if step_id not in ids:
            ids.append(step_id)
        if by_name:
            notes.append(f'read "{part}" as {step_id}')
    return DependsReading(tuple(ids), tuple(bad), tuple(notes), itself)


def find_step(
    part: str, known_ids: Mapping[str, str], exclude: str | None = None
) -> tuple[str, bool] | None:
    """A step named by id or by (the start of, or a unique part of) its text."""
    if (sid := normalise_id(part)) and sid in known_ids and sid != exclude:
        return sid, False
    if exclude is not None:
        known_ids = {k: v for k, v in known_ids.items() if k != exclude}
    # S3-S5 style ranges are rare; names are common.
    lowered = part.lower().strip(" .\"'")
    exact = [i for i, t in known_ids.items() if t.strip().lower() == lowered]
    if len(exact) == 1:
        return exact[0], True
    if len(lowered) >= 4:
        starts = [i for i, t in known_ids.items() if t.strip().lower().startswith(lowered)]
        if len(starts) == 1:
            return starts[0], True
        inside = [i for i, t in known_ids.items() if lowered in t.lower()]
        if len(inside) == 1:
            return inside[0], True
    return None


# --- the rest ---------------------------------------------------------------------------

_THRESHOLD = re.compile(
    r"(\d{1,3})\s*\+?\s*(days?|d|business days?|weeks?|wks?|w)\b", re.IGNORECASE
)
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_THRESHOLD_WORDS = re.compile(
    r"\b(one|two|three|four|five|six)\s+(?:or more\s+)?(weeks?|days?)\b", re.IGNORECASE
)
DEFAULT_THRESHOLD_DAYS = 14


def read_threshold(text: str) -> int | None:
    """'14+ days late: ...' -> 14; 'two weeks' -> 14; text with no number -> the default."""
    if not text.strip():
        return None
    if m := _THRESHOLD.search(text):
        n = int(m[1])
        return n * 7 if m[2].lower().startswith("w") else n
    if m := _THRESHOLD_WORDS.search(text):
        n = _WORD_NUMBERS[m[1].lower()]
        return n * 7 if m[2].lower().startswith("w") else n
    return DEFAULT_THRESHOLD_DAYS


def read_side(value: object) -> Side | None:
    text = str(value or "").strip().lower()
    if text in ("buyer", "customer", "client", "prospect", "them", "their side", "buyer side"):
        return Side.BUYER
    if text in ("seller", "vendor", "supplier", "us", "our side", "seller side", "we"):
        return Side.SELLER
    if text in ("both", "joint", "mutual"):
        return Side.BOTH
    return None


# --- roles ------------------------------------------------------------------------------

_ROLE_WORDS: dict[str, Role] = {label.lower(): role for role, label in ROLE_LABELS.items()}
_ROLE_WORDS.update(
    {
        "eb": Role.ECONOMIC_BUYER,
        "economic buyer": Role.ECONOMIC_BUYER,
        "signer": Role.ECONOMIC_BUYER,
        "cfo": Role.ECONOMIC_BUYER,
        "budget holder": Role.ECONOMIC_BUYER,
        "technical": Role.TECHNICAL_EVALUATOR,
        "it": Role.TECHNICAL_EVALUATOR,
        "infosec": Role.SECURITY,
        "ciso": Role.SECURITY,
        "counsel": Role.LEGAL,
        "purchasing": Role.PROCUREMENT,
        "user": Role.END_USER,
        "account executive": Role.AE,
        "sales engineer": Role.SE,
        "solutions engineer": Role.SE,
        "customer success": Role.CSM,
        "exec sponsor": Role.EXECUTIVE_SPONSOR,
        "sponsor": Role.EXECUTIVE_SPONSOR,
        # what a stakeholder list says a person does, in the languages MAPs are kept in
        "owns the budget": Role.ECONOMIC_BUYER,
        "signs off the budget": Role.ECONOMIC_BUYER,
        "approves the budget": Role.ECONOMIC_BUYER,
        "budget": Role.ECONOMIC_BUYER,
        "signs": Role.ECONOMIC_BUYER,
        "budget frei": Role.ECONOMIC_BUYER,
        "presupuesto": Role.ECONOMIC_BUYER,
        "firma el contrato": Role.ECONOMIC_BUYER,
        "director financiero": Role.ECONOMIC_BUYER,
        "directeur financier": Role.ECONOMIC_BUYER,
        "finanzvorstand": Role.ECONOMIC_BUYER,
        "technische bewertung": Role.TECHNICAL_EVALUATOR,
        "it-leiter": Role.TECHNICAL_EVALUATOR,
        "evaluación técnica": Role.TECHNICAL_EVALUATOR,
        "responsable de sistemas": Role.TECHNICAL_EVALUATOR,
        "évaluation technique": Role.TECHNICAL_EVALUATOR,
        "einkauf": Role.PROCUREMENT,
        "compras": Role.PROCUREMENT,
        "achats": Role.PROCUREMENT,
        "seguridad": Role.SECURITY,
        "sicherheit": Role.SECURITY,
        "sécurité": Role.SECURITY,
        "jurídic": Role.LEGAL,
        "juridique": Role.LEGAL,
        "rechtsabteilung": Role.LEGAL,
        "solution engineer": Role.SE,
        "presales": Role.SE,
        "pre-sales": Role.SE,
        "ingeniera de soluciones": Role.SE,
        "ingeniero de soluciones": Role.SE,
        "vertriebsingenieur": Role.SE,
        "ejecutivo de cuentas": Role.AE,
        "responsable comercial": Role.AE,
        "vertrieb": Role.AE,
        "kundenbetreuer": Role.AE,
        "daily user": Role.END_USER,
        "usuario": Role.END_USER,
        "anwender": Role.END_USER,
    }
)


_ROLE_WORDS_LONGEST_FIRST = sorted(
    ((w, r) for w, r in _ROLE_WORDS.items() if len(w) > 3), key=lambda kv: -len(kv[0])
)


def read_role(text: str) -> Role | None:
    """A role in the decision from a role or job title: "Head of Legal" -> legal."""
    lowered = text.strip().lower()
    if lowered in _ROLE_WORDS:
        return _ROLE_WORDS[lowered]
    for word, role in _ROLE_WORDS_LONGEST_FIRST:  # "Head of Legal" -> legal
        if word in lowered:
            return role
    for word in re.findall(r"[\w&]+", lowered):  # "CFO, owns ..." -> the short words whole
        if len(word) <= 3 and word in _ROLE_WORDS:
            return _ROLE_WORDS[word]
    return None


def cell_text(value: object) -> str:
    """A cell as text, the same way whichever program stored it."""
    if isinstance(value, str):  # the common case first: this runs for most cells
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
