"""crm links: each MAP's deal in the CRM, the deal's facts as last read, the signals last
written to it, the last CRM line, and the stage moves its milestones made

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("maps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crm_deal_id", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("crm_deal", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("crm_written", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("crm_state", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("crm_moves", sa.JSON(), nullable=True))
        batch_op.create_index("ix_maps_crm_deal_id", ["crm_deal_id"])
    op.create_table(
        "crm_gaps",
        sa.Column("deal_id", sa.String(64), primary_key=True),
        sa.Column("deal", sa.JSON(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False, server_default=""),
        sa.Column("owner", sa.String(320), nullable=False, server_default=""),
        sa.Column("seen_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_crm_gaps_owner", "crm_gaps", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_crm_gaps_owner", table_name="crm_gaps")
    op.drop_table("crm_gaps")
    with op.batch_alter_table("maps", schema=None) as batch_op:
        batch_op.drop_index("ix_maps_crm_deal_id")
        for name in ("crm_moves", "crm_state", "crm_written", "crm_deal", "crm_deal_id"):
            batch_op.drop_column(name)
