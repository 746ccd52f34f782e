"""The device's sender loop: outbox → console, until the console has everything.

Each round: `hello` (a heartbeat that also brings the limits), then up to `max_batch` incidents
from the outbox — their evidence uploaded first (resuming), then the batch. The outbox forgets
an incident only when the console answered stored or duplicate (durably committed); a conflict
is forgotten too (the console keeps its original and raised a security event — sending again
would change nothing). Missing evidence is uploaded again next round. Any other rejection stays
in the outbox, set aside, and is counted.

When the console is unreachable, busy or rate-limits the device, the loop waits: Retry-After if
the console said so, else exponential backoff with full jitter capped at 15 minutes.

`ConsoleLink` is what the agent keeps between syncs: the TLS context (building one loads the
certificates and decrypts the key: ~5 ms of CPU) and one open connection, so an incident costs
its requests rather than a context and a handshake. A sync that only said hello lets the
connection go: a console with thousands of idle devices should not hold a socket for each.

Threading: asyncio; the outbox is called from the loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.agent.incident import SealedIncident
from app.net import tls
from app.net.client import OutgoingIncident, SyncClient, SyncRefused
from app.security import pki

log = logging.getLogger(__name__)
T = TypeVar("T")
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 15 * 60.0
KEEPALIVE_S = 60.0  # an idle connection is kept this long after a sync that sent incidents
MISSING_EVIDENCE = "missing evidence"  # app.services.ingest.MISSING_EVIDENCE, as devices see it


class Outbox(Protocol):
    def waiting(self, limit: int) -> Sequence[SealedIncident]: ...
    def acknowledge(self, uuids: Sequence[str]) -> None: ...
    def set_aside(self, uuid: str, reason: str) -> None: ...
    def depth(self) -> int: ...


@dataclass
class SendStats:
    acknowledged: int = 0
    set_aside: int = 0
    rounds: int = 0
    waits: list[float] = field(default_factory=list)


def backoff_delay(attempt: int, rng: random.Random, base: float = BACKOFF_BASE_S,
                  cap: float = BACKOFF_CAP_S) -> float:
    """Full jitter: uniform in [0, min(cap, base·2^attempt)] — devices that failed together do
    not all come back together."""
    return rng.uniform(0.0, min(cap, base * 2.0 ** min(attempt, 30)))


class Sender:
    def __init__(self, client: SyncClient, outbox: Outbox, epoch: str, agent_version: str,
                 rng: random.Random | None = None) -> None:
        self.client, self.outbox = client, outbox
        self.epoch, self.agent_version = epoch, agent_version
        self.rng = rng or random.Random()
        self.stats = SendStats()
        self.max_batch = 50

    async def send_round(self, greet: bool = True) -> int:
        """One hello and one batch; returns how many incidents the console acknowledged.
        `greet=False` skips the hello when the caller has just said it (and set `max_batch`)."""
        if greet:
            reply = await self.client.hello(self.epoch, self.agent_version,
                                            outbox_depth=self.outbox.depth())
            self.max_batch = reply.limits.max_batch
        batch = list(self.outbox.waiting(self.max_batch))
        if not batch:
            return 0
        for incident in batch:
            for sha, blob in incident.blobs:
                await self.client.upload_blob(sha, blob)
        results = await self.client.send_batch(
            self.epoch, [OutgoingIncident(i.manifest, i.signature, i.content, i.blobs)
                         for i in batch])
        return self._settle(batch, results)

    async def drain(self, stop: asyncio.Event | None = None) -> SendStats:
        """Send until the outbox is empty (or `stop` is set), waiting out refusals."""
        attempt = 0
        while self.outbox.depth() and not (stop and stop.is_set()):
            self.stats.rounds += 1
            try:
                await self.send_round()
                attempt = 0
            except SyncRefused as refusal:
                if not refusal.retryable:
                    raise
                wait = refusal.retry_after if refusal.retry_after is not None else \
                    backoff_delay(attempt, self.rng)
                attempt += 1
                self.stats.waits.append(wait)
                log.info("console said %s; waiting %.1f s", refusal.status, wait)
                await sleep_or_stop(wait, stop)
        return self.stats

    def _settle(self, batch: list[SealedIncident], results: list[dict[str, str]]) -> int:
        if len(results) != len(batch):
            raise SyncRefused(0, "the console answered a different number of results")
        done = []
        for incident, result in zip(batch, results, strict=True):
            outcome, reason = result.get("result"), result.get("reason", "")
            if outcome in ("stored", "duplicate", "conflict"):
                done.append(incident.uuid)
            elif outcome == "rejected" and not reason.startswith(MISSING_EVIDENCE):
                self.outbox.set_aside(incident.uuid, reason)
                self.stats.set_aside += 1
        self.outbox.acknowledge(done)
        self.stats.acknowledged += len(done)
        return len(done)


class ConsoleLink:
    """A device's way to its console, kept from one sync to the next: one TLS context, built
    again only when what it is made of (CA, pin, device certificate and key) changes, and one
    open `SyncClient` — one keep-alive connection — for the console address in use, replaced
    when the address or the context changes, or after a failure.

    A sync's first request goes through `first()`: a connection kept from an earlier sync that
    the console (or a box in between) dropped while it was idle fails that request, which is
    then sent once more on a new connection. Sending it twice is harmless: it is a hello.

    Threading: asyncio; one event loop owns a link and closes it (`async with`)."""

    def __init__(self, keepalive_s: float = KEEPALIVE_S) -> None:
        self.keepalive_s = keepalive_s
        self._made: tuple[bytes, ...] | None = None
        self._context: ssl.SSLContext | None = None
        self._client: SyncClient | None = None
        self._for: tuple[str, ssl.SSLContext, str] | None = None  # address, context, device

    async def __aenter__(self) -> ConsoleLink:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.release()

    def context(self, ca_cert: x509.Certificate, pin: str, device_cert: x509.Certificate,
                device_key: Ed25519PrivateKey) -> ssl.SSLContext:
        """`tls.client_context(...)`, built only when its ingredients change (a CA that is not
        the pinned one is refused every time, as there)."""
        made = (pki.der(ca_cert), pin.encode(), pki.der(device_cert),
                device_key.public_key().public_bytes_raw())
        if self._context is None or made != self._made:
            self._context = tls.client_context(ca_cert, pin, device_cert, device_key)
            self._made = made
        return self._context

    async def first(self, address: str, context: ssl.SSLContext, device_uuid: str,
                    request: Callable[[SyncClient], Awaitable[T]]) -> tuple[SyncClient, T]:
        """The client for `address` — the kept one when it fits — and the answer to a sync's
        first request on it. A connection that fails is let go (the refusal is raised)."""
        client, kept = await self._client_for(address, context, device_uuid)
        try:
            return client, await request(client)
        except SyncRefused as refusal:
            if refusal.status != 0:
                raise
            await self.release()
            if not kept:
                raise
        log.info("the kept connection to %s had gone; trying a new one", address)
        client, _kept = await self._client_for(address, context, device_uuid)
        try:
            return client, await request(client)
        except SyncRefused as refusal:
            if refusal.status == 0:
                await self.release()
            raise

    async def release(self) -> None:
        """Close the kept client (its connection); the next sync opens a new one."""
        client, self._client, self._for = self._client, None, None
        if client is not None:
            await client.close()

    async def _client_for(self, address: str, context: ssl.SSLContext,
                          device_uuid: str) -> tuple[SyncClient, bool]:
        held = self._for
        if self._client is not None and held is not None and held[0] == address and \
                held[1] is context and held[2] == device_uuid:
            return self._client, True
        await self.release()
        client = await SyncClient(f"https://{address}", context, device_uuid,
                                  self.keepalive_s).__aenter__()
        self._client, self._for = client, (address, context, device_uuid)
        return client, False


async def sleep_or_stop(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):  # the wait ran out: time to try again
        await asyncio.wait_for(stop.wait(), seconds)
