"""import keys: which plan a MAP was imported from (its Drive file id, and a hash of its
cells), so importing the same plan again says so instead of making a second MAP

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 02:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_keys",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column(
            "map_id", sa.String(40), sa.ForeignKey("maps.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("source", sa.Text(), nullable=False, server_default=""),
        sa.Column("imported_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_import_keys_map_id", "import_keys", ["map_id"])


def downgrade() -> None:
    op.drop_index("ix_import_keys_map_id", table_name="import_keys")
    op.drop_table("import_keys")
