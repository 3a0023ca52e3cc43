"""A checkbox cell -> a status: Excel's TRUE/FALSE cells, the text TRUE/FALSE a Google
Sheet's checkbox becomes in a CSV download, and tick marks. Checked is done; unchecked is
not started (a checkbox cannot say "in progress")."""

from __future__ import annotations

from sheets_schema.vocab import Status

_CHECKED = frozenset({"true", "✓", "✔", "☑", "✅", "[x]", "☒"})
_UNCHECKED = frozenset({"false", "☐", "[ ]", "[]"})


def _checkbox(value: object) -> Status | None:
    """The status a checkbox cell says; None: not a checkbox value."""
    if isinstance(value, bool):
        return Status.DONE if value else Status.NOT_STARTED
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in _CHECKED:
        return Status.DONE
    if text in _UNCHECKED:
        return Status.NOT_STARTED
    return None
