"""Bolt listeners: the slash command, thread messages, the emoji, the shortcut, buttons, modals, Home.

Every route ends in `door.handle(Request)`; what differs is where the text comes from and
where the answer goes. A message is keyed by channel + ts whichever route captures it, and
deliveries by Slack's event id (or the interaction's own id), so a retry or a second route
changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.slack.app import WORKING, message_key, ts_time
from bot.slack.deliver import Where, error_of, is_problem
from bot.slack.identity import DOOR
from bot.slack.render import (
    ACTION_PREFIX,
    ANSWER_VIEW,
    CAPTURE_SHORTCUT,
    CAPTURE_VIEW,
    answer_modal,
    answered,
    capture_modal,
    escape,
    field,
    read_answer,
    read_button_value,
    render,
)
from handlers.capture_preview import as_capture, compose_capture
from handlers.reply import ACTOR, CHANNEL, ERROR, Message, Reply, Text

if TYPE_CHECKING:
    from bot.slack.app import SlackDoor

log = logging.getLogger("partnerbot.slack")

MESSAGE_SUBTYPES = (None, "thread_broadcast", "file_share")


def register(bolt: App, door: SlackDoor) -> None:
    cfg = door.config
    bolt.command(cfg.command)(lambda ack, body: on_command(door, ack, body))
    bolt.event("message")(lambda body, event, context: on_message(door, body, event, context))
    bolt.event("reaction_added")(lambda body, event: on_reaction(door, body, event))
    bolt.event("reaction_removed")(lambda: None)  # subscribed with reaction_added; nothing to undo
    bolt.event("app_home_opened")(lambda event: on_home(door, event))
    bolt.shortcut(CAPTURE_SHORTCUT)(lambda ack, body: on_shortcut(door, ack, body))
    bolt.view(CAPTURE_VIEW)(lambda ack, body, view: on_capture_submit(door, ack, body, view))
    bolt.action(re.compile("^" + re.escape(ACTION_PREFIX)))(
        lambda ack, body, action: on_button(door, ack, body, action)
    )
    bolt.view(ANSWER_VIEW)(lambda ack, body, view: on_answer_submit(door, ack, body, view))


def _message(reply: Reply, audience: str) -> Message | None:
    return next((m for m in reply.messages if m.audience == audience), None)


# --- the slash command -------------------------------------------------------------------------------------


def on_command(door: SlackDoor, ack: Ack, body: dict[str, Any]) -> None:
    user, channel = body["user_id"], body["channel_id"]
    direct = channel.startswith("D") or body.get("channel_name") == "directmessage"
    where = Where(user=user, channel=channel, direct=direct, response_url=body.get("response_url"))
    raw = str(body.get("text") or "").strip()
    # A command has no event id; its trigger_id is one per invocation, so a replay changes nothing.
    trigger = body.get("trigger_id")
    event_id = f"command:{trigger}"[:200] if isinstance(trigger, str) and trigger else None

    def job() -> Reply:
        return door.handle(door.request(where, door.inbound(raw, channel) or "help", event_id=event_id))

    reply = door.in_time(job, lambda late: door.poster.deliver(late, where))
    if reply is None:
        ack(text=WORKING)
        return
    mine = _message(reply, ACTOR)
    everyone = _message(reply, CHANNEL)
    r = render(mine) if mine is not None else None
    shared = render(everyone) if everyone is not None else None
    if r is not None and r.blocks:
        # The person's own answer goes back in the ack: ephemeral, and it cannot fail.
        ack(text=r.text, blocks=r.blocks, response_type="ephemeral")
        where.actor_done = True
    elif shared is not None and shared.blocks and not shared.files:
        # A meeting change goes back in the ack for the whole channel, under the command that made it:
        # no Web API call, so no per-channel posting limit in a busy meeting, and no failure to handle.
        ack(text=shared.text, blocks=shared.blocks, response_type="in_channel")
        where.skip = {CHANNEL}
    else:
        ack()
    if any(m.audience not in where.skip for m in reply.messages):
        door.later(door.poster.deliver, reply, where)


# --- messages: thread lines, direct messages, mentions ------------------------------------------------------


def on_message(door: SlackDoor, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
    if event.get("subtype") not in MESSAGE_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return  # edits, deletions, joins, other bots (our own are dropped by Bolt already)
    user, channel, ts = event["user"], event["channel"], event["ts"]
    text = str(event.get("text") or "")
    direct = event.get("channel_type") == "im"
    addressed = direct
    bot = context.get("bot_user_id") if context is not None else None
    if bot and text.lstrip().startswith(f"<@{bot}>"):
        text, addressed = text.lstrip()[len(bot) + 3 :].lstrip(" :,"), True
    if not addressed and not _worth_reading(door, channel, user, text):
        return
    thread = event.get("thread_ts") or (None if direct else ts)
    where = Where(user=user, channel=channel, thread_ts=thread, direct=direct)

    def job() -> Reply:
        req = door.request(
            where,
            door.inbound(text, channel),
            at=ts_time(ts),
            message_id=message_key(channel, ts),
            event_id=body.get("event_id"),
        )
        return door.handle(req)

    def answer(reply: Reply) -> None:
        if addressed or reply.recognised:  # plain chat the core did not take stays unanswered
            door.poster.deliver(reply, where)

    reply = door.in_time(job, answer)
    if reply is not None:
        door.later(answer, reply)


def _worth_reading(door: SlackDoor, channel: str, user: str, text: str) -> bool:
    # In a bound channel, only lines the core may capture ("Action:", "Agreed: …"); other chat is never read.
    if door.core.may_capture(text) and door.core.bound_series(DOOR, channel) is not None:
        return True
    return door.core.has_question(DOOR, channel, user)  # "SMa" answering "who owns this action?"


# --- the emoji ----------------------------------------------------------------------------------------------


def on_reaction(door: SlackDoor, body: dict[str, Any], event: dict[str, Any]) -> None:
    item = event.get("item") or {}
    if event.get("reaction") != door.config.capture_emoji or item.get("type") != "message":
        return
    user, channel, ts = event["user"], item["channel"], item["ts"]
    where = Where(user=user, channel=channel, thread_ts=ts)

    def job() -> Reply:
        message = fetch_message(door, channel, ts)
        if message is None:
            return Reply().say("I couldn't read that message, so nothing was captured.", ERROR, ACTOR)
        where.thread_ts = message.get("thread_ts") or ts
        req = door.request(
            where,
            as_capture(door.inbound(str(message.get("text") or ""), channel)),
            at=ts_time(ts),
            message_id=message_key(channel, ts),
            event_id=body.get("event_id"),
        )
        return door.handle(req)

    reply = door.in_time(job, lambda late: door.poster.deliver(late, where))
    if reply is not None:
        door.later(door.poster.deliver, reply, where)


def fetch_message(door: SlackDoor, channel: str, ts: str) -> dict[str, Any] | None:
    """The text of a reacted-to message: reaction events carry only its channel and ts."""
    try:
        resp = door.client.conversations_replies(channel=channel, ts=ts, oldest=ts, latest=ts, inclusive=True)
    except SlackApiError as e:
        log.warning("conversations.replies %s %s failed: %s", channel, ts, e.response.get("error"))
        return None
    return next((m for m in resp.get("messages") or [] if m.get("ts") == ts), None)


# --- the message shortcut "Capture as action" -------------------------------------------------------------


def on_shortcut(door: SlackDoor, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    user, channel = body["user"]["id"], body["channel"]["id"]
    message = body.get("message") or {}
    ts = str(message.get("ts") or body.get("message_ts"))
    where = Where(user=user, channel=channel, response_url=body.get("response_url"))
    number = door.core.captured_as(DOOR, channel, message_key(channel, ts))
    if number is not None:
        _tell(door, where, f"That message is already Action {number}.")
        return
    text = door.inbound(str(message.get("text") or ""), channel)
    c = door.core.preview_capture(DOOR, channel, as_capture(text), ts_time(ts))
    if c is None:
        keys = ", ".join(door.core.series_keys(DOOR, channel, user))
        _tell(
            door,
            where,
            f"This channel is not bound to a series: `{door.config.command} bind SERIES` first ({keys}).",
        )
        return
    metadata = {"channel": channel, "ts": ts, "thread_ts": message.get("thread_ts"), "series": c.series}
    view = capture_modal(text, c.title if c.is_action else text, c.owners, c.due, metadata)
    try:
        door.client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as e:  # an expired trigger: say so rather than nothing happening
        log.warning("views.open failed: %s", e.response.get("error"))
        _tell(door, where, "Slack took too long to open the form: please try the shortcut again.")


def _tell(door: SlackDoor, where: Where, text: str) -> None:
    door.later(door.poster.deliver, Reply().say(text, audience=ACTOR), where)


def on_capture_submit(door: SlackDoor, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view["state"]["values"]
    title, owners, due = field(values, "title"), field(values, "owners"), field(values, "due")
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Say what is to be done."
    if not owners:
        errors["owners"] = "Who owns it? Initials, names, a group or “all”."
    text = compose_capture(owners, title, due)
    c = door.core.preview_capture(DOOR, meta["channel"], text, ts_time(meta["ts"]))
    if c is None:
        errors["title"] = "This channel is no longer bound to a series."
    if errors or c is None:
        ack(response_action="errors", errors=errors)
        return
    if c.unclear:
        q = c.unclear[0]
        hint = f" Did you mean {' or '.join(q.choices)}?" if q.choices else ""
        errors["owners"] = f"I don't know exactly who “{q.text}” is.{hint}"
    elif not c.has_owners:
        errors["owners"] = "I couldn't read an owner here."
    if due and not c.has_due:
        errors["due"] = f"I can't read “{due}” as a date: try 29/03/24, next meeting or within two weeks."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    user = body["user"]["id"]
    where = Where(user=user, channel=meta["channel"], thread_ts=meta.get("thread_ts") or meta["ts"])
    req = door.request(
        where,
        text,
        at=ts_time(meta["ts"]),
        message_id=message_key(meta["channel"], meta["ts"]),
        event_id=submission_id(view),
    )
    reply = door.in_time(lambda: door.handle(req), lambda late: door.poster.deliver(late, where))
    if reply is not None and is_problem(reply):
        ack(response_action="errors", errors={"owners": _short(error_of(reply))})
        door.core.cancel_question(DOOR, req.channel, user, req.event_id)  # the form shows the problem
        return
    ack()
    if reply is not None:
        door.later(door.poster.deliver, reply, where)


def submission_id(view: dict[str, Any]) -> str:
    """A repeat of the same submission is one; a corrected one (after an error) is new."""
    values = json.dumps(view.get("state", {}).get("values", {}), sort_keys=True)
    return f"view:{view['id']}:{hashlib.sha256(values.encode()).hexdigest()[:16]}"


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- answer buttons (reminders, the Home tab, corrections) ------------------------------------------------


def on_button(door: SlackDoor, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
    ack()
    typed, prompt, label = read_button_value(action["value"])
    user = body["user"]["id"]
    container = body.get("container") or {}
    on_home = container.get("type") == "view"
    channel = None if on_home else container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts")
    block_id = action.get("block_id") or ""
    verb = action["action_id"][len(ACTION_PREFIX) :].split(".")[0]
    where = Where(
        user=user,
        channel=channel,
        thread_ts=container.get("thread_ts") or (body.get("message") or {}).get("thread_ts"),
        direct=bool(channel and channel.startswith("D")),
        response_url=body.get("response_url"),
    )
    if prompt:
        meta = {
            "typed": typed,
            "channel": channel,
            "ts": ts,
            "block_id": block_id,
            "label": label,
            "thread_ts": where.thread_ts,
        }
        try:
            door.client.views_open(
                trigger_id=body["trigger_id"], view=answer_modal(label, prompt, verb, meta)
            )
        except SlackApiError as e:
            log.warning("views.open failed: %s", e.response.get("error"))
            _tell(door, where, "Slack took too long to open the form: please press the button again.")
        return
    event_id = (
        f"act:{ts or container.get('view_id')}:{block_id}:{action['action_id']}:{action.get('action_ts')}"
    )
    req = door.request(where, typed, event_id=event_id)
    blocks = (body.get("message") or {}).get("blocks") or None
    reply = door.in_time(
        lambda: door.handle(req), lambda late: show_answer(door, late, where, ts, block_id, blocks)
    )
    if reply is not None:
        door.later(show_answer, door, reply, where, ts, block_id, blocks)


def show_answer(
    door: SlackDoor,
    reply: Reply,
    where: Where,
    ts: str | None,
    block_id: str,
    blocks: list[dict[str, Any]] | None,
) -> None:
    """The message (or Home tab) now shows what the answer did; the rest goes where it belongs."""
    if not reply.messages:
        return  # a repeat delivery: the first one already answered
    if is_problem(reply):
        door.poster.deliver(reply, where)
        return
    shown = [m for m in reply.messages if m.audience in (ACTOR, CHANNEL)]
    said = " ".join(b.text for m in shown for b in m.blocks if isinstance(b, Text))
    note = f":white_check_mark: <@{where.user}>: {escape(said)}" if said else ""
    if where.channel is None:
        where.skip = {ACTOR, CHANNEL}
        door.poster.deliver(reply, where)
        publish_home(door, where.user, note)
        return
    if ts and note:
        if blocks is None:
            blocks = _blocks_of(door, where.channel, ts)
        if blocks:
            try:
                door.client.chat_update(
                    channel=where.channel, ts=ts, text=said[:1000], blocks=answered(blocks, block_id, note)
                )
                where.skip = {ACTOR, CHANNEL} if where.direct else {ACTOR}
            except SlackApiError as e:
                log.warning("chat.update failed: %s", e.response.get("error"))
    door.poster.deliver(reply, where)


def _blocks_of(door: SlackDoor, channel: str, ts: str) -> list[dict[str, Any]]:
    try:
        resp = door.client.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
        )
    except SlackApiError as e:
        log.warning("conversations.history failed: %s", e.response.get("error"))
        return []
    found = next((m for m in resp.get("messages") or [] if m.get("ts") == ts), None)
    return list(found.get("blocks") or []) if found else []


def on_answer_submit(door: SlackDoor, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    answer = read_answer(view["state"]["values"])
    if not answer:
        ack(response_action="errors", errors={"answer": "Type your answer (or pick a date)."})
        return
    user = body["user"]["id"]
    channel = meta.get("channel")
    where = Where(
        user=user,
        channel=channel,
        thread_ts=meta.get("thread_ts"),
        direct=bool(channel and channel.startswith("D")),
    )
    req = door.request(where, meta["typed"].replace("{text}", answer), event_id=submission_id(view))
    ts, block_id = meta.get("ts"), meta.get("block_id") or ""
    reply = door.in_time(
        lambda: door.handle(req), lambda late: show_answer(door, late, where, ts, block_id, None)
    )
    if reply is not None and is_problem(reply):
        ack(response_action="errors", errors={"answer": _short(error_of(reply))})
        door.core.cancel_question(DOOR, req.channel, user, req.event_id)  # the form shows the problem
        return
    ack()
    if reply is not None:
        door.later(show_answer, door, reply, where, ts, block_id, None)


# --- the Home tab ---------------------------------------------------------------------------------------


def on_home(door: SlackDoor, event: dict[str, Any]) -> None:
    if event.get("tab") == "home":
        door.later(publish_home, door, event["user"], None)


def publish_home(door: SlackDoor, user: str, note: str | None) -> None:
    from bot.slack.home import home_view_for

    door.client.views_publish(user_id=user, view=home_view_for(door, user, note))
