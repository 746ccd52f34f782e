"""One case in full: who and what, the DSL's summary, the linked incidents, and the chronology
— with a quick-add line at the bottom (kind, words, Ctrl+Enter), the status and legal-hold
actions, each asking for its reason, and "Export PDF…" (Ctrl+E) for the referral pack.

Each linked incident shows a small picture of its screenshot; `CaseThumbnailList`
(case_thumbnail_list.py) draws and loads those.

Back-dated entries show both dates; a correction shows which entry it corrects, and the
corrected entry says it was corrected (both stay: the chronology only grows).

Threading: GUI thread only; service calls go through the bridge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from app.ui.case_export_dialog import CaseExportDialog

from app.domain.cases import (
    AGENCIES,
    CONTACTS,
    WRITABLE_KINDS,
    CaseDetail,
    CaseEntryView,
    CaseStatus,
    EntryDraft,
    EntryKind,
)
from app.services import cases
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.case_thumbnail_list import CaseThumbnailList
from app.ui.look import format_when


def entry_text(entry: CaseEntryView) -> str:
    """One chronology line as the DSL reads it."""
    when = format_when(entry.occurred_at)
    if entry.back_dated:
        when += f" (recorded {format_when(entry.recorded_at)})"
    parts = [f"{when} · {entry.kind.label}"]
    if entry.agency:
        parts.append(f" to {entry.agency}" + (f" ({entry.agency_reference})"
                                               if entry.agency_reference else ""))
    if entry.contact_with:
        parts.append(f" with {entry.contact_with}")
    parts.append(f" — {entry.author}\n{entry.body}")
    if entry.outcome:
        parts.append(f"\nOutcome: {entry.outcome}")
    if entry.corrects_id is not None:
        parts.append(f"\n↳ corrects entry {entry.corrects_id}")
    if entry.corrected_by:
        parts.append(f"\n⚠ corrected by entry {', '.join(map(str, entry.corrected_by))}")
    return "".join(parts)


class EntryEdit(QPlainTextEdit):
    """The quick-add box: Ctrl+Enter submits (plain Enter starts a new line)."""

    sig_submit = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.sig_submit.emit()
        else:
            super().keyPressEvent(event)


class CasePanel(QWidget):
    """Shows a CaseDetail; `sig_changed(CaseDetail)` after each committed change."""

    sig_changed = Signal(object)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge, self._console, self._session = bridge, console, session
        self.detail: CaseDetail | None = None
        self.heading = QLabel("Choose a case")
        self.heading.setObjectName("ScreenTitle")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.incidents = CaseThumbnailList(bridge, console, session)
        self.chronology = QListWidget()
        self.chronology.setWordWrap(True)
        self.chronology.setAlternatingRowColors(True)
        self.kind = QComboBox()
        for kind in WRITABLE_KINDS:
            self.kind.addItem(kind.label, kind)
        self.entry = EntryEdit()
        self.entry.setPlaceholderText("What happened, what was decided and why "
                                      "(Ctrl+Enter adds it)")
        self.entry.setFixedHeight(64)
        self.add_button = QPushButton("Add to chronology")
        self.status_button = QPushButton("Change status…")
        self.hold_button = QPushButton("Legal hold…")
        self.export_button = QPushButton("Export PDF…")
        self.export_button.setToolTip("The referral PDF for the police, MASH or the LADO "
                                      "(Ctrl+E)")
        self.export_dialog: CaseExportDialog | None = None
        self.message = QLabel()
        self.message.setObjectName("ErrorLine")
        self._lay_out()
        self.add_button.clicked.connect(self.add_entry)
        self.entry.sig_submit.connect(self.add_entry)
        self.status_button.clicked.connect(self.change_status)
        self.hold_button.clicked.connect(self.toggle_hold)
        self.export_button.clicked.connect(self.open_export)
        QShortcut(QKeySequence("Ctrl+E"), self, self.open_export)  # only while the panel shows
        self._enable(False)

    def _lay_out(self) -> None:
        actions = QHBoxLayout()
        actions.addWidget(self.status_button)
        actions.addWidget(self.hold_button)
        actions.addStretch(1)
        actions.addWidget(self.export_button)
        add = QHBoxLayout()
        add.addWidget(self.kind)
        add.addWidget(self.entry, 1)
        add.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.heading)
        layout.addWidget(self.summary)
        layout.addLayout(actions)
        for title, widget, stretch in (("Linked incidents", self.incidents, 0),
                                       ("Chronology", self.chronology, 1)):
            label = QLabel(title)
            label.setObjectName("SectionTitle")
            layout.addWidget(label)
            layout.addWidget(widget, stretch)
        layout.addLayout(add)
        layout.addWidget(self.message)

    def show_case(self, detail: CaseDetail) -> None:
        self.detail = detail
        s = detail.summary
        year = f" · Year {s.year_group}" if s.year_group is not None else ""
        hold = " · LEGAL HOLD" if s.legal_hold else ""
        self.heading.setText(f"{s.reference} · {s.subject_name}{year} · {s.status.label}{hold}")
        self.summary.setText(detail.text or "No summary written yet.")
        self.incidents.show_case(detail)
        self.chronology.clear()
        for entry in detail.chronology:
            self.chronology.addItem(entry_text(entry))
        self.chronology.scrollToBottom()
        self.hold_button.setText("Release legal hold…" if s.legal_hold else "Legal hold…")
        self.message.clear()
        self._enable(True)

    def _enable(self, on: bool) -> None:
        for widget in (self.kind, self.entry, self.add_button, self.status_button,
                       self.hold_button, self.export_button):
            widget.setEnabled(on)

    def open_export(self) -> None:
        """The export dialog for the case shown (window-modal; Esc closes it)."""
        if self.detail is None or not self.export_button.isEnabled():
            return
        # Loaded on first use: the export pulls in reportlab and the detection engine, which
        # the console's start-up should not pay for.
        from app.ui.case_export_dialog import CaseExportDialog

        dialog = CaseExportDialog(self._bridge, self._console, self._session,
                                  self.detail.summary, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.export_dialog = dialog
        dialog.open()

    # --- changes ----------------------------------------------------------------------------
    def add_entry(self) -> None:
        if self.detail is None or not self.entry.toPlainText().strip():
            return
        kind = EntryKind(self.kind.currentData())  # Qt hands a StrEnum back as str
        draft = EntryDraft(kind, self.entry.toPlainText(), **self._extra(kind))
        self._call(cases.add_entry, self.detail.summary.id, draft, clear=True)

    def _extra(self, kind: EntryKind) -> dict[str, str]:
        """The agency (and its reference) of a referral, or who a contact was with."""
        if kind == EntryKind.REFERRAL:
            agency, ok = QInputDialog.getItem(self, "Referral — Kestrel", "Agency:",
                                              list(AGENCIES), 0, False)
            reference, _ = QInputDialog.getText(self, "Referral — Kestrel",
                                                "The agency's reference (if given):")
            return {"agency": agency, "agency_reference": reference} if ok else {}
        if kind == EntryKind.CONTACT:
            who, ok = QInputDialog.getItem(self, "Contact — Kestrel", "With:", list(CONTACTS),
                                           0, False)
            return {"contact_with": who} if ok else {}
        return {}

    def change_status(self) -> None:
        if self.detail is None:
            return
        choices = [s.label for s in CaseStatus if s != self.detail.summary.status]
        label, ok = QInputDialog.getItem(self, "Case status — Kestrel", "New status:", choices,
                                         0, False)
        if not ok:
            return
        reason, ok = QInputDialog.getText(self, "Case status — Kestrel", "Reason:")
        if ok:
            status = next(s for s in CaseStatus if s.label == label)
            self._call(cases.set_status, self.detail.summary.id, status, reason)

    def toggle_hold(self) -> None:
        if self.detail is None:
            return
        hold = not self.detail.summary.legal_hold
        reason, ok = QInputDialog.getText(self, "Legal hold — Kestrel", "Reason:")
        if ok:
            self._call(cases.set_legal_hold, self.detail.summary.id, hold, reason)

    def _call(self, fn: object, *args: object, clear: bool = False) -> None:
        self.message.clear()

        def done(detail: CaseDetail) -> None:
            if clear:
                self.entry.clear()
            self.show_case(detail)
            self.sig_changed.emit(detail)

        self._bridge.call(fn, self._console, self._session, *args,  # type: ignore[arg-type]
                          on_result=done, owner=self,
                          on_error=lambda exc: self.message.setText(user_message(exc)))
