"""SQL for incidents: bulk insert (ingest) and keyset-paged, filtered lists.

Lists never use OFFSET (22 ms at offset 10,000 and growing); they continue from the sort key of
the last row seen. Every sort ends in `id` so the order is total and the cursor unambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    column,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from db.models import (
    Category,
    Device,
    Evidence,
    Incident,
    IncidentManifest,
    Match,
    StaffUser,
    Subject,
    table,
)
from db.repositories import rollup_repo

_SORT_COLUMNS = {
    "newest": ((Incident.captured_at, True), (Incident.id, True)),
    "oldest": ((Incident.captured_at, False), (Incident.id, False)),
    "severity": ((Incident.severity, True), (Incident.captured_at, True), (Incident.id, True)),
}


@dataclass(frozen=True)
class ListFilter:
    """Filter values already validated by the service layer."""

    statuses: tuple[str, ...] = ()
    category_ids: tuple[int, ...] = ()
    min_severity: int | None = None
    year_group: int | None = None
    subject_id: int | None = None
    fts_query: str | None = None
    captured_from: datetime | None = None
    captured_to: datetime | None = None
    source: str | None = None
    assignee_id: int | None = None


def next_id(session: Session) -> int:
    """First free incident id; ingest runs on the single writer, so ids can be pre-assigned."""
    return int(session.execute(select(func.coalesce(func.max(Incident.id), 0))).scalar_one()) + 1


def existing_uuids(session: Session, uuids: Sequence[str]) -> dict[str, int]:
    rows = session.execute(select(Incident.uuid, Incident.id).where(Incident.uuid.in_(uuids)))
    return {u: i for u, i in rows.all()}


def manifest_for(session: Session, incident_id: int) -> IncidentManifest | None:
    return session.get(IncidentManifest, incident_id)


def insert_many(session: Session, incidents: list[dict[str, Any]],
                manifests: list[dict[str, Any]], matches: list[dict[str, Any]],
                evidence: list[dict[str, Any]]) -> None:
    """Insert a batch with one driver-level executemany per table, plus its full-text rows.

    Ingest is the hot path (≥ 5,000 incidents/s): SQLAlchemy's per-row parameter processing
    costs more than the inserts themselves, so rows go to the driver as tuples here, with the
    columns' own bind processors applied once per value."""
    if not incidents:
        return
    for model, rows in ((Incident, incidents), (IncidentManifest, manifests), (Match, matches),
                        (Evidence, evidence)):
        if rows:
            _executemany(session, model, rows)
    _index_text(session, incidents)


_COMPILED: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[tuple[str, Any]], bool]] = {}


def _executemany(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Rows must share one set of keys (columns left out get their defaults, e.g. ids)."""
    conn = session.connection()
    dialect = conn.dialect
    columns = tuple(rows[0])
    key = (model.__tablename__, dialect.name, columns)
    if key not in _COMPILED:
        compiled = insert(table(model)).compile(dialect=dialect, column_keys=list(columns))
        names = list(compiled.positiontup or []) if compiled.positional else list(columns)
        procs = [(n, table(model).columns[n].type.bind_processor(dialect)) for n in names]
        _COMPILED[key] = (str(compiled), procs, compiled.positional)
    sql, procs, positional = _COMPILED[key]
    if positional:
        params: list[Any] = [tuple(p(r.get(n)) if p else r.get(n) for n, p in procs)
                             for r in rows]
    else:
        params = [{n: p(r.get(n)) if p else r.get(n) for n, p in procs} for r in rows]
    conn.exec_driver_sql(sql, params)


def _index_text(session: Session, incidents: list[dict[str, Any]]) -> None:
    rows = [{"rowid": r["id"], "c": r.get("context_text") or "", "w": r.get("window_title") or "",
             "m": r.get("matched_text") or ""} for r in incidents]
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO incidents_fts(rowid, context_text, window_title, "
                             "matched_text) VALUES (:rowid, :c, :w, :m)"), rows)


MAX_BRANCHES = 16


def list_page(session: Session, flt: ListFilter, sort: str, cursor: tuple[Any, ...] | None,
              limit: int) -> Sequence[tuple[Any, ...]]:
    """One page of incident list rows, joined with what the list shows.

    The page is chosen on the incidents table alone, then joined (a deferred join). A filter
    on several statuses or categories is split into one branch per value, each a range scan of
    an index that also gives the sort order, and the branches are merged: SQLite cannot keep an
    index's order across an IN list and would otherwise sort every match (0.5–1.3 s at
    1,000,000 incidents)."""
    keys = _SORT_COLUMNS[sort]
    scan_sort_index = bool(flt.fts_query) and _many_text_hits(session, flt.fts_query or "")
    branches = [_page_ids(session, b, sort, cursor, limit, scan_sort_index)
                for b in _branches(flt)]
    if len(branches) == 1:
        page = branches[0].subquery("page")
    else:
        merged = union_all(*[select(*b.subquery().c) for b in branches]).subquery("merged")
        page = (select(*merged.c)
                .order_by(*_ordering(keys, merged.c))
                .limit(limit)).subquery("page")
    stmt = (
        select(Incident.id, Incident.uuid, Incident.captured_at, Category.key, Category.name,
               Category.restricted_imagery, Incident.severity, Incident.status, Incident.source,
               Subject.display_name, Subject.year_group, Device.hostname, Incident.app,
               Incident.window_title, Incident.matched_text, Incident.has_screenshot,
               StaffUser.display_name)
        .join(page, page.c.id == Incident.id)
        .join(Category, Category.id == Incident.category_id)
        .join(Device, Device.id == Incident.device_id)
        .outerjoin(Subject, Subject.id == Incident.subject_id)
        .outerjoin(StaffUser, StaffUser.id == Incident.assignee_id)
        .order_by(*_ordering(keys, page.c))
    )
    return [tuple(row) for row in session.execute(stmt)]


def _page_ids(session: Session, flt: ListFilter, sort: str, cursor: tuple[Any, ...] | None,
              limit: int, scan_sort_index: bool) -> Select[Any]:
    keys = _SORT_COLUMNS[sort]
    stmt: Select[Any] = select(Incident.id, Incident.captured_at,  # type: ignore[assignment]
                               Incident.severity)
    if flt.year_group is not None:
        stmt = stmt.join(Subject, Subject.id == Incident.subject_id)
    stmt = stmt.where(*_conditions(session, flt, scan_sort_index)).order_by(
        *[col.desc() if desc else col.asc() for col, desc in keys]).limit(limit)
    if cursor is not None:
        stmt = stmt.where(_after(keys, cursor))
    return stmt


# Full-text filters: with few hits, fetch and sort them (~70 µs a hit: the rows are wide and
# encrypted); with many, walk the sort order's index and probe the hit set (~1 µs a row,
# 200·N/hits rows). The two cost the same near 1,500 hits of 1,000,000.
TEXT_HITS_TO_SCAN_INDEX = 1500


def _many_text_hits(session: Session, fts_query: str) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    hits = session.execute(text(
        "SELECT count(*) FROM (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH :q "
        f"LIMIT {TEXT_HITS_TO_SCAN_INDEX + 1})"), {"q": fts_query}).scalar_one()
    return int(hits) > TEXT_HITS_TO_SCAN_INDEX


def _branches(flt: ListFilter) -> list[ListFilter]:
    """One filter per (status, category) value pair, when that stays a handful of branches."""
    statuses: list[tuple[str, ...]] = [(s,) for s in flt.statuses] or [flt.statuses]
    categories: list[tuple[int, ...]] = [(c,) for c in flt.category_ids] or [flt.category_ids]
    if len(statuses) * len(categories) > MAX_BRANCHES:
        categories = [flt.category_ids]
    if len(statuses) * len(categories) > MAX_BRANCHES:
        return [flt]
    return [replace(flt, statuses=s, category_ids=c) for s in statuses for c in categories]


def _ordering(keys: tuple[tuple[Any, bool], ...], columns: Any) -> list[Any]:
    return [columns[col.key].desc() if desc else columns[col.key].asc() for col, desc in keys]


def _after(keys: tuple[tuple[Any, bool], ...], cursor: tuple[Any, ...]) -> ColumnElement[bool]:
    """Rows strictly after the cursor in the sort order (row values where directions agree)."""
    cols = [col for col, _ in keys]
    directions = {desc for _, desc in keys}
    if len(directions) == 1:
        row, value = tuple_(*cols), tuple_(*cursor)
        return row < value if directions.pop() else row > value
    terms = []
    for i, (col, desc) in enumerate(keys):
        equal = [c == v for c, v in zip(cols[:i], cursor[:i], strict=False)]
        terms.append(and_(*equal, col < cursor[i] if desc else col > cursor[i]))
    return or_(*terms)


def _conditions(session: Session, flt: ListFilter,
                probe_text: bool = False) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = []
    if flt.statuses:
        cond.append(Incident.status.in_(flt.statuses))
    if flt.category_ids:
        cond.append(Incident.category_id.in_(flt.category_ids))
    if flt.min_severity is not None:
        cond.append(Incident.severity >= flt.min_severity)
    if flt.subject_id is not None:
        cond.append(Incident.subject_id == flt.subject_id)
    if flt.year_group is not None:
        cond.append(Subject.year_group == flt.year_group)
    if flt.captured_from is not None:
        cond.append(Incident.captured_at >= flt.captured_from)
    if flt.captured_to is not None:
        cond.append(Incident.captured_at < flt.captured_to)
    if flt.source is not None:
        cond.append(Incident.source == flt.source)
    if flt.assignee_id is not None:
        cond.append(Incident.assignee_id == flt.assignee_id)
    if flt.fts_query:
        cond.append(_text_match(session, flt.fts_query, probe_text))
    return cond


def _text_match(session: Session, query: str, probe: bool) -> ColumnElement[bool]:
    """`probe`: the hit set is only tested against (unary + stops SQLite driving the loop from
    it), so the sort order's index is walked instead."""
    if session.get_bind().dialect.name == "sqlite":
        ids = text("SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH :q").bindparams(
            q=query).columns(column("rowid", Integer))
        key = literal_column("+incidents.id") if probe else Incident.id
        return key.in_(ids)
    document = func.to_tsvector("simple", func.coalesce(Incident.context_text, "") + " "
                                + func.coalesce(Incident.window_title, "") + " "
                                + func.coalesce(Incident.matched_text, ""))
    return document.op("@@")(func.plainto_tsquery("simple", query))


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Incident)).scalar_one())


def count_by(session: Session, what: str) -> dict[str, int]:
    """Incidents per status or per category key (one GROUP BY on an indexed column)."""
    if what == "status":
        rows = session.execute(select(Incident.status, func.count()).group_by(Incident.status))
    else:
        rows = session.execute(select(Category.key, func.count())
                               .join(Incident, Incident.category_id == Category.id)
                               .group_by(Category.key))
    return {str(key): int(n) for key, n in rows.all()}


def sealed_unopened(session: Session, limit: int) -> list[tuple[int, str, bytes]]:
    """(id, uuid, sealed content) of incidents no DSL session has opened yet, oldest first."""
    rows = session.execute(
        select(Incident.id, Incident.uuid, IncidentManifest.sealed_content)
        .join(IncidentManifest, IncidentManifest.incident_id == Incident.id)
        .where(Incident.content_sealed.is_(True)).order_by(Incident.id).limit(limit)).all()
    return [(int(i), str(u), bytes(c)) for i, u, c in rows]


def fill_content(session: Session, incidents: list[dict[str, Any]],
                 matches: list[dict[str, Any]]) -> None:
    """Write opened content into incidents (`b_id` names each), their matches and the text
    index; each incident is then no longer sealed."""
    if not incidents:
        return
    statement = (update(table(Incident)).where(table(Incident).c.id == bindparam("b_id"))
                 .values(app=bindparam("app"), window_title=bindparam("window_title"),
                         url=bindparam("url"), context_text=bindparam("context_text"),
                         matched_text=bindparam("matched_text"), content_sealed=False))
    session.execute(statement, incidents)
    if matches:
        _executemany(session, Match, matches)
        rollup_repo.add_phrases(session, sorted({int(m["incident_id"]) for m in matches}))
    _index_text(session, [{**r, "id": r["b_id"]} for r in incidents])


def mark_unopenable(session: Session, incident_ids: Sequence[int]) -> None:
    """Sealed content that will not open (damaged, or sealed to another key) stops being tried;
    the incident keeps its sealed bytes for an investigator."""
    if incident_ids:
        session.execute(update(Incident).where(Incident.id.in_(list(incident_ids)))
                        .values(content_sealed=False))
