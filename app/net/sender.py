"""The device's sender loop: outbox → console, until the console has everything.

Each round: `hello` (a heartbeat that also brings the limits), then up to `max_batch` incidents
from the outbox — their evidence uploaded first (resuming), then the batch. The outbox forgets
an incident only when the console answered stored or duplicate (durably committed); a conflict
is forgotten too (the console keeps its original and raised a security event — sending again
would change nothing). Missing evidence is uploaded again next round. Any other rejection stays
in the outbox, set aside, and is counted.

When the console is unreachable, busy or rate-limits the device, the loop waits: Retry-After if
the console said so, else exponential backoff with full jitter capped at 15 minutes.

Threading: asyncio; the outbox is called from the loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from app.agent.incident import SealedIncident
from app.net.client import OutgoingIncident, SyncClient, SyncRefused

log = logging.getLogger(__name__)
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 15 * 60.0
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

    async def send_round(self) -> int:
        """One hello and one batch; returns how many incidents the console acknowledged."""
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


async def sleep_or_stop(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):  # the wait ran out: time to try again
        await asyncio.wait_for(stop.wait(), seconds)
