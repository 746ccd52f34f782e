"""The incident list: keyset pages cover every row exactly once, in order, for every sort and
filter; triage changes are audited."""

from __future__ import annotations

import pytest

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.errors import ValidationError
from app.services import audit_log, incidents, triage, users
from app.services.demo_school import DEMO_PASSWORD
from db.repositories import incidents_repo


def _all_pages(console, session, query: IncidentQuery, limit: int = 37):  # type: ignore[no-untyped-def]
    rows, cursor = [], None
    while True:
        page = incidents.list_incidents(console, session, query, cursor, limit)
        rows.extend(page.rows)
        if page.next_cursor is None:
            return rows
        cursor = page.next_cursor


@pytest.mark.parametrize("sort", ["newest", "oldest", "severity"])
def test_paging_visits_every_incident_once_in_sort_order(demo, sort: str) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    rows = _all_pages(demo, dsl, IncidentQuery(sort=sort))
    assert len(rows) == 600 and len({r.id for r in rows}) == 600
    keys = {
        "newest": lambda r: (-r.captured_at.timestamp(), -r.id),
        "oldest": lambda r: (r.captured_at.timestamp(), r.id),
        "severity": lambda r: (-r.severity, -r.captured_at.timestamp(), -r.id),
    }[sort]
    assert rows == sorted(rows, key=keys)


@pytest.mark.parametrize("sort", ["newest", "oldest", "severity"])
def test_multi_value_filters_page_in_order_without_gaps(demo, sort: str) -> None:  # type: ignore[no-untyped-def]
    """Several statuses × categories are merged from one index scan each: the pages must still
    be exactly the filtered list, in order."""
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    everything = _all_pages(demo, dsl, IncidentQuery(sort=sort), limit=500)
    query = IncidentQuery(statuses=(IncidentStatus.NEW, IncidentStatus.REVIEWING,
                                    IncidentStatus.CLOSED),
                          category_keys=("bullying", "self_harm", "violence"), min_severity=2,
                          sort=sort)
    subset = _all_pages(demo, dsl, query, limit=7)
    expected = [r for r in everything if r.status in query.statuses
                and r.category_key in query.category_keys and r.severity >= 2]
    assert subset == expected and len(subset) > 14


def test_text_search_finds_incidents_by_the_words_on_screen(demo) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    sample = _all_pages(demo, dsl, IncidentQuery())[5]
    word = max(sample.matched_text.split(), key=len)
    found = _all_pages(demo, dsl, IncidentQuery(text=word))
    assert sample.id in {r.id for r in found}
    assert len(found) < 600  # a real filter, not everything
    assert _all_pages(demo, dsl, IncidentQuery(text='zzqx" OR "a')) == []


def test_bad_query_values_are_refused(demo) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    for bad in (IncidentQuery(sort="random"), IncidentQuery(min_severity=9),
                IncidentQuery(category_keys=("kittens",))):
        with pytest.raises(ValidationError):
            incidents.list_incidents(demo, dsl, bad)


def test_status_change_is_saved_and_audited_per_incident(install_with_incidents) -> None:  # type: ignore[no-untyped-def]
    console, dsl = install_with_incidents
    rows = incidents.list_incidents(console, dsl, IncidentQuery(), limit=3).rows
    ids = [r.id for r in rows]
    change = triage.set_status(console, dsl, ids, IncidentStatus.FALSE_POSITIVE)
    assert change.change.incidents
    after = incidents.list_incidents(console, dsl, IncidentQuery(), limit=3).rows
    assert {r.status for r in after} == {IncidentStatus.FALSE_POSITIVE}
    events = audit_log.recent_events(console, dsl, 10)
    changed = {e.target for e in events if e.action == "incident.status"}
    assert changed >= {f"incident:{i}" for i in change.change.incident_ids}


@pytest.mark.parametrize("sort", ["newest", "oldest", "severity"])
def test_text_search_gives_the_same_pages_whichever_way_it_is_planned(  # type: ignore[no-untyped-def]
        demo, monkeypatch, sort: str) -> None:
    """Common words walk the sort index and probe the hit set, rare ones sort their hits:
    both plans must return the same incidents in the same order."""
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    sample = _all_pages(demo, dsl, IncidentQuery())[3]
    word = max(sample.matched_text.split(), key=len)
    query = IncidentQuery(text=word, sort=sort,
                          statuses=(IncidentStatus.NEW, IncidentStatus.REVIEWING,
                                    IncidentStatus.CLOSED, IncidentStatus.ACTIONED,
                                    IncidentStatus.FALSE_POSITIVE))
    monkeypatch.setattr(incidents_repo, "TEXT_HITS_TO_SCAN_INDEX", 10**9)
    sorted_hits = _all_pages(demo, dsl, query, limit=5)
    monkeypatch.setattr(incidents_repo, "TEXT_HITS_TO_SCAN_INDEX", 0)
    walked_index = _all_pages(demo, dsl, query, limit=5)
    assert sorted_hits == walked_index and sample.id in {r.id for r in walked_index}
