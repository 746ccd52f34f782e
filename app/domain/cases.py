"""Cases: what the DSL opened for a pupil, and the chronology of what was done and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"
    REFERRED = "referred"
    MONITORING = "monitoring"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class EntryKind(StrEnum):
    """A chronology line. `status` and `hold` lines are written by the service itself."""

    NOTE = "note"
    ACTION = "action"
    CONTACT = "contact"
    REFERRAL = "referral"
    OUTCOME = "outcome"
    STATUS = "status"
    HOLD = "hold"
    INCIDENTS = "incidents"

    @property
    def label(self) -> str:
        return {"note": "Note", "action": "Action taken", "contact": "Contact",
                "referral": "Referral", "outcome": "Outcome", "status": "Status",
                "hold": "Legal hold", "incidents": "Incidents linked"}[self.value]


WRITABLE_KINDS = (EntryKind.NOTE, EntryKind.ACTION, EntryKind.CONTACT, EntryKind.REFERRAL,
                  EntryKind.OUTCOME)
CONTACTS = ("parent/carer", "pupil", "staff", "other")
AGENCIES = ("Police", "MASH / children's social care", "LADO", "IWF Report Remove", "CAMHS",
            "Prevent / Channel", "Other")


@dataclass(frozen=True)
class EntryDraft:
    """What a DSL types for a new chronology line."""

    kind: EntryKind
    body: str
    occurred_at: datetime | None = None  # None: now; earlier: back-dated
    agency: str | None = None
    agency_reference: str | None = None
    contact_with: str | None = None
    outcome: str | None = None
    corrects_id: int | None = None


@dataclass(frozen=True)
class CaseEntryView:
    id: int
    kind: EntryKind
    body: str
    occurred_at: datetime
    recorded_at: datetime
    author: str
    agency: str | None
    agency_reference: str | None
    contact_with: str | None
    outcome: str | None
    corrects_id: int | None
    corrected_by: tuple[int, ...]  # later entries that correct this one

    @property
    def back_dated(self) -> bool:
        return (self.recorded_at - self.occurred_at).total_seconds() > 15 * 60


@dataclass(frozen=True)
class CaseIncidentView:
    id: int
    captured_at: datetime
    category_key: str
    severity: int
    matched_text: str | None
    restricted: bool


@dataclass(frozen=True)
class CaseSummary:
    id: int
    reference: str
    subject_name: str
    year_group: int | None
    status: CaseStatus
    legal_hold: bool
    opened_at: datetime
    incident_count: int
    last_entry_at: datetime | None


@dataclass(frozen=True)
class CaseDetail:
    summary: CaseSummary
    subject_id: int
    opened_by: str
    text: str  # the DSL's summary for a referral
    incidents: tuple[CaseIncidentView, ...]
    chronology: tuple[CaseEntryView, ...]  # by when it happened, then when it was recorded
