"""A pupil's timeline: every incident, note and case entry about them on one line of time,
with counts per category — the context a DSL needs before deciding (issue: "pupil timeline").

Viewing it is audited (`subject.timeline`): it gathers a pupil's whole history in one place.

Threading: writes one audit event, so it runs on the DB executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.enums import IncidentStatus
from app.errors import NotFoundError
from app.security.authorisation import Permission
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import timeline_repo

LIMIT = 1000  # entries of each kind; the counts cover everything


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str  # "incident", "note" or "case"
    title: str
    category_key: str | None = None
    severity: int | None = None
    incident_id: int | None = None


@dataclass(frozen=True)
class PupilTimeline:
    subject_id: int
    name: str
    year_group: int | None
    counts: tuple[tuple[str, int], ...]  # category key, incidents (all time)
    entries: tuple[TimelineEntry, ...]  # newest first

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


def pupil_timeline(console: Console, session: UserSession, subject_id: int) -> PupilTimeline:
    session.require(Permission.LIST_INCIDENTS)
    with console.unit_of_work(session.actor) as uow:
        who = timeline_repo.subject(uow.session, subject_id)
        if who is None:
            raise NotFoundError("That pupil is not known to Kestrel.")
        entries = [*_incidents(timeline_repo.incidents_of(uow.session, subject_id, LIMIT)),
                   *(TimelineEntry(r[0], "note", f"Note on incident {r[1]}: {r[2]}",
                                   incident_id=int(r[1]))
                     for r in timeline_repo.notes_of(uow.session, subject_id, LIMIT)),
                   *(TimelineEntry(r[0], "case", _case_title(r[1], r[2], r[3], r[4]))
                     for r in timeline_repo.case_entries_of(uow.session, subject_id, LIMIT))]
        counts = tuple((str(k), int(n)) for k, n in timeline_repo.counts_of(uow.session,
                                                                              subject_id))
        uow.audit("subject.timeline", f"subject:{subject_id}")
    entries.sort(key=lambda e: e.when, reverse=True)
    return PupilTimeline(subject_id, who[0], who[1], counts, tuple(entries))


def _incidents(rows: Sequence[Any]) -> list[TimelineEntry]:
    out = []
    for r in rows:
        status = IncidentStatus(r[4]).label
        words = f"“{r[6]}”" if r[6] else "content locked"
        where = f" in {r[7]}" if r[7] else ""
        out.append(TimelineEntry(r[1], "incident", f"{words}{where} · {status}",
                                 str(r[2]), int(r[3]), int(r[0])))
    return out


def _case_title(reference: str, kind: str, body: str, agency: str | None) -> str:
    to = f" to {agency}" if agency else ""
    return f"{reference} · {kind}{to}: {body}"
