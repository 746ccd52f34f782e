"""The device's sender loop against a real receiver that rate-limits it: it waits as told
(Retry-After), keeps every incident until the console has it, and drains the outbox. Between
syncs the agent keeps its TLS context and connection (`ConsoleLink`): incidents sent in several
drains cost one handshake, and a kept connection that went dead is replaced unnoticed."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from app.errors import ValidationError
from app.net import tls
from app.net.client import SyncRefused
from app.net.limits import Limits
from app.net.sender import BACKOFF_CAP_S, ConsoleLink, Sender, backoff_delay
from app.net.server import ReceiverServer
from app.net.simulator import MemoryOutbox
from app.services import devices
from db.models import Incident
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


# --- the link kept between syncs: one TLS context, one connection --------------------------

@pytest.fixture
def counted(install, executor, monkeypatch) -> Iterator[ReceiverServer]:  # type: ignore[no-untyped-def]
    """A real receiver whose TLS handshakes are counted: its context's SNI callback runs once
    for every ClientHello, with a server name or without."""
    handshakes: list[str | None] = []
    real = tls.server_context

    def counting(*args):  # type: ignore[no-untyped-def]
        context = real(*args)
        context.sni_callback = lambda _conn, name, _context: handshakes.append(name)
        return context

    monkeypatch.setattr(tls, "server_context", counting)
    receiver = ReceiverServer(install, executor)
    receiver.start()
    receiver.handshakes = handshakes  # type: ignore[attr-defined]
    yield receiver
    receiver.stop()


@pytest.fixture
def built(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """Counts the client TLS contexts built."""
    calls: list[int] = []
    real = tls.client_context

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(tls, "client_context", counting)
    return calls


def _ca(install):  # type: ignore[no-untyped-def]
    return devices.ca_certificate(install), devices.ca_pin(install)


async def _sync(link: ConsoleLink, address: str, device, outbox: MemoryOutbox) -> int:  # type: ignore[no-untyped-def]
    """What the agent does each time: hello over the kept link, then drain the outbox."""
    ca, pin = _ca(device.console)
    context = link.context(ca, pin, device.cert, device.key)
    client, reply = await link.first(address, context, device.uuid,
                                     lambda c: c.hello(EPOCH, "1.0.0", outbox.depth()))
    sender = Sender(client, outbox, EPOCH, "1.0.0")
    sender.max_batch = reply.limits.max_batch
    sent = 0
    while outbox.depth():
        sent += await sender.send_round(greet=sent > 0)
    return sent


def test_drains_over_a_kept_link_cost_one_context_and_one_handshake(install, counted,
                                                                    built) -> None:  # type: ignore[no-untyped-def]
    device = admit(install, counted.port)
    outbox = MemoryOutbox()
    address = f"127.0.0.1:{counted.port}"

    async def go() -> list[int]:
        async with ConsoleLink() as link:
            sent = []
            for drain in range(4):
                for n in range(3):
                    outbox.add(device.incident(screenshot=n == 0, text=f"kill yourself {drain}"))
                sent.append(await _sync(link, address, device, outbox))
                await asyncio.sleep(0.2)  # between drains: the connection waits, idle
            return sent

    assert run(go()) == [3, 3, 3, 3] and outbox.depth() == 0
    with install.reading() as db:
        assert db.execute(select(func.count()).select_from(Incident)).scalar_one() == 12
    assert len(counted.handshakes) == 1, "a TLS handshake per sync: the connection was not kept"
    assert len(built) == 1, "the TLS context was built again for each sync"


def test_a_new_certificate_or_address_gets_a_new_context_and_connection(install, counted,
                                                                        built) -> None:  # type: ignore[no-untyped-def]
    device, other = admit(install, counted.port), admit(install, counted.port, "lab-pc-02")
    ca, pin = _ca(install)

    async def go() -> None:
        async with ConsoleLink() as link:
            first = link.context(ca, pin, device.cert, device.key)
            assert link.context(ca, pin, device.cert, device.key) is first
            await _sync(link, f"127.0.0.1:{counted.port}", device, MemoryOutbox())
            await _sync(link, f"localhost:{counted.port}", device, MemoryOutbox())
            assert len(counted.handshakes) == 2  # another address: another connection
            assert link.context(ca, pin, other.cert, other.key) is not first
            await _sync(link, f"localhost:{counted.port}", other, MemoryOutbox())
            await _sync(link, f"localhost:{counted.port}", other, MemoryOutbox())
            assert len(counted.handshakes) == 3  # a new certificate: a new connection, once
            rogue_pin = "sha256:" + "0" * 64
            with pytest.raises(ValidationError, match="pinned CA"):  # refused every time
                link.context(ca, rogue_pin, other.cert, other.key)
            with pytest.raises(ValidationError, match="pinned CA"):
                link.context(ca, rogue_pin, other.cert, other.key)

    run(go())
    assert len(built) == 4  # two good ones, two refusals


class Relay:
    """A TCP relay in front of the receiver that counts connections and can cut the ones open
    now when their next request arrives — as a network box that forgot an idle connection."""

    def __init__(self, target: int) -> None:
        self.target, self.connections = target, 0
        self.doomed: set[int] = set()
        self.cut_new = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._open: list[asyncio.StreamWriter] = []
        self._handlers: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Relay:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._open:
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    def cut_open_connections(self) -> None:
        self.doomed = set(range(1, self.connections + 1))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._handlers.append(asyncio.current_task())  # type: ignore[arg-type]
        self.connections += 1
        number = self.connections
        if self.cut_new:
            self.doomed.add(number)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self._open += [writer, up_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter,
                       upstream: bool) -> None:
            try:
                while data := await source.read(65536):
                    if upstream and number in self.doomed:
                        break  # the request goes nowhere; both ends are closed
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.close()
                (writer if upstream else up_writer).close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))


def test_a_kept_connection_that_went_dead_is_replaced_without_a_refusal(
        install, counted, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="app.net.sender")
    device = admit(install, counted.port)
    outbox = MemoryOutbox()

    async def go() -> tuple[int, int, list[int]]:
        async with Relay(counted.port) as relay, ConsoleLink() as link:
            address = f"127.0.0.1:{relay.port}"
            outbox.add(device.incident())
            sent = [await _sync(link, address, device, outbox)]
            relay.cut_open_connections()
            outbox.add(device.incident())
            sent.append(await _sync(link, address, device, outbox))  # hello fails, is resent
            after_cut = relay.connections
            outbox.add(device.incident())
            sent.append(await _sync(link, address, device, outbox))
            return after_cut, relay.connections, sent

    after_cut, total, sent = run(go())
    assert sent == [1, 1, 1] and outbox.depth() == 0
    assert after_cut == total == 2  # one new connection, kept again
    assert [r.message for r in caplog.records if "had gone" in r.message]  # the hello resent


def test_a_new_connection_that_fails_is_not_tried_again(install, counted) -> None:  # type: ignore[no-untyped-def]
    """The backoff of the caller decides when to try again, not the link."""
    device = admit(install, counted.port)

    async def go() -> tuple[SyncRefused, int]:
        async with Relay(counted.port) as relay, ConsoleLink() as link:
            relay.cut_new = True
            with pytest.raises(SyncRefused) as refused:
                await _sync(link, f"127.0.0.1:{relay.port}", device, MemoryOutbox())
            return refused.value, relay.connections

    refusal, connections = run(go())
    assert refusal.status == 0 and refusal.retryable and connections == 1
