"""How often a series meets, and when its papers are due.

A partnership file says `cadence: every 2 months on the third Friday` and
`papers_due: 5 working days before`; this module reads those phrases and turns
them into dates. Working days skip England and Wales bank holidays.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from storage.workdays import add_working_days, last_working_day_on_or_before

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# full names and three-letter abbreviations: "on Fridays", "on the third Fri"
_WEEKDAY_LOOKUP = {name[:size]: i for i, name in enumerate(WEEKDAYS) for size in (3, len(name))}

_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": -1,
}
_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}

# Counts as people write them in words; the date grammar and the reminder policy read them too.
NUMBER_WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
}
_NUMBER_WORDS = {**NUMBER_WORDS, "other": 2}  # "every other week"

# Fixed phrases → (unit, every). "Bi-monthly" means every two months in UK usage.
_FIXED = {
    "weekly": ("week", 1),
    "every week": ("week", 1),
    "once a week": ("week", 1),
    "fortnightly": ("week", 2),
    "every fortnight": ("week", 2),
    "monthly": ("month", 1),
    "every month": ("month", 1),
    "once a month": ("month", 1),
    "bimonthly": ("month", 2),
    "bi-monthly": ("month", 2),
    "quarterly": ("month", 3),
    "every quarter": ("month", 3),
    "once a quarter": ("month", 3),
    "twice a year": ("month", 6),
    "twice yearly": ("month", 6),
    "six-monthly": ("month", 6),
    "six monthly": ("month", 6),
    "half-yearly": ("month", 6),
    "half yearly": ("month", 6),
    "biannually": ("month", 6),
    "bi-annually": ("month", 6),
    "annually": ("month", 12),
    "yearly": ("month", 12),
    "once a year": ("month", 12),
    "every year": ("month", 12),
}

_ONCE_OR_TWICE = re.compile(r"^(once|twice) (?:per|each|every) ")
_EVERY_N = re.compile(r"^every (\d+|[a-z]+) (week|month|year)s?$")
_TIMES_A_YEAR = re.compile(r"^(\d+|[a-z]+) times (?:a|per|each) year$")
# As the documents write them: "at least quarterly", "monthly and when required" meet on the cadence
# (extra meetings are set with `next meeting`); "as required" alone proposes no dates at all.
_AT_LEAST = re.compile(r"^(?:at least|no less than|not less than) ")
_AND_WHEN_REQUIRED = re.compile(r"(?:,)? (?:and|or|plus) (?:as|when|if) (?:required|needed|necessary)$")
_AS_REQUIRED = re.compile(r"^(?:as|when|if) (?:required|needed|necessary)$")
_NTH_WEEKDAY = re.compile(r"^(?:the )?(\w+) ([a-z]+?)(?: of (?:the|each|every) month)?$")
_PLAIN_WEEKDAY = re.compile(r"^(?:a |an |every |each )?([a-z]+?)s?$")

_CADENCE_HELP = (
    "use weekly, fortnightly, every N weeks, monthly, every N months, quarterly, three times a year, "
    "twice a year or annually, optionally followed by 'on the third Friday' (months) or 'on Fridays' "
    "(weeks); 'at least quarterly' and 'monthly and when required' read as quarterly and monthly; "
    "'as required' or 'when required' proposes no dates"
)


class CadenceError(ValueError):
    """A cadence or papers deadline phrase that cannot be read; the message says what is accepted."""


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


def _normalise(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").split()).rstrip(".").strip()


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    if nth == -1:
        last = date(year, month, calendar.monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True)
class Cadence:
    unit: str  # "week" | "month"
    every: int
    weekday: int | None = None  # 0 = Monday
    nth: int | None = None  # 1..4, or -1 for the last one of the month

    def __post_init__(self) -> None:
        if self.unit not in ("week", "month"):
            raise CadenceError(f"cadence unit must be 'week' or 'month', not {self.unit!r}")
        if self.every < 1:
            raise CadenceError("a series must meet at least every 1 week or month")
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise CadenceError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}")
        if self.nth is not None:
            if self.nth not in _ORDINAL_WORDS:
                raise CadenceError("the weekday of the month must be the first to fourth or the last")
            if self.unit != "month" or self.weekday is None:
                raise CadenceError("'the third Friday' and the like only make sense for monthly cadences")
        elif self.unit == "month" and self.weekday is not None:
            raise CadenceError("say which weekday of the month, e.g. 'on the third Friday'")

    def next_after(self, last: date) -> date:
        """The date of the next meeting after one held on `last`."""
        if self.unit == "week":
            day = last + timedelta(weeks=self.every)
            if self.weekday is not None:
                # Same (Monday-based) week as the plain step, so a moved meeting snaps back to its weekday.
                day += timedelta(days=self.weekday - day.weekday())
            return day
        year, month = _add_months(last.year, last.month, self.every)
        if self.weekday is not None and self.nth is not None:
            return _nth_weekday(year, month, self.weekday, self.nth)
        day = date(year, month, min(last.day, calendar.monthrange(year, month)[1]))
        return add_working_days(day, 0)

    def describe(self) -> str:
        """Plain English that parse_cadence reads back to the same Cadence."""
        if self.unit == "week":
            text = "weekly" if self.every == 1 else f"every {self.every} weeks"
            if self.weekday is not None:
                text += f" on {WEEKDAYS[self.weekday].capitalize()}s"
            return text
        text = {1: "monthly", 3: "quarterly", 6: "twice a year", 12: "annually"}.get(
            self.every, f"every {self.every} months"
        )
        if self.weekday is not None and self.nth is not None:
            text += f" on the {_ORDINAL_WORDS[self.nth]} {WEEKDAYS[self.weekday].capitalize()}"
        return text


def _parse_when(when: str, original: str) -> tuple[int, int | None]:
    """'the third friday' → (4, 3); 'fridays' / 'a friday' → (4, None)."""
    match = _NTH_WEEKDAY.match(when)
    if match and match.group(1) in _ORDINALS and match.group(2).rstrip("s") in _WEEKDAY_LOOKUP:
        return _WEEKDAY_LOOKUP[match.group(2).rstrip("s")], _ORDINALS[match.group(1)]
    if match and match.group(1) in ("fifth", "5th"):
        raise CadenceError(
            f"cannot read cadence {original!r}: not every month has a fifth weekday; "
            "use the first to fourth or the last"
        )
    match = _PLAIN_WEEKDAY.match(when)
    if match and match.group(1) in _WEEKDAY_LOOKUP:
        return _WEEKDAY_LOOKUP[match.group(1)], None
    raise CadenceError(f"cannot read the day in cadence {original!r}: write e.g. 'on the third Friday'")


def as_required(text: str) -> bool:
    """'as required' / 'when required': the series meets when needed, so no date is ever proposed."""
    return bool(_AS_REQUIRED.match(_normalise(text)))


def parse_cadence(text: str) -> Cadence:
    """Read a cadence such as 'quarterly' or 'every 2 months on the third Friday' ('as required' is
    no cadence: see as_required)."""
    norm = _AT_LEAST.sub("", _AND_WHEN_REQUIRED.sub("", _normalise(text)))
    base, _, when = norm.partition(" on ")
    base = _ONCE_OR_TWICE.sub(r"\1 a ", base.strip())  # "twice per year" is "twice a year"
    if base in _FIXED:
        unit, every = _FIXED[base]
    elif match := _TIMES_A_YEAR.match(base):
        times = _number(match.group(1))
        if times is None or times < 1 or 12 % times:
            raise CadenceError(
                f"cannot read cadence {text!r}: a number of times a year must divide the year into whole "
                "months (1, 2, 3, 4, 6 or 12)"
            )
        unit, every = "month", 12 // times
    elif match := _EVERY_N.match(base):
        number = _number(match.group(1))
        if number is None:
            raise CadenceError(f"cannot read cadence {text!r}: {_CADENCE_HELP}")
        unit, every = match.group(2), number
        if unit == "year":
            unit, every = "month", 12 * number
    else:
        raise CadenceError(f"cannot read cadence {text!r}: {_CADENCE_HELP}")
    if every < 1:
        raise CadenceError(f"cannot read cadence {text!r}: a series must meet at least every 1 {unit}")
    if not when:
        return Cadence(unit=unit, every=every)
    weekday, nth = _parse_when(when.strip(), text)
    if unit == "week" and nth is not None:
        raise CadenceError(
            f"cannot read cadence {text!r}: 'the {_ORDINAL_WORDS[nth]} {WEEKDAYS[weekday].capitalize()}' "
            "needs a monthly cadence; for weekly ones write e.g. 'on Fridays'"
        )
    if unit == "month" and nth is None:
        raise CadenceError(
            f"cannot read cadence {text!r}: say which {WEEKDAYS[weekday].capitalize()} of the month, "
            f"e.g. 'on the first {WEEKDAYS[weekday].capitalize()}'"
        )
    return Cadence(unit=unit, every=every, weekday=weekday, nth=nth)


_PAPERS = re.compile(
    r"^(\d+|[a-z]+) (working day|day|week)s?(?: before(?: the meeting| each meeting| the day)?)?$"
)
_PAPERS_HELP = "write e.g. '5 working days before', '7 days before' or '1 week before'"


@dataclass(frozen=True)
class PapersDue:
    amount: int
    unit: str  # "working_day" | "day" | "week"

    def __post_init__(self) -> None:
        if self.unit not in ("working_day", "day", "week"):
            raise CadenceError(f"papers_due unit must be working_day, day or week, not {self.unit!r}")
        if self.amount < 1:
            raise CadenceError("papers must be due at least 1 day before the meeting")

    def deadline(self, meeting_day: date) -> date:
        """The last day for papers; a calendar-day or week deadline on a non-working day moves earlier."""
        if self.unit == "working_day":
            return add_working_days(meeting_day, -self.amount)
        days = self.amount * (7 if self.unit == "week" else 1)
        return last_working_day_on_or_before(meeting_day - timedelta(days=days))

    def describe(self) -> str:
        word = {"working_day": "working day", "day": "day", "week": "week"}[self.unit]
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'} before"


def parse_papers_due(text: str) -> PapersDue:
    """Read a papers deadline such as '5 working days before'."""
    match = _PAPERS.match(_normalise(text))
    if not match:
        raise CadenceError(f"cannot read papers_due {text!r}: {_PAPERS_HELP}")
    amount = _number(match.group(1))
    if amount is None:
        raise CadenceError(f"cannot read papers_due {text!r}: {_PAPERS_HELP}")
    if amount < 1:
        raise CadenceError(f"cannot read papers_due {text!r}: papers must be due at least 1 day before")
    return PapersDue(amount=amount, unit=match.group(2).replace(" ", "_"))
