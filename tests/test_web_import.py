"""Import as MAP from Gmail, through the web stack: a plan attached to the buyer's email,
the dry run's card (steps, people, target close, what was not placed, what is still
needed), then Create from the card; the same plan again says it was imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.import_fixtures import FIXTURES, build_xlsx, load
from tests.test_web_cards import THREAD, buttons, facts, inputs, only_card
from tests.web_env import Web, day, text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STEM = "02_getaccept_excel_workbook_tabs"


def _message(web: Web, tmp_path: Path, *, draft: bool = False) -> tuple[str, str]:
    data = load(next(p for p in FIXTURES if p.stem == STEM))
    if draft:  # an earlier, shorter list of tasks on its own tab: a second table to pick
        data["tabs"]["Earlier draft"] = {
            "rows": [
                ["Task", "Owner", "Due date"],
                ["Security questionnaire", "Samir Khan", "01/10/2026"],
                ["Pricing call", "Ben Carter", "08/10/2026"],
                ["Contract signed", "Eleanor Shaw", "11/12/2026"],
            ]
        }
    book = build_xlsx(data, tmp_path / "Fenwick MAP.xlsx")
    return web.fake.add_message(THREAD, attachments=[("Fenwick MAP.xlsx", XLSX, book.read_bytes())])


def _import_card(web: Web, message: tuple[str, str]) -> dict[str, Any]:
    event = web.event(gmail=message, params={"request_id": "imp-1"})
    return only_card(web.post("/addon/actions/import_attached", event).json())


def test_the_create_form_offers_to_import_an_attached_plan(web: Web, tmp_path: Path) -> None:
    message = _message(web, tmp_path)
    card = only_card(web.post("/addon/gmail", web.event(gmail=message)).json())
    assert "Import the plan attached to this email" in buttons(card)


def test_the_dry_run_card_then_create(web: Web, tmp_path: Path) -> None:
    message = _message(web, tmp_path)
    card = _import_card(web, message)
    assert card["header"]["title"] == "Import as MAP"
    shown = facts(card)
    assert (
        shown["Plan"]["text"].endswith("steps") and "header on row" in shown["Plan"]["bottomLabel"]
    )
    assert shown["Target close"]["text"] == "11 Dec 2026"
    assert shown["Not placed"]["text"].endswith("cells")
    values = inputs(card)
    assert values["buyer_company"] == "Fenwick & Hale Insurance plc"
    form = {
        "deal": text(values["deal"]),
        "buyer_company": text(values["buyer_company"]),
        "buyer_contacts": text(values["buyer_contacts"] or "Ann Lee <ann@fenwickhale.example.com>"),
        "target_close": day(__import__("datetime").date(2026, 12, 11)),
    }
    event = web.event(
        gmail=message, form=form, params={"request_id": "imp-1", "file": "Fenwick MAP.xlsx"}
    )
    made = only_card(web.post("/addon/actions/import_create", event).json())
    assert "Imported from Fenwick MAP.xlsx" in str(made)
    [row] = web.app.registry.maps()
    assert (
        row.buyer_company == "Fenwick & Hale Insurance plc"
        and row.rep_email == "sam@seller.example.com"
    )
    again = _import_card(web, message)
    assert f"already imported as {row.id}" in str(again)
    assert "Import it again as a new MAP" in buttons(again)
    refused = only_card(web.post("/addon/actions/import_create", event).json())
    assert refused["header"]["title"] == "Import as MAP" and len(web.app.registry.maps()) == 1


def test_no_attachment_is_said(web: Web) -> None:
    message = web.fake.add_message(THREAD)
    answer = web.post("/addon/actions/import_attached", web.event(gmail=message)).json()
    assert "No .xlsx attached" in str(answer)


def test_the_rep_can_pick_another_table_as_the_plan(web: Web, tmp_path: Path) -> None:
    # (the fixture's Resources tab was the other table until issue 21 read it as resources)
    message = _message(web, tmp_path, draft=True)
    card = _import_card(web, message)
    picker = next(
        w["selectionInput"]
        for s in card["sections"]
        for w in s.get("widgets", [])
        if w.get("selectionInput", {}).get("name") == "plan_table"
    )
    taken = next(i for i in picker["items"] if i.get("selected"))
    other = next(i for i in picker["items"] if not i.get("selected"))
    assert picker["onChangeAction"]["function"].endswith("/addon/actions/import_attached")
    event = web.event(
        gmail=message,
        form={"plan_table": text(other["value"])},
        params={"request_id": "imp-1", "file": "Fenwick MAP.xlsx"},
    )
    again = only_card(web.post("/addon/actions/import_attached", event).json())
    chosen = next(
        i
        for s in again["sections"]
        for w in s.get("widgets", [])
        if w.get("selectionInput", {}).get("name") == "plan_table"
        for i in w["selectionInput"]["items"]
        if i.get("selected")
    )
    assert chosen["value"] == other["value"] != taken["value"]
    assert facts(again)["Plan"]["bottomLabel"] != facts(card)["Plan"]["bottomLabel"]


def test_import_a_sheet_selected_in_drive(web: Web) -> None:
    """Drive: a spreadsheet that is not a MAP offers Import as MAP; the add-on first asks
    Drive for that one file (drive.file), then reads it with the rep's own token."""
    from google.oauth2.credentials import Credentials

    from addon.google.clients import service
    from addon.workspace.google import SHEET_MIME

    fake = web.fake
    fake.users["rep-own-token"] = "sam@seller.example.com"  # the rep, in Drive itself
    fake.scopes["rep-token"] = {"https://www.googleapis.com/auth/drive.file"}  # the add-on's
    rows = [
        ["Northwind rollout plan"],
        ["Customer:", "Northwind Traders"],
        ["Target signature:", "12/15/2026"],
        [],
        ["Step", "Owner", "Due date", "Status"],
        ["Discovery call", "Dana Whitfield <dana@northwind.example.com>", "10/1/2026", "Done"],
        ["Security review", "Lee Chen <lee@northwind.example.com>", "11/2/2026", "In progress"],
        ["Legal redlines", "Dana Whitfield <dana@northwind.example.com>", "11/20/2026", ""],
        ["Order form signed", "Dana Whitfield <dana@northwind.example.com>", "12/15/2026", ""],
    ]
    own = service("sheets", "v4", Credentials(token="rep-own-token"), root_url=fake.url)  # type: ignore[no-untyped-call]
    made = (
        own.spreadsheets()
        .create(
            body={
                "properties": {"title": "Northwind plan"},
                "sheets": [
                    {
                        "properties": {"title": "Plan"},
                        "data": [
                            {
                                "rowData": [
                                    {
                                        "values": [
                                            {"userEnteredValue": {"stringValue": v}} for v in r
                                        ]
                                    }
                                    for r in rows
                                ]
                            }
                        ],
                    }
                ],
            }
        )
        .execute()
    )
    sid = made["spreadsheetId"]
    item = {"id": sid, "title": "Northwind plan", "mimeType": SHEET_MIME}
    offer = only_card(web.post("/addon/drive/selected", web.event("DRIVE", drive=[item])).json())
    assert "Import as MAP" in buttons(offer)
    ask = web.post(
        "/addon/actions/drive_import", web.event("DRIVE", drive=[item], params={"item": sid})
    ).json()
    assert ask["renderActions"]["hostAppAction"]["driveAction"]["requestFileScope"] == {
        "itemId": sid
    }
    fake.open_with_app(sid, "sam@seller.example.com")  # the rep granted the one file
    granted = {**item, "addonHasFileScopePermission": True}
    card = only_card(
        web.post(
            "/addon/actions/drive_import",
            web.event("DRIVE", drive=[granted], params={"item": sid, "request_id": "d-1"}),
        ).json()
    )
    assert card["header"]["title"] == "Import as MAP"
    assert facts(card)["Plan"]["text"] == "4 steps"
    values = inputs(card)
    form = {
        "deal": text(values["deal"] or "Northwind rollout"),
        "buyer_company": text(values["buyer_company"] or "Northwind Traders"),
        "buyer_contacts": text(
            values["buyer_contacts"] or "Dana Whitfield <dana@northwind.example.com>"
        ),
        "target_close": day(__import__("datetime").date(2026, 12, 15)),
    }
    event = web.event(
        "DRIVE",
        drive=[granted],
        form=form,
        params={"item": sid, "file": "Northwind plan", "request_id": "d-1"},
    )
    made_card = only_card(web.post("/addon/actions/import_create", event).json())
    assert "Imported from Northwind plan" in str(made_card)
    [row] = web.app.registry.maps()
    assert web.app.already_imported([f"drive:{sid}"]) and row.buyer_company.startswith("Northwind")


def test_import_an_xlsx_kept_in_drive(web: Web, tmp_path: Path) -> None:
    """An .xlsx in Drive is downloaded with the rep's token once they grant that file."""
    from google.oauth2.credentials import Credentials
    from googleapiclient.http import MediaInMemoryUpload

    from addon.google.clients import service

    fake = web.fake
    fake.users["rep-own-token"] = "sam@seller.example.com"
    fake.scopes["rep-token"] = {"https://www.googleapis.com/auth/drive.file"}
    data = load(next(p for p in FIXTURES if p.stem == STEM))
    book = build_xlsx(data, tmp_path / "Fenwick MAP.xlsx").read_bytes()
    drive = service("drive", "v3", Credentials(token="rep-own-token"), root_url=fake.url)  # type: ignore[no-untyped-call]
    made = (
        drive.files()
        .create(
            body={"name": "Fenwick MAP.xlsx", "mimeType": XLSX},
            media_body=MediaInMemoryUpload(book, mimetype=XLSX),
            fields="id",
        )
        .execute()
    )
    item = {"id": made["id"], "title": "Fenwick MAP.xlsx", "mimeType": XLSX}
    offer = only_card(web.post("/addon/drive/selected", web.event("DRIVE", drive=[item])).json())
    assert "Import as MAP" in buttons(offer)
    fake.open_with_app(made["id"], "sam@seller.example.com")
    granted = {**item, "addonHasFileScopePermission": True}
    card = only_card(
        web.post(
            "/addon/actions/drive_import",
            web.event("DRIVE", drive=[granted], params={"item": made["id"]}),
        ).json()
    )
    assert card["header"]["title"] == "Import as MAP"
    assert facts(card)["Plan"]["text"].endswith("steps")
    assert inputs(card)["buyer_company"] == "Fenwick & Hale Insurance plc"
    downloads = [c for c in fake.calls("drive.files.get") if c.query.get("alt") == ["media"]]
    assert len(downloads) == 1
