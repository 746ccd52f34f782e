"""One incident as the evidence viewer shows it: frozen, built by `app.services.incident_view`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.enums import IncidentStatus

Box = tuple[int, int, int, int]  # x, y, width, height in screenshot pixels


@dataclass(frozen=True)
class MatchDetail:
    """One matched phrase: where it is in the captured text and on the screenshot."""

    text: str
    start: int
    end: int
    phrase_key: str | None
    category_key: str  # the phrase's own category (colours its boxes); the incident's if unknown
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class EvidenceInfo:
    """A sealed evidence file's record: what it is and whether it still verifies."""

    id: int
    kind: str
    sealed_sha256: str
    plaintext_sha256: str
    verification: str  # "verified" at ingest; "failed" once an open found it altered
    restricted: bool  # blurred until a DSL reveals it (DESIGN §11)
    width: int | None
    height: int | None


@dataclass(frozen=True)
class IncidentDetail:
    id: int
    uuid: str
    captured_at: datetime  # device clock
    received_at: datetime  # console clock
    clock_skew_s: int | None  # the device's clock minus the console's, at its last hello
    category_key: str
    severity: int
    status: IncidentStatus
    source: str
    subject_id: int | None
    subject_name: str | None
    year_group: int | None
    device_name: str
    app: str | None
    window_title: str | None
    url: str | None
    context: str | None  # None while the content is still sealed
    content_sealed: bool
    library_version: str
    signature_status: str
    matches: tuple[MatchDetail, ...]
    evidence: tuple[EvidenceInfo, ...]


@dataclass(frozen=True)
class Sighting:
    """Someone saw an incident or its evidence (from the audit log)."""

    when: datetime
    who: str
    what: str  # "viewed", "opened the screenshot", "revealed restricted imagery"
    reason: str | None
