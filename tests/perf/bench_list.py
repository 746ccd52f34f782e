"""list: a filtered, sorted page of 200 through the service at 100,000 (and, at full scale,
1,000,000) incidents, against a raw keyset query on the same database."""

from __future__ import annotations

from sqlalchemy import text

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.paths import REPO_ROOT
from app.services import incidents, users
from tests.perf.bench_seed import cached_install
from tests.perf.common import Figure, median_ms

CACHE = REPO_ROOT / "perf-results"
SIZES = {"small": (20_000,), "full": (100_000, 1_000_000)}
QUERIES = {
    "newest": IncidentQuery(),
    "open_queue": IncidentQuery(statuses=(IncidentStatus.NEW, IncidentStatus.REVIEWING)),
    "category_by_severity": IncidentQuery(category_keys=("bullying",), sort="severity"),
    "high_severity_oldest": IncidentQuery(min_severity=4, sort="oldest"),
    "year_9": IncidentQuery(year_group=9),
    "open_queue_by_severity": IncidentQuery(
        statuses=(IncidentStatus.NEW, IncidentStatus.REVIEWING), sort="severity"),
    "closed_newest": IncidentQuery(statuses=(IncidentStatus.CLOSED,)),
    "rare_category": IncidentQuery(category_keys=("csam",)),
    "two_categories_open_by_severity": IncidentQuery(
        statuses=(IncidentStatus.NEW,), category_keys=("self_harm", "suicide"), sort="severity"),
}


def _database(count: int):  # type: ignore[no-untyped-def]
    return cached_install("list", count, seed=11)


def run(scale: str) -> list[Figure]:
    """Incident list page of 200, any filter, through the service vs raw keyset SQL."""
    return [figure for count in SIZES[scale] for figure in _bench(count)]


def _bench(count: int) -> list[Figure]:
    console = _database(count)
    try:
        dsl = users.login(console, "dsl", "benchmark password")
        with console.engine.connect() as conn:
            raw = median_ms(lambda: conn.execute(text(
                "SELECT id, captured_at, severity, status FROM incidents "
                "ORDER BY captured_at DESC, id DESC LIMIT 200")).all())
        figures = []
        for name, query in QUERIES.items():
            ms = median_ms(lambda q=query: incidents.list_incidents(console, dsl, q))
            figures.append(Figure(f"list_page_{name}@{count}", ms, "ms", "≤ 50 ms",
                                  "raw keyset SQL", raw))
        text_query = IncidentQuery(text="cutting")
        ms = median_ms(lambda: incidents.list_incidents(console, dsl, text_query), repeats=5)
        figures.append(Figure(f"list_page_text_search@{count}", ms, "ms",
                              "≤ 150 ms (full-text, DESIGN §13)", "raw keyset SQL", raw))
        deep = _deep_cursor(console, dsl)
        ms = median_ms(lambda: incidents.list_incidents(console, dsl, IncidentQuery(), deep))
        figures.append(Figure(f"list_page_deep_page_50@{count}", ms, "ms", "≤ 50 ms",
                              "raw keyset SQL", raw))
        worst = max(f.value for f in figures if "text_search" not in f.name)
        figures.append(Figure(f"list_page_worst_filter@{count}", worst, "ms", "≤ 50 ms",
                              "raw keyset SQL", raw))
        return figures
    finally:
        console.close()


def _deep_cursor(console, dsl):  # type: ignore[no-untyped-def]
    cursor = None
    for _ in range(50):
        cursor = incidents.list_incidents(console, dsl, IncidentQuery(), cursor).next_cursor
    return cursor


