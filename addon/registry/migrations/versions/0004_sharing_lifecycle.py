"""sharing and lifecycle: who has access to each MAP, .xlsx exports and their merges,
conflict notes beside kept text, the handoff Doc and when a deal closed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    people = op.create_table(
        "map_people",
        sa.Column(
            "map_id",
            sa.String(40),
            sa.ForeignKey("maps.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "exports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "map_id",
            sa.String(40),
            sa.ForeignKey("maps.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("made_for", sa.Text(), nullable=False),
        sa.Column("grids", sa.JSON(), nullable=False),
        sa.Column("merged", sa.JSON(), nullable=False),
    )
    op.create_index("ix_exports_map_id", "exports", ["map_id"])
    with op.batch_alter_table("kept_text") as batch:
        batch.add_column(sa.Column("source", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("beside", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("maps") as batch:
        batch.add_column(sa.Column("handoff_ref", sa.Text(), nullable=True))
        batch.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("closed_note", sa.Text(), nullable=False, server_default=""))
    # Backfill: the contacts of each MAP, shared already when the MAP is past draft.
    maps = sa.table(
        "maps",
        sa.column("id", sa.String),
        sa.column("buyer_contacts", sa.JSON),
        sa.column("lifecycle", sa.String),
        sa.column("created_on", sa.Date),
    )
    rows = []
    query = sa.select(maps.c.id, maps.c.buyer_contacts, maps.c.lifecycle, maps.c.created_on)
    for map_id, contacts, lifecycle, created_on in op.get_bind().execute(query):
        seen = set()
        for person in contacts or []:
            email = str(person.get("email", "")).strip().lower()
            if email and email not in seen:
                seen.add(email)
                rows.append(
                    {
                        "map_id": map_id,
                        "email": email,
                        "name": str(person.get("name", "")),
                        "state": "shared" if lifecycle != "draft" else "contact",
                        "source": "contact",
                        "reason": "",
                        "changed_on": created_on,
                    }
                )
    if rows:
        op.bulk_insert(people, rows)


def downgrade() -> None:
    with op.batch_alter_table("maps") as batch:
        batch.drop_column("closed_note")
        batch.drop_column("closed_on")
        batch.drop_column("handoff_ref")
    with op.batch_alter_table("kept_text") as batch:
        batch.drop_column("beside")
        batch.drop_column("source")
    op.drop_index("ix_exports_map_id", "exports")
    op.drop_table("exports")
    op.drop_table("map_people")
