"""Owners answering about their actions in a direct message, the way they ask: more time, not
theirs (with who they think it is for), and what is due this week. Checked on the stored tracker."""

from __future__ import annotations

from datetime import date

from conftest import Chat
from sqlalchemy import select

from storage.models import Action, ActionOwner, ActionUpdate, Person


def _raise(chat: Chat) -> None:
    chat.at("2024-03-04T10:00:00+00:00")  # a Monday
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE TR SMa")
    chat.say("PMw", "Action: LE to circulate the revised protocol by 8/3/24")
    chat.say("PMw", "Action: LE to book the venue for the conference by 29/3/24")
    chat.say("PMw", "Action: TR to confirm the police lead by 20/3/24")
    chat.at("2024-03-04T12:00:00+00:00")
    chat.say("MT", "meeting end")


def _due(chat: Chat) -> dict[int, date | None]:
    with chat.app.sessions() as s:
        return {a.number: a.due_date for a in s.scalars(select(Action).order_by(Action.number))}


def test_more_time_asked_for_moves_the_date(chat: Chat) -> None:
    _raise(chat)
    chat.at("2024-03-05T09:00:00+00:00")
    before = _due(chat)
    # No date given, or only "please": asked which, nothing changed.
    for typed in ("can I have more time on action 1?", "more time for action 1 please"):
        said = chat.dm("LE", typed)
        assert "Which date should action 1 move to?" in said and "Nothing changed" in said
    assert _due(chat) == before
    assert "now due Fri 15 Mar 2024" in chat.dm("LE", "can I have more time on 1? 15/3/24")
    assert "now due Tue 30 Apr 2024" in chat.dm("LE", "extend action 2 to 30/4/24")
    assert "is not yours" in chat.dm("LE", "push back action 3 to 30/4/24")
    assert _due(chat) == {1: date(2024, 3, 15), 2: date(2024, 4, 30), 3: date(2024, 3, 20)}


def test_not_mine_with_who_it_is_for(chat: Chat) -> None:
    _raise(chat)
    chat.at("2024-03-05T09:00:00+00:00")
    said = chat.dm("TR", "not mine - action 3 belongs to Chloe Grant")
    assert "goes back to the chair" in said and "you suggest Chloe Grant" in said
    with chat.app.sessions() as s:
        tr = s.scalars(select(Person.id).where(Person.initials == "TR")).one()
        owner = s.scalars(select(ActionOwner).where(ActionOwner.person_id == tr)).one()
        logged = s.scalars(select(ActionUpdate).where(ActionUpdate.kind == "not_mine")).one()
    assert owner.removed_reason == "not_mine" and owner.removed_at is not None
    assert logged.text == "suggested Chloe Grant"


def test_what_is_due_this_week(chat: Chat) -> None:
    _raise(chat)
    chat.at("2024-03-05T09:00:00+00:00")
    said = chat.dm("LE", "what's due this week?")
    assert "Your actions due by Sun 10 Mar 2024 (1)" in said
    assert "circulate the revised protocol" in said and "book the venue" not in said
    said = chat.dm("LE", "what's due this month?")
    assert "due by Sun 31 Mar 2024 (2)" in said and "book the venue" in said
    said = chat.dm("TR", "what's due today?")
    assert "Nothing of yours is due by Tue 5 Mar 2024: you have 1 open action" in said


def test_done_with_thanks_and_yes_done(chat: Chat) -> None:
    _raise(chat)
    chat.at("2024-03-05T09:00:00+00:00")
    assert "is done" in chat.dm("LE", "1 done, thanks")
    assert "is done" in chat.dm("TR", "yes, done")  # TR's one action, owned by name
    with chat.app.sessions() as s:
        status = {a.number: a.status for a in s.scalars(select(Action))}
    assert status == {1: "done", 2: "open", 3: "done"}
    # A courtesy is dropped only to find a command: a note keeps its thanks.
    chat.at("2024-03-15T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "note: thanks to SMa for the report")
    from storage.models import Note

    with chat.app.sessions() as s:
        assert list(s.scalars(select(Note.text))) == ["thanks to SMa for the report"]


def test_a_greeting_to_the_bot_answers_with_help_and_overheard_it_is_quiet(chat: Chat) -> None:
    from handlers.context import Request

    for said in ("hi", "help me", "what can you do?"):
        assert "Commands you can use here" in chat.dm("LE", said)
    for overheard in ("hi", "Hello!", "what can you do?"):
        reply = chat.core.handle(Request("shell", "shell", "LE", overheard, chat.now, addressed=False))
        assert not reply.recognised and reply.plain == ""
    # `help` asked in the channel is answered as before.
    reply = chat.core.handle(Request("shell", "shell", "LE", "help", chat.now, addressed=False))
    assert "Commands you can use here" in reply.plain


def test_done_with_a_number_and_what_actions_do_i_have(chat: Chat) -> None:
    _raise(chat)
    chat.at("2024-03-05T09:00:00+00:00")
    said = chat.dm("LE", "done with 1 - circulated it this morning")
    assert "Board 1 is done" in said
    for asked in ("what actions do I have?", "which actions are mine?"):
        listing = chat.dm("LE", asked)
        assert "Your open actions (1)" in listing and "book the venue" in listing
    with chat.app.sessions() as s:
        status = dict(s.execute(select(Action.number, Action.status)).tuples().all())
        said_on_1 = list(
            s.scalars(
                select(ActionUpdate.text)
                .join(Action, Action.id == ActionUpdate.action_id)
                .where(Action.number == 1, ActionUpdate.kind == "done")
            )
        )
    assert status == {1: "done", 2: "open", 3: "open"}
    assert said_on_1 == ["circulated it this morning"]  # what they said with it, on its log
