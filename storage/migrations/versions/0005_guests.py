"""Guests: people not in the partnership file, kept as people of the partnership

Revision ID: 0005
Revises: 0004

Attendance rows that held only a guest's name (`guest_name`) now point at a guest person of
their partnership, one per name (case-insensitive); `guest_name` stays as it was typed. A name
recorded twice in one meeting keeps its second row as a name only (one row per person and meeting).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN on both databases: SQLite's batch mode would rebuild `people`,
    # which the rows referencing it forbid.
    op.add_column("people", sa.Column("guest", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("people", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    _guest_names_to_people()


def _guest_names_to_people() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    people = sa.Table("people", meta, autoload_with=conn)
    attendance = sa.Table("attendance", meta, autoload_with=conn)
    meetings = sa.Table("meetings", meta, autoload_with=conn)
    series = sa.Table("series", meta, autoload_with=conn)
    rows = conn.execute(
        sa.select(attendance.c.id, attendance.c.meeting_id, attendance.c.guest_name, series.c.partnership_id)
        .select_from(
            attendance.join(meetings, meetings.c.id == attendance.c.meeting_id).join(
                series, series.c.id == meetings.c.series_id
            )
        )
        .where(attendance.c.person_id.is_(None), attendance.c.guest_name.is_not(None))
        .order_by(attendance.c.id)
    ).all()
    made: dict[tuple[str, str], int] = {}
    taken: set[tuple[int, int]] = set(
        conn.execute(
            sa.select(attendance.c.meeting_id, attendance.c.person_id).where(
                attendance.c.person_id.is_not(None)
            )
        ).all()
    )
    for row_id, meeting_id, name, partnership_id in rows:
        typed = " ".join(str(name).split())
        if not typed:
            continue
        key = (partnership_id, typed.lower())
        if key not in made:
            new_id = conn.execute(
                people.insert()
                .values(
                    partnership_id=partnership_id,
                    initials=f"guest-new-{len(made)}",
                    name=typed,
                    agency_key="",
                    active=True,
                    guest=True,
                )
                .returning(people.c.id)
            ).scalar_one()
            conn.execute(people.update().where(people.c.id == new_id).values(initials=f"guest-{new_id}"))
            made[key] = new_id
        person_id = made[key]
        if (meeting_id, person_id) in taken:
            continue
        taken.add((meeting_id, person_id))
        conn.execute(attendance.update().where(attendance.c.id == row_id).values(person_id=person_id))


def downgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    people = sa.Table("people", meta, autoload_with=conn)
    attendance = sa.Table("attendance", meta, autoload_with=conn)
    guests = sa.select(people.c.id).where(people.c.guest.is_(True)).scalar_subquery()
    # Attendance of guests goes back to names only; other references to guests cannot be kept.
    conn.execute(
        attendance.update()
        .where(attendance.c.person_id.in_(guests))
        .values(
            guest_name=sa.select(people.c.name)
            .where(people.c.id == attendance.c.person_id)
            .scalar_subquery(),
            person_id=None,
        )
    )
    for column in ("merged_into_id", "guest"):
        op.execute(f"ALTER TABLE people DROP COLUMN {column}")  # SQLite 3.35+ and PostgreSQL alike
