"""The idle lock: after `idle_lock_minutes` without keyboard or mouse input, the session forgets
its evidence key and a lock screen covers the whole window until the password is given again.

`IdleLock` watches input application-wide with an event filter (cheap: it only restarts a
timer). `lock_now()` is also what Ctrl+L calls. Unlocking runs `users.unlock` through the bridge,
so a wrong password counts towards the same lockout as signing in.

Threading: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services import users
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message

_INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
})


class LockScreen(QWidget):
    """An opaque cover over the window with one password field. Shows nothing of the data."""

    sig_unlock_requested = Signal(str)

    def __init__(self, who: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("LockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        card = QFrame()
        card.setObjectName("LockCard")
        card.setFixedWidth(420)
        title = QLabel("Kestrel is locked")
        title.setObjectName("ScreenTitle")
        intro = QLabel(f"{who}, enter your password to carry on where you left off.")
        intro.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.error = QLabel()
        self.error.setObjectName("ErrorLine")
        self.error.setWordWrap(True)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setObjectName("Primary")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(12)
        for widget in (title, intro, self.password, self.error, self.unlock_button):
            inner.addWidget(widget)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.password.returnPressed.connect(self._submit)
        self.unlock_button.clicked.connect(self._submit)
        self.hide()

    def reset(self) -> None:
        self.password.clear()
        self.error.clear()
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        self.password.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy)
        self.unlock_button.setText("Checking…" if busy else "Unlock")
        if not busy:
            self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.password.clear()
        self.set_busy(False)

    def _submit(self) -> None:
        if self.password.text():
            self.set_busy(True)
            self.sig_unlock_requested.emit(self.password.text())


class IdleLock(QObject):
    """Locks `window` and its session after `timeout_ms` without input (settings by default)."""

    sig_locked = Signal()
    sig_unlocked = Signal()

    def __init__(self, window: QMainWindow, bridge: ServiceBridge, console: Console,
                 session: UserSession, timeout_ms: int | None = None) -> None:
        super().__init__(window)
        self._window, self._bridge, self._console, self._session = (window, bridge, console,
                                                                     session)
        if timeout_ms is None:
            timeout_ms = console.settings.idle_lock_minutes * 60_000
        self.screen = LockScreen(session.user.display_name, window)
        self.screen.sig_unlock_requested.connect(self._try_unlock)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self.lock_now)
        QApplication.instance().installEventFilter(self)
        window.installEventFilter(self)
        self._timer.start()

    @property
    def locked(self) -> bool:
        return self._session.locked

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in _INPUT_EVENTS and not self._session.locked:
            self._timer.start()
        elif watched is self._window and kind == QEvent.Type.Resize:
            self.screen.setGeometry(self._window.rect())
        return False

    def lock_now(self) -> None:
        """Forget the evidence key and cover the window (idempotent)."""
        self._timer.stop()
        if not self.screen.isHidden():
            return
        self._session.lock()
        self._set_covered(True)
        self.sig_locked.emit()

    def stop(self) -> None:
        """Stop watching (the window is closing)."""
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def _set_covered(self, covered: bool) -> None:
        central = self._window.centralWidget()
        if central is not None:
            central.setEnabled(not covered)
        if covered:
            self.screen.reset()
            self.screen.setGeometry(self._window.rect())
            self.screen.show()
            self.screen.raise_()
            self.screen.password.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.screen.hide()

    def _try_unlock(self, password: str) -> None:
        self._bridge.call(users.unlock, self._console, self._session, password,
                          on_result=lambda _session: self._unlocked(),
                          on_error=lambda exc: self.screen.show_error(user_message(exc)))

    def _unlocked(self) -> None:
        self._set_covered(False)
        self._timer.start()
        self.sig_unlocked.emit()
