"""Sync: read the MAPs that changed, compute status, write computed cells, roll up.

Per MAP: version check (unchanged and already synced today costs nothing) -> read ->
parse -> advance baselines -> status -> write computed cells if they differ (a buyer save
between our read and our write is detected and we re-read) -> registry. Then the roll-up.
A MAP that cannot be read gets a clear line and every other MAP still syncs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date

from addon.crm.links import CrmReport, crm_overrides
from addon.errors import MapLocked, VersionConflict, WorkspaceError
from addon.plan.alerts import Alert, agenda, evaluate
from addon.plan.cells import PLACEHOLDER_NOTICE, cell_text
from addon.plan.crm import deal_of
from addon.plan.dates import fmt
from addon.plan.grid import cell_range, col_letter, find_header, find_tab, settle, shown
from addon.plan.memory import advance
from addon.plan.merge import CONFLICT, UNPLACED
from addon.plan.models import (
    AnchorKey,
    Cell,
    DueChange,
    Grid,
    KeptText,
    MapInfo,
    ParsedMap,
    Problem,
    StepMemory,
)
from addon.plan.parse import CELL_LIMIT, RESOURCES_KEY, SUMMARY_KEY, is_ours, parse_map
from addon.plan.people import stakeholder_offers
from addon.plan.report import ResourceReport, StatusReport, build_report, resource_reports
from addon.plan.resources import (
    DriveFacts,
    ResourceCheck,
    check_resources,
    drive_links,
    missing_line,
    missing_on_open_steps,
    near_steps,
    resource_cells,
    still_missing,
)
from addon.plan.rollup import RollupInput, RollupRow, build_row, from_json, rank, to_json
from addon.plan.status import NEAR_DAYS, PlanStatus, Pointer, compute, near, needs_owner
from addon.registry.grids import decode_grids, encode_grids
from addon.registry.history import daily_insights
from addon.registry.models import MapRow
from addon.registry.store import Registry, info_of
from addon.workspace.base import SYNC_IDENTITY, ComputedWrite, Snapshot, Workspace
from sheets_schema.vocab import Health, Side
from sheets_schema.workbook import PLAN, RESOURCES, SUMMARY_FIELDS, Tab

ACTIVE = ("draft", "shared", "won")
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Learned:
    """What one read taught the registry."""

    memory: dict[str, StepMemory]
    changes: list[DueChange]
    anchors: dict[AnchorKey, date]
    kept: tuple[KeptText, ...]
    last_buyer_update: date | None
    last_buyer_editor: str


@dataclass(frozen=True)
class Computed:
    """Everything one read of a MAP yields."""

    info: MapInfo
    parsed: ParsedMap
    status: PlanStatus
    write: ComputedWrite
    learned: Learned
    checks: tuple[ResourceCheck, ...] = ()  # each Resources row's verdict, in sheet order

    @property
    def resources(self) -> list[ResourceReport]:
        """The Resources rows as `mapctl status` shows them, each with its Sync note."""
        return resource_reports(self.parsed.resources, self.checks, self.write.resources)

    def step_resources(self) -> tuple[ResourceReport, ...]:
        """The documents the next step and the current blocker need (the status card)."""
        st = self.status
        wanted = {p.step_id for p in (st.next_step, st.current_blocker) if p is not None}
        return tuple(r for r in self.resources if wanted.intersection(r.steps))

    def missing_lines(self) -> dict[str, str]:
        """Step id -> "Still missing: ..." for each step that lacks a document."""
        lacking = still_missing(self.parsed.resources, self.checks)
        return {sid: missing_line(rs) for sid, rs in lacking.items()}

    @property
    def missing_resources(self) -> int:
        return missing_on_open_steps(self.parsed.resources, self.checks, self.parsed.steps)


@dataclass
class MapResult:
    map_id: str
    deal: str
    outcome: str  # written, unchanged, skipped, failed
    message: str = ""
    problems: int = 0
    health: str = ""
    alerts: int = 0  # alerts raised (new events) by this sync


@dataclass
class SyncReport:
    today: date
    results: list[MapResult] = field(default_factory=list)
    rollup_ref: str = ""
    crm: CrmReport | None = None  # what the CRM step did, when a CRM is configured

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)


def _header_names(snapshot_grid: Grid, tab: Tab = PLAN) -> dict[str, str]:
    """Column letters -> the headers the sheet shows (moved or renamed columns too)."""
    header = find_header(snapshot_grid, tab)
    if header is None:
        return {}
    row = snapshot_grid[header.row]
    return {col_letter(i): str(v).strip() for i, v in enumerate(row) if v is not None}


def _note_lines(
    problems: Iterable[Problem], headers: Mapping[str, str], kept: Iterable[tuple[KeptText, date]]
) -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {}
    for p in problems:
        if p.step_id is None or p.tab.strip().lower() != PLAN.name.lower():
            continue
        column = headers.get(p.cell.rstrip("0123456789"), p.cell)
        value = f' "{_excerpt(p.value)}"' if p.value else ""
        lines.setdefault(p.step_id, []).append(f"{column}{value}: {p.message}")
    for text, kept_on in kept:
        lines.setdefault(text.step_id, []).append(kept_line(text, kept_on))
    return lines


QUOTE_CHARS = 60  # a problem line quotes the cell; the full text, when kept, is quoted once


def _excerpt(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else f"{text[:QUOTE_CHARS]}…"


def fit_note(note: str) -> str:
    """A note a cell can hold: cut at the cell's limit with a line that says so (the kept
    text itself stays whole in the registry and in `mapctl status`)."""
    if len(note) <= CELL_LIMIT:
        return note
    tail = f"… (cut: a cell holds {CELL_LIMIT:,} characters)"
    return note[: CELL_LIMIT - len(tail)] + tail


def kept_line(text: KeptText, kept_on: date) -> str:
    """One kept value as the sync note says it: nothing a buyer wrote disappears."""
    column = f"{text.column}: " if text.column else ""
    if text.source == CONFLICT:
        return (
            f'Returned .xlsx merged {fmt(kept_on)}, {column}the copy says "{text.text}", '
            f'the Sheet says "{text.beside}" (kept in the cell; change it if the copy is right)'
        )
    if text.source == UNPLACED:
        return (
            f'Returned .xlsx merged {fmt(kept_on)}, {column}"{text.text}" not placed: {text.beside}'
        )
    return f'Kept from {text.column} ({fmt(kept_on)}): "{text.text}"'


def _waiting_text(parsed: ParsedMap, waiting: tuple[str, ...]) -> str | None:
    parts = []
    for step_id in waiting:
        step = parsed.step(step_id)
        if step is not None:
            owner = f" ({step.owner_text})" if step.owner_text else ""
            parts.append(f"{step_id} {step.step[:40]}{owner}")
    return "; ".join(parts) or None


def computed_cells(
    parsed: ParsedMap, status: PlanStatus, notes: Mapping[str, list[str]]
) -> dict[str, dict[str, Cell]]:
    """Row id -> the computed columns' values, whichever workspace writes them."""
    rows: dict[str, dict[str, Cell]] = {}
    for step in parsed.steps:
        st = status.steps[step.id]
        note = list(notes.get(step.id, []))
        if st.consequence_fired:
            note.insert(
                0, f"{st.days_late} days late: the agreed consequence applies. {step.if_it_slips}"
            )
        rows[step.id] = {
            "health": st.health.label,
            "days_late": st.days_late or None,
            "slipped": st.slipped_days or None,
            "waiting_on": _waiting_text(parsed, st.waiting_on),
            "projected_finish": st.projected_finish if st.health is not Health.SKIPPED else None,
            "sync_note": fit_note("\n".join(note)) or None,
        }
    return rows


def compute_map(
    row: MapRow,
    snapshot: Snapshot,
    registry: Registry,
    today: date,
    sheet_link: str = "",
    doc_link: str = "",
    drive: Mapping[str, DriveFacts] | None = None,
) -> Computed:
    """Parse and compute one MAP from a snapshot: what to write and what was learned.
    `drive`: what Drive said of the files the Resources tab links to (by file id)."""
    info = info_of(row, sheet_link, doc_link)
    memory = registry.memory(row.id)
    parsed = parse_map(
        snapshot.grids,
        today=today,
        locale=row.locale,
        plan_start=row.created_on,
        anchors=registry.anchors(row.id),
        memory=memory,
        last_written=row.last_written or {},
        merges=snapshot.merges,
        formulas=snapshot.formulas,
    )
    saved_on = _saved_on(row, snapshot, today)
    new_memory, changes = advance(memory, parsed, today, saved_on)
    last_buyer_update, editor = _buyer_update(row, snapshot, saved_on)
    status = compute(
        parsed,
        new_memory,
        target_close=row.target_close,
        today=today,
        last_buyer_update=last_buyer_update,
        plan_start=row.created_on,
        last_steps=[k for k in (row.last_written or {}) if k not in (SUMMARY_KEY, RESOURCES_KEY)],
    )
    kept_all = [*registry.kept_text(row.id), *((k, today) for k in parsed.kept_text)]
    plan_grid = find_tab(snapshot.grids, PLAN)
    headers = _header_names(plan_grid[1]) if plan_grid else {}
    close = near(parsed, status, today)
    problems = [  # a placeholder owner is said on its row once the step is near
        p
        for p in (*parsed.problems, *status.problems)
        if p.message != PLACEHOLDER_NOTICE or p.step_id in close
    ]
    notes = _note_lines(problems, headers, kept_all)
    resource_grid = find_tab(snapshot.grids, RESOURCES)
    resource_headers = _header_names(resource_grid[1], RESOURCES) if resource_grid else {}
    resource_notes, checks = _resource_notes(
        parsed, status, problems, notes, resource_headers, info, drive or {}, today
    )
    step_ids = {s.id for s in parsed.steps}
    elsewhere = [
        line
        for key, ls in notes.items()
        if key not in step_ids and key not in resource_notes
        for line in ls
    ]
    if wanted := needs_owner(parsed):
        elsewhere.append(
            "Steps that still need a named owner: "
            + "; ".join(f"{sid} ({', '.join(texts)})" for sid, texts in wanted.items())
        )
    if status.health_reason:
        elsewhere.insert(0, f"{status.health.label}: {status.health_reason}")
    write = ComputedWrite(
        rows=computed_cells(parsed, status, notes),
        ids=parsed.id_assignments,
        summary=_summary(info, status, today, doc_link, elsewhere),
        today=today,
        resources=resource_notes,
        resource_rows=resource_cells(snapshot.grids),
    )
    learned = Learned(
        new_memory, changes, parsed.new_anchors, parsed.kept_text, last_buyer_update, editor
    )
    return Computed(info, parsed, status, write, learned, checks)


def _resource_notes(
    parsed: ParsedMap,
    status: PlanStatus,
    problems: Iterable[Problem],
    notes: dict[str, list[str]],
    headers: Mapping[str, str],
    info: MapInfo,
    drive: Mapping[str, DriveFacts],
    today: date,
) -> tuple[dict[str, str | None], tuple[ResourceCheck, ...]]:
    """Each Resources row's Sync note by its key (and its verdict, in sheet order), and,
    on the Plan, a near step's line naming what it still lacks. `notes` (step id or
    resource key -> lines) gains those."""
    if not parsed.resources:
        return {}, ()
    also = {p.step_id for p in (status.next_step, status.current_blocker) if p is not None}
    near = near_steps(parsed.steps, today, NEAR_DAYS, also)
    buyers = [p for p in parsed.stakeholders if p.side is Side.BUYER and p.email]
    emails = [p.email for p in buyers]
    domains = {e.rpartition("@")[2].lower() for e in emails}
    checks = check_resources(
        parsed.resources,
        parsed.steps,
        near,
        drive,
        emails,
        domains,
        info.buyer_company or "the buyer",
    )
    for sid, lacking in still_missing(parsed.resources, checks).items():
        if sid in near:
            notes.setdefault(sid, []).append(missing_line(lacking))
    by_row: dict[int, list[str]] = {}
    for p in problems:
        if p.tab == parsed.resources_tab and (where := cell_range(p.cell)):
            value = f' "{_excerpt(p.value)}"' if p.value else ""
            column = headers.get(p.cell.rstrip("0123456789"), p.cell)
            by_row.setdefault(where[0][0], []).append(f"{column}{value}: {p.message}")
    out: dict[str, str | None] = {}
    for r, check in zip(parsed.resources, checks, strict=True):
        if not check.key:
            continue
        lines = [*by_row.get(r.row, []), *check.lines, *notes.get(check.key, [])]
        note = fit_note("\n".join(dict.fromkeys(lines))) or None
        if out.get(check.key):
            continue  # the same key twice: the first row's note stands for both
        out[check.key] = note
    return out, checks


def _saved_on(row: MapRow, snapshot: Snapshot, today: date) -> date | None:
    """When the save we are reading was made, if it is someone's new edit (not ours)."""
    if snapshot.version in (row.last_written_version, row.last_read_version):
        return None
    return min(snapshot.modified_at.date(), today) if snapshot.modified_at else today


def _buyer_update(
    row: MapRow, snapshot: Snapshot, saved_on: date | None
) -> tuple[date | None, str]:
    """The last edit by someone other than us or the rep (the workbook's modified props)."""
    ours = {SYNC_IDENTITY.lower(), row.rep_name.lower(), row.rep_email.lower(), "map"}
    editor = (snapshot.modified_by or "").strip()
    if saved_on and row.last_written_version is not None and editor.lower() not in ours:
        return saved_on, editor or "unknown editor"
    return row.last_buyer_update, row.last_buyer_editor


def _pointer(p: Pointer | None) -> str:
    if p is None:
        return "none"
    due = f", due {fmt(p.due)}" if p.due else ""
    owner = f" — {p.owner}" if p.owner else ""
    return f"{p.step_id} {p.step}{owner}{due}"


def _summary(
    info: MapInfo, status: PlanStatus, today: date, doc_link: str, notes: list[str]
) -> list[tuple[str, Cell]]:
    values: dict[str, Cell] = {
        "deal": f"{info.deal} ({info.buyer_company})",
        "desired_outcome": info.desired_outcome,
        "target_close": info.target_close,
        "close_reason": info.close_reason,
        "projected_close": status.projected_close,
        "health": status.health.label,
        "buyer_steps": f"{status.buyer_steps_done} of {status.buyer_steps_total}",
        "next_step": _pointer(status.next_step),
        "current_blocker": _pointer(status.current_blocker),
        "last_buyer_update": status.last_buyer_update or "no buyer edit yet",
        "stale": "Yes: no recent buyer progress" if status.stale else "No",
        "doc_link": doc_link,
        # Notes that belong to no Plan row (a returned copy's Stakeholders conflict...).
        "sync_notes": fit_note("\n".join(notes)) or "none",
        "last_sync": today,
    }
    return [(f.label, values[f.key]) for f in SUMMARY_FIELDS]


def _texts(write: ComputedWrite) -> dict[str, dict[str, str]]:
    out = {sid: {k: cell_text(v) for k, v in values.items()} for sid, values in write.rows.items()}
    out[SUMMARY_KEY] = {label: cell_text(v) for label, v in write.summary if label != "Last synced"}
    if write.resources:
        out[RESOURCES_KEY] = {key: note or "" for key, note in write.resources.items()}
    return out


def _moved(snapshot: Snapshot, texts: Mapping[str, Mapping[str, str]]) -> bool:
    """The sheet does not show what we would write: its rows were sorted (or computed cells
    cleared) since our last write. What we wrote last is no evidence of what it shows."""
    on_sheet = shown(snapshot.grids)
    return any(
        not is_ours(on_sheet.get(sid, {}).get(key, ""), text)
        for sid, values in texts.items()
        if sid not in (SUMMARY_KEY, RESOURCES_KEY)
        for key, text in values.items()
    )


def _unchanged(row: MapRow, version: str | None) -> bool:
    """Nobody saved the sheet since our last read or write."""
    return version is not None and version in (row.last_written_version, row.last_read_version)


def settled_snapshot(row: MapRow, version: str | None) -> Snapshot | None:
    """Nobody saved since our last read: the sheet is that read (settled), no call needed.
    None when it must be read."""
    if not _unchanged(row, version) or not row.settled_grids:
        return None
    assert version is not None
    return Snapshot(decode_grids(row.settled_grids), version, SYNC_IDENTITY, None)


def needs_sync(row: MapRow, version: str | None, today: date) -> bool:
    """Whether sync_map would do anything: someone saved, or today's values are not written.
    (`version` None: the sheet could not be listed, which sync reports as lost.)"""
    return not (_unchanged(row, version) and row.last_synced_on == today)


def sync_map(
    row: MapRow,
    *,
    workspace: Workspace,
    registry: Registry,
    today: date,
    force: bool = False,
    listed: Mapping[str, str | None] | None = None,
    made: Snapshot | None = None,
) -> MapResult:
    """Sync one MAP. `listed` holds versions the caller already listed (one call for all);
    `made` is the sheet exactly as a create just wrote it (no read needed)."""
    result = MapResult(row.id, row.deal, "unchanged")
    if made is not None:
        version: str | None = made.version
    elif listed and row.sheet_ref in listed:
        version = listed[row.sheet_ref]
    else:
        version = workspace.version(row.sheet_ref)
    unchanged = _unchanged(row, version)
    if not force and unchanged and row.last_synced_on == today:
        result.message, result.health = (
            "no change since the last sync",
            row.rollup.get("health", ""),
        )
        return result
    if not force and made is None:
        made = settled_snapshot(row, version)
    sheet_link, doc_link = workspace.link(row.sheet_ref), workspace.link(row.doc_ref)
    for _attempt in range(MAX_ATTEMPTS):
        try:
            snapshot = made or workspace.read(row.sheet_ref)
        except WorkspaceError as exc:
            return _failed(row, registry, result, str(exc))
        as_read, made = made is None, None
        try:
            drive = workspace.drive_facts(drive_links(snapshot.grids))
        except WorkspaceError as exc:  # Drive could not be asked: links are checked next time
            drive, result.message = {}, f"Drive links not checked: {exc}"
        computed = compute_map(row, snapshot, registry, today, sheet_link, doc_link, drive)
        learned = computed.learned
        texts = _texts(computed.write)
        new_version = row.last_written_version
        if (
            texts != (row.last_written or {})
            or computed.write.ids
            or force
            or snapshot.repair
            or (as_read and _moved(snapshot, texts))
        ):
            try:
                new_version = workspace.write_computed(
                    row.sheet_ref, snapshot.version, computed.write
                )
                result.outcome = "written"
            except VersionConflict:
                result.message = "the buyer saved while we synced; read again"
                continue
            except MapLocked as exc:
                result.outcome, result.message = "skipped", str(exc)
                texts = row.last_written or {}
        settled = (
            encode_grids(settle(snapshot.grids, computed.write.ids))
            if result.outcome != "skipped"
            else None  # the new ids are not in the sheet yet: read it next time
        )
        problems = [
            p
            for p in (*computed.parsed.problems, *computed.status.problems)
            if p.kind.value == "unreadable"
        ]
        rollup_row = build_row(
            RollupInput(
                computed.info,
                computed.status,
                problems=len(problems),
                sync_state="ok" if result.outcome != "skipped" else result.message,
                target_close_moves=registry.target_close_moves(row.id),
                missing_resources=computed.missing_resources,
                resources=computed.step_resources(),
            )
        )
        result.alerts = registry.record_sync(
            row.id,
            # Buyer-side people added on the Stakeholders tab: offered to the rep, not shared.
            offers=stakeholder_offers(computed.parsed, row.rep_email),
            memory=learned.memory,
            changes=learned.changes,
            anchors=learned.anchors,
            kept=learned.kept,
            today=today,
            last_written_version=new_version,
            last_read_version=snapshot.version,
            last_synced_on=today,
            last_buyer_update=learned.last_buyer_update,
            last_buyer_editor=learned.last_buyer_editor,
            last_written=texts,
            sync_state=rollup_row.sync_state,
            problem_count=len(problems),
            rollup=to_json(rollup_row),
            settled_grids=settled,
            alerts=raised_by(row, computed, registry, today),
            agenda=agenda_json(computed, today),
            depends={s.id: tuple(s.depends_on) for s in computed.parsed.steps},
            snapshot=snapshot_of(computed, row.target_close),
        )
        result.problems, result.health = len(problems), computed.status.health.value
        return result
    return _failed(
        row,
        registry,
        result,
        f"{row.sheet_ref}: the file kept changing while we "
        f"synced ({MAX_ATTEMPTS} tries); it will be synced next time",
    )


def snapshot_of(computed: Computed, target_close: date) -> dict[str, object]:
    """Today's snapshot of the plan, as the registry keeps one per day (the insights)."""
    st = computed.status
    blocker = st.current_blocker
    return {
        "projected_close": st.projected_close,
        "target_close": target_close,
        "health": st.health.value,
        "score": st.score,
        "buyer_done": st.buyer_steps_done,
        "buyer_total": st.buyer_steps_total,
        "stale": st.stale,
        "blocker": blocker.step_id[:12] if blocker else "",
        "buyer_edited": computed.learned.last_buyer_update is not None,
    }


def raised_by(row: MapRow, computed: Computed, registry: Registry, today: date) -> list[Alert]:
    """The alerts this reading of the MAP calls for (the registry keeps the new ones)."""
    return evaluate(
        computed.info,
        computed.parsed,
        computed.status,
        computed.learned.memory,
        computed.learned.changes,
        registry.audience(row),
        today,
    )


def agenda_json(computed: Computed, today: date) -> list[dict[str, object]]:
    return [
        {**asdict(item), "due": item.due.isoformat() if item.due else None}
        for item in agenda(computed.parsed, computed.status, today, computed.missing_lines())
    ]


def _failed(row: MapRow, registry: Registry, result: MapResult, message: str) -> MapResult:
    result.outcome, result.message = "failed", message
    registry.update(row.id, sync_state=message)
    return result


def rollup_rows(maps: Iterable[MapRow], registry: Registry) -> list[RollupRow]:
    """Each MAP's last roll-up row, with its deal as the CRM last said, ranked."""
    rows = []
    for row in maps:
        crm = crm_overrides(row)
        if row.rollup:
            rows.append(
                from_json(row.rollup, sync_state=row.sync_state, lifecycle=row.lifecycle, **crm)
            )
        else:
            built = build_row(RollupInput(info_of(row), None, sync_state=row.sync_state))
            rows.append(replace(built, **crm))
    return rank(rows)


def sync_all(
    *,
    workspace: Workspace,
    registry: Registry,
    today_of: Callable[[MapRow], date],
    only: Iterable[str] | None = None,
    force: bool = False,
    progress: Callable[[MapResult], None] | None = None,
    listed: Mapping[str, str | None] | None = None,
    crm: Callable[[date], CrmReport | None] | None = None,
) -> SyncReport:
    """Sync the active MAPs (or only those named), carry their signals to the CRM (`crm`,
    when one is configured: after the Sheets, before the roll-up, so the roll-up shows
    the deals as the CRM has them now) and write the roll-up. `listed`: their versions
    when the caller has listed them already; otherwise one listing here."""
    maps = registry.maps(ACTIVE)
    wanted = set(only) if only is not None else None
    report = SyncReport(today=max((today_of(m) for m in maps), default=date.min))
    maps = [m for m in maps if wanted is None or m.id in wanted]
    if listed is None:
        listed = workspace.versions([m.sheet_ref for m in maps])  # one listing for all MAPs
    for row in maps:
        try:
            result = sync_map(
                row,
                workspace=workspace,
                registry=registry,
                today=today_of(row),
                force=force,
                listed=listed,
            )
        except Exception as exc:  # one broken MAP never stops the others
            result = _failed(
                row,
                registry,
                MapResult(row.id, row.deal, "failed"),
                f"{row.sheet_ref}: unexpected error {type(exc).__name__}: {exc}",
            )
        report.results.append(result)
        if progress:
            progress(result)
    if crm is not None:
        report.crm = crm(report.today)
    report.rollup_ref = write_rollup(workspace, registry, report.today)
    return report


def write_rollup(workspace: Workspace, registry: Registry, today: date) -> str:
    """The roll-up from every MAP's last sync: open deals ranked by risk, closed below,
    then the CRM's open deals that have no MAP, and the day's insights."""
    found = [(deal_of(g.deal), g.why) for g in registry.gaps()]
    found.sort(key=lambda item: (-(item[0].amount or 0), item[0].name))
    return workspace.write_rollup(
        rollup_rows(registry.maps(), registry),
        today,
        gaps=found,
        insights=daily_insights(registry, today),
    )


def status_report(
    row: MapRow, snapshot: Snapshot, registry: Registry, today: date, workspace: Workspace
) -> StatusReport:
    """The computed plan without writing anything (the registry is not changed either)."""
    computed = compute_map(
        row, snapshot, registry, today, workspace.link(row.sheet_ref), workspace.link(row.doc_ref)
    )
    return build_report(computed.info, computed.parsed, computed.status, today, computed.resources)
