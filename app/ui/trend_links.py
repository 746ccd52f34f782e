"""Plain helpers the trend charts share: how a period is named and where it ends, how a count
is written ("<5" for a suppressed small number), the date labels and hover text of a time
chart, and which incidents a clicked bar stands for.

No Qt here on purpose: these are the rules a reader checks ("is a week Monday to Sunday?",
"does a click on Bullying list Bullying for the whole range?") and they test without a window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from app.domain.dto import IncidentQuery
from app.domain.school_time import today, utc_bounds
from app.domain.trends import Granularity, Series, TimeSeries, TrendQuery, count_text

SUPPRESSED_TEXT = "<5"
MINOR_TICKS_UP_TO = 60  # a tick under every bar, while they are few enough to see
SUPPRESSED_NOTE = "Numbers under 5 show as “<5”, so no pupil can be picked out."


def period_label(start: date, granularity: Granularity) -> str:
    """ "Mon 3 Nov 2026", "Week of 3 Nov 2026" or "November 2026"."""
    if granularity is Granularity.MONTH:
        return f"{start:%B %Y}"
    if granularity is Granularity.WEEK:
        return f"Week of {start.day} {start:%b %Y}"
    return f"{start:%a} {start.day} {start:%b %Y}"


def range_label(start: date, end: date) -> str:
    """ "1 Sep 2026 – 31 Aug 2027" (the year said once when both ends share it)."""
    if start.year == end.year:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


def timestamp(day: date) -> float:
    """Seconds since the epoch at the start of `day`, for a UTC date axis (the dates are
    school dates already; the axis only has to write them back unchanged)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def incidents_for(query: TrendQuery, *, category: str | None = None,
                  year_group: int | None = None, min_severity: int | None = None,
                  period: tuple[date, date] | None = None) -> IncidentQuery:
    """The incident list behind a bar: the dashboard's range (or the bar's period, clipped to
    the range) and filters, narrowed to what was clicked. Every status is listed, false
    positives too, so the list never hides rows the DSL might look for."""
    start, end = period or (query.start, query.end)
    start, end = max(start, query.start), min(end, query.end)
    captured_from, captured_to = utc_bounds(start, end)
    categories = (category,) if category else tuple(sorted(query.categories))
    years = sorted(query.year_groups)
    if year_group is None and len(years) == 1:
        year_group = years[0]
    return IncidentQuery(category_keys=categories, year_group=year_group, min_severity=min_severity,
                         captured_from=captured_from, captured_to=captured_to)


def describe_link(query: IncidentQuery, label: str) -> str:
    """The status-bar sentence that says what the list now shows, and where it came from."""
    if query.captured_from is None or query.captured_to is None:
        return f"Showing {label} from Trends"
    first = query.captured_from.astimezone(UTC)
    last = (query.captured_to - timedelta(seconds=1)).astimezone(UTC)
    days = range_label(today(first), today(last))
    return (f"Showing {label}, captured {days} (from Trends; every status). "
            "\"When\" in the filter bar keeps those dates until you change it.")



def date_ticks(starts: Sequence[date], granularity: Granularity, centres: Sequence[float],
               room: int = 12) -> list[list[tuple[float, str]]]:
    """Labels under the bars' centres (a month's bar says "Oct", not the edge between two
    months), thinned to `room` labels; the year is written only on a range of more than a
    year (the screen's summary line says the dates), first and where it changes. Minor ticks
    mark every bar while there are few enough to see."""
    step = max(1, math.ceil(len(starts) / room))
    weekdays = granularity is Granularity.DAY and len(starts) <= 8  # one week: "Mon 7"
    years = len(starts) > 1 and (starts[-1] - starts[0]).days > 366
    major, year = [], None
    for i in range(0, len(starts), step):
        day = starts[i]
        if granularity is Granularity.MONTH:
            text = f"{day:%b}"
        else:
            text = f"{day:%a} {day.day}" if weekdays else f"{day.day} {day:%b}"
        if years and day.year != year:
            text = f"{text} {day.year}"
        year = day.year
        major.append((float(centres[i]), text))
    minor = [(float(c), "") for c in centres] if len(centres) <= MINOR_TICKS_UP_TO else []
    return [major, minor]


def describe_period(data: TimeSeries, i: int, hidden: set[str], comparison: Series | None,
                    pointed: str | None) -> str:
    """The tooltip for one period of a stacked chart: each shown series with a count (the
    pointed one in bold), the known total, and last year's figure when it is drawn."""
    lines = [f"<b>{period_label(data.periods[i], data.granularity)}</b>"]
    shown = [s for s in data.series if s.key not in hidden]
    for series in reversed(shown):  # top of the stack first, as drawn
        value = series.values[i]
        if value != 0:
            text = f"{series.label}: {count_text(value)}"
            lines.append(f"<b>{text}</b>" if series.key == pointed else text)
    lines.append(_total_line([s.values[i] for s in shown]))
    if comparison is not None:
        lines.append(f"{comparison.label}: {count_text(comparison.values[i])}")
    return "<br>".join(lines)


def _total_line(values: Sequence[int | None]) -> str:
    known = sum(v for v in values if v)
    small = sum(1 for v in values if v is None)
    if not small:
        return f"Total: {known:,}"
    return f"Total: {known:,} and {small} more under 5"
