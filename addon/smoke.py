"""`mapctl google-smoke`: the Google workspace against a real Google project, with a person.

It creates a MAP, shares it with the person's buyer address, asks them to edit, sort and
add a row as a buyer would, syncs, and prints a checklist of what matched. Everything it
checks is read back from Google, not assumed; the round trips are counted by the
transport's call log. The MAP stays in Drive for the person to inspect (it says where).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from addon.maps import create_map, validate_create
from addon.plan.grid import find_header, find_tab
from addon.registry.store import Registry
from addon.sync import sync_all
from addon.workspace.base import Invite
from addon.workspace.google import GoogleWorkspace
from sheets_schema.template import Template
from sheets_schema.workbook import PLAN

INSTRUCTIONS = """\
Open the Plan tab as the buyer ({buyer}): {link}
  1. In S01's Status, type: ✅ Done
  2. In S02's Due date, type: next Fri
  3. In the first empty row under the plan, leave ID empty and type a Step:
     Buyer IT confirms SSO settings
  4. Type "checking with legal" into S03's Health cell (a computed column).
  5. Sort the plan rows by the Step column (select rows 4 down, Data > Sort range).
Then come back here."""


@dataclass
class Check:
    what: str
    ok: bool
    detail: str = ""


def run_smoke(
    *,
    workspace: GoogleWorkspace,
    registry: Registry,
    templates: dict[str, Template],
    buyer: str,
    rep_name: str,
    rep_email: str,
    today: date,
    now: datetime,
    wait_for_person: Callable[[str], None],
    echo: Callable[[str], None],
) -> list[Check]:
    log = workspace.http.log
    checks: list[Check] = []
    form = validate_create(
        {
            "deal": f"Smoke test {now:%Y-%m-%d %H:%M}",
            "buyer_company": "Smoke Test Buyer",
            "buyer_contacts": [buyer],
            "target_close": date.fromordinal(today.toordinal() + 60),
            "close_reason": "a smoke test of the Google workspace",
            "template": "smb",
            "rep_name": rep_name,
            "rep_email": rep_email,
        },
        templates,
        today,
    )
    start = len(log)
    created = create_map(
        form,
        templates=templates,
        workspace=workspace,
        registry=registry,
        today=today,
        seller_company="Smoke test",
        now=now,
        workspace_kind="google",
    )
    calls = len(log) - start
    checks.append(Check("create takes at most 4 round trips", calls <= 4, f"{calls}"))
    sheet_link = workspace.link(created.files.sheet)
    echo(f"Created {created.map_id}: Sheet {sheet_link}, Doc {workspace.link(created.files.doc)}")

    start = len(log)
    shared = workspace.share(
        [
            Invite(buyer, "writer", created.files.sheet),
            Invite(buyer, "commenter", created.files.doc),
        ],
        "A smoke test of our mutual action plan: please edit the Plan tab as asked.",
    )
    checks.append(Check("share is one round trip", len(log) - start == 1, f"{len(log) - start}"))
    for invited in shared:
        checks.append(
            Check(
                f"{invited.invite.email} invited as {invited.invite.role}",
                invited.ok,
                invited.reason,
            )
        )

    wait_for_person(INSTRUCTIONS.format(buyer=buyer, link=sheet_link))

    start = len(log)
    report = sync_all(
        workspace=workspace, registry=registry, today_of=lambda _r: today, only=[created.map_id]
    )
    result = report.results[0]
    checks.append(
        Check(
            "the buyer's edit was seen and synced",
            result.outcome == "written",
            f"{result.outcome} {result.message}".strip(),
        )
    )
    sent = [uri for _method, uri in log.calls[start:]]
    sheet = created.files.sheet
    counts = (
        sum(1 for u in sent if "/drive/v3/files?" in u and "value%3D%27sheet%27" in u),
        sum(1 for u in sent if f"/{sheet}/values:batchGet" in u),
        sum(1 for u in sent if f"/{sheet}/values:batchUpdate" in u),
    )
    checks.append(
        Check(
            "sync: 1 listing, 1 read and 1 write for the changed MAP",
            counts == (1, 1, 1),
            f"listings, reads, writes: {counts}; {len(sent)} round trips with the roll-up",
        )
    )
    row = registry.get(created.map_id)
    checks.append(
        Check(
            "last buyer update names the buyer",
            row.last_buyer_editor.lower() == buyer.lower(),
            row.last_buyer_editor,
        )
    )

    start = len(log)
    again = sync_all(
        workspace=workspace, registry=registry, today_of=lambda _r: today, only=[created.map_id]
    )
    checks.append(
        Check(
            "our own write is recognised: the next sync reads nothing",
            again.results[0].outcome == "unchanged",
            f"{again.results[0].outcome}, {len(log) - start} round trips; if "
            "'written' or read again, Drive moved the version by more than one "
            "for our write (the sync stays correct, at one extra read)",
        )
    )

    grids = workspace.read(created.files.sheet).grids
    plan = find_tab(grids, PLAN)
    header = find_header(plan[1], PLAN) if plan else None
    if plan is None or header is None:
        checks.append(Check("the Plan tab reads back", False, "no Plan header found"))
        return checks
    cols = header.columns
    rows = {
        str(r[cols["id"]]): r
        for r in plan[1][header.row + 1 :]
        if len(r) > cols["id"] and r[cols["id"]]
    }

    def get(step: str, key: str) -> str:
        r = rows.get(step, [])
        return str(r[cols[key]]) if key in cols and cols[key] < len(r) else ""

    checks.append(
        Check(
            "after the sort, S01's Health is on S01's row",
            get("S01", "health") == "Done",
            get("S01", "health"),
        )
    )
    added = [s for s in rows if "SSO" in get(s, "step")]
    checks.append(Check("the added row got an id", bool(added), ", ".join(added) or "no row"))
    checks.append(
        Check(
            "'next Fri' was read and the reading shown",
            "next Fri" in get("S02", "sync_note") or bool(get("S02", "projected_finish")),
            get("S02", "sync_note")[:80],
        )
    )
    checks.append(
        Check(
            "text typed into Health is kept in the sync note",
            "checking with legal" in get("S03", "sync_note"),
            get("S03", "sync_note")[:80],
        )
    )
    return checks
