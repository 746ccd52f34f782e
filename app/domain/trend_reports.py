"""What the governors' trend report and the annual monitoring review pack print, frozen before
rendering (the renderers in app/reports read nothing else).

Both leave the school's safeguarding team: every count in them is suppressed below 5 ("<5"),
whoever makes them, and neither names a pupil or quotes a pupil's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.domain.trends import Dashboard

MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class GovernorsReport:
    school: str
    start: date
    end: date
    period_label: str  # "Autumn term 2026", "1 Sep 2026 – 7 Dec 2026"
    generated_at: datetime
    author: str  # name and role of whoever made it
    narrative: str  # the headteacher's commentary, as typed
    dashboard: Dashboard  # suppressed
    software_version: str
    marking: str = MARKING


@dataclass(frozen=True)
class DeviceCoverage:
    """Devices at the time the pack is made: enrolled and active, heard from in the last day,
    silent for longer (online but not reporting is how monitoring quietly fails), revoked."""

    active: int
    reporting: int
    silent: int
    silent_over_week: int
    revoked: int
    agent_versions: tuple[tuple[str, int], ...]  # version, devices


@dataclass(frozen=True)
class LibraryChange:
    when: datetime
    what: str  # "Phrase added", "Phrase switched off", "Library imported"
    phrase: str  # the library key or "whole library"
    who: str


@dataclass(frozen=True)
class ReviewPack:
    school: str
    year_label: str  # "2025–26"
    start: date
    end: date
    generated_at: datetime
    author: str
    coverage: DeviceCoverage
    library_version: str
    library_changes: tuple[LibraryChange, ...]
    library_changes_total: int
    dashboard: Dashboard  # the whole year, suppressed
    software_version: str
    marking: str = MARKING
