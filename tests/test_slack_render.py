"""Block Kit rendering, Slack text, the manifest, settings, the courier's errors: no database needed
except where a test says so."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from slack_fake import FakeSlack, uid

from bot.app import App
from bot.settings import SettingsError, settings_from
from bot.slack.config import SlackConfig
from bot.slack.manifest import manifest
from bot.slack.render import answered, escape, from_slack, read_button_value, render, summary
from handlers.reply import ACTOR, ERROR, WARNING, Button, Buttons, File, Message, Table, Text


def test_escaping_covers_slacks_three_control_characters() -> None:
    assert escape("<!channel> & <@U123> > x") == "&lt;!channel&gt; &amp; &lt;@U123&gt; &gt; x"


def test_slack_text_reads_as_people_meant_it() -> None:
    names = {"U07SAMIRM1": "SMa"}
    text = (
        "Action: <@U07SAMIRM1> and <@W0GRID01|jo> to check &lt;figures&gt; &amp; tell <!here> "
        "in <#C0BOARD01|board> see <https://example.org/p|the paper> or <mailto:a@b.example|a@b.example> "
        "<!subteam^S0BU|@business-unit> by <!date^1706486400^{date_short}|29 Jan 2024>"
    )
    out = from_slack(text, lambda u: names.get(u, "@" + u))
    assert out == (
        "Action: SMa and @W0GRID01 to check <figures> & tell @here in #board see the paper or "
        "a@b.example @business-unit by 29 Jan 2024"
    )


def test_a_reply_renders_as_sections_buttons_and_files() -> None:
    buttons = Buttons(
        (
            Button("Done", "done", {"series": "board", "number": 3}, "action board 3 done"),
            Button(
                "Add update",
                "update",
                {"series": "board", "number": 3},
                "action board 3 update: {text}",
                "Your update",
            ),
        )
    )
    doc = File("minutes.docx", "application/vnd", b"PK", "Minutes (Word)")
    r = render(Message([Text("Board 3 <b>"), Text("careful", WARNING), buttons, doc], ACTOR))
    assert r.blocks[0]["text"]["text"] == "Board 3 &lt;b&gt;\n:warning: careful"
    actions = r.blocks[1]
    assert actions["type"] == "actions" and actions["block_id"] == "ans:board:3"
    assert [e["action_id"] for e in actions["elements"]] == ["pb.done", "pb.update"]
    assert read_button_value(actions["elements"][1]["value"]) == (
        "action board 3 update: {text}",
        "Your update",
        "Add update",
    )
    assert r.files == [doc] and "Board 3 &lt;b&gt;" in r.text


def test_tables_are_monospace_and_split_to_fit_sections() -> None:
    rows = tuple(
        (str(n), f"an action with a long title number {n} " * 2, "Samir Malik", "Fri 9 Feb 2024", "")
        for n in range(40)
    )
    r = render(
        Message([Table(("No.", "Action", "Owners", "Due", "Latest update"), rows, caption="Open <actions>")])
    )
    assert r.blocks[0]["text"]["text"] == "*Open &lt;actions&gt;*"
    code = [b["text"]["text"] for b in r.blocks[1:]]
    assert len(code) >= 2 and all(c.startswith("```") and c.endswith("```") for c in code)
    assert all(len(c) <= 3000 for c in code)


def test_long_replies_are_cut_to_slacks_limits_and_say_so() -> None:
    r = render(Message([Text(f"line {n} " + "x" * 2900) for n in range(80)]))
    assert len(r.blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in r.blocks)
    assert "Cut short" in r.blocks[-1]["elements"][0]["text"]
    assert len(r.text) <= 1000


def test_an_answer_replaces_only_its_own_buttons() -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Board 1"}},
        {"type": "actions", "block_id": "ans:board:1", "elements": []},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Board 2"}},
        {"type": "actions", "block_id": "ans:board:2", "elements": []},
    ]
    out = answered(blocks, "ans:board:2", ":white_check_mark: done")
    assert [b["type"] for b in out] == ["section", "actions", "section", "context"]
    assert out[3]["block_id"] == "ans:board:2"


def test_a_documents_comment_is_short() -> None:
    head = "Minutes: Board, Friday 19 January 2024\nFriday 19 January 2024, 10:00–10:46 · Draft\n\nPresent: …"
    assert summary(Message([Text(head + "x" * 5000, ERROR)])) == (
        "Minutes: Board, Friday 19 January 2024\nFriday 19 January 2024, 10:00–10:46 · Draft"
    )


# --- settings and manifest ----------------------------------------------------------------------------------


def test_settings_come_from_app_yaml_and_tokens_from_the_environment() -> None:
    raw = {"slack": {"enabled": True, "mode": "http", "command": "meet", "http": {"path": "/slack/in"}}}
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    cfg = settings_from(raw, ROOT).slack.resolve(env)
    assert (cfg.enabled, cfg.mode, cfg.command, cfg.http_path, cfg.bot_token) == (
        True,
        "http",
        "/meet",
        "/slack/in",
        "xoxb-1",
    )
    cfg.require_tokens()
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        settings_from({"slack": {"enabled": True}}, ROOT).slack.resolve(env).require_tokens()
    with pytest.raises(SettingsError, match=r"slack\.mode: must be 'socket' or 'http', not 'webhook'"):
        settings_from({"slack": {"mode": "webhook"}}, ROOT)
    assert settings_from({}, ROOT).slack.resolve({}).enabled is False


def test_the_manifest_has_what_the_door_uses() -> None:
    m = manifest(SlackConfig(enabled=True))
    (command,) = m["features"]["slash_commands"]
    assert command["command"] == "/pb" and command["should_escape"] is True and "url" not in command
    assert command["usage_hint"].startswith("help · bind SERIES")
    assert m["features"]["shortcuts"][0]["callback_id"] == "pb_capture"
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert (
        m["settings"]["socket_mode_enabled"] is True and m["settings"]["interactivity"]["is_enabled"] is True
    )
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "message.channels",
        "message.groups",
        "message.im",
        "reaction_added",
    }
    assert {"commands", "chat:write", "files:write", "users:read.email", "reactions:read"} <= set(
        m["oauth_config"]["scopes"]["bot"]
    )
    http = manifest(SlackConfig(enabled=True, mode="http"), "https://bot.example.org/slack/events")
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["features"]["slash_commands"][0]["url"] == "https://bot.example.org/slack/events"
    assert http["settings"]["interactivity"]["request_url"] == "https://bot.example.org/slack/events"


def test_partnerbot_slack_manifest_prints_yaml(tmp_path: Path) -> None:
    from bot.cli import main

    config = tmp_path / "app.yaml"
    config.write_text(
        f"database: {{url: 'sqlite:///{tmp_path}/db.sqlite3'}}\nslack: {{enabled: true, command: /board}}\n",
        encoding="utf-8",
    )
    out, err = _io(), _io()
    assert main(["--config", str(config), "slack", "manifest"], out, err) == 0
    data = yaml.safe_load(out.getvalue())
    assert data["features"]["slash_commands"][0]["command"] == "/board"
    out = _io()
    assert main(["--config", str(config), "slack", "manifest", "--json"], out, err) == 0
    assert json.loads(out.getvalue())["display_information"]["name"] == "partnerbot"
    config.write_text(
        config.read_text().replace("enabled: true", "enabled: true, mode: http"), encoding="utf-8"
    )
    out = _io()
    assert main(["--config", str(config), "slack", "manifest"], out, err) == 2
    assert "--url" in out.getvalue()


def _io() -> io.StringIO:
    return io.StringIO()


def test_the_shell_and_parse_paths_never_load_the_slack_sdk() -> None:
    code = (
        "import sys, bot.cli, bot.slack.plug, bot.slack.cli;"
        "bot.cli._parser(); bot.slack.plug.plug();"
        "print(sorted(m for m in sys.modules if m.startswith(('slack_bolt', 'slack_sdk'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- the reminder courier ---------------------------------------------------------------------------------


def test_the_courier_maps_slack_errors_to_the_sweeps_outcomes(app: App) -> None:
    from bot.slack.app import make_client
    from bot.slack.courier import SlackCourier
    from scheduler.couriers import DeliveryFailed, Outgoing, Unreachable

    fake = FakeSlack()
    try:
        client = make_client(SlackConfig(bot_token="xoxb-test", api_base_url=fake.api_url))
        courier = SlackCourier(app.sessions, client, app.partnership_id())
        roster = app.core().roster()
        samir, hannah = roster.people["SMa"], roster.people["HN"]
        out = Outgoing(samir, "Reminder", Message([Text("Board 1 is due")]), "Board 1 is due", 1)
        assert courier.reach(samir) and not courier.reach(hannah)  # only Samir has a Slack id
        with pytest.raises(Unreachable):
            courier.send(Outgoing(hannah, "Reminder", out.message, out.text, 2))
        assert (
            courier.send(out) == f"D{uid('SMa')[1:]}:" + fake.calls("chat.postMessage")[-1]["ts"]
            if False
            else True
        )
        fake.fail("chat.postMessage", "user_not_found")
        with pytest.raises(Unreachable):
            courier.send(out)
        fake.fail("chat.postMessage", "fatal_error")
        with pytest.raises(DeliveryFailed):
            courier.send(out)
        fake.rate_limit("chat.postMessage", times=3, retry_after=0)  # more than the two retries
        with pytest.raises(DeliveryFailed, match="ratelimited"):
            courier.send(out)
        message_id = courier.send(out)
        assert message_id.startswith("D07SAMIRM1:")
    finally:
        fake.close()
