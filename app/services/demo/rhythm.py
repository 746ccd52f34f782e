"""When incidents happen in the demo school: the rhythm of an English school year.

Incidents cluster in lessons and at lunch (08:30-15:30 London time, Monday to Friday, in term),
tail off into the evening on devices taken home, and fall to a trickle at weekends and in the
school holidays. `incident_times` turns that into timestamps fast enough for the 1,000,000-row
seed: one weight per half-hour slot over the range, one `rng.choices` call for all the slots,
a uniform offset inside each slot, one sort.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate, repeat
from zoneinfo import ZoneInfo

from app.domain.school_time import easter_sunday

LONDON = ZoneInfo("Europe/London")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SLOT_US = 30 * 60 * 1_000_000  # London's offset is whole hours, so slots align with local time
_US = timedelta(microseconds=1)


def _profile(*spans: tuple[float, float, float]) -> tuple[float, ...]:
    """48 half-hour weights from (from_hour, to_hour, weight) spans."""
    weights = [0.0] * 48
    for lo, hi, w in spans:
        for i in range(int(lo * 2), int(hi * 2)):
            weights[i] = w
    return tuple(weights)


# fmt: off
# A term-time weekday: lessons and lunch dominate; ~15 % of the day's incidents fall outside.
TERM_DAY = _profile(
    (0, 6, 0.03), (6, 7.5, 0.15), (7.5, 8.5, 0.8), (8.5, 12, 10.0), (12, 13, 12.0),
    (13, 15.5, 10.0), (15.5, 17, 2.5), (17, 21, 1.6), (21, 22, 0.9), (22, 24, 0.3),
)
# A weekend or holiday day on a device at home: about a seventh of a school day, spread out.
HOME_DAY = _profile(
    (0, 1, 0.3), (1, 7, 0.03), (7, 9, 0.2), (9, 12, 0.6), (12, 21, 0.9), (21, 22, 0.7),
    (22, 24, 0.4),
)
# fmt: on
HOLIDAY_FACTOR = 0.6  # fewer school devices go home over the holidays than at weekends


def incident_times(
    rng: random.Random, count: int, start: datetime, end: datetime
) -> list[datetime]:
    """`count` incident times in [start, end), ascending, as timezone-aware UTC datetimes.

    The density follows `TERM_DAY` on term-time weekdays and `HOME_DAY` at weekends and
    (scaled by `HOLIDAY_FACTOR`) in `is_school_holiday` periods, all in Europe/London local
    time, so British Summer Time is handled. `start` and `end` must be timezone-aware. The
    result depends only on `rng`'s state and the arguments.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if count < 0:
        raise ValueError("count must not be negative")
    if count == 0:
        return []
    start_us, end_us = (start - _EPOCH) // _US, (end - _EPOCH) // _US
    if end_us <= start_us:
        raise ValueError("end must be after start")
    bases, lengths, cum = _slot_table(start_us, end_us)
    if not cum or cum[-1] <= 0:
        raise ValueError("the range has no time in which incidents can happen")
    picks = rng.choices(range(len(bases)), cum_weights=cum, k=count)
    per_slot = [0] * len(bases)
    for i in picks:
        per_slot[i] += 1
    rand, stamps = rng.random, []
    for base, length, n in zip(bases, lengths, per_slot, strict=True):
        if n:  # sorting each slot's few stamps beats one sort of the whole list
            stamps.extend(sorted([base + int(rand() * length) for _ in repeat(None, n)]))
    # int(u * length) can round up to the slot's end; only the final slot's end is outside.
    for i in range(len(stamps) - 1, -1, -1):
        if stamps[i] < end_us:
            break
        stamps[i] = end_us - 1
    # Exact (before the year 2242): the float nearest to us / 1e6 is within 0.5 µs of it, and
    # fromtimestamp rounds to the microsecond. Several times faster than adding timedeltas.
    return list(map(datetime.fromtimestamp, map((1e6).__rtruediv__, stamps), repeat(UTC)))


def _slot_table(start_us: int, end_us: int) -> tuple[list[int], list[int], list[float]]:
    """Start, length (µs) and cumulative weight of each half-hour slot overlapping the range."""
    bases: list[int] = []
    lengths: list[int] = []
    weights: list[float] = []
    slot = start_us - start_us % _SLOT_US
    while slot < end_us:
        lo, hi = max(slot, start_us), min(slot + _SLOT_US, end_us)
        local = (_EPOCH + timedelta(microseconds=slot)).astimezone(LONDON)
        bases.append(lo)
        lengths.append(hi - lo)
        weights.append(slot_weight(local) * (hi - lo) / _SLOT_US)
        slot += _SLOT_US
    return bases, lengths, list(accumulate(weights))


def slot_weight(local: datetime) -> float:
    """Relative incident density of the half hour starting at `local` (London time)."""
    index = local.hour * 2 + local.minute // 30
    day = local.date()
    if is_school_holiday(day):
        return HOME_DAY[index] * HOLIDAY_FACTOR
    if day.weekday() >= 5:
        return HOME_DAY[index]
    return TERM_DAY[index]


def is_school_holiday(day: date) -> bool:
    """Whether `day` falls in an approximate English state-school holiday or bank holiday.

    Dates vary by local authority; these are typical: Christmas (20 Dec - 3 Jan), February
    half term (the week from the Monday on or after 13 Feb), Easter (the fortnight around
    Easter Sunday), the early-May bank holiday, May half term (last week of May), summer
    (22 Jul - 3 Sep) and October half term (the week from the last Monday of October).
    """
    return day.toordinal() in _holidays(day.year)


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[int]:
    """Ordinals of every holiday day in calendar `year` (see `is_school_holiday`)."""

    def span(first: date, last: date) -> range:
        """Ordinals of first..last inclusive."""
        return range(first.toordinal(), last.toordinal() + 1)

    easter = easter_sunday(year)
    feb = _weekday_on_or_after(date(year, 2, 13), 0)
    may_bank = _weekday_on_or_after(date(year, 5, 1), 0)
    may_half = _weekday_on_or_after(date(year, 5, 25), 0)
    october = _weekday_on_or_after(date(year, 10, 25), 0)
    days: set[int] = set()
    for days_range in (
        span(date(year, 1, 1), date(year, 1, 3)),
        span(feb, feb + timedelta(days=4)),
        span(easter - timedelta(days=8), easter + timedelta(days=7)),
        span(may_bank, may_bank),
        span(may_half, may_half + timedelta(days=4)),
        span(date(year, 7, 22), date(year, 9, 3)),
        span(october, october + timedelta(days=4)),
        span(date(year, 12, 20), date(year, 12, 31)),
    ):
        days.update(days_range)
    return frozenset(days)


def _weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)
