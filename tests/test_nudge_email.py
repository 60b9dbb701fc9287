"""Reminders by e-mail: a real SMTP conversation with a local server (aiosmtpd), and a failing one."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import FIXTURES, Chat, make_app
from sqlalchemy import select

from bot.app import App
from bot.plugs import build_couriers
from bot.terminal_courier import TerminalCourier
from scheduler.couriers import Outgoing
from scheduler.email import EmailCourier, SmtpSettings, load_email_settings
from scheduler.policy import NudgeSettings
from scheduler.sections import SettingsError
from scheduler.sweep import Sweeper
from storage.nudge_models import Digest, NudgeClaim

BOARD = [
    line
    for line in (FIXTURES / "board-meeting.script").read_text().splitlines()
    if line not in ("RB: minutes draft", "RB: agenda next board")
]


class Mailbox:
    """An SMTP server's message handler: keeps what it accepts; can refuse the first N with a 451."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    box = Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=free_port())
    server.start()
    yield server, box
    server.stop()


def email_app(database_url: str, port: int) -> App:
    email = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "from": "partnership-bot@westshire.example",
        "reply_to": "business.unit@westshire.example",
    }
    return make_app(database_url, email=email)


def test_people_with_only_an_address_get_email(database_url: str, smtp: tuple[Controller, Mailbox]) -> None:
    server, box = smtp
    app = email_app(database_url, server.port)
    chat = Chat(app)
    chat.script("\n".join(BOARD))
    chat.at("2024-02-02T09:00:00+00:00")
    out = chat.script("! sweep")
    # The Business Unit's Board 3: Owen Kaye (no address) on the terminal, Rhian Bowen (an address) by e-mail.
    assert (
        "→ OK: Reminder: Children's Safeguarding Partnership Board 3 is due Fri 9 Feb 2024" in out
        and "→ RB:" not in out
    )
    assert "by e-mail to RB" in out
    ((to, msg),) = box.messages
    assert to == ["rhian.bowen@westshire.example"]
    assert (
        " ".join(msg["Subject"].split())
        == "Reminder: Children's Safeguarding Partnership Board 3 is due Fri 9 Feb 2024 (in 7 days)"
    )
    assert msg["From"] == "partnership-bot@westshire.example"
    assert msg["Reply-To"] == "business.unit@westshire.example"
    body = msg.get_payload(decode=True).decode()
    assert body.startswith("Dear Rhian,")
    assert "Board 3 is due Fri 9 Feb 2024 (in 7 days): “resend the neglect survey”" in body
    assert "Done: action board 3 done" in body and "Not mine: action board 3 not mine" in body
    with app.sessions() as s:
        claim = s.scalars(select(NudgeClaim).where(NudgeClaim.door == "email")).one()
        digest = s.get(Digest, claim.digest_id)
    assert claim.state == "sent" and claim.message_id == msg["Message-ID"].strip()
    assert digest is not None and digest.route == [{"door": "email", "result": "sent"}]
    app.engine.dispose()


def test_a_failing_mail_server_means_a_retry_not_a_lost_nudge(database_url: str) -> None:
    box = Mailbox(refuse=1)
    port = free_port()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    app = email_app(database_url, port)
    chat = Chat(app)
    chat.script("\n".join(BOARD))
    couriers = build_couriers(app, TerminalCourier(chat.door))
    at = datetime(2024, 2, 2, 9, 0, tzinfo=UTC)
    first = Sweeper(app.sessions, couriers, NudgeSettings()).run(at)
    assert [f.initials for f in first.failed] == ["RB"] and "451" in first.failed[0].error
    assert first.failed[0].retry_at == at + timedelta(minutes=1)
    assert box.messages == []
    # The mail server is down altogether for a while: still a retry, later.
    server.stop()
    second = Sweeper(app.sessions, couriers, NudgeSettings()).run(at + timedelta(minutes=1))
    assert [f.initials for f in second.failed] == ["RB"] and "refused" in second.failed[0].error
    assert second.failed[0].retry_at == at + timedelta(minutes=6)
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    try:
        assert Sweeper(app.sessions, couriers, NudgeSettings()).run(at + timedelta(minutes=3)).sent == []
        third = Sweeper(app.sessions, couriers, NudgeSettings()).run(at + timedelta(minutes=6))
    finally:
        server.stop()
    assert [(m.initials, m.door) for m in third.sent] == [("RB", "email")]
    assert len(box.messages) == 1 and box.messages[0][0] == ["rhian.bowen@westshire.example"]
    with app.sessions() as s:
        claim = s.scalars(select(NudgeClaim).where(NudgeClaim.door == "email")).one()
        states = [d.state for d in s.scalars(select(Digest).where(Digest.recipient_id == claim.recipient_id))]
    assert (claim.state, claim.attempts) == ("sent", 3) and states == ["failed", "failed", "sent"]
    app.engine.dispose()


def test_a_refused_address_is_unreachable_so_the_next_door_is_tried() -> None:
    class Strict(Mailbox):
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            return "550 5.1.1 No such mailbox"

    strict = Controller(Strict(), hostname="127.0.0.1", port=free_port())
    strict.start()
    try:
        from handlers.reply import Message as Msg
        from scheduler.couriers import Unreachable
        from storage.roster import PersonRef

        courier = EmailCourier(
            SmtpSettings(host="127.0.0.1", port=strict.port, sender="bot@x.example", starttls=False)
        )
        person = PersonRef("RB", "Rhian Bowen", "bu", email="nobody@westshire.example")
        with pytest.raises(Unreachable, match="refused"):
            courier.send(Outgoing(person, "Reminder", Msg(), "text", 1))
    finally:
        strict.stop()


def test_email_settings() -> None:
    assert load_email_settings(None) is None
    assert load_email_settings({"enabled": False, "host": "x"}) is None
    s = load_email_settings(
        {"enabled": True, "host": "smtp.example", "from": "bot@example.org", "password_env": "PB_TEST_SMTP"}
    )
    assert s is not None and (s.port, s.starttls, s.ssl) == (587, True, False)
    with pytest.raises(SettingsError, match="email: host must be set"):
        load_email_settings({"enabled": True, "from": "bot@example.org"})
    with pytest.raises(SettingsError, match=r"email\.password: no secrets .* environment"):
        load_email_settings({"enabled": True, "host": "h", "from": "f@x", "password": "hunter2"})
