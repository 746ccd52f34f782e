"""Frozen data-transfer objects that services hand to the UI, the CLI and reports.

No ORM row ever leaves the service layer; these are plain values, safe to pass between
threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.domain.enums import IncidentStatus, Role


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in staff member or a named system process."""

    name: str
    role: Role | None = None
    user_id: int | None = None

    @classmethod
    def system(cls, what: str) -> Actor:
        return cls(name=f"system:{what}")


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: Role
    previous_login_at: datetime | None


SORTS = ("newest", "oldest", "severity")


@dataclass(frozen=True)
class IncidentQuery:
    """Filters and sort for the incident list; every field is optional."""

    statuses: tuple[IncidentStatus, ...] = ()
    category_keys: tuple[str, ...] = ()
    min_severity: int | None = None
    year_group: int | None = None
    subject_id: int | None = None
    text: str | None = None
    captured_from: datetime | None = None
    captured_to: datetime | None = None
    source: str | None = None  # "typed" or "screen"
    assignee_id: int | None = None
    sort: str = "newest"


@dataclass(frozen=True)
class IncidentRow:
    """One line of the incident list."""

    id: int
    uuid: str
    captured_at: datetime
    category_key: str
    category_name: str
    severity: int
    status: IncidentStatus
    source: str
    subject_name: str | None
    year_group: int | None
    device_name: str
    app: str | None
    window_title: str | None
    matched_text: str | None
    has_screenshot: bool
    restricted: bool
    assignee_name: str | None = None


@dataclass(frozen=True)
class IncidentPage:
    rows: tuple[IncidentRow, ...]
    next_cursor: tuple[object, ...] | None  # pass back to fetch the following page


@dataclass(frozen=True)
class OpenedEvidence:
    """Decrypted evidence, in memory only."""

    evidence_id: int
    incident_id: int
    media_type: str
    data: bytes
    width: int | None
    height: int | None
    restricted: bool
    boxes: tuple[tuple[int, int, int, int], ...] = field(default=())
    blurred: bool = False  # restricted, not revealed: `data` is a tiny PNG to enlarge to size


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: datetime
    actor: str
    action: str
    target: str
    details: str


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of `main.py verify`: ok, or the first bad entry and why."""

    ok: bool
    audit_events: int
    checkpoints: int
    evidence_files: int
    problems: tuple[str, ...]
    first_bad_seq: int | None = None
