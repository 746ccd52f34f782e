"""The governors' trend report and the annual monitoring review pack: gather, freeze, render,
audit. Both always suppress small numbers, whoever makes them (they leave the safeguarding
team), and both are open to the headteacher (DESIGN §9: trend dashboard and governor report).

Threading: DB reads, a render and an audited write; run off the GUI thread.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from app.domain.school_time import school_year_of, term_of, today, utc_bounds
from app.domain.trend_reports import (
    DeviceCoverage,
    GovernorsReport,
    LibraryChange,
    ReviewPack,
)
from app.domain.trends import Granularity, TrendQuery
from app.errors import ValidationError
from app.reports.pdf_file import RenderedReport
from app.security.authorisation import Permission
from app.services import library, trends
from app.services.console import Console
from app.services.devices import STALE_WITHIN, seen_state
from app.services.users import UserSession
from app.version import software_version
from db.repositories import audit_repo, devices_repo

NARRATIVE_LIMIT = 6000
LIBRARY_CHANGES_LISTED = 60
CHANGE_NAMES = {"library.phrase.add": "Phrase added", "library.phrase.enable": "Switched on",
                "library.phrase.disable": "Switched off",
                "library.phrase.exception": "Exception added",
                "library.import": "Library imported"}
_YEAR = re.compile(r"(\d{4})(?:\s*[-/–]\s*(\d{2}|\d{4}))?")


def governors_report(console: Console, session: UserSession, start: date, end: date,
                     out: Path, narrative: str = "") -> RenderedReport:
    """Write the governors' trend report for school dates start..end to `out`; audited."""
    from app.reports.trend_report import render_governors_report

    session.require(Permission.VIEW_TRENDS)
    if len(narrative) > NARRATIVE_LIMIT:
        raise ValidationError(f"Keep the commentary under {NARRATIVE_LIMIT:,} characters.")
    query = TrendQuery(start, end)
    board = trends.dashboard(console, session, query, compare=True, suppress=True)
    data = GovernorsReport(
        school=console.settings.school_name, start=start, end=end,
        period_label=period_label(start, end), generated_at=console.clock(),
        author=_author(session), narrative=narrative, dashboard=board,
        software_version=software_version())
    rendered = render_governors_report(data, out)
    _audit(console, session, "report.trends", rendered, start, end)
    return rendered


def review_pack(console: Console, session: UserSession, year: str | None,
                out: Path | None = None) -> RenderedReport:
    """Write the annual monitoring review pack for a school year ("2025-26", or "2025" for
    the year starting in September 2025; default the current one); audited."""
    from app.reports.review_pack import render_review_pack

    session.require(Permission.VIEW_TRENDS)
    start, end = school_year(year, today(console.clock()))
    label = f"{start.year}–{str(end.year)[2:]}"
    out = out or Path(f"monitoring-review-{start.year}-{str(end.year)[2:]}.pdf")
    board = trends.dashboard(console, session, TrendQuery(start, end), Granularity.MONTH,
                             suppress=True)
    changes, total = _library_changes(console, start, end)
    data = ReviewPack(
        school=console.settings.school_name, year_label=label, start=start, end=end,
        generated_at=console.clock(), author=_author(session), coverage=_coverage(console),
        library_version=library.version_in_force(console), library_changes=changes,
        library_changes_total=total, dashboard=board, software_version=software_version())
    rendered = render_review_pack(data, out)
    _audit(console, session, "report.review", rendered, start, end)
    return rendered


def school_year(text: str | None, now: date) -> tuple[date, date]:
    """The school year named by "2025-26", "2025/2026" or "2025" (the one starting then)."""
    if text is None or not text.strip():
        return school_year_of(now)
    found = _YEAR.fullmatch(text.strip())
    if not found:
        raise ValidationError("Name the school year like 2025-26.")
    first = int(found.group(1))
    if found.group(2):
        second = int(found.group(2))
        if second < 100:
            second += first // 100 * 100
        if second != first + 1:
            raise ValidationError(f"{text.strip()} is not one school year (say 2025-26).")
    if not 2000 <= first <= now.year:
        raise ValidationError(f"There is no school year {text.strip()} to review yet.")
    return date(first, 9, 1), date(first + 1, 8, 31)


def period_label(start: date, end: date) -> str:
    """"Autumn term 2026" when the dates are a whole term, else the dates themselves."""
    name, first, last = term_of(start)
    if (first, last) == (start, end):
        return f"{name} {start.year}"
    if school_year_of(start) == (start, end):
        return f"School year {start.year}–{str(end.year)[2:]}"
    return f"{start:%-d %b %Y} – {end:%-d %b %Y}"


class _Seen(NamedTuple):
    state: str
    last_seen_at: datetime | None
    agent_version: str | None


def _coverage(console: Console) -> DeviceCoverage:
    now = console.clock()
    with console.reading() as db:  # plain values out, while the rows are attached
        devices = [_Seen(d.state, d.last_seen_at, d.agent_version)
                   for d in devices_repo.all_devices(db)]
    states = [seen_state(d.state, d.last_seen_at, now) for d in devices]
    active = [d for d, s in zip(devices, states, strict=True) if s in ("online", "stale",
                                                                        "offline")]
    reporting = sum(1 for d in active if d.last_seen_at and now - d.last_seen_at <= STALE_WITHIN)
    week = sum(1 for d in active
               if d.last_seen_at is None or now - d.last_seen_at > timedelta(days=7))
    versions: dict[str, int] = {}
    for d in active:
        versions[d.agent_version or "unknown"] = versions.get(d.agent_version or "unknown",
                                                              0) + 1
    return DeviceCoverage(len(active), reporting, len(active) - reporting, week,
                          sum(1 for s in states if s == "revoked"),
                          tuple(sorted(versions.items(), key=lambda v: -v[1])))


def _library_changes(console: Console, start: date,
                     end: date) -> tuple[tuple[LibraryChange, ...], int]:
    since, until = utc_bounds(start, end)
    with console.reading() as db:
        rows, total = audit_repo.in_period(db, "library.", since, until,
                                           LIBRARY_CHANGES_LISTED)
        changes = tuple(LibraryChange(r.ts, CHANGE_NAMES.get(r.action, r.action),
                                      r.target.split(":", 1)[-1] if ":" in r.target
                                      else "whole library", r.actor) for r in rows)
    return changes, total


def _audit(console: Console, session: UserSession, action: str, rendered: RenderedReport,
           start: date, end: date) -> None:
    try:
        with console.unit_of_work(session.actor) as uow:
            uow.audit(action, "trends", start=start.isoformat(), end=end.isoformat(),
                      pdf_sha256=rendered.sha256, pages=rendered.pages)
    except BaseException:
        rendered.path.unlink(missing_ok=True)  # no report without its audit record
        raise


def _author(session: UserSession) -> str:
    return f"{session.user.display_name}, {session.role.label}"
