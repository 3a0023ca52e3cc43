"""Round trips to Google, measured through the offline fake (tests/googlefake) over HTTP.

One MAP is created through the real create path (mid-market template); it is then copied
to N MAPs in the fake's state and the registry, as they stand after their first sync.
Counted with the transport's call log (one entry per HTTP round trip; a batch is one):

- create: one MAP, end to end (workspace, registry, first sync);
- share: three invitations (two people, the Sheet and the Doc) in one batch, and the
  drive's sharing restrictions read first (once per 10 minutes per process);
- sync_changed: N MAPs of which 5% were edited by a buyer since the last sync, same day;
- sync_after_write: the same N MAPs again: Drive's version after our write is not always
  the one we expect (the fake steps it by 1 to 3, at random), so a MAP we just wrote may be
  read once more (never written);
- sync_unchanged: the same N MAPs again, settled: nothing edited, nothing read.

The fake is the strict one: MAPs live in a Shared Drive folder where the service account
is a content manager, versions step at random and listings search the drive.

The sync with changes is run twice more: at a simulated 150 ms per call under the
60-requests-a-minute pacer (simulated clock: the waits cost no real time), and its wall
time is printed beside the floor that quota alone forces on that many calls.
"""

from __future__ import annotations

import copy
import math
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from google.oauth2.credentials import Credentials

from addon.google.transport import CallLog, Clock, PacedHttp, Pacer, authorized_http
from addon.maps import create_map, validate_create
from addon.registry.models import MapRow
from addon.registry.store import Registry
from addon.sync import sync_all
from addon.workspace.base import Invite
from addon.workspace.google import GoogleWorkspace
from sheets_schema.template import load_templates
from tests.googlefake.server import FakeGoogle, serve

SERVICE = "map-sync@bench.iam.gserviceaccount.com"
BUYER = "dana@northwind.example.com"
DRIVE, FOLDER = "0ABenchSalesDrive", "1BenchMapsFolder"
DAY1, DAY2 = date(2026, 3, 2), date(2026, 3, 3)
LATENCY = 0.150


def _workspace(
    fake: FakeGoogle, latency: float = 0.0
) -> tuple[GoogleWorkspace, CallLog, Clock, Pacer]:
    clock, log = Clock.simulated(), CallLog()
    pacer = Pacer(clock)
    http = PacedHttp(
        authorized_http(Credentials(token="service-token")), pacer=pacer, log=log, latency=latency
    )
    workspace = GoogleWorkspace(
        http, identity=SERVICE, folder_id=FOLDER, root_url=fake.url, sleep=clock.sleep
    )
    return workspace, log, clock, pacer


def _clone(fake: FakeGoogle, registry: Registry, original: MapRow, copies: int) -> list[str]:
    """N-1 more MAPs exactly like the first, in the fake and the registry."""
    sheets = [original.sheet_ref]
    memory = registry.memory(original.id)
    book, file = fake.spreadsheets[original.sheet_ref], fake.files[original.sheet_ref]
    for i in range(1, copies):
        sid = f"sheetcopy{i:05d}"
        twin = copy.deepcopy(book)
        twin.spreadsheet_id = sid
        fake.spreadsheets[sid] = twin
        twin_file = copy.deepcopy(file)
        twin_file.id = sid
        fake.files[sid] = twin_file
        row = MapRow(
            **{
                c.key: getattr(original, c.key)
                for c in MapRow.__table__.columns
                if c.key not in ("id", "sheet_ref", "doc_ref")
            }
        )
        # The same Doc: its link is in the Summary the copies were cloned with, so a copy
        # is as settled as the original (no read, no write until something changes).
        row.id, row.sheet_ref, row.doc_ref = f"MAP-B{i:05d}", sid, original.doc_ref
        registry.add_map(row, memory)
        sheets.append(sid)
    return sheets


def _buyer_edits(fake: FakeGoogle, sheets: list[str], share: float) -> int:
    """A buyer marks S01 done on every 1/share-th MAP (straight into the fake's state)."""
    from tests.googlefake import sheets as fake_sheets

    fake.clock = lambda: datetime(2026, 3, 3, 10, 0)
    edited = sheets[:: round(1 / share)]
    for sid in edited:
        plan = fake.spreadsheets[sid].sheet("Plan")
        plan.cells[(3, 7)] = fake_sheets.CellState(value="Done")
        fake.files[sid].touch(fake.clock(), BUYER, step=fake.rng.randint(1, 3))
    return len(edited)


def quota_floor(calls: int, per_minute: int = 60) -> float:
    """The least time `calls` requests take under `per_minute` a minute (latency aside)."""
    return 60.0 * max(0, math.ceil(calls / per_minute) - 1)


def run(maps: int = 1000, share: float = 0.05) -> list[tuple[str, object, str]]:
    lines: list[tuple[str, object, str]] = []
    with serve() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.users = {"service-token": SERVICE}
        fake.clock = lambda: datetime(2026, 3, 2, 9, 0)
        fake.add_shared_drive(
            DRIVE, "Sales", {SERVICE: "fileOrganizer", "sam@seller.example.com": "writer"}
        )
        fake.add_folder(FOLDER, DRIVE, "MAPs")
        registry = Registry(f"sqlite:///{Path(tmp) / 'registry.sqlite'}")
        workspace, log, _, _ = _workspace(fake)
        templates = load_templates()
        form = validate_create(
            {
                "deal": "Analytics rollout",
                "buyer_company": "Northwind Traders",
                "buyer_contacts": [f"Dana Whitfield <{BUYER}>", "lee@northwind.example.com"],
                "target_close": date(2026, 5, 29),
                "template": "mid_market",
                "rep_name": "Sam Rivera",
                "rep_email": "sam@seller.example.com",
            },
            templates,
            DAY1,
        )
        created = create_map(
            form,
            templates=templates,
            workspace=workspace,
            registry=registry,
            today=DAY1,
            seller_company="Example Software",
            now=datetime(2026, 3, 2, 9, 0),
            workspace_kind="google",
        )
        lines.append(("google_create_round_trips", len(log), "count"))
        before = len(log)
        workspace.sharing_restriction()  # read once per 10 minutes per process
        lines.append(("google_share_restrictions_round_trips", len(log) - before, "count"))
        before = len(log)
        workspace.share(
            [
                Invite(BUYER, "writer", created.files.sheet),
                Invite("lee@northwind.example.com", "writer", created.files.sheet),
                Invite(BUYER, "commenter", created.files.doc),
            ],
            "Our mutual action plan",
        )
        lines.append(("google_share_round_trips", len(log) - before, "count"))
        for _ in range(3):  # read once since its create's write, until a sync reads nothing
            sync_all(workspace=workspace, registry=registry, today_of=lambda _r: DAY1)
        sheets = _clone(fake, registry, registry.get(created.map_id), maps)
        sync_all(workspace=workspace, registry=registry, today_of=lambda _r: DAY1)  # roll-up
        state = (copy.deepcopy(fake.spreadsheets), copy.deepcopy(fake.files))
        saved = Path(tmp) / "saved.sqlite"
        registry.close()
        Path(tmp, "registry.sqlite").rename(saved)

        def fresh() -> Registry:
            Path(tmp, "registry.sqlite").write_bytes(saved.read_bytes())
            fake.spreadsheets, fake.files = copy.deepcopy(state[0]), copy.deepcopy(state[1])
            return Registry(f"sqlite:///{Path(tmp) / 'registry.sqlite'}")

        # 5% changed, counted and timed for real through the fake.
        registry = fresh()
        edited = _buyer_edits(fake, sheets, share)
        workspace, log, _, _ = _workspace(fake)
        started = time.perf_counter()
        report = sync_all(workspace=workspace, registry=registry, today_of=lambda _r: DAY2)
        real = time.perf_counter() - started
        changed_calls = len(log)
        lines += [
            ("google_sync_maps", maps, "count"),
            ("google_sync_changed_maps", edited, "count"),
            ("google_sync_changed_round_trips", changed_calls, "count"),
            ("google_sync_changed_written", report.count("written"), "count"),
            ("google_sync_changed_local_wall", f"{real:.2f}", "s"),
        ]
        log.calls.clear()
        sync_all(workspace=workspace, registry=registry, today_of=lambda _r: DAY2)
        lines.append(("google_sync_after_write_round_trips", len(log), "count"))
        log.calls.clear()
        sync_all(workspace=workspace, registry=registry, today_of=lambda _r: DAY2)
        lines.append(("google_sync_unchanged_round_trips", len(log), "count"))
        registry.close()

        # The same sync at 150 ms a call, paced under 60 a minute (simulated clock).
        registry = fresh()
        _buyer_edits(fake, sheets, share)
        workspace, log, clock, pacer = _workspace(fake, latency=LATENCY)
        started = time.perf_counter()
        sync_all(workspace=workspace, registry=registry, today_of=lambda _r: DAY2)
        real = time.perf_counter() - started
        registry.close()
        simulated = clock.now() + real  # network and quota waits, plus our own work
        lines += [
            ("google_sync_simulated_latency", f"{LATENCY * 1000:.0f}", "ms"),
            ("google_sync_changed_wall_at_latency", f"{simulated:.1f}", "s"),
            ("google_sync_quota_floor", f"{quota_floor(len(log)):.1f}", "s"),
            ("google_sync_quota_waited", f"{pacer.waited:.1f}", "s"),
        ]
    return lines
