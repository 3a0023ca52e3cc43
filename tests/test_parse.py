"""Reading the workbook's structure: headers, rows, ids, sections, computed cells, problems."""

from __future__ import annotations

from datetime import date

from addon.plan.models import ProblemKind, StepMemory
from addon.plan.parse import parse_map
from tests.plan_helpers import HEADER, grids, parse, row

TODAY = date(2026, 3, 10)


def messages(parsed, cell: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.message for p in parsed.problems if p.where == cell]


def test_header_found_below_a_title_block_with_renamed_and_moved_columns() -> None:
    grid = [
        ["Our plan with Vendor"],
        [],
        ["notes from the kickoff"],
        [],
        ["Status ", "Task", "Due", "#", "Owner (Customer)"],
        ["Done", "Kickoff held", date(2026, 3, 2), "S01", "Dana Whitfield"],
        ["", "Pilot signed off", "3/20/2026", "S02", ""],
    ]
    parsed = parse_map({"plan": grid}, today=TODAY)
    assert [(s.id, s.step, s.status.value if s.status else None, s.due) for s in parsed.steps] == [
        ("S01", "Kickoff held", "done", date(2026, 3, 2)),
        ("S02", "Pilot signed off", "not_started", date(2026, 3, 20)),
    ]
    assert parsed.steps[0].buyer_owner == "Dana Whitfield"


def test_blank_and_section_rows_and_merged_phases() -> None:
    parsed = parse(
        row("S01", due=date(2026, 3, 12)),
        [],
        [None, "Contract"],
        row("S02", due=date(2026, 3, 20)),
        today=TODAY,
    )
    phases = [s.phase for s in parsed.steps]
    assert phases == ["Evaluate", "Evaluate"]  # each row names its own phase
    assert parsed.problems == ()
    g = grids(row("S01"), ["", "Contract"], row("S02"))
    g["Plan"][5][1] = None  # S02's phase cell empty, as a merged range reads
    parsed = parse_map(g, today=TODAY)
    assert [s.phase for s in parsed.steps] == ["Evaluate", "Contract"]


def test_rows_without_ids_get_the_next_free_ids_and_duplicates_are_reissued() -> None:
    memory = {"S01": StepMemory("S01", text="Step S01"), "S07": StepMemory("S07", text="Old")}
    parsed = parse(
        row("S01"), row("S01", "Pasted copy"), row("", "New step"), today=TODAY, memory=memory
    )
    assert [s.id for s in parsed.steps] == ["S01", "S08", "S09"]
    assert [(a.row, a.old, a.new) for a in parsed.id_assignments] == [
        (4, "S01", "S08"),
        (5, "", "S09"),
    ]
    assert messages(parsed, "Plan!A5") == ["S01 is used by another row; this row is now S08"]


def test_duplicate_id_stays_with_the_row_the_registry_knows() -> None:
    memory = {"S01": StepMemory("S01", text="Security review")}
    parsed = parse(
        row("S01", "Pasted above"), row("S01", "Security review"), today=TODAY, memory=memory
    )
    assert [(s.id, s.step) for s in parsed.steps] == [
        ("S02", "Pasted above"),
        ("S01", "Security review"),
    ]


def test_sorted_rows_keep_their_identity() -> None:
    parsed = parse(row("S03", "Third"), row("S01", "First"), row("S02", "Second"), today=TODAY)
    assert {s.id: s.step for s in parsed.steps} == {"S01": "First", "S02": "Second", "S03": "Third"}
    assert parsed.id_assignments == ()


def test_text_typed_into_computed_cells_is_kept_not_lost() -> None:
    last = {"S01": {"health": "On track", "days_late": ""}}
    parsed = parse(
        row("S01", health="waiting on legal", days_late=""),
        row("S02", health="On track"),
        today=TODAY,
        last_written=last,
    )
    assert [(k.step_id, k.column, k.text) for k in parsed.kept_text] == [
        ("S01", "Health", "waiting on legal")
    ]
    assert messages(parsed, "Plan!L4") == [
        "Health is filled in by the sync; your text is kept in this row's sync note. "
        "Type notes in the Notes column"
    ]


def test_unreadable_cells_are_reported_with_where_what_and_the_fix() -> None:
    parsed = parse(row("S01", due="soonish", status="maybe?", depends="S09"), today=TODAY)
    problems = {(p.where, p.value, p.kind): p.message for p in parsed.problems}
    assert problems == {
        (
            "Plan!F4",
            "soonish",
            ProblemKind.UNREADABLE,
        ): "not a date this sheet understands; type a date like 15 Mar 2026 or 2026-03-15",
        (
            "Plan!H4",
            "maybe?",
            ProblemKind.UNREADABLE,
        ): "not a status this sheet understands; type one of: Not started, In progress, "
        "Done, Blocked, On hold, Skipped (N/A)",
        (
            "Plan!G4",
            "S09",
            ProblemKind.UNREADABLE,
        ): '"S09" names no step; type row ids like S03, S05 (or None)',
    }
    assert str(parsed.problems[0]) == (
        'Plan!H4 "maybe?": not a status this sheet understands; type one of: Not started, '
        "In progress, Done, Blocked, On hold, Skipped (N/A)"
    )


def test_an_unreadable_date_keeps_the_last_readable_one() -> None:
    memory = {
        "S01": StepMemory("S01", current_due=date(2026, 3, 20), baseline_due=date(2026, 3, 20))
    }
    parsed = parse(row("S01", due="20th-ish"), today=TODAY, memory=memory)
    assert parsed.steps[0].due == date(2026, 3, 20)
    assert "keeping the last readable due date, 20 Mar 2026" in " ".join(
        messages(parsed, "Plan!F4")
    )


def test_missing_plan_tab_is_reported_not_raised() -> None:
    parsed = parse_map({"Sheet1": [["hello"]]}, today=TODAY)
    assert parsed.steps == ()
    assert parsed.problems[0].message.startswith("there is no Plan tab")


def test_plan_tab_found_by_content_when_renamed_and_with_trailing_space() -> None:
    parsed = parse_map({"Plan ": [HEADER, row("S01")]}, today=TODAY)
    assert [s.id for s in parsed.steps] == ["S01"]
    parsed = parse_map({"Our MAP": [HEADER, row("S01")]}, today=TODAY)
    assert [s.id for s in parsed.steps] == ["S01"]


def test_stakeholders_side_from_section_rows_and_bad_email() -> None:
    g = grids(row("S01", buyer="Priya"))
    g["Stakeholders"] = [
        ["Name", "Email", "Role"],
        ["Buyer team"],
        ["Priya Natarajan", "priya@buyer.example.com", "Security"],
        ["Seller team"],
        ["Sam Rivera", "sam(at)seller", "AE"],
    ]
    parsed = parse_map(g, today=TODAY)
    people = [
        (p.name, p.side.value if p.side else None, p.role.value if p.role else None)
        for p in parsed.stakeholders
    ]
    assert people == [("Priya Natarajan", "buyer", "security"), ("Sam Rivera", "seller", "ae")]
    assert messages(parsed, "Stakeholders!B5") == [
        "not an email address; type one like dana@example.com"
    ]
    assert parsed.steps[0].buyer_owners[0].name == "Priya Natarajan"
