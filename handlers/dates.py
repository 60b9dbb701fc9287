"""Due dates in the words of minutes, read against the message's own time.

A small grammar of cue phrases finds and resolves what minutes say ("by
Friday", "14/06/24", "Monday the 29th of January 2024", "within 5 working
days", "end of February", "before the next meeting"); `dateparser` is only a
fallback for odd phrasings, because on whole messages it is slow and reads
"Action 17", "May", "£40,000" and "from 14.06.23" as dates.

Semantics, in the partnership's timezone on the day the message was sent:

- Numbers are day-first: 3/7/25 is 3 July 2025; a two-digit year is 20yy.
  A date with no year is the next one on or after the message date (allowing
  a week's grace for minutes typed up late).
- "by Friday", "on Friday": the first Friday strictly after the message day.
  "this Friday": the coming Friday, today included.
  "next Friday": the Friday of next calendar week (Monday-Sunday), so said on
  a Friday it is a week later and said on a Tuesday it is ten days later.
  "Friday week" and "a week on Friday": a week after "by Friday".
- "within N days/weeks/months", "in N weeks' time": counted from the message
  day; "within N working days" skips weekends and England and Wales bank
  holidays; a month later keeps the day of the month (clamped: 31 Jan -> 29 Feb).
- "end of the month / of June": the last calendar day; "end of the week": that
  week's Friday; "end of next week" and "next week": next week's Friday; "end
  of play", "close of play", "EOD": today (or the day named after it).
- A month alone needs a deadline cue: "by October" is 31 October, "before
  October" 30 September, "in March" (a softer cue) 31 March; "mid-March" is the
  15th. "before Christmas" is the last working day before Christmas Day; asked for as a date
  (a snooze, a new due date), "after Christmas" and "in the new year" are the first working day
  of January.
- "5 working days before the meeting" counts back from the next meeting.
- "the next meeting", "before the next meeting", "at the next meeting of the
  group": kind "next_meeting", resolved to the series' next meeting if known.
- Not dates: "over the past six months", "within the last three months",
  "the December board meeting" (unless the next meeting is in December: then it is that one),
  "as soon as possible", "Action 17", "£40,000",
  a person called June Hughes, dates after "from", "since", "of", "last".
- A date more than 18 months ahead is rejected, as is one more than a week in
  the past unless its year was written out (imported trackers carry past
  deadlines).

When a message holds several candidates, the first sentence that has any wins
(tracker entries append later updates with their own dates); within it, a
deadline cue ("by", "before", "within", "deadline") beats a softer one ("on",
"at", "to"), which beats a bare date; ties go to the first in the text.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from datetime import date as _Date  # `Due.date` shadows the type inside the class
from typing import Protocol
from zoneinfo import ZoneInfo

from storage.cadence import NUMBER_WORDS

MAX_AHEAD = timedelta(days=548)  # about 18 months
GRACE = timedelta(days=7)  # minutes are often typed up after the meeting

MONTHS: dict[str, int] = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
WEEKDAYS: dict[str, int] = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
_COUNT_WORDS = {**NUMBER_WORDS, "last": -1}  # "the last Friday"

# Deadline cues rank 3, softer cues 2, no cue 1; negative cues make a date a reference, not a deadline.
STRONG, SOFT, BARE, NEGATIVE = 3, 2, 1, 0

MONTH_WORD = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_WD = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\b\.?"
)
_ORD = r"(?:st|nd|rd|th)"
_NUM = (
    r"(?:\d{1,3}|a couple of|couple of|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven"
    r"|twelve|fifteen|twenty|thirty)"
)

_I = re.IGNORECASE
# "Monday the 29th of January 2024", "9th Feb", "4 June 2024", "30th April"
_DMY_WORDS = re.compile(
    rf"\b(?:(?P<wd>{_WD})[,\s]+(?:the\s+)?)?(?P<day>\d{{1,2}})(?P<ord>{_ORD})?(?:\s+of)?[\s-]+(?P<mon>{MONTH_WORD})"
    rf"(?:,?\s+(?P<year>\d{{4}}|'\d{{2}})\b)?",
    _I,
)
# "June 30th", "Sept 30, 2024", "Friday, June 28"
_MDY_WORDS = re.compile(
    rf"\b(?:(?P<wd>{_WD})[,\s]+)?(?P<mon>{MONTH_WORD})\s+(?:the\s+)?(?P<day>\d{{1,2}})(?P<ord>{_ORD})?\b"
    rf"(?![:.]\d|\s*(?:%|am\b|pm\b))(?:,?\s+(?P<year>\d{{4}})\b)?",
    _I,
)
# 14/06/24, 21.06.24, 3/7/2025, 30/11; never inside "2022/23", "£40,000", "Room 2.14" or times.
_NUMERIC = re.compile(
    r"(?<![\w/.£$€:,-])(?P<day>\d{1,2})(?P<sep>[/.-])(?P<mon>\d{1,2})(?:(?P=sep)(?P<year>\d{4}|\d{2}))?"
    r"(?![\w/£%]|[.,:-]\d)"
)
_ISO = re.compile(r"\b(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})\b")
# "Weds 26th", "Friday the 28th" (no month)
_WD_DAY = re.compile(rf"\b(?P<wd>{_WD})[,\s]+(?:the\s+)?(?P<day>\d{{1,2}})(?P<ord>{_ORD})\b", _I)
# "by the 26th" (the cue decides)
_DAY_ONLY = re.compile(
    rf"\b(?:the\s+)?(?P<day>\d{{1,2}})(?P<ord>{_ORD})\b(?!\s+(?:of\s+)?{MONTH_WORD})"
    r"(?P<nextm>\s+of\s+(?:next|the\s+following)\s+month\b)?",
    _I,
)
_MONTH_ONLY = re.compile(rf"\b(?P<mon>{MONTH_WORD})(?:\s+(?P<year>\d{{4}}))?(?!\w)", _I)
_WEEKDAY = re.compile(
    r"\b(?:(?P<aweek>a\s+week\s+(?:on\s+)?)"
    r"|(?P<mod>this\s+coming|the\s+coming|coming|this|next|following|last)\s+)?"
    rf"(?P<wd>{_WD})(?P<week>\s+week\b)?(?P<poss>['’]s\b)?",
    _I,
)
_RELDAY = re.compile(
    r"\b(?:the\s+day\s+after\s+(?P<after>tomorrow)|(?P<tom>tomorrow|tmrw|tmw)|(?P<today>today|tonight))"
    r"\b(?!['’]s)",
    _I,
)
_END_OF_PLAY = re.compile(
    r"\b(?:(?:by|at|before)\s+)?(?:the\s+)?"
    r"(?:(?:end|close)\s+of\s+(?:play|business|(?:the\s+)?(?:working\s+)?day)|eod|cob|cop)\b"
    r"(?P<today>\s+today)?",
    _I,
)
_WITHIN = re.compile(
    rf"\b(?P<cue>within|in|over|during|timescales?\s*[:–—-]?)\s+(?:the\s+)?(?:next\s+)?(?P<n>{_NUM})\s+"
    r"(?P<wk>working\s+|business\s+|calendar\s+|clear\s+)?"
    r"(?P<unit>days?|weeks?|fortnights?|months?|years?|hours?)(?:['’]s|s?['’])?(?:\s+time)?\b"
    r"(?:\s+(?:of|from|after)\s+(?:today|now|(?:this|the)\s+meeting)\b)?",
    _I,
)
# "5 working days before the meeting": counted back from the next meeting.
_BEFORE_MEETING = re.compile(
    rf"\b(?P<n>{_NUM})\s+(?P<wk>working\s+|business\s+|clear\s+)?(?P<unit>days?|weeks?)\s+"
    r"(?:before|ahead\s+of|prior\s+to)\s+(?:the\s+)?(?:next\s+)?(?:meeting|board)\b",
    _I,
)
_WITHIN_NEXT = re.compile(
    r"\b(?:within|in|over|during)\s+(?:the\s+)?next\s+(?P<unit>week|fortnight|month)\b", _I
)
_FROM_NOW = re.compile(
    rf"\b(?P<n>{_NUM})\s+(?P<wk>working\s+|business\s+|calendar\s+)?(?P<unit>days?|weeks?|months?)\s+"
    r"(?:from|after)\s+(?:today|now|(?:this|the|today['’]s)\s+meeting)\b",
    _I,
)
_AFTER_WITHIN = re.compile(
    r"\s+(?:of|from|after|following)\s+(?!(?:today|now|this\s+meeting|the\s+meeting)\b)", _I
)
_END_OF = re.compile(
    rf"\b(?:the\s+)?(?P<edge>end|close|beginning|start|middle)\s+of\s+(?:the\s+)?"
    rf"(?:(?P<rel>this|next|current|following)\s+)?(?P<what>(?:financial|calendar)\s+year|week|month|year|quarter"
    rf"|{MONTH_WORD}(?:\s+(?P<year>\d{{4}}))?)(?!\w)|\bmid[\s-]+(?P<midmon>{MONTH_WORD})(?:\s+(?P<midyear>\d{{4}}))?",
    _I,
)
_NEXT_WEEK = re.compile(r"\b(?P<which>next|this)\s+(?P<unit>week|month)\b(?!\s*['’]s)", _I)
_MEETING_WORDS = r"(?:meeting|board|sub-?group|group|executive|exec|panel|committee|forum)"
_NEXT_MEETING = re.compile(
    r"\b(?:(?i:the)\s+)?(?i:next|following|subsequent)\s+"
    r"(?P<quals>(?:(?i:scheduled|planned|full|formal|quarterly|monthly|bi-monthly|partnership|board|group|sub-?group"
    r"|steering)\s+|[A-Z][\w'’&-]*\s+){0,4})"
    rf"(?P<noun>(?i:{_MEETING_WORDS}))\b(?!['’]s)"
    r"(?P<of>\s+of\s+(?:the\s+)?(?:(?i:group|board|sub-?group|partnership|panel|committee|executive)\b"
    r"|[A-Z][\w'’&-]*(?:\s+(?:(?:&|and|of|for)\s+)?[A-Z][\w'’&-]*)*))?",
)
# A word that due dates read from the next meeting's date need (_NEXT_MEETING, _BEFORE_MEETING).
_MEETING_CUE = re.compile(r"next|following|subsequent|meeting|board", re.I)


def may_name_next_meeting(text: str) -> bool:
    """Could a due date in `text` depend on the next meeting's date? Without one of its words the
    date is never used, so a capture need not look the next meeting up (two statements)."""
    return _MEETING_CUE.search(text) is not None


# "after Christmas", "in the new year": the first working day of January.
_NEW_YEAR = re.compile(
    r"\b(?:after|over)\s+(?:the\s+)?(?:christmas|xmas)(?:\s+(?:break|holidays?))?\b"
    r"|\b(?:in|after|early\s+in)\s+the\s+new\s+year\b",
    _I,
)
# "before Christmas": the last working day before Christmas Day.
_CHRISTMAS = re.compile(
    r"\b(?:before|by|ahead\s+of|prior\s+to)\s+(?:the\s+)?(?:christmas|xmas)(?:\s+(?:break|holidays?))?\b", _I
)
_NO_DATE = re.compile(
    r"\b(?:as\s+soon\s+as\s+(?:possible|practicable)|asap|a\s+future\s+meeting|tbc|tba)\b", _I
)

# The cue just before a candidate: the longest alternatives first.
_CUE = re.compile(
    r"(?P<cue>(?:with\s+)?(?:an?\s+|the\s+)?(?:deadline|due\s+date|target\s+date|completion\s+date)"
    r"(?:\s+for\s+(?:completion|responses?|returns?))?(?:\s+(?:of|on|by|is|for))?\s*:?"
    r"|(?:for\s+completion|to\s+be\s+completed|complete[d]?|returned|submitted|ready)\s+(?:by|on|before)"
    r"|no\s+later\s+than|not\s+later\s+than|by\s+no\s+later\s+than|at\s+the\s+latest\s+by"
    r"|(?:(?:by|at|before)\s+)?(?:(?:close|end)\s+of\s+(?:play|business|(?:the\s+)?day)|cop|eod|cob)(?:\s+on)?"
    r"|ahead\s+of|prior\s+to|in\s+time\s+for|in\s+advance\s+of|on\s+or\s+before|before|by|until|till"
    r"|due(?:\s+(?:by|on|for|in))?"
    r"|(?:by\s+)?(?:w/c|w/b|w/e|wc|week\s+(?:commencing|beginning|ending)(?:\s+on)?)|deadline|expected\s+(?:by|on)"
    r"|held\s+on|met\s+on|took\s+place\s+on|as\s+of|carried\s+forward\s+from|received\s+on|sent\s+on|dated"
    r"|from|since|of|after|last|on|at|for|to|in|during)"
    # a time may sit between the cue and the date: "by 5pm Friday", "by 12 noon on the 3rd"
    r"[\s:,–—-]*(?:(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)|\d{1,2}[:.]\d{2}|(?:12\s*)?noon|midday)\s+(?:on\s+)?)?"
    r"(?:the\s+)?$",
    _I,
)
_NEGATIVE_CUES = {
    "held on",
    "met on",
    "took place on",
    "as of",
    "carried forward from",
    "received on",
    "sent on",
    "dated",
    "from",
    "since",
    "of",
    "after",
    "last",
}
_SOFT_CUES = {"on", "at", "for", "to", "in", "during"}

_DIGIT = re.compile(r"\d")
_MONTH_WORD = re.compile(rf"\b{MONTH_WORD}", _I)
_WEEKDAY_WORD = re.compile(rf"\b{_WD}", _I)

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z(\"'‘“])|\n+")


@dataclass(frozen=True)
class Due:
    """A due date read from text: kind is "date", "next_meeting" or None (no date found)."""

    date: date | None
    kind: str | None  # "date" | "next_meeting" | None
    text: str | None = None  # the phrase it was read from, cue included ("by next Friday")
    start: int = -1  # span of `text` in the input, -1 if none
    end: int = -1
    # A deadline read but not taken (kind is then None), and why, for the reply: a date outside the
    # window (`refused`), or a day its month does not have ("by 29/2/27": `refused` is None).
    refused: _Date | None = None
    why: str | None = None


NO_DUE = Due(None, None)


@dataclass(frozen=True)
class _Ctx:
    today: date
    base: datetime  # the message time, aware, in the partnership's timezone
    next_meeting: date | None
    phrase: bool  # the whole text is meant to be a date: forms that need a cue do without one
    window: bool = True  # False: take dates however far off, to tell the user why one was refused


class _Add(Protocol):
    """Records a candidate found by a pattern (see `_candidates`)."""

    def __call__(
        self,
        m: re.Match[str],
        day: date | None,
        kind: str = "date",
        *,
        needs_cue: bool = False,
        intrinsic: int | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class _Cand:
    start: int
    end: int
    day: date | None
    kind: str
    rank: int


def _local(sent_at: datetime, tz: str) -> datetime:
    zone = ZoneInfo(tz)
    return sent_at.replace(tzinfo=zone) if sent_at.tzinfo is None else sent_at.astimezone(zone)


def add_months(day: date, n: int) -> date:
    """The same day of the month n months later, clamped to the month's last day."""
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def _month(word: str) -> int:
    return MONTHS[word.lower().rstrip(".")]


def month_named(text: str) -> tuple[int, int | None] | None:
    """(month, year or None) of a meeting named by its month ("January", "jan 2024"); None otherwise."""
    m = re.fullmatch(rf"(?P<mon>{MONTH_WORD})(?:\s+(?P<year>\d{{4}}))?", text.strip(), _I)
    if m is None:
        return None
    return _month(m["mon"]), int(m["year"]) if m["year"] else None


def _weekday(word: str) -> int:
    return WEEKDAYS[word.lower().rstrip(".")]


def _number(word: str) -> int | None:
    word = re.sub(r"\s+", " ", word.lower())
    return int(word) if word.isdigit() else _COUNT_WORDS.get(word)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year_of(text: str | None) -> int | None:
    if not text:
        return None
    digits = text.lstrip("'’")
    # dateparser's PREFER_DATES_FROM=future sends 23 to 2123; minutes mean 2023.
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _in_window(day: date | None, ctx: _Ctx, explicit_year: bool) -> bool:
    if day is None:
        return False
    if not ctx.window:
        return True
    if day > ctx.today + MAX_AHEAD:
        return False
    return day >= ctx.today - (MAX_AHEAD if explicit_year else GRACE)


def _no_year(month: int, day: int, ctx: _Ctx) -> date | None:
    """The next such day on or after the message date, give or take the grace week."""
    for year in (ctx.today.year, ctx.today.year + 1, ctx.today.year + 2):
        found = _safe_date(year, month, day)
        if found and found >= ctx.today - GRACE:
            return found
    return None


def _absolute(day: int, month: int, year: str | None, ctx: _Ctx) -> date | None:
    y = _year_of(year)
    found = _safe_date(y, month, day) if y else _no_year(month, day, ctx)
    return found if _in_window(found, ctx, explicit_year=y is not None) else None


def _next_day_of_month(day: int, ctx: _Ctx, weekday: int | None = None) -> date | None:
    """The first date on or after today with this day of the month (and weekday, if given)."""
    start = ctx.today.replace(day=1)
    for i in range(13):
        month = add_months(start, i)
        found = _safe_date(month.year, month.month, day)
        if found and found >= ctx.today and (weekday is None or found.weekday() == weekday):
            return found
    return None


def _after_weekday(weekday: int, today: date) -> date:
    """The first such weekday strictly after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _friday_of_week(today: date, weeks_ahead: int) -> date:
    monday = today - timedelta(days=today.weekday())
    friday = monday + timedelta(days=4 + 7 * weeks_ahead)
    # Said at the weekend, "the end of the week" is the Friday to come.
    return friday + timedelta(days=7) if weeks_ahead == 0 and friday < today else friday


def _cue_before(text: str, start: int) -> tuple[int, int, str]:
    """(rank, start of the cue, the cue) for the words just before `start`."""
    found = _CUE.search(text[max(0, start - 60) : start])
    if not found:
        return BARE, start, ""
    cue_start = max(0, start - 60) + found.start()
    if cue_start > 0 and text[cue_start - 1].isalnum():  # "photo " does not end in the cue "to"
        return BARE, start, ""
    cue = re.sub(r"\s+", " ", found.group("cue").lower()).strip(" :,–—-")
    if cue in _NEGATIVE_CUES:
        return NEGATIVE, cue_start, cue
    return (SOFT if cue in _SOFT_CUES else STRONG), cue_start, cue


def _candidates(text: str, ctx: _Ctx) -> list[_Cand]:
    out: list[_Cand] = []

    def add(
        m: re.Match[str],
        day: date | None,
        kind: str = "date",
        *,
        needs_cue: bool = False,
        intrinsic: int | None = None,
    ) -> None:
        start = m.start()
        rank, cue_start, _ = _cue_before(text, start)
        if rank == NEGATIVE:
            return
        if intrinsic is not None:
            rank = max(rank, intrinsic)
        if needs_cue and rank == BARE and not ctx.phrase:
            return
        if kind == "date" and day is None:
            return
        end = m.end()
        if text[end - 1] == "." and not re.search(r"\b[A-Za-z]{3,4}\.$", text[:end]):
            end -= 1  # a full stop ending the sentence is not part of "February"
        out.append(_Cand(cue_start if rank != BARE else start, end, day, kind, rank))

    # Cheap checks first: most messages hold no digits, months or weekdays, so most patterns need not run.
    low = text.lower()
    digits = _DIGIT.search(text) is not None
    months = _MONTH_WORD.search(text) is not None
    weekdays = _WEEKDAY_WORD.search(text) is not None

    def scan(pattern: re.Pattern[str], wanted: bool) -> Iterator[re.Match[str]]:
        return pattern.finditer(text) if wanted else iter(())

    for m in scan(_NEXT_MEETING, "next" in low or "following" in low or "subsequent" in low):
        quals = m.group("quals").split()
        if any(q.lower().strip("'’s") in MONTHS or q.lower().strip("'’s") in WEEKDAYS for q in quals):
            continue
        if (
            m.group("noun").lower() != "meeting"
            and not m.group("of")
            and re.match(r"\s+(?:of|to|for|in)\s+[a-z]", text[m.end() :])
            and not quals
        ):
            continue  # "the next group of children" is not a meeting
        add(m, ctx.next_meeting, "next_meeting", intrinsic=SOFT)

    for m in scan(_DMY_WORDS, digits and months):
        mon = m.group("mon")
        if (
            mon[0].islower()
            and mon.lower().rstrip(".") in ("mar", "may", "jun", "jul")
            and not (m.group("ord") or m.group("year"))
        ):
            continue  # "3 may", "2 mar": more likely words than dates
        add(
            m,
            _absolute(int(m.group("day")), _month(mon), m.group("year"), ctx),
            needs_cue=False,
            intrinsic=None,
        )
    for m in scan(_MDY_WORDS, digits and months):
        # "June 30" needs a cue, an ordinal, a year or a weekday: "May 3 agencies" is not a date.
        firm = bool(m.group("ord") or m.group("year") or m.group("wd"))
        day = _absolute(int(m.group("day")), _month(m.group("mon")), m.group("year"), ctx)
        add(m, day, needs_cue=not firm)
    for m in scan(_NUMERIC, digits):
        if m.group("year") is None and m.group("sep") != "/":
            continue  # "1.5", "3.2", "1-2" are not dates
        add(
            m,
            _absolute(int(m.group("day")), int(m.group("mon")), m.group("year"), ctx),
            needs_cue=m.group("year") is None,
        )
    for m in scan(_ISO, digits):
        add(m, _absolute(int(m.group("day")), int(m.group("mon")), m.group("year"), ctx))
    for m in scan(_WD_DAY, digits and weekdays):
        add(
            m,
            _next_day_of_month(int(m.group("day")), ctx, _weekday(m.group("wd")))
            or _next_day_of_month(int(m.group("day")), ctx),
        )
    for m in scan(_DAY_ONLY, digits):
        if m.group("nextm"):  # "by the 1st of next month"
            first = add_months(ctx.today.replace(day=1), 1)
            add(m, _safe_date(first.year, first.month, int(m.group("day"))), intrinsic=SOFT)
        else:
            add(m, _next_day_of_month(int(m.group("day")), ctx), needs_cue=True)
    for m in scan(_MONTH_ONLY, months):
        _month_only(text, m, ctx, add)
    for m in scan(_WEEKDAY, weekdays):
        _weekday_cand(m, ctx, add)
    for m in scan(_RELDAY, "to" in low or "tmw" in low or "tmrw" in low):
        if m.group("today"):
            before = text[: m.start()].rstrip().rsplit(None, 1)
            last = before[-1].lower() if before else ""
            if last.endswith(("ed", "en", "wn")) or last in ("here", "meeting", "session", "at", "of"):
                continue  # "the training shown today" is not a deadline
            add(m, ctx.today, intrinsic=BARE)
        else:
            add(m, ctx.today + timedelta(days=2 if m.group("after") else 1), intrinsic=STRONG)
    for m in scan(_END_OF_PLAY, any(w in low for w in ("end", "close", "eod", "cob", "cop"))):
        rest = text[m.end() : m.end() + 20].lower()
        if not m.group("today") and re.match(
            r"\s+(?:on\s+)?(?:\w+day|tomorrow|mon|tue|wed|thu|fri|\d)", rest
        ):
            continue  # the date named after it is the candidate, with this as its cue
        add(m, ctx.today, intrinsic=STRONG)
    for m in scan(_WITHIN, True):
        _within_cand(text, m, ctx, add)
    for m in scan(_WITHIN_NEXT, "next" in low):
        unit = m.group("unit").lower()
        if unit == "month":
            day = add_months(ctx.today, 1)
        else:
            day = ctx.today + timedelta(weeks=2 if unit == "fortnight" else 1)
        add(m, day, intrinsic=STRONG)
    for m in scan(_FROM_NOW, "from" in low or "after" in low):
        _within_cand(text, m, ctx, add)
    for m in scan(_BEFORE_MEETING, ctx.next_meeting is not None):
        n = _number(m.group("n"))
        if ctx.next_meeting is None or n is None:
            continue
        if m.group("unit").lower().startswith("week"):
            add(m, ctx.next_meeting - timedelta(weeks=n), intrinsic=STRONG)
        elif m.group("wk") and m.group("wk").strip().lower() in ("working", "business"):
            from storage.workdays import add_working_days

            add(m, add_working_days(ctx.next_meeting, -n), intrinsic=STRONG)
        else:
            add(m, ctx.next_meeting - timedelta(days=n), intrinsic=STRONG)
    for m in scan(_CHRISTMAS, "christmas" in low or "xmas" in low):
        from storage.workdays import last_working_day_on_or_before

        christmas = date(ctx.today.year, 12, 25)
        if christmas <= ctx.today:
            christmas = date(ctx.today.year + 1, 12, 25)
        add(m, last_working_day_on_or_before(christmas - timedelta(days=1)), intrinsic=STRONG)
    # A timeframe, not a deadline, in an action ("a session in the new year"): read only as a date
    # asked for (`snooze 3 until after Christmas`, `action 3 due in the new year`).
    for m in scan(_NEW_YEAR, ctx.phrase and any(w in low for w in ("christmas", "xmas", "new year"))):
        from storage.workdays import add_working_days

        year = ctx.today.year + 1 if ctx.today.month >= 2 or ctx.today.day > 7 else ctx.today.year
        add(m, add_working_days(date(year, 1, 1), 1), intrinsic=SOFT)
    for m in scan(_END_OF, any(w in low for w in ("end", "close", "start", "beginning", "mid"))):
        add(m, _end_of(m, ctx), intrinsic=STRONG)
    for m in scan(_NEXT_WEEK, "next" in low or "this" in low):
        which, unit = m.group("which").lower(), m.group("unit").lower()
        if unit == "week":
            day = _friday_of_week(ctx.today, 1 if which == "next" else 0)
        else:
            first = add_months(ctx.today.replace(day=1), 1 if which == "next" else 0)
            day = month_end(first.year, first.month)
        # "next week" is a date on its own; "this week" needs a cue ("by this week")
        add(m, day, needs_cue=which == "this", intrinsic=SOFT if which == "next" else None)
    return out


# "January meeting", "Jan board meeting"
_MONTH_MEETING = re.compile(r"[A-Za-z]+\.?\s+(?:\w+\s+)?meeting\b", _I)


def _month_only(text: str, m: re.Match[str], ctx: _Ctx, add: _Add) -> None:
    word = m.group("mon")
    low = word.lower().rstrip(".")
    if low in ("may", "march", "mar") and word[0].islower():
        return  # the verbs "may" and "march"
    after = text[m.end() :]
    if not m.group("year") and re.match(r"\s+[A-Z][a-z]", after):
        return  # "June Hughes", "August Peters": a person, not a month
    if re.match(
        r"\s+(?:\w+\s+){0,2}(?:meeting|board|sub-?group|group|panel|conference|cycle|report|data"
        r"|figures)\b",
        after,
        _I,
    ):
        # "the December board meeting" is not a deadline, unless the series' next meeting is then:
        # "at the January meeting" with the next meeting on 15 January is that meeting.
        named = _MONTH_MEETING.match(text, m.start())
        nxt = ctx.next_meeting
        soon = nxt is not None and 0 <= (nxt - ctx.today).days <= 366
        if named and soon and not m.group("year") and nxt is not None and nxt.month == _month(word):
            add(named, nxt, "next_meeting", intrinsic=SOFT)
        return
    rank, _, cue_word = _cue_before(text, m.start())
    # "by June" is a deadline and "in March" a softer one; "for March" or a bare "June" are not.
    if not ctx.phrase and rank != STRONG and cue_word not in ("in", "during"):
        return
    month = _month(word)
    year = _year_of(m.group("year"))
    if cue_word == "before":  # "before October" means by the end of September
        first = _safe_date(year, month, 1) if year else _no_year(month, 1, ctx)
        end = first - timedelta(days=1) if first else None
        if end and not year and end < ctx.today - GRACE:
            end = _safe_date(end.year + 1, end.month, end.day)
        add(m, end if end and _in_window(end, ctx, year is not None) else None)
        return
    if year:
        end = month_end(year, month)
    else:
        end = month_end(ctx.today.year, month)
        if end < ctx.today - GRACE:
            end = month_end(ctx.today.year + 1, month)
    add(m, end if _in_window(end, ctx, year is not None) else None)


def _weekday_cand(m: re.Match[str], ctx: _Ctx, add: _Add) -> None:
    word = m.group("wd")
    low = word.lower().rstrip(".")
    if len(low) <= 3 and low in ("sat", "sun", "wed", "mon") and word[0].islower() and not m.group("mod"):
        return  # "sun", "mon" as words
    mod = re.sub(r"\s+", " ", (m.group("mod") or "").lower())
    if mod == "last" or (m.group("poss") and not mod):
        return  # "last Friday"; "Friday's meeting" could be any Friday
    weekday = _weekday(word)
    today = ctx.today
    if mod == "next":
        day = today - timedelta(days=today.weekday()) + timedelta(days=7 + weekday)
    elif mod in ("this", "coming", "this coming", "the coming"):
        day = today + timedelta(days=(weekday - today.weekday()) % 7)
    else:
        day = _after_weekday(weekday, today)
    if m.group("week") or m.group("aweek"):
        day += timedelta(days=7)
    firm = bool(mod or m.group("aweek") or m.group("week"))
    add(m, day, needs_cue=not firm, intrinsic=SOFT if firm else None)


def _within_cand(text: str, m: re.Match[str], ctx: _Ctx, add: _Add) -> None:
    if _AFTER_WITHIN.match(text, m.end()) and "cue" in m.re.groupindex:
        return  # "within 6 weeks of the referral" counts from something else
    n = _number(m.group("n"))
    if n is None:
        return
    unit = m.group("unit").lower().rstrip("s")
    working = bool(m.group("wk")) and m.group("wk").lower().strip() in ("working", "business")
    day: date | None
    if unit == "day" and working:
        from storage.workdays import add_working_days

        day = add_working_days(ctx.today, n)
    elif unit == "day":
        day = ctx.today + timedelta(days=n)
    elif unit == "hour":
        day = ctx.today + timedelta(days=-(-n // 24))
    elif unit == "week":
        day = ctx.today + timedelta(weeks=n)
    elif unit == "fortnight":
        day = ctx.today + timedelta(weeks=2 * n)
    elif unit == "month":
        day = add_months(ctx.today, n)
    else:
        day = add_months(ctx.today, 12 * n)
    add(m, day if _in_window(day, ctx, True) else None, intrinsic=STRONG)


def _end_of(m: re.Match[str], ctx: _Ctx) -> date | None:
    today = ctx.today
    if m.group("midmon"):
        month, year = _month(m.group("midmon")), _year_of(m.group("midyear"))
        return _absolute(15, month, m.group("midyear"), ctx) if year is None else _safe_date(year, month, 15)
    edge = m.group("edge").lower()
    what = re.sub(r"\s+", " ", m.group("what").lower())
    rel = (m.group("rel") or "").lower()
    step = 1 if rel in ("next", "following") else 0
    start = edge in ("beginning", "start")
    if edge == "middle" and what not in ("week", "month") and what.rstrip(".") not in MONTHS:
        return None
    if what == "week":
        if edge == "middle":
            return _friday_of_week(today, step) - timedelta(days=2)
        if start:
            return today - timedelta(days=today.weekday()) + timedelta(days=7 * max(step, 1))
        return _friday_of_week(today, step)
    if what == "month":
        first = add_months(today.replace(day=1), step)
        if start:
            return add_months(today.replace(day=1), max(step, 1))
        return first.replace(day=15) if edge == "middle" else month_end(first.year, first.month)
    if what in ("year", "calendar year"):
        return date(today.year + step, 1, 1) if start else date(today.year + step, 12, 31)
    if what == "financial year":
        year = today.year + (1 if today.month > 3 else 0) + step
        return date(year - 1, 4, 1) if start else date(year, 3, 31)
    if what == "quarter":
        q_end_month = ((today.month - 1) // 3 + 1 + step) * 3
        year = today.year + (q_end_month - 1) // 12
        q_end_month = (q_end_month - 1) % 12 + 1
        return month_end(year, q_end_month) if not start else None
    month = _month(what.split()[0])
    year = _year_of(m.group("year"))
    day_of = 1 if start else 15 if edge == "middle" else None
    if year:
        found = _safe_date(year, month, day_of) if day_of else month_end(year, month)
        return found if found and _in_window(found, ctx, True) else None
    found = _safe_date(today.year, month, day_of) if day_of else month_end(today.year, month)
    if found and found < today - GRACE:
        found = _safe_date(today.year + 1, month, day_of) if day_of else month_end(today.year + 1, month)
    return found if _in_window(found, ctx, False) else None


def _drop_nested(cands: list[_Cand]) -> list[_Cand]:
    """Keep the widest reading where two overlap ("Monday the 29th of January 2024" over "Monday")."""
    cands = sorted(cands, key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[_Cand] = []
    for c in cands:
        clash = next((k for k in kept if c.start < k.end and k.start < c.end), None)
        if clash is None:
            kept.append(c)
        elif (c.end - c.start) > (clash.end - clash.start) and c.kind == clash.kind:
            kept[kept.index(clash)] = c
    return kept


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def _ctx(sent_at: datetime, tz: str, next_meeting: date | None, phrase: bool) -> _Ctx:
    local = _local(sent_at, tz)
    return _Ctx(local.date(), local, next_meeting, phrase)


def _due(text: str, c: _Cand) -> Due:
    return Due(c.day, c.kind, text[c.start : c.end], c.start, c.end)


def find_due(text: str, *, sent_at: datetime, tz: str, next_meeting: date | None) -> Due:
    """The due date of a whole message; Due(None, None) when it has none."""
    ctx = _ctx(sent_at, tz, next_meeting, phrase=False)
    cands = _drop_nested(_candidates(text, ctx))
    if not cands:
        found = _fallback_in_text(text, ctx)
        if found is not None:
            return found
        refused = _refused(text, ctx)
        return refused if refused.why else _no_such_deadline(text, ctx)
    for s_start, s_end in _sentences(text):
        inside = [c for c in cands if s_start <= c.start < s_end]
        if inside:
            best = max(inside, key=lambda c: (c.rank, -c.start))
            return _due(text, best)
    return NO_DUE


def _refused(text: str, ctx: _Ctx) -> Due:
    """A deadline the window turned away ("by 29/09/23" read in 2026), so the reply can say so."""
    if not _DIGIT.search(text) and not _MONTH_WORD.search(text):
        return NO_DUE
    wide = replace(ctx, window=False)
    for c in _drop_nested(_candidates(text, wide)):
        if c.kind == "date" and c.day is not None and (c.rank == STRONG or ctx.phrase):
            why = f"{_shown(c.day)} is more than 18 months {'ahead' if c.day > ctx.today else 'ago'}"
            return Due(None, None, text[c.start : c.end], c.start, c.end, refused=c.day, why=why)
    return NO_DUE


# A day and month, with or without the year ("29/2/27", "31st of June 2027"): read only to say that
# the month has no such day (`_day_missing`), which the grammar above rightly does not read as a date.
_DAY_OF_MONTH = (
    r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
    rf"(?:[/.-](?P<m>\d{{1,2}})|\s+(?:of\s+)?(?P<mon>{MONTH_WORD}))(?:[/.\-\s]+(?P<y>\d{{4}}|\d{{2}})\b)?"
)
_DEADLINE_DAY = re.compile(rf"\b(?:by|before|until|due(?:\s+by)?|deadline:?)\s+{_DAY_OF_MONTH}", _I)
_DAY_MONTH = re.compile(rf"^(?:(?:by|on|before|until|due)\s+)?{_DAY_OF_MONTH}$", _I)


def _no_such_deadline(text: str, ctx: _Ctx) -> Due:
    """ "by 29/2/27" in a message: a deadline on a day its month does not have, named for the reply."""
    if not _DIGIT.search(text):
        return NO_DUE
    for m in _DEADLINE_DAY.finditer(text):
        why = _day_missing(m, ctx)
        if why:
            return Due(None, None, m.group(0), m.start(), m.end(), why=why)
    return NO_DUE


def refused_reason(text: str, *, sent_at: datetime, tz: str) -> str | None:
    """Why a phrase `parse_date` could not take was turned away, if it names a date at all.

    "29/09/23" typed in 2026 is a date, only too far back: the user needs to hear that, not
    "I can't read it".
    """
    ctx = _ctx(sent_at, tz, None, phrase=True)
    phrase = text.strip().rstrip(".!,;")
    impossible = _no_such_day(phrase, ctx)
    if impossible:
        return f"{impossible}: check the date"
    day = _refused(phrase, ctx).refused
    if day is not None and day < ctx.today:
        return f"{_shown(day)} has passed: give a date from today on"
    if day is not None and day > ctx.today + MAX_AHEAD:
        return f"{_shown(day)} is more than 18 months ahead: give a nearer date"
    return None


def _no_such_day(phrase: str, ctx: _Ctx) -> str | None:
    """ "29/2/27", "31 June": a day its month does not have, said so rather than "can't read"."""
    m = _DAY_MONTH.match(phrase)
    return _day_missing(m, ctx) if m else None


def _day_missing(m: re.Match[str], ctx: _Ctx) -> str | None:
    month = int(m.group("m")) if m.group("m") else _month(m.group("mon"))
    if not 1 <= month <= 12:
        return None
    year = _year_of(m.group("y")) or ctx.today.year
    last = monthrange(year, month)[1]
    if int(m.group("d")) <= last:
        return None
    name = f"{date(year, month, 1):%B}"
    which = f"{name} {year}" if m.group("y") else name
    return f"{which} has {last} days, so there is no {int(m.group('d'))} {name}"


def _shown(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


_LEAD_CUE = re.compile(
    r"^(?:(?:by|on|before|until|till|due(?:\s+(?:by|on))?|deadline:?|no\s+later\s+than|for|at|to|new\s+date:?)\s+)?",
    _I,
)


def parse_date(text: str, *, sent_at: datetime, tz: str, next_meeting: date | None = None) -> Due | None:
    """A phrase meant to be a date ("Friday", "29/09/23", "next meeting", "end of June"); None if unreadable.

    Forms that need a cue inside a message ("Friday", "June", "the 26th") stand alone here.
    """
    phrase = text.strip().rstrip(".!,;")
    if not phrase:
        return None
    ctx = _ctx(sent_at, tz, next_meeting, phrase=True)
    if _no_such_day(phrase, ctx):  # "31 June" is not the end of June: the caller says why
        return None
    lead = _LEAD_CUE.match(phrase)  # always matches: the cue is optional
    body_start = lead.end() if lead else 0
    body = phrase[body_start:]
    bare = re.fullmatch(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?", body, _I)
    if bare:
        day = _next_day_of_month(int(bare.group(1)), ctx)
        return Due(day, "date", phrase, 0, len(phrase)) if day else None
    cands = _drop_nested(_candidates(phrase, ctx))
    for c in sorted(cands, key=lambda c: (c.start, -c.end)):
        # The reading must cover the phrase, apart from cue words around it.
        if c.start <= body_start + 4 and c.end >= len(phrase) - 1:
            return Due(c.day, c.kind, phrase, 0, len(phrase))
    if cands and len(cands) == 1 and _NO_DATE.search(phrase) is None:
        c = cands[0]
        leftover = (phrase[: c.start] + phrase[c.end :]).strip(" ,.")
        if len(leftover.split()) <= 2 and not any(ch.isdigit() for ch in leftover):  # "Friday please"
            return Due(c.day, c.kind, phrase, 0, len(phrase))
    if _NO_DATE.search(phrase):
        return None
    found = _dateparser(body, ctx)
    return Due(found, "date", phrase, 0, len(phrase)) if found else None


# --- dateparser fallback -------------------------------------------------------------------------

_FALLBACK_SPAN = re.compile(
    r"\b(?:by|before|until|till|no\s+later\s+than|due(?:\s+(?:by|on))?|deadline(?:\s+of)?)\s+"
    r"(?P<span>[^.,;:!?()\n]{2,40}?)(?=\s+(?:and|to|with|so|for|in\s+order|because|which|who|that)\b|[.,;:!?()\n]|$)",
    _I,
)
_DATEISH = re.compile(rf"\d|\b{MONTH_WORD}|\b(?:week|month|fortnight|tomorrow)\b", _I)


class _DateParser:
    """dateparser, imported on first use (it costs ~100 ms), with a parser per message.

    RELATIVE_BASE is the message's own time, so each call builds its parser: that costs
    about 0.02 ms once the English locale is loaded, and needs nothing private of dateparser.
    """

    @staticmethod
    def parse(phrase: str, base: datetime) -> tuple[date, bool] | None:
        """`base` is the message time, aware, in the partnership's timezone."""
        from dateparser.date import DateDataParser  # the documented path; the package root does not export it

        # languages=['en'] and an explicit DMY order: without them a call costs 50-200 ms,
        # reads "to" as Thursday and 04/08 as 8 April.
        parser = DateDataParser(
            languages=["en"],
            settings={
                "DATE_ORDER": "DMY",
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": base,
                "PREFER_DAY_OF_MONTH": "last",
                "TIMEZONE": str(base.tzinfo),
                "RETURN_AS_TIMEZONE_AWARE": True,
            },
        )
        data = parser.get_date_data(phrase)
        if data is None or data.date_obj is None:
            return None
        parts = getattr(data, "parts", None) or ()
        return data.date_obj.date(), "year" in parts and re.search(r"\d{2,4}\s*$|\d{4}", phrase) is not None


def _dateparser(phrase: str, ctx: _Ctx) -> date | None:
    if not _DATEISH.search(phrase) and not re.search(_WD, phrase, _I):
        return None
    found = _DateParser.parse(phrase, ctx.base)
    if found is None:
        return None
    day, explicit_year = found
    if day.year > ctx.today.year + 50:  # the two-digit-year century trap
        day = day.replace(year=day.year - 100)
    return day if _in_window(day, ctx, explicit_year) else None


def _fallback_in_text(text: str, ctx: _Ctx) -> Due | None:
    """dateparser on a short span after a deadline cue, when the grammar found nothing at all."""
    for m in _FALLBACK_SPAN.finditer(text):
        span = m.group("span").strip()
        if not _DATEISH.search(span) or re.fullmatch(r"[\d\s£$€,.%]+", span):
            continue
        day = _dateparser(span, ctx)
        if day:
            end = m.start() + len(m.group(0).rstrip())
            return Due(day, "date", text[m.start() : end], m.start(), end)
    return None
