"""The Slack door's scenarios again, through HTTP mode's route (bot/slack/http_mode.py).

There Bolt's `dispatch` runs on a core thread and the listener's core work runs in that same
thread, while the event loop keeps the ack budget (bot/slack/turn.py). The door's scenarios
below are the ones of tests/test_slack_door.py (commands, events and their retries, the
shortcut's modal, buttons, a slow command), each posted as signed HTTP with Slack's payload
shapes; then what only this route does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_fake import (
    BOARD,
    FORM,
    FakeSlack,
    Harness,
    all_text,
    fixture,
    interactive_body,
    slash_body,
    text_value,
)
from sqlalchemy import func, select
from test_slack_door import (  # noqa: F401  (collected here, with this module's `slack`)
    EVERYONE,
    open_meeting,
    test_a_bound_channel_needs_no_series_name,
    test_a_button_pressed_twice_answers_once,
    test_a_person_not_in_the_file_is_told_who_to_ask,
    test_a_question_is_answered_in_the_thread,
    test_a_reminder_button_answers_and_updates_the_message,
    test_a_slow_command_is_acked_at_once_and_answered_later,
    test_add_update_opens_a_modal_and_the_answer_is_stored,
    test_meeting_changes_go_to_the_whole_channel,
    test_new_date_takes_a_picked_date_and_refuses_nonsense,
    test_replies_for_the_person_only_come_back_ephemeral_in_the_ack,
    test_retries_and_second_deliveries_never_duplicate,
    test_the_home_tab_shows_my_actions_with_their_answers,
    test_the_shortcut_modal_refuses_an_ambiguous_owner,
    test_the_shortcut_opens_a_prefilled_modal_and_captures_on_submit,
)

from bot.app import App
from storage.models import Action, Meeting


@pytest.fixture
def slack(app: App, fake: FakeSlack) -> Iterator[Harness]:
    h = Harness(app, fake, via_http=True)
    h.know(*EVERYONE)
    yield h
    h.door.close()


def test_bolt_and_the_core_run_in_one_core_thread(slack: Harness, fake: FakeSlack, app: App) -> None:
    seen: list[str] = []
    handle = slack.door.handle

    def watched(req: Any) -> Any:
        seen.append(threading.current_thread().name)
        return handle(req)

    slack.door.handle = watched  # type: ignore[method-assign]
    original = slack.door.bolt.dispatch

    def dispatch(req: Any) -> Any:
        seen.append(threading.current_thread().name)
        return original(req)

    slack.door.bolt.dispatch = dispatch  # type: ignore[method-assign]
    resp = slack.slash("MT", "meeting start board")
    assert resp.status == 200 and json.loads(resp.body)["response_type"] == "in_channel"
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0].startswith("slack-core")
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Meeting)) == 1


def test_a_slow_change_is_acked_then_stored_and_told_to_the_channel(
    slack: Harness, fake: FakeSlack, app: App
) -> None:
    handle = slack.door.handle

    def slow(req: Any) -> Any:  # a core held up (a PDF being made, a busy database)
        time.sleep(0.3)
        return handle(req)

    slack.door.handle = slow  # type: ignore[method-assign]
    slack.door.ack_budget = 0.05
    resp = slack.slash("MT", "meeting start board", response="late")
    assert resp.status == 200 and resp.body == "Working on it…"
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Meeting)) == 1
    # The late answer to a meeting change goes to the whole channel, as a fast one would in the ack.
    told = [c for c in fake.calls("chat.postMessage") if c["channel"] == BOARD]
    assert told and "is open in this channel" in all_text(told[0]["blocks"])


def test_a_slow_modal_submission_is_acked_and_the_action_captured(
    slack: Harness, fake: FakeSlack, app: App
) -> None:
    open_meeting(slack)
    slack.interact(fixture("message_action.json"))
    view = fake.calls("views.open")[0]["view"]
    handle = slack.door.handle

    def slow(req: Any) -> Any:
        time.sleep(0.3)
        return handle(req)

    slack.door.handle = slow  # type: ignore[method-assign]
    slack.door.ack_budget = 0.05
    values = {"title": text_value("check the figures"), "owners": text_value("HN"), "due": text_value("")}
    resp = slack.submit("MT", view, values)
    assert resp.status == 200 and resp.body == ""  # the modal closes; the answer follows in the thread
    with app.sessions() as s:
        (action,) = s.scalars(select(Action)).all()
        assert action.title == "check the figures"
    assert any(c["text"].startswith("Action 1") for c in fake.calls("chat.postMessage"))


def test_a_stranger_is_looked_up_once_then_known_without_asking(app: App, fake: FakeSlack) -> None:
    h = Harness(app, fake, via_http=True)  # nobody known yet
    try:
        fake.add_user("U0MIRIAM01", "Miriam.Tolley@westshire.example", "Miriam Tolley")
        resp = h.dispatch(slash_body("U0MIRIAM01", BOARD, "meeting start board", fake.response_url()), FORM)
        assert "is open in this channel" in json.loads(resp.body)["text"]
        reads: list[str] = []
        who = h.door.core.who

        def counted(*args: Any, **kwargs: Any) -> Any:
            reads.append(args[1])
            return who(*args, **kwargs)

        h.door.core.who = counted  # type: ignore[method-assign]
        for _ in range(3):
            resp = h.dispatch(slash_body("U0MIRIAM01", BOARD, "quorum", fake.response_url()), FORM)
            assert resp.status == 200 and "quorate" in json.loads(resp.body)["text"]
        assert reads == [] and len(fake.calls("users.info")) == 1
    finally:
        h.door.close()


def test_an_interaction_with_a_bad_signature_reaches_no_listener(slack: Harness, fake: FakeSlack) -> None:
    body = interactive_body(fixture("message_action.json"))
    resp = slack._post(
        body, {"content-type": FORM, "x-slack-signature": "v0=00", "x-slack-request-timestamp": "1"}
    )
    assert resp.status == 401 and fake.calls("views.open") == []


def test_the_web_server_runs_on_uvloop_and_httptools() -> None:
    """Both are dependencies: the one event loop and uvicorn's parser are the fast ones."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from bot import runtime
    from bot.web import _protocol

    assert type(runtime.loop()).__module__.startswith("uvloop")
    assert issubclass(_protocol(10.0), HttpToolsProtocol)


def test_without_process_before_response_a_command_is_still_answered_in_the_ack(
    app: App, fake: FakeSlack
) -> None:
    h = Harness(app, fake, via_http=True, process_before_response=False, threads=1)
    try:
        h.know("MT")
        resp = h.slash("MT", "meeting start board")
        assert resp.status == 200 and "is open in this channel" in json.loads(resp.body)["text"]
        with app.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Meeting)) == 1
    finally:
        h.door.close()
