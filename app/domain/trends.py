"""Trend questions and answers, as frozen data: what the headteacher's dashboard, the governors'
report and the annual review pack draw.

A value of `None` in any count is a **suppressed** small number (1–4), shown as "<5": the
headteacher sees patterns, never a count small enough to point at one pupil (DESIGN §9). Zero
stays zero. The DSL and deputies see every number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from app.domain.enums import IncidentStatus

SUPPRESSED_BELOW = 5
LONGER = 10**9  # a review time beyond the longest band the roll-up keeps (30 days)


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class TrendQuery:
    """Which incidents count: captured from `start` to `end` inclusive (school dates). Empty
    sets mean "all". False positives are left out unless asked for; `statuses`, when given,
    is the exact set counted."""

    start: date
    end: date
    categories: frozenset[str] = frozenset()
    severities: frozenset[int] = frozenset()
    year_groups: frozenset[int] = frozenset()  # 0: year group not known
    statuses: frozenset[IncidentStatus] = frozenset()
    include_false_positives: bool = False

    def counted_statuses(self) -> frozenset[IncidentStatus]:
        chosen = self.statuses or frozenset(IncidentStatus)
        if not self.include_false_positives and not self.statuses:
            chosen = chosen - {IncidentStatus.FALSE_POSITIVE}
        return chosen


@dataclass(frozen=True)
class Series:
    """One line or stack of counts, one value per period (`None`: suppressed)."""

    key: str
    label: str
    colour: str
    values: tuple[int | None, ...]


@dataclass(frozen=True)
class TimeSeries:
    granularity: Granularity
    periods: tuple[date, ...]  # the first school date of each period
    series: tuple[Series, ...]


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    colour: str
    value: int | None


@dataclass(frozen=True)
class HeatMap:
    """Counts by weekday (0 = Monday) × hour of the school day's clock (0–23)."""

    cells: tuple[tuple[int | None, ...], ...]


@dataclass(frozen=True)
class PhraseCount:
    phrase_key: str
    phrase: str
    category_key: str
    incidents: int | None


@dataclass(frozen=True)
class FalsePositiveRate:
    category_key: str
    label: str
    false_positives: int | None
    total: int | None
    rate: float | None  # None when there is nothing to divide, or the counts are suppressed


@dataclass(frozen=True)
class ReviewTimes:
    """Time from arrival to the first look or triage, as "within" figures: a median of 2 h
    means half were first reviewed within 2 hours (the roll-up keeps time bands, not seconds).
    `None`: nothing reviewed, or fewer than 5 for a suppressed reader; `LONGER`: beyond the
    longest band."""

    reviewed: int | None
    median_within_s: int | None
    p90_within_s: int | None


@dataclass(frozen=True)
class Dashboard:
    query: TrendQuery
    empty_reason: str | None  # a sentence for the empty state, or None when there is data
    total: int | None
    suppressed: bool
    over_time: TimeSeries
    by_severity: TimeSeries
    by_category: tuple[Bar, ...]
    by_year_group: tuple[Bar, ...]
    by_source: tuple[Bar, ...]
    heat_map: HeatMap
    top_phrases: tuple[PhraseCount, ...]
    false_positives: tuple[FalsePositiveRate, ...]
    review_times: ReviewTimes
    comparison: Series | None = None  # totals of the same dates a year earlier, when asked
    notes: tuple[str, ...] = field(default=())


def count_text(value: int | None) -> str:
    """A count as people read it: "1,204", "0", or "<5" when it is suppressed."""
    return f"<{SUPPRESSED_BELOW}" if value is None else f"{value:,}"


def period_start(day: date, granularity: Granularity) -> date:
    """The first date of the period holding `day` (weeks start on Monday)."""
    if granularity is Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity is Granularity.MONTH:
        return day.replace(day=1)
    return day


def next_period(start: date, granularity: Granularity) -> date:
    """The first date of the period after the one starting at `start`."""
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7)
    if granularity is Granularity.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def within_label(seconds: int | None) -> str:
    """"within 2 hours", "more than 30 days", or "—"."""
    if seconds is None:
        return "—"
    if seconds >= LONGER:
        return "more than 30 days"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if (seconds >= size and seconds % size == 0) or unit == "minute":
            count = seconds / size
            text = f"{count:g}"
            return f"within {text} {unit}{'' if count == 1 else 's'}"
    return "—"
