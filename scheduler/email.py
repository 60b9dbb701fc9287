"""Reminders by e-mail, over SMTP, for people the chat doors cannot reach.

Settings live in app.yaml's `email:` section; the password never does — `password_env`
names the environment variable that holds it:

    email:
      enabled: true
      host: smtp.westshire.example
      port: 587
      starttls: true
      from: partnership-bot@westshire.example
      username: partnership-bot
      password_env: PARTNERBOT_SMTP_PASSWORD

With `web.public_url` set and a signing secret in the environment, each action of an e-mailed
reminder carries links to the answer page (handlers/answer_links.py); nothing reads replies to
the e-mail, and the e-mail says so.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Annotated, Any

from pydantic import Field, model_validator

from handlers.answer_links import AnswerLinks
from handlers.format import table_lines
from handlers.reply import Buttons, File, Table, Text
from scheduler.couriers import DeliveryFailed, Outgoing, Unreachable
from scheduler.sections import Port, Section, secret
from storage.roster import PersonRef


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str
    port: int = 587
    starttls: bool = True
    ssl: bool = False  # implicit TLS (port 465)
    username: str | None = None
    password_env: str | None = None
    reply_to: str | None = None
    timeout: float = 20.0

    @property
    def password(self) -> str | None:
        return secret(self.password_env)


class EmailSection(Section):
    """app.yaml's `email:` section."""

    enabled: bool = False
    host: str | None = None
    port: Port | None = None  # default: 465 with ssl, else 587
    starttls: bool | None = None  # default: on, except with ssl or on port 25
    ssl: bool = False
    sender: str | None = Field(default=None, alias="from")
    username: str | None = None
    password_env: str | None = None
    reply_to: str | None = None
    timeout: Annotated[float, Field(gt=0)] = 20.0

    @model_validator(mode="after")
    def _needs_a_server(self) -> EmailSection:
        missing = [k for k, v in (("host", self.host), ("from", self.sender)) if not v]
        if self.enabled and missing:
            raise ValueError(f"{' and '.join(missing)} must be set when e-mail is enabled")
        return self

    def resolve(self) -> SmtpSettings | None:
        """The SMTP settings, or None when e-mail is off (the default)."""
        if not self.enabled or not self.host or not self.sender:
            return None
        port = self.port or (465 if self.ssl else 587)
        return SmtpSettings(
            host=self.host,
            sender=self.sender,
            port=port,
            starttls=self.starttls if self.starttls is not None else (not self.ssl and port != 25),
            ssl=self.ssl,
            username=self.username,
            password_env=self.password_env,
            reply_to=self.reply_to,
            timeout=self.timeout,
        )


def load_email_settings(section: dict[str, Any] | None) -> SmtpSettings | None:
    """app.yaml's `email:` section on its own."""
    return EmailSection.read(section, "email").resolve()


NOT_READ = "This e-mail comes from the partnership's bot, which does not read replies."


def email_body(out: Outgoing, links: AnswerLinks | None = None) -> str:
    """A reminder as an e-mail's text: each action's answers as links to the answer page (when
    links are set up), else the chat commands; never a promise that a reply is read."""
    # An agency's mailbox is read by whoever answers for the agency, not by one person.
    greeting = f"colleagues at {out.person.name}" if out.person.mailbox else out.person.first_name
    lines = [f"Dear {greeting},", ""]
    expires = links.expiry() if links is not None else None
    linked = answers = False
    for block in out.message.blocks:
        if isinstance(block, Text):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend(table_lines(block))
        elif isinstance(block, Buttons) and block.buttons:
            answers = True
            found = links.for_buttons(out.person, block, expires) if links and expires else []
            if links is not None and found:
                linked = True
                lines.append(f"    Answer on the web (each link works once, for {links.days} days):")
                lines.extend(f"      {label}: {url}" for label, url in found)
            else:
                forms = " · ".join(f"{b.label}: {b.typed.replace('{text}', '…')}" for b in block.buttons)
                lines.append(f"    In chat: {forms}")
        elif isinstance(block, File):
            lines.append(f"[{block.title}: {block.filename}]")
    lines.append("")
    if linked:
        lines.append(f"{NOT_READ} To answer, use the links above.")
    elif not answers:
        lines.append(NOT_READ)
    else:
        lines.append(
            f"{NOT_READ} To answer, use the partnership's chat, or ask the business unit to record it."
        )
    return "\n".join(lines) + "\n"


class EmailCourier:
    door = "email"

    def __init__(self, settings: SmtpSettings, links: AnswerLinks | None = None) -> None:
        self.settings = settings
        self.links = links  # answer links in each reminder (web.public_url and the secret set)

    def reach(self, person: PersonRef) -> bool:
        return bool(person.email)

    def compose(self, out: Outgoing) -> EmailMessage:
        s = self.settings
        msg = EmailMessage()
        msg["From"] = s.sender
        # Quoted where needed: an agency's name ("Probation Service (Marchfield)") may hold brackets.
        msg["To"] = formataddr((out.person.name, out.person.email or ""))
        msg["Subject"] = out.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(idstring=f"digest{out.digest_id}", domain=s.sender.rpartition("@")[2])
        if s.reply_to:
            msg["Reply-To"] = s.reply_to
        # Ties the message to its digest, so a possible duplicate can be recognised by the reader's tools.
        msg["X-Partnerbot-Digest"] = str(out.digest_id)
        msg.set_content(email_body(out, self.links))
        return msg

    def send(self, out: Outgoing) -> str:
        if not out.person.email:
            raise Unreachable(f"{out.person.initials} has no e-mail address")
        msg = self.compose(out)
        s = self.settings
        try:
            if s.ssl:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with client:
                if s.starttls and not s.ssl:
                    client.starttls(context=ssl.create_default_context())
                if s.username:
                    client.login(s.username, s.password or "")
                client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            if codes and all(code >= 500 for code in codes):  # 5xx: the address is wrong, not the moment
                raise Unreachable(f"the mail server refused {out.person.email}: {e.recipients}") from e
            raise DeliveryFailed(f"SMTP {s.host}:{s.port}: {e.recipients}") from e
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryFailed(f"SMTP {s.host}:{s.port}: {e}") from e
        return str(msg["Message-ID"])
