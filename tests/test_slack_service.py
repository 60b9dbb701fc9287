"""`partnerbot serve` with Slack on: HTTP mode on the one web server, Socket Mode end to end, health."""

from __future__ import annotations

import argparse
import io
import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from conftest import reconfigure
from slack_fake import (
    BOARD,
    FORM,
    FakeSlack,
    FakeSocket,
    fixture,
    signature_headers,
    slash_body,
    uid,
)
from sqlalchemy import func, select
from web_helpers import Running, web_server

from bot.app import App
from bot.slack.app import SlackDoor, make_client
from bot.slack.config import SlackConfig
from bot.slack.service import SlackService
from storage.models import Action, Meeting


def config(fake: FakeSlack, **extra: Any) -> SlackConfig:
    base: dict[str, Any] = {
        "enabled": True,
        "mode": "http",
        "bot_token": "xoxb-test",
        "app_token": "xapp-test",
        "signing_secret": "test-signing-secret",
        "api_base_url": fake.api_url,
    }
    return SlackConfig(**(base | extra))


class Serving:
    """The Slack service and the web server, in their threads, as `serve` runs them."""

    def __init__(self, app: App, cfg: SlackConfig, door: Any) -> None:
        self.web = web_server()
        self.service = SlackService(app, cfg, io.StringIO(), self.web, door_factory=lambda: door)
        self.slack = Running(self.service, self.service.ready)
        self.server = Running(self.web, self.web.ready)
        self.url = self.web.url

    def close(self) -> None:
        self.server.close()
        self.slack.close()
        assert not self.slack.error and not self.server.error


def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_http_mode_serves_signed_requests_and_refuses_the_rest(app: App, fake: FakeSlack) -> None:
    cfg = config(fake)
    running = Serving(app, cfg, SlackDoor(app, cfg))
    try:
        url = running.url + "/slack/events"
        body = slash_body(uid("MT"), BOARD, "help", fake.response_url())
        status, text = post(url, body, {"Content-Type": FORM, **signature_headers(body)})
        assert status == 200 and json.loads(text)["response_type"] == "ephemeral"
        body = slash_body("U07SAMIRM1", BOARD, "meeting start board", fake.response_url())
        bad = {"Content-Type": FORM, **signature_headers(body, secret="guess")}
        stale = {"Content-Type": FORM, **signature_headers(body, timestamp=1_600_000_000)}
        assert post(url, body, bad)[0] == 401
        assert post(url, body, stale)[0] == 401
        with app.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Meeting)) == 0
        assert post(running.url + "/elsewhere", body, bad)[0] == 404
        status, health = get(running.url + "/health")
        assert status == 200 and health["ok"] is True and health["slack"]["mode"] == "http"
    finally:
        running.close()


def test_socket_mode_end_to_end_with_health(app: App, fake: FakeSlack) -> None:
    ws = FakeSocket(fake)
    cfg = config(fake, mode="socket")
    door = SlackDoor(app, cfg, client=make_client(cfg))
    running = Serving(app, cfg, door)
    try:
        ws.wait_connected()
        assert fake.calls("apps.connections.open")
        status, health = get(running.url + "/health")
        assert status == 200 and health["slack"] == {"ok": True, "mode": "socket", "connected": True}

        # A slash command over the socket: the ack carries the ephemeral answer.
        command = fixture("slash_command.json") | {"user_id": "U07SAMIRM1", "text": "help"}
        envelope = fixture("socket_mode_envelope.json") | {
            "envelope_id": "env-command-1",
            "type": "slash_commands",
            "payload": command,
            "accepts_response_payload": True,
        }
        del envelope["retry_attempt"], envelope["retry_reason"]
        ws.send_json(envelope)
        ack = ws.wait_ack("env-command-1")
        assert "Commands you can use here" in json.dumps(ack["payload"])

        # An event, then Slack's retry of it: one action, one answer.
        fake.add_user(uid("RB"), "rhian.bowen@westshire.example", "Rhian Bowen")  # matched by e-mail
        assert "bound" in door.handle(door.request(_where(uid("RB")), "bind board")).plain
        event = fixture("message_thread.json") | {
            "user": "U07SAMIRM1",
            "text": "Action: SMa to ring the schools by Friday",
        }
        payload = fixture("event_callback.json") | {"event": event, "event_id": "Ev0SOCK0001"}
        for n, envelope_id in enumerate(("env-event-1", "env-event-1-retry")):
            ws.send_json(
                fixture("socket_mode_envelope.json")
                | {
                    "envelope_id": envelope_id,
                    "payload": payload,
                    "retry_attempt": n,
                    "retry_reason": "timeout" if n else "",
                }
            )
            ws.wait_ack(envelope_id)
        door.wait_idle()
        with app.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Action)) == 1
        assert len([c for c in fake.calls("chat.postMessage") if c["channel"] == BOARD]) == 1
    finally:
        running.close()
        ws.close()


def _where(user: str) -> Any:
    from bot.slack.deliver import Where

    return Where(user=user, channel=BOARD)


def test_a_missing_token_stops_the_service_with_a_clear_message(app: App, fake: FakeSlack) -> None:
    from bot.settings import SettingsError

    cfg = config(fake, mode="socket", app_token=None)
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        SlackService(app, cfg, io.StringIO(), web_server()).run(threading.Event())


def test_serve_runs_the_slack_service_when_app_yaml_turns_it_on(
    app: App, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.serve import run_serve
    from bot.slack.plug import plug

    plug()
    plug()  # twice is harmless
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "test-signing-secret")
    slack = {"enabled": True, "mode": "http", "api_base_url": fake.api_url}
    reconfigure(app, slack=slack, web={"port": 0})
    out = io.StringIO()
    args = argparse.Namespace(partnership=None, interval=0.05, sweeps=2)
    assert run_serve(app, args, out) == 0
    assert "sweep, slack, web" in out.getvalue()
    assert "Slack: HTTP mode, events at /slack/events on the web server" in out.getvalue()
    assert "/slack/events (slack)" in out.getvalue()  # the web server says it opened the route
    # The reminder courier is there too, and absent when Slack is off.
    from bot.plugs import build_couriers

    assert "slack" in build_couriers(app)
    reconfigure(app, slack=slack | {"enabled": False})
    assert "slack" not in build_couriers(app)
