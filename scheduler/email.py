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
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from scheduler.couriers import DeliveryFailed, Outgoing, Unreachable
from storage.roster import PersonRef


class EmailSettingsError(ValueError):
    pass


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
        return os.environ.get(self.password_env) if self.password_env else None


def load_email_settings(section: dict[str, Any] | None) -> SmtpSettings | None:
    """The SMTP settings, or None when e-mail is off (the default)."""
    raw = section or {}
    if not raw.get("enabled", False):
        return None
    missing = [k for k in ("host", "from") if not raw.get(k)]
    if missing:
        raise EmailSettingsError(f"email: {' and '.join(missing)} must be set when e-mail is enabled")
    if "password" in raw:
        raise EmailSettingsError(
            "email: no passwords in app.yaml; put it in an environment variable named by password_env"
        )
    port = int(raw.get("port", 465 if raw.get("ssl") else 587))
    return SmtpSettings(
        host=str(raw["host"]),
        sender=str(raw["from"]),
        port=port,
        starttls=bool(raw.get("starttls", not raw.get("ssl") and port != 25)),
        ssl=bool(raw.get("ssl", False)),
        username=raw.get("username"),
        password_env=raw.get("password_env"),
        reply_to=raw.get("reply_to"),
        timeout=float(raw.get("timeout", 20)),
    )


class EmailCourier:
    door = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def reach(self, person: PersonRef) -> bool:
        return bool(person.email)

    def compose(self, out: Outgoing) -> EmailMessage:
        s = self.settings
        msg = EmailMessage()
        msg["From"] = s.sender
        msg["To"] = f"{out.person.name} <{out.person.email}>"
        msg["Subject"] = out.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(idstring=f"digest{out.digest_id}", domain=s.sender.rpartition("@")[2])
        if s.reply_to:
            msg["Reply-To"] = s.reply_to
        # Ties the message to its digest, so a possible duplicate can be recognised by the reader's tools.
        msg["X-Partnerbot-Digest"] = str(out.digest_id)
        msg.set_content(f"Dear {out.person.first_name},\n\n{out.text}\n")
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
