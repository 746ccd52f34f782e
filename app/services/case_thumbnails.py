"""Small pictures of each linked incident's screenshot, for the case screen.

Each thumbnail comes through the normal audited `evidence.open_evidence`, so the audit log shows
that the screenshot was opened, and restricted imagery arrives as the service's 32-pixel blurred
stand-in (DESIGN §11): it is only enlarged here, never replaced by the real pixels. A screenshot
already known to have failed its integrity check is not opened again (that would audit the same
failure on every visit); it shows as failed.

Threading: call on the DB executor (opening evidence writes audit events). The UI asks for one
incident at a time, so a case with many screenshots never holds the one executor for long.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from app.domain.enums import EvidenceKind
from app.errors import IntegrityError, ValidationError
from app.security.authorisation import Permission
from app.services import evidence
from app.services.console import Console
from app.services.users import UserSession
from db.repositories import evidence_repo

MAX_ASPECT = 2.0  # a very tall capture is cropped to twice its width, from the top


@dataclass(frozen=True)
class Thumbnail:
    """`png` is None when the incident has no screenshot (or it failed its check: `failed`)."""

    incident_id: int
    png: bytes | None
    restricted: bool
    failed: bool = False


def thumbnail(console: Console, session: UserSession, incident_id: int,
              width: int = 120) -> Thumbnail:
    """The first screenshot of one incident, `width` pixels across (audited open)."""
    if not 16 <= width <= 640:
        raise ValidationError("Thumbnails are 16 to 640 pixels wide.")
    session.require(Permission.OPEN_EVIDENCE)
    with console.reading() as db:
        shot = next(((e.id, e.restricted, e.verification)
                     for e in evidence_repo.for_incident(db, incident_id)
                     if e.kind == EvidenceKind.SCREENSHOT.value), None)
    if shot is None:
        return Thumbnail(incident_id, None, False)
    evidence_id, restricted, verification = shot
    if verification == evidence.FAILED:
        return Thumbnail(incident_id, None, restricted, failed=True)
    try:
        opened = evidence.open_evidence(console, session, evidence_id)
        png = _scaled(opened.data, width, opened.blurred)
    except (IntegrityError, OSError, Image.DecompressionBombError):
        return Thumbnail(incident_id, None, restricted, failed=True)
    return Thumbnail(incident_id, png, opened.restricted)


def _scaled(data: bytes, width: int, blurred: bool) -> bytes:
    """Resize to `width` across; the blurred stand-in is enlarged smoothly (it stays a blur)."""
    with Image.open(io.BytesIO(data)) as image:
        height = max(1, round(width * image.height / max(1, image.width)))
        method = Image.Resampling.BILINEAR if blurred else Image.Resampling.LANCZOS
        small = image.convert("RGB").resize((width, height), method, reducing_gap=3.0)
    if height > width * MAX_ASPECT:
        small = small.crop((0, 0, width, round(width * MAX_ASPECT)))
    out = io.BytesIO()
    small.save(out, "PNG")
    return out.getvalue()
