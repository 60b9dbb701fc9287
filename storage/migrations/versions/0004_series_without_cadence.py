"""A series may have no cadence: ad hoc groups set each date with `next meeting`

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.alter_column("cadence", existing_type=sa.String(length=100), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.alter_column("cadence", existing_type=sa.String(length=100), nullable=False)
