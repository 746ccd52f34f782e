"""Dialogs of the Devices screen: make an enrolment token (and save its bundle), show a typed
code, revoke a device. Each asks the service through the bridge and shows a refusal inline.

Threading: GUI thread only; service calls run on the DB executor.
"""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QSpinBox, QWidget

from app.services import devices, enrolment
from app.services.console import Console
from app.services.devices import DeviceView
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge
from app.ui.checking_dialog import CheckingDialog


class TokenDialog(CheckingDialog):
    """A bulk token: how many devices, for how long, admitted at once or pending; the bundle
    (which holds the token's secret) is written where the technician chooses."""

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 bundle_path: Path, parent: QWidget | None = None) -> None:
        super().__init__("Enrolment token — Kestrel", "Make an enrolment token", "Make token",
                         parent, busy_text="Making…")
        self._bridge, self._console, self._session = bridge, console, session
        self.bundle_path = bundle_path
        self.result: str | None = None
        self.label = QLineEdit()
        self.label.setPlaceholderText("what it is for, e.g. Year 7 laptops")
        self.uses = QSpinBox()
        self.uses.setRange(1, enrolment.MAX_TOKEN_USES)
        self.uses.setValue(30)
        self.days = QSpinBox()
        self.days.setRange(1, enrolment.MAX_TOKEN_DAYS)
        self.days.setValue(14)
        self.days.setSuffix(" days")
        self.auto = QCheckBox("Admit devices at once (otherwise they wait for approval here)")
        self.addresses = QLineEdit(", ".join(default_addresses(console)))
        for name, widget in (("For", self.label), ("Devices", self.uses),
                             ("Valid for", self.days), ("", self.auto),
                             ("Console address", self.addresses)):
            self.form.addRow(name, widget)
        self.hint.setText(f"The bundle is saved as {bundle_path}. It holds the token's secret: "
                          "deploy it with the agent installer and keep it like a password.")
        self.hint.setVisible(True)

    def _submit(self) -> None:
        addresses = [a.strip() for a in self.addresses.text().split(",") if a.strip()]
        self.error.clear()
        self.set_busy(True)
        self._request = self._bridge.call(
            enrolment.save_token_bundle, self._console, self._session, self.uses.value(),
            timedelta(days=self.days.value()), self.auto.isChecked(), self.label.text(),
            addresses, self.bundle_path, on_result=self._made, on_error=self.failed)

    def _made(self, info: enrolment.TokenInfo) -> None:
        self._request = None
        self.result = (f"Token for {info.max_uses} device(s) saved as "
                       f"{self.bundle_path.name}; valid until {info.expires_at:%d %b %H:%M} UTC.")
        self.accept()


class CodeDialog(CheckingDialog):
    """Shows a fresh typed code in large type; it lasts 15 minutes."""

    def __init__(self, code: str, expires: str, parent: QWidget | None = None) -> None:
        super().__init__("Enrolment code — Kestrel", "Type this code on the device", "Done",
                         parent)
        self.code = QLabel(code)
        self.code.setObjectName("EnrolCode")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form.addRow(self.code)
        self.hint.setText(f"Single use, five tries, until {expires}. The device then waits "
                          "here for approval: compare its short id before you approve it.")
        self.hint.setVisible(True)
        self.buttons.rejected.disconnect()
        self.buttons.button(self.buttons.StandardButton.Cancel).setVisible(False)

    def _submit(self) -> None:
        self.accept()


class RevokeDialog(CheckingDialog):
    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 device: DeviceView, parent: QWidget | None = None) -> None:
        super().__init__("Revoke a device — Kestrel", f"Revoke {device.hostname}?", "Revoke",
                         parent, busy_text="Revoking…")
        self._bridge, self._console, self._session, self._device = (
            bridge, console, session, device)
        self.result: str | None = None
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("e.g. laptop reported stolen")
        self.form.addRow("Reason", self.reason)
        self.hint.setText("Its next request is refused. Incidents it already sent stay. To "
                          "use it again it must enrol afresh.")
        self.hint.setVisible(True)

    def _submit(self) -> None:
        self.set_busy(True)
        self._request = self._bridge.call(
            devices.revoke_device, self._console, self._session, self._device.id,
            self.reason.text(), on_result=self._revoked, on_error=self.failed)

    def _revoked(self, _change: Any) -> None:
        self._request = None
        self.result = f"{self._device.hostname} revoked."
        self.accept()


def default_addresses(console: Console) -> list[str]:
    port = console.settings.receiver_port or 8443
    return [f"{socket.gethostname()}:{port}"]
