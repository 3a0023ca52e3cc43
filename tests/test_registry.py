"""The registry: Alembic builds the schema, and it matches the models."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from addon.demo import BuyerEdit
from addon.plan.models import AnchorKey, DueChange, KeptText, StepMemory
from addon.registry import Registry
from addon.registry.models import Base, MapRow
from addon.registry.store import Claim
from tests.cli_helpers import CREATE, run

CREATE_ARGS = [*CREATE, "--idempotency-key", "crm-7"]


def test_migrations_build_exactly_the_models(registry_url: str) -> None:
    registry = Registry(registry_url)
    with registry.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert {
        "maps",
        "steps",
        "due_changes",
        "target_close_history",
        "date_anchors",
        "kept_text",
        "idempotency_keys",
        "page_tokens",
        "alembic_version",
    } <= tables
    Registry(registry_url).close()  # opening again is a no-op upgrade
    registry.close()


def _map(map_id: str = "MAP-1") -> MapRow:
    return MapRow(
        id=map_id,
        deal="D",
        buyer_company="B",
        buyer_contacts=[],
        target_close=date(2026, 6, 1),
        template="smb",
        rep_name="Sam",
        rep_email="sam@example.com",
        sheet_ref=f"{map_id}.xlsx",
        doc_ref="d.html",
        created_on=date(2026, 3, 1),
        created_at=datetime(2026, 3, 1, 9),
        last_written={},
        rollup={},
        seller_mirror={},
    )


def test_round_trip_of_what_a_sync_records(registry_url: str) -> None:
    registry = Registry(registry_url)
    registry.add_map(
        _map(),
        {"S01": StepMemory("S01", baseline_due=date(2026, 3, 20), signature=True, duration_days=4)},
        "key-1",
    )
    assert registry.by_idempotency_key("key-1").id == "MAP-1"  # type: ignore[union-attr]
    memory = {
        "S01": StepMemory(
            "S01",
            baseline_due=date(2026, 3, 20),
            current_due=date(2026, 3, 27),
            push_count=1,
            signature=True,
        )
    }
    registry.record_sync(
        "MAP-1",
        memory=memory,
        changes=[DueChange("S01", date(2026, 3, 20), date(2026, 3, 27), date(2026, 3, 5))],
        anchors={AnchorKey("S01", "due", "next fri"): date(2026, 3, 5)},
        kept=[KeptText("S01", "Health", "waiting")],
        today=date(2026, 3, 5),
        last_synced_on=date(2026, 3, 5),
        last_written={"S01": {"health": "On track"}},
    )
    assert registry.memory("MAP-1") == memory
    assert registry.due_changes("MAP-1")[0].new == date(2026, 3, 27)
    assert registry.anchors("MAP-1") == {AnchorKey("S01", "due", "next fri"): date(2026, 3, 5)}
    assert registry.kept_text("MAP-1") == [(KeptText("S01", "Health", "waiting"), date(2026, 3, 5))]
    assert registry.get("MAP-1").last_written == {"S01": {"health": "On track"}}
    assert registry.target_close_moves("MAP-1") == 0
    registry.close()


def test_the_whole_cli_runs_on_the_registry(registry_url: str, workspace_dir: Path) -> None:
    """create, a buyer edit, sync and status through the same code on either database."""
    out = run(workspace_dir, "--registry", registry_url, *CREATE_ARGS).output
    path = Path(next(x for x in out.splitlines() if "workbook:" in x).split("workbook:")[1].strip())
    BuyerEdit(path, "Dana Whitfield", date(2026, 3, 9)).set("S01", "status", "Done").save()
    run(workspace_dir, "--registry", registry_url, "sync", "--today", "2026-03-10")
    data = json.loads(
        run(
            workspace_dir,
            "--registry",
            registry_url,
            "status",
            str(path),
            "--json",
            "--today",
            "2026-03-10",
        ).output
    )
    assert data["steps"][0]["status"] == "done" and data["steps"][0]["done_on"] == "2026-03-09"
    assert data["map"]["last_buyer_update"] == "2026-03-09"
    again = run(workspace_dir, "--registry", registry_url, *CREATE_ARGS).output
    assert again.startswith("Already created (same idempotency key)")


def test_an_idempotency_key_is_claimed_by_exactly_one_of_many(registry_url: str) -> None:
    """Ten callers claim one key at once: one wins; the others learn a create is running,
    then the MAP once it is registered; a released claim can be claimed again."""
    registry = Registry(registry_url)
    start = threading.Barrier(10)

    def claim(_: int) -> Claim:
        start.wait()
        return registry.claim_key("addon:sam@example.com:r1", timedelta(minutes=10))

    with ThreadPoolExecutor(10) as pool:
        claims = list(pool.map(claim, range(10)))
    assert sorted(c.mine for c in claims) == [False] * 9 + [True]
    assert {c.map_id for c in claims} == {None}
    registry.add_map(_map(), {}, "addon:sam@example.com:r1")
    assert registry.claim_key("addon:sam@example.com:r1", timedelta(minutes=10)) == Claim(
        False, "MAP-1"
    )
    registry.release_key("addon:sam@example.com:r1")  # names its MAP now: kept
    assert registry.by_idempotency_key("addon:sam@example.com:r1") is not None
    assert registry.claim_key("r2", timedelta(minutes=10)) == Claim(True, None)
    registry.release_key("r2")  # the create failed
    assert registry.claim_key("r2", timedelta(minutes=10)) == Claim(True, None)
    assert registry.claim_key("r2", timedelta(0)) == Claim(True, None)  # stale: taken over
    registry.close()
