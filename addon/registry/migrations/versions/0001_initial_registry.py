"""initial registry

Revision ID: 0001
Revises:
Create Date: 2026-11-22 06:36:32.366451
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "maps",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("deal", sa.String(length=200), nullable=False),
        sa.Column("buyer_company", sa.String(length=200), nullable=False),
        sa.Column("buyer_contacts", sa.JSON(), nullable=False),
        sa.Column("target_close", sa.Date(), nullable=False),
        sa.Column("close_reason", sa.Text(), nullable=False),
        sa.Column("desired_outcome", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("deal_value", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rep_name", sa.String(length=200), nullable=False),
        sa.Column("rep_email", sa.String(length=320), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("stage", sa.String(length=100), nullable=False),
        sa.Column("crm_link", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("lifecycle", sa.String(length=16), nullable=False),
        sa.Column("workspace", sa.String(length=16), nullable=False),
        sa.Column("sheet_ref", sa.Text(), nullable=False),
        sa.Column("doc_ref", sa.Text(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_written_version", sa.String(length=128), nullable=True),
        sa.Column("last_read_version", sa.String(length=128), nullable=True),
        sa.Column("last_synced_on", sa.Date(), nullable=True),
        sa.Column("last_buyer_update", sa.Date(), nullable=True),
        sa.Column("last_buyer_editor", sa.String(length=320), nullable=False),
        sa.Column("last_written", sa.JSON(), nullable=False),
        sa.Column("sync_state", sa.Text(), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("rollup", sa.JSON(), nullable=False),
        sa.Column("seller_mirror", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sheet_ref"),
    )
    with op.batch_alter_table("maps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_maps_lifecycle"), ["lifecycle"], unique=False)
        batch_op.create_index(batch_op.f("ix_maps_rep_email"), ["rep_email"], unique=False)

    op.create_table(
        "page_tokens",
        sa.Column("workspace", sa.String(length=64), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace"),
    )
    op.create_table(
        "date_anchors",
        sa.Column("map_id", sa.String(length=40), nullable=False),
        sa.Column("step_id", sa.String(length=40), nullable=False),
        sa.Column("column", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("anchored_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["map_id"], ["maps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("map_id", "step_id", "column", "text"),
    )
    op.create_table(
        "due_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("map_id", sa.String(length=40), nullable=False),
        sa.Column("step_id", sa.String(length=12), nullable=False),
        sa.Column("old_due", sa.Date(), nullable=True),
        sa.Column("new_due", sa.Date(), nullable=True),
        sa.Column("seen_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["map_id"], ["maps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("due_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_due_changes_map_id"), ["map_id"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("map_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["map_id"], ["maps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "kept_text",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("map_id", sa.String(length=40), nullable=False),
        sa.Column("step_id", sa.String(length=12), nullable=False),
        sa.Column("column", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kept_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["map_id"], ["maps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("kept_text", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kept_text_map_id"), ["map_id"], unique=False)

    op.create_table(
        "steps",
        sa.Column("map_id", sa.String(length=40), nullable=False),
        sa.Column("step_id", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=True),
        sa.Column("duration_days", sa.Integer(), nullable=True),
        sa.Column("signature", sa.Boolean(), nullable=False),
        sa.Column("baseline_due", sa.Date(), nullable=True),
        sa.Column("current_due", sa.Date(), nullable=True),
        sa.Column("push_count", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=True),
        sa.Column("first_seen_done", sa.Date(), nullable=True),
        sa.Column("template_key", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(["map_id"], ["maps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("map_id", "step_id"),
    )
    op.create_table(
        "target_close_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("map_id", sa.String(length=40), nullable=False),
        sa.Column("target_close", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["map_id"], ["maps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("target_close_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_target_close_history_map_id"), ["map_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("target_close_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_close_history_map_id"))

    op.drop_table("target_close_history")
    op.drop_table("steps")
    with op.batch_alter_table("kept_text", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kept_text_map_id"))

    op.drop_table("kept_text")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("due_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_due_changes_map_id"))

    op.drop_table("due_changes")
    op.drop_table("date_anchors")
    op.drop_table("page_tokens")
    with op.batch_alter_table("maps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maps_rep_email"))
        batch_op.drop_index(batch_op.f("ix_maps_lifecycle"))

    op.drop_table("maps")
