"""One device flooding the receiver is slowed down (429 + Retry-After); its neighbour is not.
A module of its own: its receiver runs with a small per-device budget."""

from __future__ import annotations

import asyncio

import pytest

from app.net.client import SyncRefused
from app.net.limits import Limits
from tests.net.kit import admit, run

EPOCH = "0193a0b4-0000-7000-8000-000000000001"


@pytest.fixture
def limits() -> Limits:
    return Limits(device_rate_per_s=1.0, device_burst=5)


def test_a_flooding_device_gets_429_while_another_keeps_getting_answers(install, server) -> None:  # type: ignore[no-untyped-def]
    flooder, neighbour = admit(install, server.port), admit(install, server.port, "pc-2")

    async def go() -> tuple[list[SyncRefused], int]:
        refusals: list[SyncRefused] = []
        async with flooder.client() as loud, neighbour.client() as quiet:
            for _ in range(12):
                try:
                    await loud.hello(EPOCH, "1.0.0")
                except SyncRefused as exc:
                    refusals.append(exc)
            answered = 0
            for _ in range(3):
                await quiet.hello(EPOCH, "1.0.0")
                answered += 1
                await asyncio.sleep(0)
        return refusals, answered

    refusals, answered = run(go())
    assert refusals and all(r.status == 429 and r.retry_after for r in refusals)
    assert answered == 3
