"""settled grids: the last read, kept so a new day's values need no read

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 18:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("maps", sa.Column("settled_grids", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("maps", "settled_grids")
