"""An "all partners" action: each agency's lead, else its contact address by e-mail, else the chair's digest.

Frozen clocks, a real SMTP conversation with a local server (aiosmtpd); the tests read the
delivery table, the digests and what the mail server accepted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from conftest import EXAMPLE, Chat, make_app
from sqlalchemy import select
from test_nudge_email import Mailbox, free_port
from test_nudge_scenarios import _meeting, claims, received

from bot.app import App
from bot.plugs import build_couriers
from bot.terminal_courier import TerminalCourier
from handlers.answer_links import SECRET_VARIABLE
from scheduler.couriers import Outgoing
from scheduler.email import NOT_READ
from scheduler.policy import NudgeSettings
from scheduler.sweep import Sweeper
from storage.models import AuditEvent, Person
from storage.nudge_models import Digest, NudgeClaim
from storage.roster import PersonRef

POLICE = "public.protection@marcia-police.example"  # Marcia Police's contact; it names no lead
ACTION = "All partners to read the neglect strategy by 15/01/24"


def partnership(tmp_path: Path, leads: dict[str, str]) -> Path:
    """Westshire with these agency leads. The council (lead MT) has a contact address too: the lead
    comes first. Marcia Police has only its address; the other agencies have neither."""
    spec = yaml.safe_load(EXAMPLE.read_text())
    for agency in spec["agencies"]:
        if agency["id"] in leads:
            agency["lead"] = leads[agency["id"]]
    path = tmp_path / "westshire-mailbox.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def mail_app(database_url: str, port: int, tmp_path: Path) -> App:
    email = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "from": "bot@westshire.example",
    }
    return make_app(
        database_url,
        partnership(tmp_path, {"council": "MT"}),
        email=email,
        web={"public_url": "http://testserver"},  # answer links on: the mailbox still gets none
    )


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    box = Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=free_port())
    server.start()
    yield server, box
    server.stop()


def mailbox_initials(app: App, agency: str) -> str:
    with app.sessions() as s:
        row = s.scalars(select(Person).where(Person.mailbox_of == agency)).one()
        assert row.email is None and not row.guest  # the address is read from the file
        return row.initials


def to(box: Mailbox, address: str) -> list[Message]:
    return [msg for rcpt, msg in box.messages if rcpt == [address]]


def body(msg: Message) -> str:
    payload = msg.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_all_partners_reach_leads_then_contact_addresses_once_then_the_chair(
    database_url: str, smtp: tuple[Controller, Mailbox], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_VARIABLE, "a-test-secret-that-is-long-enough")
    server, box = smtp
    app = mail_app(database_url, server.port, tmp_path)
    chat = Chat(app)
    _meeting(chat, "2024-01-02T10:00:00+00:00", ACTION)

    chat.at("2024-01-15T09:30:00+00:00")
    out = chat.script("! sweep")
    police = mailbox_initials(app, "police")
    assert sorted(claims(chat, 1)) == sorted(
        [("due", "2024-01-15", "MT", "sent"), ("due", "2024-01-15", police, "sent")]
    )
    assert set(out.split("by e-mail to ")[1].rstrip(")\n").split(", ")) == {"MT", police}
    # The council's lead by e-mail (her only door), with answer links; the council's address gets nothing.
    ((lead,),) = [to(box, "miriam.tolley@westshire.example")]
    assert body(lead).startswith("Dear Miriam,") and "http://testserver/answer/" in body(lead)
    assert to(box, "safeguarding.partnership@westshire.example") == []
    # Marcia Police names no lead: its contact address gets the reminder, once, as a mailbox.
    ((msg,),) = [to(box, POLICE)]
    assert msg["To"] == f"Marcia Police <{POLICE}>"
    text = body(msg)
    assert text.startswith("Dear colleagues at Marcia Police,")
    assert (
        "because the Westshire Safeguarding Children Partnership has nobody named to answer for Marcia Police"
        in text
    )
    assert "Board 1 is due today (Mon 15 Jan 2024): “read the neglect strategy”" in " ".join(text.split())
    # No answers: a shared mailbox is nobody to record an answer against.
    assert "/answer/" not in text and "In chat:" not in text
    assert "write to the business unit — Rhian Bowen (rhian.bowen@westshire.example) or Owen Kaye" in text
    assert "ask them to name a lead for Marcia Police" in text and text.rstrip().endswith(NOT_READ)
    with app.sessions() as s:
        (claim,) = s.scalars(
            select(NudgeClaim)
            .join(Person, Person.id == NudgeClaim.recipient_id)
            .where(Person.initials == police)
        )
        digest = s.get(Digest, claim.digest_id)
    assert (claim.door, claim.message_id, claim.attempts) == ("email", msg["Message-ID"].strip(), 1)
    assert digest is not None and digest.route == [{"door": "email", "result": "sent"}] and digest.nudges == 1

    # A second sweep sends nothing more: the claim is keyed once per reminder and recipient.
    chat.at("2024-01-15T15:00:00+00:00")
    assert received(chat.script("! sweep")) == {}
    assert len(box.messages) == 2 and len(claims(chat, 1)) == 2

    # The agencies with neither a lead nor an address are the chair's to chase; those reached are not.
    (line,) = [line for line in chat.dm("MT", "digest").splitlines() if "Board 1" in line]
    assert "for all partners:" in line and "Probation Service" in line
    assert "no lead or contact address to remind" in line
    assert "Marcia Police" not in line and "Westshire Council" not in line

    # Marcia Police names a lead: the next reminder goes to him, not the address. The file's reload leaves
    # the mailbox row alone (it is not the file's: nobody "left").
    (loaded,) = app.load_files([str(partnership(tmp_path, {"council": "MT", "police": "TR"}))])
    assert loaded.changed
    assert received(_sweep(chat, "2024-01-22T09:30:00+00:00")) == {}  # overdue by 7 days: both by e-mail
    overdue = sorted(who for k, _, who, _ in claims(chat, 1) if k == "overdue:7d")
    assert overdue == ["MT", "TR"] and len(to(box, "tom.rees@marcia-police.example")) == 1
    assert len(to(box, POLICE)) == 1
    assert mailbox_initials(app, "police") == police  # stood down, kept for what was sent to it
    with app.sessions() as s:
        assert s.scalars(select(Person.active).where(Person.initials == police)).one() is False
    with app.sessions() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.entity_id == police)).all() == []
    app.engine.dispose()


def _sweep(chat: Chat, iso: str) -> str:
    chat.at(iso)
    return chat.script("! sweep")


class RefusingOne(Mailbox):
    """A mail server that is busy (451) for the first `refuse` messages to one address."""

    def __init__(self, address: str, refuse: int) -> None:
        super().__init__()
        self.address, self.refuse_to = address, refuse

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_to and self.address in envelope.rcpt_tos:
            self.refuse_to -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        return await super().handle_DATA(server, session, envelope)


def test_a_failing_mail_server_means_the_address_is_retried_and_gets_one(
    database_url: str, tmp_path: Path
) -> None:
    box = RefusingOne(POLICE, refuse=1)
    server = Controller(box, hostname="127.0.0.1", port=free_port())
    server.start()
    app = mail_app(database_url, server.port, tmp_path)
    chat = Chat(app)
    _meeting(chat, "2024-01-02T10:00:00+00:00", ACTION)
    couriers = build_couriers(app, TerminalCourier(chat.door))
    at = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
    try:
        first = Sweeper(app.sessions, couriers, NudgeSettings()).run(at)
        police = mailbox_initials(app, "police")
        assert [(f.initials, f.retry_at) for f in first.failed] == [(police, at + timedelta(minutes=1))]
        assert "451" in first.failed[0].error and to(box, POLICE) == []
        assert [(m.initials, m.door) for m in first.sent] == [("MT", "email")]
        assert Sweeper(app.sessions, couriers, NudgeSettings()).run(at + timedelta(seconds=30)).sent == []
        second = Sweeper(app.sessions, couriers, NudgeSettings()).run(at + timedelta(minutes=1))
        assert [(m.initials, m.door) for m in second.sent] == [(police, "email")] and second.failed == []
        third = Sweeper(app.sessions, couriers, NudgeSettings()).run(at + timedelta(minutes=2))
        assert third.sent == [] and third.failed == []
    finally:
        server.stop()
    assert len(to(box, POLICE)) == 1
    with app.sessions() as s:
        claim = s.scalars(
            select(NudgeClaim)
            .join(Person, Person.id == NudgeClaim.recipient_id)
            .where(Person.initials == police)
        ).one()
        states = [d.state for d in s.scalars(select(Digest).where(Digest.recipient_id == claim.recipient_id))]
    assert (claim.state, claim.attempts, claim.door) == ("sent", 2, "email") and states == ["failed", "sent"]
    app.engine.dispose()


def test_an_agency_name_with_brackets_or_a_comma_stays_one_address() -> None:
    from handlers.reply import Message as Msg
    from scheduler.email import EmailCourier, SmtpSettings

    courier = EmailCourier(SmtpSettings(host="127.0.0.1", sender="bot@westshire.example"))
    for name in ("Probation Service (Marchfield)", "Westshire Council, Children's Services"):
        box = PersonRef("mailbox-7", name, "probation", email="ldu@probation.example", mailbox=True)
        msg = courier.compose(Outgoing(box, "Reminder", Msg(), "text", 1))
        (address,) = msg["To"].addresses
        assert (address.display_name, address.addr_spec) == (name, "ldu@probation.example")
        assert body(msg).startswith(f"Dear colleagues at {name},")


class ChatOnly:
    """A chat door that reaches everyone it is given: the only door, as where e-mail is not set up."""

    door = "slack"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def reach(self, person: PersonRef) -> bool:
        return True

    def send(self, out: Outgoing) -> str:
        self.sent.append(out.person.initials)
        return f"chat-{out.digest_id}"


def unreached_line(chat: Chat) -> str:
    (line,) = [line for line in chat.dm("MT", "digest").splitlines() if "Board 1" in line]
    return line


def test_with_no_door_to_an_address_the_chair_chases_those_agencies(
    database_url: str, smtp: tuple[Controller, Mailbox], tmp_path: Path
) -> None:
    server, box = smtp
    app = mail_app(database_url, server.port, tmp_path)
    chat = Chat(app)
    _meeting(chat, "2024-01-02T10:00:00+00:00", ACTION)
    chat_door = ChatOnly()
    at = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)

    # Only a chat door: nothing can write to Marcia Police's address, so nobody is reminded for it
    # and the chair's digest names it with the agencies that have neither a lead nor an address.
    first = Sweeper(app.sessions, {"slack": chat_door}, NudgeSettings()).run(at)
    assert [m.initials for m in first.sent] == ["MT"] and first.failed == []
    assert [who for _, _, who, _ in claims(chat, 1)] == ["MT"]
    assert "Marcia Police" in unreached_line(chat) and "Probation Service" in unreached_line(chat)

    # E-mail set up: from the next reminder the address takes it, and the chair no longer chases it.
    couriers = build_couriers(app, TerminalCourier(chat.door))
    week = Sweeper(app.sessions, couriers, NudgeSettings()).run(at + timedelta(days=7))  # overdue 7 days
    police = mailbox_initials(app, "police")
    assert sorted(m.initials for m in week.sent) == sorted(["MT", police]) and len(to(box, POLICE)) == 1
    assert "Marcia Police" not in unreached_line(chat) and "Probation Service" in unreached_line(chat)

    # E-mail gone again: the mailbox is stood down (kept, for what was sent to it), the chair chases it.
    Sweeper(app.sessions, {"slack": chat_door}, NudgeSettings()).run(at + timedelta(days=7, hours=1))
    with app.sessions() as s:
        row = s.scalars(select(Person).where(Person.mailbox_of == "police")).one()
        assert row.initials == police and not row.active
    assert "Marcia Police" in unreached_line(chat)
    assert police not in chat_door.sent
    app.engine.dispose()
