"""The demo school: synthetic pupils, devices and months of incidents, sealed as an agent would.

Generation and sealing (HPKE per item, Ed25519 signatures) run in worker processes, exactly the
work a fleet of devices would do; the calling process ingests through the real ingest service
(signature checks, evidence store, one transaction per batch). Everything is synthetic and
deterministic for a given seed: invented names, rendered text screenshots, reserved domains;
the phrases are entries of the shipped library, and every incident is what its matcher finds.

Threading: call on the DB executor or from the CLI; `progress(done, total)` is called from the
calling thread between batches and may raise to cancel.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.domain.dto import Actor
from app.domain.enums import DeviceState
from app.services import demo_devices
from app.services.console import Console, UnitOfWork
from app.services.demo.names import make_pupils
from app.services.demo.rhythm import incident_times
from app.services.demo_accounts import DEMO_PASSWORD, DEMO_STAFF
from app.services.ingest import ItemResult, Prepared, load_refs, store_prepared
from app.services.users import add_user
from db.maintenance import optimize
from db.repositories import reference_repo

BATCH = 500
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SeedReport:
    incidents: int
    screenshots: int
    pupils: int
    devices: int
    store_seconds: float  # time spent in the single writer (the console's ingest stage)


def seed_reference(console: Console, seed: int, pupils: int = 600,
                   devices: int = 120) -> None:
    """Pupils and devices, once per install (a second seed run reuses them)."""
    rng = random.Random(seed)
    with console.unit_of_work(Actor.system("seed")) as uow:
        if reference_repo.count_subjects(uow.session) == 0:
            reference_repo.insert_subjects(uow.session, [
                {"login": p.login, "display_name": p.display_name, "year_group": p.year_group,
                 "upn": p.upn} for p in make_pupils(rng, pupils)])
        if not reference_repo.devices(uow.session):
            now = console.clock()
            reference_repo.insert_devices(uow.session, [
                {"uuid": d.uuid, "hostname": d.hostname, "cert_fingerprint": d.fingerprint,
                 "signing_public_key": d.key.public_key().public_bytes(
                     Encoding.Raw, PublicFormat.Raw),
                 "state": DeviceState.ACTIVE.value, "agent_version": "0.1.0",
                 "enrolled_at": now - timedelta(days=200), "last_seen_at": now,
                 "clock_skew_s": 0}
                for d in demo_devices.fleet(console.settings.install_id, devices)])
        uow.audit("seed.reference", "install", pupils=pupils, devices=devices)


def add_demo_staff(uow: UnitOfWork, evidence_key: X25519PrivateKey) -> None:
    """The demo's deputy, headteacher and IT technician (password DEMO_PASSWORD), added in
    the install's own setup transaction."""
    for username, name, role in DEMO_STAFF:
        add_user(uow, username, name, role, DEMO_PASSWORD, evidence_key)


def seed_incidents(console: Console, count: int, screenshots: int, seed: int = 2026,
                   end: datetime | None = None, days: int = 182,
                   progress: Progress | None = None, workers: int | None = None) -> SeedReport:
    """Generate `count` incidents over `days` days up to `end`, `screenshots` of them with a
    rendered screenshot, and ingest them through the real ingest path. `workers` is the number
    of sealing processes (0: all in this process)."""
    seed_reference(console, seed)
    end = end or console.clock()
    times = incident_times(random.Random(seed), count, end - timedelta(days=days), end)
    refs = load_refs(console)
    logins = sorted(refs.subjects)
    fleet_size = len(refs.devices)
    plan = demo_devices.SealPlan(
        seed=seed, fleet_key=console.settings.install_id,
        evidence_public_key=console.keys.evidence_public_key.public_bytes(
            Encoding.Raw, PublicFormat.Raw), logins=tuple(logins), fleet_size=fleet_size,
        end=end, device_keys=tuple((u, key) for u, (_id, key) in refs.devices.items()))
    chunks = list(_chunks(times, screenshots))
    done = shots = 0
    store_seconds = 0.0
    actor = Actor.system("seed")
    for batch in _generate(plan, chunks, workers):
        started = time.perf_counter()
        results = store_prepared(console, actor, batch, refs)
        store_seconds += time.perf_counter() - started
        rejected = [r for r in results if r.result == "rejected"]
        if rejected:
            raise RuntimeError(f"seeding produced a rejected incident: {rejected[0].reason}")
        done += len(batch)
        shots += sum(1 for p in batch if isinstance(p, Prepared) and p.item.blobs)
        if progress:
            progress(done, count)
    optimize(console.engine)  # a big insert changes what the planner should choose
    return SeedReport(done, shots, len(logins), fleet_size, store_seconds)


def _chunks(times: list[datetime], screenshots: int) -> Iterator[demo_devices.Chunk]:
    """Batches of capture times; the screenshot budget goes to the newest incidents, where a
    DSL's triage queue is."""
    total = len(times)
    for index, start in enumerate(range(0, total, BATCH)):
        part = times[start:start + BATCH]
        first_shot = max(0, total - screenshots)
        shots = tuple(i - start for i in range(max(start, first_shot), start + len(part)))
        yield demo_devices.Chunk(index=index, first_seq=start, times=tuple(part),
                                 screenshot_offsets=frozenset(shots))


def _generate(plan: demo_devices.SealPlan, chunks: list[demo_devices.Chunk],
              workers: int | None) -> Iterator[list[Prepared | ItemResult]]:
    # The writer mostly waits on the workers (store ≈ 15 % of the CPU per incident), so one
    # worker per core keeps both busy.
    workers = workers if workers is not None else max(1, os.cpu_count() or 2)
    if workers == 0 or len(chunks) <= 1:
        demo_devices.init_worker(plan)
        for chunk in chunks:
            yield demo_devices.build_and_prepare_chunk(chunk)
        return
    context = multiprocessing.get_context("spawn")  # never fork a process that may host Qt
    with context.Pool(workers, initializer=demo_devices.init_worker, initargs=(plan,)) as pool:
        yield from pool.imap(demo_devices.build_and_prepare_chunk, chunks)


