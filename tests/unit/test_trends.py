"""Trend series on a real install, each checked against an independent count: the incidents
read back with plain SQL and counted here in Python, with school time worked out afresh from
the stored UTC capture time — so a roll-up that drifted, or a day cut at UTC midnight instead
of UK midnight, fails.

Incidents are placed on purpose across the week and month edges and across the October clock
change (a Sunday 23:30 UTC in summer is Monday 00:30 in school)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain.dto import Actor
from app.domain.enums import IncidentStatus, Role
from app.domain.trends import Granularity, TrendQuery
from app.errors import PermissionDeniedError, ValidationError
from app.services import demo_devices, incident_view, trends, triage, users
from app.services.ingest import ingest_batch
from app.services.seed import seed_reference
from db.repositories import reference_repo, rollup_repo, trend_repo
from tests.conftest import DSL_PASSWORD

LONDON = ZoneInfo("Europe/London")
EDGES = (
    datetime(2026, 10, 4, 23, 30, tzinfo=UTC),   # Sun in UTC, Mon 00:30 BST: next week
    datetime(2026, 8, 31, 23, 30, tzinfo=UTC),   # 31 Aug UTC, 1 Sep BST: next month
    datetime(2026, 11, 1, 0, 30, tzinfo=UTC),    # after the change: Sunday 00:30 GMT
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),   # the change night: 01:30 BST, same day
    datetime(2026, 11, 30, 23, 59, tzinfo=UTC),  # last minute of November in GMT
    datetime(2026, 9, 6, 22, 59, tzinfo=UTC),    # Sun 23:59 BST: still that week
)
HEAD_PASSWORD = "head teacher pass 2026"


@pytest.fixture
def school(install):  # type: ignore[no-untyped-def]
    """~300 incidents from August to early December, with the edge times above."""
    seed_reference(install, 7, pupils=40, devices=4)
    with install.reading() as db:
        logins = tuple(sorted(reference_repo.subject_ids(db)))
    now = install.clock()
    plan = demo_devices.SealPlan(7, install.settings.install_id,
                                 install.keys.evidence_public_key.public_bytes_raw(),
                                 logins, 4, now)
    demo_devices.init_worker(plan)
    rng = random.Random(7)
    start = datetime(2026, 8, 20, tzinfo=UTC)
    span = (min(now, datetime(2026, 12, 6, tzinfo=UTC)) - start).total_seconds()
    last_year = [t.replace(year=2025) for t in EDGES]  # for "same dates last year"
    times = sorted([start + timedelta(seconds=rng.uniform(0, span)) for _ in range(300)]
                   + [*EDGES] * 3 + last_year * 2)
    for n in range(0, len(times), 100):
        chunk = demo_devices.Chunk(n // 100, n, tuple(times[n:n + 100]), frozenset())
        results = ingest_batch(install, Actor.system("test"), demo_devices.build_chunk(chunk))
        assert all(r.result == "stored" for r in results)
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    users.create_user(install, dsl, "head", "Hana Head", Role.HEAD, HEAD_PASSWORD)
    return install, dsl


def _incidents(console) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Every incident as plain SQL sees it (year group from the pupil, who has not moved)."""
    with console.reading() as db:
        rows = db.connection().exec_driver_sql(
            "SELECT i.id, i.captured_at, c.key, i.severity, s.year_group, i.status, i.source, "
            "i.review_delay_s FROM incidents i JOIN categories c ON c.id = i.category_id "
            "LEFT JOIN subjects s ON s.id = i.subject_id").all()
    out = []
    for id_, micros, key, severity, year, status, source, delay in rows:
        local = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)) \
            .astimezone(LONDON)
        out.append({"id": id_, "date": local.date(), "hour": local.hour, "category": key,
                    "severity": severity, "year": year or 0, "status": status,
                    "source": source, "delay": delay})
    return out


def _counted(rows, query: TrendQuery):  # type: ignore[no-untyped-def]
    statuses = {s.value for s in query.counted_statuses()}
    return [r for r in rows if query.start <= r["date"] <= query.end
            and r["status"] in statuses
            and (not query.categories or r["category"] in query.categories)
            and (not query.severities or r["severity"] in query.severities)
            and (not query.year_groups or r["year"] in query.year_groups)]


def _week(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _check_dashboard(console, session, query: TrendQuery) -> None:  # type: ignore[no-untyped-def]
    rows = _counted(_incidents(console), query)
    for granularity, period in ((Granularity.DAY, lambda d: d), (Granularity.WEEK, _week),
                                (Granularity.MONTH, lambda d: d.replace(day=1))):
        board = trends.dashboard(console, session, query, granularity)
        assert board.total == len(rows)
        expected = Counter((r["category"], period(r["date"])) for r in rows)
        got = Counter({(s.key, p): v for s in board.over_time.series
                       for p, v in zip(board.over_time.periods, s.values, strict=True) if v})
        assert got == expected, granularity
        by_sev = Counter({(int(s.key), p): v for s in board.by_severity.series
                          for p, v in zip(board.by_severity.periods, s.values, strict=True)
                          if v})
        assert by_sev == Counter((r["severity"], period(r["date"])) for r in rows)
    assert {b.key: b.value for b in board.by_category} == Counter(r["category"] for r in rows)
    assert {int(b.key): b.value for b in board.by_year_group} == Counter(r["year"] for r in rows)
    assert {b.key: b.value for b in board.by_source} == Counter(r["source"] for r in rows)
    heat = Counter({(d, h): v for d, row in enumerate(board.heat_map.cells)
                    for h, v in enumerate(row) if v})
    assert heat == Counter((r["date"].weekday(), r["hour"]) for r in rows)


def test_the_roll_ups_have_a_count_column_for_every_triage_status() -> None:
    assert list(rollup_repo.STATUS_COLUMNS) == [s.value for s in IncidentStatus]


def test_every_series_matches_an_independent_count_at_day_week_and_month(school) -> None:  # type: ignore[no-untyped-def]
    console, dsl = school
    _check_dashboard(console, dsl, TrendQuery(date(2026, 8, 1), date(2026, 12, 31)))
    # One week and one month cut exactly at the edges the fixture placed incidents on:
    _check_dashboard(console, dsl, TrendQuery(date(2026, 10, 5), date(2026, 10, 11)))
    _check_dashboard(console, dsl, TrendQuery(date(2026, 9, 1), date(2026, 11, 30),
                                              include_false_positives=True))
    # Whole months from the monthly roll-ups, the part-months at each end from the daily ones:
    _check_dashboard(console, dsl, TrendQuery(date(2026, 8, 20), date(2026, 11, 15)))


def test_filters_that_cross_the_narrow_roll_ups_still_count_right(school) -> None:  # type: ignore[no-untyped-def]
    console, dsl = school
    rows = _incidents(console)
    year = Counter(r["year"] for r in rows).most_common(1)[0][0]
    category = Counter(r["category"] for r in rows).most_common(1)[0][0]
    severity = Counter(r["severity"] for r in rows).most_common(1)[0][0]
    # A year group stays in the narrow roll-ups; these reach past them, to the wide daily
    # one and to the incidents themselves:
    assert trend_repo.source_for(("weekday", "hour"), ("year_group", "category")) == "h"
    assert trend_repo.source_for(("day", "source"), ("severity",)) == "daily"
    assert trend_repo.source_for(("weekday", "hour"), ("severity",)) == "raw"
    for query in (
            TrendQuery(date(2026, 8, 1), date(2026, 12, 31), year_groups=frozenset({year})),
            TrendQuery(date(2026, 8, 1), date(2026, 12, 31), severities=frozenset({severity}),
                       categories=frozenset({category})),
            TrendQuery(date(2026, 8, 1), date(2026, 12, 31),
                       statuses=frozenset({IncidentStatus.ACTIONED}),
                       year_groups=frozenset({year}), severities=frozenset({severity}))):
        _check_dashboard(console, dsl, query)


def test_false_positive_rates_and_top_phrases_match_plain_sql(school) -> None:  # type: ignore[no-untyped-def]
    console, dsl = school
    query = TrendQuery(date(2026, 8, 1), date(2026, 12, 31))
    board = trends.dashboard(console, dsl, query)
    every = [r for r in _incidents(console) if query.start <= r["date"] <= query.end]
    totals = Counter(r["category"] for r in every)
    false = Counter(r["category"] for r in every if r["status"] == "false_positive")
    for rate in board.false_positives:
        assert (rate.total, rate.false_positives) == (totals[rate.category_key],
                                                      false[rate.category_key])
        assert rate.rate == pytest.approx(false[rate.category_key] / totals[rate.category_key])
    with console.reading() as db:
        pairs = db.connection().exec_driver_sql(
            "SELECT DISTINCT incident_id, phrase_key FROM matches "
            "WHERE phrase_key IS NOT NULL").all()
    # Whole months (the monthly roll-up), and part-months at both ends (the daily one too):
    for asked in (query, TrendQuery(date(2026, 8, 20), date(2026, 11, 15)),
                  TrendQuery(date(2026, 10, 3), date(2026, 10, 20))):
        board = trends.dashboard(console, dsl, asked)
        counted = {r["id"] for r in _counted(_incidents(console), asked)}
        phrases = Counter(p for i, p in pairs if i in counted)
        assert board.top_phrases, "the seeded school has library matches"
        for top in board.top_phrases:
            assert top.incidents == phrases[top.phrase_key]
            assert top.phrase and top.phrase != top.phrase_key  # the library's words
        assert [t.incidents for t in board.top_phrases] == sorted(phrases.values(),
                                                                   reverse=True)[:10]


def test_the_headteacher_sees_small_numbers_as_suppressed_and_the_dsl_sees_them(school) -> None:  # type: ignore[no-untyped-def]
    console, dsl = school
    head = users.login(console, "head", HEAD_PASSWORD)
    query = TrendQuery(date(2026, 8, 1), date(2026, 12, 31))
    mine = trends.dashboard(console, dsl, query, Granularity.WEEK)
    theirs = trends.dashboard(console, head, query, Granularity.WEEK)
    assert not mine.suppressed and theirs.suppressed
    small = 0
    for a, b in zip(mine.over_time.series, theirs.over_time.series, strict=True):
        for full, shown in zip(a.values, b.values, strict=True):
            if full is not None and 1 <= full <= 4:
                small += 1
                assert shown is None
            else:
                assert shown == full  # 0 stays 0, 5 and over are exact
    assert small, "the fixture should produce some small weekly counts"
    for a, b in zip(mine.by_year_group, theirs.by_year_group, strict=True):
        assert b.value == (None if 1 <= (a.value or 0) <= 4 else a.value)
    with pytest.raises(PermissionDeniedError):
        incident_view.view_incident(console, head, 1)
    # Left to choose, the headteacher's bars are a step longer (a day of one category is
    # nearly always "<5"): a month by week, a term by month.
    month = TrendQuery(date(2026, 10, 1), date(2026, 10, 31))
    assert trends.dashboard(console, dsl, month).over_time.granularity is Granularity.DAY
    assert trends.dashboard(console, head, month).over_time.granularity is Granularity.WEEK


def test_roll_ups_follow_triage_views_and_cases_and_equal_a_recount(school) -> None:  # type: ignore[no-untyped-def]
    console, dsl = school
    from app.services import cases

    ids = [r["id"] for r in _incidents(console)][:30]
    triage.set_status(console, dsl, ids[:10], IncidentStatus.FALSE_POSITIVE)
    triage.regrade(console, dsl, ids[5:15], 5)
    console.clock = lambda: datetime.now(UTC) + timedelta(hours=3)  # reviewed later
    for incident_id in ids[15:25]:
        incident_view.view_incident(console, dsl, incident_id)
    with console.reading() as db:
        subject = db.connection().exec_driver_sql(
            "SELECT subject_id FROM incidents WHERE id = ?", (ids[26],)).scalar()
        same = [i for (i,) in db.connection().exec_driver_sql(
            "SELECT id FROM incidents WHERE subject_id = ? LIMIT 3", (subject,)).all()]
    cases.open_case(console, dsl, same, "Pattern of concern.")
    _check_dashboard(console, dsl, TrendQuery(date(2026, 8, 1), date(2026, 12, 31),
                                              include_false_positives=True))
    before = _roll_ups(console)
    trends.recount(console, dsl)
    assert _roll_ups(console) == before


def test_review_times_are_within_the_band_of_the_true_median(school) -> None:  # type: ignore[no-untyped-def]
    console, dsl = school
    waiting = [r for r in _incidents(console) if r["delay"] is None]
    assert len(waiting) >= 5, "the seeded queue has unreviewed incidents"
    real = datetime.now(UTC)
    for n, r in enumerate(waiting[:5]):  # looked at now, 20 minutes apart
        console.clock = lambda n=n: real + timedelta(minutes=20 * n)
        incident_view.view_incident(console, dsl, r["id"])
    query = TrendQuery(date(2026, 8, 1), date(2026, 12, 31), include_false_positives=True)
    times = trends.dashboard(console, dsl, query).review_times
    delays = sorted(r["delay"] for r in _counted(_incidents(console), query)
                    if r["delay"] is not None)
    assert times.reviewed == len(delays)
    assert {r["id"] for r in waiting[:5]} <= {r["id"] for r in _incidents(console)
                                                if r["delay"] is not None}
    true_median = delays[(len(delays) - 1) // 2]
    true_p90 = delays[int(0.9 * len(delays)) - 1]
    edges = (0, *rollup_repo.REVIEW_EDGES_S)
    for within, true in ((times.median_within_s, true_median), (times.p90_within_s, true_p90)):
        assert within is not None
        band = edges.index(within)
        assert edges[band - 1] <= true <= within


def test_the_same_dates_last_year_lie_under_this_years_periods(school) -> None:  # type: ignore[no-untyped-def]
    console, dsl = school
    query = TrendQuery(date(2026, 8, 1), date(2026, 12, 31), include_false_positives=True)
    board = trends.dashboard(console, dsl, query, Granularity.MONTH, compare=True)
    assert board.comparison is not None
    assert len(board.comparison.values) == len(board.over_time.periods) == 5
    earlier = [r for r in _incidents(console) if date(2025, 8, 1) <= r["date"]
               <= date(2025, 12, 31)]
    assert sum(v or 0 for v in board.comparison.values) == len(earlier) == 12
    by_month = Counter(r["date"].month for r in earlier)
    assert dict(zip((p.month for p in board.over_time.periods), board.comparison.values,
                    strict=True)) == {m: by_month.get(m, 0) for m in (8, 9, 10, 11, 12)}


def test_empty_inverted_and_future_ranges_say_so_and_bad_filters_are_refused(install) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    today = install.clock().date()
    empty = trends.dashboard(install, dsl, TrendQuery(today - timedelta(days=30), today))
    assert empty.total == 0 and "No incidents" in (empty.empty_reason or "")
    assert empty.over_time.series == () and len(empty.over_time.periods) == 31
    inverted = trends.dashboard(install, dsl, TrendQuery(today, today - timedelta(days=3)))
    assert "ends before it starts" in (inverted.empty_reason or "")
    future = trends.dashboard(install, dsl, TrendQuery(today + timedelta(days=10),
                                                       today + timedelta(days=20)))
    assert "future" in (future.empty_reason or "")
    for bad in (TrendQuery(today, today, categories=frozenset({"nonsense"})),
                TrendQuery(today, today, severities=frozenset({9})),
                TrendQuery(date(2000, 1, 1), today)):
        with pytest.raises(ValidationError):
            trends.dashboard(install, dsl, bad)


def _roll_ups(console) -> dict[str, set]:  # type: ignore[no-untyped-def,type-arg]
    out = {}
    with console.reading() as db:
        for name in ("trend_counts", "trend_counts_monthly", "trend_phrases",
                     "trend_phrases_monthly", "trend_daily"):
            out[name] = {tuple(r) for r in db.connection().exec_driver_sql(
                f"SELECT * FROM {name}").all() if any(r[-5:])}
    return out
