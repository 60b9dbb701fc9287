"""The Teams door at its edge: real activity shapes POSTed to /api/messages (authentication off).

Replies are read from the fake Bot Connector; what matters is checked in the database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from starlette.types import Receive, Scope, Send
from teams_fakes import MEETING_CHAT, TEAMS_MEETING, TENANT, Harness, aad, load

from bot.app import App
from bot.teams.app import command_text
from storage.doors import conversation
from storage.models import Action, Attendance, AuditEvent, Binding, Person, ProcessedEvent


@pytest.fixture
def teams(app: App) -> Iterator[Harness]:
    h = Harness(app, graph=False)
    h.know("MT", "SMa", "PMw", "HN", "RB", "TR", "DA", "CG", "BLl", "KB")
    yield h
    h.close()


def _attendance(app: App) -> dict[str, str]:
    with app.sessions() as s:
        return dict(
            s.execute(
                select(Person.initials, Attendance.status).join(Person, Person.id == Attendance.person_id)
            ).all()
        )


def test_a_meeting_chat_command_with_a_mention(teams: Harness, app: App) -> None:
    assert teams.say("MT", "bind board").status_code == 200
    teams.say("MT", "meeting start")
    teams.say("MT", "present MT LE SMa")
    assert _attendance(app) == {"MT": "present", "LE": "present", "SMa": "present"}
    replies = teams.connector.texts(MEETING_CHAT)
    assert any("bound to Children's Safeguarding Partnership Board" in t for t in replies)
    assert any("Present: Miriam Tolley, Lowri Evans, Samir Malik" in t for t in replies)
    assert all("<at>" not in t for t in replies)
    with app.sessions() as s:
        assert s.scalars(select(Binding.channel).where(Binding.door == "teams")).all() == [MEETING_CHAT]


def test_mention_text_is_stripped_and_other_mentions_keep_their_names() -> None:
    from microsoft_teams.api import MessageActivity

    body = load(
        "meeting-message",
        **{
            "id": "1",
            "timestamp": "2024-01-19T10:00:00Z",
            "serviceUrl": "http://127.0.0.1:1",
            "botId": "bot",
            "tenantId": TENANT,
            "aad": "x",
            "userId": "MT",
            "userName": "Miriam Tolley",
            "conversation": MEETING_CHAT,
            "meetingId": TEAMS_MEETING,
            "text": "present <at>Lowri Evans</at> &amp; SMa",
        },
    )
    body["entities"].append(
        {
            "type": "mention",
            "text": "<at>Lowri Evans</at>",
            "mentioned": {"id": "29:le", "name": "Lowri Evans"},
        }
    )
    text, mentioned = command_text(MessageActivity.model_validate(body))
    assert (text, mentioned) == ("present Lowri Evans & SMa", True)


def test_without_a_mention_ordinary_chat_gets_no_answer(teams: Harness, app: App) -> None:
    teams.say("MT", "bind board")
    teams.say("MT", "meeting start")
    before = len(teams.connector.sent)
    # RSC (ChatMessage.Read.Chat) delivers every message; most are conversation, not commands.
    body = load("meeting-message", **teams.values("SMa", text="Thanks all, good to see everyone"))
    body["text"], body["entities"] = "Thanks all, good to see everyone", []
    assert teams.post(body).status_code == 200
    assert len(teams.connector.sent) == before
    # A command works without the mention too.
    body = load("meeting-message", **teams.values("MT", text="present HN"))
    body["text"], body["entities"] = "present HN", []
    teams.post(body)
    assert _attendance(app)["HN"] == "present"
    # Addressed to the bot, an unknown command gets an answer.
    teams.say("SMa", "what are we doing")
    assert "I didn't understand" in teams.connector.texts(MEETING_CHAT)[-1]


def _chat(teams: Harness, initials: str, text: str) -> str:
    """A message in the meeting chat without the bot's mention; its activity id."""
    body = load("meeting-message", **teams.values(initials, text=text))
    body["text"], body["entities"] = text, []
    assert teams.post(body).status_code == 200
    return str(body["id"])


def _handled(app: App) -> set[str]:
    with app.sessions() as s:
        return set(s.scalars(select(ProcessedEvent.event_id).where(ProcessedEvent.door == "teams")))


def test_chat_the_core_would_ignore_is_not_read_but_an_answer_is(teams: Harness, app: App) -> None:
    teams.say("MT", "bind board")
    teams.say("MT", "meeting start")
    sent = len(teams.connector.sent)
    # What gets past the door's guard to the SDK, counted.
    guard = teams.door.endpoint
    sdk, reached = guard.app, []

    async def counted(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope["path"])
        await sdk(scope, receive, send)

    guard.app = counted
    # Neither a command nor a line to capture, from someone with no open question: the guard answers
    # it (200, empty) before the SDK and the core see it (not even its delivery is recorded).
    body = load("meeting-message", **teams.values("SMa", text="x"))
    body["text"], body["entities"] = "Thanks all, can everyone hear me?", []
    answer = teams.post(body)
    assert (answer.status_code, answer.content) == (200, b"")
    assert body["id"] not in _handled(app) and len(teams.connector.sent) == sent and reached == []
    # A message with only an image in it: the same.
    _chat(teams, "SMa", "")
    assert reached == []
    # A line to capture is read, and its question ("Sam": which one?) waits for PMw…
    asked = _chat(teams, "PMw", "Action: Sam to ring the school by Friday")
    assert asked in _handled(app) and len(reached) == 1
    assert "who owns this action?" in teams.connector.texts(MEETING_CHAT)[-1]
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == 0
    # … whose plain answer, no mention and no command, is read as the answer.
    answer_id = _chat(teams, "PMw", "1")
    assert answer_id in _handled(app) and len(reached) == 2
    with app.sessions() as s:
        action = s.scalars(select(Action)).one()
        owner = s.scalars(select(Person.initials).where(Person.id == action.owners[0].person_id)).one()
    assert "ring the school" in action.title and owner == "SMa"


def test_the_same_activity_twice_changes_nothing(teams: Harness, app: App) -> None:
    teams.say("MT", "bind board")
    teams.say("MT", "meeting start")
    body = load("meeting-message", **teams.values("PMw", text="Action: HN to ring the school by Friday"))
    assert teams.post(body).status_code == 200
    sent = len(teams.connector.sent)
    assert teams.post(body).status_code == 200  # Teams redelivers with the same activity id
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == 1
    assert len(teams.connector.sent) == sent


def test_a_one_to_one_message_learns_who_is_writing_by_email(teams: Harness, app: App) -> None:
    # Rhian Bowen has no Teams id in the file; her Teams profile's e-mail matches the file.
    teams.connector.members["29:RBx"] = {
        "id": "29:RBx",
        "name": "Rhian Bowen",
        "aadObjectId": "rb-new-aad",
        "email": "Rhian.Bowen@westshire.example",
        "userPrincipalName": "rhian.bowen@westshire.example",
    }
    body = load("personal-message", **teams.values("RB", text="actions mine", conversation="a:1-rb"))
    body["from"] = {"id": "29:RBx", "name": "Rhian Bowen", "aadObjectId": "rb-new-aad"}
    assert teams.post(body).status_code == 200
    assert "You have no open actions." in teams.connector.texts("a:1-rb")[-1]
    with app.sessions() as s:
        rb = s.scalars(select(Person).where(Person.initials == "RB")).one()
        ref = conversation(s, "teams", rb.id)
        assert ref is not None and ref.conversation_id == "a:1-rb" and ref.service_url == teams.connector.url
        assert ref.tenant_id == TENANT
    # A guest from another tenant: their UPN carries their home address.
    teams.connector.members["29:TRx"] = {
        "id": "29:TRx",
        "name": "Tom Rees (Marcia Police)",
        "aadObjectId": "tr-guest",
        "userPrincipalName": "tom.rees_marcia-police.example#EXT#@westshire.onmicrosoft.com",
    }
    body = load("personal-message", **teams.values("TR", text="actions mine", conversation="a:1-tr"))
    body["from"] = {"id": "29:TRx", "name": "Tom Rees", "aadObjectId": "tr-guest"}
    teams.post(body)
    assert "You have no open actions." in teams.connector.texts("a:1-tr")[-1]


def test_someone_not_in_the_file_is_told_so(teams: Harness) -> None:
    body = load("personal-message", **teams.values("XX", text="actions mine", conversation="a:1-xx"))
    teams.post(body)
    assert "I don't know you" in teams.connector.texts("a:1-xx")[-1]


def test_installing_in_personal_scope_stores_the_chat(teams: Harness, app: App) -> None:
    assert teams.install("HN").status_code == 200
    assert teams.install("HN").status_code == 200  # again (reinstall): still one row
    with app.sessions() as s:
        hn = s.scalars(select(Person).where(Person.initials == "HN")).one()
        ref = conversation(s, "teams", hn.id)
        assert ref is not None
        assert (ref.conversation_id, ref.service_url, ref.tenant_id) == (
            f"a:1-{aad('HN')}",
            teams.connector.url,
            TENANT,
        )
    assert "reminders will come here" in teams.connector.texts(f"a:1-{aad('HN')}")[0]


def test_added_to_a_meeting_chat_says_how_to_bind(teams: Harness) -> None:
    teams.post(load("conversation-update-meeting", **teams.values("MT")))
    assert "bind board" in teams.connector.texts(MEETING_CHAT)[-1]


def test_meeting_events_are_recorded_once(teams: Harness, app: App) -> None:
    teams.say("MT", "bind board")
    start = load("meeting-start", **teams.values("MT"))
    assert teams.post(start).status_code == 200
    assert teams.post(start).status_code == 200  # redelivered
    assert "Type `meeting start`" in teams.connector.texts(MEETING_CHAT)[-1]
    teams.clock = "2024-01-19T10:03:00+00:00"
    teams.post(load("participant-join", **teams.values("LE", role="Attendee")))
    teams.clock = "2024-01-19T11:20:00+00:00"
    teams.post(load("participant-leave", **teams.values("LE", role="Attendee")))
    teams.clock = "2024-01-19T12:00:00+00:00"
    teams.post(load("meeting-end", **teams.values("MT")))
    assert "attendance import" in teams.connector.texts(MEETING_CHAT)[-1]
    with app.sessions() as s:
        events = s.execute(
            select(AuditEvent.entity, AuditEvent.verb)
            .where(AuditEvent.door == "teams")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events if e[0].startswith("teams_")] == [
        ("teams_meeting", "started"),
        ("teams_participant", "joined"),
        ("teams_participant", "left"),
        ("teams_meeting", "ended"),
    ]


def test_a_channel_thread_uses_the_channel_binding(teams: Harness, app: App) -> None:
    channel = "19:board-channel@thread.tacv2"
    body = load("channel-message", **teams.values("MT", text="bind board", conversation=channel))
    body["text"] = "<at>partnerbot</at> bind board"
    body["entities"] = [
        {
            "type": "mention",
            "text": "<at>partnerbot</at>",
            "mentioned": {"id": body["recipient"]["id"], "name": "partnerbot"},
        }
    ]
    teams.post(body)
    body = load("channel-message", **teams.values("MT", text="actions", conversation=channel))
    teams.post(body)
    with app.sessions() as s:
        assert s.scalars(select(Binding.channel)).all() == [channel]
    assert "no open actions" in teams.connector.texts()[-1].lower()


def test_the_meeting_organiser_runs_chair_commands_if_in_the_series(teams: Harness, app: App) -> None:
    teams.say("MT", "bind board")
    teams.say("MT", "meeting start")
    teams.connector.roles[aad("HN")] = "Organizer"  # HN is a member, not on the chair team
    teams.say("HN", "present LE")
    assert _attendance(app).get("LE") == "present"
    teams.connector.roles[aad("KB")] = "Presenter"  # a member, but not the organiser
    teams.say("KB", "present SMa")
    assert "SMa" not in _attendance(app)
    teams.connector.roles[aad("NF")] = "Organizer"
    teams.know("NF")  # in the file, but not a member of the exploitation group
    teams.say("MT", "unbind")
    teams.say("MT", "bind exploitation")
    teams.say("TR", "meeting start")
    teams.say("NF", "present CG")
    with app.sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(Attendance).where(Attendance.status == "present")) == 1
        )


def test_a_throttled_reply_is_retried(teams: Harness) -> None:
    teams.connector.fail(r"/v3/conversations/19:meeting_.*/activities", 429, times=2, Retry_After="2")
    teams.say("MT", "help")
    # Each 429 is waited out for the Retry-After it gave (longer than the jitter), then the reply is sent.
    assert teams.sleeps == [2.0, 2.0]
    posts = [c for c in teams.connector.calls if c.method == "POST" and c.path.endswith("/activities")]
    assert len(posts) == 3
    (reply,) = teams.connector.texts(MEETING_CHAT)
    assert "Commands you can use here:" in reply


def test_an_installation_update_stores_the_chat_too(teams: Harness, app: App) -> None:
    body = load("installation-update", **teams.values("SMa", conversation="a:1-sma-install"))
    assert teams.post(body).status_code == 200
    with app.sessions() as s:
        sma = s.scalars(select(Person).where(Person.initials == "SMa")).one()
        ref = conversation(s, "teams", sma.id)
        assert ref is not None and ref.conversation_id == "a:1-sma-install"


def test_someone_unknown_in_a_meeting_chat_is_matched_before_their_command_runs(
    teams: Harness, app: App
) -> None:
    teams.say("MT", "bind board")
    teams.say("MT", "meeting start")

    def looked_up() -> int:
        return sum("/members/" in c.path for c in teams.connector.calls)

    teams.say("MT", "quorum")  # known (learnt earlier): nobody's profile is asked for
    assert looked_up() == 0
    # Rhian Bowen writes from a Teams account nobody has seen; her profile's e-mail is in the file.
    teams.connector.members["29:RBx"] = {
        "id": "29:RBx",
        "name": "Rhian Bowen",
        "aadObjectId": "rb-second-aad",
        "email": "rhian.bowen@westshire.example",
    }
    for text in ("Action: HN to ring the school by Friday", "Action: GP to send the audit"):
        body = load("meeting-message", **teams.values("RB", text=text))
        body["from"] = {"id": "29:RBx", "name": "Rhian Bowen", "aadObjectId": "rb-second-aad"}
        assert teams.post(body).status_code == 200
        assert looked_up() == 1  # the first time only: then the account is hers
    with app.sessions() as s:
        rb = s.scalars(select(Person.id).where(Person.initials == "RB")).one()
        assert s.scalars(select(Action.created_by).order_by(Action.number)).all() == [rb, rb]
