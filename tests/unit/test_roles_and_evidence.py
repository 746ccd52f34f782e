"""Who may see what (DESIGN §9) and how evidence is opened (authorise → audit → decrypt →
verify), on a real demo install."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from PIL import Image

from app.domain.dto import IncidentQuery
from app.errors import IntegrityError, PermissionDeniedError
from app.security import authorisation
from app.security.sealing import open_sealed, seal_aad
from app.services import audit_log, evidence, incidents, users
from app.services.demo_school import DEMO_PASSWORD
from app.services.evidence_store import unpack
from db.repositories import evidence_repo, incidents_repo


def _first_screenshot(console, session):  # type: ignore[no-untyped-def]
    page = incidents.list_incidents(console, session, IncidentQuery(), limit=500)
    row = next(r for r in page.rows if r.has_screenshot)
    return row, evidence.evidence_ids(console, session, row.id)[0]


def test_dsl_opens_a_screenshot_and_the_view_is_audited_first(demo) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    row, evidence_id = _first_screenshot(demo, dsl)
    opened = evidence.open_evidence(demo, dsl, evidence_id)
    image = Image.open(io.BytesIO(opened.data))
    assert (image.width, image.height) == (opened.width, opened.height)
    assert opened.boxes and all(w > 0 and h > 0 for _x, _y, w, h in opened.boxes)
    assert opened.restricted == row.restricted
    last = audit_log.recent_events(demo, dsl, 1)[0]
    assert (last.action, last.target) == ("evidence.open", f"evidence:{evidence_id}")


def test_deputy_may_open_evidence_but_head_and_technician_may_not(demo) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    _row, evidence_id = _first_screenshot(demo, dsl)
    deputy = users.login(demo, "deputy", DEMO_PASSWORD)
    assert evidence.open_evidence(demo, deputy, evidence_id).data
    for name in ("head", "itech"):
        other = users.login(demo, name, DEMO_PASSWORD)
        with pytest.raises(PermissionDeniedError):
            incidents.list_incidents(demo, other, IncidentQuery())
        with pytest.raises(PermissionDeniedError):
            evidence.open_evidence(demo, other, evidence_id)


def test_technician_has_no_key_even_if_the_check_is_bypassed(demo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    _row, evidence_id = _first_screenshot(demo, dsl)
    tech = users.login(demo, "itech", DEMO_PASSWORD)
    monkeypatch.setattr(authorisation, "_MATRIX",
                        {role: frozenset(authorisation.Permission) for role in
                         authorisation._MATRIX})
    with pytest.raises(PermissionDeniedError, match="no evidence key"):
        evidence.open_evidence(demo, tech, evidence_id)
    # Nor does anything the install key opens (what the receiver and a technician's PC hold)
    # decrypt evidence: the keystore's install-wrapped keys are not the evidence key.
    with demo.reading() as db:
        record = evidence_repo.by_id(db, evidence_id)
        manifest = json.loads(incidents_repo.manifest_for(db, record.incident_id).manifest)
        sealed = unpack(demo.evidence.get(record.sealed_sha256))
    for candidate in (demo.keys.database_key, demo.keys.school_ca_key.private_bytes_raw(),
                      demo.keys.audit_signing_key.private_bytes_raw()):
        with pytest.raises(IntegrityError):
            open_sealed(sealed, X25519PrivateKey.from_private_bytes(candidate),
                        seal_aad(manifest["uuid"], "screenshot"))


def test_altered_evidence_file_is_refused(demo) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    _row, evidence_id = _first_screenshot(demo, dsl)
    with demo.reading() as db:
        sha = evidence_repo.by_id(db, evidence_id).sealed_sha256
    path = demo.evidence.path_for(sha)
    original = path.read_bytes()
    try:
        path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        with pytest.raises(IntegrityError, match="no longer matches"):
            evidence.open_evidence(demo, dsl, evidence_id)
    finally:
        path.write_bytes(original)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha


def test_locked_session_cannot_open_evidence(demo) -> None:  # type: ignore[no-untyped-def]
    dsl = users.login(demo, "dsl", DEMO_PASSWORD)
    _row, evidence_id = _first_screenshot(demo, dsl)
    dsl.lock()
    with pytest.raises(Exception, match="locked"):
        evidence.open_evidence(demo, dsl, evidence_id)
