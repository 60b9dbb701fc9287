"""Open questions: the one place that reads and writes `pending_questions`.

The core asks at most one question per person and conversation; the answer completes the
original message. Doors ask the core whether a question is open, or to cancel it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from storage.models import PendingQuestion


def _mine(door: str, channel: str, asker: str) -> tuple[ColumnElement[bool], ...]:
    return (
        PendingQuestion.door == door,
        PendingQuestion.channel == channel,
        PendingQuestion.asker == asker,
    )


def open_question(session: Session, door: str, channel: str, asker: str) -> PendingQuestion | None:
    return session.scalars(select(PendingQuestion).where(*_mine(door, channel, asker))).first()


def has_question(session: Session, door: str, channel: str, asker: str) -> bool:
    found = session.scalar(select(PendingQuestion.id).where(*_mine(door, channel, asker)).limit(1))
    return found is not None


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
) -> PendingQuestion:
    """Store a question, replacing the one this person had open in this conversation."""
    drop(session, door, channel, asker)
    question = PendingQuestion(
        door=door,
        channel=channel,
        asker=asker,
        before=before,
        after=after,
        kind=kind,
        choices=choices,
        sent_at=sent_at,
        message_id=message_id,
        expires_at=expires_at,
    )
    session.add(question)
    session.flush()
    return question


def drop(session: Session, door: str, channel: str, asker: str) -> None:
    """Forget this person's open question in this conversation (if any)."""
    session.execute(delete(PendingQuestion).where(*_mine(door, channel, asker)))


def drop_all_in(session: Session, door: str, channel: str) -> None:
    """Forget every open question in a conversation (its meeting has ended)."""
    session.execute(
        delete(PendingQuestion).where(PendingQuestion.door == door, PendingQuestion.channel == channel)
    )
