"""Indexes for "which open actions are mine?" (`actions mine`, a person's reminders).

`ix_action_owners_person` gains the action's id, so a person's owner rows are read from the index
alone; `ix_action_owners_shared` holds only the owners that are not a person (groups, agencies,
all partners), which are few: over every owner the `(kind, key)` index looks unselective to
SQLite's statistics, and it read every owner or every open action of a series instead.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARED = sa.text("kind != 'person'")


def upgrade() -> None:
    with op.batch_alter_table("action_owners") as batch:
        batch.drop_index("ix_action_owners_person")
        batch.create_index("ix_action_owners_person", ["person_id", "removed_at", "action_id"])
        batch.create_index(
            "ix_action_owners_shared", ["kind", "key"], sqlite_where=SHARED, postgresql_where=SHARED
        )


def downgrade() -> None:
    with op.batch_alter_table("action_owners") as batch:
        batch.drop_index("ix_action_owners_shared")
        batch.drop_index("ix_action_owners_person")
        batch.create_index("ix_action_owners_person", ["person_id", "removed_at"])
