"""Property tests over the buyer edits of issue 16, through a real workbook and a sync:
merges over computed cells, far-future and far-past dates, formulas saved with their
values, same-day sorts of only the buyer columns, and typing on the Summary. After any
mix of them, the same-day sync never fails, never changes a buyer cell, puts each row's own
figures on it, and loses nothing typed. (The random run, tests/fuzz_buyer.py, does the
same at length; a few of its cycles run here too.)"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from buyer_workbook import Buyer
from cli_helpers import create
from fuzz_buyer import KINDS, Tally, World, run_part, sync_and_check
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from addon.app import App
from addon.config import Settings
from addon.plan.models import Step
from addon.plan.parse import parse_map
from addon.plan.status import compute
from sheets_schema.workbook import PLAN

DAY = date(2026, 3, 20)
STEP_IDS = [f"S{n:02d}" for n in range(1, 15)]
COMPUTED = [c.header for c in PLAN.columns if c.computed]
token = st.integers(0, 10**9).map(lambda n: f"typed-{n:09d}")
step = st.sampled_from(STEP_IDS)

merges = st.builds(
    lambda s, col, across, text, rows: {
        "merge": {"at": f"{s}/{col}", "value": text, "across": across, "rows": rows}
    },
    st.sampled_from(STEP_IDS[:-1]),
    st.sampled_from(["Notes", "If it slips"]),
    st.sampled_from(COMPUTED),
    token,
    st.sampled_from([1, 2]),
)
far_dates = st.builds(
    lambda s, col, value: {"type": {"at": f"{s}/{col}", "value": value}},
    step,
    st.sampled_from(["Due date", "Done on"]),
    st.one_of(
        st.dates(min_value=date(1900, 1, 1), max_value=date(1949, 12, 31)),
        st.dates(min_value=date(2150, 1, 1), max_value=date(9999, 12, 31)),
        st.sampled_from(["31.12.9999", "9999-12-31", 2958465, 1, 60]),
    ),
)
formulas = st.one_of(
    st.builds(
        lambda s, day: {
            "formula": {
                "at": f"{s}/Due date",
                "formula": f"=DATE({day.year},{day.month},{day.day})",
                "value": day,
            }
        },
        step,
        st.dates(min_value=date(2026, 3, 1), max_value=date(2026, 9, 30)),
    ),
    st.builds(
        lambda s, word: {
            "formula": {"at": f"{s}/Status", "formula": f'=IF(TRUE,"{word}","")', "value": word}
        },
        step,
        st.sampled_from(["Done", "In progress", "Blocked", ""]),
    ),
    st.builds(
        lambda s: {"formula": {"at": f"{s}/Health", "formula": "=L4", "value": "On track"}},
        step,
    ),
)
sorts = st.builds(
    lambda by, reverse: {"sort": {"columns": "A:K", "by": by, "reverse": reverse}},
    st.sampled_from(["Due date", "Step", "Status", "Buyer owner"]),
    st.booleans(),
)
summary = st.builds(
    lambda r, c, text: {"type": {"at": f"Summary!{c}{r}", "value": text}},
    st.integers(4, 24),
    st.sampled_from(["A", "B", "C"]),
    token,
)
edits = st.lists(st.one_of(merges, far_dates, formulas, sorts, summary), min_size=1, max_size=4)


def _typed(ops: list[dict[str, Any]]) -> list[str]:
    """What a buyer typed and saved that must survive: merged text, Summary text, a formula
    typed into a computed cell (the last of each cell: what she overtyped before saving was
    never in the file)."""
    last: dict[str, str] = {}
    for op in ops:
        kind, arg = next(iter(op.items()))
        if kind in ("sort", "merge"):
            # Rows moved, or a merge kept only its top-left (Excel warns that it drops the
            # rest): Plan text typed before is no longer certain to be in the file.
            last = {k: v for k, v in last.items() if "/" not in k}
        if kind == "sort":
            continue
        text = str(arg.get("formula") if kind == "formula" else arg["value"])
        wanted = kind == "merge" or text.startswith("typed-")
        wanted = wanted or (kind == "formula" and arg["at"].endswith("/Health"))
        last[arg["at"]] = text if wanted else ""
    return [t for t in last.values() if t]


# Each example makes and syncs a workbook: no shrinking (the failing example is printed).
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(edits, edits)
def test_any_mix_of_these_edits_syncs_cleanly_the_same_day(
    first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> None:
    with TemporaryDirectory(prefix="map-prop-") as tmp:
        root = Path(tmp)
        path = create(root)
        app = App(Settings(workspace=root))
        (row,) = app.registry.maps()
        assert sync_and_check(app, row.id, DAY, []) == {}
        buyer = Buyer(path)
        for ops in (first, second):  # two rounds: the second reads what the first wrote
            buyer.edit(ops)
            assert sync_and_check(app, row.id, DAY, _typed(ops)) == {}, ops


def _step(sid: str, due: date | None, done_on: date | None, depends: tuple[str, ...]) -> Step:
    return Step(sid, 3, "", sid, "Dana", "", (), (), due, depends, None, done_on, "", "", 3)


far = st.one_of(
    st.none(),
    st.dates(min_value=date(1, 1, 1), max_value=date(1949, 12, 31)),
    st.dates(min_value=date(2150, 1, 1), max_value=date(9999, 12, 31)),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(far, far), min_size=1, max_size=6), st.integers(0, 5))
def test_far_dates_in_any_cell_read_and_compute_without_overflow(
    dates: list[tuple[date | None, date | None]], chain: int
) -> None:
    header = [c.header for c in PLAN.columns if c.editable]
    rows: list[list[Any]] = [["Plan"], [], header]
    for i, (due, done_on) in enumerate(dates, start=1):
        depends = f"S{i - 1:02d}" if 1 < i <= chain + 1 else ""
        rows.append([f"S{i:02d}", "", f"Step {i}", "Dana", "Sam", due, depends, "", done_on])
    parsed = parse_map({"Plan": rows}, today=DAY)
    status = compute(parsed, {}, target_close=DAY + timedelta(days=60), today=DAY)
    for s in parsed.steps:
        assert s.due is None or date(1950, 1, 1) <= s.due <= date(2149, 12, 31)
        assert s.done_on is None or s.done_on <= DAY, "a future Done on is never a done date"
    assert status.days_since_last_completion is None or status.days_since_last_completion >= 0


def test_a_few_random_cycles_of_every_kind() -> None:
    """The random run in small: every kind of edit, nothing counted wrong."""
    tally = run_part(seed=7, cycles=2 * len(KINDS), maps=1, fresh_every=100)
    assert sum(tally.cycles.values()) == 2 * len(KINDS)
    assert tally.examples == [], "\n".join(tally.examples)
    assert isinstance(tally, Tally) and isinstance(World, type) and random.Random(1)
