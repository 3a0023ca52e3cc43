"""idempotency claims: a create claims its key before any workspace work, so a key's row can
exist before its MAP does (map_id empty while the first create runs)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch: SQLite cannot ALTER a column in place; Alembic copies the table.
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column("map_id", existing_type=sa.String(length=40), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys WHERE map_id IS NULL")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column("map_id", existing_type=sa.String(length=40), nullable=False)
