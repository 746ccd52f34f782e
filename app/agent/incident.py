"""Sealing and signing one incident on the device (DESIGN §8), ready for the outbox.

The content (what quotes or identifies the pupil) and each screenshot are sealed to the school's
evidence public key, so nothing after this point — the outbox, the network, the receiver — can
read them. The manifest names them by hash and is signed with the device key, so the console can
prove who captured what, and that nothing changed on the way.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from app.domain.content import IncidentContent, encode_content
from app.domain.enums import EvidenceKind, Source
from app.domain.manifest import EvidenceRef, Manifest, encode_manifest
from app.security.sealing import seal, seal_aad, sign_manifest
from app.services.evidence_store import pack


@dataclass(frozen=True)
class Screenshot:
    data: bytes  # encoded image, e.g. WebP
    media_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Capture:
    """What the agent saw, before sealing."""

    captured_at: datetime
    category: str
    severity: int
    source: Source
    library_version: str
    subject: str | None
    content: IncidentContent
    screenshot: Screenshot | None = None


@dataclass(frozen=True)
class SealedIncident:
    uuid: str
    seq: int
    manifest: bytes
    signature: bytes
    content: bytes  # sealed
    blobs: tuple[tuple[str, bytes], ...]  # (sha256, sealed screenshot)


def seal_incident(capture: Capture, device_uuid: str, device_key: Ed25519PrivateKey,
                  evidence_key: X25519PublicKey, seq: int,
                  incident_uuid: str | None = None) -> SealedIncident:
    incident_uuid = incident_uuid or str(uuid.uuid4())
    blobs: tuple[tuple[str, bytes], ...] = ()
    refs: tuple[EvidenceRef, ...] = ()
    shot = capture.screenshot
    if shot is not None:
        blob = pack(seal(shot.data, evidence_key, seal_aad(incident_uuid, "screenshot")))
        sha = hashlib.sha256(blob).hexdigest()
        blobs = ((sha, blob),)
        refs = (EvidenceRef(sha, EvidenceKind.SCREENSHOT, shot.media_type, len(shot.data),
                            shot.width, shot.height, hashlib.sha256(shot.data).hexdigest()),)
    sealed_content = pack(seal(encode_content(capture.content), evidence_key,
                               seal_aad(incident_uuid, "content")))
    manifest = encode_manifest(Manifest(
        uuid=incident_uuid, device=device_uuid, seq=seq, captured_at=capture.captured_at,
        category=capture.category, severity=capture.severity, source=capture.source,
        library_version=capture.library_version, subject=capture.subject,
        content_sha256=hashlib.sha256(sealed_content).hexdigest(), evidence=refs))
    return SealedIncident(incident_uuid, seq, manifest, sign_manifest(device_key, manifest),
                          sealed_content, blobs)
