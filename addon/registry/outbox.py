"""The alert outbox in the registry: events raised once, and their deliveries.

An alert is stored with its key (unique per MAP), so a sync that sees the same event again
adds nothing. Each recipient and channel gets a delivery row that a sender claims (pending
-> sending, one UPDATE that only one sender can win), then marks sent, or failed with the
next try. A row is never deleted: the registry is the record of what went to whom.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from addon.plan.alerts import Alert, Audience, Person
from addon.registry.models import AlertRow, DeliveryRow, MapRow, PersonRow, RecipientRow

SENDING_LEASE = timedelta(minutes=10)  # a claim older than this was a sender that died


class _HasSession(Protocol):
    def session(self) -> AbstractContextManager[Session]: ...


def alert_body(alert: Alert) -> dict[str, Any]:
    body = asdict(alert)
    body["rule"] = alert.rule.value
    body["label"] = alert.label
    body["due"] = alert.due.isoformat() if alert.due else None
    body["expires"] = alert.expires.isoformat() if alert.expires else None
    body.pop("recipients")
    return body


def raise_alerts(s: Session, row: MapRow, alerts: Sequence[Alert], today: date) -> int:
    """Store the alerts whose key this MAP has not raised before, with a delivery for each
    recipient. Returns how many were new."""
    if not alerts:
        return 0
    known = set(s.scalars(select(AlertRow.key).where(AlertRow.scope == row.id)))
    zones = _zones(s, [r.email for a in alerts for r in a.recipients if r.email])
    new = 0
    for alert in alerts:
        if alert.key in known:
            continue
        known.add(alert.key)
        stored = AlertRow(
            scope=row.id,
            key=alert.key,
            map_id=row.id,
            rule=alert.rule.value,
            raised_on=today,
            body=alert_body(alert),
        )
        s.add(stored)
        s.flush()
        for r in alert.recipients:
            s.add(
                DeliveryRow(
                    alert_id=stored.id,
                    map_id=row.id,
                    channel="email" if r.email else "team",
                    address=r.email,
                    name=r.name,
                    role=r.role,
                    side=r.side,
                    why=r.why,
                    time_zone=zones.get(r.email) or row.time_zone,
                    state="off" if r.held else "pending",
                    attempts=0,
                    error=r.held,
                    message_id="",
                    done=[],
                )
            )
        new += 1
    return new


def _zones(s: Session, emails: Iterable[str]) -> dict[str, str]:
    wanted = sorted({e.lower() for e in emails})
    if not wanted:
        return {}
    rows = s.scalars(select(RecipientRow).where(RecipientRow.email.in_(wanted)))
    return {r.email: r.time_zone for r in rows if r.time_zone}


class OutboxStore:
    """The registry's alert methods (mixed into Registry)."""

    def audience(self: _HasSession, row: MapRow) -> Audience:
        """Who an alert about this MAP can reach: the buyers it is shared with, the rep and
        the rep's manager (recipients table)."""
        with self.session() as s:
            shared = s.scalars(
                select(PersonRow.email).where(
                    PersonRow.map_id == row.id, PersonRow.state == "shared"
                )
            )
            rep = s.get(RecipientRow, row.rep_email.lower())
        manager = Person(rep.manager_email, rep.manager_name) if rep and rep.manager_email else None
        return Audience(
            rep=Person(row.rep_email.lower(), row.rep_name),
            manager=manager,
            shared=frozenset(shared) if row.lifecycle != "draft" else frozenset(),
            buyer_reminders=row.buyer_reminders,
        )

    def raised_keys(self: _HasSession, map_id: str) -> set[str]:
        with self.session() as s:
            return set(s.scalars(select(AlertRow.key).where(AlertRow.scope == map_id)))

    def recipient(self: _HasSession, email: str) -> RecipientRow | None:
        with self.session() as s:
            return s.get(RecipientRow, email.strip().lower())

    def set_recipient(
        self: _HasSession,
        email: str,
        *,
        name: str | None = None,
        time_zone: str | None = None,
        manager: Person | None = None,
    ) -> RecipientRow:
        """A person's time zone, and for a rep their manager. Pending deliveries to them
        follow the new time zone."""
        email = email.strip().lower()
        with self.session() as s:
            row = s.get(RecipientRow, email)
            if row is None:
                row = RecipientRow(
                    email=email, name="", time_zone="", manager_email="", manager_name=""
                )
                s.add(row)
            if name:
                row.name = name
            if time_zone is not None:
                row.time_zone = time_zone
                if time_zone:
                    s.execute(
                        update(DeliveryRow)
                        .where(DeliveryRow.address == email, DeliveryRow.state == "pending")
                        .values(time_zone=time_zone)
                    )
            if manager is not None:
                row.manager_email, row.manager_name = manager.email.lower(), manager.name
            return row

    def reps_of(self: _HasSession, manager_email: str) -> list[str]:
        with self.session() as s:
            query = select(RecipientRow.email).where(
                RecipientRow.manager_email == manager_email.lower()
            )
            return list(s.scalars(query))

    def managers(self: _HasSession) -> list[RecipientRow]:
        """One row per manager named by some rep (their own row when they have one)."""
        with self.session() as s:
            named = s.execute(
                select(RecipientRow.manager_email, RecipientRow.manager_name)
                .where(RecipientRow.manager_email != "")
                .distinct()
            ).all()
            out = []
            for email, name in named:
                own = s.get(RecipientRow, email)
                out.append(
                    own
                    or RecipientRow(
                        email=email, name=name, time_zone="", manager_email="", manager_name=""
                    )
                )
            return out

    # --- the outbox ---------------------------------------------------------------------

    def add_digest(
        self: _HasSession,
        scope: str,
        key: str,
        rule: str,
        today: date,
        body: dict[str, Any],
        delivery: DeliveryRow,
    ) -> bool:
        """A digest, once per (scope, key): False when it was made already."""
        with self.session() as s:
            if s.scalars(
                select(AlertRow.id).where(AlertRow.scope == scope, AlertRow.key == key)
            ).first():
                return False
            stored = AlertRow(
                scope=scope, key=key, map_id=None, rule=rule, raised_on=today, body=body
            )
            s.add(stored)
            s.flush()
            delivery.alert_id = stored.id
            s.add(delivery)
            return True

    def due_deliveries(self: _HasSession, now: datetime) -> list[tuple[DeliveryRow, AlertRow]]:
        """Pending deliveries whose time has come (claims that outlived their lease are
        pending again: their sender died before it could say)."""
        with self.session() as s:
            s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.state == "sending",
                    DeliveryRow.claimed_at < now - SENDING_LEASE,
                )
                .values(state="pending")
            )
            query = (
                select(DeliveryRow, AlertRow)
                .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
                .where(DeliveryRow.state == "pending")
                .where((DeliveryRow.next_try.is_(None)) | (DeliveryRow.next_try <= now))
                .order_by(DeliveryRow.id)
            )
            return [(d, a) for d, a in s.execute(query).all()]

    def deliveries(
        self: _HasSession,
        *,
        states: Iterable[str] | None = None,
        map_ids: Iterable[str] | None = None,
        raised_since: date | None = None,
    ) -> list[tuple[DeliveryRow, AlertRow]]:
        with self.session() as s:
            query = select(DeliveryRow, AlertRow).join(
                AlertRow, AlertRow.id == DeliveryRow.alert_id
            )
            if states is not None:
                query = query.where(DeliveryRow.state.in_(list(states)))
            if map_ids is not None:
                query = query.where(DeliveryRow.map_id.in_(list(map_ids)))
            if raised_since is not None:
                query = query.where(AlertRow.raised_on >= raised_since)
            return [(d, a) for d, a in s.execute(query.order_by(DeliveryRow.id)).all()]

    def buyer_last_sent(
        self: _HasSession, pairs: Iterable[tuple[str | None, str]]
    ) -> dict[tuple[str | None, str], date]:
        """The local day of each buyer's last reminder from each MAP."""
        wanted = set(pairs)
        if not wanted:
            return {}
        with self.session() as s:
            query = select(DeliveryRow.map_id, DeliveryRow.address, DeliveryRow.sent_on).where(
                DeliveryRow.side == "buyer",
                DeliveryRow.state == "sent",
                DeliveryRow.address.in_(sorted({a for _, a in wanted})),
            )
            out: dict[tuple[str | None, str], date] = {}
            for map_id, address, sent_on in s.execute(query):
                key = (map_id, address)
                if key in wanted and sent_on and (key not in out or sent_on > out[key]):
                    out[key] = sent_on
            return out

    def claim(self: _HasSession, ids: Iterable[int], now: datetime) -> list[int]:
        """Take these deliveries to send; only the ones still pending are yours."""
        won = []
        with self.session() as s:
            for delivery_id in ids:
                result = s.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id == delivery_id, DeliveryRow.state == "pending")
                    .values(state="sending", claimed_at=now)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    won.append(delivery_id)
        return won

    def hold(self: _HasSession, ids: Iterable[int], until: datetime, why: str) -> None:
        with self.session() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(list(ids)), DeliveryRow.state == "pending")
                .values(next_try=until, error=why)
            )

    def mark_sent(
        self: _HasSession, ids: Iterable[int], now: datetime, local_day: date, message_id: str
    ) -> None:
        with self.session() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(list(ids)))
                .values(
                    state="sent", sent_at=now, sent_on=local_day, message_id=message_id, error=""
                )
            )

    def mark_failed(
        self: _HasSession,
        ids: Iterable[int],
        error: str,
        next_try: datetime | None,
        done: Mapping[int, list[str]] | None = None,
    ) -> None:
        """A failed send: pending again from `next_try`, or failed for good when None.
        `done`: the team channels that took it (never posted to again)."""
        with self.session() as s:
            for delivery_id in ids:
                row = s.get(DeliveryRow, delivery_id)
                if row is None:
                    continue
                row.attempts += 1
                row.error = error
                row.state = "pending" if next_try is not None else "failed"
                row.next_try = next_try
                if done and delivery_id in done:
                    row.done = list(done[delivery_id])

    def mark_off(self: _HasSession, ids: Iterable[int], why: str) -> None:
        """Not to be sent, and why (no channel configured): kept as the record."""
        with self.session() as s:
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(list(ids)))
                .values(state="off", error=why)
            )

    def retry_failed(self: _HasSession, map_id: str | None = None) -> int:
        """Failed deliveries go back to pending (someone fixed the channel)."""
        with self.session() as s:
            query = update(DeliveryRow).where(DeliveryRow.state == "failed")
            if map_id is not None:
                query = query.where(DeliveryRow.map_id == map_id)
            result = s.execute(query.values(state="pending", next_try=None, attempts=0))
            return int(result.rowcount)  # type: ignore[attr-defined]
