"""sync: the receiver over loopback TLS 1.3 with device certificates (mTLS), DESIGN §7 and §13.

1. Ingest: sealed incidents with ~200 KB sealed screenshots, every device uploading its blobs and
   then a batch of 50, from 1 device and from 16 concurrent devices (each its own certificate and
   `SyncClient`). Incidents/s and MB/s, committed, against a bare aiohttp mTLS server on the same
   TLS contexts that reads the same request bodies and answers 200 without storing anything.
2. Heartbeat storm: 3,000 admitted devices each say hello once, at most 200 connections at a time
   (each a fresh TLS handshake); p50/p95/p99 latency and total time, against the bare server
   answering the same reply document.

Clients run on the main thread's event loop; each server runs on its own loop in a thread, as the
console runs its receiver (two cores, one process, one GIL — the bare baseline shares it too).
Every incident and TLS context is built before the clock starts.

`KESTREL_PERF_PROFILE=1` also profiles our receiver in each scenario: cProfile of its event-loop
thread and of the DB executor thread (top functions printed, .pstats kept in perf-results/), and
wall-clock stack samples of every thread (which show waiting: fsync, the DB queue, select).
`KESTREL_PERF_PROFILE=sample` takes the samples only (less overhead).
"""

from __future__ import annotations

import asyncio
import base64
import cProfile
import io
import json
import os
import pstats
import re
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from app.agent.incident import Capture, Screenshot, SealedIncident, seal_incident
from app.domain.content import IncidentContent, MatchSpan
from app.domain.dto import Actor
from app.domain.enums import DeviceState, Source
from app.net import tls
from app.net.client import HelloReply, OutgoingIncident, SyncClient
from app.net.limits import Limits
from app.net.server import ReceiverServer
from app.paths import REPO_ROOT
from app.security import pki
from app.services import devices
from app.services.console import Console
from app.services.executor import DbExecutor
from db.models import Incident
from db.repositories import devices_repo
from tests.perf.bench_seed import fresh_install
from tests.perf.common import Figure

INGEST_SIZES = {"small": 1_000, "full": 10_000}  # incidents per scenario (split over devices)
STORM_DEVICES = {"small": 3_000, "full": 3_000}
STORM_CONCURRENCY = 200
SCREENSHOT_BYTES = 200 * 1024
BATCH = 50
AGENT_VERSION = "bench-1.0"
EPOCH = "0193a0b4-0000-7000-8000-00000000be7c"
PROFILE = os.environ.get("KESTREL_PERF_PROFILE", "") not in ("", "0")
SAMPLE_ONLY = os.environ.get("KESTREL_PERF_PROFILE") == "sample"  # no cProfile overhead
RESULTS = REPO_ROOT / "perf-results"
INGEST_TARGET = "≥ 900 incidents/s and ≥ 0.5× bare (DESIGN §13, 16 devices)"


def run(scale: str) -> list[Figure]:
    """Ingest over mTLS with 200 KB screenshots (1 and 16 devices) and a 3,000-device hello
    storm, against a bare aiohttp mTLS server."""
    with tempfile.TemporaryDirectory(prefix="kestrel-bench-sync-") as tmp:
        console = fresh_install(Path(tmp) / "school")
        try:
            figures = _ingest(console, INGEST_SIZES[scale], 1)
            figures += _ingest(console, INGEST_SIZES[scale], 16)
            figures += _storm(console, STORM_DEVICES[scale])
            return figures
        finally:
            console.close()


# --- devices ---------------------------------------------------------------------------------

@dataclass
class BenchDevice:
    uuid: str
    key: Ed25519PrivateKey
    cert: x509.Certificate
    context: ssl.SSLContext
    seq: int = 0


def admit_many(console: Console, count: int, prefix: str,
               quick_contexts: bool = False) -> list[BenchDevice]:
    """`devices.admit_device` for many devices in one unit of work (one audit event), with the
    real certificates and device TLS contexts. `quick_contexts` loads each device key from an
    unencrypted PEM in a private temporary folder instead of `tls.client_context`'s encrypted
    one-time file (same context settings; ~3× faster to build, which matters for 3,000)."""
    ca_cert, pin, now = devices.ca_certificate(console), devices.ca_pin(console), console.clock()
    made: list[BenchDevice] = []
    keys_dir = tempfile.TemporaryDirectory(prefix="kestrel-bench-keys-")
    with keys_dir, console.unit_of_work(Actor.system("perf-bench")) as uow:
        for n in range(count):
            key, device_uuid = Ed25519PrivateKey.generate(), str(uuid.uuid4())
            cert = pki.issue_device_certificate(console.keys.school_ca_key, ca_cert,
                                                key.public_key(), device_uuid, now)
            devices_repo.add(uow.session, {
                "uuid": device_uuid, "enrolled_at": now, "hostname": f"{prefix}-{n:04d}",
                "cert_fingerprint": pki.fingerprint(pki.der(cert)),
                "signing_public_key": pki.raw_public(key.public_key()),
                "state": DeviceState.ACTIVE.value, "cert_expires_at": cert.not_valid_after_utc})
            if quick_contexts:
                context = tls.client_context(ca_cert, pin)
                pem = Path(keys_dir.name) / f"{n}.pem"
                pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()) + pki.pem(cert))
                context.load_cert_chain(pem)
            else:
                context = tls.client_context(ca_cert, pin, cert, key)
            made.append(BenchDevice(device_uuid, key, cert, context))
        uow.audit("device.admit", f"devices:{prefix}", count=count, note="benchmark devices")
    return made


def sealed_incidents(console: Console, device: BenchDevice, count: int) -> list[SealedIncident]:
    """Real sealed, signed incidents, each with a screenshot of SCREENSHOT_BYTES random bytes."""
    out = []
    for _ in range(count):
        device.seq += 1
        text = f"you should kill yourself ({device.seq})"
        content = IncidentContent("Chat", "Class chat", None, text,
                                  (MatchSpan("kill", 11, 15, "bu-0001", ((10, 10, 40, 12),)),))
        shot = Screenshot(os.urandom(SCREENSHOT_BYTES), "image/webp", 1920, 1080)
        capture = Capture(datetime.now(UTC), "bullying", 4, Source.SCREEN, "2026.11.0",
                          f"pupil{device.seq % 400:03d}", content, shot)
        out.append(seal_incident(capture, device.uuid, device.key,
                                 console.keys.evidence_public_key, device.seq))
    return out


# --- servers ---------------------------------------------------------------------------------

def server_context(console: Console) -> ssl.SSLContext:
    """A server context made as `ReceiverServer._tls` makes it: fresh key, CA-issued cert."""
    ca_cert = devices.ca_certificate(console)
    key = Ed25519PrivateKey.generate()
    cert = pki.issue_server_certificate(console.keys.school_ca_key, ca_cert, key.public_key(),
                                        ["127.0.0.1", "localhost", socket.gethostname()],
                                        console.clock())
    return tls.server_context(ca_cert, cert, key)


class BareServer:
    """The bare library: aiohttp on its own loop and thread, the same kind of TLS context,
    handlers that read each body (in the same 64 KiB chunks) and answer 200, storing nothing."""

    def __init__(self, context: ssl.SSLContext, hello_reply: bytes = b"{}") -> None:
        self._context, self._hello_reply = context, hello_reply
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> int:
        self._thread = threading.Thread(target=self._run, name="bare-aiohttp", daemon=True)
        self._thread.start()
        if not self._ready.wait(15) or not self.port:
            raise RuntimeError("the bare server did not start")
        return self.port

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(15)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self._ready.set()
            self._loop.close()

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        app = web.Application()
        app.router.add_put("/v1/blobs/{sha256}", self._blob)
        app.router.add_post("/v1/incidents:batch", self._batch)
        app.router.add_post("/v1/hello", self._hello)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self._context)
            await site.start()
            self.port = int(runner.addresses[0][1])
            self._ready.set()
            await self._stopped.wait()
        finally:
            await runner.cleanup()

    @staticmethod
    async def _read(request: web.Request) -> int:
        size = 0
        async for chunk in request.content.iter_chunked(1 << 16):
            size += len(chunk)
        return size

    async def _blob(self, request: web.Request) -> web.Response:
        size = await self._read(request)
        return web.json_response({"received": size, "complete": True},
                                 headers={"Upload-Offset": str(size), "Upload-Complete": "?1"})

    async def _batch(self, request: web.Request) -> web.Response:
        await self._read(request)
        return web.json_response({"results": []})

    async def _hello(self, request: web.Request) -> web.Response:
        await self._read(request)
        return web.Response(body=self._hello_reply, content_type="application/json")


@dataclass
class Ours:
    """Our receiver on a fresh DB executor, optionally profiled (event loop and DB thread)."""

    console: Console
    label: str
    executor: DbExecutor = field(default_factory=DbExecutor)
    server: ReceiverServer | None = None
    loop_profile: cProfile.Profile | None = None
    db_profile: cProfile.Profile | None = None
    sampler: Sampler = field(default_factory=lambda: Sampler())

    def __enter__(self) -> ReceiverServer:
        if PROFILE:
            self.sampler = Sampler()
            self.sampler.start()
        if PROFILE and not SAMPLE_ONLY:
            self.loop_profile, self.db_profile = cProfile.Profile(), cProfile.Profile()
            self.executor.submit(self.db_profile.enable).result()
        self.server = _ProfiledServer(self.console, self.executor, "127.0.0.1", 0, Limits())
        self.server.profile = self.loop_profile
        try:
            self.server.start()
        except BaseException:
            self.__exit__()
            raise
        return self.server

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()
        if self.db_profile is not None:
            self.executor.submit(self.db_profile.disable).result()
        self.executor.shutdown()
        if PROFILE:
            self.sampler.stop()
            self.sampler.report(self.label)
        if self.loop_profile is not None and self.db_profile is not None:
            _report_profile(f"{self.label} receiver event loop", self.loop_profile,
                            f"sync-{self.label}-loop")
            _report_profile(f"{self.label} DB executor", self.db_profile,
                            f"sync-{self.label}-db")


class Sampler(threading.Thread):
    """Wall-clock stack sampling of every thread (a poor man's py-spy): unlike cProfile it sees
    threads waiting — in fsync, on the DB executor, in the event loop's select."""

    INTERVAL_S = 0.004

    def __init__(self) -> None:
        super().__init__(name="bench-sampler", daemon=True)
        self._halt = threading.Event()
        self.samples: dict[str, int] = {}
        self.leaf: dict[str, dict[str, int]] = {}
        self.inclusive: dict[str, dict[str, int]] = {}

    def run(self) -> None:
        names = {}
        while not self._halt.wait(self.INTERVAL_S):
            names.update({t.ident: re.sub(r"_\d+$", "", t.name) for t in threading.enumerate()})
            for ident, frame in sys._current_frames().items():
                group = names.get(ident, "?")
                if group == "bench-sampler":
                    continue
                self.samples[group] = self.samples.get(group, 0) + 1
                leaf = self.leaf.setdefault(group, {})
                key = _where(frame)
                leaf[key] = leaf.get(key, 0) + 1
                seen, inclusive = set(), self.inclusive.setdefault(group, {})
                at: FrameType | None = frame
                while at is not None:
                    if "/app/" in at.f_code.co_filename or "/db/" in at.f_code.co_filename:
                        seen.add(_where(at, line=False))
                    at = at.f_back
                for key in seen:
                    inclusive[key] = inclusive.get(key, 0) + 1

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def report(self, label: str) -> None:
        for group, total in sorted(self.samples.items(), key=lambda kv: -kv[1]):
            if group.startswith("bare") or total < 10:
                continue
            print(f"  --- wall-clock samples: {label}, thread {group} ({total} samples) ---")
            for title, table in (("where it is", self.leaf[group]),
                                 ("inside (app/db frames)", self.inclusive.get(group, {}))):
                top = sorted(table.items(), key=lambda kv: -kv[1])[:12]
                print(f"    {title}:")
                for key, n in top:
                    print(f"      {100 * n / total:5.1f}%  {key}")
        sys.stdout.flush()


def _where(frame: Any, line: bool = True) -> str:
    code = frame.f_code
    return f"{code.co_name} ({Path(code.co_filename).name}{f':{frame.f_lineno}' if line else ''})"


class _ProfiledServer(ReceiverServer):
    profile: cProfile.Profile | None = None

    def _run(self) -> None:
        if self.profile is None:
            super()._run()
            return
        self.profile.enable()
        try:
            super()._run()
        finally:
            self.profile.disable()


def _report_profile(title: str, profile: cProfile.Profile, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.pstats"
    profile.dump_stats(path)
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(22)
        body = out.getvalue()
        body = body[body.find("   ncalls"):] if "   ncalls" in body else body
        print(f"  --- profile: {title}, by {order} ({path.name}) ---\n{body.rstrip()}",
              flush=True)


# --- 1. ingest -------------------------------------------------------------------------------

def _ingest(console: Console, total: int, device_count: int) -> list[Figure]:
    label = f"{device_count}_device{'s' if device_count > 1 else ''}"
    fleet = admit_many(console, device_count, f"ingest{device_count}")
    each = -(-total // device_count)
    work = {d.uuid: sealed_incidents(console, d, each) for d in fleet}
    count = each * device_count
    payload = sum(len(i.manifest) + len(i.signature) + len(i.content)
                  + sum(len(b) for _, b in i.blobs) for items in work.values() for i in items)
    mb = payload / 1e6

    bare = BareServer(server_context(console))
    port = bare.start()
    try:
        bare_s, _ = asyncio.run(_push(port, fleet, work))
    finally:
        bare.stop()
    with console.reading() as db:
        before = db.execute(select(func.count()).select_from(Incident)).scalar_one()
    with Ours(console, f"ingest-{label}") as server:
        ours_s, stored = asyncio.run(_push(server.port, fleet, work))
    with console.reading() as db:
        after = db.execute(select(func.count()).select_from(Incident)).scalar_one()
    if stored != count or after - before != count:
        raise RuntimeError(f"ingest stored {stored} (DB +{after - before}) of {count}")
    suffix = f"{label}@{count}"
    target = INGEST_TARGET if device_count == 16 else "— (16-device figure carries the target)"
    return [
        Figure(f"sync_ingest_{suffix}", count / ours_s, "incidents/s", target,
               "bare aiohttp mTLS upload", count / bare_s),
        Figure(f"sync_ingest_mb_{suffix}", mb / ours_s, "MB/s",
               f"— ({payload / count / 1024:.0f} KiB an incident)",
               "bare aiohttp mTLS upload", mb / bare_s),
    ]


async def _push(port: int, fleet: list[BenchDevice],
                work: dict[str, list[SealedIncident]]) -> tuple[float, int]:
    """Every device at once: for each batch of 50, upload its blobs, then send the batch.
    Returns (seconds, incidents the server said it stored)."""
    start = time.perf_counter()
    stored = await asyncio.gather(*(_device_push(port, d, work[d.uuid]) for d in fleet))
    return time.perf_counter() - start, sum(stored)


async def _device_push(port: int, device: BenchDevice, items: list[SealedIncident]) -> int:
    stored = 0
    async with SyncClient(f"https://127.0.0.1:{port}", device.context, device.uuid) as client:
        for at in range(0, len(items), BATCH):
            batch = items[at:at + BATCH]
            for incident in batch:
                for sha, blob in incident.blobs:
                    await client.upload_blob(sha, blob)
            results = await client.send_batch(EPOCH, [
                OutgoingIncident(i.manifest, i.signature, i.content, i.blobs) for i in batch])
            stored += sum(1 for r in results if r["result"] == "stored")
    return stored


# --- 2. heartbeat storm ----------------------------------------------------------------------

def _storm(console: Console, count: int) -> list[Figure]:
    start = time.perf_counter()
    fleet = admit_many(console, count, "storm", quick_contexts=True)
    print(f"  admitted {count:,} storm devices (certificates, TLS contexts) in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    with Ours(console, "storm") as server:
        first = asyncio.run(_hello_once(server.port, fleet[0], None))
        version = first.library_version
        ours = asyncio.run(_hellos(server.port, fleet, version))
    bare = BareServer(server_context(console), _reply_bytes(first, version))
    port = bare.start()
    try:
        base = asyncio.run(_hellos(port, fleet, version))
    finally:
        bare.stop()
    figures = []
    for name, pick in (("p50", 50), ("p95", 95), ("p99", 99)):
        figures.append(Figure(f"sync_hello_storm_{name}@{count}", _pct(ours.latencies, pick),
                              "ms", f"— (none in DESIGN §13; ≤ {STORM_CONCURRENCY} at once)",
                              "bare aiohttp mTLS hello", _pct(base.latencies, pick)))
    figures.append(Figure(f"sync_hello_storm_total@{count}", ours.seconds, "s",
                          "— (none in DESIGN §13; hello interval is 60 s)",
                          "bare aiohttp mTLS hello", base.seconds))
    figures.append(Figure(f"sync_hello_storm_rate@{count}", count / ours.seconds, "hellos/s",
                          "— (3,000 devices × 1/min = 50/s)", "bare aiohttp mTLS hello",
                          count / base.seconds))
    return figures


@dataclass
class Storm:
    seconds: float
    latencies: list[float]


async def _hello_once(port: int, device: BenchDevice, version: str | None) -> HelloReply:
    async with SyncClient(f"https://127.0.0.1:{port}", device.context, device.uuid) as client:
        return await client.hello(EPOCH, AGENT_VERSION, library_version=version)


async def _hellos(port: int, fleet: list[BenchDevice], version: str) -> Storm:
    """Each device: a new session (TLS handshake with its certificate) and one hello. The
    latency of one is from its connection starting to its reply parsed."""
    gate = asyncio.Semaphore(STORM_CONCURRENCY)
    latencies: list[float] = []

    async def one(device: BenchDevice) -> None:
        async with gate:
            began = time.perf_counter()
            await _hello_once(port, device, version)
            latencies.append((time.perf_counter() - began) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(one(d) for d in fleet))
    return Storm(time.perf_counter() - start, latencies)


def _reply_bytes(reply: HelloReply, version: str) -> bytes:
    """The hello reply our receiver gives a device that has the library in force."""
    return json.dumps({
        "time": reply.time.isoformat(), "limits": asdict(reply.limits),
        "evidence_public_key": base64.b64encode(reply.evidence_public_key).decode("ascii"),
        "commands": list(reply.commands), "policy": reply.policy, "library_version": version,
    }, separators=(",", ":")).encode()


def _pct(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]
