"""The registry behind one interface: SQLite in a file by default, PostgreSQL in production.

The schema is managed by Alembic: opening a registry upgrades it to the newest revision
(`addon/registry/migrations/versions`), so no SQL is ever run by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, delete, event, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from addon.errors import NotFound
from addon.plan.alerts import Alert
from addon.plan.models import AnchorKey, DueChange, KeptText, MapInfo, StepMemory
from addon.registry.models import (
    AnchorRow,
    ContactRow,
    CrmGapRow,
    DueChangeRow,
    ExportRow,
    IdempotencyRow,
    ImportKeyRow,
    KeptTextRow,
    MapRow,
    PersonRow,
    SnapshotRow,
    StepRow,
    TargetCloseRow,
)
from addon.registry.outbox import OutboxStore, raise_alerts
from sheets_schema.vocab import Side

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Claim:
    """The answer to claiming an idempotency key: `mine` (this create makes the MAP), or
    the MAP the key already names (`map_id`), or neither (another create is running)."""

    mine: bool
    map_id: str | None


def _utc() -> datetime:
    """Now, UTC, naive as the DateTime columns store it: claims compare real time, never a
    pinned "today"."""
    return datetime.now(UTC).replace(tzinfo=None)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def upgrade(engine: Engine) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class Registry(OutboxStore):
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        """Raises when the database does not answer (the health check)."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # --- MAPs ---------------------------------------------------------------------------

    def add_map(
        self, row: MapRow, memory: Mapping[str, StepMemory], idempotency_key: str | None = None
    ) -> None:
        with self.session() as s:
            s.add(row)
            s.flush()
            s.add(
                TargetCloseRow(
                    map_id=row.id,
                    target_close=row.target_close,
                    reason=row.close_reason,
                    changed_on=row.created_on,
                )
            )
            s.add_all(_step_rows(row.id, memory.values()))
            s.add_all(_contact_rows(row.id, (c["email"] for c in row.buyer_contacts)))
            names: dict[str, str] = {}
            for c in row.buyer_contacts:
                names.setdefault(c["email"], c.get("name", ""))
            s.add_all(
                PersonRow(
                    map_id=row.id,
                    email=email,
                    name=name,
                    state="contact",
                    source="contact",
                    reason="",
                    changed_on=row.created_on,
                )
                for email, name in names.items()
            )
            if idempotency_key:  # the claimed key now names its MAP, in the same transaction
                claimed = s.get(IdempotencyRow, idempotency_key)
                if claimed is None:
                    s.add(IdempotencyRow(key=idempotency_key, map_id=row.id, created_at=_utc()))
                else:
                    claimed.map_id = row.id

    def remove_map(self, map_id: str) -> None:
        """Forget a MAP whose create failed after it was registered (its rows cascade)."""
        with self.session() as s:
            s.execute(delete(MapRow).where(MapRow.id == map_id))

    def by_idempotency_key(self, key: str) -> MapRow | None:
        with self.session() as s:
            hit = s.get(IdempotencyRow, key)
            return s.get(MapRow, hit.map_id) if hit and hit.map_id else None

    def claim_key(self, key: str, stale_after: timedelta) -> Claim:
        """Claim an idempotency key for a create about to start, atomically: of any number
        of callers at once, exactly one gets `mine`. Another caller learns the MAP the key
        names, or that its create is still running. A claim older than `stale_after` with
        no MAP was left by a create that died (its process ended): it is taken over."""
        for _ in range(3):  # a claim released between our INSERT and our read: try again
            with self.session() as s:
                held = s.get(IdempotencyRow, key)
                if held is not None and held.map_id:
                    return Claim(False, held.map_id)
            if held is None:
                try:
                    with self.session() as s:
                        s.add(IdempotencyRow(key=key, map_id=None, created_at=_utc()))
                    return Claim(True, None)
                except IntegrityError:  # another caller's INSERT won
                    continue
            if held.created_at < _utc() - stale_after:
                with self.session() as s:
                    taken = s.execute(
                        update(IdempotencyRow)
                        .where(IdempotencyRow.key == key)
                        .where(IdempotencyRow.map_id.is_(None))
                        .where(IdempotencyRow.created_at == held.created_at)
                        .values(created_at=_utc())
                    )
                    return Claim(_rowcount(taken) == 1, None)
            return Claim(False, None)
        return Claim(False, None)

    def settle_key(self, key: str, map_id: str) -> None:
        """A claimed key whose work is done names its MAP for good (a later claim learns it)."""
        with self.session() as s:
            s.execute(update(IdempotencyRow).where(IdempotencyRow.key == key).values(map_id=map_id))

    def release_key(self, key: str) -> None:
        """A create that failed gives its key back, so trying again can create the MAP."""
        with self.session() as s:
            s.execute(
                delete(IdempotencyRow)
                .where(IdempotencyRow.key == key)
                .where(IdempotencyRow.map_id.is_(None))
            )

    def get(self, map_id: str) -> MapRow:
        with self.session() as s:
            row = s.get(MapRow, map_id)
            if row is None:
                raise NotFound(f"no MAP with id {map_id}; `mapctl list` shows them")
            return row

    def by_sheet(self, sheet_ref: str) -> MapRow | None:
        with self.session() as s:
            return s.scalars(select(MapRow).where(MapRow.sheet_ref == sheet_ref)).first()

    def maps(self, lifecycles: Iterable[str] | None = None) -> list[MapRow]:
        with self.session() as s:
            query = select(MapRow).order_by(MapRow.created_at, MapRow.id)
            if lifecycles is not None:
                query = query.where(MapRow.lifecycle.in_(list(lifecycles)))
            return list(s.scalars(query))

    def maps_of_rep(self, rep_email: str, lifecycles: Iterable[str]) -> list[MapRow]:
        """A rep's MAPs, newest first."""
        with self.session() as s:
            query = (
                select(MapRow)
                .where(MapRow.rep_email == rep_email.lower())
                .where(MapRow.lifecycle.in_(list(lifecycles)))
                .order_by(MapRow.created_at.desc(), MapRow.id)
            )
            return list(s.scalars(query))

    def maps_for_buyers(
        self, emails: Iterable[str], domains: Iterable[str], lifecycles: Iterable[str]
    ) -> tuple[list[MapRow], list[MapRow]]:
        """MAPs naming one of these buyer addresses, and MAPs that only have someone from
        these domains; each newest first."""
        emails, domains = [e.lower() for e in emails], [d.lower() for d in domains]
        if not emails and not domains:
            return [], []
        with self.session() as s:
            hits = s.execute(
                select(ContactRow.map_id, ContactRow.email).where(
                    or_(ContactRow.email.in_(emails), ContactRow.domain.in_(domains))
                )
            ).all()
            by_email = {m for m, e in hits if e in emails}
            rows = s.scalars(
                select(MapRow)
                .where(MapRow.id.in_({m for m, _ in hits}))
                .where(MapRow.lifecycle.in_(list(lifecycles)))
                .order_by(MapRow.created_at.desc(), MapRow.id)
            ).all()
        return [r for r in rows if r.id in by_email], [r for r in rows if r.id not in by_email]

    def update(self, map_id: str, **fields: Any) -> None:
        with self.session() as s:
            row = s.get(MapRow, map_id)
            if row is None:
                raise NotFound(f"no MAP with id {map_id}")
            for key, value in fields.items():
                setattr(row, key, value)

    def by_deal(self, deal_id: str) -> list[MapRow]:
        """The MAPs linked to a CRM deal (normally one)."""
        with self.session() as s:
            return list(s.scalars(select(MapRow).where(MapRow.crm_deal_id == deal_id)))

    def imported_from(self, keys: Iterable[str]) -> tuple[MapRow, ImportKeyRow] | None:
        """The MAP already imported from the same plan (any of its keys), if one was."""
        with self.session() as s:
            for key in keys:
                found = s.get(ImportKeyRow, key)
                if found is not None:
                    row = s.get(MapRow, found.map_id)
                    if row is not None:
                        return row, found
        return None

    def add_import_keys(
        self, map_id: str, keys: Iterable[str], source: str, imported_on: date
    ) -> None:
        """Remember the plan a MAP was imported from (a later import of it is the newest)."""
        with self.session() as s:
            for key in keys:
                s.merge(
                    ImportKeyRow(key=key, map_id=map_id, source=source, imported_on=imported_on)
                )

    def set_gaps(self, gaps: Iterable[tuple[str, dict[str, Any], str, str]], seen_on: date) -> None:
        """Replace the CRM's deals without a MAP: (deal id, deal, why, owner email). Two
        syncs at once may both replace the list: the one that commits second tries again."""
        rows = list(gaps)
        for attempt in (1, 2, 3):
            try:
                with self.session() as s:
                    s.execute(delete(CrmGapRow))
                    s.add_all(
                        CrmGapRow(deal_id=i, deal=d, why=why, owner=owner.lower(), seen_on=seen_on)
                        for i, d, why, owner in rows
                    )
                return
            except IntegrityError:
                if attempt == 3:
                    raise

    def gaps(self, owners: Iterable[str] | None = None) -> list[CrmGapRow]:
        """The deals without a MAP as last listed, all or those `owners` own."""
        with self.session() as s:
            query = select(CrmGapRow)
            if owners is not None:
                query = query.where(CrmGapRow.owner.in_([o.lower() for o in owners]))
            return list(s.scalars(query))

    # --- people and their access ------------------------------------------------------

    def people(self, map_id: str) -> list[PersonRow]:
        with self.session() as s:
            query = select(PersonRow).where(PersonRow.map_id == map_id).order_by(PersonRow.email)
            return list(s.scalars(query))

    def set_person(
        self,
        map_id: str,
        email: str,
        *,
        state: str,
        today: date,
        name: str | None = None,
        source: str | None = None,
        reason: str = "",
    ) -> None:
        email = email.strip().lower()
        with self.session() as s:
            row = s.get(PersonRow, (map_id, email))
            if row is None:
                row = PersonRow(map_id=map_id, email=email, name="", source="contact")
                s.add(row)
            row.state, row.reason, row.changed_on = state, reason, today
            if name is not None and (name or not row.name):
                row.name = name
            if source is not None:
                row.source = source

    def set_contacts(self, map_id: str, contacts: list[dict[str, str]]) -> None:
        """The MAP's buyer contacts (and the index a Gmail thread finds it by)."""
        with self.session() as s:
            row = s.get(MapRow, map_id)
            if row is None:
                raise NotFound(f"no MAP with id {map_id}; `mapctl list` shows them")
            row.buyer_contacts = contacts
            s.execute(delete(ContactRow).where(ContactRow.map_id == map_id))
            s.flush()
            s.add_all(_contact_rows(map_id, (c["email"] for c in contacts)))

    # --- .xlsx copies -------------------------------------------------------------------

    def add_export(self, export: ExportRow) -> None:
        with self.session() as s:
            s.add(export)

    def export(self, export_id: str) -> ExportRow | None:
        with self.session() as s:
            return s.get(ExportRow, export_id)

    def exports(self, map_id: str) -> list[ExportRow]:
        with self.session() as s:
            query = select(ExportRow).where(ExportRow.map_id == map_id)
            return list(s.scalars(query.order_by(ExportRow.made_on, ExportRow.id)))

    def record_merge(
        self, export_id: str, merged: dict[str, Any], kept: Iterable[KeptText], today: date
    ) -> None:
        """What one merge of a returned copy did, and the values it kept for the notes."""
        with self.session() as s:
            row = s.get(ExportRow, export_id)
            assert row is not None
            row.merged = [*row.merged, merged]
            # the same copy merged twice keeps each value once
            s.add_all(_kept_rows(row.map_id, _fresh(s, row.map_id, kept), today))

    def target_close_moves(self, map_id: str) -> int:
        with self.session() as s:
            return max(
                0,
                len(
                    s.scalars(
                        select(TargetCloseRow.id).where(TargetCloseRow.map_id == map_id)
                    ).all()
                )
                - 1,
            )

    # --- steps --------------------------------------------------------------------------

    def memory(self, map_id: str) -> dict[str, StepMemory]:
        with self.session() as s:
            rows = s.scalars(select(StepRow).where(StepRow.map_id == map_id))
            return {
                r.step_id: StepMemory(
                    step_id=r.step_id,
                    text=r.text,
                    side=Side(r.side) if r.side else None,
                    duration_days=r.duration_days,
                    signature=r.signature,
                    baseline_due=r.baseline_due,
                    current_due=r.current_due,
                    push_count=r.push_count,
                    first_seen=r.first_seen,
                    first_seen_done=r.first_seen_done,
                    template_key=r.template_key,
                )
                for r in rows
            }

    def due_changes(self, map_id: str) -> list[DueChange]:
        with self.session() as s:
            rows = s.scalars(
                select(DueChangeRow).where(DueChangeRow.map_id == map_id).order_by(DueChangeRow.id)
            )
            return [DueChange(r.step_id, r.old_due, r.new_due, r.seen_on) for r in rows]

    def anchors(self, map_id: str) -> dict[AnchorKey, date]:
        with self.session() as s:
            rows = s.scalars(select(AnchorRow).where(AnchorRow.map_id == map_id))
            return {AnchorKey(r.step_id, r.column, r.text): r.anchored_on for r in rows}

    def kept_text(self, map_id: str) -> list[tuple[KeptText, date]]:
        with self.session() as s:
            rows = s.scalars(
                select(KeptTextRow).where(KeptTextRow.map_id == map_id).order_by(KeptTextRow.id)
            )
            return [
                (KeptText(r.step_id, r.column, r.text, r.source, r.beside), r.kept_on) for r in rows
            ]

    def record_sync(
        self,
        map_id: str,
        *,
        memory: Mapping[str, StepMemory],
        changes: Iterable[DueChange],
        anchors: Mapping[AnchorKey, date],
        kept: Iterable[KeptText],
        today: date,
        offers: Iterable[tuple[str, str]] = (),
        alerts: Sequence[Alert] = (),
        depends: Mapping[str, Sequence[str]] | None = None,
        snapshot: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> int:
        """Everything one sync learned, in one transaction; `offers`: (email, name) of
        buyer-side stakeholders, offered to the rep when not known yet; `alerts`: raised
        once each (their key); `depends`: each step's prerequisites as read; `snapshot`:
        the plan as today's sync saw it (today's earlier snapshot is replaced). Returns
        how many alerts were new."""
        with self.session() as s:
            before = {
                r.step_id: r.depends_on
                for r in s.scalars(select(StepRow).where(StepRow.map_id == map_id))
            }
            s.execute(delete(StepRow).where(StepRow.map_id == map_id))
            s.add_all(_step_rows(map_id, memory.values(), depends, before))
            if snapshot is not None:
                s.merge(SnapshotRow(map_id=map_id, day=today, replayed=False, **snapshot))
            s.add_all(
                DueChangeRow(
                    map_id=map_id,
                    step_id=c.step_id,
                    old_due=c.old,
                    new_due=c.new,
                    seen_on=c.seen_on,
                )
                for c in changes
            )
            for anchor, anchored in anchors.items():
                if s.get(AnchorRow, (map_id, anchor.step_id, anchor.column, anchor.text)) is None:
                    s.add(
                        AnchorRow(
                            map_id=map_id,
                            step_id=anchor.step_id,
                            column=anchor.column,
                            text=anchor.text,
                            anchored_on=anchored,
                        )
                    )
            s.add_all(_kept_rows(map_id, _fresh(s, map_id, kept), today))
            _offer(s, map_id, offers, today)
            row = s.get(MapRow, map_id)
            assert row is not None
            for key, value in fields.items():
                setattr(row, key, value)
            return raise_alerts(s, row, alerts, today)


def _step_rows(
    map_id: str,
    memory: Iterable[StepMemory],
    depends: Mapping[str, Sequence[str]] | None = None,
    before: Mapping[str, list[str] | None] | None = None,
) -> list[StepRow]:
    """The steps as rows; a step's dependencies as this read gave them (`depends`), or as
    last stored (`before`) when this read did not say."""
    depends = depends or {}
    before = before or {}
    return [
        StepRow(
            map_id=map_id,
            step_id=m.step_id,
            text=m.text,
            side=m.side.value if m.side else None,
            duration_days=m.duration_days,
            signature=m.signature,
            baseline_due=m.baseline_due,
            current_due=m.current_due,
            push_count=m.push_count,
            first_seen=m.first_seen,
            first_seen_done=m.first_seen_done,
            template_key=m.template_key,
            depends_on=list(depends[m.step_id]) if m.step_id in depends else before.get(m.step_id),
        )
        for m in memory
    ]


def _fresh(s: Session, map_id: str, kept: Iterable[KeptText]) -> list[KeptText]:
    """The kept values not kept already: a value seen again (a copy merged twice, text a
    sync sees on every read) is kept once, on the day it was first kept."""
    known = {
        (k.step_id, k.column, k.text, k.source, k.beside)
        for k in s.scalars(select(KeptTextRow).where(KeptTextRow.map_id == map_id))
    }
    fresh = []
    for k in kept:
        key = (k.step_id, k.column, k.text, k.source, k.beside)
        if key not in known:
            known.add(key)
            fresh.append(k)
    return fresh


def _kept_rows(map_id: str, kept: Iterable[KeptText], today: date) -> list[KeptTextRow]:
    return [
        KeptTextRow(
            map_id=map_id,
            step_id=k.step_id,
            column=k.column,
            text=k.text,
            kept_on=today,
            source=k.source,
            beside=k.beside,
        )
        for k in kept
    ]


def _offer(s: Session, map_id: str, found: Iterable[tuple[str, str]], today: date) -> None:
    """People found on the Stakeholders tab who are not known yet become offers for the
    rep to confirm (never shared here)."""
    added: set[str] = set()
    for email, name in found:
        email = email.strip().lower()
        if email in added or s.get(PersonRow, (map_id, email)) is not None:
            continue
        s.add(
            PersonRow(
                map_id=map_id,
                email=email,
                name=name,
                state="offered",
                source="stakeholder",
                reason="",
                changed_on=today,
            )
        )
        added.add(email)


def _contact_rows(map_id: str, emails: Iterable[str]) -> list[ContactRow]:
    unique = dict.fromkeys(e.strip().lower() for e in emails if e.strip())
    return [ContactRow(map_id=map_id, email=e, domain=e.rpartition("@")[2]) for e in unique]


def info_of(row: MapRow, sheet_link: str = "", doc_link: str = "") -> MapInfo:
    return MapInfo(
        map_id=row.id,
        deal=row.deal,
        buyer_company=row.buyer_company,
        target_close=row.target_close,
        close_reason=row.close_reason,
        desired_outcome=row.desired_outcome,
        template=row.template,
        rep_name=row.rep_name,
        rep_email=row.rep_email,
        created_on=row.created_on,
        deal_value=row.deal_value,
        currency=row.currency,
        team=row.team,
        stage=row.stage,
        lifecycle=row.lifecycle,
        locale=row.locale,
        time_zone=row.time_zone,
        sheet_link=sheet_link,
        doc_link=doc_link,
        crm_link=row.crm_link,
    )


__all__ = ["Registry", "datetime", "info_of"]
