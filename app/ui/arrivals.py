"""What the window does when devices send incidents: open their sealed content with the
signed-in DSL's or deputy's key (in the background, a batch at a time), and tell the incident
list how many arrived — without reloading it under the DSL's cursor (F5 shows them).

Threading: GUI thread; `opener.open_received` runs on the DB executor through the bridge.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from app.security.authorisation import Permission, allowed
from app.services import opener
from app.services.console import Console
from app.services.opener import Opened
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge

log = logging.getLogger(__name__)


class Arrivals(QObject):
    """`sig_news(count)`: this many incidents arrived since the list was last loaded."""

    sig_news = Signal(int)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge, self._console, self._session = bridge, console, session
        self._can_open = allowed(session.role, Permission.OPEN_EVIDENCE)
        self._opening = False
        self._again = False

    def arrived(self, count: int) -> None:
        self.sig_news.emit(count)
        self.open_waiting()

    def open_waiting(self) -> None:
        """Open whatever is sealed, batch after batch, one request in flight at a time."""
        if not self._can_open or self._session.locked:
            return
        if self._opening:
            self._again = True
            return
        self._opening, self._again = True, False
        self._bridge.call(opener.open_received, self._console, self._session,
                          on_result=self._opened, on_error=self._failed)

    def _opened(self, result: Opened) -> None:
        self._opening = False
        if result.any or self._again:
            self.open_waiting()

    def _failed(self, exc: BaseException) -> None:
        self._opening = False  # locked in the meantime, most likely; tried again on the next
        log.info("sealed content not opened now: %s", type(exc).__name__)
