"""Reminder delivery: claims, per-recipient leases and the messages (digests) that carried them.

Nothing here says what is due: the sweep derives that from actions, meetings and the
policy every time. These tables only record what has been claimed and what happened to
it, so a restart loses nothing and several processes never send one nudge twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base

# Claim states. pending: derived and keyed, not yet in a message; claimed: in a digest a process is
# composing; sending: handed to a door; sent; failed: retried at next_attempt_at; dropped: no longer
# applies (done, superseded, snoozed); gave_up: retries exhausted.
OPEN_STATES = ("pending", "claimed", "sending", "failed")
_OPEN_SQL = "state IN ('pending', 'claimed', 'sending', 'failed')"


class NudgeClaim(Base):
    """One nudge to one person, keyed so it can be claimed once: (subject, kind, due date, recipient)."""

    __tablename__ = "nudge_claims"
    __table_args__ = (
        UniqueConstraint("subject_id", "kind", "due_on", "recipient_id", name="uq_nudge_claims_key"),
        # The sweep's work list: only unsettled claims, which stay few while sent ones pile up.
        Index(
            "ix_nudge_claims_open",
            "partnership_id",
            "state",
            "recipient_id",
            postgresql_where=text(_OPEN_SQL),
            sqlite_where=text(_OPEN_SQL),
        ),
        Index("ix_nudge_claims_digest", "digest_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign keys on these two: the action or meeting implies them, and the sweep inserts
    # thousands of rows at a time, where every key costs a trigger per row.
    partnership_id: Mapped[str] = mapped_column(String(64))
    series_id: Mapped[int] = mapped_column(Integer)
    # before:7d | before:1wd | due | overdue:7d | overdue:14d … | chair | papers
    kind: Mapped[str] = mapped_column(String(24))
    # The action for action nudges; the meeting for the chair's digest and the papers reminder.
    subject_id: Mapped[int] = mapped_column(Integer)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    # The due date the nudge was derived from: a new due date means new keys (the schedule re-arms).
    due_on: Mapped[date] = mapped_column(Date)
    scheduled_on: Mapped[date] = mapped_column(Date)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    door: Mapped[str | None] = mapped_column(String(16))
    message_id: Mapped[str | None] = mapped_column(String(200))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"))
    # Taken over from a process that died after handing it to a door: it may have arrived twice.
    possible_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)


class Digest(Base):
    """One composed message to one person: every nudge due for them in one sweep."""

    __tablename__ = "digests"
    __table_args__ = (Index("ix_digests_recipient", "recipient_id", "composed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[str] = mapped_column(ForeignKey("partnerships.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    holder: Mapped[str] = mapped_column(String(64))  # the process that composed it
    composed_at: Mapped[datetime]
    # composed | sending | sent | failed | abandoned (its process died before sending) |
    # possibly_sent (its process died while sending) | lost (its claims were taken over)
    state: Mapped[str] = mapped_column(String(16), default="composed")
    nudges: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    door: Mapped[str | None] = mapped_column(String(16))
    # Every door tried, in order, with what happened: [{"door": "slack", "result": "no Slack id"}, …]
    route: Mapped[list[Any]] = mapped_column(default=list)
    message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class RecipientLease(Base):
    """Only the holder composes this person's digest until `until`, so nobody gets partial digests."""

    __tablename__ = "recipient_leases"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime]
    taken_at: Mapped[datetime]
