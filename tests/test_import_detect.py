"""Finding the plan by what its cells hold (addon/plan/adopt/detect.py, issue 20): a table
of steps with dates is taken whatever its headers say, a pricing table is not, a header
the vocabulary has never seen is placed by its column's cells, and the rep's --table and
--column overrides win (a wrong one names what the file has)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from addon.plan.adopt import OverrideError, Source, adopt
from tests.cli_helpers import run

TODAY = date(2026, 10, 5)

STEPS = [
    ["Kickoff call with the project team", "Ana Ruiz", date(2026, 10, 1)],
    ["Security questionnaire returned", "Ben Cole", date(2026, 10, 9)],
    ["Pricing proposal sent", "Ana Ruiz", date(2026, 10, 14)],
    ["Legal review of the MSA", "Cara Diaz", date(2026, 10, 21)],
    ["Order form signed", "Ben Cole", date(2026, 10, 30)],
]


def _plan(headers: list[str]) -> list[list[object]]:
    return [list(headers), *[list(row) for row in STEPS]]


def test_a_table_of_steps_with_dates_is_taken_whatever_its_headers() -> None:
    grid = [["Acme rollout"], [], *_plan(["Deliverable thing", "Assigned to", "Due"])]
    found = adopt(Source("p.xlsx", {"Sheet1": grid}), today=TODAY)
    assert found.plan_tab == "Sheet1" and found.header_row == 3
    assert [s.step for s in found.steps] == [row[0] for row in STEPS]
    assert found.steps[1].due == date(2026, 10, 9)
    taken = [c for c in found.candidates if c.taken]
    assert len(taken) == 1 and taken[0].where == "Sheet1!A3:C8"
    assert "5 rows of step text" in taken[0].evidence and "a date column (Due)" in taken[0].evidence


def test_an_unknown_header_is_placed_by_what_its_column_holds() -> None:
    grid = _plan(["Name", "Stakeholders", "When"])
    found = adopt(Source("p.csv", {"p": grid}), today=TODAY)
    fields = {c.header: c.field for c in found.columns}
    assert fields["Name"] == "step"
    assert fields["Stakeholders"] == "owner"
    assert fields["When"] == "due"
    assert any("by what its cells hold" in n.message for n in found.readings)
    assert found.steps[0].buyer_owner == "Ana Ruiz"


def test_a_pricing_table_is_not_a_plan_and_the_report_says_why() -> None:
    grid = [
        ["Due date", "Milestone", "Amount", "Owner", "Status"],
        [date(2026, 11, 1), "Invoice 1: 50% on signature", 42510, "Accounts payable", "Scheduled"],
        [date(2027, 2, 1), "Invoice 2: 25% at go-live", 21255, "Accounts payable", "Scheduled"],
        [date(2027, 5, 1), "Invoice 3: 25% at 6 months", 21255, "Accounts payable", "Scheduled"],
    ]
    found = adopt(Source("p.xlsx", {"Payment schedule": grid}), today=TODAY)
    assert found.plan_tab is None and not found.steps
    assert found.candidates and not any(c.taken for c in found.candidates)
    assert "a column of amounts (Amount)" in found.candidates[0].short
    whole = [p for p in found.problems if p.cell == ""]
    assert whole and "no plan taken" in whole[0].message


def test_nothing_like_a_plan_says_so() -> None:
    grid = [["Tier", "Seats", "ARR"], ["Basic", 25, 5700], ["Pro", 120, 70560]]
    found = adopt(Source("p.xlsx", {"Tiers": grid}), today=TODAY)
    assert found.plan_tab is None
    assert any(p.cell == "" and "no plan taken" in p.message for p in found.problems)


def test_the_better_table_ranks_first_and_the_other_says_why() -> None:
    notes = [["Topic", "Owner", "Remark"], ["Budget", "Ana Ruiz", "ok"]]
    grid = {"Notes": notes, "Plan": _plan(["Action", "Owner", "Due"])}
    found = adopt(Source("p.xlsx", grid), today=TODAY)
    assert found.plan_tab == "Plan"
    assert found.candidates[0].taken and found.candidates[0].where.startswith("Plan!")


def test_repeated_header_rows_and_group_names_are_sections() -> None:
    header = ["Name", "Person", "Date"]
    grid: list[list[object]] = [
        ["Evaluation"],
        header,
        ["Discovery workshop held", "Ravi Menon", date(2026, 9, 9)],
        ["Costing demo on their data", "Ravi Menon", date(2026, 9, 16)],
        [],
        ["Approvals"],
        header,
        ["IT security review", "Kate Doyle", date(2026, 10, 7)],
        ["Budget sign-off", "Kate Doyle", date(2026, 10, 23)],
    ]
    found = adopt(Source("b.xlsx", {"Board": grid}), today=TODAY)
    assert found.header_row == 2
    assert [(s.phase, s.step) for s in found.steps] == [
        ("Evaluation", "Discovery workshop held"),
        ("Evaluation", "Costing demo on their data"),
        ("Approvals", "IT security review"),
        ("Approvals", "Budget sign-off"),
    ]
    cells = sum(1 for row in grid for v in row if v not in (None, ""))
    assert found.placed + len(found.unplaced) == cells
    assert not [u for u in found.unplaced if u.value in header]


def test_table_override_takes_the_named_table() -> None:
    grid = {
        "Old": _plan(["Action", "Owner", "Due"]),
        "New": [["Draft"], [], *_plan(["Thing", "Person", "By"])],
    }
    found = adopt(Source("p.xlsx", grid), today=TODAY, table="New!A3")
    assert found.plan_tab == "New" and found.header_row == 3
    assert len(found.steps) == 5


def test_column_override_maps_a_header_to_a_field() -> None:
    grid = _plan(["Action", "Owner", "Due"])
    found = adopt(Source("p.xlsx", {"Plan": grid}), today=TODAY, columns={"Owner": "notes"})
    fields = {c.header: c.field for c in found.columns}
    assert fields["Owner"] == "notes"
    assert found.steps[0].notes == "Ana Ruiz" and not found.steps[0].buyer_owner


@pytest.mark.parametrize(
    ("table", "columns", "says"),
    [
        ("Nope!A1", None, 'no tab "Nope"; the tabs are "Plan"'),
        ("Plan!A40", None, "Plan!A40 is blank"),
        (None, {"Whatever": "step"}, 'the headers are "Action", "Due", "Owner"'),
        (None, {"Owner": "boss"}, '"boss" is no field'),
    ],
)
def test_a_wrong_override_names_what_exists(
    table: str | None, columns: dict[str, str] | None, says: str
) -> None:
    grid = _plan(["Action", "Owner", "Due"])
    with pytest.raises(OverrideError) as caught:
        adopt(Source("p.xlsx", {"Plan": grid}), today=TODAY, table=table, columns=columns)
    assert says in str(caught.value)


def test_cli_overrides_and_candidates(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(
        "Thing,Person,By\n" + "".join(f"{s},{o},{d.isoformat()}\n" for s, o, d in STEPS),
        encoding="utf-8",
    )
    ok = run(tmp_path / "ws", "import", str(path), "--dry-run", "--today", "2026-10-05")
    assert "Plan: plan!A1:C6" in ok.output
    bad = run(
        tmp_path / "ws",
        "import",
        str(path),
        "--dry-run",
        "--column",
        "Stuff=step",
        "--today",
        "2026-10-05",
        ok=False,
    )
    assert bad.exit_code == 2
    assert 'no column headed "Stuff"' in bad.output and '"Thing"' in bad.output
