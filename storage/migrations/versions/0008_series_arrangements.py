"""What a series' arrangements may say: observers, several escalation routes

Revision ID: 0008
Revises: 0007

`escalates_to` becomes a list of series keys: the one route each series had is kept as a list of one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_series = sa.table(
    "series",
    sa.column("id", sa.Integer()),
    sa.column("escalates_to", sa.String(length=64)),
    sa.column("escalates_to_list", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.add_column(sa.Column("observers", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("escalates_to_list", sa.JSON(), server_default="[]", nullable=False))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_series.c.id, _series.c.escalates_to).where(_series.c.escalates_to.is_not(None))
    )
    for sid, route in list(rows):
        conn.execute(_series.update().where(_series.c.id == sid).values(escalates_to_list=[route]))
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_column("escalates_to")
        batch_op.alter_column("escalates_to_list", new_column_name="escalates_to")


def downgrade() -> None:
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.alter_column("escalates_to", new_column_name="escalates_to_list")
    with op.batch_alter_table("series", schema=None) as batch_op:  # after the rename: same name
        batch_op.add_column(sa.Column("escalates_to", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    for sid, routes in list(conn.execute(sa.select(_series.c.id, _series.c.escalates_to_list))):
        if routes:  # a list keeps only its first route in the older schema
            conn.execute(_series.update().where(_series.c.id == sid).values(escalates_to=routes[0]))
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_column("escalates_to_list")
        batch_op.drop_column("observers")
