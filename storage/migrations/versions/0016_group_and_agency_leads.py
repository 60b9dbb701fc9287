"""Who answers for a group or an agency: `groups.leads` and `agencies.lead`.

A group action reminds its leads (else each member, once); an "all partners" action reminds
each agency's lead (else its contact address).

Revision ID: 0016
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("leads", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("lead", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("lead")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("leads")
