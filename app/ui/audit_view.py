"""The Audit screen: a read-only table of the most recent audit events (DSL only), filtered by
who, what kind of act, or which record ("incident:42"), and a check of the whole chain.

The log is append-only and hash-chained in the service layer; this screen only reads it. It
loads when first shown, on F5 / "Reload" and when a filter changes, always through the bridge.
"Verify" runs `audit_log.verify_install` (chain, signed checkpoints, every evidence file's
hash) off the GUI thread and shows the outcome in words.

Threading: GUI thread only; `audit_log.recent_events` runs on the DB executor.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.dto import AuditEntry, VerifyReport
from app.services import audit_log
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.incident_filters import ChoiceCombo
from app.ui.look import format_when
from app.ui.row_table_model import RowTableModel
from app.ui.tables import set_column_widths, set_up_list_table

AUDIT_COLUMNS = ("#", "Time", "Who", "Action", "Target", "Details")
ACTION_GROUPS = (("Every kind of act", None), ("Views, opens and reveals", "evidence."),
                 ("Incident views", "incident.view"), ("Triage", "incident."),
                 ("Pupil timelines", "subject."), ("Devices", "device."),
                 ("Phrase library", "library."), ("Sign-ins", "login"),
                 ("Exports", "export"), ("Settings", "settings"))
_WIDTHS = (64, 130, 150, 190, 170, 0)


class AuditTableModel(RowTableModel[AuditEntry]):
    """A fixed list of audit entries (newest first)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(AUDIT_COLUMNS, parent)

    def set_entries(self, entries: list[AuditEntry]) -> None:
        self.set_rows(entries)

    def cell(self, entry: AuditEntry, column: int, role: int) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        values = (str(entry.seq), format_when(entry.ts), entry.actor, entry.action, entry.target,
                  readable_details(entry.details))
        return values[column]


def readable_details(details: str) -> str:
    """`{"old": "new", "new": "closed"}` → `old new · new closed` (raw text if not JSON)."""
    try:
        parsed = json.loads(details) if details else {}
    except ValueError:
        return details
    if isinstance(parsed, dict):
        return "  ·  ".join(f"{key} {value}" for key, value in parsed.items())
    return details


class AuditView(QWidget):
    """Recent audit events; `sig_loaded(count)` fires after each load."""

    sig_loaded = Signal(int)
    sig_verified = Signal(bool)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 limit: int = 200, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScreenPage")
        self._bridge, self._console, self._session, self._limit = bridge, console, session, limit
        self._request: int | None = None
        self._loaded_once = False
        self.model = AuditTableModel(self)
        self.table = QTableView()
        self.summary = QLabel()
        self.summary.setObjectName("Muted")
        self.message = QLabel()
        self.message.setObjectName("ErrorLine")
        reload_button = QPushButton("Reload")
        reload_button.clicked.connect(self.reload)
        self.who = QLineEdit()
        self.who.setPlaceholderText("Who (user name)")
        self.what = ChoiceCombo(ACTION_GROUPS)
        self.record = QLineEdit()
        self.record.setPlaceholderText("Record, e.g. incident:42")
        self.verify_button = QPushButton("Verify the log")
        self.verify_button.clicked.connect(self.verify)
        self.verdict = QLabel("Not checked in this session.")
        self.verdict.setObjectName("Muted")
        self.verdict.setWordWrap(True)
        for box in (self.who, self.record):
            box.returnPressed.connect(self.reload)
        self.what.currentIndexChanged.connect(self.reload)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.reload,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._set_up_table()
        title = QLabel("Audit log")
        title.setObjectName("ScreenTitle")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        top.addWidget(reload_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 10)
        layout.setSpacing(10)
        filters = QHBoxLayout()
        filters.addWidget(self.who)
        filters.addWidget(self.what)
        filters.addWidget(self.record, 1)
        check = QHBoxLayout()
        check.addWidget(self.verdict, 1)
        check.addWidget(self.verify_button)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(check)

    def _set_up_table(self) -> None:
        set_up_list_table(self.table, self.model, row_height=26)
        set_column_widths(self.table, _WIDTHS)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded_once:
            self._loaded_once = True
            self.reload()

    def reload(self) -> None:
        if self._request is not None:
            self._bridge.forget(self._request)
        self.summary.setText("Loading…")
        self._request = self._bridge.call(
            audit_log.recent_events, self._console, self._session, self._limit, None,
            self.who.text(), self.what.value(), self.record.text(),
            on_result=self._arrived, on_error=self._failed, owner=self)

    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.verdict.setText("Checking the chain, its signed checkpoints and every evidence "
                             "file…")
        self._bridge.call(audit_log.verify_install, self._console, on_result=self._verified,
                          on_error=self._verify_failed, owner=self)

    def _verified(self, report: VerifyReport) -> None:
        self.verify_button.setEnabled(True)
        if report.ok:
            self.verdict.setText(f"Verified: {report.audit_events:,} events in an unbroken "
                                 f"chain, {report.checkpoints:,} signed checkpoints, "
                                 f"{report.evidence_files:,} evidence files intact.")
            self.verdict.setObjectName("OkLine")
        else:
            first = (f" The first bad entry is event {report.first_bad_seq}."
                     if report.first_bad_seq else "")
            self.verdict.setText("VERIFICATION FAILED. " + " ".join(report.problems[:3])
                                 + first)
            self.verdict.setObjectName("ErrorLine")
        self.verdict.style().polish(self.verdict)
        self.sig_verified.emit(report.ok)

    def _verify_failed(self, exc: BaseException) -> None:
        self.verify_button.setEnabled(True)
        self.verdict.setText(user_message(exc))

    def _arrived(self, entries: list[AuditEntry]) -> None:
        self._request = None
        self.message.clear()
        self.model.set_entries(entries)
        filtered = any((self.who.text().strip(), self.what.value(), self.record.text().strip()))
        which = "matching events" if filtered else "most recent events"
        self.summary.setText(f"The {len(entries)} {which}, newest first. "
                             "The log is append-only and cannot be edited here.")
        self.sig_loaded.emit(len(entries))

    def _failed(self, exc: BaseException) -> None:
        self._request = None
        self.summary.setText("")
        self.message.setText(user_message(exc))
