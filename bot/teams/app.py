"""The Teams door: the Teams SDK app around the core, its HTTP endpoint, and proactive sends.

One activity, one core call:
- A message (meeting chat, channel, 1:1): the bot's own mention is stripped, other mentions
  become the names they show, and the text goes to `Core.handle` in a worker thread (the core
  is synchronous; the event loop never waits on the database). The activity id is the
  request's event id, so a redelivered activity changes nothing. Not a command and not
  addressed to the bot (RSC delivers every message of the chat): the bot stays quiet.
- A card button (`adaptiveCard/action`, Action.Execute): its typed form runs as a command of
  the person who pressed it; the answer redraws the card. The same press twice (same card,
  button and words) is one event, so it changes nothing the second time.
- The bot installed in someone's personal scope (conversationUpdate / installationUpdate):
  their 1:1 conversation id and service URL are stored for reminders.
- Meeting start/end and participants joining/leaving: noted in the audit trail (attendance
  import reads them), with a hint in the chat.

Identity: the core says who a Teams user is (the file's `teams_id` first, then an identity
learnt earlier); the first time someone unknown writes, the e-mail or UPN of their Teams
profile is given to the core to match to the file. A meeting's organiser (from the meeting
participant API) may run chair commands if they are in the series.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi import Request as HttpRequest
from fastapi.responses import FileResponse, JSONResponse, Response

# Taken from the SDK subpackages that list them in a literal __all__: the top package builds its
# __all__ at run time, which a type checker cannot follow. They are the same classes.
from microsoft_teams.api import Account, ConversationUpdateActivity
from microsoft_teams.api.activities.event import (
    MeetingEndEventActivity,
    MeetingParticipantJoinEventActivity,
    MeetingParticipantLeaveEventActivity,
    MeetingStartEventActivity,
)
from microsoft_teams.api.activities.install_update import InstalledActivity
from microsoft_teams.api.activities.invoke import AdaptiveCardInvokeActivity
from microsoft_teams.api.activities.message import MessageActivity, MessageActivityInput
from microsoft_teams.api.clients.conversation import CreateConversationParams
from microsoft_teams.api.models.adaptive_card.adaptive_card_action_response import (
    AdaptiveCardActionCardResponse,
    AdaptiveCardActionMessageResponse,
)
from microsoft_teams.apps import ActivityContext, FastAPIAdapter
from microsoft_teams.apps import App as SdkApp

from bot.teams import store
from bot.teams.attendance import fetch_report, report_from_events
from bot.teams.calendar import has_invite
from bot.teams.config import GraphSettings, TeamsSettings
from bot.teams.files import FileStore
from bot.teams.guard import ActivityGuard, TokenCheck
from bot.teams.render import ACTION_TAG, answered_card, render
from bot.teams.retry import RetryLater, status_of, with_retries
from handlers import registry
from handlers.attendance_report import AttendanceReport, NoReport
from handlers.context import Request
from handlers.core import database_away, not_saved
from handlers.identity import Who
from handlers.reply import ACTOR, OK, PERSON, File, Message, Reply, Text
from scheduler.couriers import DeliveryFailed, Unreachable

if TYPE_CHECKING:
    from bot.app import App
    from bot.teams.graph import Graph
    from handlers.core import BoundSeries

log = logging.getLogger("partnerbot.teams")

DOOR = "teams"
UNKNOWN_TTL = 120.0  # an unknown user's profile is looked up again after this
ORGANISER_TTL = 3600.0
_THREAD = re.compile(r";messageid=\d+$")
_TAGS = re.compile(r"<(?:/?(?:p|div|span|b|i|strong|em|u|s|br|br/))[^>]*>", re.I)


def base_conversation(conversation_id: str) -> str:
    """A channel thread's id without `;messageid=…`: the binding is per channel."""
    return _THREAD.sub("", conversation_id)


def command_text(activity: MessageActivity) -> tuple[str, bool]:
    """(the text as a command, whether the bot was @mentioned). Other mentions keep their names."""
    text = activity.text or ""
    mentioned = False
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "mention":
            continue
        account = getattr(entity, "mentioned", None)
        tag = getattr(entity, "text", None) or (
            f"<at>{account.name}</at>" if account and account.name else ""
        )
        if not tag:
            continue
        if account is not None and account.id == bot_id:
            mentioned = True
            text = text.replace(tag, " ")
        else:
            text = text.replace(tag, tag.replace("<at>", "").replace("</at>", ""))
    text = re.sub(r"<br\s*/?>|</p>|</div>", "\n", text, flags=re.I)
    text = html.unescape(_TAGS.sub("", text)).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip(), mentioned


def _now() -> datetime:
    return datetime.now(UTC)


def _at(activity: Any) -> datetime:
    stamp = getattr(activity, "timestamp", None)
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return _now()


def _error_code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    try:
        body = response.json() if response is not None else {}
    except Exception:
        return ""
    err = body.get("error") if isinstance(body, dict) else None
    return str(err.get("code", "")) if isinstance(err, dict) else ""


class TeamsDoor:
    """The Teams SDK app around the core, for one partnership."""

    def __init__(
        self,
        app: App,
        settings: TeamsSettings,
        graph_settings: GraphSettings | None = None,
        *,
        partnership: str | None = None,
        token: Callable[..., Any] | None = None,
        graph: Graph | None = None,
    ) -> None:
        from microsoft_teams.api.auth.cloud_environment import from_name, with_overrides

        from bot.teams.telemetry import quiet_telemetry

        quiet_telemetry()  # before the SDK asks for its first meter
        self.app = app
        self.settings = settings
        self.graph_settings = graph_settings or GraphSettings()
        # Every loaded partnership: a chat's binding decides which answers (handlers/router.py).
        self.core = app.router(partnership)
        self.partnership_id = self.core.partnership_id  # the home one, when nothing else decides
        self.sessions = app.sessions
        self._graph = graph
        self.files = FileStore.for_settings(
            settings.files_dir, settings.public_url, settings.password, settings.file_link_days
        )
        cloud = from_name(settings.cloud)
        overrides = {
            k: v
            for k, v in (
                ("openid_metadata_url", settings.openid_metadata_url),
                ("token_issuer", settings.token_issuer),
            )
            if v
        }
        if overrides:
            cloud = with_overrides(cloud, **overrides)
        self.web = FastAPI(title="partnerbot Teams door", docs_url=None, redoc_url=None, openapi_url=None)
        options: dict[str, Any] = {
            "client_id": settings.app_id,
            "tenant_id": settings.tenant_id,
            "http_server_adapter": FastAPIAdapter(app=self.web),
            "messaging_endpoint": settings.endpoint,
            # Always explicit, so the SDK's environment variable can never switch authentication off.
            "dangerously_allow_unauthenticated_requests": bool(settings.allow_unauthenticated),
            "service_url": settings.service_url,
            "cloud": cloud,
            "state": False,
            "telemetry": {"agent365": False},
        }
        if token is not None:
            options["token"] = token
        elif settings.password:
            options["client_secret"] = settings.password
        self.sdk = SdkApp(**options)
        # The endpoint as the web server mounts it: our own checks of body and token, then the SDK.
        tokens = (
            None
            if settings.allow_unauthenticated
            else TokenCheck(settings.app_id or "", cloud.token_issuer, cloud.openid_metadata_url)
        )
        self.endpoint = ActivityGuard(self.web, settings.endpoint, tokens, quiet=self.quiet)
        self.ready = False
        self.sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep  # tests make the back-off instant
        self._tried: dict[str, float] = {}  # AAD id → until when an unmatched profile is not fetched again
        self._organiser: dict[tuple[str, str], tuple[float, bool]] = {}
        self._meeting_info: dict[str, tuple[str | None, str | None, str | None, str | None]] = {}
        self._conversations: dict[int, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._register()

    # --- set-up --------------------------------------------------------------------------------------

    def graph(self) -> Graph | None:
        if self._graph is None and self.graph_settings.enabled:
            from bot.teams.graph import Graph

            self._graph = Graph(self.graph_settings)
        return self._graph

    async def initialize(self) -> None:
        if not self.ready:
            await self.sdk.initialize()
            self.ready = True

    def _register(self) -> None:
        web, sdk = self.web, self.sdk

        @web.get("/healthz")
        async def healthz() -> Response:
            return JSONResponse({"ok": self.ready}, status_code=200 if self.ready else 503)

        # Read from the request, not declared as typed parameters: FastAPI would build a pydantic
        # field for each, importing pydantic.v1 to check them (about 40 ms of `serve`'s start-up).
        @web.get("/files/{token}/{name}")
        async def file(request: HttpRequest) -> Response:
            token, name = request.path_params["token"], request.path_params["name"]
            exp, sig = request.query_params.get("exp", ""), request.query_params.get("sig", "")
            try:
                expires = int(exp) if exp.isascii() else 0
            except ValueError:  # not a number: no link has it
                expires = 0
            path = self.files.open(token, name, expires, sig)
            if path is None:
                return JSONResponse({"error": "not found or expired"}, status_code=404)
            return FileResponse(path, filename=name)

        sdk.on_message(self.on_message)
        sdk.on_card_action_execute(ACTION_TAG)(self.on_card)
        sdk.on_conversation_update(self.on_conversation_update)
        sdk.on_install_add(self.on_install)
        sdk.on_meeting_start(self.on_meeting_start)
        sdk.on_meeting_end(self.on_meeting_end)
        sdk.on_meeting_participant_join(self.on_participant_join)
        sdk.on_meeting_participant_leave(self.on_participant_leave)

        @sdk.event("error")
        async def on_error(event: Any) -> None:
            log.error("Teams activity failed: %s", getattr(event, "error", event))

    async def _thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args))

    async def _send(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        return await with_retries(call, what=what, budget=self.settings.retry_seconds, sleep=self.sleep)

    # --- who is writing --------------------------------------------------------------------------------

    async def identify(self, ctx: ActivityContext[Any]) -> Who | None:
        """The person behind the activity, as the core says; matched by their Teams profile the first time."""
        activity = ctx.activity
        aad = activity.from_.aad_object_id if activity.from_ else None
        if not aad:
            return None
        # Asked each time, not cached: a change of someone's Teams id in the file counts at once.
        found: Who | None = await self._thread(self.core.who, DOOR, aad)
        if found is not None or not self._may_learn(aad):
            return found
        return await self._learn(ctx, aad)

    def _may_learn(self, aad: str) -> bool:
        return self._tried.get(aad, 0.0) <= time.monotonic()

    async def _learn(self, ctx: ActivityContext[Any], aad: str) -> Who | None:
        """Someone the core does not know: the e-mail or UPN of their Teams profile, matched to the file."""
        activity = ctx.activity
        try:
            member = await self._send(
                "Teams member",
                lambda: ctx.api.conversations.members(base_conversation(activity.conversation.id)).get(
                    activity.from_.id
                ),
            )
            emails = store.addresses(
                getattr(member, "email", None), getattr(member, "user_principal_name", None)
            )
        except Exception as e:  # no profile (e.g. a federated user): they stay unknown for now
            log.info("no Teams profile for %s: %s", aad, e)
            emails = []
        found: Who | None = await self._thread(self.core.learn_identity, DOOR, aad, emails, _at(activity))
        if found is None:
            self._tried[aad] = time.monotonic() + UNKNOWN_TTL
        return found

    def _known_then(
        self, aad: str, direct: bool, req: Request | None
    ) -> tuple[bool, Who | None, Reply | None]:
        """In a worker thread, one hop for a message: who is writing, then the command (`req`).

        (learn first?, who, reply). Someone the file or an earlier match already gives is found in
        one prebuilt statement (`Router.known`); the full rule (`who`) is asked only in a 1:1 chat,
        where the conversation is remembered by person, or when that statement cannot say. Still
        unknown, and not tried lately: nothing runs, the door matches their profile first.
        """
        who: Who | None = None
        if direct or not self.core.known(DOOR, aad):
            who = self.core.who(DOOR, aad)
            if who is None and self._may_learn(aad):
                return True, None, None
        return False, who, self.core.handle(req) if req is not None else None

    async def is_organiser(self, ctx: ActivityContext[Any]) -> bool:
        """Whether the sender organises the Teams meeting of this chat (meeting participant API)."""
        activity = ctx.activity
        meeting = activity.channel_data.meeting if activity.channel_data else None
        aad = activity.from_.aad_object_id if activity.from_ else None
        tenant = (
            activity.conversation.tenant_id if activity.conversation else None
        ) or self.settings.tenant_id
        if meeting is None or not meeting.id or not aad:
            return False
        key = (meeting.id, aad)
        cached = self._organiser.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            participant = await self._send(
                "meeting participant", lambda: ctx.api.meetings.get_participant(meeting.id, aad, tenant or "")
            )
            role = participant.meeting.role if participant and participant.meeting else None
            answer = (role or "").lower() == "organizer"
            ttl = ORGANISER_TTL
        except Exception as e:  # no RSC consent, or the API is away: no organiser rights this time
            log.info("meeting participant lookup failed: %s", e)
            answer, ttl = False, 120.0
        self._organiser[key] = (time.monotonic() + ttl, answer)
        return answer

    async def meeting_details(
        self, ctx: ActivityContext[Any], teams_meeting_id: str
    ) -> tuple[str | None, ...]:
        """(Graph online meeting id, organiser object id, join URL, title) of a Teams meeting, cached."""
        if teams_meeting_id in self._meeting_info:
            return self._meeting_info[teams_meeting_id]
        try:
            info = await self._send("meeting details", lambda: ctx.api.meetings.get_by_id(teams_meeting_id))
        except Exception as e:
            log.info("meeting details for %s failed: %s", teams_meeting_id[:24], e)
            return (None, None, None, None)
        details = info.details
        found = (
            details.ms_graph_resource_id if details else None,
            info.organizer.aad_object_id if info.organizer else None,
            details.join_url if details else None,
            details.title if details else None,
        )
        self._meeting_info[teams_meeting_id] = found
        return found

    # --- messages ----------------------------------------------------------------------------------------

    async def on_message(self, ctx: ActivityContext[MessageActivity]) -> None:
        activity = ctx.activity
        text, mentioned = command_text(activity)
        if not activity.from_ or not activity.from_.aad_object_id:
            return
        kind = activity.conversation.conversation_type or "personal"
        direct = kind == "personal"
        if not text:
            if not (mentioned or direct):
                return
            text = "help"  # addressed with nothing else (as Slack's bare `/pb`): say what it can do
        found = registry.match(text)
        channel = base_conversation(activity.conversation.id)
        aad = activity.from_.aad_object_id
        spec = found[0] if found else None
        organiser = spec is not None and spec.perm == registry.Perm.CHAIR_TEAM and not direct
        report = spec is not None and spec.needs_attendance_report
        req = Request(
            door=DOOR,
            channel=channel,
            user=aad,
            text=text,
            at=_at(activity),
            direct=direct,
            message_id=activity.id,
            event_id=activity.id,
            addressed=mentioned or direct,
        )
        try:
            # Who is writing and the command in one hop, unless the command needs Teams asked first
            # (the organiser, the attendance report): then who is writing is asked before that.
            learn, who, reply = await self._thread(
                self._known_then, aad, direct, None if organiser or report else req
            )
            if learn:
                who = await self._learn(ctx, aad)
        except Exception as e:  # the database away: the core's own answer, not a failed request
            if not database_away(e):
                raise
            if mentioned or direct:
                await self.deliver(ctx, not_saved(e), direct=direct)
            return
        if direct and who is not None:
            await self._remember_chat(who.person_id, activity)
        if reply is None:
            extra: dict[str, Any] = {}
            if organiser:
                extra["meeting_organiser"] = await self.is_organiser(ctx)
            if report:
                extra["attendance_report"] = await self.fetch_attendance(ctx)
            reply = await self._thread(self.core.handle, replace(req, **extra))
        if not reply.recognised and not (mentioned or direct):
            return  # ordinary conversation in the chat: stay quiet
        await self.deliver(ctx, reply, direct=direct)
        if self.graph_settings.create_events and has_invite(reply):
            self._spawn(self.calendar_event(ctx, reply))

    async def quiet(self, activity: Any) -> bool:
        """A message in a group chat or channel that nobody addressed to the bot and the core would
        not read: no command, no line the core may capture ("Action: …", an in-memory test), and
        no answer to a question the writer has open here. The guard answers it without the SDK,
        a transaction or a profile lookup; in a meeting chat it is most of what arrives."""
        if not isinstance(activity, MessageActivity) or not activity.from_:
            return False
        aad = activity.from_.aad_object_id
        if not aad or (activity.conversation.conversation_type or "personal") == "personal":
            return False
        text, mentioned = command_text(activity)
        if mentioned:
            return False
        if not text:
            return True  # an image or a card alone
        if registry.match(text) is not None or self.core.may_capture(text):
            return False
        try:
            channel = base_conversation(activity.conversation.id)
            asked = await self._thread(self.core.has_question, DOOR, channel, aad)
        except Exception as e:  # the database away: let the activity through, where the core says so
            if not database_away(e):
                raise
            return False
        return not asked

    async def deliver(self, ctx: ActivityContext[Any], reply: Reply, *, direct: bool) -> None:
        """Send a reply: to the conversation (the actor's part too: Teams has no ephemeral), or 1:1."""
        mention = None if direct else Account(id=ctx.activity.from_.id, name=ctx.activity.from_.name)
        for n, message in enumerate(reply.messages):
            if not message.blocks:
                continue
            if message.audience == PERSON:
                await self._tell(message, reply.partnership_id)
                continue
            draw = partial(
                render,
                message,
                card_id=f"{ctx.activity.id}-{n}",
                linker=self.files.publish,
                mention=mention if message.audience == ACTOR else None,
            )
            # Files are written to disk for their links: off the event loop.
            rendered = (
                await self._thread(draw) if any(isinstance(b, File) for b in message.blocks) else draw()
            )
            try:
                await self._send("Teams reply", partial(ctx.send, rendered.activity))
            except Exception as e:
                log.warning("reply to %s failed: %s", ctx.activity.conversation.id[:40], e)

    async def _tell(self, message: Message, partnership: str | None) -> None:
        """A direct message the core asked for (e.g. "not mine" to the chair), in the partnership that
        answered."""
        if not message.person:
            return
        who: Who | None = await self._thread(self.core.person, message.person, partnership)
        if who is None:
            return
        try:
            await self.send_to_person(who.person_id, message, card_id=f"p{who.person_id}-{int(time.time())}")
        except (Unreachable, DeliveryFailed) as e:
            log.info("could not tell %s in Teams: %s", message.person, e)

    async def _remember_chat(self, person_id: int, activity: Any) -> None:
        conversation_id = activity.conversation.id
        if self._conversations.get(person_id) == conversation_id:
            return
        tenant = activity.conversation.tenant_id or (
            activity.channel_data.tenant.id
            if activity.channel_data and activity.channel_data.tenant
            else None
        )
        await self._thread(
            store.save_conversation,
            self.sessions,
            person_id,
            conversation_id,
            activity.service_url,
            tenant,
            _at(activity),
        )
        self._conversations[person_id] = conversation_id

    # --- card buttons ------------------------------------------------------------------------------------

    async def on_card(self, ctx: ActivityContext[AdaptiveCardInvokeActivity]) -> Any:
        activity = ctx.activity
        data = dict(activity.value.action.data or {})
        typed = str(data.get("typed") or "")
        field = data.get("field")
        words = str(data.get(str(field), "") if field else "").strip()
        if not typed or (field and not words):
            return AdaptiveCardActionMessageResponse(value="Type your answer first, then press Send.")
        text = typed.replace("{text}", words)
        who = await self.identify(ctx)
        kind = activity.conversation.conversation_type or "personal"
        direct = kind == "personal"
        if direct and who is not None:
            await self._remember_chat(who.person_id, activity)
        card = str(data.get("card") or activity.reply_to_id or "")
        # One press of one button with the same words is one event, however often it arrives.
        key = hashlib.sha256(f"{card}|{activity.from_.aad_object_id}|{text}".encode()).hexdigest()[:40]
        payload = data.get("payload") or {}
        extra: dict[str, Any] = {}
        if not direct:
            extra["meeting_organiser"] = await self.is_organiser(ctx)
        req = Request(
            door=DOOR,
            channel=base_conversation(activity.conversation.id),
            user=activity.from_.aad_object_id or "",
            text=text,
            at=_at(activity),
            direct=direct,
            series_hint=payload.get("series") if isinstance(payload, dict) else None,
            event_id=f"card:{key}",
            **extra,
        )
        reply = await self._thread(self.core.handle, req)
        for message in reply.messages:
            if message.audience == PERSON:
                await self._tell(message, reply.partnership_id)
        answer = [b for m in reply.messages if m.audience != PERSON for b in m.blocks if isinstance(b, Text)]
        if not reply.messages and not reply.recognised:
            answer = [Text("Already recorded: nothing changed.", OK)]
        refs = [str(r) for r in data.get("refs") or [] if isinstance(r, str)]
        if not refs:
            return AdaptiveCardActionMessageResponse(
                value="\n".join(t.text for t in answer)[:1000] or "Done."
            )
        states = await self._thread(
            self.core.action_states,
            DOOR,
            activity.from_.aad_object_id or "",
            refs,
            _at(activity),
            reply.partnership_id,
        )
        return AdaptiveCardActionCardResponse(value=answered_card(answer, states, card))

    # --- installs and conversations ---------------------------------------------------------------------

    async def on_conversation_update(self, ctx: ActivityContext[ConversationUpdateActivity]) -> None:
        activity = ctx.activity
        added = activity.members_added or []
        bot_added = any(m.id == (activity.recipient.id if activity.recipient else None) for m in added)
        kind = activity.conversation.conversation_type or "personal"
        if kind == "personal":
            await self._personal_install(ctx, greet=bot_added)
        elif bot_added:
            await self._say(
                ctx,
                "Hello. Bind this chat to its meeting series once with `bind SERIES` "
                "(e.g. `bind board`); then the chair's commands work here. Type `help` for them.",
            )

    async def on_install(self, ctx: ActivityContext[InstalledActivity]) -> None:
        if (ctx.activity.conversation.conversation_type or "personal") == "personal":
            await self._personal_install(ctx, greet=False)

    async def _personal_install(self, ctx: ActivityContext[Any], *, greet: bool) -> None:
        who = await self.identify(ctx)
        if who is None:
            if greet:
                await self._say(
                    ctx,
                    "Hello. I don't find you in the partnership file yet, so I can't send you "
                    "reminders here. Ask the business unit to add your e-mail address.",
                )
            return
        self._conversations.pop(who.person_id, None)
        await self._remember_chat(who.person_id, ctx.activity)
        if greet:
            await self._say(
                ctx,
                "Hello. Your action reminders will come here, with buttons to answer them. "
                "Type `actions mine` to see your open actions, or `help`.",
            )

    # --- meetings ------------------------------------------------------------------------------------

    def _meeting_id(self, activity: Any) -> str | None:
        value = getattr(activity, "value", None)
        mid = getattr(value, "id", None)
        meeting = activity.channel_data.meeting if activity.channel_data else None
        return mid or (meeting.id if meeting else None)

    async def _bound(self, ctx: ActivityContext[Any]) -> BoundSeries | None:
        chat = base_conversation(ctx.activity.conversation.id)
        bound: BoundSeries | None = await self._thread(self.core.bound_series, DOOR, chat)
        return bound

    async def _meeting_event(
        self, ctx: ActivityContext[Any], verb: str, details: dict[str, Any], bound: BoundSeries | None
    ) -> bool:
        activity = ctx.activity
        mid = self._meeting_id(activity)
        if not mid:
            return False
        event_id = activity.id or f"{verb}:{mid}:{details.get('aad_id', '')}:{_at(activity).isoformat()}"
        return bool(
            await self._thread(
                lambda: self.core.record_platform_event(
                    bound.partnership_id if bound is not None else None,
                    DOOR,
                    event_id=f"meeting:{event_id}",
                    verb=verb,
                    chat=base_conversation(activity.conversation.id),
                    series_id=bound.id if bound is not None else None,
                    platform_id=mid,
                    at=_at(activity),
                    details=details,
                )
            )
        )

    async def _event_details(self, ctx: ActivityContext[Any]) -> dict[str, Any]:
        """What a meeting start or end event tells us, with the Graph id and organiser looked up."""
        value = ctx.activity.value
        graph_id, organiser, _join, _title = await self.meeting_details(ctx, value.id)
        return {
            "join_url": value.join_url,
            "title": value.title,
            "graph_id": graph_id,
            "organiser": organiser,
        }

    async def on_meeting_start(self, ctx: ActivityContext[MeetingStartEventActivity]) -> None:
        details = await self._event_details(ctx)
        series = await self._bound(ctx)
        if not await self._meeting_event(ctx, "started", details, series) or series is None:
            return
        if not series.meeting_open:
            await self._say(
                ctx,
                "The Teams meeting has started. Type `meeting start` to open the "
                f"{series.name} meeting here.",
            )

    async def on_meeting_end(self, ctx: ActivityContext[MeetingEndEventActivity]) -> None:
        details = await self._event_details(ctx)
        series = await self._bound(ctx)
        if not await self._meeting_event(ctx, "ended", details, series):
            return
        if series is not None:
            await self._say(
                ctx,
                "The Teams meeting has ended. `attendance import` proposes the attendance from Teams "
                "for the chair to confirm (the report takes a few minutes to appear).",
            )

    async def _participants(self, ctx: ActivityContext[Any], verb: str) -> None:
        series = await self._bound(ctx)
        for member in ctx.activity.value.members or []:
            user = member.user
            await self._meeting_event(
                ctx,
                verb,
                {
                    "aad_id": user.aad_object_id or user.id,
                    "name": user.name,
                    "role": member.meeting.role if member.meeting else None,
                },
                series,
            )

    async def on_participant_join(self, ctx: ActivityContext[MeetingParticipantJoinEventActivity]) -> None:
        await self._participants(ctx, "joined")

    async def on_participant_leave(self, ctx: ActivityContext[MeetingParticipantLeaveEventActivity]) -> None:
        await self._participants(ctx, "left")

    async def _say(self, ctx: ActivityContext[Any], text: str) -> None:
        try:
            await self._send("Teams message", lambda: ctx.send(MessageActivityInput(text=text)))
        except Exception as e:
            log.info("could not post in %s: %s", ctx.activity.conversation.id[:40], e)

    # --- attendance from Teams ---------------------------------------------------------------------------

    async def fetch_attendance(self, ctx: ActivityContext[Any]) -> AttendanceReport | NoReport:
        """The attendance report of this chat's Teams meeting: from Graph, else from the events seen."""
        activity = ctx.activity
        chat = base_conversation(activity.conversation.id)
        meeting = activity.channel_data.meeting if activity.channel_data else None
        bound = await self._bound(ctx)
        pid = bound.partnership_id if bound is not None else None
        seen = await self._thread(lambda: self.core.platform_meetings(pid, DOOR, chat=chat))
        teams_meeting_id = meeting.id if meeting and meeting.id else (seen[0].platform_id if seen else None)
        if teams_meeting_id is None:
            return NoReport(
                "I haven't seen a Teams meeting in this chat, so there is no attendance to import."
            )
        graph = self.graph()
        if graph is None:
            events = await self._thread(self.core.participant_events, pid, DOOR, teams_meeting_id)
            if not events:
                return NoReport("Microsoft Graph is not set up, and I saw nobody join or leave this meeting.")
            return report_from_events(events)
        graph_id, organiser, _join, _title = await self.meeting_details(ctx, teams_meeting_id)
        known = next((m for m in seen if m.platform_id == teams_meeting_id), None)
        graph_id = graph_id or (known.graph_id if known else None)
        organiser = organiser or (known.organiser if known else None) or self.graph_settings.organiser
        if not graph_id or not organiser:
            return NoReport("Teams did not tell me this meeting's Graph id or organiser.")
        return await fetch_report(graph, organiser, graph_id)

    # --- proactive --------------------------------------------------------------------------------------

    async def send_to_person(self, person_id: int, message: Message, *, card_id: str) -> str:
        """A 1:1 message (a reminder card): to the stored chat, else a new 1:1 chat; raises Unreachable."""
        conv = await self._thread(store.conversation_of, self.sessions, person_id)
        if conv is None:
            conv = await self._open_chat(person_id)
        rendered = await self._thread(partial(render, message, card_id=card_id, linker=self.files.publish))
        try:
            sent = await self._send(
                "Teams proactive message",
                lambda: self.sdk.send(conv.conversation_id, rendered.activity, service_url=conv.service_url),
            )
        except RetryLater as e:
            raise DeliveryFailed(str(e)) from e
        except Exception as e:
            status = status_of(e)
            if status in (403, 404):
                # 403 BotNotInConversationRoster: a guest, or the app is not installed for them.
                raise Unreachable(f"Teams {status} {_error_code(e) or 'forbidden'}".strip()) from e
            raise DeliveryFailed(f"Teams {status or type(e).__name__}: {e}") from e
        return str(sent.id)

    async def _open_chat(self, person_id: int) -> store.Conversation:
        ids = await self._thread(self.core.door_keys, DOOR, person_id)
        if not ids:
            raise Unreachable("no Teams id and no 1:1 chat with the bot")
        tenant = self.settings.tenant_id
        params = CreateConversationParams(
            members=[Account(id=ids[0])],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )
        try:
            created = await self._send("Teams 1:1 chat", lambda: self.sdk.api.conversations.create(params))
        except RetryLater as e:
            raise DeliveryFailed(str(e)) from e
        except Exception as e:
            status = status_of(e)
            if status in (400, 403, 404):
                raise Unreachable(f"Teams {status} {_error_code(e)}: cannot open a 1:1 chat".strip()) from e
            raise DeliveryFailed(f"Teams {status or type(e).__name__}: {e}") from e
        conv = store.Conversation(created.id, self.settings.service_url, tenant)
        await self._thread(
            store.save_conversation, self.sessions, person_id, created.id, conv.service_url, tenant, _now()
        )
        return conv

    # --- the next meeting in the organiser's calendar --------------------------------------------------

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def calendar_event(self, ctx: ActivityContext[Any], reply: Reply) -> None:
        """After an agenda pack: the meeting as a Teams meeting in the organiser's calendar (per change)."""
        from bot.teams.calendar import event_from_reply
        from handlers.calendar_events import CalendarEvent

        graph = self.graph()
        invite = event_from_reply(reply)
        if graph is None or invite is None:
            return
        pid = reply.partnership_id or self.partnership_id
        prior = await self._thread(self.core.calendar_event, pid, DOOR, invite.uid)
        if prior is not None and prior.sequence == invite.sequence:
            return  # already in the calendar as it stands
        try:
            event_id, join_url = await graph.upsert_event(
                subject=invite.summary,
                start=invite.start,
                end=invite.end,
                location=invite.location,
                attendees=invite.attendees,
                body=invite.description,
                transaction_id=f"{invite.uid}-{invite.sequence}"[:100],
                event_id=prior.event_id if prior else None,
            )
        except Exception as e:
            log.warning("calendar event for %s failed: %s", invite.uid, e)
            await self._say(ctx, f"I could not put the meeting in the organiser's calendar: {e}")
            return
        recorded = CalendarEvent(DOOR, invite.uid, invite.sequence, event_id, join_url, invite.meeting_id)
        await self._thread(self.core.record_calendar_event, pid, recorded, _now())
        where = f": {join_url}" if join_url else "."
        await self._say(
            ctx, f"The meeting is in {self.graph_settings.organiser}'s calendar as a Teams meeting{where}"
        )


__all__ = ["TeamsDoor", "base_conversation", "command_text"]
