"""Parent rows as phases: a project sheet exported from Smartsheet or MS Project groups its
tasks under parent rows (the tasks one outline level below). A parent row names a phase; its
Start, Finish and % Complete are rolled up from its tasks, so they are not steps' values."""

from __future__ import annotations

from collections.abc import Mapping


def _parent_rows(levels: Mapping[int, int], first: int, end: int) -> frozenset[int]:
    """The rows in [first, end) whose next listed row sits deeper in the outline."""
    if not levels:
        return frozenset()
    rows = range(first, end)
    parents = set()
    for r in rows:
        level = levels.get(r, 0)
        below = next((levels.get(k, 0) for k in range(r + 1, end)), None)
        if below is not None and below > level:
            parents.add(r)
    return frozenset(parents)
