"""trends: each dashboard series over one school year, through the service (roll-ups), against
the raw GROUP BY over the incidents that answers the same question, in the same run; then the
whole dashboard. 50,000 incidents at small scale, 1,000,000 at full (DESIGN §13: ≤ 100 ms a
query, ≤ 1 s the dashboard)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from app.domain.school_time import day_number, today
from app.domain.trends import Granularity, TrendQuery
from app.services import trends, users
from tests.perf.bench_seed import cached_install
from tests.perf.common import Figure, median_ms

SIZES = {"small": 50_000, "full": 1_000_000}
_NOT_FP = "status <> 'false_positive' AND local_day BETWEEN :lo AND :hi"
# The raw question each series asks, over the incidents themselves:
RAW = {
    "over_time": f"SELECT local_day, category_id, COUNT(*) FROM incidents WHERE {_NOT_FP} "
                 "GROUP BY local_day, category_id",
    "by_severity": f"SELECT local_day, severity, COUNT(*) FROM incidents WHERE {_NOT_FP} "
                   "GROUP BY local_day, severity",
    "by_category": f"SELECT category_id, COUNT(*) FROM incidents WHERE {_NOT_FP} "
                   "GROUP BY category_id",
    "by_year_group": f"SELECT s.year_group, COUNT(*) FROM incidents i LEFT JOIN subjects s "
                     f"ON s.id = i.subject_id WHERE i.{_NOT_FP} GROUP BY s.year_group",
    "by_source": f"SELECT source, COUNT(*) FROM incidents WHERE {_NOT_FP} GROUP BY source",
    "heat_map": f"SELECT (local_day + 3) % 7, local_hour, COUNT(*) FROM incidents "
                f"WHERE {_NOT_FP} GROUP BY 1, 2",
    "top_phrases": "SELECT m.phrase_key, COUNT(DISTINCT i.id) FROM incidents i JOIN matches m "
                   "ON m.incident_id = i.id WHERE i.status <> 'false_positive' AND "
                   "i.local_day BETWEEN :lo AND :hi GROUP BY m.phrase_key "
                   "ORDER BY 2 DESC LIMIT 10",
    "false_positives": "SELECT category_id, status, COUNT(*) FROM incidents "
                       "WHERE local_day BETWEEN :lo AND :hi GROUP BY category_id, status",
    "review_times": f"SELECT review_delay_s FROM incidents WHERE {_NOT_FP} "
                    "AND review_delay_s IS NOT NULL ORDER BY review_delay_s",
}


def _database(count: int):  # type: ignore[no-untyped-def]
    """A school year of incidents (kept in perf-results/ between runs)."""
    return cached_install("trends", count, seed=12, days=365)


def run(scale: str) -> list[Figure]:
    """Trend queries over a school year: each series and the dashboard vs raw GROUP BY."""
    count = SIZES[scale]
    console = _database(count)
    try:
        dsl = users.login(console, "dsl", "benchmark password")
        end = today(console.clock())
        query = TrendQuery(end - timedelta(days=364), end)
        params = {"lo": day_number(query.start), "hi": day_number(query.end)}
        figures = []
        with console.engine.connect() as conn:
            for name, sql in RAW.items():
                raw = median_ms(lambda s=sql: conn.execute(text(s), params).all(), repeats=3,
                                warmup=1)
                ms = median_ms(lambda n=name: trends.series(console, dsl, query, n,
                                                            Granularity.WEEK), repeats=7)
                figures.append(Figure(f"trend_{name}@{count}", ms, "ms", "≤ 100 ms",
                                      "raw GROUP BY over incidents", raw))
        whole = median_ms(lambda: trends.dashboard(console, dsl, query, Granularity.WEEK,
                                                   compare=True), repeats=5)
        raw_total = sum(f.baseline_value or 0 for f in figures)
        figures.append(Figure(f"trend_dashboard_refresh@{count}", whole, "ms", "≤ 1000 ms",
                              "every raw GROUP BY", raw_total))
        # The dashboard's own filters ("is self-harm rising in Year 9?") stay in the roll-ups:
        year9 = TrendQuery(query.start, query.end, year_groups=frozenset({9}),
                           categories=frozenset({"self_harm"}))
        ms = median_ms(lambda: trends.dashboard(console, dsl, year9, Granularity.WEEK),
                       repeats=5)
        figures.append(Figure(f"trend_dashboard_year9_self_harm@{count}", ms, "ms",
                              "≤ 1000 ms", "every raw GROUP BY", raw_total))
        # A severity filter (not on the dashboard; the service allows it) crosses the narrow
        # kinds: the heat map and top phrases then count the incidents themselves.
        severe = TrendQuery(query.start, query.end, severities=frozenset({4, 5}))
        ms = median_ms(lambda: trends.dashboard(console, dsl, severe, Granularity.WEEK),
                       repeats=3)
        figures.append(Figure(f"trend_dashboard_severity_filter@{count}", ms, "ms",
                              "none (falls back to the daily roll-up and the incidents)",
                              "every raw GROUP BY", raw_total))
        return figures
    finally:
        console.close()
