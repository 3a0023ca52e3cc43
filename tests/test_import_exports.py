"""The importer's readers for task-tool exports and checkbox plans (issue 20): Jira's repeated
headers, Smartsheet's predecessors and parent rows, Trello's board JSON, Asana's subtasks,
checkbox cells, and a Side column naming a party the MAP has no place for."""

from __future__ import annotations

from datetime import date
from typing import Any

from addon.plan.adopt import Source, adopt
from addon.plan.adopt.checkbox import _checkbox
from addon.plan.adopt.exports import fold_repeated, is_trello, jira_date, trello_grids
from addon.plan.adopt.hierarchy import _parent_rows
from addon.plan.adopt.predecessors import _is_predecessors, _predecessor_rows
from sheets_schema.vocab import Status

TODAY = date(2026, 10, 5)


def _adopt(grids: dict[str, list[list[Any]]], **kw: Any) -> Any:
    return adopt(Source("t", grids, **kw.pop("source", {})), today=TODAY, **kw)


def test_jira_repeated_headers_fold_into_one_column() -> None:
    assert fold_repeated(["Summary", "Sprint", "Sprint", "Labels", " sprint "]) == {
        0: [0],
        1: [1, 2, 4],
        3: [3],
    }


def test_jira_export_reads_every_blocks_column_and_epics_as_phases() -> None:
    header = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Parent"]
    header += ["Inward issue link (Blocks)", "Inward issue link (Blocks)", "Sprint", "Sprint"]
    rows = [
        header,
        ["Evaluate", "K-1", "100", "Epic", "Done", "", "", "", "", ""],
        ["Demo", "K-2", "101", "Task", "Done", "100", "", "", "S1", "S2"],
        ["Data sample", "K-3", "102", "Task", "To Do", "100", "", "", "S1", ""],
        ["Pilot", "K-4", "103", "Task", "In Progress", "100", "K-2", "K-3", "", ""],
    ]
    got = _adopt({"Jira": rows})
    assert [s.step for s in got.steps] == ["Demo", "Data sample", "Pilot"]
    assert {s.phase for s in got.steps} == {"Evaluate"}
    pilot = got.steps[2]
    assert pilot.depends_on == ("S01", "S02")
    assert pilot.status is Status.IN_PROGRESS
    sprint = [c for c in got.columns if c.header == "Sprint"]
    assert [c.field for c in sprint] == ["", ""]
    unplaced = {u.cell for u in got.unplaced}
    assert {"I3", "J3", "I4"} <= unplaced  # each Sprint value is listed, none dropped
    assert got.placed + len(got.unplaced) == sum(1 for r in rows for v in r if v)


def test_jira_dates() -> None:
    assert jira_date("09/Sep/26 12:00 AM") == date(2026, 9, 9)
    assert jira_date("1/Feb/2027") == date(2027, 2, 1)
    assert jira_date("31/Feb/26") is None
    assert jira_date("Sep 9") is None


def test_smartsheet_predecessors_parsed() -> None:
    assert _predecessor_rows("3") == [(3, "")]
    assert _predecessor_rows("3FS") == [(3, "FS")]
    assert _predecessor_rows("4FS, 6") == [(4, "FS"), (6, "")]
    assert _predecessor_rows("12FS +3d") == [(12, "FS +3d")]
    assert _predecessor_rows("5ss-2d") == [(5, "SS -2d")]
    assert _predecessor_rows("Discovery workshop") is None
    assert _is_predecessors("Predecessors") and not _is_predecessors("Depends on")


def test_parent_rows_are_those_with_deeper_rows_below() -> None:
    # rows 1 and 5 are parents (their tasks at level 1), row 8 is a top-level task
    levels = {2: 1, 3: 1, 4: 1, 6: 1, 7: 1}
    assert _parent_rows(levels, 1, 9) == frozenset({1, 5})
    assert _parent_rows({}, 1, 9) == frozenset()


def test_smartsheet_sheet_parents_are_phases_and_predecessors_are_row_numbers() -> None:
    rows = [
        ["Task Name", "Finish", "Predecessors", "% Complete"],
        ["Evaluate", date(2026, 9, 20), "", 1.0],
        ["Demo", date(2026, 9, 10), "", 1.0],
        ["Pilot", date(2026, 9, 20), "2FS +2d", 0.5],
        ["Close", date(2026, 10, 30), "", 0.0],
        ["Contract signed", date(2026, 10, 30), "3, 2", 0.0],
    ]
    got = _adopt({"Sheet": rows}, source={"outline": {"Sheet": {2: 1, 3: 1, 5: 1}}})
    assert [(s.phase, s.step) for s in got.steps] == [
        ("Evaluate", "Demo"),
        ("Evaluate", "Pilot"),
        ("Close", "Contract signed"),
    ]
    assert got.steps[1].depends_on == ("S01",)
    assert got.steps[1].status is Status.IN_PROGRESS
    assert got.steps[2].depends_on == ("S02", "S01")
    assert got.steps[0].due == date(2026, 9, 10)
    assert any("parent row" in u.message for u in got.unplaced)  # its rolled-up values


def test_trello_json_flattened() -> None:
    board = {
        "name": "Acme x Us",
        "desc": "Acme: Ana. Us: Sara.",
        "lists": [{"id": "L1", "name": "Discover"}, {"id": "L2", "name": "Sign"}],
        "members": [{"id": "m1", "fullName": "Ana"}, {"id": "m2", "fullName": "Sara"}],
        "cards": [
            {"id": "c2", "name": "Sign", "idList": "L2", "idMembers": ["m1"], "pos": 1},
            {
                "id": "c1",
                "name": "Intro",
                "idList": "L1",
                "idMembers": ["m1", "m2"],
                "due": "2026-09-10T16:00:00.000Z",
                "dueComplete": True,
                "pos": 1,
            },
            {"id": "c3", "name": "Old", "idList": "L1", "closed": True, "pos": 2},
        ],
        "checklists": [
            {
                "idCard": "c1",
                "name": "Prep",
                "checkItems": [
                    {"name": "Agenda", "state": "complete", "pos": 1},
                    {"name": "Slides", "state": "incomplete", "pos": 2},
                ],
            }
        ],
    }
    assert is_trello(board) and not is_trello({"cards": "x"})
    grids = trello_grids(board)
    cards = grids["Cards"]
    assert [r[0] for r in cards[1:]] == ["Intro", "Old", "Sign"]  # list order, then position
    intro = cards[1]
    assert intro[1:5] == ["Discover", "Ana, Sara", date(2026, 9, 10), "TRUE"]
    assert intro[7] == "Prep: [x] Agenda; [ ] Slides"
    assert cards[2][8] == "TRUE"  # archived

    got = _adopt(grids, buyer_company="Acme")
    assert [s.step for s in got.steps] == ["Intro", "Sign"]  # the archived card is not a step
    assert got.steps[0].status is Status.DONE
    assert "[x] Agenda" in got.steps[0].notes  # checklist items are parts of the card
    assert {(p.name, p.side) for p in got.stakeholders} >= {("Ana", "Buyer"), ("Sara", "Seller")}
    assert (got.steps[0].buyer_owner, got.steps[0].seller_owner) == ("Ana", "Sara")
    assert any(u.message == "an archived card, not a step" for u in got.unplaced)


def test_checkbox_cells() -> None:
    assert _checkbox(True) is Status.DONE
    assert _checkbox(False) is Status.NOT_STARTED
    assert _checkbox("TRUE") is Status.DONE
    assert _checkbox(" false ") is Status.NOT_STARTED
    assert _checkbox("✓") is Status.DONE
    assert _checkbox("☐") is Status.NOT_STARTED
    assert _checkbox("maybe") is None
    assert _checkbox(1) is None


def test_checkbox_text_column_reads_as_status() -> None:
    rows = [
        ["Done", "Task", "Owner", "Due"],
        ["TRUE", "Kickoff", "Dana (Acme)", "9/8/2026"],
        ["FALSE", "Pilot", "Dana (Acme)", "9/20/2026"],
    ]
    got = _adopt({"Plan": rows}, buyer_company="Acme")
    assert [s.status for s in got.steps] == [Status.DONE, Status.NOT_STARTED]


def test_asana_subtask_kept_under_its_parents_phase_and_reported() -> None:
    header = ["Task ID", "Completed At", "Name", "Section/Column", "Assignee", "Assignee Email"]
    header += ["Due Date", "Parent task", "Blocked By (Dependencies)"]
    rows = [
        header,
        ["11", "2026-09-10", "Security review", "Legal", "Gwen", "gwen@acme.example.com",
         "2026-09-12", "", ""],
        ["12", "2026-09-09", "Upload SOC 2", "", "Sam", "sam@vendor.example.com",
         "2026-09-09", "Security review", ""],
        ["13", "", "Contract", "Close", "Gwen", "gwen@acme.example.com",
         "2026-10-01", "", "11, 12"],
    ]  # fmt: skip
    got = _adopt({"Asana": rows}, buyer_company="Acme")
    assert [(s.step, s.phase) for s in got.steps] == [
        ("Security review", "Legal"),
        ("Upload SOC 2", "Legal"),
        ("Contract", "Close"),
    ]
    assert got.steps[0].status is Status.DONE and got.steps[0].done_on == date(2026, 9, 10)
    assert got.steps[2].depends_on == ("S01", "S02")
    assert (got.steps[1].buyer_owner, got.steps[1].seller_owner) == ("", "Sam")
    assert any("subtask" in n.message for n in got.readings)
    assert {(p.name, p.email, p.side) for p in got.stakeholders} == {
        ("Gwen", "gwen@acme.example.com", "Buyer"),
        ("Sam", "sam@vendor.example.com", "Seller"),
    }


def test_a_side_that_cannot_be_read_is_not_placed() -> None:
    rows = [
        ["Customer:", "Acme"],
        [],
        ["Action", "Side", "Due"],
        ["Kickoff", "Joint", date(2026, 9, 14)],
        ["Integrations", "Partner", date(2026, 9, 20)],
    ]
    got = _adopt({"Plan": rows})
    assert [c.field for c in got.columns if c.header == "Side"] == ["owner"]
    partner = got.steps[1]
    assert (partner.buyer_owner, partner.seller_owner) == ("", "")
    assert "B5" in {u.cell for u in got.unplaced}
    assert got.steps[0].buyer_owner and got.steps[0].seller_owner


def test_asana_subtask_with_no_owner_or_date_is_folded_into_its_parents_notes() -> None:
    header = ["Task ID", "Completed At", "Name", "Section/Column", "Assignee", "Assignee Email"]
    header += ["Due Date", "Notes", "Parent task", "Blocked By (Dependencies)"]
    rows = [
        header,
        ["21", "", "Security review", "Legal", "Gwen", "gwen@acme.example.com",
         "2026-10-12", "Their TPRM portal", "", ""],
        ["22", "2026-10-02", "Send the pen test letter", "", "", "", "", "", "Security review",
         ""],
        ["23", "", "Fill in the questionnaire", "", "", "", "", "", "Security review", ""],
        ["24", "", "Upload SOC 2", "", "Sam", "sam@vendor.example.com", "", "",
         "Security review", ""],
        ["25", "", "Book the legal call", "", "", "", "", "", "Kickoff (not exported)", ""],
        ["26", "", "Contract", "Close", "Gwen", "gwen@acme.example.com", "2026-10-30", "", "",
         "21"],
    ]  # fmt: skip
    got = _adopt({"Asana": rows}, buyer_company="Acme")
    assert [s.step for s in got.steps] == [
        "Security review",
        "Upload SOC 2",  # its own assignee: a commitment, kept as a step
        "Book the legal call",  # its parent is not in the export: kept as a step
        "Contract",
    ]
    assert got.steps[0].notes == (
        "Their TPRM portal\n"
        "Subtask: Send the pen test letter (done 2026-10-02)\n"
        "Subtask: Fill in the questionnaire"
    )
    assert got.steps[1].phase == "Legal"
    folded = {n.cell: n.message for n in got.readings if "folded" in n.message}
    assert folded == {
        "C3": 'a subtask of "Security review" with no owner or date: folded into its '
        "parent's notes",
        "C4": 'a subtask of "Security review" with no owner or date: folded into its '
        "parent's notes",
    }
    kept = [n.message for n in got.readings if n.cell in ("C5", "C6")]
    assert "own owner or date" in kept[0] and "not in the export" in kept[1]
    assert not [u for u in got.unplaced if u.cell[1:] in ("3", "4")], got.unplaced
