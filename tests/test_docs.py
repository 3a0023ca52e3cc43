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
