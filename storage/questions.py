"""Open questions: the one place that reads and writes `pending_questions`.

Questions queue per person and conversation, in `position` order: the first is the one the
person's next answer goes to. Every function that drops questions returns them, so the caller
can say exactly what was dropped. Doors ask the core whether a question is open, or to cancel one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import PendingQuestion


def _mine(door: str, channel: str, asker: str) -> tuple[ColumnElement[bool], ...]:
    return (
        PendingQuestion.door == door,
        PendingQuestion.channel == channel,
        PendingQuestion.asker == asker,
    )


def queue(session: Session, door: str, channel: str, asker: str) -> list[PendingQuestion]:
    """This person's open questions here, the one their next answer goes to first."""
    return list(
        session.scalars(
            select(PendingQuestion)
            .where(*_mine(door, channel, asker))
            .order_by(PendingQuestion.position, PendingQuestion.id)
        )
    )


def open_question(session: Session, door: str, channel: str, asker: str) -> PendingQuestion | None:
    found = queue(session, door, channel, asker)
    return found[0] if found else None


# Built once: a door asks it of chat nobody addressed to the bot, message by message.
_HAS_QUESTION = (
    select(PendingQuestion.id)
    .where(
        PendingQuestion.door == bindparam("door"),
        PendingQuestion.channel == bindparam("channel"),
        PendingQuestion.asker == bindparam("asker"),
    )
    .limit(1)
)


def has_question(session: Session, door: str, channel: str, asker: str) -> bool:
    found = session.execute(_HAS_QUESTION, {"door": door, "channel": channel, "asker": asker}).first()
    return found is not None


def asked_by(session: Session, door: str, channel: str, asker: str) -> str | None:
    """The partnership whose command asked this person's first open question here, if any."""
    first = open_question(session, door, channel, asker)
    return first.partnership_id if first is not None else None


def in_conversation(session: Session, door: str, channel: str) -> list[PendingQuestion]:
    """Every open question in a conversation, person by person, each queue in order."""
    return list(
        session.scalars(
            select(PendingQuestion)
            .where(PendingQuestion.door == door, PendingQuestion.channel == channel)
            .order_by(PendingQuestion.asker, PendingQuestion.position, PendingQuestion.id)
        )
    )


def ask(
    session: Session,
    *,
    door: str,
    channel: str,
    asker: str,
    before: str,
    after: str,
    kind: str,
    choices: list[str],
    sent_at: datetime,
    message_id: str | None,
    expires_at: datetime,
    batch: str = "",
    command: str = "",
    part: str = "",
    holds: str = "",
    prompt: str = "",
    multiple: bool = False,
    skip: str | None = None,
    position: int | None = None,
    partnership_id: str | None = None,
) -> PendingQuestion:
    """Queue a question: at the back, or at `position` (the place of the question it follows up)."""
    if position is None:
        last = session.scalar(select(func.max(PendingQuestion.position)).where(*_mine(door, channel, asker)))
        position = 0 if last is None else last + 1
    else:
        session.execute(
            update(PendingQuestion)
            .where(*_mine(door, channel, asker), PendingQuestion.position >= position)
            .values(position=PendingQuestion.position + 1)
        )
    question = PendingQuestion(
        door=door,
        channel=channel,
        asker=asker,
        position=position,
        batch=batch,
        command=command,
        part=part,
        holds=holds,
        prompt=prompt,
        before=before,
        after=after,
        kind=kind,
        choices=choices,
        multiple=multiple,
        skip=skip,
        sent_at=sent_at,
        message_id=message_id,
        expires_at=expires_at,
        partnership_id=partnership_id,
    )
    session.add(question)
    session.flush()
    return question


def _drop(session: Session, found: list[PendingQuestion]) -> list[PendingQuestion]:
    if found:
        session.execute(delete(PendingQuestion).where(PendingQuestion.id.in_([q.id for q in found])))
    return found


def drop_one(session: Session, question_id: int) -> list[PendingQuestion]:
    return _drop(
        session, list(session.scalars(select(PendingQuestion).where(PendingQuestion.id == question_id)))
    )


def drop_batch(session: Session, door: str, channel: str, asker: str, batch: str) -> list[PendingQuestion]:
    """Drop every open question one message asked (`cancel`)."""
    return _drop(session, [q for q in queue(session, door, channel, asker) if q.batch == batch])


def drop_newest_batch(session: Session, door: str, channel: str, asker: str) -> list[PendingQuestion]:
    """Drop the questions of the message that asked last (a form shows the problem instead)."""
    found = queue(session, door, channel, asker)
    if not found:
        return []
    newest = max(found, key=lambda q: q.id).batch
    return _drop(session, [q for q in found if q.batch == newest])


def drop(session: Session, door: str, channel: str, asker: str) -> list[PendingQuestion]:
    """Drop all of this person's open questions in this conversation."""
    return _drop(session, queue(session, door, channel, asker))


def drop_expired(
    session: Session, door: str, channel: str, asker: str, now: datetime
) -> list[PendingQuestion]:
    return _drop(session, [q for q in queue(session, door, channel, asker) if q.expires_at < now])


def keep_until(session: Session, door: str, channel: str, asker: str, expires_at: datetime) -> None:
    """The person is still here: their questions wait a while longer."""
    session.execute(update(PendingQuestion).where(*_mine(door, channel, asker)).values(expires_at=expires_at))


def drop_all_in(session: Session, door: str, channel: str) -> list[PendingQuestion]:
    """Drop every open question in a conversation (its meeting has ended)."""
    return _drop(session, in_conversation(session, door, channel))
