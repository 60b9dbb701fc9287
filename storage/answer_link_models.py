"""Answer links that have been used: each signed link in an e-mailed reminder answers once.

The link itself is never stored, only a hash of it: the row says that this link answered,
for whom, which action, with which answer and when. A second answer through the same link
finds its row and changes nothing (docs/reminders.md, "Answering from an e-mail").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base


class AnswerLinkUse(Base):
    """One signed answer link, used: claimed before its answer runs, kept once the answer is stored."""

    __tablename__ = "answer_link_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the link's token, hex
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    answer: Mapped[str] = mapped_column(String(16))  # done | update | new_date | not_mine | snooze
    used_at: Mapped[datetime]
    expires_at: Mapped[datetime]


def claim_link(
    session: Session,
    link_hash: str,
    *,
    action_id: int,
    person_id: int,
    answer: str,
    at: datetime,
    expires_at: datetime,
) -> bool:
    """Mark a link used; False if it already was (by an earlier answer, or another process just now)."""
    try:
        with session.begin_nested():
            session.add(
                AnswerLinkUse(
                    link_hash=link_hash,
                    action_id=action_id,
                    person_id=person_id,
                    answer=answer,
                    used_at=at,
                    expires_at=expires_at,
                )
            )
    except IntegrityError:
        return False
    return True


def release_link(session: Session, link_hash: str) -> None:
    """Un-use a link whose answer was refused (a date in the past): the person may correct it."""
    session.execute(delete(AnswerLinkUse).where(AnswerLinkUse.link_hash == link_hash))


def link_used_at(session: Session, link_hash: str) -> datetime | None:
    return session.scalar(select(AnswerLinkUse.used_at).where(AnswerLinkUse.link_hash == link_hash))
