"""The one web server of `serve`: Slack's HTTP mode, Teams and /health on one uvicorn, with its limits.

Real sockets on loopback: signed Slack requests, Teams activities (authentication off), raw
connections that dawdle. What the doors did is read from the database and the fakes.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from slack_fake import BOARD, FORM, FakeSlack, fixture, signature_headers, slash_body, uid
from sqlalchemy import func, select
from teams_fakes import MEETING_CHAT, Harness, load
from web_helpers import SMALL, Both, Running, web_server

from bot.app import App
from bot.teams.loading import LoadingDoor
from storage.models import Action, Binding, Meeting


@pytest.fixture
def both(app: App, fake: FakeSlack) -> Iterator[Both]:
    b = Both(app, fake, max_body=SMALL)
    yield b
    b.close()


def _bindings(app: App) -> list[tuple[str, str]]:
    with app.sessions() as s:
        return sorted((door, channel) for door, channel in s.execute(select(Binding.door, Binding.channel)))


def test_one_server_serves_slack_teams_and_health(both: Both, fake: FakeSlack, app: App) -> None:
    fake.add_user(uid("RB"), "rhian.bowen@westshire.example", "Rhian Bowen")  # matched by e-mail
    response = both.slack_post("bind board", user="RB")
    assert response.status_code == 200, response.text
    assert both.teams.say("MT", "bind board").status_code == 200
    both.slack_door.wait_idle()
    assert _bindings(app) == [("slack", BOARD), ("teams", MEETING_CHAT)]

    # An event, then Slack's retry of it (the same event id): one action, one answer.
    event = fixture("message_thread.json") | {
        "user": "U07SAMIRM1",
        "text": "Action: SMa to ring the schools by Friday",
    }
    payload = json.dumps(fixture("event_callback.json") | {"event": event, "event_id": "Ev0HTTP0001"})
    for retry in ({}, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}):
        headers = {"Content-Type": "application/json", **signature_headers(payload), **retry}
        assert both.http.post("/slack/events", content=payload, headers=headers).status_code == 200
    both.slack_door.wait_idle()
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == 1
    assert len([c for c in fake.calls("chat.postMessage") if c["channel"] == BOARD]) == 1

    # Bolt still checks every Slack request: a wrong signature is refused and changes nothing.
    bad = both.slack_post("meeting start board", **signature_headers("forged", secret="guess"))
    assert bad.status_code == 401
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Meeting)) == 0

    health = both.http.get("/health")
    assert health.status_code == 200
    assert {k: v for k, v in health.json().items() if k != "up_seconds"} == {
        "ok": True,
        "slack": {"ok": True, "mode": "http"},
        "teams": {"ok": True},
    }
    assert both.http.get("/healthz").json() == {"ok": True}  # the Teams door's own, as before
    assert both.http.get("/nowhere").status_code == 404


def test_an_oversized_body_gets_413_and_reaches_no_door(both: Both, fake: FakeSlack, app: App) -> None:
    body = slash_body(uid("MT"), BOARD, "note: " + "x" * SMALL, "http://127.0.0.1:9/response")
    signed = {"Content-Type": FORM, **signature_headers(body)}
    assert both.http.post("/slack/events", content=body, headers=signed).status_code == 413
    # Without a Content-Length (chunked), the body is refused as soon as it grows too big.
    chunks = iter([body[i : i + 1000].encode() for i in range(0, len(body), 1000)])
    assert both.http.post("/slack/events", content=chunks, headers=signed).status_code == 413
    activity = load("meeting-message", **both.teams.values("MT", text="note: " + "x" * SMALL))
    assert both.http.post("/api/messages", json=activity).status_code == 413
    both.slack_door.wait_idle()
    assert fake.methods() == []  # Slack was never called back: nothing was handled
    assert both.teams.connector.sent == []
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Binding)) == 0
    # A body within the limit is served as usual.
    assert both.slack_post("help").status_code == 200


def _closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (the guard timeout fails the test)."""
    sock.settimeout(10)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_slow_and_idle_connections_are_closed(app: App) -> None:
    web = web_server(head_seconds=0.2, body_seconds=0.2, keep_alive_seconds=1)
    web.part("nothing").ready()
    server = Running(web, web.ready)
    try:
        address = ("127.0.0.1", web.port)
        with socket.create_connection(address) as silent:  # connects and sends nothing
            assert _closed(silent) == b""
        with socket.create_connection(address) as dawdler:  # half a request head, then nothing
            dawdler.sendall(b"GET /health HTTP/1.1\r\nHost: bot\r\n")
            assert _closed(dawdler) == b""
        with socket.create_connection(address) as slow:  # a head, and too little of its body
            slow.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 100\r\n\r\nx=1")
            assert _closed(slow).startswith(b"HTTP/1.1 408 ")
        with socket.create_connection(address) as idle:  # served, then kept alive doing nothing
            idle.sendall(b"GET /health HTTP/1.1\r\nHost: bot\r\n\r\n")
            answer = _closed(idle)
            assert answer.startswith(b"HTTP/1.1 200 ") and answer.count(b"HTTP/1.1") == 1
    finally:
        server.close()
    assert not server.error


def test_the_access_log_has_one_line_per_request(
    both: Both, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="partnerbot.web.access"):
        both.http.get("/health")
        both.slack_post("help")
        both.teams.say("MT", "help")
        both.http.get("/nowhere?secret=1")
        both.http.post("/slack/events", content=b"x" * (SMALL + 1))
    lines = [r.getMessage() for r in caplog.records if r.name == "partnerbot.web.access"]
    assert len(lines) == 5, lines
    assert [line.split('"')[1] for line in lines] == [
        "GET /health",
        "POST /slack/events",
        "POST /api/messages",
        "GET /nowhere",  # never the query string
        "POST /slack/events",
    ]
    assert [int(line.split('"')[2].split()[0]) for line in lines] == [200, 200, 200, 404, 413]
    assert all(line.startswith("127.0.0.1 ") for line in lines)


def test_health_is_503_while_a_door_is_down(app: App) -> None:
    web = web_server()
    part = web.part("slack")
    state = {"connected": False}
    part.check(lambda: {"ok": state["connected"], "mode": "socket", "connected": state["connected"]})
    part.ready()
    server = Running(web, web.ready)
    try:
        down = httpx.get(web.url + "/health")
        assert down.status_code == 503 and down.json()["slack"]["connected"] is False
        state["connected"] = True
        assert httpx.get(web.url + "/health").status_code == 200
    finally:
        server.close()
    assert not server.error


def _loading_teams(app: App, hold_seconds: float) -> tuple[Harness, LoadingDoor, Running]:
    """Teams as `serve` starts it: routes on the web server, the door handed over when the test says."""
    harness = Harness(app, graph=False, web=web_server())  # a door built, not yet on the served server
    harness.know("MT")
    web = web_server()
    loading = LoadingDoor(harness.settings.endpoint, hold_seconds=hold_seconds)
    loading.mount(web.part("teams"))
    harness.web = web
    return harness, loading, Running(web, web.ready)


def test_a_message_while_the_teams_door_loads_is_held_then_handled(app: App) -> None:
    from bot import runtime

    harness, loading, server = _loading_teams(app, hold_seconds=600)
    try:
        health = harness.http.get("/health")
        assert health.status_code == 503
        assert health.json()["teams"] == {"ok": False, "state": "starting"}

        answer: list[httpx.Response] = []
        sender = threading.Thread(target=lambda: answer.append(harness.say("MT", "bind board")))
        sender.start()
        while loading.held == 0:  # the message reached the door's route and waits there
            assert sender.is_alive()
            sender.join(0.01)
        assert not answer and _bindings(app) == []

        runtime.run(loading.open(harness.door))
        sender.join(60)
        assert answer and answer[0].status_code == 200
        assert _bindings(app) == [("teams", MEETING_CHAT)]
        health = harness.http.get("/health")
        assert health.status_code == 200 and health.json()["teams"] == {"ok": True}
    finally:
        server.close()


def test_a_message_the_teams_door_cannot_take_yet_gets_503_to_retry(app: App) -> None:
    from bot import runtime

    harness, loading, server = _loading_teams(app, hold_seconds=0)
    try:
        refused = harness.say("MT", "bind board")
        assert refused.status_code == 503 and refused.headers["retry-after"] == "2"
        assert harness.http.get("/healthz").status_code == 503
        assert _bindings(app) == []  # nothing done: Bot Framework's retry does it

        runtime.run(loading.open(harness.door))
        assert harness.say("MT", "bind board").status_code == 200
        assert _bindings(app) == [("teams", MEETING_CHAT)]
        assert harness.http.get("/healthz").json() == {"ok": True}
    finally:
        server.close()
