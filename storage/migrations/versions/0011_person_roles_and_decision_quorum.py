"""People's role labels and a series' decision quorum

Revision ID: 0011
Revises: 0010

A person may carry role labels from the file (`roles: [dsp]`), which a quorum may require of each
agency; a series may say what a decision needs besides the quorum (`decision_quorum`), and a
decision marked for ratification because of it keeps what was lacking.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("people", sa.Column("roles", sa.JSON(), server_default="[]", nullable=False))
    op.add_column("series", sa.Column("decision_quorum", sa.JSON(), nullable=True))
    op.add_column("decisions", sa.Column("decision_quorum_missing", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("decision_quorum_missing")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_column("decision_quorum")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("roles")
