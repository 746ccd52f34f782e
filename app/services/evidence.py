"""Opening evidence: authorise → audit (committed) → read the sealed file → check its hash →
decrypt into memory → check the plaintext hash. Each step fails closed: nothing is decrypted
unless the audit event is on disk, and nothing is returned unless every check passed.

Restricted imagery (DESIGN §11) comes back blurred (`app.services.imagery`) unless it is
revealed: DSL only (the role matrix), with a reason, audited as `evidence.reveal`. A file that
fails its hash check is marked `failed` for good and the failure is audited.

Threading: call on the DB executor (it writes audit events).
"""

from __future__ import annotations

import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.domain.dto import OpenedEvidence
from app.errors import IntegrityError, NotFoundError, ValidationError
from app.security.authorisation import Permission
from app.security.sealing import open_sealed, seal_aad
from app.services.console import Console
from app.services.evidence_store import unpack
from app.services.imagery import blurred_png
from app.services.users import UserSession
from db.repositories import evidence_repo, incident_detail_repo, incidents_repo

VERIFIED, FAILED = "verified", "failed"


def evidence_ids(console: Console, session: UserSession, incident_id: int) -> list[int]:
    session.require(Permission.LIST_INCIDENTS)
    with console.reading() as db:
        return [e.id for e in evidence_repo.for_incident(db, incident_id)]


def open_evidence(console: Console, session: UserSession, evidence_id: int) -> OpenedEvidence:
    """The evidence, decrypted in memory; restricted imagery blurred."""
    return _open(console, session, evidence_id, None)


def reveal_evidence(console: Console, session: UserSession, evidence_id: int,
                    reason: str) -> OpenedEvidence:
    """Restricted imagery unblurred, for a DSL who has said why (the reason is audited)."""
    session.require(Permission.REVEAL_RESTRICTED)
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise ValidationError("Say in a few words why you need to see this image.")
    return _open(console, session, evidence_id, reason[:500])


def _open(console: Console, session: UserSession, evidence_id: int,
          reveal_reason: str | None) -> OpenedEvidence:
    session.require(Permission.OPEN_EVIDENCE)
    private_key = session.evidence_key()
    with console.unit_of_work(session.actor) as uow:
        record = evidence_repo.by_id(uow.session, evidence_id)
        if record is None:
            raise NotFoundError("That evidence no longer exists.")
        incident = incidents_repo.manifest_for(uow.session, record.incident_id)
        uuid = json.loads(incident.manifest)["uuid"] if incident else ""
        boxes = evidence_repo.match_boxes(uow.session, record.incident_id)
        revealing = record.restricted and reveal_reason is not None
        details = {"reason": reveal_reason} if revealing else {}
        uow.audit("evidence.reveal" if revealing else "evidence.open", f"evidence:{evidence_id}",
                  incident=record.incident_id, sha256=record.sealed_sha256, **details)
        facts = (record.incident_id, record.sealed_sha256, record.plaintext_sha256,
                 record.media_type, record.width, record.height, record.restricted, record.kind)
    incident_id, sealed_sha, plain_sha, media, width, height, restricted, kind = facts
    try:
        data = _decrypted(console, sealed_sha, plain_sha, private_key, seal_aad(uuid, kind))
    except (IntegrityError, NotFoundError) as failure:  # altered, or gone from the folder
        record_failure(console, session, evidence_id, incident_id, str(failure))
        raise
    all_boxes = tuple((int(b[0]), int(b[1]), int(b[2]), int(b[3]))
                      for raw in boxes for b in json.loads(raw))
    if restricted and not revealing:
        data, width, height = blurred_png(data)
        return OpenedEvidence(evidence_id, incident_id, "image/png", data, width, height,
                              restricted, all_boxes, blurred=True)
    return OpenedEvidence(evidence_id, incident_id, media, data, width, height, restricted,
                          all_boxes)


def _decrypted(console: Console, sealed_sha: str, plain_sha: str, private_key: X25519PrivateKey,
               aad: bytes) -> bytes:
    sealed = unpack(console.evidence.get(sealed_sha))
    data = open_sealed(sealed, private_key, aad)
    if hashlib.sha256(data).hexdigest() != plain_sha:
        raise IntegrityError("The opened evidence does not match the hash the device "
                             "recorded; it is not shown.")
    return data


def record_failure(console: Console, session: UserSession, evidence_id: int,
                   incident_id: int, why: str) -> None:
    """The file is marked failed for good (the viewer shows it so) and the finding audited."""
    with console.unit_of_work(session.actor) as uow:
        incident_detail_repo.set_verification(uow.session, evidence_id, FAILED)
        uow.audit("evidence.verify_failed", f"evidence:{evidence_id}", incident=incident_id,
                  problem=why[:300])
