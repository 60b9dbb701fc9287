"""One bot for several partnerships: the partnership whose command asked a question; joint series.

`pending_questions.partnership_id`: the answer goes back to the partnership that asked.
`people.shared_from` and `series.shared_with`: a series shared with another partnership, and the
members from it.

Revision ID: 0012
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pending_questions") as batch:
        batch.add_column(sa.Column("partnership_id", sa.String(64), nullable=True))
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("shared_from", sa.String(64), nullable=True))
    with op.batch_alter_table("series") as batch:
        batch.add_column(sa.Column("shared_with", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.drop_column("shared_with")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("shared_from")
    with op.batch_alter_table("pending_questions") as batch:
        batch.drop_column("partnership_id")
