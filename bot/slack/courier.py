"""Reminders in Slack: one direct message per person per sweep, with Block Kit answer buttons."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.identity import slack_user_of
from bot.slack.render import render
from scheduler.couriers import DeliveryFailed, Outgoing, Unreachable
from storage.roster import PersonRef

if TYPE_CHECKING:
    from bot.app import App
    from bot.slack.config import SlackConfig

log = logging.getLogger("partnerbot.slack")

# Errors that mean "not this person, not on Slack": the sweep tries the next door (e-mail).
UNREACHABLE = (
    "user_not_found",
    "channel_not_found",
    "account_inactive",
    "user_disabled",
    "cannot_dm_bot",
    "messages_tab_disabled",
    "is_archived",
)
METADATA_EVENT = "partnerbot_reminder"


class SlackCourier:
    door = "slack"

    def __init__(
        self, sessions: sessionmaker[Session], client: WebClient, partnership_id: str | None = None
    ) -> None:
        self.sessions, self.client, self.partnership_id = sessions, client, partnership_id

    def _user(self, person: PersonRef) -> str | None:
        if person.slack_id:
            return person.slack_id
        with self.sessions() as session:
            return slack_user_of(session, person.partnership_id or self.partnership_id, person.initials)

    def reach(self, person: PersonRef) -> bool:
        return self._user(person) is not None

    def send(self, out: Outgoing) -> str:
        user = self._user(out.person)
        if user is None:
            raise Unreachable(f"{out.person.initials} has no Slack id")
        r = render(out.message)
        try:
            resp = self.client.chat_postMessage(
                channel=user,  # a user id: the message lands in the app's direct messages with them
                text=r.text or out.subject,
                blocks=r.blocks,
                unfurl_links=False,
                # The digest id travels with the message, so a send whose "sent" was never recorded
                # can be found again in the conversation's history.
                metadata={"event_type": METADATA_EVENT, "event_payload": {"digest_id": out.digest_id}},
            )
        except SlackApiError as e:
            error = str(e.response.get("error"))
            if error in UNREACHABLE:
                raise Unreachable(f"Slack: {error}") from e
            raise DeliveryFailed(f"Slack: {error}") from e
        except (SlackClientError, OSError) as e:  # network, timeouts: the sweep retries with backoff
            raise DeliveryFailed(f"Slack: {type(e).__name__}: {e}") from e
        return f"{resp['channel']}:{resp['ts']}"


def courier_for(app: App, config: SlackConfig) -> SlackCourier | None:
    from bot.slack.app import make_client

    if not config.bot_token:
        log.error("Slack is enabled but SLACK_BOT_TOKEN is not set: reminders will not go by Slack")
        return None
    try:
        pid: str | None = app.partnership_id(config.partnership)
    except Exception:  # several partnerships and none named: the file's slack ids still work
        pid = None
    return SlackCourier(app.sessions, make_client(config), pid)
