"""Reminders as Adaptive Cards in 1:1 chats, answered with Action.Execute buttons.

The card's buttons run the typed answers as the person who pressed them; the invoke's answer
is the redrawn card. The same button pressed twice changes nothing the second time.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE
from sqlalchemy import func, select
from teams_fakes import Harness, aad, card_actions, card_texts

from bot.app import App
from bot.cli import main
from bot.teams.courier import TeamsCourier
from bot.teams.render import CARD_LIMIT, card_size, render
from handlers.reply import Message, Table, Text
from scheduler.policy import load_nudge_settings
from scheduler.sweep import Sweeper, SweepReport
from storage.models import Action, ActionUpdate, Series


@pytest.fixture
def teams(app: App) -> Iterator[Harness]:
    h = Harness(app, graph=False)
    h.know("MT", "SMa", "PMw", "HN", "RB", "OK", "TR")
    for person in ("MT", "HN", "RB", "OK", "SMa", "PMw"):
        h.install(person)
    h.say("MT", "bind board")
    h.say("MT", "meeting start")
    h.say(
        "PMw", "Action: HN to tell MT by Monday the 29th of January 2024 why education colleagues are absent"
    )
    h.say("PMw", "Action: SMa/PMw to invite the performance lead to the next meeting")
    yield h
    h.close()


def sweep(h: Harness, iso: str, **couriers: Any) -> SweepReport:
    settings = load_nudge_settings({})
    found = {"teams": TeamsCourier(h.door), **couriers}
    return Sweeper(h.app.sessions, found, settings, shuffle=False).run(datetime.fromisoformat(iso))


def _reminder(h: Harness, who: str) -> dict[str, Any]:
    cards = h.connector.cards(f"a:1-{aad(who)}")
    assert cards, f"no card for {who}"
    return cards[-1]


def _button(card: dict[str, Any], title: str) -> dict[str, Any]:
    for action in card_actions(card):
        if action.get("title") == title or action["data"].get("verb") == title:
            return action
    raise AssertionError(f"no {title} button in {card_texts(card)}")


def _action(app: App, number: int) -> Action:
    with app.sessions() as s:
        row = s.scalars(select(Action).where(Action.number == number)).one()
        s.expunge(row)
        return row


def _updates(app: App, number: int) -> int:
    with app.sessions() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(ActionUpdate)
                .join(Action, Action.id == ActionUpdate.action_id)
                .where(Action.number == number, ActionUpdate.kind == "update")
            )
            or 0
        )


def test_a_reminder_arrives_as_a_card_and_done_closes_the_action(teams: Harness, app: App) -> None:
    report = sweep(teams, "2024-01-22T09:05:00+00:00")
    assert [(m.initials, m.door) for m in report.sent] == [("HN", "teams")]
    card = _reminder(teams, "HN")
    assert any("Board 1 is due Mon 29 Jan 2024" in t for t in card_texts(card))
    assert {a["data"]["verb"] for a in card_actions(card)} == {
        "done",
        "update",
        "new_date",
        "not_mine",
        "snooze",
    }

    done = _button(card, "Done")
    response = teams.press("HN", done)
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    texts = card_texts(body["value"])
    assert any("done ✓" in t for t in texts), texts
    assert card_actions(body["value"]) == []  # nothing left to answer on this card
    assert _action(app, 1).status == "done"

    again = teams.press("HN", done)  # pressed twice (or on a second device)
    assert "Already recorded" in " ".join(card_texts(again.json()["value"]))
    with app.sessions() as s:
        dones = s.scalar(select(func.count()).select_from(ActionUpdate).where(ActionUpdate.kind == "done"))
    assert dones == 1


def test_add_update_takes_words_and_the_same_words_twice_count_once(teams: Harness, app: App) -> None:
    sweep(teams, "2024-01-22T09:05:00+00:00")
    send = _button(_reminder(teams, "HN"), "update")
    assert send["title"] == "Send" and send["data"]["field"]
    empty = teams.press("HN", send, "")
    assert "Type your answer first" in empty.json()["value"]
    teams.press("HN", send, "two schools have replied")
    teams.press("HN", send, "two schools have replied")
    assert _updates(app, 1) == 1
    response = teams.press("HN", send, "the third school replied too")
    assert _updates(app, 1) == 2
    texts = card_texts(response.json()["value"])
    assert any("due Mon 29 Jan 2024" in t for t in texts)
    assert card_actions(response.json()["value"])  # still open: its answers are still there


def test_not_mine_tells_the_chair_in_her_chat(teams: Harness, app: App) -> None:
    sweep(teams, "2024-03-08T09:00:00+00:00")  # Board 2 is due at the next meeting, unset: no due
    teams.dm("SMa", "not mine 2")
    chair = teams.connector.texts(f"a:1-{aad('MT')}")
    assert any("Samir Malik" in t and "Board 2" in t for t in chair), chair


def test_a_card_never_grows_past_the_teams_limit() -> None:
    rows = tuple((f"Action {i}", "x" * 300, "Fri 9 Feb 2024") for i in range(400))
    message = Message([Text("The tracker " * 50), Table(("Action", "Title", "Due"), rows, "Open actions")])
    rendered = render(message, card_id="c", linker=lambda f: f"https://bot.example/files/{f.filename}")
    assert rendered.is_card and rendered.size <= CARD_LIMIT
    card = rendered.activity.attachments[0].content
    assert card_size(card) <= CARD_LIMIT
    dumped = str(card.model_dump(mode="json", exclude_none=True))
    assert "open-actions.csv" in dumped  # the whole table goes as a file beside the card


def test_long_text_alone_goes_as_a_card_then_a_file() -> None:
    message = Message([Text("A very long minutes draft. " * 4000)])
    rendered = render(message, card_id="c", linker=lambda f: f"https://bot.example/files/{f.filename}")
    assert rendered.is_card and rendered.size <= CARD_LIMIT


# --- the redrawn card offers answers only to whom the core takes them from -------------------------------


def _dm_texts(h: Harness, who: str) -> str:
    return " ".join(h.connector.texts(f"a:1-{aad(who)}"))


def _in(app: App, series: str, number: int) -> tuple[str, list[str]]:
    """An action's status and the kinds of its log entries, as stored."""
    with app.sessions() as s:
        action = s.scalars(
            select(Action).join(Series).where(Series.key == series, Action.number == number)
        ).one()
        kinds = s.scalars(select(ActionUpdate.kind).where(ActionUpdate.action_id == action.id)).all()
        return action.status, list(kinds)


EXPLOITATION_CHAT = "19:meeting_ZXhwbG9pdGF0aW9u@thread.v2"


def test_a_card_offers_no_answers_to_someone_whose_agency_owns_it_outside_the_series(
    teams: Harness, app: App
) -> None:
    # Dev Anand (council) is no member of the Tackling Exploitation Group.
    teams.know("DA")
    teams.install("DA")
    for line in (
        "bind exploitation",
        "meeting start",
        "Action: DA to map the county lines referrals by Monday the 29th of January 2024",
    ):
        teams.say("TR", line, conversation=EXPLOITATION_CHAT)
    sweep(teams, "2024-01-22T09:05:00+00:00")
    card = _reminder(teams, "DA")
    assert any("Exploitation Group 1" in t for t in card_texts(card)), card_texts(card)
    update = _button(card, "update")
    assert update["data"]["refs"] == ["exploitation 1"]

    # Now the council's: its members in the group (SMa, HN) own it, Dev Anand does not.
    teams.say("TR", "action exploitation 1 owner council", conversation=EXPLOITATION_CHAT)
    response = teams.press("DA", update, "twelve referrals mapped")
    redrawn = response.json()["value"]
    texts = card_texts(redrawn)
    # The core refused the answer: to someone outside the series its actions do not exist.
    assert any("There is no action 1 in Tackling Exploitation Group" in t for t in texts), texts
    # Redrawn, the card no longer shows an action of a series he is outside and no longer owns.
    assert not any("map the county lines referrals" in t for t in texts), texts
    assert card_actions(redrawn) == []  # no Done, no update: the core would refuse them too
    assert _in(app, "exploitation", 1) == ("open", ["created", "owner"])

    teams.dm("DA", "exploitation 1 done")  # typed, the same refusal
    assert "There is no action 1 in Tackling Exploitation Group" in _dm_texts(teams, "DA")
    assert _in(app, "exploitation", 1) == ("open", ["created", "owner"])

    # Hannah Noor (council, a member) owns it through her agency: the same button is hers to press.
    mine = teams.press("HN", update, "twelve referrals mapped")
    assert card_actions(mine.json()["value"])  # still open, still hers: its answers stay
    assert _in(app, "exploitation", 1) == ("open", ["created", "owner", "update"])


def test_a_card_offers_no_answers_to_a_group_member_who_has_left(
    teams: Harness, app: App, tmp_path: Path
) -> None:
    teams.know("GP")
    teams.install("GP")
    teams.say("MT", "Action: education to list the schools that replied by Monday the 29th of January 2024")
    sweep(teams, "2024-01-22T09:05:00+00:00")
    card = _reminder(teams, "GP")
    done = _button(card, "Done")
    assert done["data"]["typed"] == "action board 3 done"

    # Gareth Pryce leaves the file: still listed in the group's history, no longer a member.
    text = EXAMPLE.read_text(encoding="utf-8")
    left = (
        "  - {name: Gareth Pryce, initials: GP, agency: council, "
        "title: Head of Education Quality and Safeguarding}\n"
    )
    assert left in text
    text = text.replace(left, "").replace("members: [HN, GP]", "members: [HN]").replace(" GP,", "")
    changed = tmp_path / "westshire.yaml"
    changed.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(["--database", app.settings.database_url, "load", str(changed)], stdout=out, stderr=err) == 0
    ), err.getvalue()

    response = teams.press("GP", done)
    redrawn = response.json()["value"]
    # Someone no longer in the file sees nothing of the series' actions, on the card either.
    assert not any("list the schools" in t for t in card_texts(redrawn)), card_texts(redrawn)
    assert card_actions(redrawn) == []
    assert _action(app, 3).status == "open"
    with app.sessions() as s:
        assert (
            s.scalar(select(func.count()).select_from(ActionUpdate).where(ActionUpdate.kind == "done")) == 0
        )
