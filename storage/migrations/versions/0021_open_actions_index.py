"""An index of the open actions' ids, for "which open actions are mine?" (`actions mine`).

PostgreSQL checked a person's owner rows (most of them of long-closed actions) against every
action of the history, read whole, to find the open ones; this partial index holds only the
open actions' ids, a twentieth of a long-kept tracker.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.create_index("ix_actions_open", ["id"], sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.drop_index("ix_actions_open")
