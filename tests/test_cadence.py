"""Series cadences and papers deadlines: the phrases of a partnership file turned into dates."""

from __future__ import annotations

from datetime import date

import pytest

from storage.cadence import Cadence, CadenceError, PapersDue, as_required, parse_cadence, parse_papers_due

FRI, TUE, MON, THU = 4, 1, 0, 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("weekly", Cadence("week", 1)),
        ("every week", Cadence("week", 1)),
        ("every 3 weeks", Cadence("week", 3)),
        ("every three weeks", Cadence("week", 3)),
        ("fortnightly", Cadence("week", 2)),
        ("every other week", Cadence("week", 2)),
        ("monthly", Cadence("month", 1)),
        ("every 2 months", Cadence("month", 2)),
        ("Every two months", Cadence("month", 2)),
        ("bimonthly", Cadence("month", 2)),
        ("bi-monthly", Cadence("month", 2)),
        ("quarterly", Cadence("month", 3)),
        ("twice a year", Cadence("month", 6)),
        ("six-monthly", Cadence("month", 6)),
        ("every 6 months", Cadence("month", 6)),
        ("annually", Cadence("month", 12)),
        ("yearly", Cadence("month", 12)),
        ("every 2 months on the third Friday", Cadence("month", 2, weekday=FRI, nth=3)),
        ("monthly on the last Tuesday", Cadence("month", 1, weekday=TUE, nth=-1)),
        ("Monthly, on the 1st Monday of the month.", Cadence("month", 1, weekday=MON, nth=1)),
        ("quarterly on the second Thursday", Cadence("month", 3, weekday=THU, nth=2)),
        ("weekly on Fridays", Cadence("week", 1, weekday=FRI)),
        ("fortnightly on a Tuesday", Cadence("week", 2, weekday=TUE)),
        ("every 2 weeks on Thursday", Cadence("week", 2, weekday=THU)),
    ],
)
def test_parse_cadence_forms(text: str, expected: Cadence) -> None:
    assert parse_cadence(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "weekly",
        "every 3 weeks on Fridays",
        "monthly",
        "every 2 months on the third Friday",
        "quarterly",
        "twice a year",
        "annually",
        "monthly on the last Tuesday",
        "every 5 months",
    ],
)
def test_describe_reads_back_to_the_same_cadence(text: str) -> None:
    cadence = parse_cadence(text)
    assert parse_cadence(cadence.describe()) == cadence
    assert cadence.describe() == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("sometimes", "use weekly"),
        ("", "use weekly"),
        ("every 0 weeks", "at least every 1 week"),
        ("every lots of months", "use weekly"),
        ("every 2 weeks on the third Friday", "needs a monthly cadence"),
        ("monthly on Fridays", "say which Friday of the month"),
        ("monthly on the fifth Friday", "fifth"),
        ("monthly on the third Funday", "cannot read the day"),
    ],
)
def test_bad_cadences_say_what_is_accepted(text: str, fragment: str) -> None:
    with pytest.raises(CadenceError, match=fragment):
        parse_cadence(text)


def test_cadence_error_is_a_value_error() -> None:
    assert issubclass(CadenceError, ValueError)


def test_cadence_rejects_inconsistent_fields() -> None:
    with pytest.raises(CadenceError):
        Cadence("week", 1, weekday=FRI, nth=3)
    with pytest.raises(CadenceError):
        Cadence("month", 1, weekday=FRI)  # which Friday?
    with pytest.raises(CadenceError):
        Cadence("day", 1)
    with pytest.raises(CadenceError):
        Cadence("month", 0)


def test_third_friday_every_two_months() -> None:
    cadence = parse_cadence("every 2 months on the third Friday")
    assert cadence.next_after(date(2024, 1, 19)) == date(2024, 3, 15)
    assert cadence.next_after(date(2024, 3, 15)) == date(2024, 5, 17)


def test_third_friday_across_the_year_end() -> None:
    assert parse_cadence("every 2 months on the third Friday").next_after(date(2024, 11, 15)) == date(
        2025, 1, 17
    )
    assert parse_cadence("quarterly on the third Friday").next_after(date(2023, 10, 20)) == date(2024, 1, 19)
    assert parse_cadence("monthly on the third Friday").next_after(date(2023, 12, 15)) == date(2024, 1, 19)


def test_nth_weekday_is_found_even_when_the_last_meeting_moved() -> None:
    # the December meeting was held a day early; January is still its third Friday
    assert parse_cadence("monthly on the third Friday").next_after(date(2023, 12, 14)) == date(2024, 1, 19)


def test_last_weekday_of_the_month() -> None:
    cadence = parse_cadence("monthly on the last Tuesday")
    assert cadence.next_after(date(2024, 1, 30)) == date(2024, 2, 27)  # 29 Feb 2024 is a Thursday
    assert cadence.next_after(date(2024, 2, 27)) == date(2024, 3, 26)
    assert cadence.next_after(date(2024, 12, 31)) == date(2025, 1, 28)


def test_month_end_is_clamped() -> None:
    monthly = parse_cadence("monthly")
    assert monthly.next_after(date(2024, 1, 31)) == date(2024, 2, 29)  # leap year, a Thursday
    assert monthly.next_after(date(2023, 1, 31)) == date(2023, 2, 28)  # a Tuesday
    assert parse_cadence("quarterly").next_after(date(2023, 11, 30)) == date(2024, 2, 29)


def test_same_day_of_month_moves_off_weekends_and_bank_holidays() -> None:
    monthly = parse_cadence("monthly")
    assert monthly.next_after(date(2024, 1, 15)) == date(2024, 2, 15)
    assert monthly.next_after(date(2024, 2, 16)) == date(2024, 3, 18)  # 16 March 2024 is a Saturday
    # 29 March 2024 is Good Friday and 1 April Easter Monday
    assert monthly.next_after(date(2024, 2, 29)) == date(2024, 4, 2)
    assert parse_cadence("twice a year").next_after(date(2024, 6, 25)) == date(
        2024, 12, 27
    )  # after Boxing Day


def test_twice_a_year_and_annually() -> None:
    assert parse_cadence("twice a year").next_after(date(2024, 1, 19)) == date(2024, 7, 19)
    assert parse_cadence("annually").next_after(date(2024, 3, 14)) == date(2025, 3, 14)


def test_weekly_cadences() -> None:
    assert parse_cadence("weekly").next_after(date(2024, 1, 19)) == date(2024, 1, 26)
    assert parse_cadence("fortnightly").next_after(date(2023, 12, 22)) == date(2024, 1, 5)
    assert parse_cadence("every 3 weeks").next_after(date(2024, 2, 20)) == date(2024, 3, 12)


def test_weekly_cadence_with_a_weekday_snaps_back_to_it() -> None:
    cadence = parse_cadence("every 2 weeks on Fridays")
    assert cadence.next_after(date(2024, 1, 19)) == date(2024, 2, 2)
    # a meeting moved to Thursday 18 January: the next is still a Friday, two weeks on
    assert cadence.next_after(date(2024, 1, 18)) == date(2024, 2, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 working days before", PapersDue(5, "working_day")),
        ("1 working day before", PapersDue(1, "working_day")),
        ("ten working days before the meeting", PapersDue(10, "working_day")),
        ("7 days before", PapersDue(7, "day")),
        ("2 weeks before", PapersDue(2, "week")),
        ("a week before", PapersDue(1, "week")),
        ("5 Working Days", PapersDue(5, "working_day")),
    ],
)
def test_parse_papers_due_forms(text: str, expected: PapersDue) -> None:
    assert parse_papers_due(text) == expected


@pytest.mark.parametrize(
    "text", ["soon", "0 days before", "5 working days after", "before", "5 fortnights before"]
)
def test_bad_papers_due(text: str) -> None:
    with pytest.raises(CadenceError):
        parse_papers_due(text)


def test_papers_deadline_skips_the_easter_bank_holidays() -> None:
    # Tue 2 Apr 2024: back past Easter Monday 1 Apr, the weekend and Good Friday 29 Mar:
    # Thu 28 (1), Wed 27 (2), Tue 26 (3), Mon 25 (4), Fri 22 Mar (5)
    assert parse_papers_due("5 working days before").deadline(date(2024, 4, 2)) == date(2024, 3, 22)
    assert parse_papers_due("1 working day before").deadline(date(2024, 4, 2)) == date(2024, 3, 28)


def test_papers_deadline_over_christmas() -> None:
    # Fri 3 Jan 2025: Thu 2 Jan (1), New Year's Day skipped, Tue 31 Dec (2), Mon 30 Dec (3)
    assert parse_papers_due("3 working days before").deadline(date(2025, 1, 3)) == date(2024, 12, 30)


def test_calendar_day_deadlines_move_back_to_a_working_day() -> None:
    assert parse_papers_due("7 days before").deadline(date(2024, 3, 22)) == date(2024, 3, 15)
    # 7 days before Mon 8 Apr 2024 is Easter Monday: papers are due the Thursday before
    assert parse_papers_due("7 days before").deadline(date(2024, 4, 8)) == date(2024, 3, 28)
    assert parse_papers_due("1 week before").deadline(date(2024, 4, 2)) == date(2024, 3, 26)


def test_papers_due_describe_reads_back() -> None:
    for text in ("5 working days before", "1 working day before", "7 days before", "1 week before"):
        assert parse_papers_due(text).describe() == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("three times a year", Cadence("month", 4)),
        ("Four times a year", Cadence("month", 3)),
        ("twice a year", Cadence("month", 6)),
        ("twice per year", Cadence("month", 6)),
        ("once each quarter", Cadence("month", 3)),
        ("monthly and when required", Cadence("month", 1)),
        ("Monthly, and as required.", Cadence("month", 1)),
        ("at least quarterly", Cadence("month", 3)),
        ("at least three times a year", Cadence("month", 4)),
        ("bi-monthly on the third Friday and when required", Cadence("month", 2, weekday=FRI, nth=3)),
    ],
)
def test_cadences_in_the_documents_words(text: str, expected: Cadence) -> None:
    assert parse_cadence(text) == expected


def test_as_required_proposes_no_dates() -> None:
    assert as_required("as required") and as_required("When required.")
    assert not as_required("monthly and when required")
    with pytest.raises(CadenceError, match="'as required' or 'when required' proposes no dates"):
        parse_cadence("as needed sometimes")
    with pytest.raises(CadenceError, match=r"whole months \(1, 2, 3, 4, 6 or 12\)"):
        parse_cadence("five times a year")
