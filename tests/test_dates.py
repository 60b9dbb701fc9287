"""The date grammar: due dates in the words of minutes, against the message's own time in Europe/London."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from capture_fixtures import FRI, NEXT, TZ, at

from handlers.dates import Due, add_months, find_due, parse_date

TUE = at("2024-01-16T11:00:00+00:00")  # Tue 16 Jan 2024
JUNE = at("2024-06-04T14:30:00+01:00")  # Tue 4 Jun 2024, BST


def due(text: str, sent: datetime = FRI, next_meeting: date | None = NEXT) -> Due:
    return find_due(text, sent_at=sent, tz=TZ, next_meeting=next_meeting)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # day-first numbers, with and without a year
        ("JK to share the data by 14/06/24", "2024-06-14"),
        ("by 3/7/25", "2025-07-03"),
        ("JK to share the permanent exclusions data with HN by 21.06.24", "2024-06-21"),
        ("by 14-06-2024", "2024-06-14"),
        ("submit the figures by 30/11", "2024-11-30"),
        ("Schools to submit attendance data by 1/9", "2024-09-01"),
        ("OK to report back on 12/10", "2024-10-12"),
        ("RB to send the case studies to the board by 04/03/2024", "2024-03-04"),
        ("by 2024-03-01", "2024-03-01"),
        # written dates
        ("HN to inform MT by Monday the 29th of January 2024 why", "2024-01-29"),
        ("with a deadline for completion on the 9th of February 2024.", "2024-02-09"),
        ("NF to confirm probation attendance by 9th Feb", "2024-02-09"),
        ("by 16th Feb.", "2024-02-16"),
        ("DA to seek a budget by 30th April", "2024-04-30"),
        ("SMi to send the policy by Monday 5th February 2024.", "2024-02-05"),
        ("by Tuesday the 4th of June 2024", "2024-06-04"),
        ("by June 30", "2024-06-30"),
        ("by Sept 30th, 2024", "2024-09-30"),
        ("TR to update the board on Operation Encompass on Weds 31st.", "2024-01-31"),
        ("by the 26th", "2024-01-26"),
        ("by the 1st of next month", "2024-02-01"),
        ("book a room for the development day w/c 26th February", "2024-02-26"),
        ("with a deadline of 9th February", "2024-02-09"),
        ("no later than 8 March 2024", "2024-03-08"),
        # weekdays, said on a Friday
        ("by Thursday", "2024-01-25"),
        ("by Friday", "2024-01-26"),
        ("kb to send the data by fri", "2024-01-26"),
        ("this Friday", "2024-01-19"),
        ("Rhian Bowen to book the venue by next Friday.", "2024-01-26"),
        ("next Tuesday", "2024-01-23"),
        ("next Monday", "2024-01-22"),
        ("by Friday week", "2024-02-02"),
        ("a week on Friday", "2024-02-02"),
        # today and tomorrow
        ("@Lowri Evans to send the pathway to members tomorrow.", "2024-01-20"),
        ("TT to chase the named doctor by close of play tomorrow", "2024-01-20"),
        ("end of play today", "2024-01-19"),
        ("OK to update the website by COP today", "2024-01-19"),
        ("send it by EOD", "2024-01-19"),
        # periods
        ("within three weeks", "2024-02-09"),
        ("within six weeks", "2024-03-01"),
        ("within 6 weeks", "2024-03-01"),
        ("in two weeks", "2024-02-02"),
        ("TT to share the audit findings in two weeks' time", "2024-02-02"),
        ("within a fortnight", "2024-02-02"),
        ("within a month", "2024-02-19"),
        ("within the next month", "2024-02-19"),
        ("over the next two weeks", "2024-02-02"),
        ("within 48 hours", "2024-01-21"),
        ("in 3 months", "2024-04-19"),
        ("two weeks from today", "2024-02-02"),
        ("TR to circulate the police protection protocol within 5 working days.", "2024-01-26"),
        ("RB to circulate the minutes within 10 working days of the meeting", "2024-02-02"),
        # ends of periods
        ("by the end of the month", "2024-01-31"),
        ("Health colleagues to confirm GP attendance by the end of February.", "2024-02-29"),
        ("by the end of June", "2024-06-30"),
        ("by the end of June 2025", "2025-06-30"),
        ("by the end of next month", "2024-02-29"),
        ("by the end of next week", "2024-01-26"),
        ("end of the week", "2024-01-19"),
        ("by the end of the financial year", "2024-03-31"),
        ("by the end of the quarter", "2024-03-31"),
        ("by the end of the year", "2024-12-31"),
        ("by the beginning of March", "2024-03-01"),
        ("by mid-March", "2024-03-15"),
        ("by October", "2024-10-31"),
        ("before October", "2024-09-30"),
        ("by May", "2024-05-31"),
        ("SC to report back on the re-audit in March", "2024-03-31"),
        ("to circulate the paper next week", "2024-01-26"),
        # counted back from the next meeting (Fri 15 Mar 2024)
        ("OK to circulate the agenda 5 working days before the meeting", "2024-03-08"),
    ],
)
def test_dates_said_on_a_friday(text: str, expected: str) -> None:
    found = due(text)
    assert (found.date, found.kind) == (d(expected), "date"), found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "next Friday" on a Tuesday is the Friday of next week, not the coming one
        ("by next Friday", "2024-01-26"),
        ("by Friday", "2024-01-19"),
        ("this Friday", "2024-01-19"),
        ("by Tuesday", "2024-01-23"),
        ("next Tuesday", "2024-01-23"),
        ("next Monday", "2024-01-22"),
        ("by the end of the week", "2024-01-19"),
        ("by the end of next week", "2024-01-26"),
        ("tomorrow", "2024-01-17"),
    ],
)
def test_weekdays_said_on_a_tuesday(text: str, expected: str) -> None:
    assert due(text, TUE).date == d(expected)


@pytest.mark.parametrize(
    ("text", "sent", "expected"),
    [
        ("Minute taker to circulate the draft minutes within 10 working days.", JUNE, "2024-06-18"),
        ("KB and CG to agree the joint protocol within a month.", JUNE, "2024-07-04"),
        ("Chair to write to the Executive by 14/06/24.", JUNE, "2024-06-14"),
        # a date with no year already past is next year's
        ("by 30th April", JUNE, "2025-04-30"),
        ("by 30/11", JUNE, "2024-11-30"),
        # ... but a week's grace for minutes typed up late
        ("by 31st May", JUNE, "2024-05-31"),
        ("by close of play on Weds 26th", at("2023-07-19T10:00:00+01:00"), "2023-07-26"),
        ("by the end of the week", at("2024-01-20T10:00:00+00:00"), "2024-01-26"),  # said on a Saturday
    ],
)
def test_dates_against_other_message_times(text: str, sent: datetime, expected: str) -> None:
    assert due(text, sent).date == d(expected)


@pytest.mark.parametrize(
    ("text", "sent", "expected"),
    [
        # Christmas and New Year: 25, 26 Dec and 1 Jan skipped
        ("within 5 working days", at("2023-12-21T10:00:00+00:00"), "2024-01-02"),
        # Easter 2024: Good Friday 29 Mar, Easter Monday 1 Apr
        ("within 3 working days", at("2024-03-27T10:00:00+00:00"), "2024-04-03"),
        # the Coronation bank holiday, Mon 8 May 2023
        ("within 2 working days", at("2023-05-05T10:00:00+01:00"), "2023-05-10"),
        # spring bank holiday, Mon 27 May 2024
        ("within 1 working day", at("2024-05-24T10:00:00+01:00"), "2024-05-28"),
        ("within five business days", at("2024-08-23T10:00:00+01:00"), "2024-09-02"),  # summer bank holiday
        # calendar days do not skip holidays
        ("within 5 days", at("2023-12-21T10:00:00+00:00"), "2023-12-26"),
    ],
)
def test_working_days_skip_bank_holidays(text: str, sent: datetime, expected: str) -> None:
    assert due(text, sent).date == d(expected)


@pytest.mark.parametrize(
    ("text", "sent", "expected"),
    [
        ("by the end of February", at("2024-01-10T10:00:00+00:00"), "2024-02-29"),
        ("by the end of February", at("2025-01-10T10:00:00+00:00"), "2025-02-28"),
        ("by the end of the month", at("2024-02-10T10:00:00+00:00"), "2024-02-29"),
        ("by the end of the month", at("2024-01-31T16:00:00+00:00"), "2024-01-31"),
        ("within a month", at("2024-01-31T10:00:00+00:00"), "2024-02-29"),
        ("within a month", at("2023-01-31T10:00:00+00:00"), "2023-02-28"),
        ("within a month", at("2024-02-29T10:00:00+00:00"), "2024-03-29"),
        ("by the end of next month", at("2024-12-05T10:00:00+00:00"), "2025-01-31"),
        ("by 29/02/24", at("2024-01-10T10:00:00+00:00"), "2024-02-29"),
        ("by 29/2", at("2024-01-10T10:00:00+00:00"), "2024-02-29"),
        ("by 29/2", at("2027-06-01T10:00:00+01:00"), "2028-02-29"),
        ("by 29th February", at("2024-01-10T10:00:00+00:00"), "2024-02-29"),
    ],
)
def test_month_ends_and_leap_years(text: str, sent: datetime, expected: str) -> None:
    assert due(text, sent).date == d(expected)


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("by 29/02/25", at("2025-01-10T10:00:00+00:00")),  # no 29 Feb in 2025
        ("by 29/2", at("2025-01-10T10:00:00+00:00")),  # the next one, 2028, is too far ahead
        ("by 31/04/24", FRI),
        ("by 32/01/24", FRI),
    ],
)
def test_impossible_dates_are_not_read(text: str, sent: datetime) -> None:
    assert due(text, sent).kind is None


def test_two_digit_years_stay_in_this_century() -> None:
    # dateparser with PREFER_DATES_FROM=future reads 14/06/23 as 2123
    assert due("by 14/06/23", at("2023-06-01T10:00:00+01:00")).date == d("2023-06-14")
    late_sept = at("2023-09-22T09:00:00+01:00")
    assert due("SM updated that conversations will be held by 29/09/23", late_sept).date == d("2023-09-29")
    # a past date with its year written out is kept: imported trackers carry past deadlines
    assert due("EH to inform TM by Monday the 24th of July 2023", at("2023-09-22T09:00:00+01:00")).date == d(
        "2023-07-24"
    )
    # the dateparser fallback gets the same correction
    found = parse_date("14th of June, 23", sent_at=FRI, tz=TZ)
    assert found is not None and found.date == d("2023-06-14")


@pytest.mark.parametrize(
    "text",
    [
        "over the past six months",
        "RB to share the number of staff who accessed the website within the last three months.",
        "JK to look at data for the last 2 weeks",
        "WB and August Peters to present the DA findings at the December board meeting.",
        "DA to provide an update at the February meeting",
        "Education colleagues to follow up the single point of failure as soon as possible.",
        "JK to circulate the exclusions data, asap.",
        "Action 17",
        "Action 28: DW to contact May Hughes about the funding bid",
        "WB to contact June Hughes about the DA conference.",
        "DA to seek a budget of £40,000 for the animation",
        "Carried forward from 14.06.23",
        "the figures since 1 April",
        "the minutes of 12 January 2024",
        "Room 2.14, 10",
        "the 2022/23 data",
        "a 24/7 service",
        "1.5 FTE",
        "the meeting starts at 10.30",
        "KB to confirm the remand numbers for Q3",
        "PM may attend",
        "the report for March",
        "the next group of children",
        "within 6 weeks of the referral",
        "the visit last Friday",
        "the training shown today",
        "to a future meeting",
        "the figures in March 2019",
    ],
)
def test_no_date_where_there_is_none(text: str) -> None:
    assert due(text) == Due(None, None)


@pytest.mark.parametrize(
    ("text", "refused"),
    [("by 14/06/2027", date(2027, 6, 14)), ("by 1 January 2022", date(2022, 1, 1))],
)
def test_a_deadline_outside_the_window_is_no_date_but_is_named(text: str, refused: date) -> None:
    """More than 18 months ahead or back: no due date, but the reply can say which date it refused."""
    found = due(text)
    assert (found.date, found.kind, found.text, found.refused) == (None, None, text, refused)
    assert found.why is not None and "is more than 18 months" in found.why


def test_a_deadline_on_a_day_its_month_does_not_have_is_named() -> None:
    found = due("HN to write to the schools by 30/02/25 please")
    assert (found.date, found.kind, found.text, found.refused) == (None, None, "by 30/02/25", None)
    assert found.why == "February 2025 has 28 days, so there is no 30 February"
    assert due("HN to write by 31 June").why == "June has 30 days, so there is no 31 June"


@pytest.mark.parametrize(
    "text",
    [
        "Action: SMa/PMw to invite the performance lead to the next meeting to present the dashboard.",
        "ACTION: MT to invite the workforce lead to present at the next meeting.",
        "SMi to confirm the hospital's named nurse before the next meeting.",
        "to discuss and report back at the next meeting of the group.",
        "to be delayed until the next meeting of the Children's Practice Oversight Group.",
        "KB to bring the knife crime data to the next Board.",
        "by the next Board meeting",
        "at the next scheduled meeting",
        "at the following meeting",
        "add to the agenda for the Next Meeting",
    ],
)
def test_next_meeting(text: str) -> None:
    found = due(text)
    assert (found.date, found.kind) == (NEXT, "next_meeting")
    # unknown date: the core fills it from the series' cadence
    assert due(text, next_meeting=None) == Due(None, "next_meeting", found.text, found.start, found.end)


def test_dateparser_reads_what_the_grammar_does_not() -> None:
    # only after a deadline cue, only when the grammar found nothing, and checked like the rest
    assert due("HN to report back by 2 weeks").date == d("2024-02-02")
    assert due("HN to report by Q4").kind is None
    assert due("the pilot is supported by 3 agencies").kind is None


def test_next_weekday_meeting_is_a_weekday() -> None:
    assert due("to present at next Tuesday's meeting").date == d("2024-01-23")


def test_the_due_phrase_and_its_span() -> None:
    text = "Rhian Bowen to book the venue for the session by next Friday."
    found = due(text)
    assert found.text == "by next Friday"
    assert text[found.start : found.end] == "by next Friday"
    found = due("BU to resend the survey with a deadline for completion on the 9th of February 2024.")
    assert found.text == "with a deadline for completion on the 9th of February 2024"


def test_first_sentence_with_a_date_wins() -> None:
    text = (
        "Action 23. SM, SH and AS to discuss the training and to report back at the next meeting of the "
        "group. SM updated that further conversations will be held with the training lead by 02/02/24."
    )
    assert due(text).kind == "next_meeting"
    text = "HN to circulate the report. Due 14/02/24."
    assert due(text).date == d("2024-02-14")


def test_deadline_cue_beats_softer_ones() -> None:
    text = "DA to present the paper at the next meeting, with comments by 2 February"
    assert due(text).date == d("2024-02-02")
    assert due("to circulate the 14/06/24 report by Friday").date == d("2024-01-26")
    assert due("TR to provide the figures at the next meeting on 15 March").kind == "next_meeting"


def test_message_time_is_read_in_the_partnership_timezone() -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London
    assert due("tomorrow", at("2024-06-30T23:30:00+00:00")).date == d("2024-07-02")
    assert due("end of play today", at("2024-06-30T23:30:00+00:00")).date == d("2024-07-01")
    # a naive time is taken as London time already
    assert due("tomorrow", datetime(2024, 6, 30, 23, 30)).date == d("2024-07-01")


@pytest.mark.parametrize(
    ("phrase", "expected", "kind"),
    [
        ("Friday", "2024-01-26", "date"),
        ("by Friday", "2024-01-26", "date"),
        ("29/09/23", "2023-09-29", "date"),
        ("1/3/24", "2024-03-01", "date"),
        ("end of June", "2024-06-30", "date"),
        ("June", "2024-06-30", "date"),
        ("the 26th", "2024-01-26", "date"),
        ("26", "2024-01-26", "date"),
        ("in 2 weeks", "2024-02-02", "date"),
        ("a week on Friday", "2024-02-02", "date"),
        ("Sept 30th", "2024-09-30", "date"),
        ("the 8th of September 2024", "2024-09-08", "date"),
        ("1st of next month", "2024-02-01", "date"),  # through dateparser
        ("next meeting", "2024-03-15", "next_meeting"),
        ("the next meeting", "2024-03-15", "next_meeting"),
    ],
)
def test_parse_date_reads_a_phrase(phrase: str, expected: str, kind: str) -> None:
    found = parse_date(phrase, sent_at=FRI, tz=TZ, next_meeting=NEXT)
    assert found is not None
    assert (found.date, found.kind) == (d(expected), kind)
    assert found.text == phrase


def test_parse_date_next_meeting_without_a_date() -> None:
    assert parse_date("next meeting", sent_at=FRI, tz=TZ) == Due(None, "next_meeting", "next meeting", 0, 12)


@pytest.mark.parametrize(
    "phrase", ["rubbish", "", "asap", "as soon as possible", "the Business Manager", "31/04/24"]
)
def test_parse_date_unreadable(phrase: str) -> None:
    assert parse_date(phrase, sent_at=FRI, tz=TZ) is None


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)


def test_the_month_meeting_is_the_next_meeting_when_that_is_its_month() -> None:
    # NEXT is 15 March 2024: "the March meeting" is it; any other month's meeting is no deadline.
    for text in ("KB to update the group at the March meeting", "DA to report to the March board meeting"):
        found = due(text)
        assert (found.date, found.kind) == (NEXT, "next_meeting"), text
        assert found.text.endswith("meeting")
    assert due("DA to provide an update at the February meeting").kind is None
    assert due("KB to update the group at the March meeting", next_meeting=None).kind is None


def test_after_christmas_and_the_new_year_asked_for_are_the_first_working_day_of_january() -> None:
    autumn = at("2026-12-04T09:00:00+00:00")  # 1 January 2027 is a Friday, a bank holiday
    for phrase in ("after Christmas", "after the Christmas break", "in the new year"):
        found = parse_date(phrase, sent_at=autumn, tz=TZ)
        assert found is not None and found.date == d("2027-01-04"), phrase
    # In an action they are a timeframe, not a deadline.
    assert due("EL to report back in the new year", autumn, next_meeting=None).kind is None
