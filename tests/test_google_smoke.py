"""`mapctl google-smoke` run against the offline fake, the person's part played by a buyer
client that edits, adds a row, types into a computed column and sorts, as asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from google.oauth2.credentials import Credentials

from addon.cli import main
from addon.google.clients import service
from tests.google_env import DRIVE, FOLDER
from tests.googlefake.server import serve

REP, BUYER = "sam@seller.example.com", "dana@buyer.example.com"


def test_the_smoke_test_passes_when_google_behaves_as_the_fake_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve() as fake:
        fake.users = {"rep-token": REP, "buyer-token": BUYER}
        fake.add_shared_drive(DRIVE, "Sales", {REP: "organizer"})
        fake.add_folder(FOLDER, DRIVE, "MAPs")
        buyer = service("sheets", "v4", Credentials(token="buyer-token"), root_url=fake.url)

        def person(*_args: Any, **_kwargs: Any) -> str:
            sheet = next(iter(fake.spreadsheets))
            buyer.spreadsheets().values().batchUpdate(
                spreadsheetId=sheet,
                body={
                    "valueInputOption": "USER_ENTERED",
                    "data": [
                        {"range": "Plan!H4", "values": [["✅ Done"]]},
                        {"range": "Plan!F5", "values": [["next Fri"]]},
                        {"range": "Plan!C12", "values": [["Buyer IT confirms SSO settings"]]},
                        {"range": "Plan!L6", "values": [["checking with legal"]]},
                    ],
                },
            ).execute()
            buyer.spreadsheets().batchUpdate(
                spreadsheetId=sheet,
                body={
                    "requests": [
                        {
                            "sortRange": {
                                "range": {"sheetId": 1000, "startRowIndex": 3, "endRowIndex": 12},
                                "sortSpecs": [{"dimensionIndex": 2, "sortOrder": "ASCENDING"}],
                            }
                        }
                    ]
                },
            ).execute()
            return ""

        monkeypatch.setattr(click, "prompt", person)
        result = CliRunner().invoke(
            main,
            ["google-smoke", "--buyer", BUYER, "--rep-email", REP, "--today", "2026-03-10"],
            env={
                "MAP_WORKSPACE": str(tmp_path),
                "MAP_GOOGLE_AUTH": "user",
                "MAP_GOOGLE_USER_TOKEN": "rep-token",
                "MAP_GOOGLE_USER_EMAIL": REP,
                "MAP_GOOGLE_ROOT_URL": fake.url,
                "MAP_GOOGLE_FOLDER": FOLDER,
            },
        )
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    assert "14 matched, 0 did not" in result.output
    assert "✓ Resources: a Drive link to no file gets its Sync note on its own row" in (
        result.output
    )
    assert "✓ after the sort, S01's Health is on S01's row (Done)" in result.output
    table = result.output.split("What the offline fake assumes, and what Google did:")[1]
    rules = [line.split() for line in table.strip().splitlines()[1:]]
    assert len(rules) == 9 and "DIFFERS" not in table and "?" not in table
    assert "403 cannotAddParent" in table and "de_DE MAP: 8 Health values shown" in table
