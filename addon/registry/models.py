"""Registry tables. Change them only together with a new Alembic revision."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class MapRow(Base):
    __tablename__ = "maps"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    deal: Mapped[str] = mapped_column(String(200))
    buyer_company: Mapped[str] = mapped_column(String(200))
    buyer_contacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    target_close: Mapped[date] = mapped_column(Date)
    close_reason: Mapped[str] = mapped_column(Text, default="")
    desired_outcome: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[str] = mapped_column(String(60))
    deal_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    rep_name: Mapped[str] = mapped_column(String(200))
    rep_email: Mapped[str] = mapped_column(String(320), index=True)
    team: Mapped[str] = mapped_column(String(100), default="")
    stage: Mapped[str] = mapped_column(String(100), default="")
    crm_link: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(16), default="en_US")
    lifecycle: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    workspace: Mapped[str] = mapped_column(String(16), default="local")
    sheet_ref: Mapped[str] = mapped_column(Text, unique=True)
    doc_ref: Mapped[str] = mapped_column(Text)
    created_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # sync state
    last_written_version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_read_version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_synced_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_buyer_update: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_buyer_editor: Mapped[str] = mapped_column(String(320), default="")
    last_written: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    sync_state: Mapped[str] = mapped_column(Text, default="ok")
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    rollup: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The last read, settled (grid.settle): read again instead of the sheet while its
    # version is unchanged, so a new day's values cost no read.
    settled_grids: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The seller's internal mirror: never written into a file the buyer can open.
    seller_mirror: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Lifecycle: the customer-success handoff Doc (made when won), when and why it closed.
    handoff_ref: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_note: Mapped[str] = mapped_column(Text, default="")
    # Alerts: buyer reminders can be turned off per MAP; the agenda (open steps late or due
    # within two weeks, as of the last sync) feeds the digests and the follow-up draft.
    buyer_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    agenda: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # The CRM: the linked deal's id, its facts as last read (addon/crm/links.py), the
    # signals last written to it (only changes are written), the last line the CRM gave
    # for this MAP ("" when all went well), and the stage moves its milestones made.
    crm_deal_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    crm_deal: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    crm_written: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    crm_state: Mapped[str] = mapped_column(Text, default="")
    crm_moves: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # A deal marked as a test (`mapctl test-deal`): left out of the insights.
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)


class StepRow(Base):
    __tablename__ = "steps"

    map_id: Mapped[str] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), primary_key=True)
    step_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    side: Mapped[str | None] = mapped_column(String(8), nullable=True)
    duration_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signature: Mapped[bool] = mapped_column(Boolean, default=False)
    baseline_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    current_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    push_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[date | None] = mapped_column(Date, nullable=True)
    first_seen_done: Mapped[date | None] = mapped_column(Date, nullable=True)
    template_key: Mapped[str | None] = mapped_column(String(60), nullable=True)
    depends_on: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class SnapshotRow(Base):
    """A MAP as one day's sync saw it (the last sync of the day wins). `replayed`: rebuilt
    from the stored date changes and done dates for days before snapshots were kept."""

    __tablename__ = "map_snapshots"

    map_id: Mapped[str] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    projected_close: Mapped[date | None] = mapped_column(Date, nullable=True)
    target_close: Mapped[date] = mapped_column(Date)
    health: Mapped[str] = mapped_column(String(16))
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    buyer_done: Mapped[int] = mapped_column(Integer, default=0)
    buyer_total: Mapped[int] = mapped_column(Integer, default=0)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    blocker: Mapped[str] = mapped_column(String(12), default="")
    buyer_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    replayed: Mapped[bool] = mapped_column(Boolean, default=False)


class InsightWeekRow(Base):
    """The insights as a manager's weekly digest showed them (what changed most is measured
    against last week's)."""

    __tablename__ = "insight_weeks"

    scope: Mapped[str] = mapped_column(String(360), primary_key=True)
    week: Mapped[str] = mapped_column(String(10), primary_key=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class DueChangeRow(Base):
    __tablename__ = "due_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    map_id: Mapped[str] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[str] = mapped_column(String(12))
    old_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    new_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    seen_on: Mapped[date] = mapped_column(Date)


class TargetCloseRow(Base):
    __tablename__ = "target_close_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    map_id: Mapped[str] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    target_close: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_on: Mapped[date] = mapped_column(Date)


class AnchorRow(Base):
    """When relative text ("next Fri") was first seen, so its reading does not drift."""

    __tablename__ = "date_anchors"

    map_id: Mapped[str] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), primary_key=True)
    step_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    column: Mapped[str] = mapped_column(String(40), primary_key=True)
    text: Mapped[str] = mapped_column(String(500), primary_key=True)
    anchored_on: Mapped[date] = mapped_column(Date)


class KeptTextRow(Base):
    """Text a buyer typed into a computed cell: kept before the cell was rewritten."""

    __tablename__ = "kept_text"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    map_id: Mapped[str] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[str] = mapped_column(String(12))
    column: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    kept_on: Mapped[date] = mapped_column(Date)
    # "" for a computed cell's text; "xlsx" for a returned workbook's value that conflicted
    # with the Sheet, which held `beside` (shown side by side in the sync note).
    source: Mapped[str] = mapped_column(String(40), default="")
    beside: Mapped[str] = mapped_column(Text, default="")


class ContactRow(Base):
    """A buyer-side address on a MAP, indexed so a Gmail thread finds its MAP in one query."""

    __tablename__ = "map_contacts"

    map_id: Mapped[str] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), primary_key=True, index=True)
    domain: Mapped[str] = mapped_column(String(255), index=True)


class PersonRow(Base):
    """Someone on the buyer's side and their access to the MAP's Sheet and Doc.

    state: contact (named, not shared yet: a draft), shared, refused (Google said no:
    `reason`), offered (found on the Stakeholders tab; the rep has not confirmed),
    declined (the rep said no to the offer), revoked (access removed).
    source: contact (given by the rep) or stakeholder (the buyer added them)."""

    __tablename__ = "map_people"

    map_id: Mapped[str] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default="contact")
    reason: Mapped[str] = mapped_column(Text, default="")
    changed_on: Mapped[date] = mapped_column(Date)


class ExportRow(Base):
    """A copy of the MAP sent as .xlsx: the grids as sent (the base a returned copy is
    merged against) and what each merge of it did."""

    __tablename__ = "exports"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    map_id: Mapped[str] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(Text)
    made_on: Mapped[date] = mapped_column(Date)
    made_for: Mapped[str] = mapped_column(Text, default="")
    grids: Mapped[dict[str, Any]] = mapped_column(JSON)
    merged: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class AlertRow(Base):
    """An alert event, raised once: (scope, key) is unique, so a sync that sees the same
    event again adds nothing. scope: the MAP's id, or "digest:EMAIL" for a digest."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_alerts_scope_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(360))
    key: Mapped[str] = mapped_column(String(200))
    map_id: Mapped[str | None] = mapped_column(
        ForeignKey("maps.id", ondelete="CASCADE"), nullable=True, index=True
    )
    rule: Mapped[str] = mapped_column(String(32))
    raised_on: Mapped[date] = mapped_column(Date)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # the alert's facts, or a digest


class DeliveryRow(Base):
    """One alert to one recipient on one channel: what went to whom, and when.

    state: pending (to send: next_try, when set, is the earliest), sending (claimed by a
    sender), sent, off (not to be sent: `error` says why, e.g. buyer reminders are off),
    failed (gave up after the retries; listed in the rep's digest and `mapctl alerts`).
    channel: email, or team (each configured Chat/Slack webhook; `done` lists those that
    took it, so a retry never posts twice to the one that worked)."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    map_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(8))
    why: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # UTC
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # UTC
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # recipient's day
    error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(200), default="")
    done: Mapped[list[str]] = mapped_column(JSON, default=list)


class RecipientRow(Base):
    """What alerts need to know about a person, whatever the MAP: their time zone, and for
    a rep, their manager (the escalation ladder's last rung, the weekly digest)."""

    __tablename__ = "recipients"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="")
    manager_email: Mapped[str] = mapped_column(String(320), default="", index=True)
    manager_name: Mapped[str] = mapped_column(String(200), default="")


class IdempotencyRow(Base):
    """A create's idempotency key, claimed before any workspace work: the primary key makes
    the claim atomic (one INSERT wins, on SQLite and PostgreSQL alike). `map_id` is empty
    while the claiming create runs; `created_at` is when it was claimed (UTC, wall clock)."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    map_id: Mapped[str | None] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class CrmGapRow(Base):
    """An open deal past the gap stage with no MAP, as the last CRM sync listed it (the
    roll-up's "No MAP" section and the manager's digest read these)."""

    __tablename__ = "crm_gaps"

    deal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    deal: Mapped[dict[str, Any]] = mapped_column(JSON)
    why: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(320), default="", index=True)
    seen_on: Mapped[date] = mapped_column(Date)


class ImportKeyRow(Base):
    """A plan a MAP was imported from: its Drive file id ("drive:ID") or a hash of its cells
    ("cells:HASH"; a Google Sheet has no file bytes to hash, so the cells are hashed)."""

    __tablename__ = "import_keys"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    map_id: Mapped[str] = mapped_column(ForeignKey("maps.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(Text, default="")
    imported_on: Mapped[date] = mapped_column(Date)


class PageTokenRow(Base):
    __tablename__ = "page_tokens"

    workspace: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
