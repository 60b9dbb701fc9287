"""Signed answer links: how an e-mailed reminder lets its reader answer without a chat door.

Each action in an e-mailed reminder carries one link per answer (Done, Add update, New date,
Not mine, Snooze) to the answer page that `partnerbot serve` serves (bot/answer_page.py).
A link names the action, the person it was sent to and the answer, and when it expires; an
HMAC with a key from the environment signs that together with the person's e-mail address,
so a link changed in any part, or sent to an address the person no longer has, does nothing.
A link answers once (storage/answer_link_models.py); the answer itself is the chat command
the reminder's button stands for, run by the core like any other message (door "web").

    https://partnerbot.westshire.example/answer/done?t=41.HN.done.1712000000.<signature>

This module signs and reads links and says what the page may show; it renders nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from handlers.actions import latest_update
from handlers.chair_digest import action_ref
from handlers.reply import Buttons
from storage.answer_link_models import claim_link, link_used_at, release_link
from storage.models import Action, Partnership, Person, Series
from storage.roster import PersonRef

SECRET_VARIABLE = "PARTNERBOT_ANSWER_SECRET"  # the environment variable that holds the signing secret
DEFAULT_DAYS = 30

# The answers a link can carry: the verbs of the reminder's buttons (handlers.actions.answer_buttons).
ANSWERS = ("done", "update", "new_date", "not_mine", "snooze")

_TOKEN = re.compile(
    r"^(?P<action>[1-9][0-9]{0,17})\.(?P<person>[A-Za-z]{1,16})\.(?P<answer>[a-z_]{1,16})\.(?P<expires>[0-9]{1,12})\.(?P<mac>[A-Za-z0-9_-]{32})$"
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class LinkKeys:
    """The keys that sign answer links and their forms, derived from one secret of the environment."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError(f"answer links need a secret: set {SECRET_VARIABLE}")
        self._links = hmac.new(secret.encode(), b"partnerbot-answer-links", hashlib.sha256).digest()
        self._forms = hmac.new(secret.encode(), b"partnerbot-answer-forms", hashlib.sha256).digest()

    def _mac(self, action_id: int, initials: str, email: str, answer: str, expires: int) -> str:
        msg = f"{action_id}|{initials}|{email.strip().lower()}|{answer}|{expires}".encode()
        return _b64(hmac.new(self._links, msg, hashlib.sha256).digest()[:24])

    def token(self, action_id: int, initials: str, email: str, answer: str, expires: datetime) -> str:
        if answer not in ANSWERS:
            raise ValueError(f"no such answer: {answer}")
        stamp = int(expires.timestamp())
        return (
            f"{action_id}.{initials}.{answer}.{stamp}.{self._mac(action_id, initials, email, answer, stamp)}"
        )

    def form_key(self, token: str, nonce: str) -> str:
        """The value a form carries against forgery: tied to the link and to the browser's cookie."""
        return _b64(hmac.new(self._forms, f"{token}|{nonce}".encode(), hashlib.sha256).digest()[:24])

    def form_ok(self, token: str, nonce: str | None, value: str | None) -> bool:
        if not nonce or not value:
            return False
        return hmac.compare_digest(self.form_key(token, nonce), value)

    def check(self, action_id: int, initials: str, email: str, answer: str, expires: int, mac: str) -> bool:
        return hmac.compare_digest(self._mac(action_id, initials, email, answer, expires), mac)


def link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- links in a reminder --------------------------------------------------------------------------------


class AnswerLinks:
    """Makes the links of an e-mailed reminder: `{base_url}/answer/{answer}?t=…`, valid for `days`."""

    def __init__(
        self,
        keys: LinkKeys,
        base_url: str,
        days: int = DEFAULT_DAYS,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.keys, self.base_url, self.days = keys, base_url.rstrip("/"), days
        self.clock = clock or (lambda: datetime.now(UTC))

    def expiry(self) -> datetime:
        return self.clock() + timedelta(days=self.days)

    def url(self, token: str, answer: str) -> str:
        return f"{self.base_url}/answer/{answer}?t={quote(token, safe='')}"

    def for_buttons(self, person: PersonRef, buttons: Buttons, expires: datetime) -> list[tuple[str, str]]:
        """(label, link) for each answer of a reminder's buttons; none for a person who cannot answer."""
        if not person.email or person.guest or person.mailbox or not person.active:
            return []  # a guest or an agency's mailbox is nobody's identity: the core would refuse it
        out = []
        for b in buttons.buttons:
            action_id = b.payload.get("action_id")
            if b.verb in ANSWERS and isinstance(action_id, int):
                token = self.keys.token(action_id, person.initials, person.email, b.verb, expires)
                out.append((b.label, self.url(token, b.verb)))
        return out


# --- reading a link -------------------------------------------------------------------------------------

CHANGED, EXPIRED, USED, OK = "changed", "expired", "used", "ok"


@dataclass(frozen=True)
class ActionView:
    """What the answer page shows of the action: nothing more."""

    ref: str  # "Children's Safeguarding Partnership Board 3"
    series_key: str
    number: int
    title: str
    status: str  # open | done | dropped
    due: date | None
    due_kind: str | None
    snoozed_until: date | None
    latest: str | None  # the latest update's text
    latest_on: date | None


@dataclass(frozen=True)
class Link:
    """A link as read: `state` is ok, used, expired or changed; only an ok or used link says more."""

    state: str
    token: str = ""
    answer: str = ""
    expires_at: datetime | None = None
    partnership_id: str = ""
    person_id: int = 0
    initials: str = ""
    first_name: str = ""
    action_id: int = 0
    action: ActionView | None = None
    used_at: datetime | None = None
    timezone: str = "Europe/London"

    @property
    def hash(self) -> str:
        return link_hash(self.token)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def read_link(session: Session, keys: LinkKeys, token: str, now: datetime) -> Link:
    """What a link is worth now. A link whose signature does not hold says nothing about anything."""
    m = _TOKEN.match(token or "")
    if m is None or m["answer"] not in ANSWERS:
        return Link(CHANGED)
    action_id, initials, answer, expires = int(m["action"]), m["person"], m["answer"], int(m["expires"])
    found = session.execute(
        select(Action, Series, Partnership.timezone)
        .join(Series, Series.id == Action.series_id)
        .join(Partnership, Partnership.id == Series.partnership_id)
        .where(Action.id == action_id)
        .options(selectinload(Action.updates))
    ).first()
    if found is None:
        return Link(CHANGED)
    action, series, timezone = found
    person = session.scalars(
        select(Person).where(
            Person.partnership_id == series.partnership_id,
            Person.initials == initials,
            Person.guest.is_(False),
        )
    ).first()
    if (
        person is None
        or not person.email
        or not keys.check(action_id, initials, person.email, answer, expires, m["mac"])
    ):
        return Link(CHANGED)
    if not person.active:
        return Link(CHANGED)  # someone who has left the partnership answers nothing
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        return Link(EXPIRED, token=token, answer=answer, expires_at=expires_at)
    tz = ZoneInfo(timezone)
    latest = latest_update(action)
    view = ActionView(
        ref=action_ref(series, action.number),
        series_key=series.key,
        number=action.number,
        title=action.title,
        status=action.status,
        due=action.due_date,
        due_kind=action.due_kind,
        snoozed_until=action.snoozed_until,
        latest=latest.text if latest is not None else None,
        latest_on=latest.at.astimezone(tz).date() if latest is not None else None,
    )
    used = link_used_at(session, link_hash(token))
    return Link(
        USED if used is not None else OK,
        token=token,
        answer=answer,
        expires_at=expires_at,
        partnership_id=series.partnership_id,
        person_id=person.id,
        initials=person.initials,
        first_name=person.name.split()[0],
        action_id=action.id,
        action=view,
        used_at=used,
        timezone=timezone,
    )


def command_for(link: Link, text: str = "") -> str:
    """The chat command the link's answer stands for: the reminder button's typed form, filled in."""
    from handlers.actions import answer_buttons

    assert link.action is not None
    series = Series(key=link.action.series_key)
    action = Action(number=link.action.number)
    for b in answer_buttons(series, action).buttons:
        if b.verb == link.answer:
            return b.typed.replace("{text}", text.strip())
    raise ValueError(f"no such answer: {link.answer}")


# --- what the answer page asks (it never reads these tables itself) --------------------------------------


class LinkBook:
    """The answer page's way to the database: read a link, mark it used, or free it again."""

    def __init__(self, sessions: sessionmaker[Session], keys: LinkKeys) -> None:
        self.sessions, self.keys = sessions, keys

    def read(self, token: str, now: datetime) -> Link:
        with self.sessions() as session:
            return read_link(session, self.keys, token, now)

    def claim(self, link: Link, now: datetime) -> bool:
        """Mark the link used before its answer runs; False if it has answered already."""
        assert link.expires_at is not None
        with self.sessions() as session, session.begin():
            return claim_link(
                session,
                link.hash,
                action_id=link.action_id,
                person_id=link.person_id,
                answer=link.answer,
                at=now,
                expires_at=link.expires_at,
            )

    def release(self, link: Link) -> None:
        """The answer was refused (nothing stored): the link may answer again, corrected."""
        with self.sessions() as session, session.begin():
            release_link(session, link.hash)
