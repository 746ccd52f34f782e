"""A device syncs to a real receiver on loopback: hello, evidence upload (resumable), batches
stored exactly once, duplicates and conflicts told apart — everything over real TLS 1.3."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from app.domain.manifest import decode_manifest
from app.services import audit_log, users
from app.services.ingest import MISSING_EVIDENCE
from db.models import Device, Incident, Match
from tests.conftest import DSL_PASSWORD
from tests.net.kit import admit, outgoing, run


def _count(console, model) -> int:  # type: ignore[no-untyped-def]
    with console.reading() as db:
        return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def test_hello_returns_limits_library_and_evidence_key_and_is_recorded(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)

    async def go():  # type: ignore[no-untyped-def]
        async with device.client() as client:
            return await client.hello("0193a0b4-0000-7000-8000-000000000001", "1.2.3",
                                      outbox_depth=17, screenshots_dropped=2)

    reply = run(go())
    assert reply.limits.max_batch == 50 and reply.limits.max_blob_bytes == 16 * 1024 * 1024
    assert reply.library_version.startswith("2026.")
    assert len(reply.evidence_public_key) == 32
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # heartbeats are written in batches, about every second
        with install.reading() as db:
            row = db.execute(select(Device.last_seen_at, Device.agent_version,
                                    Device.outbox_depth, Device.screenshots_dropped,
                                    Device.clock_skew_s, Device.last_address)
                             .where(Device.uuid == device.uuid)).one()
        if row.last_seen_at is not None:
            break
        time.sleep(0.1)
    assert (row.agent_version, row.outbox_depth, row.screenshots_dropped) == ("1.2.3", 17, 2)
    assert abs(row.clock_skew_s) <= 2 and row.last_address == "127.0.0.1"


def test_a_batch_is_stored_once_and_sent_again_is_a_duplicate(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    sealed = [device.incident(), device.incident(screenshot=False)]

    async def go():  # type: ignore[no-untyped-def]
        async with device.client() as client:
            for item in sealed:
                for sha, blob in item.blobs:
                    await client.upload_blob(sha, blob)
            first = await client.send_batch("0193a0b4-0000-7000-8000-000000000001",
                                             [outgoing(s) for s in sealed])
            again = await client.send_batch("0193a0b4-0000-7000-8000-000000000001",
                                            [outgoing(s) for s in sealed])
            return first, again

    first, again = run(go())
    assert [r["result"] for r in first] == ["stored", "stored"]
    assert [r["result"] for r in again] == ["duplicate", "duplicate"]
    assert _count(install, Incident) == 2
    assert server.stored == [2]
    with install.reading() as db:  # the receiver cannot read what the device sealed
        assert db.execute(select(Incident.context_text)).scalars().all() == [None, None]
        assert db.execute(select(func.count()).select_from(Match)).scalar_one() == 0
    sha = sealed[0].blobs[0][0]
    assert install.evidence.check(sha) is None  # durably in the evidence store, hash intact
    assert not list((install.paths.incoming / device.uuid).glob("*"))  # staging cleaned up


def test_same_id_with_other_bytes_is_a_conflict_and_the_original_stays(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    original = device.incident(screenshot=False, severity=4)
    forged = device.incident(screenshot=False, severity=1, incident_uuid=original.uuid)

    async def go():  # type: ignore[no-untyped-def]
        async with device.client() as client:
            await client.send_batch("0193a0b4-0000-7000-8000-000000000001", [outgoing(original)])
            return await client.send_batch("0193a0b4-0000-7000-8000-000000000001",
                                           [outgoing(forged)])

    (result,) = run(go())
    assert result["result"] == "conflict"
    with install.reading() as db:
        assert db.execute(select(Incident.severity)).scalars().all() == [4]
    dsl = users.login(install, "dsl", DSL_PASSWORD)
    actions = [e.action for e in audit_log.recent_events(install, dsl, 20)]
    assert "incident.conflict" in actions


def test_an_incident_is_refused_until_its_evidence_has_arrived(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    sealed = device.incident()
    sha, blob = sealed.blobs[0]

    async def go():  # type: ignore[no-untyped-def]
        async with device.client() as client:
            early = await client.send_batch("0193a0b4-0000-7000-8000-000000000001",
                                            [outgoing(sealed)])
            await client.upload_blob(sha, blob)
            late = await client.send_batch("0193a0b4-0000-7000-8000-000000000001",
                                           [outgoing(sealed)])
            return early, late

    (early,), (late,) = run(go())
    assert early["result"] == "rejected" and early["reason"].startswith(MISSING_EVIDENCE)
    assert late["result"] == "stored"


def test_a_broken_upload_resumes_from_the_offset_the_console_reports(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    sealed = device.incident()
    sha, blob = sealed.blobs[0]
    half = len(blob) // 2

    async def go():  # type: ignore[no-untyped-def]
        async with device.client() as client:
            # The first half only, as if the connection dropped: the console keeps it.
            await client._request("PUT", f"/v1/blobs/{sha}", data=blob[:half],
                                  headers={"Upload-Offset": "0",
                                           "Upload-Length": str(len(blob))})
            offset = await client.blob_offset(sha)
            await client.upload_blob(sha, blob)
            done = await client.blob_offset(sha)
            result = await client.send_batch("0193a0b4-0000-7000-8000-000000000001",
                                             [outgoing(sealed)])
            return offset, done, result

    offset, done, (result,) = run(go())
    assert offset == half and done is None
    assert result["result"] == "stored"


def test_a_manifest_naming_another_device_is_rejected(install, server) -> None:  # type: ignore[no-untyped-def]
    mine, other = admit(install, server.port), admit(install, server.port, "lab-pc-02")
    theirs = other.incident(screenshot=False)

    async def go():  # type: ignore[no-untyped-def]
        async with mine.client() as client:
            return await client.send_batch("0193a0b4-0000-7000-8000-000000000001",
                                           [outgoing(theirs)])

    (result,) = run(go())
    assert result == {"uuid": decode_manifest(theirs.manifest).uuid, "result": "rejected",
                      "reason": "the manifest names another device"}
    assert _count(install, Incident) == 0
    assert json.dumps(result)  # plain JSON all the way
