"""Importing the same plan twice says so and makes nothing, unless --again (issue 20 item 4):
the same plan is the same Drive id, or the same cells (a Google Sheet has no file bytes)."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import run
from tests.import_fixtures import FIXTURES, build_xlsx, load

STEM = "02_getaccept_excel_workbook_tabs"


def _args(book: Path, data: dict[str, object]) -> list[str]:
    return [
        "import",
        str(book),
        "--today",
        str(data["today"]),
        "--locale",
        str(data["locale"]),
        "--rep-name",
        "Ben Carter",
        "--rep-email",
        "ben.carter@corvida.example.com",
    ]


def test_the_same_plan_again_is_refused_unless_again(tmp_path: Path) -> None:
    data = load(next(p for p in FIXTURES if p.stem == STEM))
    book = build_xlsx(data, tmp_path / "plan.xlsx")
    root = tmp_path / "ws"
    first = run(root, *_args(book, data)).output
    map_id = next(w for w in first.split() if w.startswith("MAP-"))
    copy = build_xlsx(data, tmp_path / "copy of plan.xlsx")  # the same cells, another file
    again = run(root, *_args(copy, data), ok=False)
    assert again.exit_code == 2
    assert f"already imported as {map_id}" in again.output
    assert "nothing was created" in again.output
    assert len([w for w in run(root, "list").output.split() if w.startswith("MAP-")]) == 1
    dry = run(root, *_args(copy, data), "--dry-run").output
    assert f"note: this plan was already imported as {map_id}" in dry
    forced = run(root, *_args(copy, data), "--again").output
    assert "Created MAP-" in forced
    assert len([w for w in run(root, "list").output.split() if w.startswith("MAP-")]) == 2


def test_a_changed_plan_is_a_new_import(tmp_path: Path) -> None:
    data = load(next(p for p in FIXTURES if p.stem == STEM))
    root = tmp_path / "ws"
    run(root, *_args(build_xlsx(data, tmp_path / "a.xlsx"), data))
    tabs = data["tabs"]
    assert isinstance(tabs, dict)
    first = next(iter(tabs.values()))
    first["rows"].append(["A note the team added later"])
    out = run(root, *_args(build_xlsx(data, tmp_path / "b.xlsx"), data), ok=False).output
    assert "already imported" not in out


def test_a_google_sheet_is_known_by_its_drive_id(tmp_path: Path) -> None:
    from addon.app import App
    from addon.config import Settings
    from addon.plan.adopt import Source

    app = App(Settings(workspace=tmp_path / "ws"))
    source = Source("Summit MAP", {"Plan": [["Step", "Due"], ["Kickoff", "2026-03-01"]]})
    url = (
        "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab/edit#gid=0"
    )
    keys = app.source_keys([url], source)
    assert keys[0] == "drive:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab"
    assert keys[1].startswith("cells:")
    renamed = Source("Summit MAP (copy)", source.grids)
    assert app.source_keys(["elsewhere.xlsx"], renamed) == keys[1:]  # the same cells
