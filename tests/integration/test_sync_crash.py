"""Crash safety of the sync path against a real `main.py serve` process on loopback.

1. The console is SIGKILLed in the middle of a 2,000-incident sync and started again on the same
   port: every incident ends up stored exactly once, the evidence verifies, nothing the device
   was told "stored" was missing from the database at the moment of the crash, and the device's
   outbox does not drain while the console is down.
2. An evidence upload is cut off half way: HEAD reports how much arrived, and the client
   resumes from there instead of starting again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import random
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from app.agent.incident import Capture, Screenshot, SealedIncident, seal_incident
from app.domain.content import IncidentContent, MatchSpan
from app.domain.enums import Source
from app.net import enrol_client, tls
from app.net.client import OutgoingIncident, SyncClient
from app.net.sender import Sender
from app.net.simulator import MemoryOutbox
from app.services.console import Console
from app.services.install import open_install
from db.models import Evidence, Incident
from tests.conftest import PASSPHRASE, REPO, run_main

pytestmark = pytest.mark.slow

EPOCH = "0193a0b4-0000-7000-8000-00000000c4a5"
AGENT = "crash-test-1.0"
TOTAL = 2000
WITH_SCREENSHOT_EVERY = 10  # 10 % of the incidents carry a small PNG
KILL_AT = TOTAL // 3  # acknowledged incidents before the console is killed
DOWN_S = 1.5  # how long the console stays dead
SYNC_TIMEOUT_S = 60.0


# --- the console process --------------------------------------------------------------------


class Serve:
    """`main.py serve` on a fixed loopback port, which can be killed and started again."""

    def __init__(self, school: list[str], port: int, log_dir: Path) -> None:
        self.school, self.port, self.log_dir = school, port, log_dir
        self.proc: subprocess.Popen[str] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.log_dir / f"serve-{self.starts}.log"
        with open(log, "w") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, str(REPO / "main.py"), "serve", *self.school,
                 "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert f"listening on 127.0.0.1:{self.port} " in line, log.read_text() or line

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(timeout=20) == 0
        self.proc = None

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def serve(school: list[str], tmp_path: Path) -> Iterator[Serve]:
    server = Serve(school, _free_port(), tmp_path)
    server.start()
    yield server
    server.cleanup()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bundle(school: list[str], tmp: Path, port: int) -> enrol_client.Bundle:
    path = tmp / "bundle.json"
    code, _, err = run_main("devices", "token", *school, "--user", "dsl", "--password-file",
                            str(tmp / "pw"), "--uses", "1", "--auto-approve",
                            "--console", f"127.0.0.1:{port}", "--out", str(path))
    assert code == 0, err
    return enrol_client.read_bundle(path.read_bytes())


def _png(text: str) -> bytes:
    image = Image.new("RGB", (320, 40), "white")
    ImageDraw.Draw(image).text((10, 10), text, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# --- the device -----------------------------------------------------------------------------

@dataclass
class Device:
    uuid: str
    key: Ed25519PrivateKey
    address: str
    context: ssl.SSLContext
    seq: int = 0

    def incident(self, evidence_key: X25519PublicKey,
                 screenshot: Screenshot | None) -> SealedIncident:
        self.seq += 1
        text = f"you should kill yourself #{self.seq}"
        start = text.find("kill")
        content = IncidentContent("Chat", "Class chat", None, text,
                                  (MatchSpan("kill", start, start + 4, "bu-0001",
                                             ((10, 10, 40, 12),)),))
        capture = Capture(datetime.now(UTC), "bullying", 4,
                          Source.SCREEN if screenshot else Source.TYPED, "2026.11.0",
                          f"pupil{self.seq % 97:03d}", content, screenshot)
        return seal_incident(capture, self.uuid, self.key, evidence_key, self.seq)


async def _enrol(bundle: enrol_client.Bundle, port: int) -> Device:
    key, device_uuid = Ed25519PrivateKey.generate(), str(uuid.uuid4())
    address = f"127.0.0.1:{port}"
    enrolled = await enrol_client.enrol_with_bundle(bundle, address, key, device_uuid, "lab-01")
    assert enrolled.state == "approved" and enrolled.certificate is not None
    context = tls.client_context(enrolled.ca_certificate, enrolled.ca_pin,
                                 enrolled.certificate, key)
    return Device(device_uuid, key, address, context)


class RecordingOutbox(MemoryOutbox):
    """Remembers which incidents the device forgot, and when."""

    def __init__(self) -> None:
        super().__init__()
        self.acknowledged: list[str] = []

    def acknowledge(self, uuids: Sequence[str]) -> None:
        self.acknowledged.extend(uuids)
        super().acknowledge(uuids)


class QuickRng(random.Random):
    """Backoff waits of at most 0.2 s, so the test does not sit out a real device's backoff."""

    def uniform(self, a: float, b: float) -> float:
        return min(b, 0.2) * random.random()


class CrashClient(SyncClient):
    """A SyncClient that, when the batch crossing `KILL_AT` acknowledged incidents goes out,
    has a thread watch the console's database (a second reader, as `main.py stats` is) and
    SIGKILL the console the moment that batch commits: between its commit and its answer, when
    the race allows, else just after the answer went out. It also counts the answers."""

    def __init__(self, base_url: str, context: ssl.SSLContext, device_uuid: str,
                 outbox: RecordingOutbox, watcher: Console, kill: Callable[[], None]) -> None:
        super().__init__(base_url, context, device_uuid)
        self.outbox, self.watcher, self.kill = outbox, watcher, kill
        self.results: dict[str, int] = {}
        self.killer: asyncio.Future[None] | None = None

    async def send_batch(self, epoch: str,
                         incidents: list[OutgoingIncident]) -> list[dict[str, str]]:
        if self.killer is None and len(self.outbox.acknowledged) >= KILL_AT:
            committed = _incident_count(self.watcher)
            self.killer = asyncio.get_running_loop().run_in_executor(
                None, self._kill_when_committed, committed)
        results = await super().send_batch(epoch, incidents)
        for r in results:
            self.results[r["result"]] = self.results.get(r["result"], 0) + 1
        return results

    def _kill_when_committed(self, committed: int) -> None:
        deadline = time.monotonic() + 10  # should the batch never commit, kill all the same
        while _incident_count(self.watcher) == committed and time.monotonic() < deadline:
            pass
        self.kill()


def _incident_count(console: Console) -> int:
    with console.reading() as db:
        return int(db.execute(select(func.count()).select_from(Incident)).scalar_one())


@dataclass
class Crash:
    """What the device and the database looked like while the console was dead."""

    acked_at_kill: int = -1
    acked_while_down: list[str] = field(default_factory=list)
    stored_at_crash: list[str] = field(default_factory=list)
    waits_while_down: int = 0


def _stored_uuids(root: Path) -> tuple[list[str], int, set[str]]:
    """Incident uuids (with repeats, if any), evidence rows, and the sealed hashes they name."""
    console = open_install(root, PASSPHRASE)
    try:
        return _stored(console)
    finally:
        console.close()


def _stored(console: Console) -> tuple[list[str], int, set[str]]:
    with console.reading() as db:
        uuids = [str(u) for u in db.execute(select(Incident.uuid)).scalars()]
        evidence = int(db.execute(select(func.count()).select_from(Evidence)).scalar_one())
        hashes = {str(h) for h in db.execute(select(Evidence.sealed_sha256)).scalars()}
    return uuids, evidence, hashes


# --- 1. SIGKILL in the middle of a 2,000-incident sync --------------------------------------

def test_console_killed_mid_sync_stores_everything_exactly_once(
        school: list[str], serve: Serve, tmp_path: Path) -> None:
    root = tmp_path / "school"
    bundle = _bundle(school, tmp_path, serve.port)
    shots = [Screenshot(_png(f"screenshot {n}"), "image/png", 320, 40) for n in range(8)]
    crash = Crash()

    async def scenario() -> tuple[RecordingOutbox, CrashClient, Sender]:
        device = await _enrol(bundle, serve.port)
        outbox = RecordingOutbox()
        watcher = await asyncio.to_thread(open_install, root, PASSPHRASE)

        def kill() -> None:  # on the watching thread
            serve.kill()  # SIGKILL, and reaped: nothing can commit after this line
            crash.acked_at_kill = len(outbox.acknowledged)

        client = CrashClient(f"https://{device.address}", device.context, device.uuid,
                             outbox, watcher, kill)
        with contextlib.closing(watcher):
            async with client:
                reply = await client.hello(EPOCH, AGENT)
                evidence_key = X25519PublicKey.from_public_bytes(reply.evidence_public_key)

                def prepare() -> list[SealedIncident]:
                    return [device.incident(evidence_key, shots[n % len(shots)]
                                            if n % WITH_SCREENSHOT_EVERY == 0 else None)
                            for n in range(TOTAL)]

                for sealed in await asyncio.to_thread(prepare):
                    outbox.add(sealed)
                assert outbox.depth() == TOTAL
                sender = Sender(client, outbox, EPOCH, AGENT, QuickRng(7))
                draining = asyncio.create_task(sender.drain())
                deadline = time.monotonic() + SYNC_TIMEOUT_S
                while client.killer is None:
                    assert time.monotonic() < deadline and not draining.done()
                    await asyncio.sleep(0.01)
                await client.killer

                # The console is dead. Answers it sent before dying may still be read; give them a
                # moment, then nothing more may be acknowledged until it is back.
                await asyncio.sleep(0.3)
                crash.acked_while_down = list(outbox.acknowledged)
                depth_while_down, waits_before = outbox.depth(), len(sender.stats.waits)
                crash.stored_at_crash, _, _ = await asyncio.to_thread(_stored, watcher)
                await asyncio.sleep(max(0.0, DOWN_S - 0.3))
                crash.waits_while_down = len(sender.stats.waits) - waits_before
                assert outbox.acknowledged == crash.acked_while_down, "acknowledged while down"
                assert outbox.depth() == depth_while_down > 0
                assert not draining.done()

                await asyncio.to_thread(serve.start)  # same port: the device keeps its address
                await asyncio.wait_for(draining, SYNC_TIMEOUT_S)
        return outbox, client, sender

    started = time.monotonic()
    outbox, client, sender = asyncio.run(scenario())
    elapsed = time.monotonic() - started
    serve.stop()

    acked_while_down, stored_at_crash = crash.acked_while_down, crash.stored_at_crash
    # Never acknowledged before it was durably committed:
    assert set(acked_while_down) <= set(stored_at_crash), \
        f"{len(set(acked_while_down) - set(stored_at_crash))} acknowledged but not stored"
    assert len(stored_at_crash) == len(set(stored_at_crash))
    assert TOTAL // 4 < len(acked_while_down) < TOTAL  # the crash really was mid-sync

    # The outbox drained, only after the restart, and forgot each incident exactly once.
    assert outbox.depth() == 0 and not outbox.aside
    assert len(outbox.acknowledged) == len(set(outbox.acknowledged)) == TOTAL
    assert sender.stats.set_aside == 0 and crash.waits_while_down > 0  # it kept trying

    # Every incident stored exactly once; the evidence is all there.
    uuids, evidence_rows, hashes = _stored_uuids(root)
    assert len(uuids) == len(set(uuids)) == TOTAL
    assert set(uuids) == set(outbox.acknowledged)
    assert evidence_rows == TOTAL // WITH_SCREENSHOT_EVERY
    assert len(hashes) == evidence_rows  # every screenshot was sealed afresh
    staged = [p.name for p in (root / "incoming").rglob("*") if p.is_file()]
    assert staged == [], f"uploads left staged after every batch was stored: {staged}"

    code, out, err = run_main("stats", *school, "--json", "--user", "dsl", "--password-file",
                              str(tmp_path / "pw"))
    assert code == 0, err
    assert json.loads(out)["incidents"]["total"] == TOTAL
    code, out, err = run_main("verify", *school)
    assert code == 0 and out.startswith("OK:"), err
    assert f" {TOTAL // WITH_SCREENSHOT_EVERY} evidence files verified" in out

    # Whatever the crashed batch had committed came back as duplicates, not second copies.
    redone = len(set(stored_at_crash) - set(acked_while_down))
    assert client.results.get("stored", 0) + redone == TOTAL
    assert client.results.get("duplicate", 0) >= redone
    assert client.results.get("conflict", 0) == 0
    print(f"\ncrash sync: {elapsed:.1f} s; killed at {crash.acked_at_kill} acknowledged; "
          f"{len(acked_while_down)} acknowledged / {len(stored_at_crash)} stored at the crash; "
          f"answers {client.results}; {sender.stats.rounds} rounds, "
          f"{len(sender.stats.waits)} waits")


# --- 2. an evidence upload cut off half way -------------------------------------------------

def test_half_uploaded_blob_resumes_from_the_offset_head_reports(
        school: list[str], serve: Serve, tmp_path: Path) -> None:
    bundle = _bundle(school, tmp_path, serve.port)
    noise = Image.frombytes("RGB", (600, 600), random.Random(3).randbytes(600 * 600 * 3))
    png = io.BytesIO()
    noise.save(png, "PNG")
    shot = Screenshot(png.getvalue(), "image/png", 600, 600)

    class ResumingClient(SyncClient):
        offsets: list[int]

        async def _put_from(self, sha256: str, data: bytes, offset: int) -> None:
            self.offsets.append(offset)
            await super()._put_from(sha256, data, offset)

    async def scenario() -> tuple[int, int, int, list[int], list[dict[str, str]]]:
        device = await _enrol(bundle, serve.port)
        client = ResumingClient(f"https://{device.address}", device.context, device.uuid)
        client.offsets = []
        async with client:
            reply = await client.hello(EPOCH, AGENT)
            sealed = device.incident(X25519PublicKey.from_public_bytes(
                reply.evidence_public_key), shot)
            ((sha, blob),) = sealed.blobs
            assert hashlib.sha256(blob).hexdigest() == sha and len(blob) > 1_000_000
            half = len(blob) // 2
            await _put_cut_off(device, sha, blob, half, client)
            offset = await _settled_offset(client, sha)
            await client.upload_blob(sha, blob)
            assert await client.blob_offset(sha) is None  # complete
            results = await client.send_batch(EPOCH, [OutgoingIncident(
                sealed.manifest, sealed.signature, sealed.content, sealed.blobs)])
        return offset, half, len(blob), client.offsets, results

    offset, half, length, offsets, results = asyncio.run(scenario())
    assert 0 < offset <= half < length
    assert offsets == [0, offset]  # tried from 0, was told 409, resumed at HEAD's offset
    assert [r["result"] for r in results] == ["stored"]
    serve.stop()

    uuids, evidence_rows, hashes = _stored_uuids(tmp_path / "school")
    assert len(uuids) == 1 and evidence_rows == 1
    console = open_install(tmp_path / "school", PASSPHRASE)
    try:
        (sha,) = hashes
        assert console.evidence.check(sha) is None
        assert len(console.evidence.get(sha)) == length
    finally:
        console.close()
    assert not [p for p in (tmp_path / "school" / "incoming").rglob("*") if p.is_file()]


async def _put_cut_off(device: Device, sha: str, blob: bytes, sent: int,
                       client: SyncClient) -> None:
    """A PUT that declares the whole file, sends `sent` bytes of it, and drops the connection
    (no close_notify, no FIN handshake to finish the body) once the console has written some."""
    host, _, port = device.address.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port), ssl=device.context)
    head = (f"PUT /v1/blobs/{sha} HTTP/1.1\r\nHost: {device.address}\r\n"
            f"Upload-Offset: 0\r\nUpload-Length: {len(blob)}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {len(blob)}\r\n\r\n")
    writer.write(head.encode("ascii") + blob[:sent])
    await writer.drain()
    deadline = time.monotonic() + 10
    while (await client.blob_offset(sha) or 0) < sent // 2:  # it is writing what we sent
        assert time.monotonic() < deadline, "the console wrote nothing of the half upload"
        await asyncio.sleep(0.02)
    assert not reader.at_eof()  # no answer yet: the body is incomplete
    writer.transport.abort()


async def _settled_offset(client: SyncClient, sha: str) -> int:
    """HEAD, once the console has noticed the dropped connection (the offset stops moving)."""
    deadline, seen = time.monotonic() + 10, [-1]
    while True:
        offset = await client.blob_offset(sha)
        assert offset is not None, "a half upload is reported complete"
        seen.append(offset)
        if seen[-4:] == [offset] * 4:
            return offset
        assert time.monotonic() < deadline, "the offset of the cut-off upload never settled"
        await asyncio.sleep(0.05)
