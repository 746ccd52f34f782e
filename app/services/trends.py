"""Trend series for the dashboard and the governors' and annual reports (DESIGN §9, §13).

Pure questions: a `TrendQuery` in, frozen series out, counted in SQL over the roll-ups that
ingest and triage keep (db.repositories.rollup_repo), so each answers in milliseconds at a
million incidents. Small numbers (1–4) are suppressed for a reader who may not see incidents
(the headteacher): they come back as `None`, shown as "<5".

Threading: DB reads only; the UI runs these on the DB executor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from app.domain.categories import CATEGORIES, CATEGORY_BY_KEY
from app.domain.enums import IncidentStatus
from app.domain.school_time import day_number, day_of, today
from app.domain.trends import (
    LONGER,
    SUPPRESSED_BELOW,
    Bar,
    Dashboard,
    FalsePositiveRate,
    Granularity,
    HeatMap,
    PhraseCount,
    ReviewTimes,
    Series,
    TimeSeries,
    TrendQuery,
    next_period,
    period_start,
)
from app.errors import ValidationError
from app.security.authorisation import Permission, allowed
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import reference_repo, rollup_repo, trend_repo
from db.repositories.rollup_repo import REVIEW_EDGES_S, SOURCE_CODES

SEVERITY_COLOURS = {1: "#94a3b8", 2: "#0ea5e9", 3: "#eab308", 4: "#f97316", 5: "#b91c1c"}
SOURCE_LABELS = {"typed": "Typed", "screen": "On screen", "window": "Window title"}
YEAR_COLOUR = "#0369a1"
LAST_YEAR_COLOUR = "#64748b"
Hide = Callable[[int], int | None]
MAX_DAYS = 3 * 366
TOP_PHRASES = 10  # a range longer than three school years is refused, not ground through


class _Ask:
    """One query's fixed parts: the day range, statuses and filters in the repo's terms."""

    def __init__(self, db: Any, query: TrendQuery, categories: dict[str, int]) -> None:
        self.db = db
        self.lo, self.hi = day_number(query.start), day_number(query.end)
        self.statuses = sorted(s.value for s in query.counted_statuses())
        self.category_ids = categories
        self.filters: dict[str, list[int]] = {
            "category": sorted(categories[k] for k in query.categories if k in categories),
            "severity": sorted(query.severities), "year_group": sorted(query.year_groups)}
        if query.categories and not self.filters["category"]:
            self.statuses = []  # asked only for categories this school has never seen

    def rows(self, *group_by: str,
             statuses: Iterable[str] | None = None) -> list[tuple[Any, ...]]:
        chosen = self.statuses if statuses is None else sorted(statuses)
        return trend_repo.grouped(self.db, group_by, self.lo, self.hi, chosen, self.filters)


def validate(query: TrendQuery) -> None:
    """Hostile or impossible ranges are refused with a sentence (a reversed or empty range is
    not an error: it is an empty state, see `empty_reason`)."""
    if (query.end - query.start).days > MAX_DAYS:
        raise ValidationError("Choose a range of three school years or less.")
    bad = [k for k in query.categories if k not in CATEGORY_BY_KEY]
    if bad:
        raise ValidationError(f"Unknown category {bad[0]!r}.")
    if any(s not in range(1, 6) for s in query.severities):
        raise ValidationError("Severities run from 1 to 5.")
    if any(y not in range(0, 15) for y in query.year_groups):
        raise ValidationError("Year groups run from Reception (0) to Year 14.")


def empty_reason(query: TrendQuery, today: date, total: int) -> str | None:
    if query.end < query.start:
        return "The range ends before it starts: choose the dates again."
    if query.start > today:
        return "That range is in the future: there is nothing to show yet."
    if total == 0:
        return "No incidents in this range with these filters."
    return None


def dashboard(console: Console, session: UserSession, query: TrendQuery,
              granularity: Granularity | None = None, compare: bool = False,
              suppress: bool = False) -> Dashboard:
    """Every series the dashboard draws, from one read transaction. Small numbers are
    suppressed for readers who may not see incidents, and always when `suppress` (a report
    that leaves the safeguarding team)."""
    session.require(Permission.VIEW_TRENDS)
    validate(query)
    hide = _suppressor(session, suppress)
    granularity = granularity or pick_granularity(query, hide(1) is None)
    with console.reading() as db:
        ask = _Ask(db, query, reference_repo.category_ids(db))
        total = _total(ask)
        comparison = None
        if compare:
            comparison = _last_year(_Ask(db, _year_earlier(query), ask.category_ids), query,
                                    granularity, hide)
        parts = {name: fn(console, ask, query, granularity, hide)
                 for name, fn in SERIES.items()}
        reason = empty_reason(query, today(console.clock()), total)
        return Dashboard(query=query, empty_reason=reason,
                         total=hide(total), suppressed=hide(1) is None,
                         comparison=comparison,
                         **parts)


def series(console: Console, session: UserSession, query: TrendQuery, name: str,
           granularity: Granularity | None = None) -> Any:
    """One of the dashboard's series by its field name (a chart refreshing on its own)."""
    session.require(Permission.VIEW_TRENDS)
    validate(query)
    with console.reading() as db:
        ask = _Ask(db, query, reference_repo.category_ids(db))
        return SERIES[name](console, ask, query, granularity or pick_granularity(query),
                            _suppressor(session))


def pick_granularity(query: TrendQuery, suppressed: bool = False) -> Granularity:
    """Days for a month or so, weeks for a term, months beyond. One step longer for a reader
    who gets small numbers as "<5": a day of one category is nearly always under 5, so a
    headteacher would see a row of "<5" and learn nothing."""
    days = (query.end - query.start).days + 1
    if suppressed:
        days *= 5
    if days <= 45:
        return Granularity.DAY
    return Granularity.WEEK if days <= 200 else Granularity.MONTH


def _suppressor(session: UserSession, always: bool = False) -> Hide:
    """Staff who may read incidents see every number; others see 1–4 as None."""
    if not always and allowed(session.role, Permission.LIST_INCIDENTS):
        return lambda n: n
    return lambda n: None if 0 < n < SUPPRESSED_BELOW else n


def _year_earlier(query: TrendQuery) -> TrendQuery:
    def back(d: date) -> date:
        try:
            return d.replace(year=d.year - 1)
        except ValueError:  # 29 February
            return d - timedelta(days=366)
    return TrendQuery(back(query.start), back(query.end), query.categories, query.severities,
                      query.year_groups, query.statuses, query.include_false_positives)


def _last_year(ask: _Ask, query: TrendQuery, granularity: Granularity,
               hide: Hide) -> Series:
    """Totals of the same dates a year earlier, laid on this range's periods (a week or a
    month of last year sits under the same week or month of this one)."""
    periods = period_starts(query, granularity)
    totals = [0] * len(periods)
    shift = day_number(query.start) - ask.lo
    index = {p: i for i, p in enumerate(periods)}
    for day, n in ask.rows("day"):
        slot = index.get(period_start(day_of(int(day) + shift), granularity))
        if slot is not None:
            totals[slot] += int(n)
    return Series("last_year", "Same dates last year", LAST_YEAR_COLOUR,
                  tuple(hide(v) for v in totals))


def _total(ask: _Ask) -> int:
    rows = ask.rows()
    return int(rows[0][0]) if rows else 0


def period_starts(query: TrendQuery, granularity: Granularity) -> list[date]:
    """The first date of each period overlapping the range (weeks start on Monday)."""
    if query.end < query.start:
        return []
    first = period_start(query.start, granularity)
    out, current = [], first
    while current <= query.end:
        out.append(current)
        current = next_period(current, granularity)
    return out


def _over_time(ask: _Ask, query: TrendQuery, granularity: Granularity, by: str,
               hide: Hide) -> TimeSeries:
    periods = period_starts(query, granularity)
    index = {p: i for i, p in enumerate(periods)}
    counts: dict[int, list[int]] = {}
    for day, key, n in ask.rows("day", by):
        slot = index[period_start(day_of(int(day)), granularity)]
        counts.setdefault(int(key), [0] * len(periods))[slot] += int(n)
    if by == "category":
        names = {i: CATEGORY_BY_KEY[k] for k, i in ask.category_ids.items()
                 if k in CATEGORY_BY_KEY}
        order = [ask.category_ids[c.key] for c in CATEGORIES if c.key in ask.category_ids]
        series = tuple(Series(names[i].key, names[i].name, names[i].colour,
                              tuple(hide(v) for v in counts[i]))
                       for i in order if i in counts)
    else:
        series = tuple(Series(str(s), f"Severity {s}", SEVERITY_COLOURS[s],
                              tuple(hide(v) for v in counts[s]))
                       for s in sorted(counts, reverse=True))
    return TimeSeries(granularity, tuple(periods), series)


def _by_category(ask: _Ask, hide: Hide) -> tuple[Bar, ...]:
    found = {int(k): int(n) for k, n in ask.rows("category")}
    return tuple(Bar(c.key, c.name, c.colour, hide(found[ask.category_ids[c.key]]))
                 for c in CATEGORIES
                 if c.key in ask.category_ids and ask.category_ids[c.key] in found)


def _by_year_group(ask: _Ask, hide: Hide) -> tuple[Bar, ...]:
    found = {int(k): int(n) for k, n in ask.rows("year_group")}
    return tuple(Bar(str(y), f"Year {y}" if y else "Not known", YEAR_COLOUR, hide(found[y]))
                 for y in sorted(found, key=lambda y: (y == 0, y)))


def _by_source(ask: _Ask, hide: Hide) -> tuple[Bar, ...]:
    found = {int(k): int(n) for k, n in ask.rows("source")}
    return tuple(Bar(name, SOURCE_LABELS[name], YEAR_COLOUR, hide(found.get(code, 0)))
                 for name, code in SOURCE_CODES.items() if code in found)


def _heat_map(ask: _Ask, hide: Hide) -> HeatMap:
    cells = [[0] * 24 for _ in range(7)]
    for weekday, hour, n in ask.rows("weekday", "hour"):
        cells[int(weekday)][int(hour)] += int(n)
    return HeatMap(tuple(tuple(hide(v) for v in row) for row in cells))


def _top_phrases(console: Console, ask: _Ask, hide: Hide) -> tuple[PhraseCount, ...]:
    """The library phrases behind most incidents (an incident counts once per phrase)."""
    rows = sorted(((str(p), int(n)) for p, n in ask.rows("phrase")),
                  key=lambda r: (-r[1], r[0]))[:TOP_PHRASES]
    if not rows:
        return ()
    from app.services.library import phrase_texts
    texts = phrase_texts(console, [p for p, _ in rows])
    return tuple(PhraseCount(p, *texts.get(p, (p, "")), hide(n)) for p, n in rows)


def _fp_rates(ask: _Ask, hide: Hide) -> tuple[FalsePositiveRate, ...]:
    """Per category: false positives over everything captured, whatever the status filter."""
    every = [s.value for s in IncidentStatus]
    fp = IncidentStatus.FALSE_POSITIVE.value
    totals: dict[int, int] = {}
    false: dict[int, int] = {}
    for category, status, n in ask.rows("category", "status", statuses=every):
        totals[int(category)] = totals.get(int(category), 0) + int(n)
        if status == fp:
            false[int(category)] = false.get(int(category), 0) + int(n)
    out = []
    for c in CATEGORIES:
        cid = ask.category_ids.get(c.key)
        if cid is None or cid not in totals:
            continue
        t, f = hide(totals[cid]), hide(false.get(cid, 0))
        rate = None if t is None or f is None or not t else f / t
        out.append(FalsePositiveRate(c.key, c.name, f, t, rate))
    return tuple(out)


def _review_times(ask: _Ask, hide: Hide) -> ReviewTimes:
    bands = sorted((int(b), int(n)) for b, n in ask.rows("review"))
    reviewed = sum(n for _, n in bands)
    if hide(reviewed) in (None, 0):
        return ReviewTimes(hide(reviewed), None, None)

    def within(fraction: float) -> int:
        needed, seen = fraction * reviewed, 0
        for band, n in bands:
            seen += n
            if seen >= needed:
                return REVIEW_EDGES_S[band] if band < len(REVIEW_EDGES_S) else LONGER
        return LONGER

    return ReviewTimes(reviewed, within(0.5), within(0.9))


def recount(console: Console, session: UserSession) -> None:
    """Count the roll-ups again from the incidents (a repair; they are kept in step by every
    change, so this should find nothing to fix). Audited."""
    session.require(Permission.VIEW_AUDIT)
    with console.unit_of_work(session.actor) as uow:
        rollup_repo.rebuild(uow.session.connection())
        uow.audit("trends.recount", "trend_counts")


SERIES: dict[str, Callable[[Console, _Ask, TrendQuery, Granularity, Hide], Any]] = {
    "over_time": lambda _c, a, q, g, h: _over_time(a, q, g, "category", h),
    "by_severity": lambda _c, a, q, g, h: _over_time(a, q, g, "severity", h),
    "by_category": lambda _c, a, _q, _g, h: _by_category(a, h),
    "by_year_group": lambda _c, a, _q, _g, h: _by_year_group(a, h),
    "by_source": lambda _c, a, _q, _g, h: _by_source(a, h),
    "heat_map": lambda _c, a, _q, _g, h: _heat_map(a, h),
    "top_phrases": lambda c, a, _q, _g, h: _top_phrases(c, a, h),
    "false_positives": lambda _c, a, _q, _g, h: _fp_rates(a, h),
    "review_times": lambda _c, a, _q, _g, h: _review_times(a, h),
}
