"""School time: the trends count days, hours and weekdays as the school lives them, in UK time.

Incidents are stored in UTC; a night-time incident at 00:30 BST belongs to the day it happened in
school, not to the UTC day before. The day is kept as a number (days since 1970-01-01, local),
so roll-ups group and range over small integers on SQLite and PostgreSQL alike.

`tzdata` is a dependency, so the zone exists even where the OS has no tz database (Windows):
the same incident must fall on the same day on every machine.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SCHOOL_ZONE = ZoneInfo("Europe/London")
_EPOCH = date(1970, 1, 1)


def local_day_hour(moment: datetime) -> tuple[int, int]:
    """(day number, hour 0–23) of a UTC moment, in school time."""
    local = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(SCHOOL_ZONE)
    return (local.date() - _EPOCH).days, local.hour


def month_number(day: int) -> int:
    """The day number of the 1st of the month holding day number `day`."""
    return day_number(day_of(day).replace(day=1))


def day_number(day: date) -> int:
    return (day - _EPOCH).days


def day_of(number: int) -> date:
    return _EPOCH + timedelta(days=number)


def today(now: datetime) -> date:
    """The school's calendar date at a UTC moment."""
    return day_of(local_day_hour(now)[0])


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC moments where school day `start` begins and the day after `end` begins: the
    half-open capture range [from, to) of those school dates (for the incident list)."""
    first = datetime.combine(start, datetime.min.time(), SCHOOL_ZONE)
    after = datetime.combine(end + timedelta(days=1), datetime.min.time(), SCHOOL_ZONE)
    return first.astimezone(UTC), after.astimezone(UTC)


def easter_sunday(year: int) -> date:
    """Western Easter (the anonymous Gregorian algorithm): the spring term ends near it."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    lw = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * lw) // 451
    month, day = divmod(h + lw - 7 * m + 114, 31)
    return date(year, month, day + 1)


def school_year_of(day: date) -> tuple[date, date]:
    """1 September to 31 August, the English school year holding `day`."""
    first = day.year if day.month >= 9 else day.year - 1
    return date(first, 9, 1), date(first + 1, 8, 31)


def term_of(day: date) -> tuple[str, date, date]:
    """(name, first, last) of the term holding `day`, holidays included: autumn to December,
    spring to Easter Sunday, summer to August. Schools' own dates vary by a week or two; a
    custom range covers the exact ones."""
    if day.month >= 9:
        return "Autumn term", date(day.year, 9, 1), date(day.year, 12, 31)
    easter = easter_sunday(day.year)
    if day <= easter:
        return "Spring term", date(day.year, 1, 1), easter
    return "Summer term", easter + timedelta(days=1), date(day.year, 8, 31)
