"""SQL for staff users and their key slots."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import KeySlot, StaffUser


def by_username(session: Session, username: str) -> StaffUser | None:
    return session.execute(
        select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()


def by_id(session: Session, user_id: int) -> StaffUser | None:
    return session.get(StaffUser, user_id)


def add(session: Session, user: StaffUser) -> StaffUser:
    session.add(user)
    session.flush()
    return user


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(StaffUser)).scalar_one())


def slot(session: Session, user_id: int, purpose: str) -> KeySlot | None:
    return session.execute(
        select(KeySlot).where(KeySlot.user_id == user_id, KeySlot.purpose == purpose)
    ).scalar_one_or_none()


def put_slot(session: Session, user_id: int, purpose: str, kdf: str, wrapped: bytes) -> None:
    existing = slot(session, user_id, purpose)
    if existing is None:
        session.add(KeySlot(user_id=user_id, purpose=purpose, kdf=kdf, wrapped=wrapped))
    else:
        existing.kdf, existing.wrapped = kdf, wrapped
    session.flush()
