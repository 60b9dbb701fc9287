"""The Slack door at its edge: signed requests through Bolt's `App.dispatch`, a local fake Web API.

Each test asserts the Web API calls made and the state stored, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from slack_fake import (
    BOARD,
    BOT_USER,
    FORM,
    FakeSlack,
    Harness,
    all_text,
    dm_channel,
    fixture,
    interactive_body,
    signature_headers,
    slash_body,
    text_value,
    uid,
)
from sqlalchemy import func, select

from bot.app import App
from storage.models import Action, ActionOwner, ActionUpdate, DoorIdentity, Meeting, Person, ProcessedEvent

EVERYONE = ("MT", "LE", "PMw", "HN", "RB", "OK", "CG", "BLl", "TR", "DA", "SMi", "GP")


@pytest.fixture
def slack(app: App, fake: FakeSlack) -> Iterator[Harness]:
    h = Harness(app, fake)
    h.know(*EVERYONE)
    yield h
    h.door.close()


def open_meeting(h: Harness) -> None:
    for line in (
        "meeting start board",
        "next meeting Friday 15 March 2024 10:00-12:00 at Westshire House",
        "present MT LE SMa PMw HN RB",
    ):
        assert h.slash("MT", line).status == 200
    h.fake.clear()


def actions(app: App) -> list[Action]:
    with app.sessions() as s:
        return list(s.scalars(select(Action).order_by(Action.number)))


def posts(fake: FakeSlack, channel: str | None = None) -> list[dict[str, Any]]:
    return [c for c in fake.calls("chat.postMessage") if channel is None or c["channel"] == channel]


# --- the slash command ------------------------------------------------------------------------------------


def test_meeting_changes_go_to_the_whole_channel(slack: Harness, fake: FakeSlack, app: App) -> None:
    resp = slack.slash("MT", "meeting start board")
    body = json.loads(resp.body)  # in the ack, under MT's command: no Web API call to fail or throttle
    assert resp.status == 200 and body["response_type"] == "in_channel"
    assert "is open in this channel" in body["text"] and body["blocks"][0]["type"] == "section"
    assert fake.methods() == []
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Meeting).where(Meeting.status == "open")) == 1


def test_replies_for_the_person_only_come_back_ephemeral_in_the_ack(slack: Harness, fake: FakeSlack) -> None:
    resp = slack.slash("MT", "help")
    body = json.loads(resp.body)
    assert body["response_type"] == "ephemeral"
    assert "Commands you can use here" in all_text(body["blocks"])
    assert posts(fake) == []  # nothing in the channel


def test_a_bound_channel_needs_no_series_name(slack: Harness, fake: FakeSlack) -> None:
    slack.slash("RB", "bind board")
    resp = slack.slash("RB", "actions")
    assert "Children's Safeguarding Partnership Board has no open actions" in json.loads(resp.body)["text"]


def test_a_bad_or_stale_signature_gets_401_and_does_nothing(
    slack: Harness, fake: FakeSlack, app: App
) -> None:
    from slack_bolt.request import BoltRequest

    body = slash_body(uid("MT"), BOARD, "meeting start board", fake.response_url())
    forged = {**signature_headers(body, secret="not-the-secret"), "content-type": FORM}
    stale = {**signature_headers(body, timestamp=1_000_000_000), "content-type": FORM}
    for headers in (forged, stale):
        resp = slack.door.bolt.dispatch(BoltRequest(body=body, headers={k: [v] for k, v in headers.items()}))
        assert resp.status == 401
    slack.door.wait_idle()
    assert fake.methods() == []
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Meeting)) == 0


def test_a_person_not_in_the_file_is_told_who_to_ask(slack: Harness, fake: FakeSlack) -> None:
    fake.add_user("U0STRANGER", "someone@elsewhere.example", "Sam Stranger")
    body = slash_body("U0STRANGER", BOARD, "meeting start board", fake.response_url())
    resp = slack.dispatch(body, FORM)
    text = json.loads(resp.body)["text"]
    assert "I don't know you" in text and "Rhian Bowen" in text
    assert fake.calls("users.info")[0]["user"] == "U0STRANGER"


def test_a_slack_profile_email_matches_the_file_once(app: App, fake: FakeSlack) -> None:
    h = Harness(app, fake)  # nobody known yet
    fake.add_user("U0MIRIAM01", "Miriam.Tolley@westshire.example", "Miriam Tolley")
    resp = h.dispatch(slash_body("U0MIRIAM01", BOARD, "meeting start board", fake.response_url()), FORM)
    assert "is open in this channel" in json.loads(resp.body)["text"]
    with app.sessions() as s:
        learnt = s.scalars(select(DoorIdentity)).one()
        assert (learnt.door, learnt.user_key, learnt.matched_by) == ("slack", "U0MIRIAM01", "email")
    h.dispatch(slash_body("U0MIRIAM01", BOARD, "quorum", fake.response_url()), FORM)
    assert len(fake.calls("users.info")) == 1  # the second time the database knows her
    h.door.close()


def test_a_channel_the_bot_is_not_in_gets_an_invite_hint(slack: Harness, fake: FakeSlack, app: App) -> None:
    elsewhere = "C0ELSEWHERE"
    open_meeting(slack)
    slack.slash("MT", "meeting end")
    slack.slash("MT", "bind board", channel=elsewhere)  # slash commands work without the bot there
    fake.fail("files.completeUploadExternal", "not_in_channel")
    slack.slash("RB", "minutes draft", channel=elsewhere, response="hint")
    (told,) = fake.responses()
    assert told["url"].endswith("/hint") and "/invite @partnerbot" in told["text"]
    assert told["response_type"] == "ephemeral"
    assert "Minutes: Children's Safeguarding Partnership Board" in all_text(told["blocks"])
    # The documents reach RB in a direct message instead.
    assert fake.calls("files.completeUploadExternal")[-1]["channel_id"] == dm_channel("RB")


def test_rate_limits_are_retried_after_retry_after(slack: Harness, fake: FakeSlack) -> None:
    open_meeting(slack)
    fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    slack.message("PMw", "Action: HN to write to the three schools by Friday")
    assert fake.statuses("chat.postMessage") == [429, 200]
    assert posts(fake, BOARD)[-1]["text"].startswith("Action 1 — Hannah Noor")


def test_a_slow_command_is_acked_at_once_and_answered_later(
    slack: Harness, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    handle = slack.door.handle

    def slow(req: Any) -> Any:  # as if a PDF were being rendered
        time.sleep(0.3)
        return handle(req)

    monkeypatch.setattr(slack.door, "handle", slow)
    slack.door.ack_budget = 0.05
    resp = slack.slash("MT", "help", response="late")
    assert resp.body == "Working on it…"  # plain text: shown only to the person
    (late,) = fake.responses()
    assert "Commands you can use here" in all_text(late["blocks"])


# --- capture from threads, the emoji and the shortcut -------------------------------------------------


def test_an_action_line_in_a_thread_is_captured_and_answered_in_the_thread(
    slack: Harness, fake: FakeSlack, app: App
) -> None:
    open_meeting(slack)
    ts, _ = slack.message("PMw", "Action: SMa/PMw to invite the performance lead to the next meeting")
    (a,) = actions(app)
    assert (a.number, a.source_door, a.source_channel, a.source_message) == (
        1,
        "slack",
        BOARD,
        f"{BOARD}:{ts}",
    )
    (post,) = posts(fake, BOARD)
    assert post["thread_ts"] == slack.thread_root
    assert post["text"].startswith(
        "Action 1 — Samir Malik, Paul Mawer — due at the next meeting (Fri 15 Mar 2024)"
    )
    assert any(b["type"] == "actions" for b in post["blocks"])  # Change owner / Change date


def test_plain_chat_is_not_read_and_unbound_channels_stay_quiet(
    slack: Harness, fake: FakeSlack, app: App
) -> None:
    open_meeting(slack)
    slack.message("HN", "Thanks all, see you in March")
    slack.message("HN", "Action: HN to write to schools by Friday", channel="C0RANDOM01")
    assert fake.methods() == [] and actions(app) == []


def test_agreements_and_actions_after_a_sentence_are_read_without_a_mention(
    slack: Harness, fake: FakeSlack, app: App
) -> None:
    open_meeting(slack)
    with app.sessions() as s:
        seen = s.scalar(select(func.count()).select_from(ProcessedEvent))
    slack.message("HN", "Thanks all, see you next time")
    with app.sessions() as s:  # not given to the core at all: no delivery recorded, nothing stored
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == seen
    agreed, _ = slack.message("PMw", "The board agreed that HN will write to the three schools by Friday")
    mid, _ = slack.message("PMw", "FD suggested a review. Action: LE to arrange a meeting with the leads")
    with app.sessions() as s:
        stored = s.execute(
            select(Action.number, Action.title, Action.source_message, Person.initials)
            .join(ActionOwner, ActionOwner.action_id == Action.id)
            .join(Person, Person.id == ActionOwner.person_id)
            .order_by(Action.number, ActionOwner.position)
        ).all()
    assert [tuple(row) for row in stored] == [
        (1, "write to the three schools", f"{BOARD}:{agreed}", "HN"),
        (2, "arrange a meeting with the leads", f"{BOARD}:{mid}", "LE"),
    ]
    assert [p["thread_ts"] for p in posts(fake, BOARD)] == [slack.thread_root] * 2


def test_mentioning_the_bot_addresses_it(slack: Harness, fake: FakeSlack) -> None:
    open_meeting(slack)
    slack.message("MT", f"<@{BOT_USER}> quorum", thread_ts=None)
    assert "quorate" in posts(fake, BOARD)[-1]["text"]


def test_retries_and_second_deliveries_never_duplicate(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    event = fixture("message_thread.json")
    event["text"] = "Action: HN to write to the three schools by Friday"
    event["ts"] = event["event_ts"] = slack.next_ts()
    slack.event(event, "Ev0RETRY01")
    slack.event(event, "Ev0RETRY01", **{"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"})
    assert len(actions(app)) == 1 and len(posts(fake)) == 1
    # The same message delivered under another event id (another route): still one action.
    slack.event(event, "Ev0OTHER01")
    assert len(actions(app)) == 1
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) >= 2


def test_a_question_is_answered_in_the_thread(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    slack.message("PMw", "Action: SM to check the police protection figures by Friday")
    assert "matches more than one person" in posts(fake)[-1]["text"]
    assert actions(app) == []
    slack.message("PMw", "SMa")  # plain words, read only because PMw was asked
    (a,) = actions(app)
    assert a.source_message is not None and "check the police protection figures" in a.title


def test_the_capture_emoji_reads_the_message_and_captures_it_once(
    slack: Harness, fake: FakeSlack, app: App
) -> None:
    open_meeting(slack)
    ts = slack.next_ts()
    fake.add_message(
        BOARD, ts, "HN to tell MT why education colleagues are not attending by 29/01/24", uid("PMw")
    )
    reaction = fixture("reaction_added.json")
    reaction["item"]["ts"] = ts
    slack.event(reaction)
    assert fake.calls("conversations.replies")[0]["ts"] == ts
    (a,) = actions(app)
    assert (
        a.source_message == f"{BOARD}:{ts}"
        and a.due_date is not None
        and a.due_date.isoformat() == "2024-01-29"
    )
    slack.event({**reaction, "user": uid("RB"), "event_ts": slack.next_ts()})  # someone else, same emoji
    assert len(actions(app)) == 1
    other = fixture("reaction_added.json") | {"reaction": "thumbsup"}
    slack.event(other)
    assert len(actions(app)) == 1


def test_the_shortcut_opens_a_prefilled_modal_and_captures_on_submit(
    slack: Harness, fake: FakeSlack, app: App
) -> None:
    open_meeting(slack)
    shortcut = fixture("message_action.json")
    shortcut["response_url"] = fake.response_url("shortcut")
    slack.interact(shortcut)
    (opened,) = fake.calls("views.open")
    view = opened["view"]
    values = {
        b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"
    }
    assert values == {
        "title": "tell MT why education colleagues are not attending",
        "owners": "HN",
        "due": "29/01/2024",
    }
    slack.submit("MT", view, {k: text_value(v or "") for k, v in values.items()})
    (a,) = actions(app)
    ts = shortcut["message"]["ts"]
    assert (a.title, a.source_message, a.due_date.isoformat() if a.due_date else None) == (
        "tell MT why education colleagues are not attending",
        f"{BOARD}:{ts}",
        "2024-01-29",
    )
    assert posts(fake, BOARD)[-1]["thread_ts"] == ts
    # The same message through the emoji, or the shortcut again: one action.
    reaction = fixture("reaction_added.json")
    reaction["item"]["ts"] = ts
    fake.add_message(BOARD, ts, shortcut["message"]["text"], uid("PMw"))
    slack.event(reaction)
    slack.interact(shortcut)
    assert len(actions(app)) == 1
    assert "already Action 1" in fake.responses()[-1]["text"]


def test_the_shortcut_modal_refuses_an_ambiguous_owner(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    slack.interact(fixture("message_action.json"))
    view = fake.calls("views.open")[0]["view"]
    values = {"title": text_value("check the figures"), "owners": text_value("SM"), "due": text_value("")}
    resp = slack.submit("MT", view, values)
    body = json.loads(resp.body)
    assert body["response_action"] == "errors" and "SMa or SMi" in body["errors"]["owners"]
    assert actions(app) == []
    slack.message("MT", "Thanks")  # no question was left behind to catch MT's next words
    assert posts(fake) == []


def test_the_shortcut_modal_takes_a_guest_and_asks_about_a_close_name(
    slack: Harness, fake: FakeSlack, app: App
) -> None:
    open_meeting(slack)
    slack.interact(fixture("message_action.json"))
    view = fake.calls("views.open")[0]["view"]
    close = {
        "title": text_value("check the figures"),
        "owners": text_value("Bethan Loyd"),
        "due": text_value(""),
    }
    body = json.loads(slack.submit("MT", view, close).body)
    assert body["response_action"] == "errors" and "Did you mean BLl?" in body["errors"]["owners"]
    assert actions(app) == []
    # Someone not in the partnership file, close to no one: recorded as a guest who owns it.
    guest = {**close, "owners": text_value("Imogen Parry")}
    slack.submit("MT", view, guest)
    (a,) = actions(app)
    with app.sessions() as s:
        (owner,) = s.merge(a).owners
        person = s.get(Person, owner.person_id)
        assert person is not None and person.guest and person.name == "Imogen Parry"


def test_user_text_is_escaped_so_it_pings_nobody(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    slack.message("PMw", "Action: HN to fix &lt;b&gt; tags &amp; tell <!channel> and <!here> by Friday")
    (a,) = actions(app)
    assert a.title == "fix <b> tags & tell @channel and @here"
    post = posts(fake, BOARD)[-1]
    everything = post["text"] + json.dumps(post["blocks"])
    assert "<!channel>" not in everything and "<!here>" not in everything and "<b>" not in everything
    assert "fix &lt;b&gt; tags &amp; tell @channel" in post["text"]


def test_mentions_read_as_the_people_they_name(slack: Harness, app: App) -> None:
    open_meeting(slack)
    slack.message("PMw", f"Action: <@{uid('HN')}> and <@U07SAMIRM1> to meet the schools by Friday")
    (a,) = actions(app)
    with app.sessions() as s:
        owners = sorted(s.merge(a).owners, key=lambda o: o.id)
        assert len(owners) == 2


# --- buttons, modals and the Home tab ----------------------------------------------------------------------


def _reminder(h: Harness, who: str, text: str = "action board 1 done") -> str:
    """Post an action's answers to `who` as the reminder courier does; return the message ts."""
    from bot.slack.courier import SlackCourier
    from handlers.reply import Message
    from scheduler.couriers import Outgoing

    with h.app.sessions() as s:
        from handlers.actions import answer_buttons
        from handlers.reply import Text
        from storage.models import Series

        a = s.scalars(select(Action).where(Action.number == 1)).one()
        series = s.get(Series, a.series_id)
        assert series is not None
        msg = Message([Text(f"Reminder: Board 1 “{a.title}”"), answer_buttons(series, a)])
    roster = h.door.core.roster()
    courier = SlackCourier(h.app.sessions, h.door.client, h.door.partnership_id)
    message_id = courier.send(Outgoing(roster.people[who], "Reminder", msg, "Reminder", 7))
    return message_id.split(":")[1]


def test_a_reminder_button_answers_and_updates_the_message(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    slack.message("PMw", "Action: HN to write to the three schools by Friday")
    ts = _reminder(slack, "HN")
    reminder = posts(fake, uid("HN"))[-1]
    assert reminder["metadata"]["event_payload"] == {"digest_id": 7}
    assert [e["text"]["text"] for e in reminder["blocks"][-1]["elements"]] == [
        "Done",
        "Add update",
        "New date",
        "Not mine",
        "Snooze",
    ]
    assert reminder["blocks"][-1]["elements"][3]["confirm"]["title"]["text"] == "Not yours?"
    fake.clear()
    slack.press("HN", "Done")
    assert actions(app)[0].status == "done"
    (update,) = fake.calls("chat.update")
    assert update["ts"] == ts and update["channel"] == dm_channel("HN")
    note = all_text([b for b in update["blocks"] if b.get("block_id") == "ans:board:1"])
    assert "Board 1 is done" in note
    assert not any(b["type"] == "actions" for b in update["blocks"])
    assert posts(fake) == []  # the answer is in the updated message, not a new one


def test_a_button_pressed_twice_answers_once(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    slack.message("PMw", "Action: HN to write to the three schools by Friday")
    _reminder(slack, "HN")
    ts, message = fake.last_message_to(dm_channel("HN"))
    original = json.loads(json.dumps(message))
    slack.press("HN", "Done")
    fake.state.messages[(dm_channel("HN"), ts)] = original  # Slack redelivers the same click
    payload_before = len(fake.calls("chat.update"))
    from slack_fake import find_button

    block, button = find_button(original["blocks"], "Done")
    click = fixture("block_actions.json")
    click["user"]["id"] = uid("HN")
    click["container"].update({"message_ts": ts, "channel_id": dm_channel("HN")})
    click["message"] = original
    click["actions"] = [{**click["actions"][0], "block_id": block["block_id"], "value": button["value"]}]
    slack.interact(click)
    slack.interact(click)
    assert len(fake.calls("chat.update")) == payload_before + 1  # the repeat changes nothing
    with app.sessions() as s:
        done = s.scalars(select(ActionUpdate).where(ActionUpdate.kind == "done")).all()
        assert len(done) == 1


def test_add_update_opens_a_modal_and_the_answer_is_stored(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    slack.message("PMw", "Action: HN to write to the three schools by Friday")
    ts = _reminder(slack, "HN")
    slack.press("HN", "Add update")
    view = fake.calls("views.open")[-1]["view"]
    assert view["callback_id"] == "pb_answer" and view["title"]["text"] == "Add update"
    for _ in range(2):  # the same submission delivered twice: one update
        slack.submit("HN", view, {"answer": text_value("two schools have replied")}, view_id="V0UPDATE01")
    with app.sessions() as s:
        assert s.scalars(select(ActionUpdate).where(ActionUpdate.kind == "update")).one().text == (
            "two schools have replied"
        )
    update = fake.calls("chat.update")[-1]
    assert update["ts"] == ts and "two schools have replied" in all_text(update["blocks"])


def test_new_date_takes_a_picked_date_and_refuses_nonsense(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    slack.message("PMw", "Action: HN to write to the three schools by Friday")
    _reminder(slack, "HN")
    slack.press("HN", "New date")
    view = fake.calls("views.open")[-1]["view"]
    bad = slack.submit("HN", view, {"answer": text_value("when pigs fly")})
    assert json.loads(bad.body)["response_action"] == "errors"
    picked = {
        "date": {"value": {"type": "datepicker", "selected_date": "2024-02-23"}},
        "answer": text_value(""),
    }
    slack.submit("HN", view, picked)
    assert actions(app)[0].due_date == date(2024, 2, 23)


def test_not_mine_goes_to_the_chair_as_a_direct_message(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    slack.message("PMw", "Action: HN to write to the three schools by Friday")
    _reminder(slack, "HN")
    fake.clear()
    slack.press("HN", "Not mine")
    (to_chair,) = posts(fake, uid("MT"))
    assert "Hannah Noor returned Board 1" in to_chair["text"]


def test_the_home_tab_shows_my_actions_with_their_answers(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    slack.message("PMw", "Action: SMa to send the dashboard to the board by Friday")
    slack.message("PMw", "Action: SMa/PMw to invite the performance lead to the next meeting")
    slack.event(fixture("app_home_opened.json"))
    (published,) = fake.calls("views.publish")
    assert published["user_id"] == "U07SAMIRM1"
    view = published["view"]
    assert view["type"] == "home" and view["blocks"][0]["text"]["text"] == "My actions"
    text = all_text(view["blocks"])
    assert "*Board 1* — send the dashboard to the board" in text and "*Board 2*" in text
    assert sum(b["type"] == "actions" for b in view["blocks"]) == 2
    # Done on the Home tab: stored, and the tab shows the rest and what happened.
    press = fixture("block_actions_home.json")
    block = next(b for b in view["blocks"] if b.get("block_id") == "ans:board:1")
    press["actions"][0]["value"] = block["elements"][0]["value"]
    slack.interact(press)
    assert actions(app)[0].status == "done"
    again = fake.calls("views.publish")[-1]["view"]
    assert "Board 1 is done" in all_text(again["blocks"]) and "*Board 1*" not in all_text(again["blocks"])


def test_the_home_tab_tells_a_stranger_who_to_ask(slack: Harness, fake: FakeSlack) -> None:
    slack.event({**fixture("app_home_opened.json"), "user": "U0STRANGER"})
    view = fake.calls("views.publish")[0]["view"]
    assert "I don't know you" in all_text(view["blocks"])


# --- direct messages, documents, socket mode ---------------------------------------------------------------


def test_a_direct_message_is_a_command(slack: Harness, fake: FakeSlack, app: App) -> None:
    open_meeting(slack)
    slack.message("PMw", "Action: HN to write to the three schools by Friday")
    slack.dm("HN", "done board 1")
    assert actions(app)[0].status == "done"
    assert "Board 1 is done" in posts(fake, dm_channel("HN"))[-1]["text"]
    slack.dm("HN", "what is this")
    assert "I didn't understand" in posts(fake, dm_channel("HN"))[-1]["text"]


def test_documents_are_uploaded_as_files_with_a_short_summary(slack: Harness, fake: FakeSlack) -> None:
    open_meeting(slack)
    slack.slash("MT", "meeting end")
    fake.clear()
    slack.slash("RB", "minutes draft")
    assert [m for m in fake.methods() if m.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    (done,) = fake.calls("files.completeUploadExternal")
    assert done["channel_id"] == BOARD
    assert [f["title"] for f in done["files"]] == ["Minutes (Word)", "Minutes (PDF)"]
    assert done["initial_comment"].startswith("Minutes: Children's Safeguarding Partnership Board")
    assert len(done["initial_comment"]) < 600
    assert all(data[:2] in (b"PK", b"%P") for data in fake.state.uploads.values())
    assert posts(fake, BOARD) == []  # the summary travels with the files


def test_socket_mode_requests_are_handled_without_signatures(
    slack: Harness, fake: FakeSlack, app: App
) -> None:
    from slack_bolt.request import BoltRequest

    open_meeting(slack)
    event = fixture("message_thread.json")
    event["text"] = "Action: RB to book the room for March by Friday"
    event["ts"] = event["event_ts"] = slack.next_ts()
    envelope = fixture("event_callback.json") | {"event_id": "Ev0SOCKET01", "event": event}
    # Bolt copies a Socket Mode envelope's retry_attempt into the same header as HTTP retries.
    for headers in (None, {"x-slack-retry-num": ["1"], "x-slack-retry-reason": ["timeout"]}):
        resp = slack.door.bolt.dispatch(BoltRequest(body=envelope, mode="socket_mode", headers=headers))
        slack.door.wait_idle()
        assert resp.status == 200
    assert len(actions(app)) == 1 and len(posts(fake, BOARD)) == 1
    command = fixture("slash_command.json") | {"user_id": uid("MT"), "text": "quorum"}
    command["response_url"] = fake.response_url()
    resp = slack.door.bolt.dispatch(BoltRequest(body=command, mode="socket_mode"))
    slack.door.wait_idle()
    assert resp.status == 200 and "quorate" in json.loads(resp.body)["text"]


def test_interactive_payloads_need_a_valid_signature_too(slack: Harness, fake: FakeSlack) -> None:
    from slack_bolt.request import BoltRequest

    body = interactive_body(fixture("message_action.json"))
    headers = {**signature_headers(body, secret="wrong"), "content-type": FORM}
    resp = slack.door.bolt.dispatch(BoltRequest(body=body, headers={k: [v] for k, v in headers.items()}))
    assert resp.status == 401
    assert fake.calls("views.open") == []
