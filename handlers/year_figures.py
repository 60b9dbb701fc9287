"""The year in figures as plain data: what handlers/year_report.py reads from the records and the
documents print (handlers/year_report_sections.py, handlers/year_report_charts.py).

Kept apart from the reading so that the report's second process (handlers/year_report_worker.py),
which receives these figures pickled, imports no database library.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime

# How an agency was there at one meeting, best first: a member, a deputy, apologies, nobody.
STATES = ("member", "deputy", "apologies", "absent")
STATE_WORDS = {
    "member": "represented by a member",
    "deputy": "represented by a deputy",
    "apologies": "apologies",
    "absent": "absent without apologies",
}
NOT_IN_FILE = "not in the partnership file"
# Rows of the actions table that are not agencies, after the agencies.
GROUP, ALL_PARTNERS, NO_OWNER = "group", "all", "none"
# An open action carried through more than this many meetings with no update is flagged.
CARRIED_MEETINGS = 3


# --- the figures -----------------------------------------------------------------------------------------


@dataclass
class AgencyEngagement:
    key: str
    name: str
    statutory: bool
    member: int = 0
    deputy: int = 0
    apologies: int = 0
    absent: int = 0
    in_attendance: int = 0  # meetings where someone of it attended without a seat (guests, presenters)

    @property
    def expected(self) -> int:
        """Meetings where the agency had a seat (a member recorded in any way)."""
        return self.member + self.deputy + self.apologies + self.absent

    @property
    def represented(self) -> int:
        return self.member + self.deputy

    @property
    def rate(self) -> float | None:
        """Share of its meetings the agency was represented at; None when it had none."""
        return self.represented / self.expected if self.expected else None

    def count(self, state: str) -> int:
        return int(getattr(self, state))


@dataclass
class MeetingFigures:
    id: int
    day: date
    states: dict[str, str]  # agency key -> one of STATES
    quorum: str  # throughout | lost | never | no rule
    missing: list[str] = field(default_factory=list)  # agencies missing when quorum was lost


@dataclass
class QuorumFigures:
    held: int = 0
    throughout: int = 0
    lost: int = 0
    never: int = 0
    no_rule: int = 0
    lost_at: list[tuple[date, list[str]]] = field(default_factory=list)  # (meeting day, agencies missing)
    decisions: int = 0
    for_ratification: int = 0
    ratified: int = 0

    @property
    def awaiting(self) -> int:
        return self.for_ratification - self.ratified


@dataclass
class ActionFigures:
    key: str  # agency key, group key, "all" or "none"
    name: str
    kind: str  # agency | group | all | none
    statutory: bool = False
    raised: int = 0
    closed: int = 0
    closed_dated: int = 0  # closed, and had a due date
    closed_by_due: int = 0
    overdue: int = 0  # open at the end of the period, past its due date
    open_at_end: int = 0
    carried: int = 0  # open at the end, carried more than CARRIED_MEETINGS meetings with no update
    days_to_close: list[int] = field(default_factory=list)

    @property
    def median_days(self) -> float | None:
        return float(statistics.median(self.days_to_close)) if self.days_to_close else None


@dataclass
class MonthFigures:
    month: date  # its first day
    raised: int = 0
    closed: int = 0
    open_at_end: int | None = None  # None: the month had not ended by the "as of" time


@dataclass
class ReminderFigures:
    sent: int = 0  # reminders (one action, one person) in messages sent
    messages: int = 0  # the messages (digests) that carried them
    answered: int = 0  # answered from the reminder: in chat or by the e-mailed link
    by_chat: int = 0
    by_email: int = 0
    answered_elsewhere: int = 0  # answered, but in a meeting or channel, or with no route stored


@dataclass
class Scope:
    """The figures of one series, or of the partnership as a whole (key "partnership")."""

    key: str
    name: str
    held: int = 0
    agencies: list[AgencyEngagement] = field(default_factory=list)
    meetings: list[MeetingFigures] = field(default_factory=list)
    quorum: QuorumFigures = field(default_factory=QuorumFigures)
    actions: list[ActionFigures] = field(default_factory=list)
    months: list[MonthFigures] = field(default_factory=list)
    reminders: ReminderFigures = field(default_factory=ReminderFigures)
    # Every action once (an action of two agencies is one action here).
    total: ActionFigures = field(default_factory=lambda: ActionFigures("total", "All actions", "total"))


@dataclass
class YearReport:
    partnership_id: str
    partnership: str
    start: date
    end: date
    as_of: datetime
    tz: str
    series: list[Scope]
    whole: Scope

    @property
    def scopes(self) -> list[Scope]:
        return [self.whole, *self.series]

    @property
    def period(self) -> str:
        return f"{self.start.day} {self.start:%B %Y} to {self.end.day} {self.end:%B %Y}"


def percent(value: float | None) -> str:
    return "no meetings" if value is None else f"{round(value * 100)}%"
