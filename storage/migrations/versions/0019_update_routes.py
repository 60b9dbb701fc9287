"""How an answer to an action reached the bot: `action_updates.route`.

The year report counts reminders answered from the reminder and by which route (a direct
message or button in chat, or an e-mailed answer link); that was not stored before.

Revision ID: 0019
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_updates") as batch:
        batch.add_column(sa.Column("route", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_updates") as batch:
        batch.drop_column("route")
