"""The Resources tab on Google, end to end: a buyer types rows through the Sheets API, the
real sync asks Drive about each Drive link (files.get by id, in one batch, never the
typed address) and writes each row's Sync note in its one write; the Sheet read back has
each note on its own row, even when the buyer sorts the tab between our read and our
write, and every cell the buyer owns as they left it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from addon.workspace.google_sheet import RESOURCE_TAB, SHEET_IDS
from tests.google_env import BUYER, SERVICE, Env, create
from tests.googlefake.drive import DriveFile

SYNC_DAY = date(2026, 3, 3)
OWNER = "priya@seller.example.com"  # a seller colleague who keeps the documents
DOMAIN_SHARED = "1SecurityPackForNorthwind00"
NOBODY = "1DraftSharedWithNobody00000"
MISSING = "1NoSuchFileAnywhere00000000"
PRIVATE = "1SomeoneElsesPrivateFile000"
TRASHED = "1LastYearsDeckInTheTrash000"
KEYED = "0B_OldLinkSharedFile0000000"
KEY = "0-kd8Fj2mQ"
NOTE = 8  # the Sync note column (I)
BUYER_COLUMNS = 8  # A..H: Resource, Kind, For step, Link, Side, Provided by, Shared on, Notes


def drive_link(file_id: str, key: str = "") -> str:
    return f"https://drive.google.com/file/d/{file_id}/view" + (
        f"?resourcekey={key}" if key else ""
    )


@dataclass
class Listener:
    url: str  # an address on it, as a buyer might paste one
    seen: list[str]  # every request it received


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A local HTTP server a buyer's link points at: it records every request it gets."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()

        do_POST = do_HEAD = do_GET

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield Listener(f"http://127.0.0.1:{server.server_port}/latest/meta-data", seen)
    finally:
        server.shutdown()


def documents(env: Env) -> dict[str, DriveFile]:
    """The documents the buyer links to, as their owners shared them."""
    fake = env.fake
    return {
        "domain": fake.add_file(
            DOMAIN_SHARED,
            "Security pack",
            OWNER,
            [("domain", "reader", "northwind.example.com"), ("user", "writer", SERVICE)],
        ),
        "nobody": fake.add_file(NOBODY, "Draft MSA", OWNER, [("user", "writer", SERVICE)]),
        "private": fake.add_file(PRIVATE, "Notes", OWNER, [("user", "reader", BUYER)]),
        "trashed": fake.add_file(
            TRASHED, "2025 deck", OWNER, [("user", "writer", SERVICE)], trashed=True
        ),
        "keyed": fake.add_file(
            KEYED, "2019 reference deck", OWNER, [("anyone", "reader", "")], resource_key=KEY
        ),
    }


def buyer_rows(local_url: str) -> list[list[Any]]:
    """What the buyer types: one row per case (A..H)."""
    return [
        ["Security pack", "Security", "S02", drive_link(DOMAIN_SHARED), "Seller", OWNER, "", ""],
        ["Draft MSA", "Legal", "S08", drive_link(NOBODY), "Seller", OWNER, "", ""],
        ["Pricing model", "Commercial", "S06", drive_link(MISSING), "Seller", "", "", ""],
        ["Meeting notes", "Other", "S06", drive_link(PRIVATE), "Seller", "", "", ""],
        ["2025 deck", "Technical", "S04", drive_link(TRASHED), "Seller", "", "", ""],
        ["Reference deck", "Technical", "S04", drive_link(KEYED, KEY), "Seller", "", "", ""],
        ["Metadata", "Other", "", "http://169.254.169.254/latest/meta-data", "Buyer", "", "", ""],
        ["Our wiki page", "Other", "", local_url, "Buyer", "", "", ""],
        ["Signed NDA", "Legal", "S01", "", "Buyer", "Dana Whitfield", "", "please send"],
    ]


EXPECTED = {
    "Security pack": "",  # the buyer's domain can open it: nothing to say
    "Draft MSA": "Northwind Traders cannot open this Drive file",
    "Pricing model": "Drive has no file with this link that the MAP service can see",
    "Meeting notes": "Drive has no file with this link that the MAP service can see",
    "2025 deck": "in the trash",
    "Reference deck": "",  # found with its resource key; who may open it is not shown
    "Metadata": "link-local address",
    "Our wiki page": "this computer's own address",
    "Signed NDA": "needed for S01",
}


def buyer_writes(env: Env, sheet: str, rows: list[list[Any]], first: int = 17) -> None:
    """The buyer types the rows below the template's, as Sheets' UI does (USER_ENTERED)."""
    env.buyer().spreadsheets().values().update(
        spreadsheetId=sheet,
        range=f"Resources!A{first}:H{first + len(rows) - 1}",
        valueInputOption="USER_ENTERED",
        body={"values": rows},
    ).execute()


def resources(env: Env, sheet: str) -> list[list[Any]]:
    """The Resources tab's rows below the header, as the service reads them (the Sync note
    column filled by its formula)."""
    return [row + [""] * (NOTE + 1 - len(row)) for row in env.grids(sheet)["Resources"][3:]]


def notes_by_title(rows: list[list[Any]]) -> dict[str, str]:
    return {str(r[0]): str(r[NOTE] or "") for r in rows if r[0]}


def assert_notes(rows: list[list[Any]]) -> None:
    notes = notes_by_title(rows)
    for title, expected in EXPECTED.items():
        if expected:
            assert expected in notes[title], (title, notes[title])
        else:
            assert notes[title] == "", (title, notes[title])


def test_each_rows_sync_note_says_what_drive_and_the_link_say(env: Env, listener: Listener) -> None:
    created = create(env, shared=True)
    sheet = created.files.sheet
    documents(env)
    buyer_writes(env, sheet, buyer_rows(listener.url))
    before = [row[:BUYER_COLUMNS] for row in resources(env, sheet)]
    env.fake.log.clear()
    report = env.sync(SYNC_DAY)
    assert report.results[0].outcome == "written"
    after = resources(env, sheet)
    assert [row[:BUYER_COLUMNS] for row in after] == before  # no buyer cell was written
    assert_notes(after)
    assert listener.seen == []  # the typed addresses were never requested
    # Drive was asked by file id, one batch; the keyed file with its key in the header.
    gets = [c for c in env.fake.log if c.method == "drive.files.get"]
    assert len(gets) == 6 and [c.method for c in env.fake.log].count("batch") == 1
    ok = {c.status for c in gets}
    assert ok == {200, 404}
    # The write touched only the computed tabs and the hidden notes table.
    writes = [c for c in env.fake.log if c.method == "sheets.spreadsheets.values.batchUpdate"]
    ranges = [d["range"] for w in writes[:1] for d in _json(w.body)["data"]]
    assert any(r.startswith(f"{RESOURCE_TAB}!") for r in ranges)
    assert not any(r.startswith("Resources!") for r in ranges)


def test_notes_land_on_their_rows_when_the_buyer_sorts_between_read_and_write(
    env: Env, listener: Listener
) -> None:
    created = create(env, shared=True)
    sheet = created.files.sheet
    documents(env)
    buyer_writes(env, sheet, buyer_rows(listener.url))
    dispatch = env.fake.dispatch
    sorted_once: list[str] = []

    def buyer_sorts_first(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        """The buyer sorts the Resources rows by Resource, Z to A, just before our write."""
        if path.endswith(f"{sheet}/values:batchUpdate") and not sorted_once:
            sorted_once.append(path)
            env.buyer().spreadsheets().batchUpdate(
                spreadsheetId=sheet,
                body={
                    "requests": [
                        {
                            "sortRange": {
                                "range": {
                                    "sheetId": SHEET_IDS["Resources"],
                                    "startRowIndex": 3,
                                    "endRowIndex": 40,
                                    "startColumnIndex": 0,
                                    "endColumnIndex": BUYER_COLUMNS,
                                },
                                "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "DESCENDING"}],
                            }
                        }
                    ]
                },
            ).execute()
        return dispatch(method, path, *args, **kwargs)

    env.fake.dispatch = buyer_sorts_first  # type: ignore[method-assign]
    try:
        first = env.sync(SYNC_DAY).results[0]
    finally:
        env.fake.dispatch = dispatch  # type: ignore[method-assign]
    assert first.outcome == "written" and sorted_once
    rows = resources(env, sheet)
    titles = [r[0] for r in rows if r[0]]
    assert titles == sorted(titles, key=str.lower, reverse=True)  # sorted after our read
    assert_notes(rows)  # and every note is still on its own row
    env.sync(SYNC_DAY)  # the sort is read next time: the notes stand as they are
    assert_notes(resources(env, sheet))


def test_a_sync_with_20_drive_links_costs_one_drive_batch_and_nothing_more(env: Env) -> None:
    env.fake.version_step = 1  # our write is one change: a MAP we wrote is not read again
    with_links = create(env, deal="With links", shared=True)
    without = create(env, deal="Without links", shared=True)
    ids = [f"1ManyDocumentsNumber{n:02d}00000" for n in range(20)]
    for n, file_id in enumerate(ids):
        env.fake.add_file(file_id, f"Doc {n}", OWNER, [("user", "writer", SERVICE)])
    rows = [
        [f"Doc {n}", "Other", "", drive_link(f), "Seller", "", "", ""] for n, f in enumerate(ids)
    ]
    buyer_writes(env, with_links.files.sheet, rows)
    plain = [
        [f"Doc {n}", "Other", "", f"https://trust.example.com/doc{n}", "Seller", "", "", ""]
        for n in range(20)
    ]
    buyer_writes(env, without.files.sheet, plain)
    env.sync(SYNC_DAY)  # both read and written once; each MAP's calls counted alone below

    def round_trips(sheet: str, row: int) -> list[str]:
        buyer_writes(env, sheet, [[f"Doc {row} (v2)"]], first=17 + row)
        env.log.calls.clear()
        env.fake.log.clear()
        env.sync(SYNC_DAY)
        return [c.method for c in env.fake.log if c.method != "drive.files.get"]

    linked = round_trips(with_links.files.sheet, 0)
    assert linked == [
        "drive.files.list",  # every MAP's version
        "sheets.spreadsheets.values.batchGet",  # the changed MAP, once
        "batch",  # its 20 Drive links: files.get by id, one batch
        "sheets.spreadsheets.values.batchUpdate",  # Plan, Summary and Sync notes: one write
        "sheets.spreadsheets.values.batchUpdate",  # the roll-up
    ]
    assert len(env.log) == 5
    # Doc 0's note is kept under its new title too: the retyped row was written again.
    assert (
        "Northwind Traders cannot open"
        in notes_by_title(resources(env, with_links.files.sheet))["Doc 0 (v2)"]
    )
    assert len([c for c in env.fake.log if c.method == "drive.files.get"]) == 20
    notes = notes_by_title(resources(env, with_links.files.sheet))
    assert all("Northwind Traders cannot open" in notes[f"Doc {n}"] for n in range(1, 20))
    plain_calls = round_trips(without.files.sheet, 0)
    assert plain_calls == [  # no Drive link: no Drive call; no note changed: no write
        "drive.files.list",
        "sheets.spreadsheets.values.batchGet",
        "sheets.spreadsheets.values.batchUpdate",  # the roll-up
    ]
    assert len(env.log) == 3
    env.log.calls.clear()
    env.sync(SYNC_DAY)  # nothing changed: no read, no Drive call, no write but the roll-up
    assert len(env.log) == 2


def test_a_sheet_made_before_the_resources_tab_syncs_and_gets_the_tab(env: Env) -> None:
    created = create(env, shared=True)
    sheet = created.files.sheet
    env.sync(SYNC_DAY)
    book = env.fake.spreadsheets[sheet]
    book.sheets = [s for s in book.sheets if s.title not in ("Resources", RESOURCE_TAB)]
    book.locale = "de_DE"  # and a comma-decimal locale: the formula must parse in it
    env.buyer().spreadsheets().values().update(
        spreadsheetId=sheet, range="Plan!H4", valueInputOption="RAW", body={"values": [["Done"]]}
    ).execute()
    env.fake.log.clear()
    result = env.sync(SYNC_DAY).results[0]
    assert result.outcome == "written", result.message
    assert [c.method for c in env.fake.calls()] == [
        "drive.files.list",
        "sheets.spreadsheets.get",  # which tab is missing (once: the write adds it)
        "sheets.spreadsheets.values.batchGet",  # read without it
        "sheets.spreadsheets.batchUpdate",  # the tabs added and the values written, at once
        "sheets.spreadsheets.values.batchUpdate",  # the roll-up
    ]
    grids = env.grids(sheet)
    assert grids["Resources"][2][NOTE] == "Sync note"  # the formula parsed in de_DE
    buyer_writes(env, sheet, [["Draft MSA", "Legal", "S08", drive_link(MISSING)]], first=4)
    env.fake.log.clear()
    env.sync(SYNC_DAY)
    assert "sheets.spreadsheets.get" not in [c.method for c in env.fake.calls()]
    assert "Drive has no file" in notes_by_title(resources(env, sheet))["Draft MSA"]


def test_text_typed_under_the_sync_note_is_kept_and_cleared_from_the_column(env: Env) -> None:
    created = create(env, shared=True)
    sheet = created.files.sheet
    buyer_writes(env, sheet, [["Pricing model", "Commercial", "S06", drive_link(MISSING)]])
    env.sync(SYNC_DAY)
    env.buyer().spreadsheets().values().update(
        spreadsheetId=sheet,
        range="Resources!I17",
        valueInputOption="RAW",
        body={"values": [["sent by email on Monday"]]},
    ).execute()
    assert env.grids(sheet)["Resources"][2][NOTE] == "#REF!"  # the array is blocked
    env.sync(date(2026, 3, 4))
    notes = notes_by_title(resources(env, sheet))
    assert "sent by email on Monday" in notes["Pricing model"]
    assert "Drive has no file" in notes["Pricing model"]


def _json(body: Any) -> Any:
    return json.loads(body)


def test_a_note_a_new_day_brings_is_written_without_a_read(env: Env) -> None:
    """A step coming near is a date-driven change: the sync writes from its last read
    (the registry's), no read, and the row's note still reaches its row."""
    env.fake.version_step = 1
    created = create(env, shared=True)
    sheet = created.files.sheet
    buyer_writes(env, sheet, [["Trial plan", "Technical", "S04", "", "Seller"]])
    env.sync(SYNC_DAY)
    assert "needed for S04" not in notes_by_title(resources(env, sheet))["Trial plan"]
    env.fake.log.clear()
    env.sync(date(2026, 3, 30))  # S04 (due 10 Apr) is near now
    methods = [c.method for c in env.fake.calls()]
    assert "sheets.spreadsheets.values.batchGet" not in methods
    assert methods.count("sheets.spreadsheets.values.batchUpdate") == 2  # the MAP, the roll-up
    assert "needed for S04" in notes_by_title(resources(env, sheet))["Trial plan"]


def test_a_sync_note_header_typed_over_gets_its_formula_back_and_the_text_is_kept(
    env: Env,
) -> None:
    created = create(env, shared=True)
    sheet = created.files.sheet
    buyer_writes(env, sheet, [["Pricing model", "Commercial", "S06", drive_link(MISSING)]])
    env.sync(SYNC_DAY)
    env.buyer().spreadsheets().values().batchUpdate(
        spreadsheetId=sheet,
        body={
            "valueInputOption": "RAW",
            "data": [
                {"range": "Resources!I3", "values": [["Status"]]},  # the header typed over
                {"range": "Resources!I17", "values": [["asked Priya"]]},
            ],
        },
    ).execute()
    env.fake.log.clear()
    env.sync(date(2026, 3, 4))
    assert "sheets.spreadsheets.batchUpdate" in [c.method for c in env.fake.calls()]
    rows = env.grids(sheet)["Resources"]
    assert rows[2][NOTE] == "Sync note"
    note = notes_by_title(resources(env, sheet))["Pricing model"]
    assert "asked Priya" in note and "Drive has no file" in note
