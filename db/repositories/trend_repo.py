"""Trend counts: one GROUP BY over the smallest roll-up that holds every dimension asked for.

A question names the dimensions to group by and the ones it filters on; `grouped` picks the
first source below that has them all — a narrow `trend_counts` kind (each with the year group),
then `trend_daily`, then the incidents themselves (correct, but a scan: only for crossings the
dashboard never asks, such as the hour of day filtered by severity). A question that does not
group by day reads whole months from the monthly twin and only the part-months from the days.
Every source has a day (school-time day number) and statuses; `weekday` (0 = Monday) comes
from the day, or from the hour of the week in kind h.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BindParameter, bindparam, text
from sqlalchemy.orm import Session

from db.repositories.rollup_repo import REVIEW_SQL, SOURCE_SQL, STATUS_COLUMNS

DIMENSIONS = ("category", "severity", "year_group", "source", "hour", "review", "phrase")


@dataclass(frozen=True)
class _Source:
    name: str
    table: str
    columns: dict[str, str]  # dimension → SQL
    where: str = ""
    count: str = ""  # the incidents themselves: how to count them (roll-ups sum columns)
    day: str = "day"
    status: str = "status"


def _narrow(kind: str, a: str, b: str) -> tuple[_Source, _Source]:
    """A `trend_counts` kind by day, and its twin by month."""
    columns = {**({a: "a"} if a != "hour" else {"hour": "a % 24", "weekday": "a / 24"}),
               b: "b", "year_group": "c"}
    return (_Source(kind, "trend_counts", columns, f"kind = '{kind}'"),
            _Source(kind + "m", "trend_counts_monthly", columns, f"kind = '{kind}'",
                    day="month"))


_PHRASE_COLUMNS = {"phrase": "phrase_key", "category": "category_id",
                   "year_group": "year_group"}
_PAIRS = (_narrow("c", "category", "severity"), _narrow("s", "source", "category"),
          _narrow("h", "hour", "category"), _narrow("r", "review", "category"),
          (_Source("p", "trend_phrases", _PHRASE_COLUMNS),
           _Source("pm", "trend_phrases_monthly", _PHRASE_COLUMNS, day="month")))
_MONTHLY = {day.name: month for day, month in _PAIRS}
_EPOCH = date(1970, 1, 1)
_SOURCES = (
    *(day for day, _month in _PAIRS),
    _Source("daily", "trend_daily", {
        "category": "category_id", "severity": "severity", "year_group": "year_group",
        "source": SOURCE_SQL}),
    _Source("raw", "incidents", {
        "category": "category_id", "severity": "severity",
        "year_group": "COALESCE(year_group, 0)", "source": SOURCE_SQL, "hour": "local_hour",
        "review": REVIEW_SQL}, count="COUNT(*)", day="local_day"),
    _Source("raw_phrases", "incidents i JOIN matches m ON m.incident_id = i.id", {
        "phrase": "m.phrase_key", "category": "i.category_id", "severity": "i.severity",
        "year_group": "COALESCE(i.year_group, 0)",
        "source": SOURCE_SQL.replace("source", "i.source"), "hour": "i.local_hour"},
        "m.phrase_key IS NOT NULL", count="COUNT(DISTINCT i.id)", day="i.local_day",
        status="i.status"),
)


def source_for(group_by: Collection[str], filters: Collection[str]) -> str:
    """The name of the roll-up `grouped` would read (for tests and the benchmark)."""
    return _pick(group_by, filters).name


def _pick(group_by: Collection[str], filters: Collection[str]) -> _Source:
    wanted = (set(group_by) | set(filters)) - {"day", "weekday", "status"}
    unknown = wanted - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown trend dimensions {sorted(unknown)}")
    for source in _SOURCES:
        if wanted <= set(source.columns):
            return source
    raise ValueError(f"no trend source holds {sorted(wanted)}")


def grouped(session: Session, group_by: Sequence[str], day_from: int, day_to: int,
            statuses: Collection[str], filters: Mapping[str, Collection[Any]] | None = None,
            ) -> list[tuple[Any, ...]]:
    """Rows of (*group_by values, count), counting incidents with a school day in
    [day_from, day_to] and a status in `statuses`, whose filtered dimensions take one of the
    given values. `status` may be grouped by. Counts of zero are left out."""
    filters = {k: v for k, v in (filters or {}).items() if v}
    source = _pick(group_by, filters)
    chosen = [s for s in STATUS_COLUMNS if s in set(statuses)]
    if not chosen or day_to < day_from:
        return []
    monthly = _MONTHLY.get(source.name)
    needs_days = "day" in group_by or ("weekday" in group_by and "weekday" not in source.columns)
    first, last = _whole_months(day_from, day_to)
    if monthly is None or needs_days or first is None or last is None:
        return _run(session, source, group_by, day_from, day_to, chosen, filters)
    # Whole months from the monthly roll-up, the part-months at either end from the daily one.
    parts = [(monthly, first, last)]
    if day_from < first:
        parts.append((source, day_from, first - 1))
    after = _next_month(last)
    if after <= day_to:
        parts.append((source, after, day_to))
    totals: dict[tuple[Any, ...], int] = {}
    for part, lo, hi in parts:
        for row in _run(session, part, group_by, lo, hi, chosen, filters):
            totals[row[:-1]] = totals.get(row[:-1], 0) + int(row[-1])
    return [(*key, n) for key, n in totals.items() if n]


def _whole_months(day_from: int, day_to: int) -> tuple[int | None, int | None]:
    """Day numbers of the 1st of the first and of the last calendar month lying wholly inside
    [day_from, day_to], or (None, None) when no month does."""
    start = _day(day_from)
    first = start if start.day == 1 else _month_after(start)
    end = _day(day_to)
    last_start = end.replace(day=1)
    if _month_after(end) - timedelta(days=1) != end:  # the range stops inside its month
        last_start = (last_start - timedelta(days=1)).replace(day=1)
    if last_start < first:
        return None, None
    return (first - _EPOCH).days, (last_start - _EPOCH).days


def _next_month(month: int) -> int:
    return (_month_after(_day(month)) - _EPOCH).days


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _day(number: int) -> date:
    return _EPOCH + timedelta(days=number)


def _run(session: Session, source: _Source, group_by: Sequence[str], day_from: int,
         day_to: int, chosen: list[str], filters: Mapping[str, Collection[Any]],
         ) -> list[tuple[Any, ...]]:
    """One GROUP BY over one source."""
    by_status = "status" in group_by
    keys = [g for g in group_by if g != "status"]
    exprs = [_expr(source, g) for g in keys]
    where = [f"{source.day} BETWEEN :day_from AND :day_to"]
    params: dict[str, Any] = {"day_from": day_from, "day_to": day_to}
    binds: list[BindParameter[Any]] = []
    if source.where:
        where.append(source.where)
    for n, (dimension, values) in enumerate(sorted(filters.items())):
        where.append(f"{source.columns[dimension]} IN :f{n}")
        params[f"f{n}"] = sorted(values)
        binds.append(bindparam(f"f{n}", expanding=True))
    counts, having = _counts(source, chosen, by_status, exprs, where, params, binds)
    sql = f"SELECT {', '.join([*exprs, *counts])} FROM {source.table} WHERE {' AND '.join(where)}"
    if exprs or (by_status and source.count):
        sql += f" GROUP BY {', '.join(exprs + (['st'] if by_status and source.count else []))}"
    if having:
        sql += f" HAVING {having}"
    rows = session.connection().execute(text(sql).bindparams(*binds), params).all()
    if by_status and not source.count:  # one column per status: one row per status
        width = len(exprs)
        out = [(*r[:width], status, r[width + i]) for r in rows
               for i, status in enumerate(chosen) if r[width + i]]
        return _reorder(out, group_by, keys)
    result = [tuple(r) for r in rows if r[-1]]
    return _reorder(result, group_by, keys) if by_status else result


def _counts(source: _Source, chosen: list[str], by_status: bool, exprs: list[str],
            where: list[str], params: dict[str, Any],
            binds: list[BindParameter[Any]]) -> tuple[list[str], str]:
    """The count columns of the SELECT, and a HAVING that drops empty groups."""
    if source.count:  # the incidents themselves: a row per incident, one status each
        where.append(f"{source.status} IN :statuses")
        params["statuses"] = chosen
        binds.append(bindparam("statuses", expanding=True))
        return ([f"{source.status} AS st"] if by_status else []) + [source.count], ""
    columns = [STATUS_COLUMNS[s] for s in chosen]
    if by_status:
        return [f"SUM({c})" for c in columns], ""
    total = f"SUM({' + '.join(columns)})"
    return [total], f"{total} <> 0" if exprs else ""


def _reorder(rows: list[tuple[Any, ...]], group_by: Sequence[str],
             keys: list[str]) -> list[tuple[Any, ...]]:
    """Rows come out as (*keys, status, n); put status where the caller asked for it."""
    order = [*keys, "status"]
    if list(group_by) == order:
        return rows
    at = [order.index(g) for g in group_by]
    return [(*(r[i] for i in at), r[-1]) for r in rows]


def _expr(source: _Source, dimension: str) -> str:
    if dimension == "day":
        return source.day
    if dimension == "weekday" and "weekday" not in source.columns:
        return f"(({source.day}) + 3) % 7"  # 1970-01-01 was a Thursday
    return source.columns[dimension]
