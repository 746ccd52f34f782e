"""Simulated devices: N virtual agents enrolling from a bundle and syncing M incidents each
through the real sync client, for demos and load tests (`main.py simulate`).

Each device has its own key, certificate and in-memory outbox; its incidents are the demo
school's (texts the shipped matcher flags, some with rendered text-only screenshots), sealed
to the evidence key the console's hello hands out and signed by the device. Rendering and
sealing run in worker threads so the event loop keeps sending.

Threading: asyncio (one loop for every simulated device).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from app.agent.incident import SealedIncident, seal_incident
from app.net import enrol_client, tls
from app.net.client import SyncClient, SyncRefused
from app.net.enrol_client import Bundle
from app.net.sender import Sender, sleep_or_stop
from app.services.demo.capture import demo_capture
from app.services.demo.palette import shipped_palette

AGENT_VERSION = "sim-1.0"
APPROVAL_WAIT_S = 120.0


class MemoryOutbox:
    """An outbox that forgets on power loss — fine for a simulator, never for an agent."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, SealedIncident] = OrderedDict()
        self.aside: dict[str, str] = {}

    def add(self, incident: SealedIncident) -> None:
        self._items[incident.uuid] = incident

    def waiting(self, limit: int) -> Sequence[SealedIncident]:
        return [i for u, i in self._items.items() if u not in self.aside][:limit]

    def acknowledge(self, uuids: Sequence[str]) -> None:
        for u in uuids:
            self._items.pop(u, None)

    def set_aside(self, uuid: str, reason: str) -> None:
        self.aside[uuid] = reason

    def depth(self) -> int:
        return len(self._items) - len(self.aside)


@dataclass
class Progress:
    devices: int
    incidents_each: int
    enrolled: int = 0
    acknowledged: int = 0
    set_aside: int = 0

    @property
    def total(self) -> int:
        return self.devices * self.incidents_each

    @property
    def done(self) -> bool:
        return self.acknowledged + self.set_aside >= self.total


async def simulate(bundle: Bundle, address: str, devices: int, incidents: int,
                   rate: float | None = None, screenshots: float = 0.3, seed: int = 1,
                   on_progress: Callable[[Progress], None] | None = None,
                   stop: asyncio.Event | None = None) -> Progress:
    """Run until every incident is acknowledged (or `stop` is set). `rate` is incidents per
    second per device (None: all at once)."""
    progress = Progress(devices, incidents)
    await asyncio.gather(*(
        _device(bundle, address, n, incidents, rate, screenshots, random.Random(seed * 1009 + n),
                progress, on_progress, stop) for n in range(devices)))
    return progress


async def _device(bundle: Bundle, address: str, n: int, incidents: int, rate: float | None,
                  screenshots: float, rng: random.Random, progress: Progress,
                  on_progress: Callable[[Progress], None] | None,
                  stop: asyncio.Event | None) -> None:
    key, device_uuid = Ed25519PrivateKey.generate(), str(uuid.UUID(int=rng.getrandbits(128),
                                                                    version=4))
    hostname = f"sim-{n:04d}"
    enrolled = await enrol_client.enrol_with_bundle(bundle, address, key, device_uuid, hostname)
    if enrolled.state == "pending":
        enrolled = await enrol_client.wait_for_approval(enrolled, address, APPROVAL_WAIT_S)
    if enrolled.certificate is None:
        raise SyncRefused(403, f"{hostname} was not approved (state {enrolled.state}); use an "
                               "auto-approving token or approve it in the console")
    progress.enrolled += 1
    context = tls.client_context(enrolled.ca_certificate, enrolled.ca_pin, enrolled.certificate,
                                 key)
    outbox = MemoryOutbox()
    epoch = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    async with SyncClient(f"https://{address}", context, device_uuid) as client:
        reply = await client.hello(epoch, AGENT_VERSION)
        evidence_key = X25519PublicKey.from_public_bytes(reply.evidence_public_key)
        sender = Sender(client, outbox, epoch, AGENT_VERSION, rng)
        made = 0
        while not (stop and stop.is_set()):
            due = incidents if rate is None else min(incidents, made + 1)
            while made < due:
                made += 1
                outbox.add(await asyncio.to_thread(
                    _sealed, rng.random(), screenshots, device_uuid, key, evidence_key, made))
            before = sender.stats.acknowledged
            await sender.drain(stop)
            progress.acknowledged += sender.stats.acknowledged - before
            progress.set_aside = len(outbox.aside)
            if on_progress is not None:
                on_progress(progress)
            if made >= incidents and not outbox.depth():
                return
            if rate is not None:
                await sleep_or_stop(rng.expovariate(rate), stop)


def _sealed(seed: float, screenshots: float, device_uuid: str, key: Ed25519PrivateKey,
            evidence_key: X25519PublicKey, seq: int) -> SealedIncident:
    rng = random.Random(seed)
    capture = demo_capture(rng, shipped_palette(), datetime.now(UTC),
                           f"pupil{rng.randrange(1, 400):03d}", rng.random() < screenshots)
    return seal_incident(capture, device_uuid, key, evidence_key, seq)
