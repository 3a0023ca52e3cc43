"""map contacts: buyer addresses indexed, so a Gmail thread finds its MAP in one query

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    contacts = op.create_table(
        "map_contacts",
        sa.Column(
            "map_id",
            sa.String(40),
            sa.ForeignKey("maps.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("domain", sa.String(255), nullable=False),
    )
    op.create_index("ix_map_contacts_email", "map_contacts", ["email"])
    op.create_index("ix_map_contacts_domain", "map_contacts", ["domain"])
    # Backfill from the contacts each MAP was created with.
    maps = sa.table("maps", sa.column("id", sa.String), sa.column("buyer_contacts", sa.JSON))
    rows = []
    for map_id, people in op.get_bind().execute(sa.select(maps.c.id, maps.c.buyer_contacts)):
        seen = set()
        for person in people or []:
            email = str(person.get("email", "")).strip().lower()
            if email and email not in seen:
                seen.add(email)
                rows.append({"map_id": map_id, "email": email, "domain": email.rpartition("@")[2]})
    if rows:
        op.bulk_insert(contacts, rows)


def downgrade() -> None:
    op.drop_index("ix_map_contacts_domain", "map_contacts")
    op.drop_index("ix_map_contacts_email", "map_contacts")
    op.drop_table("map_contacts")
