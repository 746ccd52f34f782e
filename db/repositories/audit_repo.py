"""SQL for the hash-chained audit log and its signed checkpoints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.orm import Session

from db.models import AuditCheckpoint, AuditEvent, table


def last_event(session: Session) -> tuple[int, str] | None:
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return None if row is None else (int(row.seq), str(row.hash))


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(insert(table(AuditEvent)), rows)


def insert_checkpoint(session: Session, seq: int, chain_hash: str, ts: datetime,
                      signature: bytes) -> None:
    session.execute(insert(table(AuditCheckpoint)),
                    [{"seq": seq, "hash": chain_hash, "ts": ts, "signature": signature}])


def iter_events(session: Session, batch: int = 5000) -> Iterator[Row[Any]]:
    """Every event in sequence order, fetched in keyset batches."""
    after = -1
    while True:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return
        yield from rows  # type: ignore[misc]
        after = rows[-1].seq


def checkpoints(session: Session) -> Sequence[AuditCheckpoint]:
    return session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).scalars().all()


def recent(session: Session, limit: int, before_seq: int | None = None, *,
           actor: str | None = None, action_prefix: str | None = None,
           target: str | None = None) -> Sequence[AuditEvent]:
    """Newest first; `target` is exact (indexed), `action_prefix` like "incident."."""
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if before_seq is not None:
        stmt = stmt.where(AuditEvent.seq < before_seq)
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    if action_prefix:
        stmt = stmt.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    if target:
        stmt = stmt.where(AuditEvent.target == target)
    return session.execute(stmt).scalars().all()


def in_period(session: Session, action_prefix: str, since: datetime, until: datetime,
              limit: int) -> tuple[Sequence[AuditEvent], int]:
    """Events whose action starts with `action_prefix` in [since, until): the newest `limit`
    of them, and how many there were. (A yearly report: a scan is acceptable here.)"""
    where = (AuditEvent.action.startswith(action_prefix, autoescape=True),
             AuditEvent.ts >= since, AuditEvent.ts < until)
    rows = session.execute(select(AuditEvent).where(*where).order_by(AuditEvent.seq.desc())
                           .limit(limit)).scalars().all()
    total = session.execute(select(func.count()).select_from(AuditEvent).where(*where))
    return rows, int(total.scalar_one())
