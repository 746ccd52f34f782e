"""SQL for cases, their incidents and their chronology (entries are only ever inserted)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.models import (
    Case,
    CaseEntry,
    CaseIncident,
    Category,
    Evidence,
    Incident,
    StaffUser,
    Subject,
)


def next_number(session: Session, prefix: str) -> int:
    """The next free N of `prefix`NNNN (e.g. KES-2026-0042 → 43)."""
    last = session.execute(select(func.max(Case.reference))
                           .where(Case.reference.startswith(prefix))).scalar_one_or_none()
    return int(last[len(prefix):]) + 1 if last else 1


def add_case(session: Session, values: dict[str, Any]) -> int:
    case = Case(**values)
    session.add(case)
    session.flush()
    return int(case.id)


def by_id(session: Session, case_id: int) -> Case | None:
    return session.get(Case, case_id)


def by_reference(session: Session, reference: str) -> Case | None:
    return session.execute(select(Case).where(Case.reference == reference)).scalar_one_or_none()


def live_case_of(session: Session, subject_id: int) -> int | None:
    """The pupil's most recently opened case that is not closed."""
    found = session.execute(select(Case.id).where(Case.subject_id == subject_id,
                                                  Case.status != "closed")
                            .order_by(Case.opened_at.desc(), Case.id.desc()).limit(1)
                            ).scalar_one_or_none()
    return int(found) if found is not None else None


def set_fields(session: Session, case_id: int, **values: Any) -> None:
    session.execute(update(Case).where(Case.id == case_id).values(**values))


def subjects_of_incidents(session: Session, incident_ids: Sequence[int]) -> dict[int, int | None]:
    return {int(i): s for i, s in session.execute(
        select(Incident.id, Incident.subject_id).where(Incident.id.in_(incident_ids))).all()}


def linked_ids(session: Session, case_id: int) -> set[int]:
    return set(session.execute(select(CaseIncident.incident_id)
                               .where(CaseIncident.case_id == case_id)).scalars())


def link(session: Session, case_id: int, incident_ids: Sequence[int]) -> None:
    session.add_all([CaseIncident(case_id=case_id, incident_id=i) for i in incident_ids])


def add_entry(session: Session, values: dict[str, Any]) -> int:
    entry = CaseEntry(**values)
    session.add(entry)
    session.flush()
    return int(entry.id)


def entry_case(session: Session, entry_id: int) -> int | None:
    return session.execute(select(CaseEntry.case_id).where(CaseEntry.id == entry_id)
                           ).scalar_one_or_none()


def entries(session: Session, case_id: int) -> Sequence[Any]:
    return session.execute(
        select(CaseEntry.id, CaseEntry.kind, CaseEntry.body, CaseEntry.occurred_at,
               CaseEntry.recorded_at, StaffUser.display_name, CaseEntry.agency,
               CaseEntry.agency_reference, CaseEntry.contact_with, CaseEntry.outcome,
               CaseEntry.corrects_id)
        .join(StaffUser, StaffUser.id == CaseEntry.author_id)
        .where(CaseEntry.case_id == case_id)
        .order_by(CaseEntry.occurred_at, CaseEntry.recorded_at, CaseEntry.id)).all()


def incidents(session: Session, case_id: int) -> Sequence[Any]:
    restricted = (select(func.count()).select_from(Evidence)
                  .where(Evidence.incident_id == Incident.id, Evidence.restricted.is_(True))
                  .scalar_subquery())
    return session.execute(
        select(Incident.id, Incident.captured_at, Category.key, Incident.severity,
               Incident.matched_text, Category.restricted_imagery, restricted)
        .join(CaseIncident, CaseIncident.incident_id == Incident.id)
        .join(Category, Category.id == Incident.category_id)
        .where(CaseIncident.case_id == case_id)
        .order_by(Incident.captured_at, Incident.id)).all()


def summaries(session: Session, limit: int, status: str | None = None,
              case_id: int | None = None) -> Sequence[Any]:
    counts = (select(func.count()).select_from(CaseIncident)
              .where(CaseIncident.case_id == Case.id).scalar_subquery())
    last = (select(func.max(CaseEntry.occurred_at)).where(CaseEntry.case_id == Case.id)
            .scalar_subquery())
    stmt = (select(Case.id, Case.reference, Subject.display_name, Subject.year_group,
                   Case.status, Case.legal_hold, Case.opened_at, counts, last,
                   Case.subject_id, Case.opened_by, Case.summary)
            .join(Subject, Subject.id == Case.subject_id)
            .order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit))
    if status is not None:
        stmt = stmt.where(Case.status == status)
    if case_id is not None:
        stmt = stmt.where(Case.id == case_id)
    return session.execute(stmt).all()


def staff_name(session: Session, user_id: int) -> str:
    return str(session.execute(select(StaffUser.display_name).where(StaffUser.id == user_id)
                               ).scalar_one())
