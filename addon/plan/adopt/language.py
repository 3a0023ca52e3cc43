"""The plan's language and date order: the locale its text dates are read in (the one
given, else its headers' and statuses' language, then corrected when numeric dates show
day or month first), and its earliest real due date (the default plan start). Reads no
date into a step (steps.py does)."""

from __future__ import annotations

import re
from datetime import date, datetime

from addon.plan.adopt.model import Source, _at, _Table, _text
from addon.plan.dates import day_first
from sheets_schema.workbook import normalise_header


def _earliest_date(source: Source, plan: _Table | None) -> date | None:
    if plan is None or "due" not in plan.fields:
        return None
    grid = source.grids[plan.tab]
    days = [
        v.date() if isinstance(v, datetime) else v
        for r in range(plan.row + 1, plan.end)
        if isinstance(v := _at(grid, r, plan.fields["due"]), date)
    ]
    return min(days, default=None)


_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/\-](\d{1,2})[/\-](\d{2}|\d{4})\s*$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split("|"))


_LANGUAGES: dict[str, frozenset[str]] = {
    "de_DE": _words(
        "aufgabe|schritt|verantwortlich|fällig|fällig am|erledigt|offen|bemerkungen|abhängig von|"
        "in arbeit|nicht begonnen|termin|datum|maßnahme|meilenstein|zurückgestellt|status"
    ),
    "es_ES": _words(
        "tarea|paso|hito|fecha|fecha límite|estado|completado|pendiente|en progreso|"
        "comentarios|bloqueado|en espera|prioridad|responsable"
    ),
    "fr_FR": _words(
        "tâche|étape|jalon|échéance|statut|terminé|en cours|à faire|commentaires|bloqué|"
        "en attente|priorité|responsable"
    ),
    "pt_BR": _words("tarefa|responsável|prazo|concluído|em andamento|pendente|comentários"),
    "nl_NL": _words("taak|eigenaar|klaar|afgerond|bezig|opmerkingen"),
}


def _language(source: Source, plan: _Table) -> str | None:
    """The plan's language from its headers and statuses, for reading its text dates."""
    grid = source.grids[plan.tab]
    words = [normalise_header(t) for t in plan.headers.values()]
    if "status" in plan.fields:
        col = plan.fields["status"]
        words += [normalise_header(_text(_at(grid, r, col))) for r in range(plan.row + 1, plan.end)]
    hits = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _LANGUAGES.items()}
    best = max(hits, key=lambda lang: hits[lang])
    return best if hits[best] >= 2 else None


def _locale_of(source: Source, plan: _Table | None, locale: str | None) -> str:
    """The locale given, else the plan's language; numeric text dates then say their own
    order when one part is over 12."""
    if plan is None:
        return locale or "en_US"
    chosen = locale or _language(source, plan) or "en_US"
    grid = source.grids[plan.tab]
    day_firsts = month_firsts = 0
    for key in ("due", "done_on"):
        if key not in plan.fields:
            continue
        for r in range(plan.row + 1, plan.end):
            value = _at(grid, r, plan.fields[key])
            if isinstance(value, str) and (m := _NUMERIC_DATE.match(value)):
                a, b = int(m[1]), int(m[2])
                day_firsts += a > 12 >= b
                month_firsts += b > 12 >= a
    if day_firsts and not month_firsts and not day_first(chosen):
        return "en_GB"
    if month_firsts and not day_firsts and day_first(chosen):
        return "en_US"
    return chosen
