"""The school calendar: Europe/London, weekends, bank holidays, closures, terms, quiet hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from conversations.scheduling.calendar import LONDON, SchoolCalendar, is_bank_holiday

CAL = SchoolCalendar(quiet_until=time(8), quiet_from=time(18), morning=time(8, 30))


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("day", "school"),
    [
        (date(2026, 11, 27), True),  # a Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 12, 25), False),  # Christmas Day
        (date(2026, 12, 28), False),  # Boxing Day substitute (26th is a Saturday)
        (date(2026, 12, 29), True),
        (date(2027, 8, 30), False),  # late summer bank holiday (England and Wales)
    ],
)
def test_school_days(day, school):
    assert CAL.is_school_day(day) is school


def test_scottish_holidays_do_not_count():
    assert not is_bank_holiday(date(2026, 1, 2))  # a bank holiday in Scotland only
    assert not is_bank_holiday(date(2026, 11, 30))  # St Andrew's Day


def test_friday_evening_waits_for_monday_morning():
    assert CAL.defer(london(2026, 11, 27, 18, 0)) == london(2026, 11, 30, 8, 30)
    assert CAL.defer(london(2026, 11, 27, 17, 59)) == london(2026, 11, 27, 17, 59)


def test_early_morning_waits_for_the_same_morning():
    assert CAL.defer(london(2026, 11, 25, 6, 0)) == london(2026, 11, 25, 8, 30)


def test_christmas_eve_evening_skips_both_bank_holidays():
    assert CAL.defer(london(2026, 12, 24, 19, 0)) == london(2026, 12, 29, 8, 30)


def test_closure_days_and_terms():
    cal = SchoolCalendar(
        time(8),
        time(18),
        time(8, 30),
        closures=frozenset({date(2026, 11, 30)}),
        terms=((date(2026, 9, 2), date(2026, 12, 18)), (date(2027, 1, 5), date(2027, 3, 26))),
    )
    assert cal.next_school_day(date(2026, 11, 27)) == date(2026, 12, 1)
    assert cal.next_school_day(date(2026, 12, 18)) == date(2027, 1, 5)


def test_summer_time_is_london_time():
    moment = CAL.at(date(2026, 6, 1), time(8, 30))
    assert moment.astimezone(UTC) == datetime(2026, 6, 1, 7, 30, tzinfo=UTC)


def test_one_school_day_later_keeps_the_time_of_day():
    assert CAL.one_school_day_later(london(2026, 11, 27, 10, 0)) == london(2026, 11, 30, 10, 0)
