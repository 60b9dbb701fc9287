"""Who a Slack user is in the partnership file: by `slack_id`, or by the e-mail on their profile.

The first time someone unknown writes (or is @-mentioned), `users.info` gives their profile
e-mail; a person of the file with that address is remembered for the door, so the core and
every process know them from then on. Someone matching nobody is looked up again only after
a while: the core tells them who to ask to be added.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.doors import identity, remember_identity
from storage.models import DoorIdentity, Person

log = logging.getLogger("partnerbot.slack")

DOOR = "slack"
RETRY_UNKNOWN_SECONDS = 600.0  # a person added to the file is found within ten minutes
KNOWN_SECONDS = 600.0  # and a change of someone's Slack id in the file is seen as soon


def find_person(session: Session, partnership_id: str, user_id: str) -> Person | None:
    """The person a Slack user is: the file's slack_id first, then an identity learnt earlier."""
    person = session.scalars(
        select(Person).where(
            Person.partnership_id == partnership_id, Person.slack_id == user_id, Person.active
        )
    ).first()
    if person is not None:
        return person
    learnt = identity(session, DOOR, user_id)
    if learnt is None:
        return None
    row = session.get(Person, learnt)
    return row if row is not None and row.active and row.partnership_id == partnership_id else None


def slack_user_of(session: Session, partnership_id: str | None, initials: str) -> str | None:
    """A person's Slack user id (to send them a direct message), from the file or learnt."""
    query = select(Person).where(Person.initials == initials, Person.active)
    if partnership_id:
        query = query.where(Person.partnership_id == partnership_id)
    for person in session.scalars(query):
        if person.slack_id:
            return person.slack_id
        learnt = session.scalar(
            select(DoorIdentity.user_key)
            .where(DoorIdentity.door == DOOR, DoorIdentity.person_id == person.id)
            .order_by(DoorIdentity.at.desc())
        )
        if learnt:
            return learnt
    return None


class Identities:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        partnership_id: str,
        client: WebClient,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions, self.partnership_id, self.client, self.clock = sessions, partnership_id, client, clock
        self._lock = threading.Lock()
        # user id → (initials, when): spares the database a look-up on every message
        self._known: dict[str, tuple[str, float]] = {}
        self._tried: dict[str, float] = {}  # user id → when users.info last matched nobody
        self._names: dict[str, str] = {}  # user id → display name, for people not in the file

    def initials(self, user_id: str, *, learn: bool = True) -> str | None:
        with self._lock:
            known = self._known.get(user_id)
        if known is not None and time.monotonic() - known[1] < KNOWN_SECONDS:
            return known[0]
        with self.sessions() as session:
            person = find_person(session, self.partnership_id, user_id)
            found = person.initials if person is not None else None
        if found is None and learn:
            found = self._learn(user_id)
        if found is not None:
            with self._lock:
                self._known[user_id] = (found, time.monotonic())
        return found

    def mention(self, user_id: str) -> str:
        """How an @-mention reads to the core: initials when the person is known, else their name."""
        initials = self.initials(user_id)
        if initials is not None:
            return initials
        return "@" + self._names.get(user_id, user_id)

    def user_id(self, initials: str) -> str | None:
        with self.sessions() as session:
            return slack_user_of(session, self.partnership_id, initials)

    def _learn(self, user_id: str) -> str | None:
        with self._lock:
            tried = self._tried.get(user_id)
            if tried is not None and time.monotonic() - tried < RETRY_UNKNOWN_SECONDS:
                return None
            self._tried[user_id] = time.monotonic()
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError as e:
            log.warning("users.info for %s failed: %s", user_id, e.response.get("error"))
            return None
        except OSError as e:  # the network: try again next time rather than in ten minutes
            log.warning("users.info for %s failed: %s", user_id, e)
            with self._lock:
                self._tried.pop(user_id, None)
            return None
        profile = user.get("profile") or {}
        name = profile.get("real_name") or user.get("real_name") or profile.get("display_name")
        if name:
            self._names[user_id] = str(name)
        email = str(profile.get("email") or "").strip().lower()
        if not email or user.get("is_bot") or user.get("deleted"):
            return None
        with self.sessions() as session, session.begin():
            person = session.scalars(
                select(Person).where(
                    Person.partnership_id == self.partnership_id,
                    func.lower(Person.email) == email,
                    Person.active,
                )
            ).first()
            if person is None:
                log.info("Slack user %s (%s) is not in the partnership file", user_id, email)
                return None
            remember_identity(session, DOOR, user_id, person.id, "email", self.clock())
            log.info("Slack user %s is %s (matched by e-mail)", user_id, person.initials)
            with self._lock:
                self._tried.pop(user_id, None)
            return person.initials
