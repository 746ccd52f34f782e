"""SQL for retention: what is old enough to go, and removing it.

`delete_incidents` is the ONE place incidents are deleted, so everything an incident owns (its
matches, notes, manifest, evidence rows, text-index row — and later roll-up counts) is kept in
step in one function. It refuses an incident that is still in a case: a case's incidents go only
after the case itself (and a case on legal hold cannot be deleted, see `delete_case`).

Selections are keyset pages over an index, so a run over 1,000,000 incidents never holds more
than one batch of ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Delete,
    and_,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from db.models import (
    Case,
    CaseEntry,
    CaseIncident,
    Evidence,
    Incident,
    IncidentManifest,
    IncidentNote,
    Match,
)
from db.repositories import rollup_repo
from db.types import from_micros


class StillInCaseError(Exception):
    """A caller tried to delete an incident that is still linked to a case (a bug)."""


class CaseOnHoldError(Exception):
    """A caller tried to delete a case that is on legal hold, or no longer exists (a bug)."""


@dataclass(frozen=True)
class RemovedIncidents:
    uuids: list[str]
    sealed_hashes: list[str]  # the evidence files to remove once the transaction commits
    matches: int
    notes: int


@dataclass(frozen=True)
class ClosedCase:
    id: int
    reference: str
    legal_hold: bool
    closed_at: datetime
    touched_at: datetime  # newest chronology entry or linked incident


# --- incidents in no case -------------------------------------------------------------------

def _in_no_case() -> ColumnElement[bool]:
    return ~exists().where(CaseIncident.incident_id == Incident.id)


def due_incidents(session: Session, status: str, before: datetime,
                  after: tuple[datetime, int] | None, limit: int) -> list[tuple[int, datetime]]:
    """(id, captured_at) of the next `limit` incidents of `status`, captured before `before`
    and in no case, keyset-paged along ix_incidents_status_captured (status, captured, id)."""
    query = (select(Incident.id, Incident.captured_at)
             .where(Incident.status == status, Incident.captured_at < before, _in_no_case())
             .order_by(Incident.captured_at, Incident.id).limit(limit))
    if after is not None:
        # typed literals: the time must bind as stored (microseconds), not as a datetime
        query = query.where(tuple_(Incident.captured_at, Incident.id) > tuple_(
            literal(after[0], Incident.captured_at.type), literal(after[1], Incident.id.type)))
    return [(int(i), c) for i, c in session.execute(query)]


def count_due(session: Session, status: str, before: datetime) -> tuple[int, int]:
    """(incidents, evidence files) the incident rule would remove for `status`."""
    due = (select(Incident.id).where(Incident.status == status, Incident.captured_at < before,
                                     _in_no_case()).subquery())
    incidents = session.execute(select(func.count()).select_from(due)).scalar_one()
    files = session.execute(select(func.count(Evidence.id))
                            .where(Evidence.incident_id.in_(select(due.c.id)))).scalar_one()
    return int(incidents), int(files)


def count_kept_in_cases(session: Session, rules: Sequence[tuple[str, datetime]],
                        hold_case_ids: Sequence[int]) -> tuple[int, int]:
    """(in a case on legal hold, in a case that is kept): incidents the incident rule would
    otherwise remove, plus — for the first — every incident of the due-but-held cases."""
    old = or_(*(and_(Incident.status == s, Incident.captured_at < b) for s, b in rules))
    held_link = (select(CaseIncident.incident_id).join(Case, Case.id == CaseIncident.case_id)
                 .where(Case.legal_hold.is_(True)))
    on_hold = session.execute(
        select(func.count()).select_from(Incident).where(
            Incident.id.in_(held_link),
            or_(old, Incident.id.in_(select(CaseIncident.incident_id)
                                     .where(CaseIncident.case_id.in_(hold_case_ids))))))
    in_case = session.execute(
        select(func.count()).select_from(Incident).where(
            old, ~_in_no_case(), Incident.id.not_in(held_link)))
    return int(on_hold.scalar_one()), int(in_case.scalar_one())


# --- closed cases ---------------------------------------------------------------------------

def closed_cases(session: Session, before: datetime,
                 case_id: int | None = None) -> list[ClosedCase]:
    """Closed cases whose closing (latest status entry, else opening) is before `before`."""
    closed_at = func.coalesce(
        select(func.max(CaseEntry.recorded_at))
        .where(CaseEntry.case_id == Case.id, CaseEntry.kind == "status").scalar_subquery(),
        Case.opened_at)
    last_entry = (select(func.max(CaseEntry.recorded_at)).where(CaseEntry.case_id == Case.id)
                  .scalar_subquery())
    last_incident = (select(func.max(Incident.captured_at))
                     .join(CaseIncident, CaseIncident.incident_id == Incident.id)
                     .where(CaseIncident.case_id == Case.id).scalar_subquery())
    query = (select(Case.id, Case.reference, Case.legal_hold, closed_at, last_entry,
                    last_incident, Case.opened_at)
             .where(Case.status == "closed", closed_at < before).order_by(Case.id))
    if case_id is not None:
        query = query.where(Case.id == case_id)
    return [ClosedCase(int(r[0]), str(r[1]), bool(r[2]), _when(r[3]),
                       max(_when(t) for t in (r[4], r[5], r[6]) if t is not None))
            for r in session.execute(query)]


def _when(value: Any) -> datetime:
    # A coalesce or max over UtcDateTime columns may come back as the stored microseconds.
    return value if isinstance(value, datetime) else from_micros(int(value))


def _only_in(case_ids: Sequence[int]) -> Any:
    """Incidents linked to these cases and to no other case."""
    elsewhere = exists().where(CaseIncident.incident_id == Incident.id,
                               CaseIncident.case_id.not_in(case_ids))
    return (select(Incident.id).where(
        Incident.id.in_(select(CaseIncident.incident_id)
                        .where(CaseIncident.case_id.in_(case_ids))), ~elsewhere))


def count_only_in(session: Session, case_ids: Sequence[int]) -> tuple[int, int]:
    """(incidents, evidence files) that would go with these cases."""
    if not case_ids:
        return 0, 0
    ids = _only_in(case_ids).subquery()
    incidents = session.execute(select(func.count()).select_from(ids)).scalar_one()
    files = session.execute(select(func.count(Evidence.id))
                            .where(Evidence.incident_id.in_(select(ids.c.id)))).scalar_one()
    return int(incidents), int(files)


def incidents_only_in(session: Session, case_id: int) -> list[int]:
    return [int(i) for i in session.execute(_only_in([case_id]).order_by(Incident.id))
            .scalars()]


def delete_case(session: Session, case_id: int) -> int:
    """Delete a case that is not on legal hold: its chronology, its links, the case row.
    Returns the number of chronology entries removed. Its incidents stay (see
    `delete_incidents`); refuses a case on hold."""
    held = session.execute(select(Case.legal_hold).where(Case.id == case_id)).scalar_one_or_none()
    if held is None or held:
        raise CaseOnHoldError(f"case {case_id} is on legal hold or gone")
    entries = _deleted(session, delete(CaseEntry).where(CaseEntry.case_id == case_id))
    session.execute(delete(CaseIncident).where(CaseIncident.case_id == case_id))
    session.execute(delete(Case).where(Case.id == case_id, Case.legal_hold.is_(False)))
    return entries


# --- removal --------------------------------------------------------------------------------

def delete_incidents(session: Session, ids: Sequence[int]) -> RemovedIncidents:
    """Delete these incidents and everything they own, inside the caller's transaction.

    The only place incidents are deleted (keep roll-ups and indexes in step here). Refuses
    incidents still linked to a case: the foreign key would too, this says why."""
    ids = list(ids)
    if not ids:
        return RemovedIncidents([], [], 0, 0)
    if session.execute(select(exists().where(CaseIncident.incident_id.in_(ids)))).scalar():
        raise StillInCaseError("refusing to delete incidents that are still in a case")
    uuids = list(session.execute(select(Incident.uuid).where(Incident.id.in_(ids))
                                 .order_by(Incident.id)).scalars())
    hashes = list(session.execute(select(Evidence.sealed_sha256)
                                  .where(Evidence.incident_id.in_(ids))
                                  .order_by(Evidence.id)).scalars())
    rollup_repo.retract(session, ids)  # before any row goes: it reads incidents and matches
    matches = _deleted(session, delete(Match).where(Match.incident_id.in_(ids)))
    notes = _deleted(session, delete(IncidentNote).where(IncidentNote.incident_id.in_(ids)))
    session.execute(delete(Evidence).where(Evidence.incident_id.in_(ids)))
    session.execute(delete(IncidentManifest).where(IncidentManifest.incident_id.in_(ids)))
    if session.get_bind().dialect.name == "sqlite":  # PostgreSQL's GIN index goes with the row
        session.execute(text("DELETE FROM incidents_fts WHERE rowid = :id"),
                        [{"id": i} for i in ids])
    session.execute(delete(Incident).where(Incident.id.in_(ids)))
    return RemovedIncidents([str(u) for u in uuids], [str(h) for h in hashes], matches, notes)


def _deleted(session: Session, statement: Delete) -> int:
    return int(cast(CursorResult[Any], session.execute(statement)).rowcount or 0)


def referenced_hashes(session: Session, hashes: Sequence[str]) -> set[str]:
    """Which of these sealed files an evidence row still names (never remove those)."""
    found: set[str] = set()
    for start in range(0, len(hashes), 500):
        found.update(session.execute(select(Evidence.sealed_sha256).where(
            Evidence.sealed_sha256.in_(list(hashes[start:start + 500])))).scalars())
    return found
