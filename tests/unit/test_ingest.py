"""Ingest classifies every item: stored, duplicate, conflict (kept original) or rejected."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from app.domain.dto import Actor
from app.services import audit_log, demo_devices, users
from app.services.ingest import CONFLICT, DUPLICATE, REJECTED, STORED, ingest_batch
from app.services.seed import seed_reference
from db.repositories import incidents_repo, reference_repo
from tests.conftest import DSL_PASSWORD

SEED = 99


def _batch(console, count: int, index: int = 0):  # type: ignore[no-untyped-def]
    seed_reference(console, SEED, pupils=30, devices=4)
    with console.reading() as db:
        logins = tuple(sorted(reference_repo.subject_ids(db)))
    plan = demo_devices.SealPlan(SEED, console.settings.install_id,
                                 console.keys.evidence_public_key.public_bytes_raw(),
                                 logins, 4, console.clock())
    demo_devices.init_worker(plan)
    times = tuple(console.clock() - timedelta(minutes=i) for i in range(count))
    return demo_devices.build_chunk(demo_devices.Chunk(index, 0, times, frozenset({0})))


def _count(console) -> int:  # type: ignore[no-untyped-def]
    with console.reading() as db:
        return incidents_repo.count(db)


def test_duplicate_batch_is_acknowledged_without_new_rows(install) -> None:  # type: ignore[no-untyped-def]
    batch = _batch(install, 5)
    first = ingest_batch(install, Actor.system("test"), batch)
    assert [r.result for r in first] == [STORED] * 5
    again = ingest_batch(install, Actor.system("test"), batch)
    assert [r.result for r in again] == [DUPLICATE] * 5
    assert _count(install) == 5


def test_same_id_with_other_bytes_is_a_conflict_and_the_original_is_kept(install) -> None:  # type: ignore[no-untyped-def]
    original = _batch(install, 1)[0]
    ingest_batch(install, Actor.system("test"), [original])
    # The same incident id, validly signed by its device, but with different bytes.
    changed = original.manifest.replace(b'"seq":0', b'"seq":1')
    assert changed != original.manifest
    fleet = demo_devices.fleet(install.settings.install_id, 4)
    signer = next(d for d in fleet if d.uuid.encode() in changed)
    resigned = replace(original, manifest=changed, signature=signer.key.sign(changed))
    results = ingest_batch(install, Actor.system("test"), [resigned])
    assert results[0].result == CONFLICT
    with install.reading() as db:
        kept = bytes(incidents_repo.manifest_for(db, 1).manifest)
    assert kept == original.manifest
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    assert "incident.conflict" in {e.action for e in audit_log.recent_events(install, dsl, 5)}


def test_forged_signature_unknown_device_and_garbage_are_rejected_with_reasons(install) -> None:  # type: ignore[no-untyped-def]
    good = _batch(install, 1)[0]
    bad_sig = replace(good, signature=bytes(64))
    garbage = replace(good, manifest=b"{not json")
    wrong_blob = replace(good, blobs=(b"KSEAL1 other bytes",))
    results = ingest_batch(install, Actor.system("test"), [bad_sig, garbage, wrong_blob])
    assert [r.result for r in results] == [REJECTED] * 3
    assert "signature" in results[0].reason
    assert "JSON" in results[1].reason
    assert "evidence" in results[2].reason
    assert _count(install) == 0


def test_random_bytes_never_crash_ingest(install) -> None:  # type: ignore[no-untyped-def]
    good = _batch(install, 1)[0]
    rng = random.Random(5)
    items = [replace(good, manifest=bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))))
             for _ in range(50)]
    results = ingest_batch(install, Actor.system("test"), items)
    assert {r.result for r in results} == {REJECTED}
