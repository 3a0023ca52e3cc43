"""Reading dates: one row per way a buyer writes one."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from addon.plan.dates import DateKind, fmt, read_date, to_serial

ANCHOR = date(2026, 3, 10)  # a Tuesday
START = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("value", "locale", "kind", "expected"),
    [
        (None, "en_US", DateKind.EMPTY, None),
        ("  ", "en_US", DateKind.EMPTY, None),
        (date(2026, 3, 15), "en_US", DateKind.EXACT, date(2026, 3, 15)),
        (datetime(2026, 3, 15, 13, 30), "en_US", DateKind.EXACT, date(2026, 3, 15)),
        (46096, "en_US", DateKind.EXACT, date(2026, 3, 15)),  # a serial number
        (46096.75, "en_US", DateKind.EXACT, date(2026, 3, 15)),
        (43831, "en_US", DateKind.EXACT, date(2020, 1, 1)),  # Google's documented example
        ("2026-03-15", "de_DE", DateKind.EXACT, date(2026, 3, 15)),
        ("2026/3/15", "en_US", DateKind.EXACT, date(2026, 3, 15)),
        ("3/15/2026", "en_US", DateKind.EXACT, date(2026, 3, 15)),
        ("03/04/2026", "en_US", DateKind.EXACT, date(2026, 3, 4)),
        ("03/04/2026", "en_GB", DateKind.EXACT, date(2026, 4, 3)),
        ("15/03/2026", "en_GB", DateKind.EXACT, date(2026, 3, 15)),
        ("15/03/2026", "en_US", DateKind.EXACT, date(2026, 3, 15)),  # only one way is a date
        ("15.03.2026", "en_US", DateKind.EXACT, date(2026, 3, 15)),  # dots: always D.M.Y
        ("13.03.", "de_DE", DateKind.EXACT, date(2026, 3, 13)),
        ("3/4", "en_US", DateKind.EXACT, date(2026, 3, 4)),
        ("3/15/26", "en_US", DateKind.EXACT, date(2026, 3, 15)),
        ("15 Mar 2026", "en_US", DateKind.EXACT, date(2026, 3, 15)),
        ("March 15, 2026", "en_US", DateKind.EXACT, date(2026, 3, 15)),
        ("Mar 15th", "en_US", DateKind.EXACT, date(2026, 3, 15)),
        ("15-Mar-26", "en_US", DateKind.EXACT, date(2026, 3, 15)),
        ("6. März 2026", "de_DE", DateKind.EXACT, date(2026, 3, 6)),
        ("20 mars", "fr_FR", DateKind.EXACT, date(2026, 3, 20)),
        ("Jan 5", "en_US", DateKind.EXACT, date(2026, 1, 5)),
        ("Dec 20", "en_US", DateKind.EXACT, date(2025, 12, 20)),  # nearest to the anchor
        ("May 2026", "en_US", DateKind.EXACT, date(2026, 5, 31)),
        ("by 3/20/2026", "en_US", DateKind.EXACT, date(2026, 3, 20)),
        ("today", "en_US", DateKind.RELATIVE, ANCHOR),
        ("tomorrow", "en_US", DateKind.RELATIVE, date(2026, 3, 11)),
        ("Fri", "en_US", DateKind.RELATIVE, date(2026, 3, 13)),
        ("this friday", "en_US", DateKind.RELATIVE, date(2026, 3, 13)),
        ("next Fri", "en_US", DateKind.RELATIVE, date(2026, 3, 20)),
        ("next monday", "en_US", DateKind.RELATIVE, date(2026, 3, 16)),
        ("end of week", "en_US", DateKind.RELATIVE, date(2026, 3, 13)),
        ("EOM", "en_US", DateKind.RELATIVE, date(2026, 3, 31)),
        ("in 2 weeks", "en_US", DateKind.RELATIVE, date(2026, 3, 24)),
        ("+3 days", "en_US", DateKind.RELATIVE, date(2026, 3, 13)),
        ("Week 3", "en_US", DateKind.RELATIVE, date(2026, 3, 16)),
        ("W1", "en_US", DateKind.RELATIVE, START),
        ("Week 3-4", "en_US", DateKind.RELATIVE, date(2026, 3, 29)),  # the end of week 4
        ("Weeks 5–6", "en_US", DateKind.RELATIVE, date(2026, 4, 12)),
        ("Week 4-3", "en_US", DateKind.UNREADABLE, None),
        ("[Date +3]", "en_US", DateKind.RELATIVE, date(2026, 3, 5)),
        ("Q2", "en_US", DateKind.RELATIVE, date(2026, 6, 30)),
        ("end of Q1 2027", "en_US", DateKind.RELATIVE, date(2027, 3, 31)),
        ("TBD", "en_US", DateKind.PLACEHOLDER, None),
        ("tbc - legal to confirm", "en_US", DateKind.PLACEHOLDER, None),
        ("—", "en_US", DateKind.PLACEHOLDER, None),
        ("31.04.2026", "de_DE", DateKind.UNREADABLE, None),
        ("13/13/2026", "en_US", DateKind.UNREADABLE, None),
        ("mid-April", "en_US", DateKind.UNREADABLE, None),
        ("soon", "en_US", DateKind.UNREADABLE, None),
        (True, "en_US", DateKind.UNREADABLE, None),
        (7, "en_US", DateKind.UNREADABLE, None),  # a small number is no serial date
        ("next blursday", "en_US", DateKind.UNREADABLE, None),
    ],
)
def test_read_date(value: object, locale: str, kind: DateKind, expected: date | None) -> None:
    reading = read_date(value, locale=locale, anchor=ANCHOR, plan_start=START)
    assert (reading.kind, reading.value) == (kind, expected)


def test_relative_text_is_read_against_the_anchor_not_today() -> None:
    first = read_date("next Fri", locale="en_US", anchor=date(2026, 3, 10))
    weeks_later = read_date("next Fri", locale="en_US", anchor=date(2026, 3, 10))
    assert first.value == weeks_later.value == date(2026, 3, 20)
    assert first.note == "read as 20 Mar 2026 (in the week after 10 Mar 2026)"


def test_unreadable_dates_say_what_to_type() -> None:
    reading = read_date("mid-April", locale="en_US", anchor=ANCHOR)
    assert reading.note == (
        "not a date this sheet understands; type a date like 15 Mar 2026 or 2026-03-15"
    )


def test_swapped_reading_is_explained() -> None:
    reading = read_date("15/03/2026", locale="en_US", anchor=ANCHOR)
    assert reading.note == "read day first as 15 Mar 2026, since the other way is no date"


def test_dates_are_shown_unambiguously() -> None:
    assert fmt(date(2026, 3, 3)) == "3 Mar 2026"
    assert to_serial(date(2020, 1, 1)) == 43831
