"""Terms of reference, time-limited groups and members by office

Revision ID: 0010
Revises: 0009

A series may link its terms of reference, end on a date (then it is closed: read-only), and seat
whoever chairs another series (`{chair_of: SERIES}` in its members), kept as a list of series keys.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("terms_of_reference", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("ends", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("members_by_office", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_column("members_by_office")
        batch_op.drop_column("ends")
        batch_op.drop_column("terms_of_reference")
