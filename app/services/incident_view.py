"""One incident in full for the evidence viewer, and who has seen it (DESIGN §10).

Opening an incident in the viewer is an audited act (`incident.view`): "who has seen this
incident" is read back from the audit log, with evidence opens and reveals.

Threading: `view_incident` writes an audit event, so it runs on the DB executor;
`sightings` is read-only and may run anywhere.
"""

from __future__ import annotations

import json
from typing import Any

from app.domain.detail import EvidenceInfo, IncidentDetail, MatchDetail, Sighting
from app.domain.enums import IncidentStatus
from app.errors import NotFoundError
from app.security.authorisation import Permission
from app.services.console import Console
from app.services.users import UserSession
from db.models import Evidence, Match
from db.repositories import incident_detail_repo as repo
from db.repositories import triage_repo

SEEN_ACTIONS = {"incident.view": "viewed the incident",
                "evidence.open": "opened the screenshot",
                "evidence.reveal": "revealed restricted imagery",
                "evidence.verify_failed": "found the screenshot altered"}


def view_incident(console: Console, session: UserSession, incident_id: int) -> IncidentDetail:
    """The incident with its matches and evidence records; the view is audited first."""
    session.require(Permission.LIST_INCIDENTS)
    with console.unit_of_work(session.actor) as uow:
        row = repo.detail_row(uow.session, incident_id)
        if row is None:
            raise NotFoundError("That incident no longer exists.")
        matches = repo.matches_of(uow.session, incident_id)
        evidence = repo.evidence_of(uow.session, incident_id)
        uow.audit("incident.view", f"incident:{incident_id}")
        triage_repo.mark_reviewed(uow.session, [incident_id], console.clock())
        return _detail(console, row, matches, evidence)


def sightings(console: Console, session: UserSession, incident_id: int,
              limit: int = 50) -> list[Sighting]:
    """Who viewed the incident, opened or revealed its evidence: newest first."""
    session.require(Permission.LIST_INCIDENTS)
    with console.reading() as db:
        evidence_ids = [e.id for e in repo.evidence_of(db, incident_id)]
        targets = [f"incident:{incident_id}", *(f"evidence:{e}" for e in evidence_ids)]
        events = repo.events_about(db, targets, list(SEEN_ACTIONS), limit)
        return [Sighting(e.ts, e.actor, SEEN_ACTIONS[e.action], audit_reason(e.details))
                for e in events]


def _detail(console: Console, row: Any, matches: Any, evidence: Any) -> IncidentDetail:
    category = str(row.key)
    return IncidentDetail(
        id=row.id, uuid=row.uuid, captured_at=row.captured_at, received_at=row.received_at,
        clock_skew_s=row.clock_skew_s, category_key=category, severity=row.severity,
        status=IncidentStatus(row.status), source=row.source, subject_id=row.subject_id,
        subject_name=row.display_name, year_group=row.year_group, device_name=row.hostname,
        app=row.app, window_title=row.window_title, url=row.url, context=row.context_text,
        content_sealed=bool(row.content_sealed), library_version=row.library_version,
        signature_status=row.signature_status,
        matches=_matches(console, matches, category),
        evidence=tuple(_evidence(e) for e in evidence))


def _matches(console: Console, matches: list[Match], fallback: str) -> tuple[MatchDetail, ...]:
    if not matches:
        return ()
    # Imported here: the detection engine (numpy and the matcher) loads on the executor when
    # the first incident opens, not during the console's start-up.
    from app.services import library

    entries = library.library_in_force(console).library.by_id()
    out = []
    for m in matches:
        entry = entries.get(m.phrase_key or "")
        boxes = tuple((int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in json.loads(m.boxes))
        out.append(MatchDetail(m.matched_text, m.start, m.end, m.phrase_key,
                               entry.category if entry else fallback, boxes))
    return tuple(out)


def _evidence(e: Evidence) -> EvidenceInfo:
    return EvidenceInfo(e.id, e.kind, e.sealed_sha256, e.plaintext_sha256, e.verification,
                        e.restricted, e.width, e.height)


def audit_reason(details: str) -> str | None:
    """The `reason` an audit event recorded, if any (its details are JSON)."""
    try:
        value = json.loads(details).get("reason")
    except (ValueError, AttributeError):
        return None
    return str(value) if value else None
