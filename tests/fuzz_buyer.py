"""A random buyer, edit after edit, each followed by a sync: what breaks?

    .venv/bin/python tests/fuzz_buyer.py --cycles 10000 [--seed 1] [--workers 2]

Not a unit test (tests/test_fuzz_buyer.py runs a few cycles). Each cycle picks a kind of
edit, makes it in a MAP's workbook with openpyxl as a buyer would (tests/buyer_workbook.py),
syncs that MAP in-process, and counts per kind of edit:
  crashes        the sync raised, or marked the MAP failed or skipped
  buyer cells    a buyer-editable cell differs after the sync from before it (ids aside)
  wrong figures  a row shows figures that are not its own step's (Health, Days late)
  text lost      typed text found neither in the workbook nor in what the sync kept
A MAP is replaced by a fresh one every --fresh-every cycles; days pass now and then.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from buyer_workbook import Buyer, columns, step_rows
from cli_helpers import create
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell

from addon.app import App
from addon.config import Settings
from addon.plan.cells import cell_text
from addon.plan.grid import find_header, find_tab, shown
from addon.sync import status_report, sync_map
from sheets_schema.workbook import PLAN, RESOURCES

BUYER_COLUMNS = ["Phase", "Step", "Buyer owner", "Seller owner", "Due date", "Depends on"]
BUYER_COLUMNS += ["Status", "Done on", "Notes", "If it slips"]
COMPUTED = ["Health", "Days late", "Slipped (days)", "Waiting on", "Projected finish"]
STATUSES = ["Done", "In progress", "Not started", "Blocked", "", "✅", "Skipped", "On hold"]
KINDS = [
    "type_buyer_cell",
    "type_into_computed",
    "merge_over_computed",
    "far_date",
    "formula_with_value",
    "partial_sort",
    "summary_edit",
    "done_on_contradiction",
    "add_row",
    "delete_row",
    "resource_link",
    "resource_note",
    "nothing_next_day",
]
LINKS = [
    "https://trust.seller.example.com/soc2.pdf",
    "http://169.254.169.254/latest/meta-data/",
    "in the data room",
    "TBD",
    "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123/view",
    "htps://typo.example.com",
    "",
]
FIGURES = ("health", "days_late")


@dataclass
class Tally:
    cycles: Counter[str] = field(default_factory=Counter)
    crashes: Counter[str] = field(default_factory=Counter)
    buyer_cells: Counter[str] = field(default_factory=Counter)
    wrong_figures: Counter[str] = field(default_factory=Counter)
    text_lost: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in ("cycles", "crashes", "buyer_cells", "wrong_figures", "text_lost"):
            getattr(self, name).update(getattr(other, name))
        self.examples += other.examples[: 20 - len(self.examples)]


def _token(rng: random.Random) -> str:
    return f"typed-{rng.randrange(10**9):09d}"


def _step(ws: Any, rng: random.Random) -> int:
    return rng.choice(step_rows(ws))


def _put(ws: Any, r: int, c: int, value: Any) -> bool:
    """Type into a cell, unless a merge hides it (a spreadsheet program gives no way to)."""
    cell = ws.cell(r, c)
    if isinstance(cell, MergedCell):
        return False
    cell.value = value
    return True


def make_edit(kind: str, wb: Any, rng: random.Random, buyer: Buyer) -> str | None:
    """Make one edit of `kind`; returns text the buyer typed that must not be lost."""
    ws = wb["Plan"]
    cols = columns(ws)
    r = _step(ws, rng)
    if kind == "type_buyer_cell":
        col = rng.choice(BUYER_COLUMNS)
        value: Any = rng.choice(
            [
                _token(rng),
                rng.choice(STATUSES),
                date(2026, 3, 1) + timedelta(days=rng.randrange(120)),
                rng.randrange(1, 20),
                "TBD",
            ]
        )
        _put(ws, r, cols[col], value)
        return None
    if kind == "type_into_computed":
        text = _token(rng)
        return text if _put(ws, r, cols[rng.choice([*COMPUTED, "Sync note"])], text) else None
    if kind == "merge_over_computed":
        text = _token(rng)
        start = cols[rng.choice(["Notes", "If it slips"])]
        end = cols[rng.choice(COMPUTED)]
        if not _put(ws, r, start, text):
            return None
        rows = rng.choice([1, 1, 2])
        ws.merge_cells(start_row=r, start_column=start, end_row=r + rows - 1, end_column=end)
        return text
    if kind == "far_date":
        far = rng.choice(
            [date(9999, 12, 31), "31.12.9999", "9999-12-31", 2958465, date(1900, 1, 1)]
        )
        _put(ws, r, cols[rng.choice(["Due date", "Done on"])], far)
        return None
    if kind == "formula_with_value":
        col = rng.choice(["Due date", "Status", "Health"])
        ref = f"{ws.cell(r, cols[col]).column_letter}{r}"
        if col == "Due date":
            day = date(2026, 3, 1) + timedelta(days=rng.randrange(120))
            formula, value = (
                f"=DATE({day.year},{day.month},{day.day})",
                (
                    "",
                    str((day - date(1899, 12, 30)).days),
                ),
            )
        elif col == "Status":
            word = rng.choice(["Done", "In progress", ""])
            formula, value = f'=IF(TRUE,"{word}","")', ("str", word)
        else:
            formula, value = f"=L{r - 1}", ("str", "On track")
        if not _put(ws, r, cols[col], formula):
            return None
        buyer.values.setdefault("Plan", {})[ref] = value
        return formula if col == "Health" else None
    if kind == "partial_sort":
        from buyer_workbook import sort_columns

        sort_columns(ws, "A:K", rng.choice(["Due date", "Step", "Status"]), rng.random() < 0.5)
        return None
    if kind == "summary_edit":
        text = _token(rng)
        summary = wb["Summary"]
        if rng.random() < 0.5:
            summary.cell(rng.randrange(4, 18), 2).value = text
        else:
            summary.cell(rng.randrange(19, 24), rng.choice([1, 2, 3])).value = text
        return text
    if kind == "done_on_contradiction":
        _put(ws, r, cols["Status"], rng.choice(["Not started", "In progress", ""]))
        _put(ws, r, cols["Done on"], date(2026, 3, 1) + timedelta(days=rng.randrange(60)))
        return None
    if kind == "add_row":
        new = ws.max_row + 1
        text = _token(rng)
        ws.cell(new, cols["Step"]).value = f"Buyer step {text}"
        ws.cell(new, cols["Due date"]).value = date(2026, 4, 1) + timedelta(days=rng.randrange(60))
        return text
    if kind == "delete_row":
        if len(step_rows(ws)) > 8:
            ws.delete_rows(r)
        return None
    if kind in ("resource_link", "resource_note"):
        res = wb["Resources"]
        rcols = {str(c.value): c.column for c in res[3] if c.value}
        rows = [r for r in range(4, res.max_row + 1) if res.cell(r, 1).value]
        if not rows:
            return None
        rr = rng.choice(rows)
        if kind == "resource_link":
            _put(res, rr, rcols["Link"], rng.choice(LINKS))
            return None
        text = _token(rng)
        return text if _put(res, rr, rcols["Sync note"], text) else None
    return None  # nothing_next_day


def buyer_cells(grids: dict[str, Any]) -> dict[tuple[str, int, int], str]:
    """Every buyer cell of the Plan (ids and computed columns aside) and of the other tabs
    the buyer owns, by position."""
    out: dict[tuple[str, int, int], str] = {}
    found = find_tab(grids, PLAN)
    if found is None:
        return out
    grid = found[1]
    header = find_header(grid, PLAN)
    skip = (
        {i for k, i in header.columns.items() if PLAN.column(k).computed or k == "id"}
        if header
        else set()
    )
    resources = find_tab(grids, RESOURCES)
    res_header = find_header(resources[1], RESOURCES) if resources else None
    res_skip = (
        {i for k, i in res_header.columns.items() if RESOURCES.column(k).computed}
        if res_header
        else set()
    )
    for tab, rows in grids.items():
        if tab == "Summary":
            continue
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if tab == found[0] and c in skip:
                    continue
                if resources and tab == resources[0] and c in res_skip:
                    continue
                text = cell_text(value)
                if text:
                    out[(tab, r, c)] = text
    return out


class World:
    """A few MAPs in one local workspace, each with its own day."""

    def __init__(self, root: Path, maps: int) -> None:
        self.root = root
        self.paths = [create(root) if i == 0 else self._again(i) for i in range(maps)]
        self.app = App(Settings(workspace=root))
        self.rows = {m.sheet_ref: m.id for m in self.app.registry.maps()}
        self.today = {p: date(2026, 3, 20) for p in self.paths}

    def _again(self, i: int) -> Path:
        from cli_helpers import CREATE

        args = list(CREATE)
        args[args.index("Analytics rollout")] = f"Analytics rollout {i}"
        from cli_helpers import run

        output = run(self.root, *args).output
        line = next(x for x in output.splitlines() if x.strip().startswith("workbook:"))
        return Path(line.split("workbook:", 1)[1].strip())

    def row(self, path: Path) -> Any:
        ref = str(path.relative_to(self.root))
        return next(m for m in self.app.registry.maps() if m.sheet_ref == ref)


def cycle(world: World, rng: random.Random, tally: Tally, index: int) -> None:
    path = rng.choice(world.paths)
    kind = rng.choice(KINDS)
    tally.cycles[kind] += 1
    typed: str | None = None
    buyer = Buyer(path)
    try:
        if kind == "nothing_next_day" or rng.random() < 0.05:
            world.today[path] += timedelta(days=1)
        if kind != "nothing_next_day":
            data = path.read_bytes()
            wb = load_workbook(io.BytesIO(data))
            typed = make_edit(kind, wb, rng, buyer)
            _save_as_buyer(wb, path, buyer, data)
    except Exception as exc:
        tally.crashes[kind] += 1
        _example(tally, f"#{index} {kind}: the edit failed {type(exc).__name__}: {exc}")
        return
    found = sync_and_check(
        world.app, world.row(path).id, world.today[path], [typed] if typed else []
    )
    for category, example in found.items():
        getattr(tally, category)[kind] += 1
        _example(tally, f"#{index} {kind}: {example}")


def sync_and_check(app: App, map_id: str, today: date, typed: list[str]) -> dict[str, str]:
    """Sync one MAP and say what went wrong, by category (crashes, buyer_cells,
    wrong_figures, text_lost), with an example of each."""
    row = app.registry.get(map_id)
    try:
        before = app.workspace.read(row.sheet_ref)
        result = sync_map(row, workspace=app.workspace, registry=app.registry, today=today)
        if result.outcome in ("failed", "skipped"):
            raise RuntimeError(f"{result.outcome}: {result.message}")
    except Exception as exc:
        return {"crashes": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"}
    found: dict[str, str] = {}
    row = app.registry.get(map_id)
    after = app.workspace.read(row.sheet_ref)
    was, now = buyer_cells(before.grids), buyer_cells(after.grids)
    changed = sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k))
    if changed:
        found["buyer_cells"] = (
            f"buyer cells changed: {[(k, was.get(k), now.get(k)) for k in changed[:3]]}"
        )
    report = status_report(row, after, app.registry, today, app.workspace)
    on_sheet = shown(after.grids)
    for step in report.steps:
        figures = {k: on_sheet.get(step.id, {}).get(k, "") for k in FIGURES}
        want = {"health": step.health.label, "days_late": str(step.days_late or "")}
        if figures != want:
            found["wrong_figures"] = f"{step.id} shows {figures}, is {want}"
            break
    text = "\n".join(cell_text(v) for grid in after.grids.values() for row in grid for v in row)
    kept = [k.text for k, _ in app.registry.kept_text(map_id)]
    lost = [t for t in typed if t not in text and not any(t in k for k in kept)]
    if lost:
        found["text_lost"] = f"{lost} lost"
    return found


def _save_as_buyer(wb: Any, path: Path, buyer: Buyer, original: bytes) -> None:
    """The buyer's program saves: every formula keeps its value."""
    from addon.workspace.package import cached_values, restore_cached

    kept = cached_values(original)
    for title, cells in buyer.values.items():
        kept.setdefault(title, {}).update(cells)
    wb.properties.lastModifiedBy = "Dana Whitfield"
    out = io.BytesIO()
    wb.save(out)
    path.write_bytes(restore_cached(out.getvalue(), kept))


def _example(tally: Tally, text: str) -> None:
    if len(tally.examples) < 20:
        tally.examples.append(text)


def run_part(seed: int, cycles: int, maps: int, fresh_every: int) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    done = 0
    while done < cycles:
        with TemporaryDirectory(prefix="map-fuzz-") as tmp:
            world = World(Path(tmp), maps)
            for _ in range(min(fresh_every, cycles - done)):
                cycle(world, rng, tally, done)
                done += 1
            print(
                f"seed {seed}: {done} of {cycles} cycles\n{table(tally)}",
                file=sys.stderr,
                flush=True,
            )
    return tally


def run(cycles: int, seed: int, workers: int, maps: int, fresh_every: int) -> Tally:
    share = [cycles // workers + (1 if i < cycles % workers else 0) for i in range(workers)]
    total = Tally()
    if workers == 1:
        total.add(run_part(seed, cycles, maps, fresh_every))
        return total
    with ProcessPoolExecutor(workers) as pool:
        parts = [
            pool.submit(run_part, seed * 1000 + i, n, maps, fresh_every)
            for i, n in enumerate(share)
        ]
        for part in parts:
            total.add(part.result())
    return total


def table(tally: Tally) -> str:
    lines = [f"{'edit':<24}{'cycles':>8}{'crashes':>9}{'buyer':>7}{'figures':>9}{'lost':>6}"]
    for kind in KINDS:
        lines.append(
            f"{kind:<24}{tally.cycles[kind]:>8}{tally.crashes[kind]:>9}"
            f"{tally.buyer_cells[kind]:>7}{tally.wrong_figures[kind]:>9}{tally.text_lost[kind]:>6}"
        )
    totals: Callable[[Counter[str]], int] = lambda c: sum(c.values())  # noqa: E731
    lines.append(
        f"{'total':<24}{totals(tally.cycles):>8}{totals(tally.crashes):>9}"
        f"{totals(tally.buyer_cells):>7}{totals(tally.wrong_figures):>9}"
        f"{totals(tally.text_lost):>6}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--maps", type=int, default=3)
    parser.add_argument("--fresh-every", type=int, default=250)
    args = parser.parse_args()
    tally = run(args.cycles, args.seed, args.workers, args.maps, args.fresh_every)
    print(table(tally))
    for example in tally.examples:
        print(example)


if __name__ == "__main__":
    main()
