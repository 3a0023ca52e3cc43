"""`mapctl google-smoke`: the Google workspace against a real Google project, with a person.

It creates a MAP, shares it with the person's buyer address, asks them to edit, sort and
add a row as a buyer would, syncs, and prints a checklist of what matched. Everything it
checks is read back from Google, not assumed; the round trips are counted by the
transport's call log. The MAP stays in Drive for the person to inspect (it says where).

It also records what Google did where our offline fake (tests/googlefake) can only assume:
how far our own write and a buyer's edit move Drive's version, whether lastModifyingUser
is there, whether a formula written for de_DE works in a de_DE Sheet and an en_US one
after its locale is switched, what a Shared Drive listing sees, and whether a second
parent is refused. `rules_table` prints them: rule, what the fake assumes, what Google did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from googleapiclient.errors import HttpError

from addon.maps import Created, CreateMap, create_map, validate_create
from addon.plan.grid import find_header, find_tab
from addon.plan.merge import CellEdit
from addon.plan.resources import LinkForm, LinkReading
from addon.registry.store import Registry
from addon.sync import sync_all
from addon.workspace.base import Invite
from addon.workspace.google import GoogleWorkspace, reasons
from sheets_schema.template import Template
from sheets_schema.workbook import PLAN, RESOURCES

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


@dataclass
class Rule:
    """A behaviour the offline fake assumes, and what the real Google did."""

    rule: str
    fake: str
    google: str = "not checked (the run stopped before it)"
    agrees: bool | None = None


@dataclass
class Smoke:
    checks: list[Check] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.rule == name)


# The fake's assumptions a live run can confirm (README, "Assumptions the fake makes").
RULES = (
    Rule("version after our write", "grows by at least 1 (the fake: 1 to 3 at random)"),
    Rule("version after a buyer's edits", "grows by at least 1 per saved change"),
    Rule("lastModifyingUser", "present for a signed-in editor, absent for some"),
    Rule("de_DE formula", "';' between arguments parses in a de_DE Sheet; ',' does not"),
    Rule("formula after a locale switch", "a formula that parsed keeps working"),
    Rule("Shared Drive listing", "corpora=drive + driveId lists every MAP in the drive"),
    Rule("one parent", "files.update(addParents) on a filed file: 403 cannotAddParent"),
    Rule("default tab", "a Sheet Drive makes has one tab, sheetId 0 (deleted by the build)"),
    Rule(
        "Drive links on Resources",
        "files.get in a batch: 404 notFound for an unknown id; no permissions for a "
        "shared drive item",
    ),
)

# Rows the smoke test puts on the Resources tab (as a buyer would type them, far below the
# template's rows): a Drive link to no file, and one to the smoke MAP's own Doc.
RESOURCE_ROW = 39  # 0-based: row 40
NO_SUCH_FILE = "1MapSmokeNoSuchDriveFile0000000"


def _create(
    workspace: GoogleWorkspace,
    registry: Registry,
    templates: dict[str, Template],
    form: CreateMap,
    today: date,
    now: datetime,
) -> Created:
    return create_map(
        form,
        templates=templates,
        workspace=workspace,
        registry=registry,
        today=today,
        seller_company="Smoke test",
        now=now,
        workspace_kind="google",
    )


def rules_table(rules: list[Rule]) -> list[str]:
    """The rules as lines: rule | the fake assumes | Google did."""
    width = max(len(r.rule) for r in rules)
    lines = [f"{'rule':<{width}}  {'fake':<8} what Google did  (what the fake assumes)"]
    for r in rules:
        verdict = {True: "agrees", False: "DIFFERS", None: "?"}[r.agrees]
        lines.append(f"{r.rule:<{width}}  {verdict:<8} {r.google}  ({r.fake})")
    return lines


def _meta(workspace: GoogleWorkspace, file_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (
        workspace.drive.files()
        .get(
            fileId=file_id,
            fields="version,lastModifyingUser(emailAddress),parents",
            supportsAllDrives=True,
        )
        .execute()
    )
    return found


def _version(meta: dict[str, Any]) -> int:
    return int(meta["version"])


def _computed_shown(workspace: GoogleWorkspace, sheet: str) -> tuple[bool, str]:
    """Whether the Plan's computed columns show their header and values (the formulas
    parsed), read the way sync reads."""
    grids = workspace.read(sheet).grids
    plan = find_tab(grids, PLAN)
    header = find_header(plan[1], PLAN) if plan else None
    if plan is None or header is None:
        return False, "no Plan header found"
    col = header.columns.get("health")
    if col is None:
        row = plan[1][header.row] if header.row < len(plan[1]) else []
        return False, f"Health header reads {row[-6:]!r}"
    values = [r[col] for r in plan[1][header.row + 1 :] if len(r) > col and r[col]]
    return bool(values), f"{len(values)} Health values shown"


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
) -> Smoke:
    log = workspace.http.log
    smoke = Smoke(rules=[Rule(r.rule, r.fake) for r in RULES])
    checks = smoke.checks
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
    created = _create(workspace, registry, templates, form, today, now)
    calls = len(log) - start
    checks.append(Check("create takes at most 4 round trips", calls <= 4, f"{calls}"))
    made = created.files.made
    built = _meta(workspace, created.files.sheet)
    if made is not None:
        step = _version(built) - int(made.version.split(":")[0])
        smoke.rule("version after our write").google = (
            f"+{step} for the build (one batchUpdate), by "
            f"{built.get('lastModifyingUser', {}).get('emailAddress', 'nobody named')}"
        )
        smoke.rule("version after our write").agrees = step >= 1
    smoke.rule("default tab").google = "the build deleted sheetId 0: the create worked"
    smoke.rule("default tab").agrees = True
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
    batches = sum(1 for _method, uri in log.calls[start:] if "/batch/" in uri)
    checks.append(
        Check(
            "share is one Drive batch (after the drive's restrictions, read once)",
            batches == 1,
            f"{batches} batch(es), {len(log) - start} round trips",
        )
    )
    for invited in shared:
        checks.append(
            Check(
                f"{invited.invite.email} invited as {invited.invite.role}",
                invited.ok,
                invited.reason,
            )
        )

    doc_link = f"https://docs.google.com/document/d/{created.files.doc}/edit"
    missing_link = f"https://drive.google.com/file/d/{NO_SUCH_FILE}/view"
    workspace.write_cells(
        created.files.sheet,
        "0",
        [
            CellEdit("Resources", RESOURCE_ROW, 0, "Smoke: a Drive file that does not exist"),
            CellEdit("Resources", RESOURCE_ROW, 3, missing_link),
            CellEdit("Resources", RESOURCE_ROW + 1, 0, "Smoke: this MAP's own Doc"),
            CellEdit("Resources", RESOURCE_ROW + 1, 3, doc_link),
        ],
    )
    before = _version(_meta(workspace, created.files.sheet))
    wait_for_person(INSTRUCTIONS.format(buyer=buyer, link=sheet_link))
    edited = _meta(workspace, created.files.sheet)
    who = edited.get("lastModifyingUser", {}).get("emailAddress")
    smoke.rule(
        "version after a buyer's edits"
    ).google = f"+{_version(edited) - before} for the five edits asked for"
    smoke.rule("version after a buyer's edits").agrees = _version(edited) > before
    smoke.rule("lastModifyingUser").google = f"present: {who}" if who else "absent"
    smoke.rule("lastModifyingUser").agrees = True  # either is modelled

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
    after = _meta(workspace, created.files.sheet)
    if row.last_read_version:
        step = _version(after) - int(row.last_read_version.split(":")[0])
        smoke.rule("version after our write").google += f"; +{step} for a sync's write"
        smoke.rule("version after our write").agrees = step >= 1
    reads = sum(1 for _method, uri in log.calls[start:] if "values:batchGet" in uri)
    rounds, settled = 0, 1
    while settled and rounds < 3:  # a write made for a read (its notes changed) settles too
        start, rounds = len(log), rounds + 1
        sync_all(
            workspace=workspace,
            registry=registry,
            today_of=lambda _r: today,
            only=[created.map_id],
        )
        settled = sum(1 for _method, uri in log.calls[start:] if "values:batchGet" in uri)
    checks.append(
        Check(
            "our own write is recognised: once nothing changed, a sync reads nothing",
            settled == 0,
            f"the sync after the buyer's: {again.results[0].outcome} with {reads} read(s); "
            f"{rounds} more until one read nothing. A read right after our write means "
            "Drive moved the version by more than one for it (still correct, at one extra "
            "read)",
        )
    )

    _drive_rules(smoke, workspace, created.files.sheet, created.map_id)
    grids = workspace.read(created.files.sheet).grids
    plan = find_tab(grids, PLAN)
    header = find_header(plan[1], PLAN) if plan else None
    if plan is None or header is None:
        checks.append(Check("the Plan tab reads back", False, "no Plan header found"))
        return smoke
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
    _resource_checks(smoke, workspace, grids, created.files.doc)
    _locale_rules(smoke, workspace, registry, templates, form_of=form, today=today, now=now)
    return smoke


def _resource_checks(
    smoke: Smoke, workspace: GoogleWorkspace, grids: dict[str, Any], doc: str
) -> None:
    """The Resources rows the smoke test typed: each row's Sync note as the Sheet shows it
    (the lookup formula in the header, the hidden _resources table), and Drive's answers
    to files.get by id, asked in one batch as a sync asks them."""
    found = find_tab(grids, RESOURCES)
    header = find_header(found[1], RESOURCES) if found else None
    notes: dict[str, str] = {}
    if found is not None and header is not None and "sync_note" in header.columns:
        col = header.columns["sync_note"]
        notes = {
            str(r[0]): str(r[col]) if col < len(r) else ""
            for r in found[1][header.row + 1 :]
            if r and r[0]
        }
    missing = notes.get("Smoke: a Drive file that does not exist", "")
    smoke.checks.append(
        Check(
            "Resources: a Drive link to no file gets its Sync note on its own row",
            "Drive has no file" in missing,
            missing[:80] or "no note (is the Sync note header showing 'Sync note'?)",
        )
    )
    own = notes.get("Smoke: this MAP's own Doc")
    smoke.checks.append(
        Check(
            "Resources: a Drive link the service can open gets no note",
            own == "",
            "no note" if own == "" else f"{own!r}"[:80],
        )
    )
    facts = workspace.drive_facts(
        [
            LinkReading(f"https://drive.google.com/file/d/{i}/view", LinkForm.DRIVE, i)
            for i in (NO_SUCH_FILE, doc)
        ]
    )
    gone, ours = facts.get(NO_SUCH_FILE), facts.get(doc)
    rule = smoke.rule("Drive links on Resources")
    rule.google = (
        f"unknown id: {'404' if gone and not gone.found and not gone.error else gone}; "
        f"the MAP's Doc: {'found' if ours and ours.found else ours}, permissions "
        f"{'not shown' if ours and ours.shared_with is None else 'shown'}"
    )
    rule.agrees = (
        gone is not None
        and not gone.found
        and not gone.error
        and ours is not None
        and ours.found
        and ours.shared_with is None
    )


def _drive_rules(smoke: Smoke, workspace: GoogleWorkspace, sheet: str, map_id: str) -> None:
    """The listing and the one-parent rule, on the smoke test's own Sheet."""
    listed = workspace.versions([sheet]).get(sheet)
    user_corpus = (
        workspace.drive.files()
        .list(
            q=f"appProperties has {{ key='mapId' and value='{map_id}' }} and trashed = false",
            fields="files(id)",
            supportsAllDrives=True,
            includeItemsFromAllDrives=True,
        )
        .execute()
    )
    listing = smoke.rule("Shared Drive listing")
    listing.google = (
        f"corpora=drive {'found' if listed else 'did NOT find'} the Sheet; the default corpus "
        f"(user) found {len(user_corpus.get('files', []))} of the MAP's files"
    )
    listing.agrees = listed is not None
    parent = smoke.rule("one parent")
    if not workspace.folder_id:
        parent.google = "not checked: no MAP_GOOGLE_FOLDER"
        return
    folder = (
        workspace.drive.files()
        .create(
            body={
                "name": "MAP smoke test: second parent",
                "mimeType": "application/vnd.google-apps.folder",
                "parents": [workspace.folder_id],
            },
            supportsAllDrives=True,
            fields="id",
        )
        .execute()
    )
    try:
        workspace.drive.files().update(
            fileId=sheet, addParents=folder["id"], supportsAllDrives=True, fields="id,parents"
        ).execute()
        parent.google, parent.agrees = "a second parent was accepted", False
    except HttpError as err:
        reason = ",".join(reasons(err))
        parent.google = f"{err.resp.status} {reason}"
        parent.agrees = err.resp.status == 403 and "cannotAddParent" in reason
    finally:
        workspace.drive.files().update(
            fileId=folder["id"], body={"trashed": True}, supportsAllDrives=True, fields="id"
        ).execute()


def _locale_rules(
    smoke: Smoke,
    workspace: GoogleWorkspace,
    registry: Registry,
    templates: dict[str, Template],
    *,
    form_of: CreateMap,
    today: date,
    now: datetime,
) -> None:
    """A de_DE MAP (formulas written with ';'), and an en_US one switched to de_DE."""
    german = _create(
        workspace,
        registry,
        templates,
        form_of.model_copy(update={"deal": f"{form_of.deal} (de_DE)", "locale": "de_DE"}),
        today,
        now,
    )
    shown, detail = _computed_shown(workspace, german.files.sheet)
    rule = smoke.rule("de_DE formula")
    rule.google, rule.agrees = f"de_DE MAP: {detail}", shown
    english = _create(
        workspace,
        registry,
        templates,
        form_of.model_copy(update={"deal": f"{form_of.deal} (locale switch)"}),
        today,
        now,
    )
    workspace.sheets.spreadsheets().batchUpdate(
        spreadsheetId=english.files.sheet,
        body={
            "requests": [
                {
                    "updateSpreadsheetProperties": {
                        "properties": {"locale": "de_DE"},
                        "fields": "locale",
                    }
                }
            ]
        },
    ).execute()
    workspace.version(english.files.sheet)  # fresh metadata for the read
    shown, detail = _computed_shown(workspace, english.files.sheet)
    rule = smoke.rule("formula after a locale switch")
    rule.google, rule.agrees = f"en_US MAP switched to de_DE: {detail}", shown
