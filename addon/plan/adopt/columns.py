"""Mapping a header cell onto a MAP workbook column: the header words (in several languages)
for the Plan, Stakeholders, Risks and Decision criteria tabs, and settling two columns that
claim one field ("Step" holding 1, 2, 3 beside "Action" is the id). Says what a header
means; finding header rows is tables.py's, reading the cells below is the readers'."""

from __future__ import annotations

import re

from addon.plan.adopt.companies import _Companies
from addon.plan.adopt.model import _at, _Table, _text
from addon.plan.grid import is_blank
from addon.plan.models import Grid
from sheets_schema.vocab import Side
from sheets_schema.workbook import (
    DECISION_CRITERIA,
    PLAN,
    RESOURCES,
    RISKS,
    STAKEHOLDERS,
    match_header,
    normalise_header,
)

_WORDS = {
    "if_it_slips": r"if (?:it|this) slips|impact|consequence|if (?:missed|late|delayed)|"
    r"risk if|what happens if",
    "start": r"\bstart|\bbegin|\bbeginn|\bdébut|\binicio|\bkick ?off date",
    "done_on": r"\bactual\b|completed on|date completed|completion date|done on|done date|"
    r"finished on|erledigt am|abgeschlossen am|réalisé le|terminé le|completado el",
    "depends_on": r"depend|prereq|predecessor|blocked by|\brequires\b|abhängig|vorgänger|"
    r"dépend|depende|^after$",
    "status": r"\bstatus\b|\bstate\b|progress|\bstand\b|statut|\bétat\b|\bestado\b|\bstato\b|"
    r"^done\b|^complete\b|^✓$|^✔$",
    "owner": r"\bowners?\b|responsib|assignee|\bwho\b|\bdri\b|accountable|verantwortlich|"
    r"zuständig|responsable|encargado|\blead\b|\bperson\b",
    "side": r"^(?:side|party|responsible party|buyer ?/ ?seller|customer ?/ ?vendor|team|"
    r"company|organi[sz]ation)$",
    "due": r"\bdue\b|deadline|target|\bdate\b|\bwhen\b|timeline|\beta\b|\bweeks?\b|\bby\b|"
    r"timing|schedule|time ?frame|zeitraum|"
    r"datum|termin|fällig|frist|échéance|fecha|plazo|\bdata\b|scadenza|prazo|zieldatum",
    "id": r"^(?:#|id|no|nr|n°|ref|item|step #|task #|milestone #|milestone id|step id|"
    r"task id|seq|order)$",
    "phase": r"\bphase\b|\bstage\b|workstream|\bsection\b|category|\bphase\b|etappe|fase|"
    r"\bstufe\b|bereich",
    "step": r"\bsteps?\b|\btasks?\b|\bactions?\b|activit|deliverable|milestone|\bwhat\b|to ?do|"
    r"\bitem\b|aufgabe|schritt|maßnahme|meilenstein|tâche|étape|jalon|tarea|\bpaso\b|hito|"
    r"actividad|acción|accion|event",
    "notes": r"\bnotes?\b|comment|remark|details|description|context|next steps?|notiz|"
    r"kommentar|bemerkung|commentaire|remarque|\bnotas?\b|comentario|observa",
}


_PATTERNS = {key: re.compile(words) for key, words in _WORDS.items()}


_ORDER = (
    "if_it_slips",
    "start",
    "done_on",
    "depends_on",
    "status",
    "side",
    "owner",
    "id",
    "due",
    "phase",
    "step",
    "notes",
)


_PLANNED = re.compile(r"target|planned|due|expected|geplant|prévu")


# A step column's header, best first: the others a header row may also call a step become
# the phase ("Milestone" beside "Task") or the notes ("Description" beside "Action").
_STEP_RANK = re.compile(r"step|task|action|activit|to ?do|aufgabe|schritt|tâche|tarea|paso")


_AS_PHASE = re.compile(r"milestone|stage|phase|meilenstein|jalon|hito|event")


_AS_NOTES = re.compile(r"description|details|what|deliverable|context")


# --- Task-tool export headers (issue 20, exports): Smartsheet, MS Project, Asana ---------
_EXPORT_WORDS = {
    "due": re.compile(r"^(?:finish|finish date|end)$"),
    "status": re.compile(r"^(?:%|percent|pct\.?)\s*(?:complete|completed|done)$"),
    "done_on": re.compile(r"^(?:completed at|completed date|date done)$"),
}
# --- end of the task-tool export headers -----------------------------------------------


# A plan column of links (issue 21, point 5): each address in it becomes a row of the new
# MAP's Resources tab, for that row's step.
_LINKS = re.compile(
    r"^(?:links?|urls?|web links?|documents?|docs|attachments?|files?|resources?|"
    r"materials?|collateral|content|assets?|links? (?:and )?documents?|"
    r"documents? (?:and )?links?|supporting documents?|recordings?)$"
)


def _plan_field(text: str, companies: _Companies) -> str | None:
    """What a Plan header means, whatever it is called; None: no home ('Priority')."""
    name = normalise_header(text)
    if _LINKS.match(name):
        return "resources"
    for field_key, words in _EXPORT_WORDS.items():
        if words.match(name):
            return field_key
    key = match_header(PLAN, text)
    if key in ("buyer_owner", "seller_owner") and not _PATTERNS["owner"].search(name):
        # "Customer" / "Vendor" alone: an owner column by side, unless it is a company name
        return key
    if key is not None and key not in ("done_on",):
        return key
    if key == "done_on" and not _PLANNED.search(name):
        return key
    for candidate in _ORDER:
        if _PATTERNS[candidate].search(name):
            if candidate == "done_on" and _PLANNED.search(name):
                return "due"
            if candidate == "owner":
                side = companies.side_of_words(name)
                if side is Side.BUYER:
                    return "buyer_owner"
                return "seller_owner" if side is Side.SELLER else "owner"
            if candidate == "start":
                return None
            return candidate
    side = companies.side_of_words(name)  # "Acme" / "Widgetco" over the owner columns
    if side is Side.BUYER:
        return "buyer_owner"
    if side is Side.SELLER:
        return "seller_owner"
    return None


_PEOPLE_EXTRA = {
    "job title": "title",
    "title": "title",
    "position": "title",
    "function": "title",
    "cargo": "title",
    "puesto": "title",
    "funktion": "title",
    "fonction": "title",
    "poste": "title",
    "titel": "title",
    "title role": "role",
    "role title": "role",
    "stakeholder name": "name",
    "name": "name",
    "contact name": "name",
    "buying role": "role",
    "mail": "email",
    "e mail": "email",
    "email address": "email",
    "organisation": "side",
    "org": "side",
    "side": "side",
    "influence": "decision_authority",
    "power": "decision_authority",
    "decision power": "decision_authority",
    "responsibilities": "notes",
    "responsibility": "notes",
    "what they care about": "notes",
    "priorities": "notes",
    "linkedin": "",
    "phone": "",
    "who": "name",
    "nombre": "name",
    "nom": "name",
    "name vorname": "name",
    "ansprechpartner": "name",
    "rol": "role",
    "rolle": "role",
    "empresa": "side",
    "unternehmen": "side",
    "firma": "side",
    "société": "side",
    "entreprise": "side",
    "seite": "side",
    "lado": "side",
    "correo": "email",
    "correo electrónico": "email",
    "courriel": "email",
    "papel en la decisión": "decision_authority",
    "rôle dans la décision": "decision_authority",
    "rolle in der entscheidung": "decision_authority",
    "entscheidungsrolle": "decision_authority",
    "notas": "notes",
    "bemerkungen": "notes",
    "remarques": "notes",
}


def _people_field(text: str) -> str | None:
    name = normalise_header(text)
    if name in _PEOPLE_EXTRA:
        return _PEOPLE_EXTRA[name] or None
    key = match_header(STAKEHOLDERS, text)
    if key is not None:
        return key
    if "email" in name or "e mail" in name:
        return "email"
    if re.search(r"\brole\b|\brolle\b|\brôle\b|\bpapel\b", name):
        return "role"
    if re.search(r"\b(?:title|position|function)\b", name):
        return "title"
    return None


def _risk_field(text: str) -> str | None:
    name = normalise_header(text)
    key = match_header(RISKS, text)
    if key is not None:
        return key
    if re.search(r"\brisks?\b|concern|issue|blocker", name):
        return "risk"
    if re.search(r"mitigat|plan|response|action", name):
        return "mitigation"
    return None


# A decision criteria table's headers (issue 20, point 3). Whole short headers only: a step
# such as "Decision criteria scored with the buying committee" names no column.
_CRITERIA_WORDS = (
    (
        "criterion",
        r"^(?:(?:decision|success|evaluation|selection|acceptance|buying|business|exit|"
        r"key|technical)\s+)?(?:criteri(?:on|a)|requirements?)$",
    ),
    (
        "who_decides",
        r"^(?:who decides|decides|decided by|decision maker|deciders?|approvers?|"
        r"approved by|signs? off|sign off by|owners?|judged by|assessed by)$",
    ),
    (
        "how_shown",
        r"^(?:evidence|how (?:it will be |it s |it is |we ll |we will )?(?:shown|proven|"
        r"proved|measured|demonstrated)|proof|proof point|measured by|how measured|"
        r"measure|metric|validation|validated by|how we know)$",
    ),
    ("status", r"^(?:status|met|achieved|agreed|shown|result|state)$"),
)
_CRITERIA_PATTERNS = tuple((key, re.compile(words)) for key, words in _CRITERIA_WORDS)


def _criteria_field(text: str) -> str | None:
    """What a decision criteria table's header means ("Met?" is its status); None: no home
    in the Decision criteria tab ("Weight")."""
    key = match_header(DECISION_CRITERIA, text)
    if key is not None:
        return key
    name = normalise_header(text)
    return next((key for key, words in _CRITERIA_PATTERNS if words.match(name)), None)


# A resources table's headers (issue 21, point 5), beyond the Resources tab's own names and
# aliases: whole short headers only.
_RESOURCE_WORDS = (
    (
        "title",
        r"^(?:resources?|titles?|documents?|docs?|names?|files?|file names?|assets?|"
        r"materials?|items?|content|collateral|links? (?:title|name)|what|deliverables?)$",
    ),
    (
        "link",
        r"^(?:links?|urls?|locations?|where|web links?|address|href|links? url|"
        r"(?:document|file|share|drive|web) links?|links? to (?:the )?(?:document|file))$",
    ),
    ("kind", r"^(?:types?|categor(?:y|ies)|kinds?|resource type|document type|topic|area)$"),
    (
        "provider",
        r"^(?:owners?|provided by|provider|shared by|sent by|from|contact|author|"
        r"responsible|who|added by|uploaded by)$",
    ),
    (
        "step",
        r"^(?:steps?|milestones?|related (?:step|milestone|task)|for step|stage|phase|"
        r"tasks?|needed for|supports|step id|for)$",
    ),
    (
        "shared_on",
        r"^(?:date shared|shared on|shared|added|added on|date added|sent|sent on|"
        r"date sent|dates?|shared date|uploaded|uploaded on|last updated|updated)$",
    ),
    ("notes", r"^(?:notes?|descriptions?|comments?|details|summary|remarks?|purpose)$"),
    ("side", r"^(?:side|party|buyer seller|customer vendor|whose)$"),
)
_RESOURCE_PATTERNS = tuple((key, re.compile(words)) for key, words in _RESOURCE_WORDS)


def _resource_field(text: str) -> str | None:
    """What a resources table's header means; None: no home in the Resources tab
    ("File size")."""
    name = normalise_header(text)
    hit = next((key for key, words in _RESOURCE_PATTERNS if words.match(name)), None)
    if hit is not None:
        return hit
    key = match_header(RESOURCES, text)
    return None if key == "sync_note" else key


_ID_LIKE = re.compile(r"^\s*#?\s*[A-Za-z]{0,2}-?\d{1,3}(?:\.\d{1,2})?\s*$")


def _resolve_columns(t: _Table, grid: Grid) -> None:
    """Two columns that mean the same: the better name keeps it, the other moves or goes.
    A "Step" column holding 1, 2, 3 beside an "Action" column is the row id."""
    if t.kind != "plan":
        return
    by_key: dict[str, list[int]] = {}
    for c, key in t.columns.items():
        if key:
            by_key.setdefault(key, []).append(c)
    steps = by_key.get("step", [])
    if len(steps) > 1 and "id" not in by_key:
        for c in steps:
            others = [o for o in steps if o != c]
            values = [
                _text(_at(grid, r, c))
                for r in range(t.row + 1, t.end)
                if any(not is_blank(_at(grid, r, o)) for o in others)
            ]
            values = [v for v in values if v]
            if values and sum(bool(_ID_LIKE.match(v)) for v in values) >= 0.8 * len(values):
                t.columns[c] = "id"
                by_key["id"] = [c]
                steps = [o for o in steps if o != c]
                by_key["step"] = steps
                break
    if len(steps) > 1:
        best = next((c for c in steps if _STEP_RANK.search(t.headers[c].lower())), steps[-1])
        for c in steps:
            if c == best:
                continue
            header = t.headers[c].lower()
            if "phase" not in by_key and _AS_PHASE.search(header):
                t.columns[c] = "phase"
                by_key["phase"] = [c]
            elif "notes" not in by_key and _AS_NOTES.search(header):
                t.columns[c] = "notes"
                by_key["notes"] = [c]
            else:
                t.columns[c] = None
    for key, cols in by_key.items():
        if key in ("step",) or len(cols) < 2:
            continue
        if key == "owner" and len(cols) == 2:  # "Owner" twice under company group names
            continue
        for c in cols[1:]:
            t.columns[c] = None
