"""Reminder couriers: Teams 1:1 cards, and e-mail through Graph from the partnership mailbox.

The sweep calls `send` from its own thread; the sends run on the event loop (bot/runtime.py).
- Teams: to the person's stored 1:1 chat with the bot (or a 1:1 chat opened for them). A 403
  (BotNotInConversationRoster: a guest from a police or NHS tenant, or the app not installed
  for them) or no chat at all raises `Unreachable`, so the sweep goes on to e-mail and records
  why on the digest. Throttling and server errors are retried with jitter for a short while,
  then raise `DeliveryFailed` (the sweep retries later).
- E-mail via Graph `sendMail`: used instead of SMTP when `graph.mailbox` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot import runtime
from bot.teams import store
from scheduler.couriers import DeliveryFailed, Outgoing, Unreachable
from scheduler.email import email_body
from storage.roster import PersonRef

if TYPE_CHECKING:
    from bot.teams.app import TeamsDoor
    from bot.teams.graph import Graph
    from handlers.answer_links import AnswerLinks


class TeamsCourier:
    """Teams 1:1 reminders. The door (and the Teams SDK) is made on the first send, so building the
    couriers at start-up never waits for the SDK's import."""

    door = "teams"

    def __init__(
        self,
        teams: TeamsDoor | Callable[[], TeamsDoor],
        sessions: sessionmaker[Session] | None = None,
    ) -> None:
        self._door: TeamsDoor | None = None
        self._make: Callable[[], TeamsDoor] | None = None
        if callable(teams):
            self._make = teams
        else:
            self._door = teams
        self.sessions = sessions or self._teams().sessions

    def _teams(self) -> TeamsDoor:
        if self._door is None:
            assert self._make is not None
            self._door = self._make()
        return self._door

    def reach(self, person: PersonRef) -> bool:
        return bool(person.teams_id) or store.reachable(self.sessions, person.initials, person.partnership_id)

    def send(self, out: Outgoing) -> str:
        found = store.digest_recipient(self.sessions, out.digest_id)
        if found is None:
            raise Unreachable(f"digest {out.digest_id} is not in the database")
        person_id, _partnership = found
        teams = self._teams()
        try:
            return runtime.run(self._send(teams, person_id, out), timeout=teams.settings.retry_seconds + 30)
        except TimeoutError as e:
            raise DeliveryFailed(str(e)) from e

    @staticmethod
    async def _send(teams: TeamsDoor, person_id: int, out: Outgoing) -> str:
        await teams.initialize()
        return await teams.send_to_person(person_id, out.message, card_id=f"d{out.digest_id}")


class GraphMailCourier:
    """E-mail reminders sent by Graph from the partnership mailbox (owners outside the tenant)."""

    door = "email"

    def __init__(self, graph: Graph, links: AnswerLinks | None = None) -> None:
        self.graph = graph
        self.links = links  # answer links in each reminder, as in SMTP e-mail

    def reach(self, person: PersonRef) -> bool:
        return bool(person.email)

    def send(self, out: Outgoing) -> str:
        from bot.teams.graph import GraphError

        if not out.person.email:
            raise Unreachable(f"{out.person.initials} has no e-mail address")
        body = email_body(out, self.links)
        call = self.graph.send_mail(
            out.person.name,
            out.person.email,
            out.subject,
            body,
            headers={"X-Partnerbot-Digest": str(out.digest_id)},
        )
        try:
            runtime.run(call, timeout=self.graph.settings.retry_seconds + 30)
        except GraphError as e:
            raise DeliveryFailed(str(e)) from e
        except TimeoutError as e:
            raise DeliveryFailed(str(e)) from e
        return f"graph-mail-{out.digest_id}"
