"""Export a case's referral PDF: choose the agency pack, say why, choose where, confirm who you
are — then watch it write, cancel it if need be, and see what was written.

The flow runs off the GUI thread in two bridge calls: `users.confirm_identity` (DESIGN §9:
export re-authenticates), then `case_export.export_case` with a progress callback and a
`cancelled` check reading a threading.Event that the Cancel button (or Esc) sets. A cancelled
or failed export leaves no PDF and no manifest (the service's promise); the dialog says so
calmly and stays usable. After a successful export the first two pages of the written file are
rasterised off the GUI thread (`case_export_form.preview_images`) and shown beside its
SHA-256. The form and the result view themselves live in case_export_form.py.

Threading: GUI thread only; the service calls and `preview_images` run on the DB executor
through the bridge.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.domain.cases import CaseSummary
from app.reports.case_report import ReportCancelled
from app.services import case_export, users
from app.services.case_export import ExportResult
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import PROGRESS_DELAY_MS, ServiceBridge, user_message
from app.ui.case_export_form import ExportForm, ExportResultView, preview_images


class CaseExportDialog(QDialog):
    """Export one case; `result` holds the ExportResult once written."""

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 case: CaseSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export {case.reference} — Kestrel")
        self.setMinimumWidth(620)
        self._bridge, self._console, self._session, self._case = bridge, console, session, case
        self._request: int | None = None
        self._pdf_secret: str | None = None
        self.cancel_requested = threading.Event()
        self.result: ExportResult | None = None
        self.heading = QLabel(f"Referral PDF of {case.reference} · {case.subject_name}")
        self.heading.setObjectName("ScreenTitle")
        self.form = ExportForm(case)
        self.done_view = ExportResultView()
        self.done_view.hide()  # hidden, it takes no room: the form alone sets the size
        self.status = QLabel("Restricted imagery is never put in the PDF; the export is "
                             "audited.")
        self.status.setObjectName("Hint")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the dialog does not jump when it appears
        self.progress.setSizePolicy(policy)
        self.progress.hide()
        self.error = QLabel()
        self.error.setObjectName("ErrorLine")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.setDefault(True)
        self._lay_out()
        self._reveal_progress = QTimer(self, singleShot=True, interval=PROGRESS_DELAY_MS)
        self._reveal_progress.timeout.connect(self.progress.show)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        bridge.sig_progress.connect(self._progressed)
        self._listening = True
        self.done_view.show_folder.clicked.connect(self.show_in_folder)
        self.form.purpose.setFocus()

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(12)
        for widget in (self.heading, self.form, self.done_view, self.status, self.progress,
                       self.error, self.buttons):
            layout.addWidget(widget)

    @property
    def running(self) -> bool:
        return self._request is not None

    # --- the flow -------------------------------------------------------------------------
    def export(self) -> None:
        """Check the form, then re-authenticate; the export follows in `_confirmed`."""
        if self.running or self.result is not None:
            return
        problem = self.form.problem() or self._would_replace()
        if problem:
            self.error.setText(problem)
            return
        secret = self.form.own_password.text()
        self.form.own_password.clear()  # held no longer than the check needs
        self.cancel_requested.clear()
        self._set_running("Checking your password…")
        self._request = self._bridge.call(users.confirm_identity, self._console, self._session,
                                          secret, on_result=self._confirmed,
                                          on_error=self._failed, owner=self)

    def _would_replace(self) -> str | None:
        """A file already there is replaced only when Export is pressed a second time."""
        out = self.form.out_path()
        if out.exists() and out != self.form.replace_ok:
            self.form.replace_ok = out
            return f"{out.name} already exists. Press Export again to replace it."
        return None

    def _confirmed(self, _none: None) -> None:
        if self.cancel_requested.is_set():
            self._stopped(note="Cancelled: nothing was written.")
            return
        self.status.setText("Writing the PDF…")
        self._reveal_progress.start()
        self._pdf_secret = self.form.pdf_secret()
        self._request = self._bridge.call(
            case_export.export_case, self._console, self._session, self._case.id,
            self.form.out_path(), self.form.purpose.text(), self.form.template_key(),
            self._pdf_secret, cancelled=self.cancel_requested.is_set, with_progress=True,
            on_result=self._exported, on_error=self._failed, owner=self)

    def _progressed(self, request_id: int, done: int, total: int) -> None:
        if request_id == self._request and total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    def _exported(self, result: ExportResult) -> None:
        self._stopped()
        self.result = result
        self.done_view.show_result(result)
        self.form.hide()
        self.done_view.show()
        self.adjustSize()  # the result is taller than the form
        self.status.setText("Written and recorded in the audit log. The preview is of the "
                            "file itself, as the agency will see it.")
        self.export_button.hide()
        self.close_button.setText("Close")
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        self._bridge.call(preview_images, result.pdf, self._pdf_secret, owner=self,
                          on_result=self.done_view.show_pages, on_error=self._no_preview)
        self._pdf_secret = None

    def _no_preview(self, exc: BaseException) -> None:
        self.done_view.pages[0].setText(user_message(exc))

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ReportCancelled):  # asked for, so said quietly
            self._stopped(note="Cancelled: nothing was written.")
        else:
            self._stopped(error=user_message(exc))

    def _set_running(self, status: str) -> None:
        self.error.clear()
        self.status.setText(status)
        self.progress.setRange(0, 0)  # busy until the first report arrives
        self.form.setEnabled(False)
        self.export_button.setEnabled(False)

    def _stopped(self, error: str = "", note: str = "") -> None:
        self._request = None
        self._reveal_progress.stop()
        self.progress.hide()
        self.error.setText(error)
        self.status.setText(note)
        self.form.setEnabled(True)
        self.export_button.setEnabled(True)
        self.close_button.setEnabled(True)
        self.form.own_password.setFocus()

    # --- leaving ----------------------------------------------------------------------------
    def reject(self) -> None:
        """Esc or Cancel: stop an export in flight (the dialog stays), else close."""
        if self.running:
            self.cancel_requested.set()
            self.status.setText("Cancelling…")
            self.close_button.setEnabled(False)
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:  # closing mid-export would orphan its answer: cancel first
            self.reject()
            event.ignore()
            return
        super().closeEvent(event)

    def done(self, result: int) -> None:
        if self._listening:
            self._listening = False
            self._bridge.sig_progress.disconnect(self._progressed)
        super().done(result)

    def show_in_folder(self) -> None:
        if self.result is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result.pdf.parent)))
