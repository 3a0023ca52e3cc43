"""The Resources tab through the local workspace, as people use it: `mapctl create` lists the
template's documents, a buyer and a seller edit the tab in their spreadsheet program, and
`mapctl sync` writes each row's Sync note and a near step's "Still missing" line.

Links are read, never requested: a local HTTP server stands in for an internal address a
buyer typed, and it must see no request at all."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from openpyxl import load_workbook

from addon.plan.resources import LinkForm, read_link, resource_key
from tests.cli_helpers import create, editable_cells, run

CREATED, SYNCED = "2026-03-02", "2026-03-05"


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    """The Resources rows by title: header text -> value."""
    ws = load_workbook(path)["Resources"]
    header = [c.value for c in ws[3]]
    out = {}
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[0]:
            out[str(row[0])] = dict(zip(header, row, strict=False))
    return out


def _edit(
    path: Path, edits: dict[str, dict[str, Any]], add: tuple[dict[str, Any], ...] = ()
) -> None:
    """Type into the Resources tab by title (as a buyer finds a row), and add rows."""
    wb = load_workbook(path)
    ws = wb["Resources"]
    header = {c.value: c.column for c in ws[3]}
    for row in ws.iter_rows(min_row=4):
        title = str(row[0].value or "")
        for prefix, values in edits.items():
            if title.startswith(prefix):
                for column, value in values.items():
                    ws.cell(row=row[0].row, column=header[column]).value = value
    r = ws.max_row + 1
    for values in add:
        for column, value in values.items():
            ws.cell(row=r, column=header[column]).value = value
        r += 1
    wb.properties.lastModifiedBy = "Dana Whitfield"
    wb.save(path)


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.seen.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def internal_server() -> Any:
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_new_map_lists_the_templates_documents_and_says_what_a_near_step_lacks(
    tmp_path: Path,
) -> None:
    sheet = create(tmp_path)
    rows = _rows(sheet)
    assert rows["SOC 2 Type II report"]["For step"] == "S02"
    assert rows["SOC 2 Type II report"]["Link"] is None
    run(tmp_path, "sync", "--today", SYNCED)
    rows = _rows(sheet)
    # S02 (the security package) is due within two weeks: its documents are needed now.
    assert "needed for S02" in rows["SOC 2 Type II report"]["Sync note"]
    assert rows["Onboarding plan"]["Sync note"] is None  # kickoff is months away
    plan = load_workbook(sheet)["Plan"]
    s02 = next(r for r in plan.iter_rows(min_row=4, values_only=True) if r[0] == "S02")
    assert "Still missing: SOC 2 Type II report" in s02[16]


def test_links_are_checked_by_form_and_never_requested(
    tmp_path: Path, internal_server: str
) -> None:
    sheet = create(tmp_path)
    _edit(
        sheet,
        {
            "SOC 2": {"Link": "SOC2 here: https://trust.seller.example.com/soc2.pdf."},
            "Penetration": {"Link": f"{internal_server}/latest/meta-data/"},
            "Data processing": {"Link": "htps://legal.seller.example.com/dpa"},
            "Proposal": {"Link": "sent by email"},
            "ROI model": {"Link": "http://169.254.169.254/latest/meta-data/iam"},
        },
        add=(
            {
                "Resource": "Cyber insurance certificate",
                "Kind": "InfoSec",
                "For step": "S5",
                "Link": "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view",
                "Side": "Them",
            },
            {"Resource": "", "Link": "https://www.seller.example.com/trust", "Notes": "?"},
        ),
    )
    before = editable_cells(sheet)
    run(tmp_path, "sync", "--today", SYNCED)
    assert _Recorder.seen == []  # the service never called a typed address
    rows = _rows(sheet)
    assert rows["SOC 2 Type II report"]["Sync note"] is None or "Link" not in str(
        rows["SOC 2 Type II report"]["Sync note"]
    )
    assert "this computer's own address" in rows["Penetration test summary"]["Sync note"]
    assert "https://" in rows["Data processing agreement (DPA) draft"]["Sync note"]
    assert "no link here" in rows["Proposal and pricing"]["Sync note"]
    assert "link-local address" in rows["ROI model"]["Sync note"]
    cyber = rows["Cyber insurance certificate"]["Sync note"]
    assert "depends on who typed it" in cyber
    # Every buyer-editable cell is as they left it.
    assert editable_cells(sheet) == before
    ws = load_workbook(sheet)["Resources"]
    untitled = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[3] and not r[0])
    assert "say what this document is" in untitled[8]


def test_notes_are_ours_the_next_day_and_typed_text_is_kept_once(tmp_path: Path) -> None:
    sheet = create(tmp_path)
    run(tmp_path, "sync", "--today", SYNCED)
    _edit(sheet, {"Penetration": {"Sync note": "Priya: can we have the retest letter too?"}})
    run(tmp_path, "sync", "--today", "2026-03-06")
    for day in ("2026-03-07", "2026-03-09", "2026-03-10"):
        run(tmp_path, "sync", "--today", day)
    rows = _rows(sheet)
    note = rows["Penetration test summary"]["Sync note"]
    assert note.count("retest letter") == 1, note
    assert "Kept from" not in rows["SOC 2 Type II report"]["Sync note"]


def test_notes_follow_their_rows_when_the_tab_is_sorted(tmp_path: Path) -> None:
    sheet = create(tmp_path)
    _edit(sheet, {"ROI model": {"Link": "file:///C:/Users/dana/roi.xlsx"}})
    wb = load_workbook(sheet)
    ws = wb["Resources"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4) if r[0].value]
    rows.sort(key=lambda r: str(r[0]), reverse=True)  # Z to A by Resource, whole rows
    for i, values in enumerate(rows):
        for c, value in enumerate(values, start=1):
            ws.cell(row=4 + i, column=c).value = value
    wb.save(sheet)
    run(tmp_path, "sync", "--today", SYNCED)
    after = _rows(sheet)
    assert "on one computer" in after["ROI model"]["Sync note"]
    assert all(
        "on one computer" not in str(r["Sync note"]) for t, r in after.items() if t != "ROI model"
    )


@pytest.mark.parametrize(
    ("typed", "form", "url"),
    [
        ("https://docs.google.com/document/d/1AbCdEfGhIjKlMnOpQrStUvWx/edit", "drive", ""),
        ("<https://trust.example.com/soc2>", "web", "https://trust.example.com/soc2"),
        ("see https://a.example.com/x, then https://b.example.com/y", "web", ""),
        ("www.example.com/trust", "web", "https://www.example.com/trust"),
        ("http://user:secret@files.example.com/a.pdf", "bad", ""),
        ("http://[::1]/admin", "bad", ""),
        ("http://10.2.3.4/share", "bad", ""),
        ("https://intranet/soc2", "bad", ""),
        ("javascript:alert(1)", "bad", ""),
        ("\\\\fileserver\\legal\\msa.docx", "bad", ""),
        ("TBD", "none", ""),
        ("", "none", ""),
    ],
)
def test_read_link(typed: str, form: str, url: str) -> None:
    reading = read_link(typed)
    assert reading.form is LinkForm(form), reading
    if url:
        assert reading.url == url


def test_a_row_is_known_by_its_link_else_its_title() -> None:
    assert resource_key("SOC 2", "") == "title:soc 2"
    assert resource_key("SOC 2", "https://Trust.Example.com/soc2/") == "link:trust.example.com/soc2"
    assert resource_key("", "") == ""


def test_a_note_names_the_column_where_the_buyer_moved_it(tmp_path: Path) -> None:
    """Link moved to column B (swapped with Kind): the note still says Link."""
    sheet = create(tmp_path)
    wb = load_workbook(sheet)
    ws = wb["Resources"]
    for r in range(3, ws.max_row + 1):
        kind, link = ws.cell(r, 2).value, ws.cell(r, 4).value
        ws.cell(r, 2).value, ws.cell(r, 4).value = link, kind
    wb.save(sheet)
    _edit(sheet, {"ROI model": {"Link": "htps://roi.seller.example.com/model.xlsx"}})
    run(tmp_path, "sync", "--today", SYNCED)
    note = _rows(sheet)["ROI model"]["Sync note"]
    assert note.startswith('Link "htps://roi.seller.example.com/model.xlsx":'), note
