"""The trend roll-ups: counts kept beside the incidents, changed in the same transaction.

A trend query over a school year of 1,000,000 incidents must answer in 100 ms (DESIGN §13); a
GROUP BY over the incidents takes 0.5–1 s. So every change to an incident's counted fields is
mirrored here, by one rule: **take the incidents out of the counts, change them, put them back**
(`retract` → change → `add`). Each call is a few INSERT … SELECT … GROUP BY statements over the
changed rows only, upserting into the roll-ups; the incident row itself is the only input, so
counts can never drift from what a raw count would say (tests prove it, `rebuild` restores it).

Roll-ups, each per school day (`local_day`) and again per calendar month (`local_month`, the
`_monthly` tables: a year of totals reads twelve months of rows plus the part-months at either
end), with one count column per status:
- `trend_counts`, one narrow pair of dimensions per `kind`, with the year group as a third key
  (`c`; the dashboard's one cross filter): c = category × severity, s = source × category,
  h = hour of the week × category, r = review-time band × category (reviewed incidents only).
- `trend_phrases`: incidents per library phrase, category and year group.
- `trend_daily`: every filterable dimension at once, for filters that cross the narrow kinds.
Counts that fall to zero stay as zero rows (removing them would cost a scan per change).
A row per day and pair, with the statuses side by side, keeps the narrow kinds to a few rows
a day for each pair that happened at all: the common "everything but false positives" adds
four columns of one row instead of reading four rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

# Review-time buckets: a bucket's number is the index of the first edge the delay fits under.
REVIEW_EDGES_S = (60, 300, 600, 900, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 21600, 28800,
                  43200, 86400, 129600, 172800, 259200, 345600, 432000, 604800, 1209600,
                  2592000)
SOURCE_CODES = {"typed": 0, "screen": 1, "window": 2}
# One count column per triage status (the values of app.domain.enums.IncidentStatus; a test
# holds the two lists equal): a row per day and pair, not per day, pair and status.
STATUS_COLUMNS = {"new": "n_new", "reviewing": "n_reviewing",
                  "false_positive": "n_false_positive", "actioned": "n_actioned",
                  "closed": "n_closed"}

SOURCE_SQL = ("CASE source WHEN 'typed' THEN 0 WHEN 'screen' THEN 1 ELSE 2 END")
REVIEW_SQL = ("CASE " + " ".join(f"WHEN review_delay_s <= {edge} THEN {i}"
                              for i, edge in enumerate(REVIEW_EDGES_S))
           + f" ELSE {len(REVIEW_EDGES_S)} END")
YEAR_SQL = "COALESCE(year_group, 0)"
# The hour in the week (0 = Monday 00:00): a month's heat map needs the weekday without the day.
WEEK_HOUR_SQL = "((local_day + 3) % 7) * 24 + local_hour"  # 1970-01-01 was a Thursday
KINDS: dict[str, tuple[str, str]] = {  # kind: (a, b) as SQL over incidents; c is the year group
    "c": ("category_id", "severity"),
    "s": (SOURCE_SQL, "category_id"),
    "h": (WEEK_HOUR_SQL, "category_id"),
    "r": (REVIEW_SQL, "category_id"),
}


def _statements(where: str, where_i: str) -> list[str]:
    """The upserts that add `:sign` × the incidents chosen by `where` (`where_i` when the
    incidents table is aliased `i`) to every roll-up."""
    out = []
    for table, period in (("trend_counts", "day"), ("trend_counts_monthly", "month")):
        for kind, (a, b) in KINDS.items():
            extra = " AND review_delay_s IS NOT NULL" if kind == "r" else ""
            out.append(_upsert(table, {"kind": f"'{kind}'", period: f"local_{period}", "a": a,
                                       "b": b, "c": YEAR_SQL}, "incidents", where + extra))
    out.append(_upsert("trend_daily", {
        "day": "local_day", "category_id": "category_id", "severity": "severity",
        "year_group": YEAR_SQL, "source": "source"}, "incidents", where))
    # An incident counts once per phrase however often the phrase matched in it.
    for table, period in (("trend_phrases_monthly", "month"), ("trend_phrases", "day")):
        out.append(_upsert(table, {
            period: f"i.local_{period}", "phrase_key": "m.phrase_key",
            "category_id": "i.category_id", "year_group": "COALESCE(i.year_group, 0)"},
            "incidents i JOIN matches m ON m.incident_id = i.id",
            f"{where_i} AND m.phrase_key IS NOT NULL", distinct="i.id", status="i.status"))
    return out


def _upsert(table: str, keys: dict[str, str], source: str, where: str,
            distinct: str | None = None, status: str = "status") -> str:
    """INSERT … SELECT keys, one count per status … GROUP BY keys, added to existing rows."""
    def count(value: str) -> str:
        if distinct:
            return f"COUNT(DISTINCT CASE WHEN {status} = '{value}' THEN {distinct} END)"
        return f"SUM(CASE WHEN {status} = '{value}' THEN 1 ELSE 0 END)"

    group = [expr for name, expr in keys.items() if name != "kind"]
    columns = [*keys, *STATUS_COLUMNS.values()]
    values = [*keys.values(), *(f":sign * {count(v)}" for v in STATUS_COLUMNS)]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in STATUS_COLUMNS.values())
    return (f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
            f"FROM {source} WHERE {where} GROUP BY {', '.join(group)} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}")


_BY_IDS = [text(s).bindparams(bindparam("ids", expanding=True))
           for s in _statements("id IN :ids", "i.id IN :ids")]
_BY_RANGE = [text(s) for s in _statements("id BETWEEN :lo AND :hi",
                                            "i.id BETWEEN :lo AND :hi")]
_PHRASES_BY_IDS = _BY_IDS[-2:]  # the phrase roll-ups are the last two statements
_CHUNK = 900  # ids per statement: well under every driver's parameter limit


def add(session: Session, ids: Sequence[int]) -> None:
    """Count these incidents in (after they were inserted or changed)."""
    _by_ids(session, ids, 1)


def retract(session: Session, ids: Sequence[int]) -> None:
    """Count these incidents out (before they are changed or deleted)."""
    _by_ids(session, ids, -1)


def add_range(session: Session, lo: int, hi: int) -> None:
    """Count in a freshly inserted run of ids lo..hi (the ingest path: one range per batch)."""
    if hi >= lo:
        conn = session.connection()
        for statement in _BY_RANGE:
            conn.execute(statement, {"sign": 1, "lo": lo, "hi": hi})


def add_phrases(session: Session, ids: Sequence[int]) -> None:
    """Count in matches added to incidents whose content was sealed until now (nothing else
    about those incidents changes when their content is opened)."""
    conn = session.connection()
    for start in range(0, len(ids), _CHUNK):
        for statement in _PHRASES_BY_IDS:
            conn.execute(statement, {"sign": 1, "ids": list(ids[start:start + _CHUNK])})


def _by_ids(session: Session, ids: Sequence[int], sign: int) -> None:
    conn = session.connection()
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start:start + _CHUNK])
        for statement in _BY_IDS:
            conn.execute(statement, {"sign": sign, "ids": chunk})


def rebuild(conn: Connection) -> None:
    """Recount every roll-up from the incidents (a migration, or a repair)."""
    for name in ("trend_counts", "trend_counts_monthly", "trend_phrases",
                 "trend_phrases_monthly", "trend_daily"):
        conn.execute(text(f"DELETE FROM {name}"))
    hi = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM incidents")).scalar_one()
    step = 200_000  # bounded temp-B-tree work per statement
    for lo in range(0, int(hi) + 1, step):
        for statement in _BY_RANGE:
            conn.execute(statement, {"sign": 1, "lo": lo, "hi": lo + step - 1})
