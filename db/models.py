"""SQLAlchemy 2.x typed models for the whole domain of DESIGN §4.

The schema itself is created and changed only by the Alembic migrations in db/migrations; these
classes describe it for queries. Large tables (incidents, matches, audit) use integer keys and
narrow rows; opened content that quotes a pupil stays in as few columns as possible.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table(model: type[Base]) -> Table:
    """The Core table of a model, for fast executemany inserts (ORM bulk runs at half speed)."""
    return cast(Table, model.__table__)


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StaffUser(Base):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class KeySlot(Base):
    """A long-term private key wrapped with a key derived from one user's password."""

    __tablename__ = "key_slots"
    __table_args__ = (UniqueConstraint("user_id", "purpose"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    kdf: Mapped[str] = mapped_column(String(200))  # JSON: algorithm, salt, cost parameters
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    hostname: Mapped[str] = mapped_column(String(255))
    cert_fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    signing_public_key: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16))
    agent_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    clock_skew_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Reported in each hello (operational telemetry, not audited):
    outbox_depth: Mapped[int | None] = mapped_column(Integer, nullable=True)
    screenshots_dropped: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_address: Mapped[str | None] = mapped_column(String(45), nullable=True)
    cert_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class EnrolToken(Base):
    """A bulk enrolment token (DESIGN §7), shipped to devices inside an enrolment bundle.

    The secret never travels from a device: it proves knowledge with an HMAC. It is kept here
    (the database is encrypted) because checking an HMAC needs the key itself."""

    __tablename__ = "enrol_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    auto_approve: Mapped[bool] = mapped_column(Boolean)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class EnrolCode(Base):
    """A typed single-use code for one device: 15 minutes, 5 tries, always lands in pending."""

    __tablename__ = "enrol_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class EnrolRequest(Base):
    """A device asking to join: pending until staff approve it (or a token auto-approves)."""

    __tablename__ = "enrol_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36), unique=True)
    device_uuid: Mapped[str] = mapped_column(String(36), index=True)
    hostname: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    short_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[str] = mapped_column(String(64), unique=True)  # a replayed proof is refused
    token_id: Mapped[int | None] = mapped_column(ForeignKey("enrol_tokens.id"), nullable=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("enrol_codes.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    certificate: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class Subject(Base):
    """A pupil account as the devices see it (login), with MIS details."""

    __tablename__ = "subjects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    year_group: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    upn: Mapped[str | None] = mapped_column(String(13), nullable=True)


class Category(Base):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    uksic_group: Mapped[str] = mapped_column(String(100))
    colour: Mapped[str] = mapped_column(String(9))
    restricted_imagery: Mapped[bool] = mapped_column(Boolean)


class LibraryEdit(Base):
    """The school's layer over the shipped phrase library (DESIGN §5), one row per entry.

    origin "school": an entry the school added; every field is set.
    origin "shipped": the school's changes to a shipped entry of the same key; a NULL field means
    "as shipped" (pattern, kind, language and match are never changed, so they stay NULL)."""

    __tablename__ = "library_edits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    origin: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(32))
    pattern: Mapped[str | None] = mapped_column(String(200), nullable=True)
    kind: Mapped[str | None] = mapped_column(String(8), nullable=True)
    severity: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    language: Mapped[str | None] = mapped_column(String(3), nullable=True)
    whole_word: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    exceptions: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of strings
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    enabled: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_captured", "captured_at", "id"),
        Index("ix_incidents_status_captured", "status", "captured_at", "id"),
        Index("ix_incidents_category_captured", "category_id", "captured_at", "id"),
        Index("ix_incidents_severity_captured", "severity", "captured_at", "id"),
        # Filtered lists sorted by severity (the triage queue, one category) stay index scans.
        Index("ix_incidents_status_severity", "status", "severity", "captured_at", "id"),
        Index("ix_incidents_category_severity", "category_id", "severity", "captured_at", "id"),
        Index("ix_incidents_subject_captured", "subject_id", "captured_at"),
        Index("ix_incidents_device_seq", "device_id", "sequence"),
        # Only incidents whose content no DSL session has opened yet (a handful at a time).
        Index("ix_incidents_sealed", "id", sqlite_where=text("content_sealed = 1"),
              postgresql_where=text("content_sealed")),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    sequence: Mapped[int] = mapped_column(BigInteger)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), nullable=True)
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(8))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    severity: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    app: Mapped[str | None] = mapped_column(String(200), nullable=True)
    window_title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    context_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    matched_text: Mapped[str | None] = mapped_column(String(500), nullable=True)
    library_version: Mapped[str] = mapped_column(String(32))
    signature_status: Mapped[str] = mapped_column(String(16))
    has_screenshot: Mapped[bool] = mapped_column(Boolean, default=False)
    # True from the LAN until a DSL/deputy session opens the sealed content (app.services.opener)
    content_sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Kept for the trend roll-ups (db.repositories.rollup_repo), fixed when the incident arrives:
    # the school-time day and hour it was captured, and the pupil's year group *then*.
    local_day: Mapped[int] = mapped_column(Integer, default=0)
    local_hour: Mapped[int] = mapped_column(SmallInteger, default=0)
    local_month: Mapped[int] = mapped_column(Integer, default=0)  # day number of the 1st
    year_group: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    # The first time staff looked at or triaged it, and how long after it arrived that was.
    first_reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    review_delay_s: Mapped[int | None] = mapped_column(Integer, nullable=True)


class IncidentNote(Base):
    """A note a DSL or deputy wrote on an incident: append-only (a correction is a new note)."""

    __tablename__ = "incident_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IncidentManifest(Base):
    """What the device sent, byte for byte (kept for custody): the signed manifest, the device's
    signature over it, and the content sealed to the evidence key."""

    __tablename__ = "incident_manifests"
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    manifest: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_content: Mapped[bytes] = mapped_column(LargeBinary)


class Match(Base):
    __tablename__ = "matches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    phrase_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    matched_text: Mapped[str] = mapped_column(String(500))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    boxes: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[x, y, w, h], ...]


class Evidence(Base):
    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sealed_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    plaintext_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    media_type: Mapped[str] = mapped_column(String(32))
    verification: Mapped[str] = mapped_column(String(16))
    restricted: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    summary: Mapped[str] = mapped_column(Text, default="")  # the DSL's own words, for referral


class CaseIncident(Base):
    __tablename__ = "case_incidents"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True,
                                             index=True)


class CaseEntry(Base):
    """One line of a case chronology; back-dated entries keep both times."""

    __tablename__ = "case_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(String(100), nullable=True)
    agency_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    contact_with: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Entries are never edited: a correction is a new entry naming the one it corrects.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("case_entries.id"),
                                                    nullable=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEvent(Base):
    """Append-only, hash-chained record of every act (DESIGN §10)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_target", "target", "seq"),)  # who has seen this
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed statement 'the chain up to seq ends in hash'."""

    __tablename__ = "audit_checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(UtcDateTime)
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class SettingRow(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class StatusCounts:
    """A roll-up row's counts, one column per triage status (db.repositories.rollup_repo)."""

    n_new: Mapped[int] = mapped_column(Integer, default=0)  # one count per status
    n_reviewing: Mapped[int] = mapped_column(Integer, default=0)
    n_false_positive: Mapped[int] = mapped_column(Integer, default=0)
    n_actioned: Mapped[int] = mapped_column(Integer, default=0)
    n_closed: Mapped[int] = mapped_column(Integer, default=0)


class TrendCount(StatusCounts, Base):
    """Incidents counted per school day along one pair of dimensions (`kind`), by status: the
    roll-ups behind the trend charts (DESIGN §13), kept in the same transaction as every change
    to incidents by db.repositories.rollup_repo. Kinds are listed there."""

    __tablename__ = "trend_counts"
    __table_args__ = ({"sqlite_with_rowid": False},)  # clustered by the key: range scans
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    a: Mapped[int] = mapped_column(Integer, primary_key=True)
    b: Mapped[int] = mapped_column(Integer, primary_key=True)
    c: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # year group, 0: not known


class TrendCountMonth(StatusCounts, Base):
    """`trend_counts` summed by calendar month (totals over a range read months, not days)."""

    __tablename__ = "trend_counts_monthly"
    __table_args__ = ({"sqlite_with_rowid": False},)  # clustered by the key: range scans
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)  # day number of the 1st
    a: Mapped[int] = mapped_column(Integer, primary_key=True)
    b: Mapped[int] = mapped_column(Integer, primary_key=True)
    c: Mapped[int] = mapped_column(SmallInteger, primary_key=True)


class TrendPhrase(StatusCounts, Base):
    """Incidents per school day, library phrase, category and year group, by status."""

    __tablename__ = "trend_phrases"
    __table_args__ = ({"sqlite_with_rowid": False},)  # clustered by the key: range scans
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    phrase_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year_group: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 0: not known


class TrendPhraseMonth(StatusCounts, Base):
    """`trend_phrases` summed by calendar month: a year of top phrases reads twelve months of
    rows here plus the part-months at the ends of the range in `trend_phrases`."""

    __tablename__ = "trend_phrases_monthly"
    __table_args__ = ({"sqlite_with_rowid": False},)  # clustered by the key: range scans
    month: Mapped[int] = mapped_column(Integer, primary_key=True)  # day number of the 1st
    phrase_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year_group: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 0: not known


class TrendDaily(StatusCounts, Base):
    """Incidents per school day across every filterable dimension at once: the roll-up a query
    falls back to when its filters cross the narrow kinds of `trend_counts`."""

    __tablename__ = "trend_daily"
    __table_args__ = ({"sqlite_with_rowid": False},)  # clustered by the key: range scans
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    severity: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    year_group: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 0: not known
    source: Mapped[str] = mapped_column(String(8), primary_key=True)
