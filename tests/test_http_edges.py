"""Hostile HTTP on the one web server: malformed bodies, bad headers, oversized and replayed requests.

Real sockets on loopback against the ASGI app `serve` runs (Slack in HTTP mode, Teams with
authentication off, the answer page), with real payload shapes. Each test checks the status,
that the log at the default level holds no traceback, and that nothing was stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from slack_fake import BOARD, FORM, FakeSlack, fixture, signature_headers, slash_body, uid
from sqlalchemy import func, select
from teams_fakes import load
from web_helpers import Both, Running, web_server

from bot.app import App
from storage.models import Action, AuditEvent, Binding, ConversationRef, Meeting, ProcessedEvent

JSON = "application/json"


@pytest.fixture
def both(app: App, fake: FakeSlack) -> Iterator[Both]:
    fake.add_user(uid("RB"), "rhian.bowen@westshire.example", "Rhian Bowen")
    b = Both(app, fake)
    yield b
    b.close()


def stored(app: App) -> dict[str, int]:
    """How many rows of what a request could leave behind."""
    with app.sessions() as s:
        return {
            model.__name__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Action, AuditEvent, Binding, ConversationRef, Meeting, ProcessedEvent)
        }


def no_traceback(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    """Nothing logged with a traceback: through logging, or by uvicorn to standard error."""
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err, err[-2000:]


def signed_post(both: Both, body: bytes, content_type: str) -> httpx.Response:
    """A body signed as Slack signs it: over the raw bytes, whatever they are."""
    stamp = str(int(time.time()))
    mac = hmac.new(b"test-signing-secret", b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    headers = {
        "Content-Type": content_type,
        "x-slack-signature": "v0=" + mac.hexdigest(),
        "x-slack-request-timestamp": stamp,
    }
    return both.http.post("/slack/events", content=body, headers=headers)


# --- Slack -----------------------------------------------------------------------------------------------


def test_malformed_slack_bodies_get_400_and_reach_no_listener(
    both: Both, fake: FakeSlack, app: App, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    before = stored(app)
    event = json.dumps(fixture("event_callback.json"))
    with caplog.at_level(logging.WARNING):
        for body, content_type in (
            (event[:-5].encode(), JSON),  # cut short
            (b"{not json", JSON),
            (b"[1, 2]", JSON),  # JSON, but no object
            (b"payload=%7Bnot+json", FORM),  # an interaction whose payload does not parse
            (b"payload=%5B1%5D", FORM),
            (b"text=caf\xe9&user_id=U0MT000001", FORM),  # Latin-1, not UTF-8
            (b'{"type": "event_callback", "x": "\xff\xfe"}', JSON),
        ):
            response = signed_post(both, body, content_type)
            assert response.status_code == 400, (body, response.text)
    both.slack_door.wait_idle()
    no_traceback(caplog, capfd)
    assert fake.methods() == []
    assert stored(app) == before


def test_bad_slack_signature_headers_get_401(
    both: Both, fake: FakeSlack, app: App, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    before = stored(app)
    body = slash_body(uid("RB"), BOARD, "bind board", "http://127.0.0.1:9/response")
    good = signature_headers(body)
    with caplog.at_level(logging.WARNING):
        timestamp: str | bytes  # bytes: what a header may carry beyond ASCII (read as Latin-1)
        odd = ("abc", "", "-5", "1e9", "١٧٠٠٠٠٠٠٠٠".encode(), b"\xb2" * 10, "9" * 30, "1")
        for timestamp in odd:
            headers = {"Content-Type": FORM, **good, "x-slack-request-timestamp": timestamp}
            response = both.http.post("/slack/events", content=body, headers=headers)
            assert response.status_code == 401, (timestamp, response.text)
        signature: str | bytes
        for signature in ("", "v0=", "v0=" + "0" * 64, "garbage", b"v0=\xe9" * 20):
            headers = {"Content-Type": FORM, **good, "x-slack-signature": signature}
            assert both.http.post("/slack/events", content=body, headers=headers).status_code == 401
        no_headers = both.http.post("/slack/events", content=body, headers={"Content-Type": FORM})
        assert no_headers.status_code == 401
        # Signed, but not this body: one changed character.
        tampered = body.replace("bind+board", "bind+boarD")
        headers = {"Content-Type": FORM, **good}
        assert both.http.post("/slack/events", content=tampered, headers=headers).status_code == 401
    no_traceback(caplog, capfd)
    assert fake.methods() == []
    assert stored(app) == before
    assert both.slack_post("bind board", user="RB").status_code == 200  # the same, signed, is served
    both.slack_door.wait_idle()
    assert stored(app)["Binding"] == 1


def test_a_replayed_slash_command_changes_nothing(
    both: Both, fake: FakeSlack, app: App, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    assert both.slack_post("bind board", user="RB").status_code == 200
    both.slack_door.wait_idle()
    body = slash_body(uid("RB"), BOARD, "meeting start", "http://127.0.0.1:9/response")
    headers = {"Content-Type": FORM, **signature_headers(body)}
    first = both.http.post("/slack/events", content=body, headers=headers)
    assert first.status_code == 200, first.text
    both.slack_door.wait_idle()
    after_first = stored(app)
    assert after_first["Meeting"] == 1
    body = slash_body(uid("RB"), BOARD, "Action: SMa to ring the schools by Friday", "http://127.0.0.1:9/r")
    headers = {"Content-Type": FORM, **signature_headers(body)}
    assert both.http.post("/slack/events", content=body, headers=headers).status_code == 200
    both.slack_door.wait_idle()
    once = stored(app)
    assert once["Action"] == 1
    calls = len(fake.calls("chat.postMessage"))
    with caplog.at_level(logging.WARNING):
        # The exact request again, within Slack's five minutes: acked, and nothing runs.
        replay = both.http.post("/slack/events", content=body, headers=headers)
        assert replay.status_code == 200
        assert "Action" not in replay.text
        both.slack_door.wait_idle()
    assert stored(app) == once
    assert len(fake.calls("chat.postMessage")) == calls
    no_traceback(caplog, capfd)
    # The same words typed again are a new command (a new trigger_id), which runs: it answers that
    # the meeting has that action already. Another action is a second one.
    again = both.slack_post("Action: SMa to ring the schools by Friday", user="RB")
    assert again.status_code == 200 and "That is Action 1 already" in again.text
    both.slack_door.wait_idle()
    assert stored(app) == once | {"ProcessedEvent": once["ProcessedEvent"] + 1}  # its trigger_id
    assert both.slack_post("Action: SMa to ring the colleges by Friday", user="RB").status_code == 200
    both.slack_door.wait_idle()
    assert stored(app)["Action"] == 2


def test_a_retry_of_a_handled_event_is_acked_without_running(
    both: Both, fake: FakeSlack, app: App, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    assert both.slack_post("bind board", user="RB").status_code == 200
    event = fixture("message_thread.json") | {
        "user": "U07SAMIRM1",
        "text": "Action: SMa to ring the schools by Friday",
    }
    payload = json.dumps(fixture("event_callback.json") | {"event": event, "event_id": "Ev0EDGE0001"})
    headers = {"Content-Type": JSON, **signature_headers(payload)}
    assert both.http.post("/slack/events", content=payload, headers=headers).status_code == 200
    both.slack_door.wait_idle()
    once = stored(app)
    assert once["Action"] == 1
    calls = fake.methods()
    with caplog.at_level(logging.WARNING):
        for n in ("1", "2"):
            retry = {**headers, "X-Slack-Retry-Num": n, "X-Slack-Retry-Reason": "http_timeout"}
            response = both.http.post("/slack/events", content=payload, headers=retry)
            assert response.status_code == 200
            assert response.headers["x-slack-no-retry"] == "1"
        both.slack_door.wait_idle()
    assert fake.methods() == calls  # not even a user looked up: no listener ran
    assert stored(app) == once
    no_traceback(caplog, capfd)
    # A retry whose first delivery never got through is handled: the event is not lost.
    other = event | {"ts": "1705658999.000100", "text": "Action: SMa to ring the colleges by Friday"}
    fresh = json.dumps(fixture("event_callback.json") | {"event": other})
    fresh = fresh.replace('"Ev', '"EvRETRY', 1)
    retry = {"Content-Type": JSON, **signature_headers(fresh), "X-Slack-Retry-Num": "1"}
    response = both.http.post("/slack/events", content=fresh, headers=retry)
    assert response.status_code == 200 and "x-slack-no-retry" not in response.headers
    both.slack_door.wait_idle()
    assert stored(app)["Action"] == 2


# --- Teams (authentication off: the body checks hold all the same) ----------------------------------------


def test_malformed_teams_bodies_get_400(
    both: Both, app: App, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    before = stored(app)
    good = load("meeting-message", **both.teams.values("MT", text="help"))
    wrong_types = good | {"from": "MT", "conversation": 7}
    with caplog.at_level(logging.WARNING):
        for body in (
            b"{not json",
            b"",
            b"[]",
            b'"a string"',
            b'{"type": "message", "text": "caf\xe9"}',  # not UTF-8
            json.dumps(wrong_types).encode(),
        ):
            response = both.http.post("/api/messages", content=body, headers={"Content-Type": JSON})
            assert response.status_code == 400, (body[:40], response.text)
    no_traceback(caplog, capfd)
    assert both.teams.connector.sent == []
    assert stored(app) == before
    assert both.teams.say("MT", "help").status_code == 200  # a real activity is served


# --- every route: Content-Length, size, faults ----------------------------------------------------------


def _exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received and b"connection: close" not in received.lower():
                head, _, rest = received.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(h.split(b":")[1])
                        for h in head.split(b"\r\n")
                        if h.lower().startswith(b"content-length")
                    ),
                    None,
                )
                if length is not None and len(rest) >= length:
                    break
        return received


@pytest.mark.parametrize("path", ["/slack/events", "/api/messages", "/answer/done"])
def test_bad_content_length_and_oversized_bodies_are_refused_before_reading(
    both: Both,
    fake: FakeSlack,
    app: App,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    path: str,
) -> None:
    before = stored(app)
    port = both.web.port
    assert port is not None
    with caplog.at_level(logging.WARNING):
        for length in (b"abc", b"-1", b"1.5", b"0x10", b" "):
            answer = _exchange(
                port,
                b"POST "
                + path.encode()
                + b" HTTP/1.1\r\nHost: bot\r\nContent-Length: "
                + length
                + b"\r\n\r\n{}",
            )
            assert answer.split(b" ", 2)[1] == b"400", (length, answer[:80])
        # Two lengths that disagree: which one is the body? Refused either way.
        answer = _exchange(
            port,
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\nHost: bot\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}",
        )
        assert answer.split(b" ", 2)[1] == b"400", answer[:80]
        # 10 MB announced: 413 at once, before a byte of it is sent.
        answer = _exchange(
            port, b"POST " + path.encode() + b" HTTP/1.1\r\nHost: bot\r\nContent-Length: 10000000\r\n\r\n"
        )
        assert answer.split(b" ", 2)[1] == b"413", answer[:80]
        # Chunked, with no length: refused as soon as it passes the limit.
        chunks = iter([b"x" * 100_000] * 20)
        response = both.http.post(path, content=chunks, headers={"Content-Type": JSON})
        assert response.status_code == 413
    both.slack_door.wait_idle()
    no_traceback(caplog, capfd)
    assert fake.methods() == []
    assert both.teams.connector.sent == []
    assert stored(app) == before


def test_a_fault_in_a_route_is_500_in_one_log_line(
    app: App, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    web = web_server()
    part = web.part("faulty")

    async def faulty(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("the text of someone's message")

    part.route("/faulty", faulty)
    part.ready()
    server = Running(web, web.ready)
    try:
        with caplog.at_level(logging.WARNING), httpx.Client(base_url=web.url) as http:
            response = http.post("/faulty", content=b"{}")
            assert response.status_code == 500
            assert http.get("/health").status_code == 200  # the same connection still serves
    finally:
        server.close()
    no_traceback(caplog, capfd)
    faults = [r.getMessage() for r in caplog.records if r.name == "partnerbot.web"]
    assert len(faults) == 1 and faults[0].startswith("POST /faulty failed: RuntimeError at ")
    assert "someone's message" not in caplog.text


def test_a_message_timestamp_that_is_no_time_is_taken_as_now(
    both: Both,
    fake: FakeSlack,
    app: App,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert both.slack_post("bind board", user="RB").status_code == 200
    with caplog.at_level(logging.WARNING):
        for n, ts in enumerate(("abc", "nan", "1e400", "-1e400", "")):
            event = fixture("message_thread.json") | {
                "user": "U07SAMIRM1",
                "text": f"Action: SMa to ring school {n + 1} by Friday",
                "ts": ts,
                "thread_ts": "1705658400.000100",
            }
            payload = json.dumps(fixture("event_callback.json") | {"event": event, "event_id": f"Ev0TS{n}"})
            headers = {"Content-Type": JSON, **signature_headers(payload)}
            assert both.http.post("/slack/events", content=payload, headers=headers).status_code == 200
        both.slack_door.wait_idle()
    no_traceback(caplog, capfd)
    assert stored(app)["Action"] == 5  # each captured, dated from when it arrived
