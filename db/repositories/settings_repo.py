"""SQL for console-wide settings kept in the database (shared by every console PC)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import SettingRow


def get(session: Session, key: str) -> str | None:
    return session.execute(select(SettingRow.value).where(SettingRow.key == key)
                           ).scalar_one_or_none()


def put(session: Session, key: str, value: str) -> None:
    row = session.get(SettingRow, key)
    if row is None:
        session.add(SettingRow(key=key, value=value))
    else:
        row.value = value
    session.flush()
