"""The school calendar reminders keep to: Europe/London time, school days and quiet hours.

A school day is a weekday that is not an England and Wales bank holiday, not one of the
academy's closure days and, when the academy lists term dates, inside a term.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
# Far enough to cross a summer holiday when term dates are given; a calendar with no school
# day in a year is a configuration mistake, not something to loop over for ever.
SEARCH_DAYS = 366


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(day: date) -> bool:
    """Whether `day` is a bank holiday in England and Wales (substitute days included)."""
    return day in _bank_holidays(day.year)


@dataclass(frozen=True)
class SchoolCalendar:
    """One academy's school days and the hours outside which non-urgent reminders wait."""

    quiet_until: time
    quiet_from: time
    morning: time
    closures: frozenset[date] = frozenset()
    terms: tuple[tuple[date, date], ...] = ()

    def is_school_day(self, day: date) -> bool:
        """A weekday, not a bank holiday or closure day, and in term when terms are given."""
        if day.weekday() >= 5 or is_bank_holiday(day) or day in self.closures:
            return False
        return not self.terms or any(start <= day <= end for start, end in self.terms)

    def school_day_on_or_after(self, day: date) -> date:
        """`day` itself when it is a school day, else the next one."""
        for offset in range(SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_school_day(candidate):
                return candidate
        raise ValueError(f"no school day within a year of {day}: check the academy's term dates")

    def next_school_day(self, day: date) -> date:
        """The first school day strictly after `day`."""
        return self.school_day_on_or_after(day + timedelta(days=1))

    def at(self, day: date, clock_time: time) -> datetime:
        """`clock_time` on `day` in London, as an aware datetime (UTC-comparable)."""
        return datetime.combine(day, clock_time, tzinfo=LONDON)

    def in_school_hours(self, moment: datetime) -> bool:
        """Whether `moment` is on a school day between the end and the start of quiet hours."""
        local = moment.astimezone(LONDON)
        return self.is_school_day(local.date()) and self.quiet_until <= local.time() < self.quiet_from

    def defer(self, moment: datetime) -> datetime:
        """`moment` if it is in school hours, else the next school-day morning."""
        if self.in_school_hours(moment):
            return moment
        local = moment.astimezone(LONDON)
        if self.is_school_day(local.date()) and local.time() < self.quiet_until:
            return self.at(local.date(), self.morning)
        return self.at(self.next_school_day(local.date()), self.morning)

    def school_time(self, day: date, clock_time: time) -> datetime:
        """`clock_time` on `day`, or on the next school day when `day` is not one."""
        return self.at(self.school_day_on_or_after(day), clock_time)

    def one_school_day_later(self, moment: datetime) -> datetime:
        """The same time of day on the next school day, kept inside school hours."""
        local = moment.astimezone(LONDON)
        return self.defer(self.at(self.next_school_day(local.date()), local.time()))

    def local_date(self, moment: datetime) -> date:
        """The London date of `moment`."""
        return moment.astimezone(LONDON).date()
