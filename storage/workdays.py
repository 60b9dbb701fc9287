"""Working days in England and Wales: weekends and bank holidays are not working days.

Uses the offline `holidays` rules (GB, subdivision ENG). The calendar is imported and built on
first use, and only for the years asked about (each year once, as it is first looked up): building
2000–2060 up front cost a third of a second of start-up for dates nobody asks about.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from holidays import HolidayBase

_lock = threading.Lock()  # a year is added to the calendar on its first lookup; doors look up from threads


@lru_cache(maxsize=1)
def _calendar() -> HolidayBase:
    import holidays

    return holidays.country_holidays("GB", subdiv="ENG")  # expands a year at a time, when looked up


def is_working_day(day: date) -> bool:
    if day.weekday() >= 5:
        return False
    with _lock:
        return day not in _calendar()


def bank_holiday_name(day: date) -> str | None:
    with _lock:
        return _calendar().get(day)


def add_working_days(day: date, n: int) -> date:
    """The n-th working day after `day` (before it when n < 0); n == 0: the first working day from `day`."""
    if n == 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    step = 1 if n > 0 else -1
    left = abs(n)
    while left:
        day += timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start`."""
    if end <= start:
        return -working_days_between(end, start) if end < start else 0
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def last_working_day_on_or_before(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day
