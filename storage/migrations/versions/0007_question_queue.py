"""Questions queue per person and conversation, and say what each holds

Revision ID: 0007
Revises: 0006

The one-question-per-person unique constraint goes (it was unnamed, so the table is rebuilt
and its rows copied, keeping any open question). New columns: the queue position, the message
that asked (`batch`, `command`), the words asked about, what waits on the answer, the prompt,
whether several answers fit, and what `skip` runs.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_COLUMNS = "door, channel, asker, before, after, kind, choices, sent_at, message_id, expires_at"


def _base_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("door", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("asker", sa.String(length=200), nullable=False),
    ]


def _hole_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
    ]


def _time_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "pending_questions_next",
        *_base_columns(),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=200), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("part", sa.Text(), nullable=False),
        sa.Column("holds", sa.Text(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        *_hole_columns(),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("skip", sa.Text(), nullable=True),
        *_time_columns(),
        sa.PrimaryKeyConstraint("id"),
    )
    # An open question survives the upgrade: its message is shown with "…" where the answer goes.
    op.execute(
        f"INSERT INTO pending_questions_next ({_OLD_COLUMNS}, position, batch, command, part, holds, "
        "prompt, multiple, skip) "
        f"SELECT {_OLD_COLUMNS}, 0, 'upgraded-' || CAST(id AS VARCHAR(20)), before || '…' || after, '', "
        "'', '', FALSE, NULL FROM pending_questions ORDER BY id"
    )
    op.drop_table("pending_questions")
    op.rename_table("pending_questions_next", "pending_questions")
    op.create_index("ix_pending_questions_asker", "pending_questions", ["door", "channel", "asker"])


def downgrade() -> None:
    op.create_table(
        "pending_questions_prev",
        *_base_columns(),
        *_hole_columns(),
        *_time_columns(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("door", "channel", "asker"),
    )
    # One question per person and conversation again: the first of each queue.
    op.execute(
        f"INSERT INTO pending_questions_prev ({_OLD_COLUMNS}) SELECT {_OLD_COLUMNS} FROM pending_questions "
        "WHERE id IN (SELECT MIN(id) FROM pending_questions GROUP BY door, channel, asker)"
    )
    op.drop_index("ix_pending_questions_asker", table_name="pending_questions")
    op.drop_table("pending_questions")
    op.rename_table("pending_questions_prev", "pending_questions")
