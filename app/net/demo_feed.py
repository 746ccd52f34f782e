"""The demo school's live devices: a few simulated agents that enrol with the console's own
receiver and send an incident every half-minute or so, so someone trying the demo sees alerts
arrive while they look. Demo installs only; loopback only.

Threading: its own asyncio loop on a background thread; `stop()` from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading

from app.net import enrol_client, simulator
from app.services import enrolment
from app.services.console import Console

log = logging.getLogger(__name__)
DEVICES = 3
SECONDS_BETWEEN = 40.0  # per device, on average
INCIDENTS_EACH = 10_000  # more than any demo session lasts


class DemoFeed:
    def __init__(self, console: Console, port: int) -> None:
        self._address = f"127.0.0.1:{port}"
        bundle = enrolment.demo_bundle(console, [self._address])
        self._bundle = enrol_client.read_bundle(json.dumps(bundle).encode())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="kestrel-demo-feed", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already finished and closed
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._feed())
        except Exception:  # a demo nicety must never take the console down
            log.exception("the demo devices stopped")
        finally:
            self._loop.close()

    async def _feed(self) -> None:
        self._stop = asyncio.Event()
        await simulator.simulate(self._bundle, self._address, DEVICES, INCIDENTS_EACH,
                                 rate=1 / SECONDS_BETWEEN, screenshots=0.4, seed=7,
                                 stop=self._stop)
