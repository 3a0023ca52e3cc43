"""The README's promises: the documented schema is the real one, the commands exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from addon.plan.report import StatusReport

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_json_schema_is_the_one_the_models_produce() -> None:
    committed = json.loads((ROOT / "docs" / "status.schema.json").read_text())
    assert committed == StatusReport.model_json_schema(), (
        "regenerate it: mapctl status x --schema > docs/status.schema.json"
    )


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "exec tests/run" in ci
    assert re.search(r"^tests/run$", readme, re.MULTILINE)


def test_every_documented_status_field_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    schema = StatusReport.model_json_schema()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", readme, re.MULTILINE))
    real = set(schema["$defs"]["MapSummary"]["properties"]) | set(
        schema["$defs"]["StepReport"]["properties"]
    )
    assert documented and documented <= real | {"tab", "cell", "value", "message", "kind"}


USER_DOCS = [
    ROOT / "README.md",
    ROOT / "cloudrun" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]


def test_the_docs_stand_alone() -> None:
    """A user of this repository has nothing outside it: no page cites the design notes or
    the shared folder it was written from, and every relative link is a file here."""
    for doc in USER_DOCS:
        text = doc.read_text()
        assert "DESIGN.md" not in text, doc
        assert "../shared" not in text and "shared/domain" not in text, doc
        for target in re.findall(r"\]\((?!https?://|#)([^)#\s]+)", text):
            assert (doc.parent / target).exists(), f"{doc.name}: {target}"


def test_the_status_rules_page_states_the_codes_thresholds() -> None:
    from addon.plan import status
    from addon.plan.cells import DEFAULT_THRESHOLD_DAYS

    rules = (ROOT / "docs" / "status-rules.md").read_text()
    assert f"within the next {status.DUE_SOON_DAYS} days" in rules
    assert f"more than {status.CLOSE_OFF_TRACK_DAYS} days past the target close" in rules
    assert f"{status.LATE_AT_RISK_DAYS} or more days late" in rules
    assert f"no buyer edit for {status.STALE_NO_EDIT_DAYS} days" in rules
    assert f"in the {status.STALE_WINDOW_DAYS} days before" in rules
    assert f"Text with no number takes {DEFAULT_THRESHOLD_DAYS} days" in rules
