"""What doors rely on in the core: a delivery handled once, identities learnt once, direct conversations."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.app import App
from handlers.context import Request
from storage.doors import conversation, remember_conversation, remember_identity
from storage.models import Action, Decision, Person

AT = datetime(2024, 1, 19, 10, 5, tzinfo=UTC)


def _bind(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-BOARD", "MT", "bind board", AT))


def test_the_same_event_twice_is_handled_once(app: App) -> None:
    _bind(app)
    core = app.core()
    req = Request("shell", "C-BOARD", "PMw", "Action: HN to ring the school by Friday", AT, event_id="Ev0001")
    assert "Action 1" in core.handle(req).plain
    again = core.handle(req)
    assert again.messages == [] and not again.recognised
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == 1


def test_a_failed_command_can_be_delivered_again(app: App) -> None:
    _bind(app)
    core = app.core()
    req = Request("shell", "C-BOARD", "KB", "decision: something", AT, event_id="Ev0002")
    assert "Only the chair" in core.handle(req).plain
    assert "Only the chair" in core.handle(req).plain  # nothing was stored, so the retry is answered too
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 0


def test_learnt_identities_identify_people_on_that_door(app: App) -> None:
    core = app.core()
    stranger = Request("slack", "D1", "U0NEWPERSON", "actions mine", AT)
    assert "I don't know you" in core.handle(stranger).plain
    with app.sessions() as s, s.begin():
        hn = s.scalars(select(Person).where(Person.initials == "HN")).one()
        remember_identity(s, "slack", "U0NEWPERSON", hn.id, "email", AT)
        remember_identity(s, "slack", "U0NEWPERSON", hn.id, "email", AT)  # twice: still one row
    assert "You have no open actions." in core.handle(stranger).plain
    # The file's own ids still work (Samir Malik's slack_id is in the file).
    assert (
        "You have no open actions."
        in core.handle(Request("slack", "D2", "U07SAMIRM1", "actions mine", AT)).plain
    )


def test_direct_conversations_are_remembered_per_door(app: App) -> None:
    with app.sessions() as s, s.begin():
        le = s.scalars(select(Person).where(Person.initials == "LE")).one()
        remember_conversation(
            s, "teams", le.id, "a:1abc", service_url="https://smba.example/uk/", tenant_id="t1", at=AT
        )
        remember_conversation(
            s, "teams", le.id, "a:1xyz", service_url="https://smba.example/uk/", tenant_id="t1", at=AT
        )
    with app.sessions() as s:
        ref = conversation(s, "teams", le.id)
        assert ref is not None and ref.conversation_id == "a:1xyz"
