"""`mapctl demo`: one MAP per template, a buyer editing over simulated days, syncs, a summary.

The buyer's edits go through openpyxl exactly as a spreadsheet program would save them:
cells changed by header and row id, the file's last-modified-by set to the buyer.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import load_workbook

from addon.plan.dates import fmt
from addon.plan.grid import find_header
from addon.sync import rollup_rows, sync_all
from addon.workspace.xlsx import find_sheet, grid_of, save
from sheets_schema.workbook import PLAN, RESOURCES

if TYPE_CHECKING:
    from addon.app import App

MARKER = ".map-demo"


class BuyerEdit:
    """Open a MAP workbook as a buyer would, change cells, save with the buyer's name."""

    def __init__(self, path: Path, who: str, when: date) -> None:
        self.path, self.who, self.when = path, who, when
        self.wb = load_workbook(path)
        ws = find_sheet(self.wb, PLAN)
        assert ws is not None
        self.ws = ws
        grid = grid_of(ws)
        header = find_header(grid, PLAN)
        assert header is not None
        self.header = header

    def _row(self, step_id: str) -> int:
        col = self.header.columns["id"] + 1
        for r in range(self.header.row + 2, self.ws.max_row + 1):
            if str(self.ws.cell(row=r, column=col).value or "").strip() == step_id:
                return r
        raise KeyError(step_id)

    def set(self, step_id: str, key: str, value: Any) -> BuyerEdit:
        cell = self.ws.cell(row=self._row(step_id), column=self.header.columns[key] + 1)
        cell.value = value
        return self

    def set_text(self, step_id: str, key: str, text: str) -> BuyerEdit:
        """Text kept as typed, as after a leading apostrophe: '=1+1' stays the string."""
        cell = self.ws.cell(row=self._row(step_id), column=self.header.columns[key] + 1)
        cell.value = text
        cell.data_type = "s"
        return self

    def get(self, step_id: str, key: str) -> Any:
        return self.ws.cell(row=self._row(step_id), column=self.header.columns[key] + 1).value

    def add_row(self, values: dict[str, Any]) -> BuyerEdit:
        r = self.ws.max_row + 1
        for r_scan in range(self.header.row + 2, self.ws.max_row + 2):
            if all(
                self.ws.cell(row=r_scan, column=c + 1).value in (None, "")
                for c in self.header.columns.values()
            ):
                r = r_scan
                break
        for key, value in values.items():
            self.ws.cell(row=r, column=self.header.columns[key] + 1).value = value
        return self

    def resource(self, title: str, key: str, value: Any) -> BuyerEdit:
        """Set a cell of the Resources row whose title starts with `title`."""
        ws, header = self._resources()
        col = header.columns["title"] + 1
        for r in range(header.row + 2, ws.max_row + 1):
            if str(ws.cell(row=r, column=col).value or "").startswith(title):
                ws.cell(row=r, column=header.columns[key] + 1).value = value
                return self
        raise KeyError(title)

    def add_resource(self, values: dict[str, Any]) -> BuyerEdit:
        ws, header = self._resources()
        r = max(header.row + 2, ws.max_row + 1)
        for row in range(header.row + 2, ws.max_row + 1):
            if ws.cell(row=row, column=header.columns["title"] + 1).value in (None, ""):
                r = row
                break
        for key, value in values.items():
            ws.cell(row=r, column=header.columns[key] + 1).value = value
        return self

    def _resources(self) -> tuple[Any, Any]:
        ws = find_sheet(self.wb, RESOURCES)
        assert ws is not None
        header = find_header(grid_of(ws), RESOURCES)
        assert header is not None
        return ws, header

    def save(self) -> None:
        self.wb.properties.lastModifiedBy = self.who
        self.wb.properties.modified = datetime.combine(self.when, time(15))
        save(self.wb, self.path)


@dataclass(frozen=True)
class DemoDeal:
    template: str
    deal: str
    company: str
    contacts: tuple[str, ...]
    buyer: str
    close_in_days: int
    reason: str
    outcome: str
    value: float
    rep: tuple[str, str]
    team: str


DEALS = (
    DemoDeal(
        "smb",
        "Team plan, 40 seats",
        "Bluebell Bakery Supply",
        ("Priya Natarajan <priya@bluebell.example.com>",),
        "Priya Natarajan",
        35,
        "their busy season starts in April",
        "Stop losing wholesale orders in email",
        18_000,
        ("Alex Moreno", "alex@seller.example.com"),
        "SMB",
    ),
    DemoDeal(
        "mid_market",
        "Analytics rollout",
        "Northwind Traders",
        ("Dana Whitfield <dana@northwind.example.com>", "Lee Okafor <lee@northwind.example.com>"),
        "Dana Whitfield",
        75,
        "the new fiscal year budget is set on 1 June",
        "Cut month-end reporting from 5 days to 1",
        120_000,
        ("Sam Rivera", "sam@seller.example.com"),
        "Mid-market",
    ),
    DemoDeal(
        "enterprise",
        "Global platform agreement",
        "Contoso Manufacturing",
        (
            "Marta Silva <marta@contoso.example.com>",
            "Jonas Weber <jonas@contoso.example.com>",
            "Aisha Khan <aisha@contoso.example.com>",
        ),
        "Marta Silva",
        160,
        "the board approves the digital programme in September",
        "One planning system for all 14 plants before the 2027 budget cycle",
        640_000,
        ("Sam Rivera", "sam@seller.example.com"),
        "Enterprise",
    ),
)


def _script(start: date) -> dict[int, list[tuple[str, str, Callable[[BuyerEdit], None]]]]:
    """Day offset -> (template, what the buyer did, the edit)."""
    return {
        2: [
            ("smb", "marked S01 done with a ✅", lambda e: e.set("S01", "status", "✅ Done")),
            (
                "mid_market",
                "marked S01 done and S03 in progress",
                lambda e: e.set("S01", "status", "Done").set("S03", "status", "In progress"),
            ),
        ],
        3: [
            (
                "mid_market",
                "the SE linked the SOC 2 report and the pen test summary (Resources tab)",
                lambda e: (
                    e.resource(
                        "SOC 2", "link", "https://trust.seller.example.com/soc2-type2-2026.pdf"
                    )
                    .resource("SOC 2", "shared_on", start + timedelta(days=3))
                    .resource("Penetration", "link", "in the data room")
                ),
            ),
        ],
        4: [
            (
                "enterprise",
                'marked S01 done on "3/4" (a messy date)',
                lambda e: e.set("S01", "status", "Complete").set("S01", "done_on", "3/4"),
            ),
            (
                "mid_market",
                "pushed the security review (S05) out by two weeks",
                lambda e: e.set("S05", "due", (e.get("S05", "due") + timedelta(days=14))),
            ),
        ],
        6: [
            (
                "mid_market",
                'added a step with a TBD owner, due "next Fri", after S07',
                lambda e: e.add_row(
                    {
                        "phase": "Decide",
                        "step": "Finance confirms the budget code for the PO",
                        "buyer_owner": "TBD",
                        "due": "next Fri",
                        "depends_on": "S07",
                        "status": "Not started",
                    }
                ),
            ),
            (
                "enterprise",
                "set S02 to 🔄 and pushed S03 by a week",
                lambda e: e.set("S02", "status", "🔄").set(
                    "S03", "due", e.get("S03", "due") + timedelta(days=7)
                ),
            ),
        ],
        8: [
            (
                "enterprise",
                "added their own security questionnaire, linked on their intranet",
                lambda e: e.add_resource(
                    {
                        "title": "Contoso supplier security questionnaire",
                        "kind": "InfoSec",
                        "step": "S07",
                        "link": "http://sharepoint.contoso.local/sites/infosec/sq.xlsx",
                        "side": "Buyer",
                        "provider": "Jonas Weber",
                    }
                ),
            ),
        ],
        9: [
            (
                "mid_market",
                'typed "waiting on legal" into the Health column of S08',
                lambda e: e.set("S08", "health", "waiting on legal"),
            ),
            (
                "enterprise",
                "named Jonas as the security owner of S03",
                lambda e: e.set("S03", "buyer_owner", "Jonas Weber"),
            ),
        ],
        13: [
            (
                "enterprise",
                "pushed S03 again, by another week",
                lambda e: e.set("S03", "due", e.get("S03", "due") + timedelta(days=7)),
            )
        ],
        16: [
            (
                "mid_market",
                "marked the security package (S02) done",
                lambda e: e.set("S02", "status", "done"),
            )
        ],
    }


def check_folder(root: Path) -> None:
    """The demo wipes its folder: only an empty one or an earlier demo's."""
    if root.exists() and any(root.iterdir()) and not (root / MARKER).exists():
        raise SystemExit(
            f"{root} already holds files that are not a demo; run the demo with "
            "--workspace pointing at an empty folder"
        )


def run_demo(app: App, *, days: int, echo: Callable[[str], None]) -> None:
    root = app.settings.workspace
    end = app.today_of()
    start = end - timedelta(days=days)
    reset(app, root)
    echo(f"MAP demo in {root.resolve()}: {len(DEALS)} deals, simulated {fmt(start)} to {fmt(end)}")
    ids: dict[str, str] = {}
    buyers: dict[str, str] = {}
    for deal in DEALS:
        close = start + timedelta(days=deal.close_in_days)
        created = app.create(
            {
                "deal": deal.deal,
                "buyer_company": deal.company,
                "buyer_contacts": list(deal.contacts),
                "target_close": close,
                "close_reason": deal.reason,
                "desired_outcome": deal.outcome,
                "template": deal.template,
                "deal_value": deal.value,
                "rep_name": deal.rep[0],
                "rep_email": deal.rep[1],
                "team": deal.team,
                "idempotency_key": f"demo-{deal.template}",
            },
            start,
            datetime.combine(start, time(9)),
        )
        ids[deal.template] = created.map_id
        buyers[deal.template] = deal.buyer
        echo(f"  created {created.map_id} {deal.company} ({deal.template}, close {fmt(close)})")
    script = _script(start)
    for offset in range(1, days + 1):
        day = start + timedelta(days=offset)
        for template, what, edit in script.get(offset, []):
            row = app.registry.get(ids[template])
            e = BuyerEdit(app.local.path(row.sheet_ref), buyers[template], day)
            edit(e)
            e.save()
            echo(f"  day {offset:>2} {fmt(day)}: {buyers[template]} {what}")
        if offset in script or offset % 7 == 0 or offset == days:
            report = sync_all(
                workspace=app.workspace, registry=app.registry, today_of=_constant(day)
            )
            echo(
                f"  day {offset:>2} {fmt(day)}: sync — {report.count('written')} written, "
                f"{report.count('unchanged')} unchanged, {report.count('failed')} failed"
            )
    _summary(app, end, echo)


def _constant(day: date) -> Callable[[object], date]:
    return lambda _row: day


def reset(app: App, root: Path) -> None:
    """Empty the demo folder and its registry (a demo's folder only: see check_folder)."""
    for row in app.registry.maps():
        folder = app.local.path(row.sheet_ref).parent
        shutil.rmtree(folder, ignore_errors=True)
    app.registry.close()
    for name in ("registry.sqlite", "registry.sqlite-wal", "registry.sqlite-shm", "rollup.xlsx"):
        (root / name).unlink(missing_ok=True)
    shutil.rmtree(root / "maps", ignore_errors=True)
    (root / MARKER).write_text("created by mapctl demo\n")
    from addon.registry.store import Registry

    app.registry = Registry(app.settings.registry())


def _summary(app: App, today: date, echo: Callable[[str], None]) -> None:
    rows = rollup_rows(app.registry.maps(), app.registry)
    echo("")
    echo(f"Roll-up as of {fmt(today)}, riskiest first:")
    for r in rows:
        projected = fmt(r.projected_close) if r.projected_close else "unknown"
        echo(
            f"  {r.rank}. {r.buyer_company} — {r.deal}: {r.health.replace('_', ' ')}, "
            f"score {r.score}{', STALE' if r.stale else ''}"
        )
        echo(
            f"     target {fmt(r.target_close)}, projected {projected}; buyer steps "
            f"{r.buyer_steps_done}/{r.buyer_steps_total}; {r.slipped_days} slip days over "
            f"{r.date_pushes} push(es)"
        )
        if r.current_blocker:
            echo(f"     blocker: {r.current_blocker} — {r.blocker_owner or 'no owner'}")
        if r.problems:
            echo(f"     {r.problems} cell(s) the buyer should fix (see the Sync note column)")
    root = app.settings.workspace.resolve()
    echo("")
    echo("Files:")
    for row in app.registry.maps():
        echo(f"  {root / row.sheet_ref}")
        echo(f"  {root / row.doc_ref}")
    echo(f"  {root / 'rollup.xlsx'}  (the managers' roll-up)")
    echo(
        "Open a workbook in LibreOffice or Excel, edit it as the buyer, then run "
        f"`mapctl --workspace {root} sync`."
    )
