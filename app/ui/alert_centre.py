"""Alerts on screen: a banner in the main window and, where the desktop has one, a tray
notification — category names and counts only, never a pupil, device or word.

`check()` runs at sign-in and whenever devices deliver incidents. If the incidents an alert
announced are still new and unviewed after the reminder interval, it reminds again.

Threading: GUI thread; the service calls go through the bridge.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSystemTrayIcon,
    QWidget,
)

from app.services import alerts
from app.services.alerts import AlertNews
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge


class AlertBanner(QFrame):
    """The in-app banner: what arrived, a button to list it, and a dismiss button."""

    sig_show = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AlertBanner")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.show_button = QPushButton("Show them")
        dismiss = QPushButton("Dismiss")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 6, 10, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.show_button)
        layout.addWidget(dismiss)
        self.show_button.clicked.connect(self.sig_show)
        self.show_button.clicked.connect(self.hide)
        dismiss.clicked.connect(self.hide)
        self.hide()

    def announce(self, text: str) -> None:
        self.text.setText(text)
        self.show()


class AlertCentre(QObject):
    """Asks for new high-severity incidents and announces them; `sig_announced(text)`."""

    sig_announced = Signal(str)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 banner: AlertBanner, remind_ms: int | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge, self._console, self._session = bridge, console, session
        self.banner = banner
        self._after = 0  # incidents up to this id have been announced
        self.min_severity = alerts.DEFAULT_MIN_SEVERITY
        self._checking = False
        self._tracked: tuple[int, ...] = ()
        self.remind_ms = remind_ms
        self.reminder = QTimer(self)
        self.reminder.setSingleShot(True)
        self.reminder.timeout.connect(self._remind)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(QApplication.windowIcon(), self)
            self.tray.show()

    def check(self, _count: int = 0) -> None:
        if self._checking or self._session.locked:
            return
        self._checking = True
        self._bridge.call(alerts.new_alerts, self._console, self._session, self._after,
                          on_result=self._news, on_error=lambda _e: self._done(), owner=self)

    def _done(self) -> None:
        self._checking = False

    def _news(self, news: AlertNews | None) -> None:
        self._done()
        if news is None:
            return
        self._after = max(self._after, news.newest_id)
        self._tracked = tuple(sorted(set(self._tracked) | set(news.incident_ids)))[-500:]
        self._announce(news.text())
        self.min_severity = news.min_severity
        interval = (self.remind_ms if self.remind_ms is not None
                    else news.remind_minutes * 60_000)
        if interval > 0:
            self.reminder.start(interval)

    def _remind(self) -> None:
        self._bridge.call(alerts.unopened, self._console, self._session, self._tracked,
                          on_result=self._still_unopened, owner=self)

    def _still_unopened(self, count: int) -> None:
        if count:
            noun = "incident is" if count == 1 else "incidents are"
            self._announce(f"Reminder: {count} high-severity {noun} still not opened.")

    def _announce(self, text: str) -> None:
        self.banner.announce(text)
        if self.tray is not None:
            self.tray.showMessage("Kestrel", text, QSystemTrayIcon.MessageIcon.Warning)
        self.sig_announced.emit(text)
