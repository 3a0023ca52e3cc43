"""The README's CRM tables are generated, not hand-kept: the signals from addon/plan/crm.py,
each fake's assumptions from its own list."""

from __future__ import annotations

from pathlib import Path

from addon.plan.crm import fields_markdown
from tests.crmfake import hubspot_assumptions, salesforce_assumptions

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _indented(table: str) -> str:
    return "\n".join(f"  {line}" for line in table.splitlines())


def test_the_signal_table_is_the_code_s() -> None:
    assert _indented(fields_markdown()) in README or fields_markdown() in README


def test_each_fakes_assumptions_are_in_the_readme() -> None:
    for module in (salesforce_assumptions, hubspot_assumptions):
        assert module.markdown() in README, f"regenerate it: python -m {module.__name__}"
