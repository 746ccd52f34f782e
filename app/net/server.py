"""Running the receiver: its own asyncio loop on a background thread of the console (or of
`main.py serve`), with a ready event, the port it bound, and a clean shutdown.

The console's TLS key is made fresh at each start and the CA issues it a certificate for the
names devices may use to reach it; devices trust the CA (pinned), so a new server key needs no
change on any device.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from collections.abc import Callable

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.net import tls
from app.net.limits import Limits
from app.net.receiver import Receiver
from app.security import pki
from app.services import devices
from app.services.console import Console
from app.services.executor import DbExecutor

log = logging.getLogger(__name__)
START_TIMEOUT_S = 15.0
SHUTDOWN_GRACE_S = 5.0


class ReceiverError(Exception):
    """The receiver could not start (port in use, bad address, ...)."""


class ReceiverServer:
    def __init__(self, console: Console, executor: DbExecutor, host: str = "127.0.0.1",
                 port: int = 0, limits: Limits | None = None,
                 on_stored: Callable[[int], None] | None = None) -> None:
        self.receiver = Receiver(console, executor, limits, on_stored)
        self.console, self.host, self._port = console, host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self.port = 0

    def start(self) -> int:
        """Start serving; returns the bound port once connections are accepted."""
        self._thread = threading.Thread(target=self._run, name="kestrel-receiver", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise ReceiverError("the receiver did not start in time")
        if self._failure is not None:
            raise ReceiverError(f"the receiver could not start: {self._failure}") from None
        return self.port

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(START_TIMEOUT_S)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced to start(); the thread must not die silently
            self._failure = exc
            log.exception("the receiver stopped with an error")
        finally:
            self._ready.set()
            self._loop.close()

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        runner = web.AppRunner(self.receiver.application(), access_log=None,
                               shutdown_timeout=SHUTDOWN_GRACE_S)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._port, ssl_context=self._tls(),
                               reuse_address=True)
            await site.start()
            self.port = _bound_port(runner)
            log.info("receiver listening on %s:%d", self.host, self.port)
            self._ready.set()
            await self._stopped.wait()
        finally:
            await runner.cleanup()
            self.receiver.close()

    def _tls(self) -> ssl.SSLContext:
        ca_cert = devices.ca_certificate(self.console)
        key = Ed25519PrivateKey.generate()
        names = ["127.0.0.1", "localhost", socket.gethostname()]
        if self.host not in ("0.0.0.0", "::", ""):
            names.append(self.host)
        cert = pki.issue_server_certificate(self.console.keys.school_ca_key, ca_cert,
                                            key.public_key(), names, self.console.clock())
        self.receiver.server_cert_der = pki.der(cert)  # what enrolment proofs are bound to
        return tls.server_context(ca_cert, cert, key)


def _bound_port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    raise ReceiverError("the receiver bound no TCP address")
