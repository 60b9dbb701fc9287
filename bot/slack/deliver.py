"""Putting a Reply into Slack: channel posts, ephemeral answers, direct messages and files.

Everything here is the slow part of a request and runs after Slack has had its answer.
A channel the bot is not in gets an explanation to the person ("invite me with /invite
@…"), with what would have been posted, rather than a silent failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.slack.identity import Identities
from bot.slack.render import Rendered, escape, render, summary
from handlers.faults import log_error
from handlers.reply import ACTOR, CHANNEL, ERROR, PERSON, QUESTION, File, Message, Reply, Text

log = logging.getLogger("partnerbot.slack")

NOT_IN = ("not_in_channel", "channel_not_found", "is_archived", "restricted_action")


@dataclass
class Where:
    """Where a request came from, so its answer goes back to the right place."""

    user: str  # the Slack user who typed or pressed
    channel: str | None  # C…/G… a channel, D… a direct message, None the Home tab
    thread_ts: str | None = None
    direct: bool = False
    response_url: str | None = None
    actor_done: bool = False  # the person's own answer already went back with the ack
    skip: set[str] = field(default_factory=set)  # audiences shown another way (an updated message)


def is_problem(reply: Reply) -> bool:
    """An error or a question: nothing was stored, and the person has to do something."""
    return any(isinstance(b, Text) and b.tone in (ERROR, QUESTION) for m in reply.messages for b in m.blocks)


def error_of(reply: Reply) -> str:
    return " ".join(
        b.text
        for m in reply.messages
        for b in m.blocks
        if isinstance(b, Text) and b.tone in (ERROR, QUESTION)
    )


class Poster:
    def __init__(self, client: WebClient, identities: Identities, bot_name: str) -> None:
        self.client, self.identities, self.bot_name = client, identities, bot_name

    # --- a whole reply -----------------------------------------------------------------------------------
    def deliver(self, reply: Reply, where: Where) -> None:
        for message in reply.messages:
            try:
                self._one(message, where, reply.partnership_id)
            except Exception as e:  # one failed part must not lose the others
                log_error(log, f"could not deliver a reply to {where.user} in {where.channel}", e)

    def _one(self, message: Message, where: Where, reply_partnership: str | None = None) -> None:
        if message.audience in where.skip:
            return
        r = render(message)
        if r.empty:
            return
        if message.audience == PERSON:
            self._to_person(message.person, r, message, reply_partnership)
            return
        if message.audience == CHANNEL and where.channel is not None and not where.direct:
            self._to_channel(r, message, where)
            return
        # The person's own answer, or anything said in a direct message or on the Home tab.
        if where.actor_done and message.audience == ACTOR:
            r.blocks = []
        if where.direct or where.channel is None:
            self._to_dm(where.user, r, message, where.channel, where.thread_ts)
            return
        if r.blocks:
            self._ephemeral(r, where)
        if r.files:
            self._upload_dm(where.user, r.files, summary(message))

    # --- places ------------------------------------------------------------------------------------------
    def _to_channel(self, r: Rendered, message: Message, where: Where) -> None:
        assert where.channel is not None
        try:
            if r.files:
                self.upload(where.channel, r.files, summary(message), where.thread_ts)
            else:
                self.post(where.channel, r, thread_ts=where.thread_ts)
        except SlackApiError as e:
            if e.response.get("error") not in NOT_IN:
                raise
            self._not_in_channel(r, message, where)

    def _not_in_channel(self, r: Rendered, message: Message, where: Where) -> None:
        head = (
            f":warning: I'm not in this channel, so I couldn't post there. "
            f"Invite me with `/invite @{escape(self.bot_name)}` and try again."
        )
        if r.files:
            head += " I've sent you the documents directly."
            self._upload_dm(where.user, r.files, summary(message))
        note = {"type": "section", "text": {"type": "mrkdwn", "text": head}}
        told = Rendered(head, [note, *r.blocks[:48]], [])
        if where.response_url:
            self.respond(where.response_url, told)
        else:
            self.post(where.user, told)

    def _ephemeral(self, r: Rendered, where: Where) -> None:
        assert where.channel is not None
        if where.response_url:
            try:
                self.respond(where.response_url, r)
                return
            except Exception:  # an expired response URL: try the Web API
                log.info("response_url failed; trying chat.postEphemeral")
        try:
            self.client.chat_postEphemeral(
                channel=where.channel,
                user=where.user,
                text=r.text,
                blocks=r.blocks,
                thread_ts=where.thread_ts,
            )
        except SlackApiError as e:
            if e.response.get("error") not in NOT_IN and e.response.get("error") != "user_not_in_channel":
                raise
            self.post(where.user, r)  # still reaches the person: in their direct messages

    def _to_dm(
        self, user: str, r: Rendered, message: Message, channel: str | None, thread_ts: str | None
    ) -> None:
        target = channel or user
        if r.blocks:
            try:
                self.post(target, r, thread_ts=thread_ts)
            except SlackApiError as e:
                if target == user or e.response.get("error") not in NOT_IN:
                    raise
                self.post(user, r)  # a conversation the bot is not part of: its own direct messages
        if r.files:
            self._upload_dm(user, r.files, summary(message), channel)

    def _to_person(
        self, initials: str | None, r: Rendered, message: Message, partnership: str | None
    ) -> None:
        # Initials are a partnership's own: the one that answered names its people.
        user = self.identities.user_id(initials, partnership) if initials else None
        if user is None:
            log.warning("no Slack id for %s: a direct message was not sent", initials)
            return
        self._to_dm(user, r, message, None, None)

    def _upload_dm(self, user: str, files: list[File], comment: str, channel: str | None = None) -> None:
        if channel is None:
            channel = self.client.conversations_open(users=user)["channel"]["id"]
        self.upload(channel, files, comment)

    # --- Web API calls -----------------------------------------------------------------------------------
    def post(
        self, channel: str, r: Rendered, *, thread_ts: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        resp = self.client.chat_postMessage(
            channel=channel, text=r.text, blocks=r.blocks, thread_ts=thread_ts, unfurl_links=False, **extra
        )
        return dict(resp.data) if isinstance(resp.data, dict) else {}

    def upload(self, channel: str, files: list[File], comment: str, thread_ts: str | None = None) -> None:
        """Documents as files (channel ids only: files_upload_v2 refuses names), with a short comment."""
        self.client.files_upload_v2(
            file_uploads=[{"content": f.data, "filename": f.filename, "title": f.title} for f in files],
            channel=channel,
            thread_ts=thread_ts,
            initial_comment=comment or None,
        )

    def respond(self, url: str, r: Rendered, *, replace: bool = False) -> None:
        resp = WebhookClient(url).send(
            text=r.text, blocks=r.blocks, response_type="ephemeral", replace_original=replace
        )
        if resp.status_code >= 400:
            raise RuntimeError(f"response_url answered {resp.status_code}: {resp.body}")
