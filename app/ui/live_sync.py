"""The console's receiver, run alongside the GUI, and what it tells the window.

Devices on the LAN reach the console here (settings `receiver_host`/`receiver_port`; a demo
install listens on loopback only and starts its own simulated devices). Each committed batch
becomes `sig_arrived(count)` on the GUI thread — a queued signal, never a widget touched from
the receiver's thread. If the port cannot be opened the console still runs and says why.

Threading: created and used on the GUI thread; the receiver and demo feed have their own.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from app.net.demo_feed import DemoFeed
from app.net.discovery import Announcer, announce
from app.net.server import ReceiverError, ReceiverServer
from app.services import devices
from app.services.console import Console
from app.services.executor import DbExecutor

log = logging.getLogger(__name__)


class LiveSync(QObject):
    sig_arrived = Signal(int)

    def __init__(self, console: Console, executor: DbExecutor,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        settings = console.settings
        self.host = "127.0.0.1" if settings.is_demo else settings.receiver_host
        port = 0 if settings.is_demo else settings.receiver_port
        self.server: ReceiverServer | None = None
        self.feed: DemoFeed | None = None
        self.announcer: Announcer | None = None
        self.status = "Not listening for devices (no receiver address set)."
        if not self.host:
            return
        # Emitted from the receiver's thread; Qt queues it to this object's (GUI) thread.
        self.server = ReceiverServer(console, executor, self.host, port,
                                     on_stored=self.sig_arrived.emit)
        try:
            bound = self.server.start()
        except ReceiverError as exc:
            log.warning("receiver not started: %s", exc)
            self.server = None
            self.status = (f"Devices cannot reach this console: port {port} could not be "
                           "opened (is another Kestrel running?).")
            return
        self.status = f"Listening for devices on {self.host}:{bound}."
        if not settings.is_demo:
            self.announcer = announce(bound, devices.ca_pin(console), self.host)
        else:
            self.feed = DemoFeed(console, bound)
            self.feed.start()
            self.status = "Demo devices are sending made-up alerts."

    def stop(self) -> None:
        if self.feed is not None:
            self.feed.stop()
        if self.announcer is not None:
            self.announcer.close()
        if self.server is not None:
            self.server.stop()
