"""SQL for one incident seen in full (the evidence viewer) and for who has seen it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from db.models import AuditEvent, Category, Device, Evidence, Incident, Match, Subject


def detail_row(session: Session, incident_id: int) -> Any | None:
    """The incident joined with its category, pupil and device (None if it is gone)."""
    return session.execute(
        select(Incident.id, Incident.uuid, Incident.captured_at, Incident.received_at,
               Category.key, Incident.severity, Incident.status, Incident.source,
               Subject.display_name, Subject.year_group, Device.hostname, Device.clock_skew_s,
               Incident.app, Incident.window_title, Incident.url, Incident.context_text,
               Incident.library_version, Incident.signature_status, Incident.content_sealed,
               Incident.subject_id)
        .join(Category, Category.id == Incident.category_id)
        .join(Device, Device.id == Incident.device_id)
        .outerjoin(Subject, Subject.id == Incident.subject_id)
        .where(Incident.id == incident_id)).first()


def matches_of(session: Session, incident_id: int) -> Sequence[Match]:
    return session.execute(
        select(Match).where(Match.incident_id == incident_id).order_by(Match.start, Match.id)
    ).scalars().all()


def evidence_of(session: Session, incident_id: int) -> Sequence[Evidence]:
    return session.execute(
        select(Evidence).where(Evidence.incident_id == incident_id).order_by(Evidence.id)
    ).scalars().all()


def set_verification(session: Session, evidence_id: int, state: str) -> None:
    session.execute(update(Evidence).where(Evidence.id == evidence_id)
                    .values(verification=state))


def events_about(session: Session, targets: Sequence[str], actions: Sequence[str],
                 limit: int) -> Sequence[AuditEvent]:
    """The newest audit events whose target is one of `targets` (index on target, seq)."""
    return session.execute(
        select(AuditEvent)
        .where(or_(*(AuditEvent.target == t for t in targets)),
               AuditEvent.action.in_(actions))
        .order_by(AuditEvent.seq.desc()).limit(limit)).scalars().all()
