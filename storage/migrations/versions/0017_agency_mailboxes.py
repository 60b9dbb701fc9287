"""An agency's contact address as a reminder recipient: `people.mailbox_of`.

An "all partners" action reminds each agency's lead, else the agency's contact address: a
row of `people` marked with the agency it stands for, so claims, digests and leases keep
their one kind of recipient.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("mailbox_of", sa.String(64), nullable=True))


def downgrade() -> None:
    # Without the column these rows would read as people: drop them and what was sent to them.
    mailboxes = "SELECT id FROM people WHERE mailbox_of IS NOT NULL"
    op.execute(f"DELETE FROM nudge_claims WHERE recipient_id IN ({mailboxes})")
    op.execute(f"DELETE FROM digests WHERE recipient_id IN ({mailboxes})")
    op.execute(f"DELETE FROM recipient_leases WHERE person_id IN ({mailboxes})")
    op.execute("DELETE FROM people WHERE mailbox_of IS NOT NULL")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("mailbox_of")
