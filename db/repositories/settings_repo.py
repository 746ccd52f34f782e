"""SQL for console-wide settings kept in the database (shared by every console PC)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
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


def with_prefix(session: Session, prefix: str) -> dict[str, str]:
    """Every setting whose key starts with `prefix` (e.g. "retention.")."""
    return {str(k): str(v) for k, v in session.execute(
        select(SettingRow.key, SettingRow.value).where(SettingRow.key.startswith(prefix)))}


def remove(session: Session, keys: Sequence[str]) -> None:
    if keys:
        session.execute(delete(SettingRow).where(SettingRow.key.in_(list(keys))))
