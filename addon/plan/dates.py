"""Reading a date cell the way a person meant it.

Accepts real date cells, spreadsheet serial numbers, ISO text, numeric dates in the
sheet's locale (3/15/2026 in en_US, 15/03/2026 in en_GB, 15.03.2026 anywhere), month
names in several languages, relative words ("next Fri", "tomorrow", "end of month",
"in 2 weeks"), week offsets from the plan start ("Week 3", "W3-4", "[Date +3]") and
quarters ("Q3", "end of Q1 2026"). Relative text is read against an `anchor` date,
which the caller fixes to the day the text was first seen, so it does not drift.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

SERIAL_EPOCH = date(1899, 12, 30)
SERIAL_RANGE = (18264, 91311)  # 1950-01-01 .. 2149-12-31
FAR_PAST, FAR_FUTURE = date(1950, 1, 1), date(2149, 12, 31)  # the dates a plan can mean
LAST_SERIAL = 2_958_465  # 31 Dec 9999, the last day a spreadsheet holds
DATE_HINT = "type a date like 15 Mar 2026 or 2026-03-15"


class DateKind(StrEnum):
    EMPTY = "empty"
    EXACT = "exact"
    RELATIVE = "relative"  # read against the anchor date
    PLACEHOLDER = "placeholder"  # "TBD": no date yet, said on purpose
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class DateReading:
    kind: DateKind
    value: date | None = None
    note: str = ""  # how it was read, or why it could not be


MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        (
            "january",
            "jan",
            "januar",
            "janvier",
            "janv",
            "enero",
            "ene",
            "gennaio",
            "gen",
            "janeiro",
            "januari",
            "jän",
            "jaen",
        ),
        (
            "february",
            "feb",
            "februar",
            "février",
            "fevrier",
            "févr",
            "fevr",
            "fév",
            "febrero",
            "febbraio",
            "fevereiro",
            "fev",
            "februari",
        ),
        ("march", "mar", "märz", "maerz", "mär", "mars", "marzo", "março", "marco", "maart", "mrt"),
        ("april", "apr", "avril", "avr", "abril", "abr", "aprile"),
        ("may", "mai", "mayo", "maggio", "mag", "maio", "mei"),
        ("june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho"),
        ("july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho"),
        ("august", "aug", "août", "aout", "agosto", "ago", "augustus"),
        ("september", "sep", "sept", "septembre", "septiembre", "settembre", "set", "setembro"),
        (
            "october",
            "oct",
            "oktober",
            "okt",
            "octobre",
            "octubre",
            "ottobre",
            "ott",
            "outubro",
            "out",
        ),
        ("november", "nov", "novembre", "noviembre", "novembro"),
        (
            "december",
            "dec",
            "dezember",
            "dez",
            "décembre",
            "decembre",
            "déc",
            "diciembre",
            "dic",
            "dicembre",
            "dezembro",
        ),
    ],
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number

WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("monday", "mon"),
        ("tuesday", "tue", "tues"),
        ("wednesday", "wed"),
        ("thursday", "thu", "thur", "thurs"),
        ("friday", "fri"),
        ("saturday", "sat"),
        ("sunday", "sun"),
    ]
):
    for _name in _names:
        WEEKDAYS[_name] = _number

PLACEHOLDERS = frozenset(
    {
        "tbd",
        "tbc",
        "tba",
        "?",
        "??",
        "???",
        "-",
        "--",
        "—",
        "–",
        "n/a",
        "na",
        "none",
        "pending",
        "unknown",
        "to be confirmed",
        "to be decided",
        "to be determined",
        "not scheduled",
        "not yet scheduled",
        "unscheduled",
        "asap",
        "ongoing",
        "x",
    }
)

_ISO = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?z?$"
)
_NUMERIC = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})(?:\2(\d{2}|\d{4}))?\.?$")
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th|er|\.)?"
_YEAR = r"(?:,?[\s\-/]+(\d{2}|\d{4}))?"
_WORD_DMY = re.compile(rf"^{_ORDINAL}[\s\-/]*(?:of\s+)?([^\W\d_]+)\.?{_YEAR}$")
_WORD_MDY = re.compile(rf"^([^\W\d_]+)\.?[\s\-/]*(\d{{1,2}})(?:st|nd|rd|th)?{_YEAR}$")
_WORD_MY = re.compile(r"^([^\W\d_]+)\.?[\s\-/]*(\d{4})$")
_WEEK = re.compile(
    r"^(?:weeks?|wks?|w|kw|semaines?|semanas?|settimane?)\.?\s*(\d{1,2})"
    r"(?:\s*(?:-|–|—|to|/|&|and|bis|à|a)\s*(?:weeks?|wks?|w|kw)?\.?\s*(\d{1,2}))?$"
)
_OFFSET = re.compile(
    r"^\[?\s*(?:date|start|d|t|day)\s*\+\s*(\d{1,3})\s*(d|days?|w|wks?|weeks?)?\s*\]?$"
)
_IN = re.compile(
    r"^(?:in\s+)?\+?(\d{1,3})\s*(d|days?|w|wks?|weeks?|months?)(?:\s+from\s+(?:now|today))?$"
)
_QUARTER = re.compile(r"^(?:end\s+of\s+|by\s+)?q([1-4])(?:\s*(?:fy)?\s*'?(\d{2}|\d{4}))?$")
_FILLER = re.compile(r"^(?:by|due|before|on|until|no later than|nlt|target|approx\.?|~|ca\.?)\s+")


def day_first(locale: str) -> bool:
    """Numeric dates in this locale put the day first (all but the US and a few others)."""
    return not locale.lower().replace("-", "_").startswith(("en_us", "en_ph", "en_ca", "es_us"))


def from_serial(serial: float) -> date:
    return SERIAL_EPOCH + timedelta(days=int(serial))


def to_serial(day: date) -> int:
    return (day - SERIAL_EPOCH).days


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(text: str | None, month: int, day: int, anchor: date) -> date | None:
    if text:
        year = int(text)
        if year < 100:
            year += 2000
        return _safe(year, month, day)
    # No year given: the one that puts the date nearest the anchor.
    candidates = [
        d
        for y in (anchor.year - 1, anchor.year, anchor.year + 1)
        if (d := _safe(y, month, day)) is not None
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda d: abs((d - anchor).days))


def _month(word: str) -> int | None:
    word = word.lower().rstrip(".")
    if word in MONTHS:
        return MONTHS[word]
    if len(word) >= 3:
        matches = {n for name, n in MONTHS.items() if name.startswith(word)}
        if len(matches) == 1:
            return matches.pop()
    return None


def _end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def read_date(
    value: object, *, locale: str, anchor: date, plan_start: date | None = None
) -> DateReading:
    """Read one cell. Never raises. A date past 2149 is a 'no end date' marker (SAP's
    31.12.9999), not a due date; one before 1950 is an empty date cell shown as 1900."""
    return _in_range(_read(value, locale, anchor, plan_start))


def _in_range(reading: DateReading) -> DateReading:
    day = reading.value
    if day is None or FAR_PAST <= day <= FAR_FUTURE:
        return reading
    if day > FAR_FUTURE:
        return DateReading(
            DateKind.PLACEHOLDER,
            note=f"{fmt(day)} reads as no end date, so no date yet; type the date when it "
            "is agreed",
        )
    return DateReading(
        DateKind.UNREADABLE,
        note=f"{fmt(day)} is not a date this plan can mean (an empty date cell can show as "
        f"1900); {DATE_HINT}",
    )


def _read(value: object, locale: str, anchor: date, plan_start: date | None) -> DateReading:
    if value is None:
        return DateReading(DateKind.EMPTY)
    if isinstance(value, datetime):
        return DateReading(DateKind.EXACT, value.date())
    if isinstance(value, date):
        return DateReading(DateKind.EXACT, value)
    if isinstance(value, bool):
        return DateReading(DateKind.UNREADABLE, note=f"a checkbox is not a date; {DATE_HINT}")
    if isinstance(value, int | float):
        if SERIAL_RANGE[0] <= value <= LAST_SERIAL:
            return DateReading(DateKind.EXACT, from_serial(value))
        return DateReading(DateKind.UNREADABLE, note=f"a number, not a date; {DATE_HINT}")
    if not isinstance(value, str):
        return DateReading(DateKind.UNREADABLE, note=DATE_HINT)
    # Only week and day offsets count from the plan start; leaving it out of the other
    # readings lets the cache serve every MAP in a sync.
    start = plan_start if _USES_START.search(value.lower()) else None
    return _read_text(value, locale, anchor, start)


_USES_START = re.compile(r"w|kw|sem|sett|date|start|day|[dt]\s*\+")


@lru_cache(maxsize=8192)  # a pure function of its arguments; a sync repeats them a lot
def _read_text(raw: str, locale: str, anchor: date, plan_start: date | None) -> DateReading:
    text = re.sub(r"\s+", " ", raw.strip().lower())
    if not text:
        return DateReading(DateKind.EMPTY)
    if text in PLACEHOLDERS or text.startswith(("tbd", "tbc", "tba")):
        return DateReading(DateKind.PLACEHOLDER, note="no date yet")
    text = _FILLER.sub("", text).strip(" ,")
    if m := _ISO.match(text):
        d = _safe(int(m[1]), int(m[2]), int(m[3]))
        return DateReading(DateKind.EXACT, d) if d else _bad(raw)
    if m := _NUMERIC.match(text):
        return _numeric(raw, m, locale, anchor)
    if (m := _WORD_MY.match(text)) and (month := _month(m[1])):
        d = _end_of_month(date(int(m[2]), month, 1))
        return DateReading(DateKind.EXACT, d, f"read as the end of the month, {fmt(d)}")
    if (m := _WORD_DMY.match(text)) and (month := _month(m[2])):
        d = _year(m[3], month, int(m[1]), anchor)
        return DateReading(DateKind.EXACT, d) if d else _bad(raw)
    if (m := _WORD_MDY.match(text)) and (month := _month(m[1])):
        d = _year(m[3], month, int(m[2]), anchor)
        return DateReading(DateKind.EXACT, d) if d else _bad(raw)
    return _relative(raw, text, anchor, plan_start)


def _numeric(raw: str, m: re.Match[str], locale: str, anchor: date) -> DateReading:
    a, sep, b, year = int(m[1]), m[2], int(m[3]), m[4]
    dmy = sep == "." or day_first(locale)
    first = (b, a) if dmy else (a, b)  # (month, day)
    d = _year(year, first[0], first[1], anchor)
    if d:
        return DateReading(DateKind.EXACT, d)
    swapped = _year(year, first[1], first[0], anchor)
    if swapped:
        order = "month first" if dmy else "day first"
        return DateReading(
            DateKind.EXACT,
            swapped,
            f"read {order} as {fmt(swapped)}, since the other way is no date",
        )
    return _bad(raw)


def _relative(raw: str, text: str, anchor: date, plan_start: date | None) -> DateReading:
    def rel(d: date, how: str) -> DateReading:
        return DateReading(DateKind.RELATIVE, d, f"read as {fmt(d)} ({how} {fmt(anchor)})")

    start = plan_start or anchor
    if text in ("today", "now", "eod", "end of day", "heute", "aujourd'hui", "hoy"):
        return rel(anchor, "counted from")
    if text in ("tomorrow", "morgen", "demain", "mañana", "manana"):
        return rel(anchor + timedelta(days=1), "the day after")
    if text in ("eow", "end of week", "end of the week", "this week"):
        return rel(anchor + timedelta(days=(4 - anchor.weekday()) % 7), "the Friday of the week of")
    if text in ("next week", "end of next week"):
        return rel(
            anchor + timedelta(days=(4 - anchor.weekday()) % 7 + 7), "the Friday of the week after"
        )
    if text in ("eom", "end of month", "end of the month", "this month"):
        return rel(_end_of_month(anchor), "the end of the month of")
    if text in ("next month", "end of next month"):
        return rel(_end_of_month(_add_months(anchor.replace(day=1), 1)), "the month after")
    parts = text.split(" ")
    if len(parts) <= 2 and parts[-1] in WEEKDAYS:
        target = WEEKDAYS[parts[-1]]
        if len(parts) == 2 and parts[0] == "next":
            next_monday = anchor + timedelta(days=7 - anchor.weekday())
            return rel(next_monday + timedelta(days=target), "in the week after")
        if len(parts) == 2 and parts[0] not in ("this", "on", "by", "coming"):
            return _bad(raw)
        ahead = (target - anchor.weekday()) % 7
        return rel(anchor + timedelta(days=ahead), "the coming one from")
    if m := _IN.match(text):
        n, unit = int(m[1]), m[2]
        if unit.startswith("m"):
            return rel(_add_months(anchor, n), f"{n} month(s) after")
        days = n * 7 if unit.startswith("w") else n
        return rel(anchor + timedelta(days=days), f"{days} days after")
    if m := _WEEK.match(text):
        first, last = int(m[1]), int(m[2] or m[1])
        if first < 1 or last < first:
            return _bad(raw)
        if m[2]:  # "Week 3-4": the work spans the weeks, so it is due when the last one ends
            d = start + timedelta(days=7 * last - 1)
            how = f"the end of week {last}"
        else:
            d = start + timedelta(days=7 * (last - 1))
            how = f"the start of week {last}"
        return DateReading(
            DateKind.RELATIVE,
            d,
            f"read as {fmt(d)}, {how} (week 1 starts with the plan, {fmt(start)})",
        )
    if m := _OFFSET.match(text):
        n = int(m[1]) * (7 if (m[2] or "d").startswith("w") else 1)
        d = start + timedelta(days=n)
        return DateReading(
            DateKind.RELATIVE, d, f"read as {fmt(d)}, {n} days after the plan start {fmt(start)}"
        )
    if m := _QUARTER.match(text):
        q = int(m[1])
        year = int(m[2]) + (2000 if len(m[2]) == 2 else 0) if m[2] else anchor.year
        d = _end_of_month(date(year, 3 * q, 1))
        if not m[2] and d < anchor - timedelta(days=92):
            d = _end_of_month(date(year + 1, 3 * q, 1))
        return DateReading(DateKind.RELATIVE, d, f"read as {fmt(d)}, the end of Q{q}")
    return _bad(raw)


def _bad(raw: str) -> DateReading:
    return DateReading(DateKind.UNREADABLE, note=f"not a date this sheet understands; {DATE_HINT}")


def fmt(day: date) -> str:
    """How dates are shown to people: unambiguous in every locale."""
    return f"{day.day} {calendar.month_abbr[day.month]} {day.year}"
