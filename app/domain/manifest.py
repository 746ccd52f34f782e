"""The incident manifest: the signed, metadata-only description of one incident (protocol v1).

The device signs the exact manifest bytes; the console verifies them and parses them here,
once, refusing anything malformed with a reason. Content that quotes a pupil (text, window
title, URL) is not in the manifest: it is sealed to the school's evidence key and referenced by
hash (`content_sha256`).
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.domain.categories import CATEGORY_BY_KEY
from app.domain.enums import EvidenceKind, Source
from app.errors import ValidationError

MANIFEST_VERSION = 1
MAX_EVIDENCE = 4
_SHA = re.compile(r"^[0-9a-f]{64}$")
_LOGIN = re.compile(r"^[^\x00-\x1f]{1,128}$")
MEDIA_TYPES = ("image/webp", "image/png", "image/jpeg")


@dataclass(frozen=True)
class EvidenceRef:
    sha256: str
    kind: EvidenceKind
    media_type: str
    size: int
    width: int
    height: int
    plaintext_sha256: str


@dataclass(frozen=True)
class Manifest:
    uuid: str
    device: str
    seq: int
    captured_at: datetime
    category: str
    severity: int
    source: Source
    library_version: str
    subject: str | None
    content_sha256: str
    evidence: tuple[EvidenceRef, ...]


def encode_manifest(m: Manifest) -> bytes:
    """Canonical bytes (sorted keys, no spaces): what the device signs."""
    doc = {
        "v": MANIFEST_VERSION, "uuid": m.uuid, "device": m.device, "seq": m.seq,
        "captured_at": m.captured_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "category": m.category, "severity": m.severity, "source": m.source.value,
        "library_version": m.library_version, "subject": m.subject,
        "content_sha256": m.content_sha256,
        "evidence": [{"sha256": e.sha256, "kind": e.kind.value, "media_type": e.media_type,
                      "size": e.size, "width": e.width, "height": e.height,
                      "plaintext_sha256": e.plaintext_sha256} for e in m.evidence],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def decode_manifest(raw: bytes) -> Manifest:
    """Parse and validate; raise ValidationError saying what is wrong."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError("manifest is not valid JSON") from None
    if not isinstance(doc, dict) or doc.get("v") != MANIFEST_VERSION:
        raise ValidationError(f"manifest is not a version {MANIFEST_VERSION} object")
    category = _field(doc, "category", str)
    if category not in CATEGORY_BY_KEY:
        raise ValidationError(f"unknown category {category[:40]!r}")
    severity = _field(doc, "severity", int)
    if not 1 <= severity <= 5:
        raise ValidationError("severity must be 1 to 5")
    subject = doc.get("subject")
    if subject is not None and not (isinstance(subject, str) and _LOGIN.fullmatch(subject)):
        raise ValidationError("subject must be a login of 1-128 printable characters")
    evidence = doc.get("evidence")
    if not isinstance(evidence, list) or len(evidence) > MAX_EVIDENCE:
        raise ValidationError(f"evidence must be a list of at most {MAX_EVIDENCE} items")
    try:
        source = Source(_field(doc, "source", str))
    except ValueError:
        raise ValidationError("unknown source") from None
    return Manifest(
        uuid=_uuid(_field(doc, "uuid", str), "uuid"),
        device=_uuid(_field(doc, "device", str), "device"),
        seq=_bounded(_field(doc, "seq", int), "seq", 0, 2**62),
        captured_at=_time(_field(doc, "captured_at", str)),
        category=category, severity=severity, source=source,
        library_version=_short(_field(doc, "library_version", str), "library_version", 32),
        subject=subject,
        content_sha256=_sha(_field(doc, "content_sha256", str), "content_sha256"),
        evidence=tuple(_evidence(item) for item in evidence),
    )


def _evidence(item: Any) -> EvidenceRef:
    if not isinstance(item, dict):
        raise ValidationError("evidence items must be objects")
    media = _field(item, "media_type", str)
    if media not in MEDIA_TYPES:
        raise ValidationError(f"evidence media_type must be one of {', '.join(MEDIA_TYPES)}")
    try:
        kind = EvidenceKind(_field(item, "kind", str))
    except ValueError:
        raise ValidationError("unknown evidence kind") from None
    return EvidenceRef(
        sha256=_sha(_field(item, "sha256", str), "evidence sha256"), kind=kind, media_type=media,
        size=_bounded(_field(item, "size", int), "size", 1, 16 * 1024 * 1024),
        width=_bounded(_field(item, "width", int), "width", 1, 16384),
        height=_bounded(_field(item, "height", int), "height", 1, 16384),
        plaintext_sha256=_sha(_field(item, "plaintext_sha256", str), "plaintext_sha256"))


def _field(doc: dict[str, Any], name: str, kind: type) -> Any:
    value = doc.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValidationError(f"{name} must be a {kind.__name__}")
    return value


def _bounded(value: int, name: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ValidationError(f"{name} out of range")
    return value


def _short(value: str, name: str, limit: int) -> str:
    if not value or len(value) > limit:
        raise ValidationError(f"{name} must be 1-{limit} characters")
    return value


def _sha(value: str, name: str) -> str:
    if not _SHA.fullmatch(value):
        raise ValidationError(f"{name} must be a lower-case hex SHA-256")
    return value


def _uuid(value: str, name: str) -> str:
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        raise ValidationError(f"{name} must be a UUID") from None


def _time(value: str) -> datetime:
    if not value.endswith("Z"):
        raise ValidationError("captured_at must be UTC ISO-8601 ending in Z")
    try:
        parsed = datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError("captured_at is not an ISO-8601 time") from None
    return parsed
