"""Retention: how long each class of record is kept, enforced by the reminder sweep.

app.yaml's `retention:` section (docs/data-protection.md) gives each class a number of days, or
`never` to keep it for ever. Each sweep (at most once per `every_minutes`) deletes or blanks what
has passed its time, in batches of `batch` rows per statement, each batch its own short
transaction, so a large backlog never holds a long lock; what is left goes at the next sweep.

| class              | age counted from          | what happens                                    |
| processed_events   | when the door handled it  | deleted (it only stops a retried event twice)   |
| digests            | when it was composed      | subject, body, error and route blanked; the row |
|                    |                           | stays, so its claims still say they were sent   |
| questions          | when the question expired | deleted, with the words it held                 |
| answer_links       | when the link expired     | deleted (an expired link is refused anyway)     |
| audit_detail       | the event                 | before/after blanked; who, what, when stay      |
| attendance         | the meeting's start       | deleted                                         |
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, Table, delete, null, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from handlers.faults import log_error
from scheduler.sections import Section
from storage.answer_link_models import AnswerLinkUse
from storage.models import Attendance, AuditEvent, Meeting, PendingQuestion, ProcessedEvent
from storage.nudge_models import Digest

log = logging.getLogger("partnerbot.retention")

Days = Annotated[int, Field(ge=0, description="a number of days")] | Literal["never"]


class RetentionSection(Section):
    """app.yaml's `retention:` section: days each class of record is kept (`never`: for ever)."""

    processed_events: Days = 30
    digests: Days = 90
    questions: Days = 30
    answer_links: Days = 7
    audit_detail: Days = 2190  # six years
    attendance: Days = "never"  # part of the minutes, which the partnership keeps
    batch: Annotated[int, Field(ge=1, le=100_000)] = 500
    every_minutes: Annotated[int, Field(ge=0)] = 60  # 0: every sweep

    def resolve(self) -> RetentionSettings:
        def days(value: int | str) -> timedelta | None:
            return None if value == "never" else timedelta(days=int(value))

        return RetentionSettings(
            keep={
                "processed_events": days(self.processed_events),
                "digests": days(self.digests),
                "questions": days(self.questions),
                "answer_links": days(self.answer_links),
                "audit_detail": days(self.audit_detail),
                "attendance": days(self.attendance),
            },
            batch=self.batch,
            every=timedelta(minutes=self.every_minutes),
        )


@dataclass(frozen=True)
class RetentionSettings:
    keep: dict[str, timedelta | None] = field(default_factory=lambda: RetentionSection().resolve().keep)
    batch: int = 500
    every: timedelta = timedelta(hours=1)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _ids(session: Session, table: Table, where: ColumnElement[bool], batch: int) -> list[int]:
    return list(session.scalars(select(table.c.id).where(where).order_by(table.c.id).limit(batch)))


def _expired(cls: str, cutoff: datetime) -> tuple[Table, ColumnElement[bool], dict[str, Any] | None]:
    """The rows of a class past its time, and what to set on them (None: delete them)."""
    if cls == "processed_events":
        return _table(ProcessedEvent), ProcessedEvent.at < cutoff, None
    if cls == "digests":
        blank = or_(Digest.subject.is_not(None), Digest.body.is_not(None), Digest.error.is_not(None))
        return (
            _table(Digest),
            (Digest.composed_at < cutoff) & blank,
            {"subject": None, "body": None, "error": None, "route": []},
        )
    if cls == "questions":
        return _table(PendingQuestion), PendingQuestion.expires_at < cutoff, None
    if cls == "answer_links":
        return _table(AnswerLinkUse), AnswerLinkUse.expires_at < cutoff, None
    if cls == "audit_detail":
        detail = or_(AuditEvent.before.is_not(None), AuditEvent.after.is_not(None))
        return _table(AuditEvent), (AuditEvent.at < cutoff) & detail, {"before": null(), "after": null()}
    if cls == "attendance":
        old = select(Meeting.id).where(Meeting.starts_at < cutoff)
        return _table(Attendance), Attendance.meeting_id.in_(old), None
    raise ValueError(f"no retention class {cls!r}")


def apply_retention(
    sessions: sessionmaker[Session], settings: RetentionSettings, at: datetime, *, max_batches: int = 20
) -> dict[str, int]:
    """Delete or blank what has passed its time as of `at`; rows changed per class.

    At most `max_batches` batches per class in one call, so one sweep's share of the work is
    bounded; the rest waits for the next sweep.
    """
    done: dict[str, int] = {}
    for cls, keep in settings.keep.items():
        if keep is None:
            continue
        table, where, values = _expired(cls, at - keep)
        for _ in range(max_batches):
            with sessions() as session, session.begin():
                ids = _ids(session, table, where, settings.batch)
                if not ids:
                    break
                chosen = table.c.id.in_(ids)
                if values is None:
                    session.execute(delete(table).where(chosen))
                else:
                    session.execute(update(table).where(chosen).values(values))
            done[cls] = done.get(cls, 0) + len(ids)
            if len(ids) < settings.batch:
                break
    return done


class RetentionRunner:
    """Retention from the sweep: at most once per `every`, so a minute's sweep stays light."""

    def __init__(self, sessions: sessionmaker[Session], settings: RetentionSettings) -> None:
        self.sessions, self.settings = sessions, settings
        self.last: datetime | None = None

    def maybe_run(self, at: datetime) -> dict[str, int] | None:
        if self.last is not None and self.last <= at < self.last + self.settings.every:
            return None
        self.last = at
        return apply_retention(self.sessions, self.settings, at)


class RetentionService:
    """Retention on its own, for a `serve` whose reminders are off (the sweep runs it otherwise)."""

    name = "retention"

    def __init__(self, runner: RetentionRunner, interval: float = 60.0) -> None:
        self.runner, self.interval = runner, interval

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.runner.maybe_run(datetime.now(UTC))
            except Exception as e:  # the database may be away for a moment: the next turn tries again
                log_error(log, "retention failed; trying again later", e)
            stop.wait(self.interval)
