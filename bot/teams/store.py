"""What the Teams door reads and remembers in the database (synchronous: run in a worker thread).

- The addresses on a Teams profile that may match the partnership file (who someone is,
  and learning it, is the core's: `Core.who`, `Core.learn_identity`).
- Where a person's 1:1 chat with the bot is (conversation id, service URL, tenant), for
  proactive reminders, and whether someone can be reached there.

Teams meetings seen in a chat (start, end, who joined and left) are the core's to keep, in the
audit trail: `Core.record_platform_event`, handlers/platform_meetings.py.

Nothing here imports a Teams SDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.doors import conversation, remember_conversation
from storage.models import Person
from storage.nudge_models import Digest

DOOR = "teams"


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    service_url: str | None
    tenant_id: str | None


def addresses(email: str | None, upn: str | None) -> list[str]:
    """The addresses a Teams profile may match in the file; a guest's UPN is `name_domain#EXT#@host`."""
    out: list[str] = []
    for value in (email, upn):
        if not value:
            continue
        value = value.strip().lower()
        if "#ext#" in value:
            local = value.split("#ext#", 1)[0]
            if "_" in local:
                name, _, domain = local.rpartition("_")
                value = f"{name}@{domain}"
        if value and value not in out:
            out.append(value)
    return out


def save_conversation(
    sessions: sessionmaker[Session],
    person_id: int,
    conversation_id: str,
    service_url: str | None,
    tenant_id: str | None,
    at: datetime,
) -> None:
    with sessions() as session, session.begin():
        remember_conversation(
            session, DOOR, person_id, conversation_id, service_url=service_url, tenant_id=tenant_id, at=at
        )


def conversation_of(sessions: sessionmaker[Session], person_id: int) -> Conversation | None:
    with sessions() as session:
        ref = conversation(session, DOOR, person_id)
        return Conversation(ref.conversation_id, ref.service_url, ref.tenant_id) if ref else None


def reachable(sessions: sessionmaker[Session], initials: str, partnership_id: str | None) -> bool:
    """Whether someone has a 1:1 chat with the bot, or a Teams id in the file to open one.

    Initials are each partnership's own (`PersonRef.partnership_id` says whose); only without one
    (a roster built by hand) are they looked for in every partnership.
    An identity learnt in a meeting chat is not enough: guests from other tenants are seen there
    but cannot be written to 1:1, so they are reached by e-mail.
    """
    from storage.models import ConversationRef

    query = select(Person.id, Person.teams_id).where(Person.initials == initials, Person.active.is_(True))
    if partnership_id:
        query = query.where(Person.partnership_id == partnership_id)
    with sessions() as session:
        return any(
            teams_id
            or session.scalar(
                select(func.count())
                .select_from(ConversationRef)
                .where(ConversationRef.door == DOOR, ConversationRef.person_id == pid)
            )
            for pid, teams_id in session.execute(query)
        )


def digest_recipient(sessions: sessionmaker[Session], digest_id: int) -> tuple[int, str] | None:
    with sessions() as session:
        row = session.get(Digest, digest_id)
        return (row.recipient_id, row.partnership_id) if row else None
