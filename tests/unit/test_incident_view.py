"""The evidence viewer's services: one incident in full, who has seen it, restricted imagery
blurred until a DSL reveals it with a reason, and altered evidence marked failed for good."""

from __future__ import annotations

import hashlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from sqlalchemy import select

from app.errors import IntegrityError, PermissionDeniedError, ValidationError
from app.services import evidence, incident_view, users
from app.services.demo_school import DEMO_PASSWORD
from app.services.install import open_install
from db.models import Evidence
from tests.conftest import PASSPHRASE


@dataclass(frozen=True)
class Record:
    id: int
    incident_id: int
    sealed_sha256: str
    plaintext_sha256: str


def _evidence(console, restricted: bool) -> Record:  # type: ignore[no-untyped-def]
    with console.reading() as db:
        e = db.execute(select(Evidence).where(Evidence.restricted == restricted)
                       .order_by(Evidence.id)).scalars().first()
        return Record(e.id, e.incident_id, e.sealed_sha256, e.plaintext_sha256)


def test_viewing_an_incident_is_audited_and_shows_its_matches_and_evidence(demo) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    record = _evidence(demo, restricted=False)
    detail = incident_view.view_incident(demo, dsl, record.incident_id)
    assert detail.id == record.incident_id and detail.context
    assert detail.matches and all(detail.context[m.start:m.end] for m in detail.matches)
    assert any(m.boxes for m in detail.matches)  # a screen incident: words on the screenshot
    (info,) = detail.evidence
    assert (info.sealed_sha256, info.verification) == (record.sealed_sha256, "verified")
    seen = incident_view.sightings(demo, dsl, record.incident_id)
    assert (seen[0].who, seen[0].what) == ("dsl", "viewed the incident")


def test_restricted_imagery_is_blurred_until_a_dsl_reveals_it_with_a_reason(demo) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    record = _evidence(demo, restricted=True)
    blurred = evidence.open_evidence(demo, dsl, record.id)
    assert blurred.blurred and hashlib.sha256(blurred.data).hexdigest() != record.plaintext_sha256
    with pytest.raises(ValidationError, match="why"):
        evidence.reveal_evidence(demo, dsl, record.id, "  ok ")
    revealed = evidence.reveal_evidence(demo, dsl, record.id, "Referral to police: need to "
                                        "describe the image")
    assert not revealed.blurred
    assert hashlib.sha256(revealed.data).hexdigest() == record.plaintext_sha256
    real = Image.open(io.BytesIO(revealed.data)).convert("L")
    tiny = Image.open(io.BytesIO(blurred.data)).convert("L")
    assert tiny.width <= 32 and (blurred.width, blurred.height) == real.size
    soft = tiny.resize(real.size, Image.Resampling.BILINEAR)  # as the viewer shows it
    # The stand-in keeps the layout's tones but none of the detail: edges are gone.
    assert ImageStat.Stat(ImageChops.difference(real, soft)).mean[0] > 3
    assert _edge_energy(soft) < _edge_energy(real) / 5
    seen = incident_view.sightings(demo, dsl, record.incident_id)
    reveal = next(s for s in seen if s.what == "revealed restricted imagery")
    assert reveal.reason == "Referral to police: need to describe the image"


def test_a_deputy_cannot_reveal_restricted_imagery_under_the_default_policy(demo) -> None:  # type: ignore[no-untyped-def]
    deputy = users.login(demo, "deputy", DEMO_PASSWORD)
    record = _evidence(demo, restricted=True)
    assert evidence.open_evidence(demo, deputy, record.id).blurred
    with pytest.raises(PermissionDeniedError):
        evidence.reveal_evidence(demo, deputy, record.id, "I would like to see it please")


def test_altered_evidence_is_marked_failed_for_good_and_the_finding_audited(
        demo_root: Path, tmp_path: Path) -> None:
    shutil.copytree(demo_root, tmp_path / "school")
    console = open_install(tmp_path / "school", PASSPHRASE)
    try:
        dsl = users.login(console, "dsl", DEMO_PASSWORD)
        record = _evidence(console, restricted=False)
        path = console.evidence.path_for(record.sealed_sha256)
        original = path.read_bytes()
        path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        with pytest.raises(IntegrityError):
            evidence.open_evidence(console, dsl, record.id)
        path.write_bytes(original)  # even put back, the record keeps what was found
        detail = incident_view.view_incident(console, dsl, record.incident_id)
        assert detail.evidence[0].verification == "failed"
        seen = incident_view.sightings(console, dsl, record.incident_id)
        assert "found the screenshot altered" in [s.what for s in seen]
    finally:
        console.close()


def _edge_energy(image: Image.Image) -> float:
    shifted = ImageChops.offset(image, 1, 0)
    return float(ImageStat.Stat(ImageChops.difference(image, shifted)).mean[0])
