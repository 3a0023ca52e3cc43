"""Issue 21, point 5: import places resources. A resources table (on any tab, with section
headings naming a Kind), a plan's links column and the addresses in a step's notes become
rows of the new MAP's Resources tab; their cells count as placed, and a resources table's
column with no home ("File size") is listed cell by cell, as elsewhere."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from addon.plan.adopt import Source, adopt
from addon.plan.adopt.links import _links_in
from addon.plan.models import Grid
from sheets_schema.workbook import RESOURCES
from tests.cli_helpers import imported_workbook, run

TODAY = date(2026, 10, 1)


def test_a_link_s_title_is_the_text_written_with_it_else_made_up_from_the_address() -> None:
    def read(text: str) -> list[tuple[str, str, bool]]:
        return [(k.title, k.url, k.made_up) for k in _links_in(text)]

    assert read("Pen test summary here: https://trust.example.com/pen.pdf.") == [
        ("Pen test summary", "https://trust.example.com/pen.pdf", False)
    ]
    assert read("[Order form](https://acme.example.com/of-3) and see https://a.example.com/x") == [
        ("Order form", "https://acme.example.com/of-3", False),
        ("X", "https://a.example.com/x", True),
    ]
    assert read('=HYPERLINK("https://acme.example.com/msa","Draft MSA")') == [
        ("Draft MSA", "https://acme.example.com/msa", False)
    ]
    assert read("https://acme.example.com/docs/security-white_paper.pdf") == [
        ("Security white paper", "https://acme.example.com/docs/security-white_paper.pdf", True)
    ]
    assert read("https://drive.google.com/drive/folders/1kYw2pR7sXnT1dVcUe9aHfLqZgM3bN5oP")[0][
        0
    ] == ("Google Drive folder")
    assert read("Recording on the Resources tab") == []


def _source() -> Source:
    grids: dict[str, Grid] = {
        "Plan": [
            ["#", "Task", "Customer owner", "Vendor owner", "Due", "Links", "Notes"],
            [1, "Discovery call", "Mara Quist", "Leo Dunn", date(2026, 10, 2), "", ""],
            [
                2,
                "Security review",
                "Ivy Chen",
                "",
                date(2026, 10, 16),
                "SIG Lite: https://files.example.com/sig-lite.xlsx",
                "Pen test summary here: https://trust.widgetco.example.com/pen-test.pdf",
            ],
            [3, "Contract signed", "Mara Quist", "Leo Dunn", date(2026, 11, 12), "TBD", ""],
        ],
        "Documents": [
            ["Document", "URL", "Provided by", "Related step", "Date shared", "File size"],
            ["Security"],
            ["SOC 2 report", "https://trust.widgetco.example.com/soc2", "Leo Dunn", 2,
             "02/10/2026", "2 MB"],
            [],
            ["Legal documents"],
            ["Draft MSA", "https://widgetco.example.com/msa", "Leo Dunn", "Contract signed",
             date(2026, 10, 9)],
            ["Brochure", "In the data room", "", "", "", "1 MB"],
        ],
        "Team": [
            ["Name", "Company", "Role", "Email"],
            ["Mara Quist", "Harbor Freight", "Champion", "mara.quist@harbor.example.com"],
            ["Leo Dunn", "Widgetco", "Account executive", "leo.dunn@widgetco.example.com"],
        ],
    }  # fmt: skip
    return Source("plan.xlsx", grids)


def test_a_resources_tab_links_and_notes_become_the_resources_tab_s_rows() -> None:
    found = adopt(
        _source(),
        today=TODAY,
        buyer_company="Harbor Freight",
        seller_company="Widgetco",
        locale="en_GB",
    )
    got = [
        (r.title, r.kind, r.step, r.link, r.side, r.provider, r.shared_on) for r in found.resources
    ]
    assert got == [
        ("SIG Lite", "Security", "S02", "https://files.example.com/sig-lite.xlsx", "Buyer", "",
         None),  # the step's one owner is the buyer
        ("Pen test summary", "Security", "S02", "https://trust.widgetco.example.com/pen-test.pdf",
         "Seller", "", None),  # on the seller's site, though the buyer owns the step
        ("SOC 2 report", "Security", "S02", "https://trust.widgetco.example.com/soc2", "Seller",
         "Leo Dunn", date(2026, 10, 2)),
        ("Draft MSA", "Legal", "S03", "https://widgetco.example.com/msa", "Seller", "Leo Dunn",
         date(2026, 10, 9)),
        ("Brochure", "Legal", "", "", "", "", None),  # still under "Legal documents"
    ]  # fmt: skip
    assert "In the data room" in found.resources[-1].notes
    security = found.steps[1]
    assert "Pen test summary here" in security.notes  # the notes stay the step's notes
    assert any(c.field == "resources" and c.header == "Links" for c in found.columns)
    unplaced = {(u.tab, u.cell): u.message for u in found.unplaced}
    # the headings, the links and the notes are placed; the File size column is not
    assert {k for k in unplaced if k[0] == "Documents"} == {
        ("Documents", "F1"),
        ("Documents", "F3"),
        ("Documents", "F7"),
    }
    assert '"File size" column' in unplaced[("Documents", "F3")]
    assert ("Plan", "F3") not in unplaced and ("Plan", "G3") not in unplaced
    assert "no address" in unplaced[("Plan", "F4")]  # "TBD" names no document
    made = [n for n in found.readings if n.tab == "Documents" and n.cell == "A2"]
    assert made and 'Kind "Security"' in made[0].message


def test_the_dry_run_lists_the_resources_and_the_new_workbook_holds_them(
    tmp_path: Path,
) -> None:
    wb = Workbook()
    plan = wb.active
    assert plan is not None
    plan.title = "Plan"
    for row in (
        ["Task", "Customer owner", "Vendor owner", "Due", "Status", "Link"],
        ["Discovery call", "Mara Quist", "Leo Dunn", date(2026, 10, 8), "Done", ""],
        [
            "Security review",
            "Ivy Chen",
            "",
            date(2026, 10, 22),
            "Not started",
            "https://widgetco.example.com/security/overview",
        ],
        ["Contract signed", "Mara Quist", "Leo Dunn", date(2026, 11, 12), "Not started", ""],
    ):
        plan.append(row)
    team = wb.create_sheet("Team")
    team.append(["Name", "Company", "Role", "Email"])
    team.append(["Mara Quist", "Harbor Freight Lines", "Champion", "mara.quist@example.com"])
    resources = wb.create_sheet("Resources")
    for row in (
        ["Resource", "Link", "Type", "Owner", "Step"],
        ["Mutual NDA", "https://widgetco.example.com/nda", "Legal", "Leo Dunn", "Discovery call"],
        ["ROI model", "https://widgetco.example.com/roi/harbor", "Commercial", "Leo Dunn", ""],
    ):
        resources.append(row)
    source = tmp_path / "harbor plan.xlsx"
    wb.save(source)
    dry = json.loads(
        run(tmp_path, "import", str(source), "--dry-run", "--today", "2026-10-01", "--json").output
    )
    assert [(r["title"], r["step"]) for r in dry["resources"]] == [
        ("Overview", "S02"),
        ("Mutual NDA", "S01"),
        ("ROI model", ""),
    ]
    text = run(tmp_path, "import", str(source), "--dry-run", "--today", "2026-10-01").output
    assert "Resources (3):" in text
    assert "Mutual NDA — https://widgetco.example.com/nda — S01" in text
    assert "Resources!" not in text.split("Not placed")[1]  # the whole tab is placed
    book = imported_workbook(
        tmp_path,
        source,
        "--today",
        "2026-10-01",
        "--buyer-company",
        "Harbor Freight Lines",
        "--rep-name",
        "Leo Dunn",
        "--rep-email",
        "leo.dunn@widgetco.example.com",
    )
    rows = [[c.value for c in row] for row in book["Resources"].iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[:1] == ["Resource"])
    assert rows[header][:8] == [c.header for c in RESOURCES.columns][:8]
    body = [row[:6] for row in rows[header + 1 :] if any(row)]
    assert body == [
        ["Overview", "Security", "S02", "https://widgetco.example.com/security/overview",
         "Seller", None],  # the seller's site, though the buyer owns the step
        ["Mutual NDA", "Legal", "S01", "https://widgetco.example.com/nda", "Seller", "Leo Dunn"],
        ["ROI model", "Commercial", None, "https://widgetco.example.com/roi/harbor", "Seller",
         "Leo Dunn"],
    ]  # fmt: skip
