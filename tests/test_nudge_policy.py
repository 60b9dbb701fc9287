"""The nudge policy on its own: which reminder applies on which day, working days and hours, settings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.policy import (
    NudgeSettings,
    Offset,
    Policy,
    chair_digest_day,
    current_nudge,
    is_working_time,
    load_nudge_settings,
    papers_reminder_day,
    schedule,
    undated_nudge,
)
from scheduler.sections import SettingsError

P = Policy()
LONDON = ZoneInfo("Europe/London")


def kinds(due: date, upto: date, policy: Policy = P) -> list[tuple[str, str]]:
    return [(n.kind, n.scheduled_on.isoformat()) for n in schedule(due, policy, upto)]


def test_default_schedule_before_on_the_day_and_weekly_overdue() -> None:
    assert kinds(date(2024, 1, 29), date(2024, 2, 12)) == [
        ("before:7d", "2024-01-22"),
        ("before:1wd", "2024-01-26"),  # Friday: the working day before Monday
        ("due", "2024-01-29"),
        ("overdue:7d", "2024-02-05"),
        ("overdue:14d", "2024-02-12"),
    ]


def test_easter_bank_holidays_move_reminders() -> None:
    # Due Tue 2 Apr 2024: Good Friday (29 Mar) and Easter Monday (1 Apr) are not working days.
    assert kinds(date(2024, 4, 2), date(2024, 4, 9)) == [
        ("before:7d", "2024-03-26"),
        ("before:1wd", "2024-03-28"),  # Maundy Thursday
        ("due", "2024-04-02"),
        ("overdue:7d", "2024-04-09"),
    ]
    # Overdue on Good Friday waits for the next working day, after Easter Monday.
    assert ("overdue:14d", "2024-04-02") in kinds(date(2024, 3, 15), date(2024, 4, 5))


def test_christmas_week() -> None:
    # Due Fri 29 Dec 2023: 7 days before is Fri 22 Dec; the working day before is Thu 28 Dec.
    assert kinds(date(2023, 12, 29), date(2023, 12, 29)) == [
        ("before:7d", "2023-12-22"),
        ("before:1wd", "2023-12-28"),
        ("due", "2023-12-29"),
    ]
    # Due on Boxing Day: the day reminder comes the Friday before; 1 working day before is the same day.
    assert kinds(date(2023, 12, 26), date(2023, 12, 26)) == [
        ("before:7d", "2023-12-19"),
        ("due", "2023-12-22"),
    ]


def test_a_due_date_on_a_weekend_is_reminded_on_the_friday_once() -> None:
    assert kinds(date(2024, 2, 10), date(2024, 2, 19)) == [
        ("before:7d", "2024-02-02"),  # Sat 3 Feb -> Fri 2 Feb
        ("due", "2024-02-09"),  # Sat -> Fri, and the 1-working-day reminder on the same Friday gives way
        ("overdue:7d", "2024-02-19"),  # Sat 17 Feb -> Mon 19 Feb
    ]


def kind_on(due: date, today: date) -> str | None:
    """The kind of the reminder due on `today` (None: none is)."""
    n = current_nudge(due, today, P)
    return n.kind if n is not None else None


def test_only_the_most_recent_reminder_applies_after_a_pause() -> None:
    due = date(2024, 2, 23)
    assert current_nudge(due, date(2024, 2, 15), P) is None
    assert kind_on(due, date(2024, 2, 16)) == "before:7d"
    assert kind_on(due, date(2024, 2, 21)) == "before:7d"
    assert kind_on(due, date(2024, 2, 22)) == "before:1wd"
    # Sweeps paused from 2 Feb to 8 Mar: only "overdue 14 days" is due; the four before it are never sent.
    n = current_nudge(due, date(2024, 3, 8), P)
    assert n is not None and (n.kind, n.scheduled_on) == ("overdue:14d", date(2024, 3, 8))
    assert kind_on(due, date(2024, 3, 14)) == "overdue:14d"
    # Long overdue: still every 7 days.
    assert kind_on(due, date(2025, 2, 21)) == "overdue:364d"


def test_current_nudge_agrees_with_the_schedule_every_day_of_a_year() -> None:
    for due in (date(2024, 3, 29), date(2024, 12, 25), date(2024, 5, 6), date(2024, 8, 31)):
        day = due - timedelta(days=20)
        while day < due + timedelta(days=120):
            past = schedule(due, P, day)
            expect = past[-1] if past else None
            assert current_nudge(due, day, P) == expect, (due, day)
            day += timedelta(days=1)


def test_working_hours_in_london_time_across_summer_time() -> None:
    def at(iso: str) -> datetime:
        return datetime.fromisoformat(iso).astimezone(LONDON)

    assert not is_working_time(at("2024-01-22T08:59:00+00:00"), P)
    assert is_working_time(at("2024-01-22T09:00:00+00:00"), P)
    assert not is_working_time(at("2024-01-22T17:30:00+00:00"), P)
    assert is_working_time(at("2024-06-12T08:30:00+00:00"), P)  # 09:30 BST
    assert not is_working_time(at("2024-06-12T16:45:00+00:00"), P)  # 17:45 BST
    assert not is_working_time(at("2024-02-03T10:00:00+00:00"), P)  # Saturday
    assert not is_working_time(at("2024-05-06T10:00:00+00:00"), P)  # early May bank holiday


def test_meeting_relative_days() -> None:
    # Board meets Fri 15 Mar 2024: chair's digest 5 working days before; papers due 8 Mar, reminder 2 before.
    assert chair_digest_day(date(2024, 3, 15), P) == date(2024, 3, 8)
    assert papers_reminder_day(date(2024, 3, 8), P) == date(2024, 3, 6)
    # A meeting after Easter: the working days skip Good Friday and Easter Monday.
    assert chair_digest_day(date(2024, 4, 5), P) == date(2024, 3, 27)


def test_settings_defaults_overrides_and_errors() -> None:
    s = load_nudge_settings(None)
    assert s == NudgeSettings()
    s = load_nudge_settings(
        {
            "before": ["14 days", "2 working days"],
            "overdue_every": "2 weeks",
            "working_hours": "08:30-16:00",
            "series": {
                "board": {"before": ["1 working day"], "on_due_day": False},
                "westshire-scp/exploitation": {},
            },
            "lease_seconds": 60,
            "retry_minutes": [1, 2],
        }
    )
    assert s.default.before == (Offset(14), Offset(2, "working_day"))
    assert s.default.overdue_every == Offset(2, "week")
    assert s.default.working_hours == (time(8, 30), time(16, 0))
    board = s.policy_for("westshire-scp", "board")
    assert board.before == (Offset(1, "working_day"),) and not board.on_due_day
    assert board.working_hours == (time(8, 30), time(16, 0))  # inherited from the defaults
    assert s.policy_for("westshire-scp", "executive") is s.default
    assert s.lease == timedelta(seconds=60) and s.retry == (timedelta(minutes=1), timedelta(minutes=2))
    assert kinds(date(2024, 3, 15), date(2024, 4, 2), board) == [
        ("before:1wd", "2024-03-14"),
        ("overdue:2w", "2024-04-02"),  # Fri 29 Mar is Good Friday, Mon 1 Apr Easter Monday
    ]
    with pytest.raises(SettingsError, match=r"nudges\.before: cannot read 'a fortnight or so'.*7 days"):
        load_nudge_settings({"before": ["a fortnight or so"]})
    with pytest.raises(SettingsError, match=r"nudges\.series\.board\.befor: unknown setting; did you mean"):
        load_nudge_settings({"series": {"board": {"befor": ["7 days"]}}})
    with pytest.raises(SettingsError, match=r"nudges\.working_hours: '17:00-09:00' ends before it starts"):
        load_nudge_settings({"working_hours": "17:00-09:00"})
    assert load_nudge_settings({"overdue_every": "never"}).default.overdue_every is None


def test_undated_actions_are_chased_every_four_weeks_from_the_day_raised() -> None:
    p = Policy()
    raised = date(2024, 1, 2)  # Tuesday
    assert undated_nudge(raised, date(2024, 1, 29), p) is None
    first = undated_nudge(raised, date(2024, 1, 30), p)
    assert first is not None and (first.kind, first.scheduled_on) == ("undated:4w", date(2024, 1, 30))
    assert undated_nudge(raised, date(2024, 2, 26), p) == first  # the same chase until the next one
    second = undated_nudge(raised, date(2024, 2, 27), p)
    assert second is not None and second.kind == "undated:8w"
    # Four weeks after Mon 27 Nov 2023 is Christmas Day: the chase waits for Wed 27 Dec.
    christmas = undated_nudge(date(2023, 11, 27), date(2023, 12, 27), p)  # 4 weeks: Mon 25 Dec
    assert christmas is not None and christmas.scheduled_on == date(2023, 12, 27)
    assert undated_nudge(date(2023, 11, 27), date(2023, 12, 26), p) is None
    settings = load_nudge_settings(
        {"undated_every": "2 weeks", "series": {"board": {"undated_every": "never"}}}
    )
    assert settings.default.undated_every == Offset(2, "week")
    assert settings.policy_for("x", "board").undated_every is None
    assert load_nudge_settings(None).default.undated_every == Offset(4, "week")
    with pytest.raises(SettingsError):
        load_nudge_settings({"undated_every": "monthly-ish"})
