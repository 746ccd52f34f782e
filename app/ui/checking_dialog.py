"""A small form dialog that checks what was typed through the bridge before it closes.

The sign-in, passphrase and phrase-library dialogs share it: a heading, a form, an inline error
line (the service's sentence, never a traceback), and an OK button that reads "Checking…" while
the service answers. It never closes on an error, and Esc waits for an answer in flight.

Threading: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.ui.bridge import user_message


class CheckingDialog(QDialog):
    """A small form dialog with an inline error line and an OK button that can say 'Checking…'."""

    sig_failed = Signal(str)

    def __init__(self, title: str, heading: str, ok_text: str, parent: QWidget | None,
                 busy_text: str = "Checking…") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self._request: int | None = None
        self._ok_text, self._busy_text = ok_text, busy_text
        self.heading = QLabel(heading)
        self.heading.setObjectName("ScreenTitle")
        self.heading.setWordWrap(True)
        self.form = QFormLayout()
        self.form.setSpacing(10)
        self.error = QLabel()
        self.error.setObjectName("ErrorLine")
        self.error.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setObjectName("Hint")
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        # Wide enough for both labels, so "Checking…" never squeezes the button's own text.
        metrics = self.ok_button.fontMetrics()
        self.ok_button.setMinimumWidth(
            max(metrics.horizontalAdvance(t) for t in (ok_text, busy_text)) + 40)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(self.heading)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)
        self.ok_button.setText(self._busy_text if busy else self._ok_text)

    def failed(self, exc: BaseException) -> None:
        self._request = None
        message = user_message(exc)
        self.error.setText(message)
        self.set_busy(False)
        self.after_failure()
        self.sig_failed.emit(message)

    def after_failure(self) -> None:
        """Subclasses clear the secret field here."""

    def _submit(self) -> None:
        raise NotImplementedError

    def reject(self) -> None:
        if self._request is not None:
            return  # let the check finish; closing mid-check would orphan its answer
        super().reject()
