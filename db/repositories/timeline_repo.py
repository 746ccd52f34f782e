"""SQL for a pupil's timeline: their incidents, the case entries about them, notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Case, CaseEntry, Category, Incident, IncidentNote, Subject


def subject(session: Session, subject_id: int) -> Any | None:
    return session.execute(select(Subject.display_name, Subject.year_group)
                           .where(Subject.id == subject_id)).first()


def incidents_of(session: Session, subject_id: int, limit: int) -> Sequence[Any]:
    return session.execute(
        select(Incident.id, Incident.captured_at, Category.key, Incident.severity,
               Incident.status, Incident.source, Incident.matched_text, Incident.app)
        .join(Category, Category.id == Incident.category_id)
        .where(Incident.subject_id == subject_id)
        .order_by(Incident.captured_at.desc(), Incident.id.desc()).limit(limit)).all()


def counts_of(session: Session, subject_id: int) -> Sequence[Any]:
    return session.execute(
        select(Category.key, func.count()).select_from(Incident)
        .join(Category, Category.id == Incident.category_id)
        .where(Incident.subject_id == subject_id)
        .group_by(Category.key).order_by(func.count().desc())).all()


def case_entries_of(session: Session, subject_id: int, limit: int) -> Sequence[Any]:
    return session.execute(
        select(CaseEntry.occurred_at, Case.reference, CaseEntry.kind, CaseEntry.body,
               CaseEntry.agency)
        .join(Case, Case.id == CaseEntry.case_id)
        .where(Case.subject_id == subject_id)
        .order_by(CaseEntry.occurred_at.desc()).limit(limit)).all()


def notes_of(session: Session, subject_id: int, limit: int) -> Sequence[Any]:
    return session.execute(
        select(IncidentNote.created_at, IncidentNote.incident_id, IncidentNote.body)
        .join(Incident, Incident.id == IncidentNote.incident_id)
        .where(Incident.subject_id == subject_id)
        .order_by(IncidentNote.created_at.desc()).limit(limit)).all()
