"""The device's sender loop against a real receiver that rate-limits it: it waits as told
(Retry-After), keeps every incident until the console has it, and drains the outbox."""

from __future__ import annotations

import random

import pytest

from app.net.limits import Limits
from app.net.sender import BACKOFF_CAP_S, Sender, backoff_delay
from app.net.simulator import MemoryOutbox
from tests.net.kit import admit, run

EPOCH = "0193a0b4-0000-7000-8000-000000000001"


@pytest.fixture
def limits() -> Limits:
    return Limits(device_rate_per_s=2.0, device_burst=3, max_batch=5)


def test_a_rate_limited_sender_waits_as_told_and_delivers_everything(install, server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    outbox = MemoryOutbox()
    for _ in range(12):
        outbox.add(device.incident(screenshot=False))

    async def go():  # type: ignore[no-untyped-def]
        async with device.client() as client:
            return await Sender(client, outbox, EPOCH, "1.0.0", random.Random(1)).drain()

    stats = run(go())
    assert stats.acknowledged == 12 and outbox.depth() == 0
    assert stats.waits and all(w >= 1 for w in stats.waits)  # Retry-After, not a guess


def test_evidence_is_uploaded_before_its_batch_and_kept_until_acknowledged(install,
                                                                          server) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, server.port)
    outbox = MemoryOutbox()
    sealed = device.incident()
    outbox.add(sealed)

    async def go():  # type: ignore[no-untyped-def]
        async with device.client() as client:
            return await Sender(client, outbox, EPOCH, "1.0.0").send_round()

    assert run(go()) == 1
    assert install.evidence.check(sealed.blobs[0][0]) is None


def test_backoff_is_jittered_below_an_exponential_ceiling_capped_at_fifteen_minutes() -> None:
    rng = random.Random(7)
    for attempt in range(40):
        ceiling = min(BACKOFF_CAP_S, 2.0 ** attempt)
        delays = [backoff_delay(attempt, rng) for _ in range(50)]
        assert all(0 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # devices that failed together come back apart
    assert max(backoff_delay(60, rng) for _ in range(200)) > BACKOFF_CAP_S / 2
