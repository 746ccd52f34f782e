"""SQL the demo seeder uses to pick pupils for its invented cases."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Category, Evidence, Incident


def pupils_with_restricted_evidence(session: Session, limit: int) -> list[int]:
    return [int(s or 0) for s in session.execute(
        select(Incident.subject_id).join(Evidence, Evidence.incident_id == Incident.id)
        .where(Evidence.restricted.is_(True), Incident.subject_id.is_not(None))
        .group_by(Incident.subject_id).order_by(Incident.subject_id).limit(limit)).scalars()]


def busiest_pupils(session: Session, limit: int) -> list[int]:
    return [int(s or 0) for s in session.execute(
        select(Incident.subject_id).where(Incident.subject_id.is_not(None))
        .group_by(Incident.subject_id).order_by(func.count().desc(), Incident.subject_id)
        .limit(limit)).scalars()]


def incidents_of(session: Session, subject_id: int, limit: int) -> list[tuple[int, str]]:
    """(id, category key) of the pupil's latest incidents."""
    return [(int(i), str(k)) for i, k in session.execute(
        select(Incident.id, Category.key).join(Category, Category.id == Incident.category_id)
        .where(Incident.subject_id == subject_id)
        .order_by(Incident.captured_at.desc()).limit(limit)).all()]
