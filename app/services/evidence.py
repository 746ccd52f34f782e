"""Opening evidence: authorise → audit (committed) → read the sealed file → check its hash →
decrypt into memory → check the plaintext hash. Each step fails closed: nothing is decrypted
unless the audit event is on disk, and nothing is returned unless every check passed.

Threading: call on the DB executor (it writes the audit event).
"""

from __future__ import annotations

import hashlib
import json

from app.domain.dto import OpenedEvidence
from app.errors import IntegrityError, NotFoundError
from app.security.authorisation import Permission
from app.security.sealing import open_sealed, seal_aad
from app.services.console import Console
from app.services.evidence_store import unpack
from app.services.users import UserSession
from db.repositories import evidence_repo, incidents_repo


def evidence_ids(console: Console, session: UserSession, incident_id: int) -> list[int]:
    session.require(Permission.LIST_INCIDENTS)
    with console.reading() as db:
        return [e.id for e in evidence_repo.for_incident(db, incident_id)]


def open_evidence(console: Console, session: UserSession, evidence_id: int) -> OpenedEvidence:
    session.require(Permission.OPEN_EVIDENCE)
    private_key = session.evidence_key()
    with console.unit_of_work(session.actor) as uow:
        record = evidence_repo.by_id(uow.session, evidence_id)
        if record is None:
            raise NotFoundError("That evidence no longer exists.")
        incident = incidents_repo.manifest_for(uow.session, record.incident_id)
        uuid = json.loads(incident.manifest)["uuid"] if incident else ""
        boxes = evidence_repo.match_boxes(uow.session, record.incident_id)
        uow.audit("evidence.open", f"evidence:{evidence_id}", incident=record.incident_id,
                  sha256=record.sealed_sha256)
        facts = (record.incident_id, record.sealed_sha256, record.plaintext_sha256,
                 record.media_type, record.width, record.height, record.restricted, record.kind)
    incident_id, sealed_sha, plain_sha, media, width, height, restricted, kind = facts
    sealed = unpack(console.evidence.get(sealed_sha))
    data = open_sealed(sealed, private_key, seal_aad(uuid, kind))
    if hashlib.sha256(data).hexdigest() != plain_sha:
        raise IntegrityError("The opened evidence does not match the hash the device "
                             "recorded; it is not shown.")
    all_boxes = tuple((int(b[0]), int(b[1]), int(b[2]), int(b[3]))
                      for raw in boxes for b in json.loads(raw))
    return OpenedEvidence(evidence_id, incident_id, media, data, width, height, restricted,
                          all_boxes)
