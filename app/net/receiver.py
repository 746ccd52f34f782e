"""The sync receiver's HTTP endpoints (DESIGN §7): hello, incident batches and evidence uploads.

Every request from a device: TLS 1.3 with a certificate the school CA issued (checked by the
TLS layer), then the certificate's fingerprint must be an *active* device, then the device's
token bucket must allow it. Who a certificate belongs to is remembered for DEVICE_RECHECK_S: a
revocation made in this process bites at once (`Console.device_generation`), one made by another
process (the `devices revoke` command beside a headless `serve`) within that many seconds. Bodies
are read by counting bytes as they stream and validated in `schemas.py`. A refusal is a 4xx
with a JSON reason; a failure of ours is a 503 with Retry-After — a device's data is never
refused because the console stumbled, and never acknowledged before it is durably committed.

Database work runs on the console's one DB executor; the event loop only waits for it.
Threading: everything here runs on the receiver's event loop thread (`server.py`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from cryptography.hazmat.primitives import serialization

from app.errors import ValidationError
from app.net.limits import Limits
from app.net.schemas import ProtocolError, load_json, parse_batch, parse_enrol, parse_hello
from app.security import pki
from app.services import agent_policy, devices, enrolment, ingest
from app.services.console import Console
from app.services.devices import DeviceRef, Heartbeat
from app.services.executor import DbExecutor
from app.services.uploads import UploadError, Uploads

log = logging.getLogger(__name__)
T = TypeVar("T")
HEARTBEAT_FLUSH_S = 1.0
READERS = 4
FILE_WORKERS = 16
DEVICE_RECHECK_S = 2.0  # a lookup per request cost more than the rest of an upload
MAX_REMEMBERED_DEVICES = 5_000
WHOLE_BODY_BYTES = 1 << 20  # an upload this small is read into memory, then written at once
EXTRAS_TTL_S = 5.0  # a library or policy change reaches devices within a hello or two
_SHA_CHARS = frozenset("0123456789abcdef")


class Refused(Exception):
    """A request answered with `status` and a reason (and optional headers)."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers or {}


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class Receiver:
    """The aiohttp application; `on_stored(incident_count)` fires after each committed batch
    that stored something (the console turns it into a queued Qt signal)."""

    def __init__(self, console: Console, executor: DbExecutor, limits: Limits | None = None,
                 on_stored: Callable[[int], None] | None = None) -> None:
        self.console, self.executor = console, executor
        self.limits = limits or Limits()
        self.on_stored = on_stored
        self.uploads = Uploads(console.paths.incoming, self.limits.max_blob_bytes)
        self._buckets: dict[str, _Bucket] = {}
        self._in_flight = 0
        self._beats: list[Heartbeat] = []
        self._upload_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._known: dict[str, tuple[float, int, DeviceRef]] = {}  # fingerprint → when, gen, who
        # Reads that need not queue behind the one writer (WAL lets them run beside it):
        # who a certificate belongs to, and what hello hands out.
        self._readers = ThreadPoolExecutor(max_workers=READERS,
                                           thread_name_prefix="kestrel-receiver-read")
        self._extras: tuple[float, str | None, dict[str, Any]] | None = None
        self._files = ThreadPoolExecutor(max_workers=FILE_WORKERS,
                                         thread_name_prefix="kestrel-receiver-files")
        self._evidence_key = evidence_key_b64(console)
        self._ca_pem = pki.pem(devices.ca_certificate(console))
        self.server_cert_der = b""  # set by the server once it has made its certificate

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._answer_errors],
                              client_max_size=self.limits.max_json_bytes)
        app.router.add_get("/v1/ca", self.ca)
        app.router.add_post("/v1/enrol", self.enrol)
        app.router.add_get("/v1/enrol/{request_id}", self.enrol_status)
        app.router.add_post("/v1/hello", self.hello)
        app.router.add_post("/v1/incidents:batch", self.batch)
        app.router.add_route("HEAD", "/v1/blobs/{sha256}", self.blob_state)
        app.router.add_put("/v1/blobs/{sha256}", self.blob_put)
        app.cleanup_ctx.append(self._heartbeat_flusher)
        return app

    # --- endpoints --------------------------------------------------------------------------

    async def ca(self, request: web.Request) -> web.Response:
        """The school CA's certificate, for a device enrolling by typed code: it checks the pin
        prefix in its code against this before it sends anything."""
        self._take_token(f"address:{request.remote}")
        return web.Response(body=self._ca_pem, content_type="application/x-pem-file")

    async def enrol(self, request: web.Request) -> web.Response:
        self._take_token(f"address:{request.remote}")  # no certificate yet: budget by address
        ask = parse_enrol(load_json(await self._body(request, self.limits.max_json_bytes)))
        try:
            answer = await self._db(enrolment.request_enrolment, self.console, ask,
                                    self.server_cert_der, request.remote)
        except enrolment.EnrolRefused as refusal:
            raise Refused(403, str(refusal)) from None
        return _json(_enrol_doc(answer, self._evidence_key),
                     status=200 if answer.certificate else 202)

    async def enrol_status(self, request: web.Request) -> web.Response:
        self._take_token(f"address:{request.remote}")
        request_id = request.match_info["request_id"]
        if len(request_id) != 36:
            raise ProtocolError("an enrolment request id is a UUID")
        try:
            answer = await self._db(enrolment.enrolment_status, self.console, request_id)
        except enrolment.EnrolRefused as refusal:
            raise Refused(404, str(refusal)) from None
        return _json(_enrol_doc(answer, self._evidence_key))

    async def hello(self, request: web.Request) -> web.Response:
        device = await self._device(request)
        hello = parse_hello(load_json(await self._body(request, self.limits.max_json_bytes)))
        if hello.device != device.uuid:
            raise ProtocolError("device does not match the device certificate")
        now = self.console.clock()
        skew = round((hello.sent_at - now).total_seconds())
        self._beats.append(Heartbeat(device.id, now, hello.agent_version, skew,
                                     hello.outbox_depth, hello.screenshots_dropped,
                                     request.remote))
        extras = await self._hello_extras(hello.library_version)
        return _json({"time": now.isoformat(), "limits": self.limits.for_devices(),
                      "evidence_public_key": self._evidence_key, "commands": [], **extras})

    async def batch(self, request: web.Request) -> web.Response:
        device = await self._device(request)
        with self._upload_slot():
            batch = parse_batch(load_json(await self._body(request, self.limits.max_json_bytes)),
                                self.limits.max_batch)
            items = [(i.manifest, i.signature, i.content) for i in batch.items]
            # Checks and evidence files off the DB thread (fsyncs in parallel across devices);
            # the one writer does only SQL; staged copies go once the rows have committed.
            prepared = await self._run_blocking(lambda: ingest.prepare_from_device(
                self.console, device, items, self.uploads))
            results = await self._db(ingest.store_from_device, self.console, device, prepared)
            await self._run_blocking(lambda: ingest.discard_staged(self.uploads, device,
                                                                   prepared, results))
        stored = sum(1 for r in results if r.result == ingest.STORED)
        if stored and self.on_stored is not None:
            self.on_stored(stored)
        return _json({"results": [{"uuid": r.uuid, "result": r.result, "reason": r.reason}
                                  for r in results]})

    async def blob_state(self, request: web.Request) -> web.Response:
        device = await self._device(request, budgeted=False)
        sha = _sha_of(request)
        state = self.uploads.state(device.uuid, sha)
        complete = state.complete or self.console.evidence.path_for(sha).exists()
        return web.Response(status=200, headers=_offset_headers(state.received, complete))

    async def blob_put(self, request: web.Request) -> web.Response:
        device = await self._device(request, budgeted=False)
        sha = _sha_of(request)
        offset = _int_header(request, "Upload-Offset")
        length = _int_header(request, "Upload-Length")
        lock = self._upload_locks.setdefault((device.uuid, sha), asyncio.Lock())
        if lock.locked():
            raise Refused(409, "this file is being uploaded on another connection")
        async with lock:
            try:
                with self._upload_slot():
                    complete, received = await self._receive_blob(request, device, sha,
                                                                  offset, length)
            finally:
                self._upload_locks.pop((device.uuid, sha), None)
        return _json({"received": received, "complete": complete},
                     headers=_offset_headers(received, complete))

    # --- the parts --------------------------------------------------------------------------

    async def _receive_blob(self, request: web.Request, device: DeviceRef, sha: str,
                            offset: int, length: int) -> tuple[bool, int]:
        size = request.content_length
        if size is not None and size <= WHOLE_BODY_BYTES:  # a screenshot: one file-thread trip
            try:
                body = await self._body(request, size)
            except TimeoutError:
                raise Refused(408, "the upload was too slow; resume from Upload-Offset",
                              _offset_headers(offset, False)) from None
            return await self._run_blocking(
                lambda: self.uploads.receive(device.uuid, sha, offset, length, body))
        writer = await self._run_blocking(
            lambda: self.uploads.open_part(device.uuid, sha, offset, length))
        try:
            async with asyncio.timeout(self.limits.request_timeout_s):
                async for chunk in request.content.iter_chunked(1 << 16):
                    writer.write(chunk)
        except TimeoutError:
            await self._run_blocking(writer.abort)
            raise Refused(408, "the upload was too slow; resume from Upload-Offset",
                          _offset_headers(writer.position, False)) from None
        except BaseException:  # the device went away: keep what arrived, for it to resume
            await asyncio.shield(self._run_blocking(writer.abort))
            raise
        complete = await self._run_blocking(writer.finish)
        return complete, writer.position

    async def _device(self, request: web.Request, budgeted: bool = True) -> DeviceRef:
        """The active device behind the connection. Requests come out of its token bucket,
        except evidence uploads: those are bounded by the upload slots and by how much one
        device may stage (`Uploads`), so a batch of 50 screenshots is not 100 requests' worth
        of waiting."""
        ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
        cert = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if not cert:
            raise Refused(401, "a device certificate is required")
        fingerprint = pki.fingerprint(cert)
        if budgeted:
            self._take_token(fingerprint)
        now, generation = time.monotonic(), self.console.device_generation
        known = self._known.get(fingerprint)
        if known is not None and known[1] == generation and now - known[0] < DEVICE_RECHECK_S:
            return known[2]
        device = await asyncio.get_running_loop().run_in_executor(
            self._readers, devices.active_device, self.console, fingerprint)
        if device is None:
            self._known.pop(fingerprint, None)
            raise Refused(403, "this device is not enrolled, or its enrolment was revoked")
        if len(self._known) > MAX_REMEMBERED_DEVICES:
            self._known.clear()  # a bound, not an LRU: a refill costs one lookup each
        self._known[fingerprint] = (now, generation, device)
        return device

    def _take_token(self, key: str) -> None:
        now = time.monotonic()
        rate, burst = self.limits.device_rate_per_s, float(self.limits.device_burst)
        bucket = self._buckets.setdefault(key, _Bucket(burst, now))
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens < 1:
            wait = max(1, round((1 - bucket.tokens) / rate + 0.5))
            raise Refused(429, "too many requests from this device",
                          {"Retry-After": str(wait)})
        bucket.tokens -= 1

    def _upload_slot(self) -> _Slot:
        if self._in_flight >= self.limits.upload_concurrency:
            raise Refused(503, "the console is busy; try again shortly",
                          {"Retry-After": str(self.limits.retry_after_s)})
        return _Slot(self)

    async def _body(self, request: web.Request, limit: int) -> bytes:
        if request.content_length is not None and request.content_length > limit:
            raise Refused(413, f"the body is larger than {limit} bytes")
        body = bytearray()
        async with asyncio.timeout(self.limits.request_timeout_s):
            async for chunk in request.content.iter_chunked(1 << 16):
                body += chunk
                if len(body) > limit:  # counted: a streamed body has no Content-Length
                    raise Refused(413, f"the body is larger than {limit} bytes")
        return bytes(body)

    async def _hello_extras(self, device_library: str | None) -> dict[str, Any]:
        """Policy and library for hello, read at most every EXTRAS_TTL_S (a 3,000-device
        minute must not re-read the library edits 3,000 times); the library document is sent
        only to a device whose version differs."""
        now = time.monotonic()
        if self._extras is None or now - self._extras[0] > EXTRAS_TTL_S:
            full = await asyncio.get_running_loop().run_in_executor(
                self._readers, agent_policy.hello_extras, self.console, None)
            self._extras = (now, str(full["library_version"]), full)
        _at, version, full = self._extras
        if device_library == version:
            return {k: v for k, v in full.items() if k != "library"}
        return full

    def close(self) -> None:
        self._readers.shutdown(wait=True, cancel_futures=True)
        self._files.shutdown(wait=True, cancel_futures=True)

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        future: Future[T] = self.executor.submit(fn, *args)
        return await asyncio.wrap_future(future)

    async def _run_blocking(self, fn: Callable[[], T]) -> T:
        """File work (staging, hashing, fsyncs) on the receiver's own pool: enough threads that
        many devices' flushes overlap (the disk groups them), never the DB writer's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._files, fn)

    @web.middleware
    async def _answer_errors(self, request: web.Request,
                             handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                             ) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refused as exc:
            return _json({"error": exc.reason}, status=exc.status, headers=exc.headers)
        except UploadError as exc:
            return _json({"error": str(exc)}, status=exc.status,
                         headers=_offset_headers(exc.offset, False))
        except ValidationError as exc:
            return _json({"error": str(exc)}, status=400)
        except web.HTTPException as exc:  # aiohttp's own: 404, 405, 413 from client_max_size
            return _json({"error": exc.reason}, status=exc.status)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("the receiver failed on %s %s", request.method, request.path)
            return _json({"error": "the console could not finish this request; try again"},
                         status=503, headers={"Retry-After": str(self.limits.retry_after_s)})

    async def _heartbeat_flusher(self, app: web.Application) -> Any:
        task = asyncio.create_task(self._flush_heartbeats_forever())
        yield
        task.cancel()
        await self._flush_heartbeats()

    async def _flush_heartbeats_forever(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_FLUSH_S)
            try:
                await self._flush_heartbeats()
            except Exception:
                log.exception("could not record device heartbeats")

    async def _flush_heartbeats(self) -> None:
        beats, self._beats = self._beats, []
        if beats:
            await self._db(devices.record_heartbeats, self.console, beats)


class _Slot:
    """One of the receiver's upload slots, held for the duration of a `with` block."""

    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver
        receiver._in_flight += 1

    def __enter__(self) -> _Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self._receiver._in_flight -= 1


def evidence_key_b64(console: Console) -> str:
    """The evidence public key devices seal to, as hello returns it (base64 of 32 raw bytes)."""
    raw = console.keys.evidence_public_key.public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def _enrol_doc(answer: enrolment.EnrolAnswer, evidence_key: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"request_id": answer.request_id, "state": answer.state,
                           "short_id": answer.short_id, "evidence_public_key": evidence_key}
    if answer.certificate is not None:
        doc["certificate"] = base64.b64encode(answer.certificate).decode("ascii")
    return doc


def _sha_of(request: web.Request) -> str:
    sha = request.match_info["sha256"]
    if len(sha) != 64 or not set(sha) <= _SHA_CHARS:
        raise ProtocolError("a blob is named by the SHA-256 (hex, lower case) of its bytes")
    return sha


def _int_header(request: web.Request, name: str) -> int:
    value = request.headers.get(name, "")
    if not value.isdigit() or len(value) > 12:
        raise ProtocolError(f"the {name} header must be a whole number of bytes")
    return int(value)


def _offset_headers(offset: int, complete: bool) -> dict[str, str]:
    return {"Upload-Offset": str(offset), "Upload-Complete": "?1" if complete else "?0",
            "Cache-Control": "no-store"}


def _json(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, headers=headers, content_type="application/json",
                        text=json.dumps(doc, separators=(",", ":")))
