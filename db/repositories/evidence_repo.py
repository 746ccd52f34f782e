"""SQL for evidence records (the sealed files themselves live in the evidence store)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Evidence, Match


def by_id(session: Session, evidence_id: int) -> Evidence | None:
    return session.get(Evidence, evidence_id)


def for_incident(session: Session, incident_id: int) -> Sequence[Evidence]:
    return session.execute(
        select(Evidence).where(Evidence.incident_id == incident_id).order_by(Evidence.id)
    ).scalars().all()


def match_boxes(session: Session, incident_id: int) -> Sequence[str]:
    return session.execute(
        select(Match.boxes).where(Match.incident_id == incident_id)).scalars().all()


def iter_hashes(session: Session, batch: int = 5000) -> Iterator[tuple[int, str]]:
    after = 0
    while True:
        rows = session.execute(
            select(Evidence.id, Evidence.sealed_sha256).where(Evidence.id > after)
            .order_by(Evidence.id).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            yield int(row[0]), str(row[1])
        after = int(rows[-1][0])
