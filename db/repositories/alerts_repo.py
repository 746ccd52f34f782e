"""SQL for alerts: new incidents at or above a severity, counted per category, and which of a
set of incidents nobody has opened yet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEvent, Category, Incident


def new_by_category(session: Session, after_id: int, min_severity: int) -> Sequence[Any]:
    """(category name, count, newest id) of NEW incidents with id > after_id."""
    return session.execute(
        select(Category.name, func.count(), func.max(Incident.id))
        .join(Category, Category.id == Incident.category_id)
        .where(Incident.id > after_id, Incident.severity >= min_severity,
               Incident.status == "new")
        .group_by(Category.name).order_by(func.count().desc(), Category.name)).all()


def new_ids(session: Session, after_id: int, min_severity: int, limit: int) -> list[int]:
    return [int(i) for i in session.execute(
        select(Incident.id).where(Incident.id > after_id, Incident.severity >= min_severity,
                                  Incident.status == "new")
        .order_by(Incident.id.desc()).limit(limit)).scalars()]


def unopened(session: Session, ids: Sequence[int]) -> list[int]:
    """Those of `ids` still NEW that no one has viewed (no `incident.view` event)."""
    if not ids:
        return []
    still_new = set(session.execute(
        select(Incident.id).where(Incident.id.in_(ids), Incident.status == "new")).scalars())
    viewed = set(session.execute(
        select(AuditEvent.target).where(
            AuditEvent.target.in_([f"incident:{i}" for i in still_new]),
            AuditEvent.action == "incident.view")).scalars())
    return sorted(i for i in still_new if f"incident:{i}" not in viewed)
