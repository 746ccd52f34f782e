"""A case frozen for a report: every fact, text, image and hash the PDF will show, gathered
first (by `app.services.case_export`) so the renderer (`app.reports`) needs no database, no
keys and no Qt, and what is printed is exactly what was hashed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

Box = tuple[int, int, int, int]  # x, y, width, height in screenshot pixels


@dataclass(frozen=True)
class SnapshotMatch:
    text: str
    start: int  # offsets into the incident's captured text
    end: int
    category_name: str
    colour: str  # "#rrggbb", the category's colour
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class SnapshotEvidence:
    kind: str  # "screenshot"
    sealed_sha256: str
    plaintext_sha256: str
    verification: str  # "verified" or "failed" (a failed file is reported, never embedded)
    restricted: bool  # possible indecent imagery: never embedded (DESIGN §11)
    image: bytes | None  # decrypted PNG/WebP bytes, only when verified and not restricted
    width: int | None
    height: int | None
    withheld_reason: str | None  # why `image` is None, in words for the reader


@dataclass(frozen=True)
class SnapshotIncident:
    id: int
    uuid: str
    captured_at: datetime
    received_at: datetime
    device: str
    app: str | None
    window_title: str | None
    url: str | None
    category_name: str
    severity: int
    status: str
    source: str  # "typed" or "screen"
    text: str | None  # the captured text (None: content still sealed)
    matches: tuple[SnapshotMatch, ...]
    signature_status: str
    library_version: str
    evidence: tuple[SnapshotEvidence, ...]


@dataclass(frozen=True)
class SnapshotEntry:
    id: int
    kind: str  # label, e.g. "Referral"
    occurred_at: datetime
    recorded_at: datetime
    author: str
    body: str
    agency: str | None
    agency_reference: str | None
    contact_with: str | None
    outcome: str | None
    corrects_id: int | None
    corrected_by: tuple[int, ...]


@dataclass(frozen=True)
class CustodyRecord:
    when: datetime
    who: str
    what: str  # "opened the screenshot of incident 42", "exported this case"
    detail: str | None


@dataclass(frozen=True)
class CaseSnapshot:
    school: str
    reference: str
    pupil: str
    year_group: int | None
    date_of_birth: str | None
    dsl: str  # who exports
    generated_at: datetime
    purpose: str  # the reason given for the export / referral
    agency_template: str  # "police", "mash" or "lado": which sections lead
    status: str
    legal_hold: bool
    summary: str  # the DSL's summary
    chronology: tuple[SnapshotEntry, ...]
    incidents: tuple[SnapshotIncident, ...]
    custody: tuple[CustodyRecord, ...]
    software_version: str
    audit_checkpoint: str  # "event 1234, chain hash …, signed" — printed for verification
    marking: str = "OFFICIAL-SENSITIVE"
