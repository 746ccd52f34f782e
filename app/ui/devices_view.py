"""The Devices screen, for the IT technician and the DSL: enrol, approve, watch and revoke.

Top: counts by state and a calm line for each thing that needs attention (devices gone silent,
devices waiting, refused enrolments). Then the devices waiting for approval — compare the short
id the device shows before pressing Approve — and the enrolled devices with their state, last
heartbeat, agent version, outbox depth and clock. Buttons make a token bundle or a typed code.
No incident content appears here (the technician may not see any).

Keys: F5 reloads, Enter approves the selected waiting device, Delete revokes the selected device.
Threading: GUI thread only; `device_overview.overview` and every change go through the bridge.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services import device_overview, enrolment
from app.services.console import Console
from app.services.device_overview import DevicesOverview
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.device_dialogs import CodeDialog, RevokeDialog, TokenDialog
from app.ui.devices_model import (
    DEVICE_WIDTHS,
    PENDING_WIDTHS,
    DeviceTableModel,
    PendingTableModel,
)
from app.ui.tables import set_column_widths, set_up_list_table

PENDING_ROWS_SHOWN = 5
STATE_ORDER = ("online", "stale", "offline", "revoked", "retired")
KEY_HINT = "Enter approve   ·   Del revoke   ·   F5 reload"


class DevicesView(QWidget):
    """`sig_loaded` fires after each overview is shown."""

    sig_loaded = Signal()

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScreenPage")
        self._bridge, self._console, self._session = bridge, console, session
        self._loaded_once = False
        self.dialog: QDialog | None = None
        self.choose_bundle_path: Callable[[], str] = self._ask_bundle_path
        self.counts = QLabel("Loading…")
        self.counts.setObjectName("Muted")
        self.attention = QLabel()
        self.attention.setObjectName("AttentionLine")
        self.attention.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("ErrorLine")
        self.notice = QLabel()
        self.notice.setObjectName("Muted")
        self.pending_model, self.device_model = PendingTableModel(self), DeviceTableModel(self)
        self.pending, self.devices = QTableView(), QTableView()
        self.pending_title = QLabel("Waiting for approval")
        self.token_button = QPushButton("Enrolment token…")
        self.code_button = QPushButton("Typed code…")
        self.approve_button = QPushButton("Approve")
        self.ignore_button = QPushButton("Ignore")
        self.revoke_button = QPushButton("Revoke…")
        set_up_list_table(self.pending, self.pending_model, row_height=26)
        set_column_widths(self.pending, PENDING_WIDTHS)
        set_up_list_table(self.devices, self.device_model, row_height=26)
        set_column_widths(self.devices, DEVICE_WIDTHS)
        self._lay_out()
        self._connect()

    def _lay_out(self) -> None:
        title = QLabel("Devices")
        title.setObjectName("ScreenTitle")
        self.pending_title.setObjectName("PanelTitle")
        enrolled = QLabel("Enrolled devices")
        enrolled.setObjectName("PanelTitle")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.counts, 1)
        top.addWidget(self.token_button)
        top.addWidget(self.code_button)
        pending_bar = QHBoxLayout()
        pending_bar.addWidget(self.pending_title, 1)
        pending_bar.addWidget(self.approve_button)
        pending_bar.addWidget(self.ignore_button)
        device_bar = QHBoxLayout()
        device_bar.addWidget(enrolled, 1)
        device_bar.addWidget(self.revoke_button)
        hint = QLabel(KEY_HINT)
        hint.setObjectName("Hint")
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.notice, 1)
        bottom.addWidget(hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 10)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.attention)
        layout.addLayout(pending_bar)
        layout.addWidget(self.pending)
        layout.addLayout(device_bar)
        layout.addWidget(self.devices, 1)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.token_button.clicked.connect(self.make_token)
        self.code_button.clicked.connect(self.make_code)
        self.approve_button.clicked.connect(lambda: self.decide(approve=True))
        self.ignore_button.clicked.connect(lambda: self.decide(approve=False))
        self.revoke_button.clicked.connect(self.revoke)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.reload,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.pending,
                  lambda: self.decide(approve=True), context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.devices, self.revoke,
                  context=Qt.ShortcutContext.WidgetShortcut)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded_once:
            self._loaded_once = True
            self.reload()

    # --- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        self._bridge.call(device_overview.overview, self._console, self._session,
                          on_result=self._show, on_error=self._failed)

    def _show(self, overview: DevicesOverview) -> None:
        self.message.clear()
        self.pending_model.set_rows(overview.pending)
        self.device_model.set_rows(overview.devices)
        waiting = bool(overview.pending)
        for widget in (self.pending_title, self.pending, self.approve_button,
                       self.ignore_button):
            widget.setVisible(waiting)
        if waiting:
            self.pending.selectRow(0)
            shown = min(len(overview.pending), PENDING_ROWS_SHOWN)  # no tall empty box
            self.pending.setFixedHeight(self.pending.horizontalHeader().height()
                                        + shown * self.pending.verticalHeader()
                                        .defaultSectionSize() + 4)
        parts = [f"{overview.counts[s]} {s}" for s in STATE_ORDER if overview.counts[s]]
        total = len(overview.devices)
        self.counts.setText(f"{total} device{'s' if total != 1 else ''}"
                            + (f" · {' · '.join(parts)}" if parts else ""))
        self.attention.setText("\n".join(overview.attention))
        self.attention.setVisible(bool(overview.attention))
        self.sig_loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self.message.setText(user_message(exc))

    # --- acts --------------------------------------------------------------------------------

    def decide(self, approve: bool) -> None:
        index = self.pending.currentIndex()
        if not index.isValid():
            return
        waiting = self.pending_model.row_at(index.row())
        act = enrolment.approve if approve else enrolment.ignore
        verb = "approved" if approve else "ignored"
        self._bridge.call(act, self._console, self._session, waiting.request_id,
                          on_result=lambda _c: self._done(f"{waiting.hostname} {verb}."),
                          on_error=self._failed)

    def revoke(self) -> None:
        index = self.devices.currentIndex()
        if not index.isValid():
            return
        device = self.device_model.row_at(index.row())
        if device.state in ("revoked", "retired"):
            self.message.setText(f"{device.hostname} is already {device.state}.")
            return
        self._open(RevokeDialog(self._bridge, self._console, self._session, device, self))

    def make_token(self) -> None:
        path = self.choose_bundle_path()
        if path:
            self._open(TokenDialog(self._bridge, self._console, self._session, Path(path),
                                   self))

    def make_code(self) -> None:
        self._bridge.call(enrolment.create_code, self._console, self._session,
                          on_result=self._code_made, on_error=self._failed)

    def _code_made(self, made: tuple[str, Any]) -> None:
        code, expires = made
        dialog = CodeDialog(code, f"{expires.astimezone():%H:%M}", self)
        self.dialog = dialog
        dialog.open()
        self.reload()

    def _open(self, dialog: Any) -> None:
        self.dialog = dialog
        dialog.finished.connect(lambda code: self._dialog_closed(dialog, code))
        dialog.open()

    def _dialog_closed(self, dialog: Any, code: int) -> None:
        if code == QDialog.DialogCode.Accepted and dialog.result:
            self._done(dialog.result)
        dialog.deleteLater()

    def _done(self, notice: str) -> None:
        self.notice.setText(notice)
        self.reload()

    def _ask_bundle_path(self) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Save the enrolment bundle — Kestrel",
                                              "kestrel-enrolment.json", "Bundle (*.json)")
        return path
