"""Alerts: new incidents at or above the alert severity, for a banner and a tray notification.

An alert names categories and counts only — never a pupil, a device or a word — because a
notification can be read over a shoulder or on a locked screen (CPOMS does the same). If the
incidents are still unopened after the reminder interval, the console reminds again.

Threading: read-only; may run on any worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.security.authorisation import Permission
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import alerts_repo, settings_repo

MIN_SEVERITY_KEY, REMIND_KEY = "alerts.min_severity", "alerts.remind_minutes"
DEFAULT_MIN_SEVERITY, DEFAULT_REMIND_MINUTES = 4, 10
TRACKED = 500  # incidents one alert follows for its reminder


@dataclass(frozen=True)
class AlertPolicy:
    min_severity: int
    remind_minutes: int  # 0: no reminder


@dataclass(frozen=True)
class AlertNews:
    """Categories and counts of new incidents at or above the alert severity."""

    by_category: tuple[tuple[str, int], ...]
    newest_id: int
    incident_ids: tuple[int, ...]
    min_severity: int
    remind_minutes: int

    @property
    def count(self) -> int:
        return sum(n for _, n in self.by_category)

    def text(self) -> str:
        noun = "incident" if self.count == 1 else "incidents"
        parts = ", ".join(f"{name} ({n})" for name, n in self.by_category)
        return f"{self.count} new {noun} at severity {self.min_severity} or above: {parts}"


def policy(console: Console) -> AlertPolicy:
    with console.reading() as db:
        severity = _int(settings_repo.get(db, MIN_SEVERITY_KEY), DEFAULT_MIN_SEVERITY, 1, 5)
        remind = _int(settings_repo.get(db, REMIND_KEY), DEFAULT_REMIND_MINUTES, 0, 24 * 60)
    return AlertPolicy(severity, remind)


def new_alerts(console: Console, session: UserSession, after_id: int = 0) -> AlertNews | None:
    """New incidents (id > after_id) at or above the alert severity; None if there are none."""
    session.require(Permission.LIST_INCIDENTS)
    rules = policy(console)
    with console.reading() as db:
        rows = alerts_repo.new_by_category(db, after_id, rules.min_severity)
        if not rows:
            return None
        ids = alerts_repo.new_ids(db, after_id, rules.min_severity, TRACKED)
    return AlertNews(tuple((str(r[0]), int(r[1])) for r in rows), max(int(r[2]) for r in rows),
                     tuple(ids), rules.min_severity, rules.remind_minutes)


def unopened(console: Console, session: UserSession, incident_ids: tuple[int, ...]) -> int:
    """How many of these incidents are still new and unviewed."""
    session.require(Permission.LIST_INCIDENTS)
    with console.reading() as db:
        return len(alerts_repo.unopened(db, incident_ids))


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    """A stored setting, or the default when it is missing or not a sane number."""
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if low <= value <= high else default
