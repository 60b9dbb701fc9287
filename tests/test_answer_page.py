"""Answering from an e-mail: the signed links of an e-mailed reminder and the answer page.

A board meeting gives Hannah Noor and Gareth Pryce (who have only an e-mail address here) an
action each; the reminder sweep e-mails them through a local SMTP server; the links in those
e-mails are opened and answered on the answer page, served in-process by the one web
application. Every assertion that matters reads what was stored: the action, its log, the
audit trail and the used links.
"""

from __future__ import annotations

import html
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiosmtpd.controller import Controller
from conftest import EXAMPLE, ROOT, Chat, make_app, reconfigure
from sqlalchemy import func, select
from test_nudge_email import Mailbox, free_port
from web_helpers import Running, web_server

from bot.answer_page import mount
from bot.app import App
from bot.cli import main
from bot.plugs import build_couriers
from bot.settings import SettingsError, settings_from
from handlers.answer_links import SECRET_VARIABLE
from scheduler.email import EmailCourier
from scheduler.policy import NudgeSettings
from scheduler.sweep import Sweeper
from storage.answer_link_models import AnswerLinkUse
from storage.models import Action, ActionOwner, ActionUpdate, AuditEvent, Series

SECRET = "a-test-secret-that-is-long-enough"
MEETING = """\
@ 2024-01-19T10:00:00+00:00
MT: meeting start board
MT: present MT LE SMa PMw HN GP RB
PMw: Action: HN to tell MT by Monday the 29th of January 2024 why colleagues miss strategy meetings
PMw: Action: GP to send the schools audit to the Business Unit by Monday the 29th of January 2024
MT: meeting end
"""
SWEEP_AT = datetime(2024, 1, 29, 9, 0, tzinfo=UTC)  # both actions are due today


class Clock:
    """The answer page's clock and the links' clock: frozen, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def partnership_file(folder: Path) -> Path:
    """The example partnership, where Hannah Noor and Gareth Pryce have e-mail addresses only."""
    text = EXAMPLE.read_text()
    emails = (("HN", "hannah.noor@westshire.example"), ("GP", "gareth.pryce@westshire.example"))
    for initials, email in emails:
        text, n = re.subn(rf"(initials: {initials}, [^}}]*)}}", rf"\1, email: {email}}}", text)
        assert n == 1
    path = folder / "westshire.yaml"
    path.write_text(text)
    return path


@dataclass
class Sent:
    """The answer links in one e-mail: answer → link."""

    to: str
    body: str
    links: dict[str, str]


def _links(body: str) -> dict[str, str]:
    found = re.findall(r"^ {6}(Done|Add update|New date|Not mine|Snooze): (\S+)$", body, re.M)
    return {label: url for label, url in found}


class Desk:
    """A partnership with e-mail reminders and the answer page, on the test's database."""

    def __init__(self, database_url: str, folder: Path, *, public_url: str = "http://testserver") -> None:
        self.box = Mailbox()
        self.smtp = Controller(self.box, hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        email = {
            "enabled": True,
            "host": "127.0.0.1",
            "port": self.smtp.port,
            "starttls": False,
            "from": "partnership-bot@westshire.example",
        }
        self.app: App = make_app(
            database_url, partnership_file(folder), email=email, web={"public_url": public_url}
        )
        self.chat = Chat(self.app)
        self.chat.script(MEETING)
        self.clock = Clock(SWEEP_AT)
        smtp = self.app.settings.email.resolve()
        assert smtp is not None
        self.couriers: dict[str, Any] = {
            "email": EmailCourier(smtp, self.app.settings.web.answer_links(clock=self.clock))
        }
        self.web = web_server()
        self.page = mount(self.app, self.web, io.StringIO(), self.couriers, clock=self.clock)
        self.server = Running(self.web, self.web.ready)
        self.http = httpx.Client(base_url=self.web.url, timeout=20)

    def sweep(self) -> dict[str, Sent]:
        Sweeper(self.app.sessions, self.couriers, NudgeSettings()).run(self.clock.now)
        out = {}
        for to, msg in self.box.messages:
            body = msg.get_payload(decode=True).decode().replace("\r\n", "\n")
            out[to[0].split("@")[0]] = Sent(to[0], body, _links(body))
        return out

    def close(self) -> None:
        self.http.close()
        self.server.close()
        self.smtp.stop()
        self.app.engine.dispose()

    # --- what was stored ------------------------------------------------------------------------------
    def action(self, number: int) -> Action:
        with self.app.sessions() as s:
            series = s.scalars(select(Series).where(Series.key == "board")).one()
            action = s.scalars(
                select(Action).where(Action.series_id == series.id, Action.number == number)
            ).one()
            s.expunge(action)
            return action

    def log(self, number: int) -> list[tuple[str, str, str | None]]:
        """(kind, door, text) of the action's log, oldest first."""
        with self.app.sessions() as s:
            action_id = self.action(number).id
            rows = s.scalars(
                select(ActionUpdate).where(ActionUpdate.action_id == action_id).order_by(ActionUpdate.id)
            )
            return [(u.kind, u.door, u.text) for u in rows]

    def audit(self) -> list[tuple[str, str, str, str | None]]:
        """(actor, door, verb, entity id) of the web door's audit events."""
        with self.app.sessions() as s:
            rows = s.scalars(select(AuditEvent).where(AuditEvent.door == "web").order_by(AuditEvent.id))
            return [(e.actor, e.door, e.verb, e.entity_id) for e in rows]

    def counts(self) -> tuple[int, int, int]:
        with self.app.sessions() as s:
            return (
                s.scalar(select(func.count()).select_from(ActionUpdate)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                s.scalar(select(func.count()).select_from(AnswerLinkUse)) or 0,
            )

    def state(self) -> Any:
        """Everything an answer could change."""
        a, b = self.action(1), self.action(2)
        with self.app.sessions() as s:
            owners = sorted(
                (o.action_id, o.person_id, o.removed_at is None) for o in s.scalars(select(ActionOwner))
            )
        return (
            [(x.status, x.due_date, x.snoozed_until) for x in (a, b)],
            owners,
            self.counts(),
        )

    # --- the browser's part ---------------------------------------------------------------------------
    def local(self, url: str) -> str:
        """A link of an e-mail, on the test's web server (the public address is a proxy's)."""
        return url.replace("http://testserver", self.web.url)

    def get(self, url: str) -> httpx.Response:
        return self.http.get(self.local(url))

    def post(self, url: str, data: dict[str, str]) -> httpx.Response:
        return self.http.post(self.local(url), data=data)

    def open(self, url: str) -> tuple[int, str, str | None]:
        """GET a link: (status, page, the form's key)."""
        r = self.get(url)
        key = re.search(r'name="form_key" value="([^"]+)"', r.text)
        return r.status_code, r.text, key[1] if key else None

    def answer(self, url: str, **fields: str) -> tuple[int, str]:
        status, page, key = self.open(url)
        assert status == 200 and key, page
        r = self.post(url, data={"form_key": key, **fields})
        return r.status_code, r.text


@pytest.fixture
def desk(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    d = Desk(database_url, tmp_path)
    yield d
    d.close()


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# --- the e-mail ------------------------------------------------------------------------------------------


def test_an_emailed_reminder_carries_signed_links_and_promises_no_replies_are_read(desk: Desk) -> None:
    mails = desk.sweep()
    hn = mails["hannah.noor"]
    assert "Board 1 is due today" in hn.body
    assert list(hn.links) == ["Done", "Add update", "New date", "Not mine", "Snooze"]
    assert all(u.startswith("http://testserver/answer/") and "?t=" in u for u in hn.links.values())
    assert "each link works once, for 30 days" in hn.body
    assert "does not read replies" in hn.body and "use the links above" in hn.body
    assert "Answer with one line" not in hn.body
    # Gareth's links are his own: none of Hannah's opens his action.
    assert set(mails["gareth.pryce"].links.values()).isdisjoint(hn.links.values())
    # `serve` and `nudge` build the same courier from app.yaml and the environment.
    courier = build_couriers(desk.app)["email"]
    assert isinstance(courier, EmailCourier) and courier.links is not None
    assert courier.links.base_url == "http://testserver" and courier.links.days == 30


def test_without_links_the_email_says_how_to_answer_and_that_replies_are_not_read(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_VARIABLE, raising=False)
    d = Desk(database_url, tmp_path)
    try:
        body = d.sweep()["hannah.noor"].body
        assert "/answer/" not in body and "Answer with one line" not in body
        assert "In chat: Done: action board 1 done" in body and "does not read replies" in body
        # And the page refuses every link, saying why.
        r = d.get("/answer/done?t=1.HN.done.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        assert r.status_code == 503 and SECRET_VARIABLE in r.text
    finally:
        d.close()


# --- each answer --------------------------------------------------------------------------------------------


def test_each_answer_is_the_chat_command_with_its_log_and_audit(desk: Desk) -> None:
    mails = desk.sweep()
    hn, gp = mails["hannah.noor"].links, mails["gareth.pryce"].links

    status, page = desk.answer(hn["Add update"], text="Written to the three schools; replies due Friday")
    assert status == 200 and "Update recorded" in page
    assert desk.log(1)[-1] == ("update", "web", "Written to the three schools; replies due Friday")

    status, page = desk.answer(hn["New date"], day="16", month="2", year="2024")
    assert status == 200 and "New due date saved" in page
    assert desk.action(1).due_date == date(2024, 2, 16)
    assert desk.log(1)[-1] == ("due", "web", "due Fri 16 Feb 2024")

    status, page = desk.answer(hn["Snooze"], day="5", month="2", year="2024")
    assert status == 200 and "Reminders paused" in page
    assert desk.action(1).snoozed_until == date(2024, 2, 5)

    status, page = desk.answer(hn["Done"])
    assert status == 200 and "Action marked done" in page
    done = desk.action(1)
    assert done.status == "done" and done.closed_at == SWEEP_AT
    assert desk.log(1)[-1][:2] == ("done", "web")
    # A closed action has nothing left to answer: its other links say so and change nothing.
    stored = desk.state()
    status, page, key = desk.open(hn["Not mine"])
    assert "is done already" in page and key is None and desk.state() == stored

    before = len(desk.box.messages)
    status, page = desk.answer(gp["Not mine"])
    assert status == 200 and "Action returned to the chair" in page
    with desk.app.sessions() as s:
        owner = s.scalars(select(ActionOwner).where(ActionOwner.action_id == desk.action(2).id)).one()
    assert owner.removed_reason == "not_mine" and owner.removed_at == SWEEP_AT
    # The chair hears of it, as in chat (here by e-mail: the chair has no chat door in this test).
    (to, told), *_ = desk.box.messages[before:]
    assert to == ["miriam.tolley@westshire.example"]
    assert "Gareth Pryce returned Board 2" in told.get_payload(decode=True).decode()

    assert desk.audit() == [
        ("HN", "web", "updated", "board:1"),
        ("HN", "web", "due changed", "board:1"),
        ("HN", "web", "snoozed", "board:1"),
        ("HN", "web", "done", "board:1"),
        ("GP", "web", "returned", "board:2"),
    ]


def test_a_link_answers_once(desk: Desk) -> None:
    link = desk.sweep()["hannah.noor"].links["Add update"]
    _, _, key = desk.open(link)
    assert key
    first = desk.post(link, data={"form_key": key, "text": "Chased the schools"})
    assert first.status_code == 200
    stored = desk.state()
    again = desk.post(link, data={"form_key": key, "text": "Chased the schools again"})
    assert "You have already answered with this link" in again.text
    assert desk.state() == stored
    # Opening it again shows that, and nothing of the action.
    _, page, key = desk.open(link)
    assert "already answered" in page and key is None and "strategy meetings" not in page
    assert desk.state() == stored


def test_a_refused_answer_changes_nothing_and_leaves_the_link_usable(desk: Desk) -> None:
    link = desk.sweep()["hannah.noor"].links["New date"]
    stored = desk.state()
    # Checked by the page: a date that is not one.
    status, page = desk.answer(link, day="31", month="2", year="2024")
    assert status == 400 and "There is a problem" in page and "The date must be a real date" in page
    assert page.count('href="#day"') == 1 and "<title>Error:" in page
    status, page = desk.answer(link, day="", month="", year="")
    assert status == 400 and "Enter the new due date" in page
    # Checked by the core, as in chat: a date that has passed.
    status, page = desk.answer(link, day="1", month="1", year="2024")
    assert status == 400 and "has passed" in text_of(page)
    assert desk.state() == stored
    # The link still answers, once corrected.
    status, _ = desk.answer(link, day="1", month="3", year="2024")
    assert status == 200 and desk.action(1).due_date == date(2024, 3, 1)


def test_an_expired_link_changes_nothing(desk: Desk) -> None:
    link = desk.sweep()["hannah.noor"].links["Done"]
    _, _, key = desk.open(link)
    desk.clock.now = SWEEP_AT + timedelta(days=30)
    stored = desk.state()
    status, page, form = desk.open(link)
    assert status == 410 and "This link has expired" in page and form is None
    assert "strategy meetings" not in page
    r = desk.post(link, data={"form_key": key or ""})
    assert r.status_code == 410 and desk.state() == stored and desk.action(1).status == "open"


def test_a_changed_link_shows_nothing_and_changes_nothing(desk: Desk) -> None:
    mails = desk.sweep()
    link = mails["hannah.noor"].links["Done"]
    _, _, key = desk.open(link)
    gareths = desk.action(2).id
    hannahs = desk.action(1).id
    token = link.split("?t=")[1]
    stored = desk.state()
    changed = [
        # Hannah's link, pointed at Gareth's action.
        link.replace(f"?t={hannahs}.", f"?t={gareths}."),
        # Another answer than the one signed, by the path or by the token.
        link.replace("/answer/done?", "/answer/not_mine?"),
        link.replace(".done.", ".not_mine.").replace("/answer/done?", "/answer/not_mine?"),
        # Another person, a later expiry, a signature one letter off, a link cut short.
        link.replace(".HN.", ".GP."),
        re.sub(r"\.(\d+)\.", lambda m: f".{int(m[1]) + 86400}.", link, count=1),
        link[:-1] + ("A" if link[-1] != "A" else "B"),
        link[:-5],
        "http://testserver/answer/done?t=",
    ]
    assert token not in changed
    for url in changed:
        status, page, form = desk.open(url)
        assert status == 404 and "This link does not work" in page and form is None, url
        assert "strategy meetings" not in page and "schools audit" not in page
        r = desk.post(url, data={"form_key": key or ""})
        assert r.status_code == 404, url
    assert desk.state() == stored


def test_a_post_without_the_pages_own_form_key_changes_nothing(desk: Desk) -> None:
    link = desk.sweep()["hannah.noor"].links["Done"]
    stored = desk.state()
    r = desk.post(link, data={})  # no key, no cookie: a forged form elsewhere
    assert r.status_code == 403 and "Your answer was not sent" in r.text
    _, _, key = desk.open(link)
    desk.http.cookies.clear()  # the key without the cookie it belongs to
    r = desk.post(link, data={"form_key": key or ""})
    assert r.status_code == 403 and desk.state() == stored


def test_pages_send_security_headers_and_load_nothing_from_elsewhere(desk: Desk) -> None:
    link = desk.sweep()["hannah.noor"].links["Add update"]
    r = desk.get(link)
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/answer" in cookie
    assert "<script" not in r.text and "http" not in re.sub(r'https?://testserver|href="#', "", r.text)
    assert '<label class="label-m" for="text">Your update</label>' in r.text
    css = desk.get("/answer/assets/answer.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    # The page shows the action: number, title, due date, latest update.
    page = text_of(r.text)
    assert "Children's Safeguarding Partnership Board 1" in page and "strategy meetings" in page
    assert "Mon 29 Jan 2024" in page and "Latest update None yet" in page


# --- settings and serve ---------------------------------------------------------------------------------


def test_the_web_section_takes_a_public_address_and_the_links_lifetime() -> None:
    with pytest.raises(SettingsError, match=r"web\.public_url: must be an https:// address"):
        settings_from({"web": {"public_url": "partnerbot.westshire.example"}}, ROOT, database_url="sqlite://")
    with pytest.raises(SettingsError, match=r"web\.answer_link_days: must be at least 1"):
        settings_from({"web": {"answer_link_days": 0}}, ROOT, database_url="sqlite://")
    with pytest.raises(SettingsError, match=r"web\.secret: no secrets in app\.yaml"):
        settings_from({"web": {"secret": "x"}}, ROOT, database_url="sqlite://")
    s = settings_from(
        {"web": {"public_url": "https://partnerbot.westshire.example/", "answer_link_days": 14}},
        ROOT,
        database_url="sqlite://",
    )
    assert (s.web.public_url, s.web.answer_link_days) == ("https://partnerbot.westshire.example", 14)
    assert settings_from({}, ROOT, database_url="sqlite://").web.answer_link_days == 30


def test_serve_without_the_secret_says_so_and_refuses_every_link(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_VARIABLE, raising=False)
    web, out = web_server(), io.StringIO()
    assert mount(app, web, out, {}) is None and web.parts == []  # no public address: no answer page
    reconfigure(app, web={"public_url": "https://partnerbot.westshire.example"})
    assert mount(app, web, out, {}) is not None
    assert f"the environment lacks {SECRET_VARIABLE}" in out.getvalue()
    ok, health = web.app.health()
    assert not ok and health["answers"] == {"ok": False, "links": f"off: {SECRET_VARIABLE} is not set"}
    assert build_couriers(app).get("email") is None  # (e-mail is off here; with it on, no links either)
    assert app.settings.web.answer_links() is None


def test_serve_puts_the_answer_page_on_its_web_server(
    app: App, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = {
        "database": {"url": database_url},
        "partnerships": [str(EXAMPLE)],
        "web": {"host": "127.0.0.1", "port": 0, "public_url": "https://partnerbot.westshire.example"},
    }
    cfg = tmp_path / "app.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    monkeypatch.delenv(SECRET_VARIABLE, raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert main(["--config", str(cfg), "serve", "--sweeps", "1", "--interval", "0.05"], out, err) == 0
    said = out.getvalue()
    assert "partnerbot serving: sweep, web." in said and "/answer/… (answers)" in said
    assert f"Answer pages are off: web.public_url is set, but the environment lacks {SECRET_VARIABLE}" in said
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    out = io.StringIO()
    assert main(["--config", str(cfg), "serve", "--sweeps", "1", "--interval", "0.05"], out, err) == 0
    assert "/answer/… (answers)" in out.getvalue() and "Answer pages are off" not in out.getvalue()


def test_malformed_posts_get_a_page_never_a_fault(desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    link = desk.local(desk.sweep()["hannah.noor"].links["New date"])
    stored = desk.state()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with caplog.at_level(logging.WARNING):
        for body in (b"\xff\xfe\x00garbage", b"form_key=%ZZ&day=%", b"day=1&day=2&&&==", b"{}"):
            assert desk.http.post(link, content=body, headers=form).status_code == 403  # no form key
        _, _, key = desk.open(link)
        assert key
        # The page's own key, with dates that are not dates (bytes that are not UTF-8 among them).
        for day, month, year in (
            (b"\xff", b"3", b"2025"),
            (b"99999999999999999999", b"1", b"2025"),
            (b"", b"", b""),
        ):
            body = b"form_key=" + key.encode() + b"&day=" + day + b"&month=" + month + b"&year=" + year
            r = desk.http.post(link, content=body, headers=form)
            assert r.status_code == 400 and "There is a problem" in r.text, r.text[:300]
    assert desk.state() == stored
    assert "Traceback" not in caplog.text
