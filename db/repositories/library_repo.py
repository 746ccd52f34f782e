"""SQL for the school's layer over the phrase library, and the library's revision counter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from db.models import LibraryEdit, SettingRow, table
from db.repositories import settings_repo

REVISION_KEY = "library.revision"


def edits(session: Session) -> Sequence[LibraryEdit]:
    return session.execute(select(LibraryEdit).order_by(LibraryEdit.key)).scalars().all()


def replace_edits(session: Session, rows: Sequence[dict[str, Any]], when: datetime,
                  who: str) -> None:
    """Write each row as the one edit of its key (any earlier edit of that key goes)."""
    keys = [r["key"] for r in rows]
    for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
        session.execute(delete(LibraryEdit).where(LibraryEdit.key.in_(keys[start:start + 500])))
    if rows:
        session.execute(insert(table(LibraryEdit)),
                        [{**r, "updated_at": when, "updated_by": who} for r in rows])


def delete_edit(session: Session, key: str) -> None:
    session.execute(delete(LibraryEdit).where(LibraryEdit.key == key))


def revision(session: Session, *, for_update: bool = False) -> int:
    query = select(SettingRow.value).where(SettingRow.key == REVISION_KEY)
    if for_update:
        query = query.with_for_update()  # PostgreSQL: two consoles never take the same number
    value = session.execute(query).scalar_one_or_none()
    return int(value) if value is not None else 0


def set_revision(session: Session, value: int) -> None:
    settings_repo.put(session, REVISION_KEY, str(value))
