"""alerts: events raised once, their deliveries (what went to whom), people's time zones
and managers, buyer reminders on or off per MAP, and each MAP's agenda

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(360), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column(
            "map_id",
            sa.String(40),
            sa.ForeignKey("maps.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.UniqueConstraint("scope", "key", name="uq_alerts_scope_key"),
    )
    op.create_index("ix_alerts_map_id", "alerts", ["map_id"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "alert_id",
            sa.Integer(),
            sa.ForeignKey("alerts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("map_id", sa.String(40), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("done", sa.JSON(), nullable=False),
    )
    op.create_index("ix_alert_deliveries_alert_id", "alert_deliveries", ["alert_id"])
    op.create_index("ix_alert_deliveries_state", "alert_deliveries", ["state"])
    op.create_table(
        "recipients",
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("manager_email", sa.String(320), nullable=False),
        sa.Column("manager_name", sa.String(200), nullable=False),
    )
    op.create_index("ix_recipients_manager_email", "recipients", ["manager_email"])
    with op.batch_alter_table("maps") as batch:
        batch.add_column(
            sa.Column("buyer_reminders", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("agenda", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("maps") as batch:
        batch.drop_column("agenda")
        batch.drop_column("buyer_reminders")
    op.drop_index("ix_recipients_manager_email", "recipients")
    op.drop_table("recipients")
    op.drop_index("ix_alert_deliveries_state", "alert_deliveries")
    op.drop_index("ix_alert_deliveries_alert_id", "alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_alerts_map_id", "alerts")
    op.drop_table("alerts")
