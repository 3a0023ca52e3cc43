"""Reading statuses, owners, dependencies and thresholds: one row per way buyers write them."""

from __future__ import annotations

import pytest

from addon.plan.cells import read_depends, read_owners, read_status, read_threshold
from addon.plan.models import OwnerKind, Stakeholder
from sheets_schema.vocab import Status

S = Status


@pytest.mark.parametrize(
    ("value", "status", "rest"),
    [
        ("Done", S.DONE, ""),
        ("done", S.DONE, ""),
        ("Complete", S.DONE, ""),
        ("✅", S.DONE, ""),
        ("✅ Done", S.DONE, ""),
        ("✓", S.DONE, ""),
        ("✔️", S.DONE, ""),
        ("Done - PO pending", S.DONE, "PO pending"),
        ("100%", S.DONE, ""),
        (True, S.DONE, ""),
        ("Erledigt", S.DONE, ""),
        ("Terminé", S.DONE, ""),
        ("hecho", S.DONE, ""),
        ("In progress", S.IN_PROGRESS, ""),
        ("◐", S.IN_PROGRESS, ""),
        ("🔄", S.IN_PROGRESS, ""),
        ("WIP", S.IN_PROGRESS, ""),
        ("en cours", S.IN_PROGRESS, ""),
        ("50%", S.IN_PROGRESS, ""),
        (0.5, S.IN_PROGRESS, ""),
        ("In Bearbeitung", S.IN_PROGRESS, ""),
        ("Not started", S.NOT_STARTED, ""),
        ("☐", S.NOT_STARTED, ""),
        ("To do", S.NOT_STARTED, ""),
        ("Not scheduled", S.NOT_STARTED, ""),
        ("Pending", S.NOT_STARTED, ""),
        (False, S.NOT_STARTED, ""),
        ("À faire", S.NOT_STARTED, ""),
        ("Blocked", S.BLOCKED, ""),
        ("⛔ stuck on legal", S.BLOCKED, "on legal"),
        ("Blockiert", S.BLOCKED, ""),
        ("On hold", S.ON_HOLD, ""),
        ("⏸️", S.ON_HOLD, ""),
        ("Zurückgestellt", S.ON_HOLD, ""),
        ("N/A", S.SKIPPED, ""),
        ("Skipped (N/A)", S.SKIPPED, ""),
        ("Cancelled", S.SKIPPED, ""),
        ("Entfällt", S.SKIPPED, ""),
        ("Sans objet", S.SKIPPED, ""),
    ],
)
def test_status_words_symbols_and_languages(value: object, status: Status, rest: str) -> None:
    reading = read_status(value)
    assert (reading.status, reading.rest) == (status, rest)


@pytest.mark.parametrize(
    "value", ["🟢", "🤷", "=IMPORTXML(A1)", "Fait ?", "Done?", "maybe", 7, "At risk"]
)
def test_unknown_statuses_are_not_guessed(value: object) -> None:
    assert read_status(value).status is None


def test_empty_status_is_empty() -> None:
    assert read_status("  ").empty and read_status(None).empty


PEOPLE = [
    Stakeholder(1, "Sarah Lee", "sarah@buyer.example.com", None, None, "", "", ""),
    Stakeholder(2, "Dana Whitfield", "dana@buyer.example.com", None, None, "", "", ""),
    Stakeholder(3, "Dana Ortiz", "dortiz@buyer.example.com", None, None, "", "", ""),
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sarah Lee", [(OwnerKind.PERSON, "Sarah Lee")]),
        ("sarah", [(OwnerKind.PERSON, "Sarah Lee")]),
        ("SARAH@buyer.example.com", [(OwnerKind.PERSON, "Sarah Lee")]),
        ("Sarah L.", [(OwnerKind.PERSON, "Sarah Lee")]),
        ("Dana", [(OwnerKind.UNLISTED, "Dana")]),  # two Danas: not guessed
        ("Sarah + CFO", [(OwnerKind.PERSON, "Sarah Lee"), (OwnerKind.ROLE, None)]),
        (
            "Sarah & Dana Whitfield",
            [(OwnerKind.PERSON, "Sarah Lee"), (OwnerKind.PERSON, "Dana Whitfield")],
        ),
        ("Buyer: Sarah Lee", [(OwnerKind.PERSON, "Sarah Lee")]),
        ("TBD", [(OwnerKind.PLACEHOLDER, None)]),
        ("Legal - TBD", [(OwnerKind.PLACEHOLDER, None)]),
        ("Both", [(OwnerKind.PLACEHOLDER, None)]),
        ("Legal team", [(OwnerKind.ROLE, None)]),
        ("Procurement", [(OwnerKind.ROLE, None)]),
        ("Bob Jones", [(OwnerKind.UNLISTED, "Bob Jones")]),
        ("new.person@buyer.example.com", [(OwnerKind.UNLISTED, None)]),
        ("", []),
        ("Sarah Lee (legal)", [(OwnerKind.PERSON, "Sarah Lee")]),  # a department beside her
        ("(Sarah Lee)", [(OwnerKind.PERSON, "Sarah Lee")]),
        ("(", []),  # a lone bracket: nothing, and no endless unwrapping
        ("Sarah + (", [(OwnerKind.PERSON, "Sarah Lee")]),
        ("Sarah +", [(OwnerKind.PERSON, "Sarah Lee")]),  # an empty part once looped forever
    ],
)
def test_owners(value: str, expected: list[tuple[OwnerKind, str | None]]) -> None:
    assert [(o.kind, o.name) for o in read_owners(value, PEOPLE)] == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [("Sarah Lee (legal)", "Sarah Lee (legal)"), ("(Sarah Lee)", "Sarah Lee"), ("Bob (", "Bob")],
)
def test_an_owner_is_quoted_as_typed(value: str, text: str) -> None:
    (owner,) = read_owners(value, PEOPLE)
    assert owner.text == text


KNOWN = {
    "S01": "Discovery call held",
    "S03": "Legal review complete",
    "S05": "Security review complete",
    "S10": "Order form signed",
}


@pytest.mark.parametrize(
    ("value", "ids", "unreadable"),
    [
        ("S03, S05", ("S03", "S05"), ()),
        ("s3; s5", ("S03", "S05"), ()),
        ("3", ("S03",), ()),
        (3, ("S03",), ()),
        (10.0, ("S10",), ()),
        ("S03 and S05", ("S03", "S05"), ()),
        ("Legal review", ("S03",), ()),
        ("security review complete", ("S05",), ()),
        ("None", (), ()),
        ("—", (), ()),
        ("-", (), ()),
        ("n/a", (), ()),
        (None, (), ()),
        ("S06", (), ("S06",)),  # a deleted step
        ("S03, the pilot", ("S03",), ("the pilot",)),
        ("review", (), ("review",)),  # names two steps: not guessed
    ],
)
def test_dependencies(value: object, ids: tuple[str, ...], unreadable: tuple[str, ...]) -> None:
    reading = read_depends(value, KNOWN)
    assert (reading.ids, reading.unreadable) == (ids, unreadable)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("If 14+ days late: escalate", 14),
        ("21 days", 21),
        ("2 weeks late: call", 14),
        ("two weeks or more: VP call", 14),
        ("escalate to the VP", 14),
        ("", None),
        ("If 3+ days late: resend", 3),
    ],
)
def test_consequence_threshold(text: str, days: int | None) -> None:
    assert read_threshold(text) == days
