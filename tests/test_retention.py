"""Retention (app.yaml `retention:`): the sweep deletes or blanks what has passed its time, and only that.

A January board meeting (attendance, an action, a retried Slack event, a reminder digest, a used
answer link), a June one, and a question left unanswered in January (asked after the June meeting
ended, which would have dropped it); the sweep runs with a frozen clock on
Saturday 22 June 2024 (outside working hours: no reminders, retention still runs).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Chat, make_app, reconfigure
from sqlalchemy import func, select

from bot.app import App
from bot.settings import SettingsError
from handlers.context import Request
from scheduler.retention import RetentionSection, RetentionSettings, apply_retention
from scheduler.sweep import Sweeper
from storage.answer_link_models import AnswerLinkUse, claim_link
from storage.models import Action, Attendance, AuditEvent, Meeting, PendingQuestion, ProcessedEvent
from storage.nudge_models import Digest

JANUARY = """\
@ 2024-01-19T10:00:00+00:00
MT: meeting start board
MT: present MT LE HN
MT: Action: HN to write to the three schools by Friday 26 January 2024
MT: meeting end
@ 2024-01-25T10:00:00+00:00
! sweep
"""
JUNE = """\
@ 2024-06-14T10:00:00+00:00
MT: meeting start board
MT: present MT SMa
MT: meeting end
@ 2024-01-26T10:00:00+00:00
LE: Action: SM to send the figures by Friday 2 February 2024
"""
SATURDAY = datetime(2024, 6, 22, 12, 0, tzinfo=UTC)


def _event(app: App, event_id: str, at: datetime) -> None:
    """A Slack event the door handled (and so recorded, to drop a retry of it)."""
    app.core().handle(Request("slack", "C0BOARD", "U07SAMIRM1", "help", at, event_id=event_id))


@pytest.fixture
def year(chat: Chat) -> Chat:
    chat.script(JANUARY)
    chat.script(JUNE)
    app = chat.app
    _event(app, "Ev-january", datetime(2024, 1, 19, 10, 5, tzinfo=UTC))
    _event(app, "Ev-june", datetime(2024, 6, 14, 10, 5, tzinfo=UTC))
    with app.sessions() as s, s.begin():
        action, person = s.execute(select(Action.id, Action.created_by)).one()
        used = datetime(2024, 1, 25, 12, 0, tzinfo=UTC)
        assert claim_link(
            s,
            "a" * 64,
            action_id=action,
            person_id=person or 1,
            answer="done",
            at=used,
            expires_at=used + timedelta(days=30),
        )
    return chat


def _state(app: App) -> dict[str, Any]:
    with app.sessions() as s:
        meetings = dict(s.execute(select(Meeting.id, Meeting.starts_at)).all())
        return {
            "events": sorted(s.scalars(select(ProcessedEvent.event_id))),
            "digests": [
                (d.composed_at.date().isoformat(), d.body is None) for d in s.scalars(select(Digest))
            ],
            "questions": s.scalar(select(func.count()).select_from(PendingQuestion)),
            "links": s.scalar(select(func.count()).select_from(AnswerLinkUse)),
            "attendance": sorted(
                (meetings[a.meeting_id].date().isoformat(), a.person_id)
                for a in s.scalars(select(Attendance))
            ),
            "audit": [
                (e.at.date().isoformat(), e.verb, e.before is None and e.after is None)
                for e in s.scalars(
                    select(AuditEvent).where(AuditEvent.actor != "partnership file").order_by(AuditEvent.id)
                )
            ],
        }


def test_the_sweep_removes_what_has_passed_its_time_and_keeps_the_rest(year: Chat) -> None:
    app = year.app
    reconfigure(app, retention={"audit_detail": 120, "attendance": 100})
    before = _state(app)
    assert before["events"] == ["Ev-january", "Ev-june"]
    assert [d for d, blank in before["digests"]] == ["2024-01-25"] and not before["digests"][0][1]
    assert (before["questions"], before["links"]) == (1, 1)
    assert {d for d, _ in before["attendance"]} == {"2024-01-19", "2024-06-14"}
    assert not any(blank for _, _, blank in before["audit"])

    report = Sweeper(app.sessions, {}, retention=app.settings.retention.resolve()).run(SATURDAY)

    after = _state(app)
    assert after["events"] == ["Ev-june"]  # 30 days: January's gone, June's kept
    assert after["digests"] == [("2024-01-25", True)]  # 90 days: the row stays, its words do not
    assert after["questions"] == 0  # expired in January, more than 30 days ago
    assert after["links"] == 0  # expired in February, more than 7 days ago
    assert {d for d, _ in after["attendance"]} == {"2024-06-14"}  # 100 days: January's meeting only
    assert after["attendance"] == [a for a in before["attendance"] if a[0] == "2024-06-14"]
    cutoff = (SATURDAY - timedelta(days=120)).date().isoformat()
    # Every audit event stays (who, what, when); only the old ones lose their detail.
    assert [(d, v) for d, v, _ in after["audit"]] == [(d, v) for d, v, _ in before["audit"]]
    assert all(blank == (d < cutoff) for d, _, blank in after["audit"])
    assert any(d < cutoff for d, _, _ in after["audit"]) and any(d > cutoff for d, _, _ in after["audit"])
    assert report.retention["processed_events"] == 1 and report.retention["attendance"] == len(
        before["attendance"]
    ) - len(after["attendance"])
    assert report.sent == []  # a Saturday: no reminders


def test_never_keeps_a_class_for_ever_and_the_defaults_keep_attendance(year: Chat) -> None:
    app = year.app
    assert app.settings.retention.attendance == "never"  # the default: attendance is part of the minutes
    reconfigure(app, retention={"processed_events": "never", "digests": "never", "audit_detail": "never"})
    before = _state(app)
    Sweeper(app.sessions, {}, retention=app.settings.retention.resolve()).run(SATURDAY)
    after = _state(app)
    for kept in ("events", "digests", "attendance", "audit"):
        assert after[kept] == before[kept], kept
    assert after["questions"] == 0  # still on their default


def test_work_is_done_in_bounded_batches_and_resumed(year: Chat) -> None:
    app = year.app
    old = datetime(2024, 1, 2, tzinfo=UTC)
    for i in range(7):
        _event(app, f"Ev-old-{i}", old + timedelta(minutes=i))
    settings = RetentionSettings(keep={"processed_events": timedelta(days=30)}, batch=2)
    first = apply_retention(app.sessions, settings, SATURDAY, max_batches=2)
    assert first == {"processed_events": 4}  # two batches of two, then it stops for this sweep
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 5  # 4 old + Ev-june
    second = apply_retention(app.sessions, settings, SATURDAY, max_batches=2)
    third = apply_retention(app.sessions, settings, SATURDAY, max_batches=2)
    assert second == {"processed_events": 4} and third == {}
    assert _state(app)["events"] == ["Ev-june"]


def test_the_sweep_runs_retention_once_an_hour(year: Chat) -> None:
    app = year.app
    sweeper = Sweeper(app.sessions, {}, retention=app.settings.retention.resolve())
    assert sweeper.run(SATURDAY).retention  # the first sweep does the work
    _event(app, "Ev-old", datetime(2024, 1, 2, tzinfo=UTC))
    assert sweeper.run(SATURDAY + timedelta(minutes=1)).retention == {}  # within the hour: not again
    assert "Ev-old" in _state(app)["events"]
    assert sweeper.run(SATURDAY + timedelta(minutes=61)).retention == {"processed_events": 1}
    assert Sweeper(app.sessions, {}).run(SATURDAY).retention == {}  # no settings given: nothing removed


def test_retention_settings_are_checked(database_url: str) -> None:
    assert RetentionSection().resolve().keep["digests"] == timedelta(days=90)
    with pytest.raises(SettingsError) as e:
        make_app(database_url, retention={"digests": "30 days", "chat": 5, "audit_detail": -1})
    text = str(e.value)
    assert "retention.digests" in text and "retention.chat" in text and "retention.audit_detail" in text


def test_retention_runs_on_its_own_when_reminders_are_off(year: Chat) -> None:
    import threading

    from scheduler.retention import RetentionRunner, RetentionService

    app = year.app
    stop = threading.Event()

    class Once(RetentionRunner):
        def maybe_run(self, at: datetime) -> dict[str, int] | None:
            stop.set()  # one turn, then the service returns
            return apply_retention(self.sessions, self.settings, SATURDAY)

    RetentionService(Once(app.sessions, app.settings.retention.resolve())).run(stop)
    assert _state(app)["events"] == ["Ev-june"]
