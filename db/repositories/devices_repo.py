"""SQL for devices: lookup by certificate, admission, revocation and hello telemetry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from db.models import Device, table


def by_fingerprint(session: Session, fingerprint: str) -> Device | None:
    return session.execute(
        select(Device).where(Device.cert_fingerprint == fingerprint)).scalar_one_or_none()


def by_uuid(session: Session, device_uuid: str) -> Device | None:
    return session.execute(select(Device).where(Device.uuid == device_uuid)).scalar_one_or_none()


def by_id(session: Session, device_id: int) -> Device | None:
    return session.get(Device, device_id)


def all_devices(session: Session) -> Sequence[Device]:
    return session.execute(select(Device).order_by(Device.hostname, Device.id)).scalars().all()


def add(session: Session, row: dict[str, Any]) -> int:
    result = session.execute(insert(table(Device)).returning(table(Device).c.id), [row])
    return int(result.scalar_one())


def set_state(session: Session, device_id: int, state: str) -> None:
    session.execute(update(Device).where(Device.id == device_id).values(state=state))


def replace_certificate(session: Session, device_id: int, values: dict[str, Any]) -> None:
    session.execute(update(Device).where(Device.id == device_id).values(**values))


def record_heartbeats(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany: `rows` carry b_id plus the telemetry columns to set."""
    if rows:
        statement = (update(table(Device))
                     .where(table(Device).c.id == bindparam("b_id"))
                     .values(last_seen_at=bindparam("last_seen_at"),
                             agent_version=bindparam("agent_version"),
                             clock_skew_s=bindparam("clock_skew_s"),
                             outbox_depth=bindparam("outbox_depth"),
                             screenshots_dropped=bindparam("screenshots_dropped"),
                             last_address=bindparam("last_address")))
        session.execute(statement, list(rows))
