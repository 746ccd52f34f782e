"""SQL for reference data: the site, categories, phrases, subjects (pupils) and devices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db.models import Category, Device, Site, Subject, table


def site(session: Session) -> Site | None:
    return session.execute(select(Site).limit(1)).scalar_one_or_none()


def add_site(session: Session, row: dict[str, Any]) -> None:
    session.execute(insert(table(Site)), [row])


def category_ids(session: Session) -> dict[str, int]:
    return {k: i for k, i in session.execute(select(Category.key, Category.id)).all()}


def categories(session: Session) -> Sequence[Category]:
    return session.execute(select(Category).order_by(Category.id)).scalars().all()


def insert_categories(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(insert(table(Category)), rows)


def insert_subjects(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(table(Subject)), rows)


def subject_ids(session: Session, logins: Sequence[str] | None = None) -> dict[str, int]:
    query = select(Subject.login, Subject.id)
    if logins is not None:
        query = query.where(Subject.login.in_(list(logins)))
    return {k: i for k, i in session.execute(query).all()}


def subject_years(session: Session, logins: Sequence[str] | None = None) -> dict[int, int]:
    """Year group by pupil id, for pupils whose year group is known."""
    query = select(Subject.id, Subject.year_group).where(Subject.year_group.is_not(None))
    if logins is not None:
        query = query.where(Subject.login.in_(list(logins)))
    return {int(i): int(y) for i, y in session.execute(query).all() if y is not None}


def count_subjects(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Subject)).scalar_one())


def insert_devices(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(table(Device)), rows)


def devices(session: Session) -> Sequence[Device]:
    return session.execute(select(Device).order_by(Device.id)).scalars().all()
