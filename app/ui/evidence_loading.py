"""Evidence from the service to pixels, off the GUI thread, and the reveal dialog.

`opened_image` runs on the DB executor (through the bridge): it calls the service and decodes
the image there, so a 1920×1080 screenshot never costs the GUI thread its 30–60 ms decode.
`RevealDialog` asks for the reason and the second confirmation DESIGN §9 requires before a
DSL sees restricted imagery unblurred.

Threading: `opened_image` on a worker; the dialog on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QCheckBox, QPlainTextEdit, QWidget

from app.domain.dto import OpenedEvidence
from app.errors import IntegrityError
from app.services import evidence
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge
from app.ui.checking_dialog import CheckingDialog


@dataclass(frozen=True)
class LoadedImage:
    opened: OpenedEvidence
    image: QImage


def opened_image(open_fn: Callable[..., OpenedEvidence], *args: Any) -> LoadedImage:
    """Call `open_fn(*args)` (an evidence service function) and decode what it returns."""
    opened = open_fn(*args)
    image = QImage.fromData(opened.data)
    if image.isNull():
        raise IntegrityError("The screenshot verified but cannot be decoded; it is not shown.")
    if opened.blurred and opened.width and opened.height:  # the service sends it tiny
        image = image.scaled(opened.width, opened.height,
                             Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return LoadedImage(opened, image.convertToFormat(QImage.Format.Format_RGB32))


class RevealDialog(CheckingDialog):
    """Reason + confirmation, then `evidence.reveal_evidence`; `result` holds the image."""

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 evidence_id: int, parent: QWidget | None = None) -> None:
        super().__init__("Reveal restricted imagery — Kestrel", "Reveal restricted imagery",
                         "Reveal", parent, busy_text="Opening…")
        self._bridge, self._console, self._session = bridge, console, session
        self._evidence_id = evidence_id
        self.result: LoadedImage | None = None
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("Why you need to see it, e.g. to describe it for a "
                                       "police referral")
        self.reason.setFixedHeight(72)
        self.confirm = QCheckBox("I understand this may be an indecent image of a child and I "
                                 "am viewing it only for safeguarding.")
        self.confirm.setChecked(False)
        self.form.addRow("Reason", self.reason)
        self.form.addRow("", self.confirm)
        self.hint.setText("Your name, the time and your reason go in the audit log. The image "
                          "blurs again when you move on.")
        self.hint.setVisible(True)

    def _submit(self) -> None:
        if not self.confirm.isChecked():
            self.error.setText("Tick the confirmation to reveal the image.")
            return
        self.error.clear()
        self.set_busy(True)
        self._request = self._bridge.call(
            opened_image, evidence.reveal_evidence, self._console, self._session,
            self._evidence_id, self.reason.toPlainText(),
            on_result=self._revealed, on_error=self.failed, owner=self)

    def _revealed(self, loaded: LoadedImage) -> None:
        self._request = None
        self.result = loaded
        self.accept()
