"""Incidents: the filtered, sorted, keyset-paged list (triage changes: `app.services.triage`).

Threading: read-only; may run on any worker thread.
"""

from __future__ import annotations

from typing import Any

from app.domain.categories import CATEGORY_BY_KEY
from app.domain.dto import SORTS, IncidentPage, IncidentQuery, IncidentRow
from app.domain.enums import IncidentStatus, Source
from app.errors import ValidationError
from app.security.authorisation import Permission
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import incidents_repo, reference_repo
from db.repositories.incidents_repo import ListFilter
from db.types import to_micros

PAGE_MAX = 500


def list_incidents(console: Console, session: UserSession, query: IncidentQuery,
                   cursor: tuple[Any, ...] | None = None, limit: int = 200) -> IncidentPage:
    """One page of incidents; pass the returned `next_cursor` to get the next one."""
    session.require(Permission.LIST_INCIDENTS)
    if query.sort not in SORTS:
        raise ValidationError(f"Sort must be one of: {', '.join(SORTS)}.")
    if not 1 <= limit <= PAGE_MAX:
        raise ValidationError(f"A page holds 1 to {PAGE_MAX} incidents.")
    with console.reading() as db:
        flt = _filter(query, reference_repo.category_ids(db))
        rows = incidents_repo.list_page(db, flt, query.sort, cursor, limit)
    page = tuple(_row(r) for r in rows)
    next_cursor = _cursor(page[-1], query.sort) if len(page) == limit else None
    return IncidentPage(page, next_cursor)


def fts_query(text: str) -> str | None:
    """User words → an FTS5 query: each word quoted (no operators reach FTS), prefix-matched,
    all words required."""
    words = [w for w in text.replace('"', " ").split() if w][:8]
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)


def _filter(q: IncidentQuery, category_ids: dict[str, int]) -> ListFilter:
    unknown = [k for k in q.category_keys if k not in CATEGORY_BY_KEY]
    if unknown:
        raise ValidationError(f"Unknown category: {unknown[0]}.")
    if q.min_severity is not None and not 1 <= q.min_severity <= 5:
        raise ValidationError("Severity runs from 1 to 5.")
    if q.year_group is not None and not 1 <= q.year_group <= 14:
        raise ValidationError("Year groups run from 1 to 14.")
    if q.source is not None and q.source not in {s.value for s in Source}:
        raise ValidationError("Source is typed or on screen.")
    return ListFilter(
        statuses=tuple(s.value for s in q.statuses),
        category_ids=tuple(category_ids[k] for k in q.category_keys),
        min_severity=q.min_severity, year_group=q.year_group, subject_id=q.subject_id,
        fts_query=fts_query(q.text) if q.text else None,
        captured_from=q.captured_from, captured_to=q.captured_to, source=q.source,
        assignee_id=q.assignee_id)


def _row(r: Any) -> IncidentRow:
    return IncidentRow(
        id=r[0], uuid=r[1], captured_at=r[2], category_key=r[3], category_name=r[4],
        restricted=bool(r[5]), severity=r[6], status=IncidentStatus(r[7]), source=r[8],
        subject_name=r[9], year_group=r[10], device_name=r[11], app=r[12], window_title=r[13],
        matched_text=r[14], has_screenshot=bool(r[15]), assignee_name=r[16])


def _cursor(row: IncidentRow, sort: str) -> tuple[Any, ...]:
    when = to_micros(row.captured_at)
    if sort == "severity":
        return (row.severity, when, row.id)
    return (when, row.id)
