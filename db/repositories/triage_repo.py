"""SQL for triage: the three fields staff change on incidents, notes, and who can be assigned."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import Incident, IncidentNote, StaffUser
from db.repositories import rollup_repo

_FIELDS = {"status": Incident.status, "severity": Incident.severity,
           "assignee_id": Incident.assignee_id}


def values_of(session: Session, ids: Sequence[int], field: str) -> dict[int, Any]:
    column = _FIELDS[field]
    return {int(i): v for i, v in session.execute(
        select(Incident.id, column).where(Incident.id.in_(ids))).all()}


_COUNTED = {"status", "severity"}  # fields the trend roll-ups count by


def set_value(session: Session, ids: Sequence[int], field: str, value: Any) -> None:
    counted = field in _COUNTED
    if counted:
        rollup_repo.retract(session, ids)
    session.execute(update(Incident).where(Incident.id.in_(ids)).values({field: value}))
    if counted:
        rollup_repo.add(session, ids)


def mark_reviewed(session: Session, ids: Sequence[int], now: datetime) -> None:
    """The first look or triage change sets the time once: later ones change nothing (the
    roll-ups count each incident's review delay from then on)."""
    fresh = session.execute(select(Incident.id, Incident.received_at).where(
        Incident.id.in_(ids), Incident.first_reviewed_at.is_(None))).all()
    if not fresh:
        return
    fresh_ids = [int(i) for i, _ in fresh]
    rollup_repo.retract(session, fresh_ids)
    for incident_id, received in fresh:
        delay = max(0, int((now - received).total_seconds()))
        session.execute(update(Incident).where(Incident.id == incident_id).values(
            first_reviewed_at=now, review_delay_s=delay))
    rollup_repo.add(session, fresh_ids)


def add_note(session: Session, incident_id: int, author_id: int, body: str,
             now: datetime) -> None:
    session.add(IncidentNote(incident_id=incident_id, author_id=author_id, body=body,
                             created_at=now))


def notes_of(session: Session, incident_id: int) -> Sequence[Any]:
    return session.execute(
        select(IncidentNote.created_at, StaffUser.display_name, IncidentNote.body)
        .join(StaffUser, StaffUser.id == IncidentNote.author_id)
        .where(IncidentNote.incident_id == incident_id)
        .order_by(IncidentNote.created_at, IncidentNote.id)).all()


def staff_with_roles(session: Session, roles: Sequence[str]) -> Sequence[Any]:
    return session.execute(
        select(StaffUser.id, StaffUser.display_name, StaffUser.role)
        .where(StaffUser.role.in_(roles), StaffUser.disabled.is_(False))
        .order_by(StaffUser.display_name)).all()
