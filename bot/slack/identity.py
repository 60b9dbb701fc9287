"""Who a Slack user is in the partnership file: the core says (its `slack_id` first, then one learnt).

The first time someone unknown writes (or is @-mentioned), `users.info` gives their profile
e-mail; the core matches it to the file and remembers the match for the door, so the core
and every process know them from then on. Someone matching nobody is looked up again only
after a while: the core tells them who to ask to be added.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from handlers.identity import door_key_of

if TYPE_CHECKING:
    from handlers.router import Router

log = logging.getLogger("partnerbot.slack")

DOOR = "slack"
RETRY_UNKNOWN_SECONDS = 600.0  # a person added to the file by e-mail is found within ten minutes


def slack_user_of(session: Session, partnership_id: str | None, initials: str) -> str | None:
    """A person's Slack user id (to send them a direct message), from the file or learnt."""
    return door_key_of(session, DOOR, initials, partnership_id)


class Identities:
    def __init__(self, core: Router, client: WebClient, clock: Callable[[], datetime]) -> None:
        self.core, self.client, self.clock = core, client, clock
        self._lock = threading.Lock()
        self._tried: dict[str, float] = {}  # user id → when users.info last matched nobody
        self._names: dict[str, str] = {}  # user id → display name, for people not in the file

    def learn_if_new(self, user_id: str) -> None:
        """Before the core answers someone: match them by e-mail if nobody knows them yet.

        The core identifies the writer itself in every command's one read; this asks only to learn
        someone new; a person found known is not asked about again for a minute (`Router.known`:
        a read per command was a quarter of a slash command's cost)."""
        if not self.core.known(DOOR, user_id):
            self.initials(user_id)

    def initials(self, user_id: str, *, learn: bool = True, channel: str | None = None) -> str | None:
        """Their initials: in the partnership of the channel's binding, else their home one."""
        # Asked each time, not cached: a change of someone's Slack id in the file counts at once.
        who = self.core.who(DOOR, user_id, channel)
        if who is None and learn:
            learnt = self._learn(user_id)
            if learnt is None or channel is None:
                return learnt
            who = self.core.who(DOOR, user_id, channel)  # learnt in one partnership: as this channel's
        return who.initials if who is not None else None

    def mention(self, user_id: str, channel: str | None = None) -> str:
        """How an @-mention reads to the core: initials when the person is known, else their name."""
        initials = self.initials(user_id, channel=channel)
        if initials is not None:
            return initials
        return "@" + self._names.get(user_id, user_id)

    def user_id(self, initials: str, partnership: str | None = None) -> str | None:
        return self.core.door_key(DOOR, initials, partnership)

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
        who = self.core.learn_identity(DOOR, user_id, [email], self.clock())
        if who is None:
            log.info("Slack user %s (%s) is not in the partnership file", user_id, email)
            return None
        log.info("Slack user %s is %s (matched by e-mail)", user_id, who.initials)
        with self._lock:
            self._tried.pop(user_id, None)
        return who.initials
