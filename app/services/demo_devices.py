"""Simulated devices for the demo seeder: the device-side work of building, sealing and signing
incidents, runnable in worker processes. Each incident is what the shipped library's real
matcher finds in its text, and records that library's version (app.services.demo.detected).

Device signing keys are derived from the install id and the device number, so a later seed run
(or a worker process) can rebuild the same fleet without the keys ever being stored. This is a
demo-only shortcut: real agents generate their keys on the device (issue: enrolment).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from app.agent.incident import seal_incident
from app.domain.enums import IncidentStatus
from app.services.demo.capture import demo_capture
from app.services.demo.palette import shipped_palette
from app.services.ingest import IncomingIncident, ItemResult, Prepared, prepare


@dataclass(frozen=True)
class DemoDevice:
    uuid: str
    hostname: str
    fingerprint: str
    key: Ed25519PrivateKey


@dataclass(frozen=True)
class SealPlan:
    """What every worker needs to act as the fleet (picklable)."""

    seed: int
    fleet_key: str
    evidence_public_key: bytes
    logins: tuple[str, ...]
    fleet_size: int
    end: datetime
    device_keys: tuple[tuple[str, bytes], ...] = ()  # the console's view: uuid → public key


@dataclass(frozen=True)
class Chunk:
    index: int
    first_seq: int
    times: tuple[datetime, ...]
    screenshot_offsets: frozenset[int]


def uuid7(when: datetime, random_bits: int) -> str:
    """A time-ordered UUID (RFC 9562 version 7), as agents make incident ids: consecutive ids
    land next to each other in the unique index, so ingest touches few pages per batch."""
    millis = int(when.timestamp() * 1000) & ((1 << 48) - 1)
    rand_a, rand_b = (random_bits >> 62) & 0xFFF, random_bits & ((1 << 62) - 1)
    value = (millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))


def fleet(fleet_key: str, count: int) -> list[DemoDevice]:
    """The demo devices of one install (`fleet_key` is its install id)."""
    devices = []
    for n in range(count):
        material = hashlib.sha256(f"kestrel-demo-device/{fleet_key}/{n}".encode()).digest()
        room = ("LIB", "IT1", "IT2", "SCI", "HUM", "MFL", "SIX")[n % 7]
        devices.append(DemoDevice(
            uuid=str(uuid.UUID(bytes=material[:16], version=4)),
            hostname=f"{room}-LAPTOP-{n + 1:03d}",
            fingerprint=hashlib.sha256(b"cert" + material).hexdigest(),
            key=Ed25519PrivateKey.from_private_bytes(material)))
    return devices


class _Worker:
    """Per-process state, built once by init_worker."""

    def __init__(self, plan: SealPlan) -> None:
        self.plan = plan
        self.fleet = fleet(plan.fleet_key, plan.fleet_size)
        self.public = X25519PublicKey.from_public_bytes(plan.evidence_public_key)
        self.palette = shipped_palette()  # compiled once per process, however many plans
        # A few pupils account for many incidents, as in real schools.
        self.login_weights = _cumulative([1.0 / (1 + i) ** 0.8 for i in range(len(plan.logins))])
        shuffled = list(plan.logins)
        random.Random(plan.seed).shuffle(shuffled)
        self.logins = shuffled


_STATE: _Worker | None = None


def init_worker(plan: SealPlan) -> None:
    """Make this process act as the fleet of `plan` (a pool initializer). The shipped phrase
    library is compiled here, once per process, not per chunk."""
    global _STATE
    _STATE = _Worker(plan)


def build_and_prepare_chunk(chunk: Chunk) -> list[Prepared | ItemResult]:
    """Device work plus the console's CPU-bound checks (against the keys the console holds),
    so the single writer only has to store."""
    state = _STATE
    assert state is not None, "init_worker must run first"
    keys = dict(state.plan.device_keys)
    return [prepare(item, keys) for item in build_chunk(chunk)]


def build_chunk(chunk: Chunk) -> list[IncomingIncident]:
    state = _STATE
    assert state is not None, "init_worker must run first"
    rng = random.Random(state.plan.seed * 7919 + chunk.index)
    return [_incident(state, rng, chunk, i, when) for i, when in enumerate(chunk.times)]


def _incident(state: _Worker, rng: random.Random, chunk: Chunk, offset: int,
              when: datetime) -> IncomingIncident:
    login = rng.choices(state.logins, cum_weights=state.login_weights)[0]
    device = state.fleet[int(hashlib.md5(login.encode()).hexdigest(), 16) % len(state.fleet)]
    incident_uuid = uuid7(when, rng.getrandbits(74))
    capture = demo_capture(rng, state.palette, when, login,
                           screenshot=offset in chunk.screenshot_offsets)
    sealed = seal_incident(capture, device.uuid, device.key, state.public,
                           chunk.first_seq + offset, incident_uuid)
    status = _status(rng, (state.plan.end - when).days)
    # Its own random stream, so the content of every demo incident stays as it was.
    received, reviewed = _arrival_and_review(random.Random(incident_uuid), when,
                                             state.plan.end, status)
    return IncomingIncident(manifest=sealed.manifest, signature=sealed.signature,
                            sealed_content=sealed.content,
                            blobs=tuple(blob for _sha, blob in sealed.blobs),
                            opened=capture.content, status=status,
                            received_at=received, reviewed_at=reviewed)


def _arrival_and_review(rng: random.Random, when: datetime, end: datetime,
                        status: IncidentStatus) -> tuple[datetime, datetime | None]:
    """Arrival seconds to minutes after capture; triaged history first looked at after a
    lognormal wait (median about 1.5 hours, a long tail into days), never after `end`."""
    received = min(end, when + timedelta(seconds=rng.uniform(2, 240)))
    if status is IncidentStatus.NEW:
        return received, None
    wait = timedelta(seconds=min(rng.lognormvariate(8.6, 1.3), 20 * 86400))
    return received, min(end, received + wait)


def _status(rng: random.Random, age_days: int) -> IncidentStatus:
    """Recent incidents wait in the queue; older ones have been triaged."""
    roll = rng.random()
    if age_days < 3:
        return IncidentStatus.NEW if roll < 0.8 else IncidentStatus.REVIEWING
    options: tuple[tuple[float, IncidentStatus], ...]
    if age_days < 14:
        options = ((0.25, IncidentStatus.NEW), (0.45, IncidentStatus.REVIEWING),
                   (0.7, IncidentStatus.FALSE_POSITIVE), (0.85, IncidentStatus.ACTIONED))
    else:
        options = ((0.02, IncidentStatus.REVIEWING), (0.35, IncidentStatus.FALSE_POSITIVE),
                   (0.55, IncidentStatus.ACTIONED))
    for limit, status in options:
        if roll < limit:
            return status
    return IncidentStatus.CLOSED


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out
