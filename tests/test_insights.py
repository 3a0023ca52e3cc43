"""The insights end to end: a year of closed deals made by `mapctl demo --history` through
the real create / buyer edit / sync / close path, then `mapctl insights` and `mapctl
templates suggest` must recover the patterns the demo planted (addon/demo_history.PLANTED),
within the tolerances stated here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from addon.demo_history import PLANTED
from sheets_schema.template import BUILTIN_DIR, load_template_file
from tests.cli_helpers import run

END = "2026-01-05"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """20 deals of every size (seed 11: 13 won, 7 lost)."""
    root = tmp_path_factory.mktemp("mixed") / "ws"
    run(root, "demo", "--history", "20", "--seed", "11", "--today", END)
    yield root


@pytest.fixture(scope="module")
def mid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """11 mid-market deals: enough closed deals of one template to learn from."""
    root = tmp_path_factory.mktemp("mid") / "ws"
    run(root, "demo", "--history", "11", "--seed", "5", "--template", "mid_market", "--today", END)
    yield root


def _insights(root: Path, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run(root, "insights", "--json", "--today", END, *args).output)
    return data


def _step(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in data["steps"] if s["key"] == key)


def test_step_durations_recover_the_planted_ones(mixed: Path) -> None:
    data = _insights(mixed)
    assert data["sample"]["closed"] == 20
    planted = PLANTED["durations"]
    security, technical = _step(data, "security_review"), _step(data, "technical_validation")
    # The planted medians (27 and 21 days), within 6 days: a sample of about a dozen deals.
    assert abs(security["duration"]["median"] - planted["security_review"][0]) <= 6
    assert abs(technical["duration"]["median"] - planted["technical_validation"][0]) <= 6
    assert security["duration"]["median"] > technical["duration"]["median"]
    assert security["n_closed"] >= 8 and security["trend"]


def test_buyer_wordings_fold_into_their_group(mixed: Path) -> None:
    data = _insights(mixed)
    group = next(
        s for s in data["steps"] if s["kind"] == "buyer_added" and s["key"] == "security review"
    )
    assert {"InfoSec questionnaire", "Security questionnaire (SIG Lite)"} & set(group["wordings"])
    assert group["n"] >= 3


def test_cycle_time_grows_with_the_deal(mixed: Path) -> None:
    by = {
        g["label"]: g["created_to_signed"]["median"]
        for g in _insights(mixed)["cycle_time"]["by_template"]
    }
    assert by["smb"] < by["mid_market"] < by["enterprise"]


def test_plans_that_went_stale_lose_more(mixed: Path) -> None:
    bands = {(b["group"], b["label"]): b["win_rate"] for b in _insights(mixed)["outcomes"]["bands"]}
    stale, fresh = bands[("went_stale", "yes")], bands[("went_stale", "no")]
    assert stale["n"] >= 5 and fresh["n"] >= 5
    assert stale["rate"] < fresh["rate"] - 0.2  # planted: 32 % won vs 82 %


def test_calibration_compares_both_forecasts(mixed: Path) -> None:
    cal = _insights(mixed)["calibration"]
    assert [h["days_before"] for h in cal["horizons"]] == [60, 30, 14]
    assert all(h["n"] > 0 for h in cal["horizons"])
    assert "days" in cal["answer"] and "n=" in cal["answer"]


def test_the_text_report_and_its_filters(mixed: Path) -> None:
    out = run(mixed, "insights", "--today", END).output
    for section in ("Steps", "Cycle time", "Forecast calibration", "Outcomes by plan health"):
        assert section in out
    assert all(len(line) <= 100 for line in out.splitlines())
    smb = _insights(mixed, "--template", "smb")
    assert smb["sample"]["considered"] < 20 and smb["filters"]["template"] == "smb"
    first = next(w for w in run(mixed, "list").output.split() if w.startswith("MAP-"))
    assert _insights(mixed, "--exclude", first)["sample"]["left_out_excluded"] == 1
    run(mixed, "test-deal", first)
    assert _insights(mixed)["sample"]["left_out_test"] == 1
    run(mixed, "test-deal", first, "--off")
    assert _insights(mixed)["sample"]["left_out_test"] == 0
    schema = json.loads(run(mixed, "insights", "--schema").output)
    assert "steps" in schema["properties"]


def test_the_rollup_has_an_insights_tab(mixed: Path) -> None:
    run(mixed, "rollup", "--today", END)
    wb = load_workbook(mixed / "rollup.xlsx")
    tab = wb["Insights"]
    assert tab["A3"].value == "Steps, by the days of close they cost"
    assert tab["A4"].value == "Step" and tab["A5"].value
    assert tab._charts  # the days-of-close chart


def test_templates_learn_from_the_won_deals(mid: Path, tmp_path: Path) -> None:
    out = run(mid, "templates", "suggest", "mid_market", "--today", END).output
    legal = next(
        x for x in out.splitlines() if x.strip().startswith("Legal redlines agreed: template")
    )
    # Planted: legal takes a median of 12 days; the template says 28.
    took = float(legal.split("median of ")[1].split(" ")[0])
    assert abs(took - PLANTED["durations"]["legal_redlines_agreed"][0]) <= 5
    assert "suggest" in legal and "keep" not in legal
    folder = tmp_path / "team"
    wrote = run(mid, "templates", "suggest", "mid_market", "--write", str(folder), "--today", END)
    learned = load_template_file(folder / "mid_market.yaml")  # a valid template
    step = next(s for s in learned.steps if s.key == "legal_redlines_agreed")
    assert step.duration_days == round(took)
    assert "wrote" in wrote.output
    refused = run(mid, "templates", "suggest", "mid_market", "--write", str(BUILTIN_DIR), ok=False)
    assert refused.exit_code == 2 and "never changed" in refused.output


def test_nothing_is_suggested_from_too_few_deals(mixed: Path) -> None:
    out = run(mixed, "templates", "suggest", "enterprise", "--today", END).output
    assert "not enough to suggest" in out
    assert "suggest " not in out.replace("not enough to suggest", "")


def test_the_managers_weekly_carries_what_changed_most(mixed: Path) -> None:
    from datetime import date

    from addon.alerts import manager_digest
    from addon.app import App
    from addon.config import Settings

    app = App(Settings(workspace=mixed))
    reps = {m.rep_email for m in app.registry.maps()}
    first = manager_digest(
        app.registry, app.channels(), [], reps, date(2026, 1, 5), "kim@x.example.com"
    )
    assert "What the plans' history shows:" in first["text"]
    lines = first["text"].split("What the plans' history shows:")[1].strip().splitlines()
    assert 1 <= len([x for x in lines if x.startswith("- ")]) <= 3
    assert "n=" in first["text"].split("What the plans' history shows:")[1]
    row = app.registry.maps()[0]
    app.registry.update(row.id, is_test=True)  # the team's figures move a little
    later = manager_digest(
        app.registry, app.channels(), [], reps, date(2026, 1, 12), "kim@x.example.com"
    )
    assert "What changed most in the plans' history this week:" in later["text"]
    app.registry.update(row.id, is_test=False)
