"""Deputies chosen on the day and rotating chairs

Revision ID: 0009
Revises: 0008

The series may allow deputies chosen on the day and name a chair rotation; an attendance row
holds the chair's answer about such a deputy (`authorised`); a meeting may be chaired by someone
other than the series' chair of the day (`chair today XX`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "series", sa.Column("deputies_on_the_day", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("series", sa.Column("chair_rotation", sa.JSON(), nullable=True))
    op.add_column("meetings", sa.Column("chair", sa.String(length=16), nullable=True))
    op.add_column("attendance", sa.Column("authorised", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_column("authorised")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("chair")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_column("chair_rotation")
        batch_op.drop_column("deputies_on_the_day")
