"""Which series is this conversation, and is a question open here? One repository each.

`storage/bindings.py` and `storage/questions.py` are the only code that reads or writes these
tables; the core uses them and doors ask the core (`bound_series`, `has_question`,
`cancel_question`). Checked on the stored rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import App
from handlers.context import Request
from storage import bindings, questions
from storage.models import AuditEvent, Binding, PendingQuestion, Series

AT = datetime(2024, 1, 19, 10, 5, tzinfo=UTC)


def _bindings(app: App) -> list[tuple[str, str, str]]:
    with app.sessions() as s:
        return [
            (door, channel, key)
            for door, channel, key in s.execute(
                select(Binding.door, Binding.channel, Series.key)
                .join(Series, Series.id == Binding.series_id)
                .order_by(Binding.id)
            )
        ]


def _questions(app: App) -> list[tuple[str, str, str, str]]:
    with app.sessions() as s:
        return [
            (door, channel, asker, before)
            for door, channel, asker, before in s.execute(
                select(
                    PendingQuestion.door,
                    PendingQuestion.channel,
                    PendingQuestion.asker,
                    PendingQuestion.before,
                ).order_by(PendingQuestion.id)
            )
        ]


def _series_id(app: App, key: str) -> int:
    with app.sessions() as s:
        return int(s.scalars(select(Series.id).where(Series.key == key)).one())


# --- bindings ----------------------------------------------------------------------------------------------


def test_binding_rebinding_and_unbinding_through_the_core(app: App) -> None:
    core = app.core()
    assert core.bound_series("shell", "C-ONE") is None
    core.handle(Request("shell", "C-ONE", "MT", "bind board", AT))
    bound = core.bound_series("shell", "C-ONE")
    assert bound is not None and (bound.key, bound.meeting_open) == ("board", False)
    assert core.bound_series("slack", "C-ONE") is None  # a binding is per door and conversation
    core.handle(Request("shell", "C-ONE", "MT", "meeting start", AT))
    bound = core.bound_series("shell", "C-ONE")
    assert bound is not None and bound.meeting_open
    core.handle(Request("shell", "C-ONE", "MT", "meeting end", AT + timedelta(hours=1)))
    core.handle(Request("shell", "C-ONE", "RB", "bind executive", AT + timedelta(hours=2)))
    assert _bindings(app) == [("shell", "C-ONE", "executive")]  # replaced, not added
    with app.sessions() as s:
        bound_events = s.execute(
            select(AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.entity == "binding", AuditEvent.verb == "bound")
            .order_by(AuditEvent.id)
        ).all()
    assert [(b, a["series"]) for b, a in bound_events] == [
        (None, "board"),
        ({"series": "board"}, "executive"),
    ]
    core.handle(Request("shell", "C-ONE", "RB", "unbind", AT + timedelta(hours=3)))
    assert _bindings(app) == [] and core.bound_series("shell", "C-ONE") is None


def test_a_meeting_starts_only_in_the_series_the_channel_is_bound_to(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-ONE", "MT", "bind board", AT))
    said = core.handle(Request("shell", "C-ONE", "RB", "meeting start executive", AT)).plain
    assert "bound to Children's Safeguarding Partnership Board" in said
    assert _bindings(app) == [("shell", "C-ONE", "board")]


def test_the_bindings_repository(app: App) -> None:
    board, executive = _series_id(app, "board"), _series_id(app, "executive")
    with app.sessions() as s, s.begin():
        bindings.bind(s, "slack", "C1", board, None, AT)
        bindings.bind(s, "teams", "19:chat", board, None, AT)
        bindings.bind(s, "slack", "C2", executive, None, AT)
        bindings.bind(s, "slack", "C1", executive, None, AT)  # rebinding replaces
    with app.sessions() as s:
        found = bindings.bound_series(s, "slack", "C1")
        assert found is not None and found.key == "executive"
        assert bindings.bound_series(s, "teams", "C1") is None
        assert bindings.doors_of(s, [board, executive]) == {board: ["teams"], executive: ["slack"]}
    with app.sessions() as s, s.begin():
        assert bindings.unbind(s, "slack", "C1") and not bindings.unbind(s, "slack", "C1")
    assert _bindings(app) == [("teams", "19:chat", "board"), ("slack", "C2", "executive")]


# --- open questions ----------------------------------------------------------------------------------------


def test_a_question_is_stored_until_answered_or_cancelled(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-ONE", "MT", "bind board", AT))
    ask = Request("shell", "C-ONE", "PMw", "Action: SM to check the police figures by Friday", AT)
    assert "Nothing is stored until you answer" in core.handle(ask).plain
    assert _questions(app) == [("shell", "C-ONE", "PMw", "Action: ")]
    assert core.has_question("shell", "C-ONE", "PMw")
    assert not core.has_question("shell", "C-ONE", "MT") and not core.has_question("shell", "C-TWO", "PMw")
    # Asked again: a second question queues behind the first, nothing replaced.
    core.handle(ask)
    assert len(_questions(app)) == 2
    # A door cancels the question a message just asked: the newest, the first stays.
    core.cancel_question("shell", "C-ONE", "PMw")
    assert len(_questions(app)) == 1 and core.has_question("shell", "C-ONE", "PMw")
    core.cancel_question("shell", "C-ONE", "PMw")
    assert _questions(app) == [] and not core.has_question("shell", "C-ONE", "PMw")
    # Answered: the question goes and the original message is completed.
    core.handle(ask)
    assert "Action 1 — Samir Malik" in core.handle(Request("shell", "C-ONE", "PMw", "SMa", AT)).plain
    assert _questions(app) == []


def test_a_door_cancels_only_what_its_own_message_asked(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-ONE", "MT", "bind board", AT))
    core.handle(Request("shell", "C-ONE", "PMw", "Action: SM to check the figures", AT))
    form = Request("shell", "C-ONE", "PMw", "Action: TW to ring the school", AT, event_id="view:1")
    assert "I don't know “TW”" in core.handle(form).plain
    assert len(_questions(app)) == 2
    core.cancel_question("shell", "C-ONE", "PMw", event_id="view:1")
    assert _questions(app) == [("shell", "C-ONE", "PMw", "Action: ")]
    core.cancel_question("shell", "C-ONE", "PMw", event_id="view:2")  # asked nothing: nothing dropped
    assert len(_questions(app)) == 1


def test_the_end_of_a_meeting_drops_the_questions_in_its_channel_only(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-ONE", "MT", "meeting start board", AT))
    core.handle(Request("shell", "C-ONE", "PMw", "Action: SM to check the figures", AT))
    core.handle(Request("shell", "C-ONE", "HN", "Action: SM to ring the school", AT))
    core.handle(Request("shell", "C-TWO", "RB", "bind executive", AT))
    core.handle(Request("shell", "C-TWO", "RB", "Action: SM to write the report", AT))
    assert len(_questions(app)) == 3
    said = core.handle(Request("shell", "C-ONE", "MT", "meeting end", AT + timedelta(minutes=10))).plain
    assert [(c, a) for _, c, a, _ in _questions(app)] == [("C-TWO", "RB")]
    # What was dropped is said, message by message.
    assert "2 questions were still open and are now dropped" in said
    assert "Paul Mawer: “SM” — not recorded: all of `Action: SM to check the figures`" in said
    assert "Hannah Noor: “SM” — not recorded: all of `Action: SM to ring the school`" in said


def test_the_questions_repository(app: App) -> None:
    def ask(s: Session, channel: str, asker: str, before: str, position: int | None = None) -> None:
        questions.ask(
            s,
            door="slack",
            channel=channel,
            asker=asker,
            before=before,
            after=" to do it",
            kind="owner",
            choices=["SMa", "SMi"],
            sent_at=AT,
            message_id=None,
            expires_at=AT + timedelta(minutes=15),
            batch=before.strip(),
            position=position,
        )

    with app.sessions() as s, s.begin():
        ask(s, "C1", "U1", "first ")
        ask(s, "C1", "U1", "second ")  # queues behind U1's first question in C1
        ask(s, "C1", "U1", "follow-up ", position=0)  # a follow-up takes the front
        ask(s, "C1", "U2", "other ")
        ask(s, "C2", "U1", "elsewhere ")
    with app.sessions() as s:
        queued = [q.before for q in questions.queue(s, "slack", "C1", "U1")]
        assert queued == ["follow-up ", "first ", "second "]
        q = questions.open_question(s, "slack", "C1", "U1")
        assert q is not None and (q.before, q.choices) == ("follow-up ", ["SMa", "SMi"])
        assert questions.has_question(s, "slack", "C2", "U1") and not questions.has_question(
            s, "teams", "C1", "U1"
        )
    with app.sessions() as s, s.begin():
        assert [q.before for q in questions.drop_batch(s, "slack", "C1", "U1", "first")] == ["first "]
        # The newest is the one asked last, wherever it stands in the queue.
        assert [q.before for q in questions.drop_newest_batch(s, "slack", "C1", "U1")] == ["follow-up "]
        questions.drop(s, "slack", "C1", "U2")
        dropped = questions.drop_all_in(s, "slack", "C1")
        assert [q.before for q in dropped] == ["second "]
        later = AT + timedelta(minutes=20)
        assert [q.before for q in questions.drop_expired(s, "slack", "C2", "U1", later)] == ["elsewhere "]
    assert _questions(app) == []
