"""history: one snapshot per MAP per day it was synced (projected close, health, score,
buyer completion, stale, the blocker), each step's dependencies, test deals, and the
insights as last week's manager digest saw them

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 02:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "map_snapshots",
        sa.Column(
            "map_id", sa.String(40), sa.ForeignKey("maps.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("projected_close", sa.Date(), nullable=True),
        sa.Column("target_close", sa.Date(), nullable=False),
        sa.Column("health", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("buyer_done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("buyer_total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("stale", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("blocker", sa.String(12), nullable=False, server_default=""),
        sa.Column("buyer_edited", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("replayed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("depends_on", sa.JSON(), nullable=True))
    with op.batch_alter_table("maps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_test", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "insight_weeks",
        sa.Column("scope", sa.String(360), primary_key=True),
        sa.Column("week", sa.String(10), primary_key=True),
        sa.Column("body", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("insight_weeks")
    with op.batch_alter_table("maps", schema=None) as batch_op:
        batch_op.drop_column("is_test")
    with op.batch_alter_table("steps", schema=None) as batch_op:
        batch_op.drop_column("depends_on")
    op.drop_table("map_snapshots")
