"""The answer page: `/answer/…` on the one web server, where an e-mailed reminder's links lead.

A reminder sent by e-mail carries, for each action, one signed link per answer (Done, Add
update, New date, Not mine, Snooze; handlers/answer_links.py). Opening a link shows the
action and asks one question; the form is posted back, checked, and the answer runs as the
reminder button's chat command through `Core.handle` (door "web"), so the rules, the log and
the audit trail are the chat's. The page follows the GOV.UK Design System's conventions:
one question per page, labels and hints, an error summary, no JavaScript, nothing loaded
from elsewhere.

- GET never changes anything (mail scanners open links); only a POST answers, and it must
  carry the form's key, tied to the link and to a cookie this page set (no forged posts).
- A link answers once: it is marked used before its answer runs and freed again only if the
  core refused the answer (a date in the past), so the person can correct it.
- A link that was changed, has expired or has answered shows a page saying so, and nothing
  of the action. Without the signing secret in the environment every link is refused.
- Every response sends a strict Content-Security-Policy, `Referrer-Policy: no-referrer` (the
  link is a key) and `frame-ancestors 'none'`; the access log never holds the query string.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import parse_qs

from handlers.answer_links import (
    CHANGED,
    EXPIRED,
    SECRET_VARIABLE,
    USED,
    Link,
    LinkBook,
    LinkKeys,
    command_for,
)
from handlers.context import Request
from handlers.format import due_text, short_date, when
from handlers.reply import ERROR, PERSON, QUESTION, Message, Reply, Text
from scheduler.couriers import Courier, Outgoing, plain_text, route

if TYPE_CHECKING:
    from jinja2 import Template
    from starlette.types import Receive, Scope, Send

    from bot.app import App
    from bot.web import WebServer

log = logging.getLogger("partnerbot.answers")

DOOR = "web"
COOKIE = "pb_answer"
MAX_UPDATE = 2000
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = (
    ("content-security-policy", CSP),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("cache-control", "no-store"),
    ("x-robots-tag", "noindex, nofollow"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
)


@dataclass(frozen=True)
class Question:
    """One answer's page: its question, what the person gives, and the button."""

    title: str  # the page's heading and title: the one question
    field: str | None  # None: a confirmation; "text": a text area; "date": day, month, year
    button: str
    done: str  # the confirmation's heading
    hint: str = ""
    empty: str = ""  # the error when nothing is given
    label: str = ""  # the field's label (or the date's legend)


QUESTIONS: dict[str, Question] = {
    "done": Question(
        "Is this action done?",
        None,
        "Yes, mark it done",
        "Action marked done",
        hint="Its reminders stop. The chair sees it as done at the next meeting.",
    ),
    "update": Question(
        "What is your update?",
        "text",
        "Send update",
        "Update recorded",
        hint="Say where the action stands. The update goes in the action's log, as if typed in chat.",
        empty="Enter your update",
        label="Your update",
    ),
    "new_date": Question(
        "What is the new due date?",
        "date",
        "Save the new date",
        "New due date saved",
        hint="For example, 27 3 2025. Reminders start again from the new date.",
        empty="Enter the new due date",
        label="New due date",
    ),
    "not_mine": Question(
        "Is this action not yours?",
        None,
        "Return it to the chair",
        "Action returned to the chair",
        hint="It goes back to the chair, who gives it to someone else. You get no more reminders for it.",
    ),
    "snooze": Question(
        "Until when should reminders pause?",
        "date",
        "Pause reminders",
        "Reminders paused",
        hint="For example, 27 3 2025. The action keeps its due date.",
        empty="Enter the date reminders should start again",
        label="Pause reminders until",
    ),
}


# --- pages ---------------------------------------------------------------------------------------------

_BASE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{% if errors %}Error: {% endif %}{{ title }} – Answer a reminder</title>
<link rel="stylesheet" href="/answer/assets/answer.css">
</head>
<body>
<a href="#main-content" class="skip-link">Skip to main content</a>
<header class="header"><div class="width"><p class="service">Answer a reminder</p></div></header>
<div class="width">
<main id="main-content" class="main">
{% block main %}{% endblock %}
</main>
</div>
<footer class="footer"><div class="width"><p>Sent by your safeguarding partnership's action tracker.
This page stores your answer in the tracker, as if you had typed it in the meeting chat.</p></div></footer>
</body>
</html>
"""

_ACTION = """<dl class="summary">
<div class="summary-row"><dt>Action</dt><dd>{{ a.ref }}</dd></div>
<div class="summary-row"><dt>What</dt><dd>{{ a.title }}</dd></div>
<div class="summary-row"><dt>Due</dt><dd>{{ due }}</dd></div>
<div class="summary-row"><dt>Latest update</dt>
<dd>{% if a.latest %}{{ a.latest }} ({{ latest_on }}){% else %}None yet{% endif %}</dd></div>
</dl>
"""

_ERRORS = """{% if errors %}
<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 class="error-summary-title" id="error-summary-title">There is a problem</h2>
<ul class="error-list">
{% for target, text in errors %}<li><a href="#{{ target }}">{{ text }}</a></li>
{% endfor %}</ul>
</div>
{% endif %}"""

_FORM = (
    """{% extends "base" %}{% block main %}
"""
    + _ERRORS
    + """
<span class="caption">{{ a.ref }}</span>
<h1 class="heading-l">{{ q.title }}</h1>
"""
    + _ACTION
    + """
<form method="post" novalidate>
<input type="hidden" name="form_key" value="{{ form_key }}">
{% if q.field == "text" %}
<div class="form-group{% if errors %} form-group-error{% endif %}">
<label class="label-m" for="text">{{ q.label }}</label>
<div id="text-hint" class="hint">{{ q.hint }}</div>
{% if errors %}<p id="text-error" class="error-message">
<span class="visually-hidden">Error:</span> {{ errors[0][1] }}</p>{% endif %}
<textarea class="textarea{% if errors %} textarea-error{% endif %}" id="text" name="text" rows="5"
 aria-describedby="text-hint{% if errors %} text-error{% endif %}">{{ values.text }}</textarea>
</div>
{% elif q.field == "date" %}
<div class="form-group{% if errors %} form-group-error{% endif %}">
<fieldset class="fieldset" role="group" aria-describedby="date-hint{% if errors %} date-error{% endif %}">
<legend class="label-m">{{ q.label }}</legend>
<div id="date-hint" class="hint">{{ q.hint }}</div>
{% if errors %}<p id="date-error" class="error-message">
<span class="visually-hidden">Error:</span> {{ errors[0][1] }}</p>{% endif %}
<div class="date-input">
{% for name, label, width in [("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4)] %}
<div class="date-item"><label class="date-label" for="{{ name }}">{{ label }}</label>
<input class="input width-{{ width }}{% if name in bad %} input-error{% endif %}"
 id="{{ name }}" name="{{ name }}" type="text"
 inputmode="numeric" autocomplete="off" spellcheck="false" value="{{ values[name] }}"></div>
{% endfor %}
</div>
</fieldset>
</div>
{% else %}
<p class="body">{{ q.hint }}</p>
{% endif %}
<button type="submit" class="button">{{ q.button }}</button>
</form>
{% endblock %}"""
)

_DONE = """{% extends "base" %}{% block main %}
<div class="panel"><h1 class="panel-title">{{ title }}</h1><div class="panel-body">{{ a.ref }}</div></div>
{% for line in said %}<p class="body">{{ line }}</p>{% endfor %}
<p class="body">You can close this page. This link has now been used; the next reminder brings new links.</p>
{% endblock %}"""

_NOTICE = """{% extends "base" %}{% block main %}
<h1 class="heading-l">{{ title }}</h1>
{% for line in lines %}<p class="body">{{ line }}</p>{% endfor %}
{% endblock %}"""


@functools.cache
def _template(name: str) -> Template:
    """A page's template; Jinja is imported when a page is first shown, not by every `serve`."""
    from jinja2 import DictLoader, Environment, select_autoescape

    env = Environment(
        loader=DictLoader({"base": _BASE, "form": _FORM, "done": _DONE, "notice": _NOTICE}),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(name)


CSS = """
*,*::before,*::after{box-sizing:border-box}
html{background:#f3f2f1}
body{
  margin:0;background:#fff;color:#0b0c0c;font-family:Arial,"Helvetica Neue",Helvetica,sans-serif;
  font-size:1.1875rem;line-height:1.32}
a{color:#1d70b8}a:visited{color:#4c2c92}a:hover{color:#003078}
a:focus,.link:focus{
  outline:3px solid transparent;color:#0b0c0c;background-color:#fd0;
  box-shadow:0 -2px #fd0,0 4px #0b0c0c;text-decoration:none}
.skip-link{position:absolute;left:-9999px;top:0;padding:10px 15px;background:#fd0;color:#0b0c0c}
.skip-link:focus{left:0;z-index:10}
.width{max-width:960px;margin:0 15px}
@media (min-width:40.0625em){.width{margin:0 30px}}
@media (min-width:1020px){.width{margin:0 auto}}
.header{background:#0b0c0c;color:#fff;border-bottom:10px solid #1d70b8}
.service{margin:0;padding:12px 0;font-weight:700;font-size:1.5rem}
.main{padding:30px 0 40px;max-width:40em}
.footer{border-top:1px solid #b1b4b6;background:#f3f2f1;padding:20px 0;font-size:1rem}
.caption{display:block;color:#505a5f;font-size:1.1875rem;margin-bottom:5px}
.heading-l{font-size:2rem;line-height:1.09;font-weight:700;margin:0 0 20px}
.label-m{display:block;font-size:1.5rem;font-weight:700;margin:0 0 15px;padding:0}
.fieldset{margin:0;padding:0;border:0}
.body{margin:0 0 20px}
.hint{color:#505a5f;margin-bottom:15px}
.summary{margin:0 0 30px;border-top:1px solid #b1b4b6}
.summary-row{display:flex;flex-wrap:wrap;border-bottom:1px solid #b1b4b6;padding:10px 0}
.summary-row dt{font-weight:700;flex:0 0 30%;margin:0 20px 5px 0}
.summary-row dd{margin:0;flex:1 1 60%;overflow-wrap:anywhere}
.form-group{margin-bottom:30px}
.form-group-error{border-left:5px solid #d4351c;padding-left:15px}
.error-message{color:#d4351c;font-weight:700;margin:0 0 15px}
.textarea,.input{
  font:inherit;border:2px solid #0b0c0c;border-radius:0;padding:5px;width:100%;color:#0b0c0c;
  background:#fff}
.textarea-error,.input-error{border-color:#d4351c}
.textarea:focus,.input:focus{
  outline:3px solid #fd0;outline-offset:0;box-shadow:inset 0 0 0 2px #0b0c0c}
.date-input{display:flex;gap:20px}
.date-item{display:flex;flex-direction:column}
.date-label{margin-bottom:5px}
.width-2{width:5.4ex}.width-4{width:9ex}
.input{min-height:44px}
.button{
  font:inherit;font-weight:400;color:#fff;background:#00703c;border:2px solid transparent;
  border-radius:0; box-shadow:0 2px 0 #002d18;padding:8px 10px 7px;min-height:44px;min-width:44px;
  cursor:pointer;margin:0 0 30px}
.button:hover{background:#005a30}
.button:focus{
  outline:3px solid transparent;border-color:#fd0;color:#0b0c0c;background:#fd0;
  box-shadow:inset 0 0 0 1px #fd0,0 2px 0 #0b0c0c}
.error-summary{color:#0b0c0c;padding:15px;margin-bottom:30px;border:5px solid #d4351c}
.error-summary:focus{outline:3px solid #fd0}
.error-summary-title{margin:0 0 15px;font-size:1.5rem}
.error-list{margin:0;padding:0;list-style:none}
.error-list a{color:#d4351c;font-weight:700}
.panel{background:#00703c;color:#fff;padding:25px;text-align:center;margin-bottom:30px}
.panel-title{font-size:2rem;margin:0 0 15px}.panel-body{font-size:1.5rem}
.list{padding-left:20px}.list li{margin-bottom:10px}
.visually-hidden{
  position:absolute!important;width:1px!important;height:1px!important;margin:0!important;
  padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;border:0!important;
  white-space:nowrap!important}
"""


# --- the application -----------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    cookie: str | None = None  # a new form cookie's value
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Asked:
    """A request as the page reads it."""

    method: str
    answer: str  # the path's last part
    token: str
    cookie: str | None
    form: Mapping[str, str]


def _is_problem(reply: Reply) -> bool:
    """An error or a question: the core stored nothing, and the person has to do something."""
    return any(isinstance(b, Text) and b.tone in (ERROR, QUESTION) for m in reply.messages for b in m.blocks)


def _said(reply: Reply) -> list[str]:
    """What the core said to the person (not what it sends others), without chat markup."""
    return [
        b.text.replace("`", "")
        for m in reply.messages
        if m.audience != PERSON
        for b in m.blocks
        if isinstance(b, Text)
    ]


def _date_from(form: Mapping[str, str], empty: str) -> tuple[str | None, list[tuple[str, str]], set[str]]:
    """(d/m/yyyy, errors, the parts in error) from the day, month and year boxes, as GOV.UK asks."""
    parts = {k: form.get(k, "").strip() for k in ("day", "month", "year")}
    missing = [k for k in ("day", "month", "year") if not parts[k]]
    if len(missing) == 3:
        return None, [("day", empty)], {"day", "month", "year"}
    if missing:
        return None, [(missing[0], f"The date must include a {' and a '.join(missing)}")], set(missing)
    if not all(v.isdigit() for v in parts.values()) or len(parts["year"]) != 4:
        bad = {k for k, v in parts.items() if not v.isdigit()} or {"year"}
        return (
            None,
            [(sorted(bad)[0], "The date must be a real date, written in numbers: day, month, year")],
            bad,
        )
    try:
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except (ValueError, OverflowError):  # a day of twenty digits overflows C's int
        return None, [("day", "The date must be a real date")], {"day", "month", "year"}
    return f"{day.day}/{day.month}/{day.year}", [], set()


class AnswerPage:
    """The ASGI application at `/answer/`: GET shows a link's question, POST answers it."""

    def __init__(
        self,
        app: App,
        keys: LinkKeys | None,
        *,
        days: int,
        secure_cookie: bool = True,
        clock: Callable[[], datetime] | None = None,
        couriers: Mapping[str, Courier] | None = None,
    ) -> None:
        self.app, self.keys, self.days = app, keys, days
        self.book = LinkBook(app.sessions, keys) if keys is not None else None
        self.secure_cookie = secure_cookie
        self.clock = clock or (lambda: datetime.now(UTC))
        self.couriers = dict(couriers or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        method = scope["method"]
        if path == "/answer/assets/answer.css":
            response = Response(200, CSS.encode(), "text/css; charset=utf-8")
        elif method not in ("GET", "HEAD", "POST"):
            response = self._notice(405, "This page only answers links", ["Open the link from the e-mail."])
            response.headers.append(("allow", "GET, HEAD, POST"))
        else:
            asked = await self._read(scope, receive, path, method)
            response = await asyncio.to_thread(self.respond, asked)
        await self._send(send, response, head=method == "HEAD")

    async def _read(self, scope: Scope, receive: Receive, path: str, method: str) -> Asked:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("t") or [""])[0]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        cookie = None
        if "cookie" in headers:
            try:
                jar = SimpleCookie(headers["cookie"])
                cookie = jar[COOKIE].value if COOKIE in jar else None
            except CookieError:
                cookie = None
        form: dict[str, str] = {}
        if method == "POST":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
            if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
                form = {k: v[0] for k, v in parsed.items()}
        answer = path.removeprefix("/answer").strip("/")
        return Asked(method, answer, token, cookie, form)

    async def _send(self, send: Send, response: Response, *, head: bool) -> None:
        headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(len(response.body)).encode()),
            *((k.encode(), v.encode()) for k, v in SECURITY_HEADERS),
            *((k.encode(), v.encode()) for k, v in response.headers),
        ]
        if response.cookie is not None:
            flags = "; Secure" if self.secure_cookie else ""
            value = f"{COOKIE}={response.cookie}; Path=/answer; HttpOnly; SameSite=Strict{flags}"
            headers.append((b"set-cookie", value.encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else response.body})

    # --- what to answer (in a worker thread: the core and the database are synchronous) ------------------
    def respond(self, asked: Asked) -> Response:
        if self.book is None or self.keys is None:
            log.warning("an answer link was opened, but the environment lacks PARTNERBOT_ANSWER_SECRET")
            return self._notice(
                503,
                "Answering from an e-mail is switched off",
                [
                    "This server cannot check answer links: it has no signing secret "
                    "(PARTNERBOT_ANSWER_SECRET). Nothing was changed.",
                    "Tell the partnership's business unit, or answer in the meeting chat.",
                ],
            )
        now = self.clock()
        link = self.book.read(asked.token, now)
        if link.state == CHANGED or asked.answer != link.answer:
            return self._changed()
        if link.state == EXPIRED:
            return self._expired(link)
        if link.state == USED:
            return self._used(link)
        assert link.action is not None
        if link.action.status != "open":
            state = "done" if link.action.status == "done" else "dropped"
            return self._notice(
                200,
                f"{link.action.ref} is {state} already",
                ["There is nothing to answer: it gets no more reminders. Nothing was changed."],
            )
        if asked.method == "POST":
            return self._post(link, asked, now)
        return self._form(link, asked.cookie, [], {}, set())

    def _post(self, link: Link, asked: Asked, now: datetime) -> Response:
        assert self.keys is not None and self.book is not None
        if not self.keys.form_ok(link.token, asked.cookie, asked.form.get("form_key")):
            return self._notice(
                403,
                "Your answer was not sent",
                [
                    "This page could not confirm that the answer came from its own form (the page "
                    "was opened in another browser, or cookies are blocked). Nothing was changed.",
                    "Open the link from the e-mail again and answer on the page it shows.",
                ],
            )
        q = QUESTIONS[link.answer]
        values = {k: asked.form.get(k, "") for k in ("text", "day", "month", "year")}
        text = ""
        if q.field == "text":
            text = values["text"].strip()
            if not text:
                return self._form(link, asked.cookie, [("text", q.empty)], values, set(), status=400)
            if len(text) > MAX_UPDATE:
                problem = f"Your update must be {MAX_UPDATE:,} characters or fewer"
                return self._form(link, asked.cookie, [("text", problem)], values, set(), status=400)
        elif q.field == "date":
            typed, errors, bad = _date_from(values, q.empty)
            if typed is None:
                return self._form(link, asked.cookie, errors, values, bad, status=400)
            text = typed
        if not self.book.claim(link, now):
            return self._used(self.book.read(link.token, now))
        reply = self._run(link, command_for(link, text), now)
        if _is_problem(reply):
            self.book.release(link)  # nothing was stored: the person may correct the answer
            target = {"text": "text", "date": "day"}.get(q.field or "", "main-content")
            errors = [(target, line) for line in _said(reply)] or [(target, "The answer was not recorded")]
            return self._form(link, asked.cookie, errors, values, set(), status=400)
        self._tell_others(link, reply)
        assert link.action is not None
        page = _template("done").render(title=q.done, a=link.action, said=_said(reply), errors=[])
        return Response(200, page.encode())

    def _run(self, link: Link, text: str, now: datetime) -> Reply:
        """The answer, as the chat command the reminder's button stands for, from the link's person."""
        core = self.app.core(link.partnership_id)
        channel = f"answer:{link.initials}"
        assert link.action is not None
        req = Request(
            DOOR, channel, link.initials, text, now, direct=True, series_hint=link.action.series_key
        )
        reply = core.handle(req)
        if core.has_question(DOOR, channel, link.initials):
            core.cancel_question(DOOR, channel, link.initials)  # a page cannot answer a question back
        return reply

    def _tell_others(self, link: Link, reply: Reply) -> None:
        """What the answer tells someone else (the chair, of an action returned), through their door."""
        others = [
            m for m in reply.messages if m.audience == PERSON and m.person and m.person != link.initials
        ]
        if not others:
            return
        roster = self.app.core(link.partnership_id).roster()
        for message in others:
            person = roster.people.get(message.person or "")
            if person is None:
                continue
            self._deliver(person, message)

    def _deliver(self, person: Any, message: Message) -> None:
        text = plain_text(message, answers_hint=False)
        subject = (message.plain.split(". ")[0] or "partnerbot")[:150]
        for courier in route(person, (), self.couriers):
            try:
                courier.send(Outgoing(person, subject, message, text, 0))
                return
            except Exception as e:  # best effort: the chair's digest lists returned actions anyway
                log.warning("could not tell %s by %s: %s", person.initials, courier.door, e)

    # --- pages -------------------------------------------------------------------------------------------
    def _form(
        self,
        link: Link,
        cookie: str | None,
        errors: list[tuple[str, str]],
        values: Mapping[str, str],
        bad: set[str],
        *,
        status: int = 200,
    ) -> Response:
        assert self.keys is not None and link.action is not None
        fresh = None
        if not cookie:
            cookie = fresh = secrets.token_urlsafe(24)
        a = link.action
        due = due_text(a.due, a.due_kind).removeprefix("due ")
        due = due[:1].upper() + due[1:]
        if a.snoozed_until:
            due += f" (reminders paused until {short_date(a.snoozed_until)})"
        page = _template("form").render(
            title=QUESTIONS[link.answer].title,
            q=QUESTIONS[link.answer],
            a=a,
            due=due,
            latest_on=short_date(a.latest_on) if a.latest_on else "",
            errors=errors,
            values={k: values.get(k, "") for k in ("text", "day", "month", "year")},
            bad=bad,
            form_key=self.keys.form_key(link.token, cookie),
        )
        return Response(status, page.encode(), cookie=fresh)

    def _notice(self, status: int, title: str, lines: list[str]) -> Response:
        page = _template("notice").render(title=title, lines=lines, errors=[])
        return Response(status, page.encode())

    def _changed(self) -> Response:
        return self._notice(
            404,
            "This link does not work",
            [
                "It may have been copied only in part, or changed. Nothing was changed.",
                "Open the link exactly as it is in the e-mail, or answer in the meeting chat.",
            ],
        )

    def _expired(self, link: Link) -> Response:
        return self._notice(
            410,
            "This link has expired",
            [
                f"Links in a reminder work for {self.days} days. Nothing was changed.",
                "The next reminder brings new links; or answer in the meeting chat.",
            ],
        )

    def _used(self, link: Link) -> Response:
        at = f" on {when(link.used_at, link.tz)}" if link.used_at else ""
        return self._notice(
            200,
            "You have already answered with this link",
            [
                f"This link was used{at}. Each link in a reminder answers once, so nothing more was changed.",
                "The next reminder brings new links; or answer in the meeting chat.",
            ],
        )


def mount(
    app: App,
    web: WebServer,
    out: TextIO,
    couriers: Mapping[str, Courier],
    clock: Callable[[], datetime] | None = None,
) -> AnswerPage | None:
    """Put the answer page on `serve`'s web server when app.yaml gives a public address (`web.public_url`)."""
    settings = app.settings.web
    if not settings.public_url:
        return None
    keys = settings.answer_keys()
    if keys is None:
        out.write(
            "Answer pages are off: web.public_url is set, but the environment lacks "
            f"{SECRET_VARIABLE}, the secret that signs answer links. E-mailed reminders carry no links, "
            "and /answer/ refuses every link until it is set.\n"
        )
    page = AnswerPage(
        app,
        keys,
        days=settings.answer_link_days,
        secure_cookie=settings.public_url.lower().startswith("https://"),
        couriers=couriers,
        clock=clock,
    )
    part = web.part("answers")
    part.route("/answer/", page, prefix=True)
    part.check(
        lambda: (
            {"ok": True, "links": "on"}
            if keys is not None
            else {"ok": False, "links": f"off: {SECRET_VARIABLE} is not set"}
        )
    )
    part.ready()
    return page
