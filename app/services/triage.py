"""Triage: status, severity and assignee changes on incidents, notes, and undo.

Each change is one audited unit of work (an event per incident that changed) and returns a
`TriageChange` that says what the values were before, so the UI can undo it: undo is a new,
audited change back to those values (the log keeps both), refused for any incident someone
has changed since.

Threading: the changes run on the DB executor; reads may run anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.enums import IncidentStatus, Role
from app.errors import ValidationError
from app.events import ChangeSet
from app.security.authorisation import Permission
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import triage_repo

NOTE_MAX = 4000
ASSIGNABLE_ROLES = (Role.DSL.value, Role.DEPUTY.value)


@dataclass(frozen=True)
class TriageChange:
    """One triage act: the field, each incident's value before, the value after."""

    field: str
    before: tuple[tuple[int, Any], ...]
    after: Any
    change: ChangeSet
    summary: str  # "2 incidents: severity 4"


@dataclass(frozen=True)
class StaffChoice:
    id: int
    name: str
    role: str


@dataclass(frozen=True)
class NoteView:
    written_at: Any
    author: str
    body: str


def set_status(console: Console, session: UserSession, incident_ids: Sequence[int],
               status: IncidentStatus, reason: str | None = None) -> TriageChange:
    """Move incidents to a triage status (a false positive may carry a reason)."""
    details = {"reason": " ".join(reason.split())[:500]} if reason and reason.strip() else {}
    return _change(console, session, incident_ids, "status", status.value, "incident.status",
                   f"{status.label}", **details)


def regrade(console: Console, session: UserSession, incident_ids: Sequence[int],
            severity: int) -> TriageChange:
    if not 1 <= severity <= 5:
        raise ValidationError("Severity runs from 1 to 5.")
    return _change(console, session, incident_ids, "severity", severity, "incident.severity",
                   f"severity {severity}")


def assign(console: Console, session: UserSession, incident_ids: Sequence[int],
           user_id: int | None) -> TriageChange:
    """Give incidents to a DSL or deputy (None: nobody)."""
    if user_id is not None and user_id not in {s.id for s in assignable_staff(console, session)}:
        raise ValidationError("Incidents can be assigned only to a DSL or a deputy.")
    return _change(console, session, incident_ids, "assignee_id", user_id, "incident.assign",
                   "assigned" if user_id is not None else "unassigned")


def undo(console: Console, session: UserSession, done: TriageChange) -> TriageChange:
    """Put back the values `done` replaced, if nobody has changed them since."""
    session.require(Permission.LIST_INCIDENTS)
    ids = [i for i, _ in done.before]
    with console.unit_of_work(session.actor) as uow:
        now = triage_repo.values_of(uow.session, ids, done.field)
        moved = [i for i in ids if i in now and now[i] != done.after]
        if moved:
            raise ValidationError(f"{len(moved)} of those incidents were changed since; "
                                  "nothing was undone.")
        for incident_id, old in done.before:
            if old != done.after:
                triage_repo.set_value(uow.session, [incident_id], done.field, old)
                uow.audit(_ACTIONS[done.field], f"incident:{incident_id}", old=done.after,
                          new=old, undo=True)
    return TriageChange(done.field, tuple((i, done.after) for i in ids), None,
                        ChangeSet(incidents=True, incident_ids=tuple(ids)),
                        f"undone: {done.summary}")


def add_note(console: Console, session: UserSession, incident_id: int,
             body: str) -> ChangeSet:
    session.require(Permission.LIST_INCIDENTS)
    body = body.strip()
    if not body:
        raise ValidationError("A note needs some words.")
    if len(body) > NOTE_MAX:
        raise ValidationError(f"A note holds up to {NOTE_MAX} characters.")
    with console.unit_of_work(session.actor) as uow:
        if not triage_repo.values_of(uow.session, [incident_id], "status"):
            raise ValidationError("That incident no longer exists.")
        triage_repo.add_note(uow.session, incident_id, session.user.id, body, console.clock())
        uow.audit("incident.note", f"incident:{incident_id}", characters=len(body))
    return ChangeSet(incidents=True, incident_ids=(incident_id,))


def notes(console: Console, session: UserSession, incident_id: int) -> list[NoteView]:
    session.require(Permission.LIST_INCIDENTS)
    with console.reading() as db:
        return [NoteView(r[0], r[1], r[2]) for r in triage_repo.notes_of(db, incident_id)]


def assignable_staff(console: Console, session: UserSession) -> list[StaffChoice]:
    session.require(Permission.LIST_INCIDENTS)
    with console.reading() as db:
        return [StaffChoice(int(r[0]), r[1], r[2])
                for r in triage_repo.staff_with_roles(db, ASSIGNABLE_ROLES)]


_ACTIONS = {"status": "incident.status", "severity": "incident.severity",
            "assignee_id": "incident.assign"}


def _change(console: Console, session: UserSession, incident_ids: Sequence[int], field: str,
            value: Any, action: str, label: str, **details: Any) -> TriageChange:
    session.require(Permission.LIST_INCIDENTS)
    ids = sorted(set(incident_ids))
    if not ids:
        raise ValidationError("Select at least one incident.")
    with console.unit_of_work(session.actor) as uow:
        before = triage_repo.values_of(uow.session, ids, field)
        missing = set(ids) - set(before)
        if missing:
            raise ValidationError(f"{len(missing)} of those incidents no longer exist.")
        changed = [i for i in ids if before[i] != value]
        if changed:
            triage_repo.set_value(uow.session, changed, field, value)
            triage_repo.mark_reviewed(uow.session, changed, console.clock())
        for incident_id in changed:
            uow.audit(action, f"incident:{incident_id}", old=before[incident_id], new=value,
                      **details)
        if not changed:
            uow.audit(f"{action}.unchanged", f"incidents:{len(ids)}", new=value)
    noun = "incident" if len(ids) == 1 else "incidents"
    return TriageChange(field, tuple((i, before[i]) for i in changed), value,
                        ChangeSet(incidents=True, incident_ids=tuple(changed)),
                        f"{len(ids)} {noun}: {label}")
