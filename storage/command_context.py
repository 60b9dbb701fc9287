"""What every command needs before it runs, in one prebuilt statement.

Per message the core must know: the partnership's version (which cached roster is good), whether
the person has an open question here, who the file says they are, who a door learnt them to be,
and the series the conversation is bound to with its open meeting. Read one by one that was seven
statements per command, each `select()` rebuilt per call; here it is one statement per door,
built once at import with bind parameters, so SQLAlchemy compiles it once and caches it.

The rules stay where they are: `handlers.identity` decides who someone is from these facts,
`storage.questions`, `storage.bindings` and `storage.roster_repo` own their tables' writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, String, and_, bindparam, exists, func, select
from sqlalchemy.orm import Session, aliased

from storage.models import Binding, DoorIdentity, Meeting, Partnership, PendingQuestion, Person, Series

_DOOR = bindparam("door", type_=String)
_CHANNEL = bindparam("channel", type_=String)
_USER = bindparam("user", type_=String)
_PID = bindparam("pid", type_=String)


@dataclass(frozen=True)
class CommandContext:
    version: int  # the partnership's: rosters cached at another version are stale
    has_question: bool  # an open question of this person in this conversation
    file_person: int | None  # the first active person the file gives this door id, if any
    file_gives: bool  # the file gives this id to someone (active or not): the file decides
    learnt_person: int | None  # the person a door learnt this user to be (any partnership)
    bound: Series | None  # the series the conversation is bound to
    open_meeting: Meeting | None  # the bound series' open meeting (the newest, if several)


def _file_id(door: str) -> ColumnElement[Any]:
    """The partnership file's id of a person on a door (`handlers.identity` has the rule)."""
    if door == "slack":
        return Person.slack_id.expression
    if door == "teams":
        return Person.teams_id.expression
    if door == "email":
        return func.lower(Person.email)
    return Person.initials.expression


def newest_open(series_id: Any, of: Any) -> ScalarSelect[int | None]:
    """The id of a series' newest open meeting, `series_id` a column of `of` (the enclosing row)."""
    inner = aliased(Meeting)
    return (
        select(func.max(inner.id))
        .where(inner.series_id == series_id, inner.status == "open")
        .correlate(of)
        .scalar_subquery()
    )


def _statement(door: str) -> Select[Any]:
    given = and_(Person.partnership_id == _PID, _file_id(door) == _USER, Person.guest.is_(False))
    return (
        select(
            Series,
            Meeting,
            Partnership.version,
            exists()
            .where(PendingQuestion.door == _DOOR)
            .where(PendingQuestion.channel == _CHANNEL, PendingQuestion.asker == _USER)
            .label("has_question"),
            select(Person.id).where(given, Person.active).order_by(Person.id).limit(1).scalar_subquery(),
            exists().where(given).label("file_gives"),
            select(DoorIdentity.person_id)
            .where(DoorIdentity.door == _DOOR, DoorIdentity.user_key == _USER)
            .scalar_subquery(),
        )
        .select_from(Partnership)
        .outerjoin(Binding, and_(Binding.door == _DOOR, Binding.channel == _CHANNEL))
        .outerjoin(Series, Series.id == Binding.series_id)
        .outerjoin(Meeting, Meeting.id == newest_open(Binding.series_id, Binding))
        .where(Partnership.id == _PID)
    )


# One per way a door names people; every other door (the shell) names them by initials.
_STATEMENTS = {door: _statement(door) for door in ("slack", "teams", "email", "shell")}


def read(
    session: Session, partnership_id: str, door: str, channel: str, user_key: str
) -> CommandContext | None:
    """The facts a command starts from; None if the partnership is not loaded.

    `user_key` as the door's ids are kept (`handlers.identity.user_key`)."""
    stmt = _STATEMENTS.get(door, _STATEMENTS["shell"])
    params = {"door": door, "channel": channel, "user": user_key, "pid": partnership_id}
    row: Any = session.execute(stmt, params).first()
    if row is None:
        return None
    series, meeting, version, has_question, file_person, file_gives, learnt = row
    return CommandContext(
        version=version,
        has_question=bool(has_question),
        file_person=file_person,
        file_gives=bool(file_gives),
        learnt_person=learnt,
        bound=series,
        open_meeting=meeting,
    )
