"""The nudge policy: which reminder is due for an action on a given day. Pure functions, no database.

Defaults (docs/reminders.md): 7 days and 1 working day before the due date, on the day,
then every 7 days overdue; only on working days (England and Wales) between 09:00 and
17:30 in the partnership's timezone. `app.yaml` may override any of it, per series too:

    nudges:
      before: [7 days, 1 working day]
      overdue_every: 7 days
      series:
        board: {before: [14 days, 7 days, 1 working day]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator

from handlers.setup import TRACKER_DEFAULTS
from scheduler.sections import Section, TestOnly
from storage.cadence import NUMBER_WORDS
from storage.workdays import add_working_days, is_working_day, last_working_day_on_or_before

BEFORE, DUE, OVERDUE, CHAIR, PAPERS = "before", "due", "overdue", "chair", "papers"
UNDATED = "undated"  # an open action with no due date, chased every `undated_every`


_UNITS = {
    "day": "day",
    "days": "day",
    "working day": "working_day",
    "working days": "working_day",
    "week": "week",
    "weeks": "week",
}
_SHORT = {"day": "d", "working_day": "wd", "week": "w"}
_OFFSET = re.compile(r"^(\d+|[a-z]+)\s+(working days?|days?|weeks?)(?:\s+(?:before|after))?$")


@dataclass(frozen=True, order=True)
class Offset:
    """A distance in calendar days, working days or weeks: "7 days", "1 working day"."""

    amount: int
    unit: str = "day"

    @classmethod
    def parse(cls, value: Any) -> Offset:
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value, "day")
        m = _OFFSET.match(" ".join(str(value).lower().split()))
        amount = None
        if m:
            word = m.group(1)
            amount = int(word) if word.isdigit() else NUMBER_WORDS.get(word)
        if not m or amount is None:
            raise ValueError(f"cannot read {value!r}; write e.g. '7 days', '1 working day' or '2 weeks'")
        return cls(amount, _UNITS[m.group(2)])

    @property
    def label(self) -> str:
        return f"{self.amount}{_SHORT[self.unit]}"

    def times(self, k: int) -> Offset:
        return Offset(self.amount * k, self.unit)

    def before(self, day: date) -> date:
        if self.unit == "working_day":
            return add_working_days(day, -self.amount)
        return day - timedelta(days=self.amount * (7 if self.unit == "week" else 1))

    def after(self, day: date) -> date:
        if self.unit == "working_day":
            return add_working_days(day, self.amount)
        return day + timedelta(days=self.amount * (7 if self.unit == "week" else 1))

    def describe(self) -> str:
        word = {"day": "day", "working_day": "working day", "week": "week"}[self.unit]
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True)
class Policy:
    before: tuple[Offset, ...] = (Offset(7), Offset(1, "working_day"))
    on_due_day: bool = True
    overdue_every: Offset | None = Offset(7)
    working_hours: tuple[time, time] = (time(9, 0), time(17, 30))
    chair_digest: Offset | None = Offset(5, "working_day")  # before each meeting of the series
    papers_reminder: Offset | None = Offset(2, "working_day")  # before the papers deadline
    stale_after_meetings: int = TRACKER_DEFAULTS.stale_after_meetings
    long_overdue_days: int = TRACKER_DEFAULTS.long_overdue_days
    undated_every: Offset | None = Offset(4, "week")  # chase an action with no due date

    @property
    def horizon_days(self) -> int:
        """A bound on how many calendar days before its due date an action's first reminder falls."""
        spans = [o.amount * {"day": 1, "week": 7, "working_day": 2}[o.unit] + 7 for o in self.before]
        # +7: a reminder on a weekend or bank holiday moves to the working day before it.
        return max(spans, default=0) + 7


@dataclass(frozen=True)
class Nudge:
    kind: str  # before:7d | before:1wd | due | overdue:7d | overdue:14d | …
    scheduled_on: date  # the working day it goes out (or, after a pause, the first sweep after)
    due_on: date

    @property
    def stage(self) -> str:
        return self.kind.split(":", 1)[0]


def _before_due(due: date, policy: Policy) -> list[Nudge]:
    """Reminders up to the due day, on working days, in order; if two fall on one day the later one wins."""
    seq = [
        Nudge(f"{BEFORE}:{o.label}", last_working_day_on_or_before(o.before(due)), due)
        for o in sorted(policy.before, key=lambda o: o.before(due))
    ]
    if policy.on_due_day:
        seq.append(Nudge(DUE, last_working_day_on_or_before(due), due))
    kept: list[Nudge] = []
    latest = date.max
    for nudge in reversed(seq):
        if nudge.scheduled_on < latest:
            kept.append(nudge)
            latest = nudge.scheduled_on
    return kept[::-1]


def _overdue(due: date, k: int, every: Offset) -> Nudge:
    # Overdue reminders that fall on a non-working day wait for the next working day.
    return Nudge(f"{OVERDUE}:{every.times(k).label}", add_working_days(every.times(k).after(due), 0), due)


def schedule(due: date, policy: Policy, upto: date) -> list[Nudge]:
    """Every reminder of an action due on `due`, up to and including `upto`, in order."""
    out = [n for n in _before_due(due, policy) if n.scheduled_on <= upto]
    if policy.overdue_every is not None:
        k = 1
        while (n := _overdue(due, k, policy.overdue_every)).scheduled_on <= upto:
            out.append(n)
            k += 1
    return out


@lru_cache(maxsize=65536)
def current_nudge(due: date, today: date, policy: Policy) -> Nudge | None:
    """The most recent reminder that applies on `today`. Earlier ones it supersedes are never sent late."""
    every = policy.overdue_every
    if every is not None and today > due:
        # Estimate how many periods have passed, then step back to the last one already reached.
        days = (today - due).days
        per = {"day": every.amount, "week": every.amount * 7, "working_day": every.amount}[every.unit]
        k = days // per + 1
        while k >= 1:
            n = _overdue(due, k, every)
            if n.scheduled_on <= today:
                return n
            k -= 1
    earlier = [n for n in _before_due(due, policy) if n.scheduled_on <= today]
    return earlier[-1] if earlier else None


@lru_cache(maxsize=65536)
def undated_nudge(raised: date, today: date, policy: Policy) -> Nudge | None:
    """The most recent chase of an action with no due date raised on `raised`: one every
    `undated_every` from that day (on the working day on or after), none before the first."""
    every = policy.undated_every
    if every is None or today <= raised:
        return None
    per = {"day": every.amount, "week": every.amount * 7, "working_day": every.amount}[every.unit]
    k = (today - raised).days // max(per, 1) + 1
    while k >= 1:
        on = every.times(k).after(raised)
        n = Nudge(f"{UNDATED}:{every.times(k).label}", add_working_days(on, 0), on)
        if n.scheduled_on <= today:
            return n
        k -= 1
    return None


def is_working_time(local: datetime, policy: Policy) -> bool:
    """Nudges go out only on working days, inside working hours (local time of the partnership)."""
    start, end = policy.working_hours
    return is_working_day(local.date()) and start <= local.time().replace(tzinfo=None) < end


def chair_digest_day(meeting_day: date, policy: Policy) -> date | None:
    if policy.chair_digest is None:
        return None
    return last_working_day_on_or_before(policy.chair_digest.before(meeting_day))


def papers_reminder_day(deadline: date, policy: Policy) -> date | None:
    if policy.papers_reminder is None:
        return None
    return last_working_day_on_or_before(policy.papers_reminder.before(deadline))


# --- settings: app.yaml's `nudges:` section -----------------------------------------------------------------


@dataclass(frozen=True)
class FaultInjection:
    """For tests only: kill this process (SIGKILL) around its Nth send, to open the duplicate window."""

    kill_after_sends: int | None = None
    point: str = "after_send"  # after_send: the door accepted it, "sent" not recorded | before_send


@dataclass(frozen=True)
class NudgeSettings:
    default: Policy = field(default_factory=Policy)
    series: dict[str, Policy] = field(default_factory=dict)  # "board" or "westshire-scp/board"
    lease: timedelta = timedelta(minutes=5)
    retry: tuple[timedelta, ...] = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 240))
    batch_recipients: int = 100
    fault: FaultInjection = field(default_factory=FaultInjection)

    def policy_for(self, partnership_id: str, series_key: str) -> Policy:
        found = self.series.get(f"{partnership_id}/{series_key}") or self.series.get(series_key)
        return found or self.default


def _offsets(value: Any) -> tuple[Offset, ...]:
    if value is None:
        return ()
    return tuple(Offset.parse(v) for v in (value if isinstance(value, list) else [value]))


def _optional(value: Any) -> Offset | None:
    if value is None or value is False or str(value).strip().lower() in ("never", "off", "none"):
        return None
    return Offset.parse(value)


def _hours(value: Any) -> tuple[time, time]:
    m = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*", str(value))
    if not m or not (0 <= int(m.group(1)) < 24 and 0 <= int(m.group(3)) < 24):
        raise ValueError(f"cannot read {value!r}; write e.g. '09:00-17:30'")
    start, end = time(int(m.group(1)), int(m.group(2))), time(int(m.group(3)), int(m.group(4)))
    if end <= start:
        raise ValueError(f"{value!r} ends before it starts")
    return start, end


Offsets = Annotated[tuple[Offset, ...], PlainValidator(_offsets)]
OptionalOffset = Annotated[Offset | None, PlainValidator(_optional)]
Hours = Annotated[tuple[time, time], PlainValidator(_hours)]
Count = Annotated[int, Field(ge=1)]


class PolicySection(Section):
    """The policy keys: in `nudges:` for every series, in `nudges.series.<id>:` for one series.

    A key not written is inherited (from the defaults, or for a series from `nudges:`)."""

    before: Offsets = Policy.before
    on_due_day: bool = Policy.on_due_day
    overdue_every: OptionalOffset = Policy.overdue_every
    working_hours: Hours = Policy.working_hours
    chair_digest: OptionalOffset = Policy.chair_digest
    papers_reminder: OptionalOffset = Policy.papers_reminder
    stale_after_meetings: Count = Policy.stale_after_meetings
    long_overdue_days: Count = Policy.long_overdue_days
    undated_every: OptionalOffset = Policy.undated_every

    def apply(self, base: Policy) -> Policy:
        written = self.model_fields_set & set(PolicySection.model_fields)
        return replace(base, **{key: getattr(self, key) for key in written})


class FaultSection(Section):
    kill_after_sends: Count | None = None
    point: Literal["after_send", "before_send"] = "after_send"


class NudgesSection(PolicySection):
    """app.yaml's `nudges:` section (docs/reminders.md): the policy, per series too, and the sweep's keys."""

    enabled: bool = True  # false: `serve` runs no reminder sweep
    series: dict[str, PolicySection] = Field(default_factory=dict)
    lease_seconds: Annotated[int, Field(ge=30, description="a send must finish inside its lease")] = 300
    retry_minutes: list[Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: [1.0, 5.0, 15.0, 60.0, 240.0]  # waits between failed attempts
    )
    batch_recipients: Count = 100
    fault: Annotated[
        FaultSection | None,
        TestOnly("it SIGKILLs the process around a reminder send, to prove that none is lost"),
    ] = None

    def resolve(self) -> NudgeSettings:
        default = self.apply(Policy())
        fault = self.fault or FaultSection()
        return NudgeSettings(
            default=default,
            series={key: over.apply(default) for key, over in self.series.items()},
            lease=timedelta(seconds=self.lease_seconds),
            retry=tuple(timedelta(minutes=m) for m in self.retry_minutes),
            batch_recipients=self.batch_recipients,
            fault=FaultInjection(kill_after_sends=fault.kill_after_sends, point=fault.point),
        )


def load_nudge_settings(section: dict[str, Any] | None) -> NudgeSettings:
    """app.yaml's `nudges:` section on its own; an empty or missing one gives the defaults."""
    return NudgesSection.read(section, "nudges").resolve()
