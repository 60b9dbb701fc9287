"""Agenda items in the meeting: the item being taken, what was recorded under each, the tracker item

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Records filed under the agenda item that was being taken when they were recorded.
RECORDS = ("notes", "decisions", "declarations", "actions", "action_updates")


def upgrade() -> None:
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tracker_item", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("minutes_preamble", sa.Text(), nullable=True))
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="requested", nullable=False)
        )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_item_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_meetings_current_item_id", "agenda_items", ["current_item_id"], ["id"], use_alter=True
        )
    for table in RECORDS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("agenda_item_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                f"fk_{table}_agenda_item_id", "agenda_items", ["agenda_item_id"], ["id"]
            )


def downgrade() -> None:
    for table in reversed(RECORDS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_agenda_item_id", type_="foreignkey")
            batch_op.drop_column("agenda_item_id")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_constraint("fk_meetings_current_item_id", type_="foreignkey")
        batch_op.drop_column("current_item_id")
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_column("minutes_preamble")
        batch_op.drop_column("tracker_item")
