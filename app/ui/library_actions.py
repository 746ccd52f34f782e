"""The Library screen's action bar: add, turn off/on, add an exception, import and export CSV.

The buttons follow the selected entry (Turn off / Turn on). Editing is the DSL's alone
(`Permission.MANAGE_LIBRARY`); a deputy sees Export only. Importing asks the service for a
preview first and changes nothing until the DSL confirms what it would add and change.

`choose_import_path`, `choose_export_path` and `confirm_import` are attributes so tests can answer
them without a native dialog.

Threading: GUI thread only; every service call goes through the bridge (DB executor).
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
    QMessageBox,
    QPushButton,
    QTableView,
    QWidget,
)

from app.detection.school_layer import ImportPlan
from app.services import library
from app.services.console import Console
from app.services.library import PhraseView
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.phrase_dialogs import AddPhraseDialog, ExceptionDialog, TurnOffDialog

CSV_FILTER = "CSV files (*.csv)"


class LibraryActions(QWidget):
    """`sig_changed(key, notice)` after a committed change (key "" for an import);
    `sig_failed(message)` when a service refused; `sig_notice(text)` for anything else to say."""

    sig_changed = Signal(str, str)
    sig_failed = Signal(str)
    sig_notice = Signal(str)

    def __init__(self, screen: Any, bridge: ServiceBridge, console: Console,
                 session: UserSession, can_edit: bool) -> None:
        super().__init__()
        self._screen, self._bridge = screen, bridge
        self._console, self._session = console, session
        self.can_edit = can_edit
        self._entry: PhraseView | None = None
        self._busy = False
        self.dialog: QDialog | None = None
        self.add_button = QPushButton("Add phrase…")
        self.toggle_button = QPushButton("Turn off…")
        self.exception_button = QPushButton("Add exception…")
        self.import_button = QPushButton("Import CSV…")
        self.export_button = QPushButton("Export CSV…")
        self.choose_import_path: Callable[[], str] = self._ask_import_path
        self.choose_export_path: Callable[[str], str] = self._ask_export_path
        self.confirm_import: Callable[[str, ImportPlan], bool] = self._ask_confirm_import
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        editing = (self.add_button, self.toggle_button, self.exception_button,
                   self.import_button)
        for button in (*editing, self.export_button):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setVisible(button is self.export_button or can_edit)
            layout.addWidget(button)
        self.add_button.setToolTip("Add a phrase of the school's own (Insert)")
        self.toggle_button.setToolTip("Turn the selected entry off or on (D)")
        self.exception_button.setToolTip("Words that must not fire the selected entry (X)")
        self.add_button.clicked.connect(self.add_phrase)
        self.toggle_button.clicked.connect(self.toggle_entry)
        self.exception_button.clicked.connect(self.add_exception)
        self.import_button.clicked.connect(self.import_csv)
        self.export_button.clicked.connect(self.export_csv)
        self.entry_chosen(None)

    def install_shortcuts(self, table: QTableView) -> None:
        """Insert anywhere on the screen; D and X on the list (so they stay letters elsewhere)."""
        if not self.can_edit:
            return
        QShortcut(QKeySequence(Qt.Key.Key_Insert), self._screen, self.add_phrase,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_D), table, self.toggle_entry,
                  context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_X), table, self.add_exception,
                  context=Qt.ShortcutContext.WidgetShortcut)

    def entry_chosen(self, entry: PhraseView | None) -> None:
        self._entry = entry
        self.toggle_button.setText("Turn on" if entry and not entry.enabled else "Turn off…")
        for button in (self.toggle_button, self.exception_button):
            button.setEnabled(entry is not None and not self._busy)

    # --- the three edits -------------------------------------------------------------------

    def add_phrase(self) -> None:
        if self.can_edit and not self._busy:
            dialog = AddPhraseDialog(self._bridge, self._console, self._session,
                                     self._screen.category(), self._screen)
            self._run(dialog, "Added")

    def add_exception(self) -> None:
        if self.can_edit and self._entry is not None and not self._busy:
            dialog = ExceptionDialog(self._bridge, self._console, self._session, self._entry,
                                     self._screen)
            self._run(dialog, "Exception added to")

    def toggle_entry(self) -> None:
        entry = self._entry
        if not self.can_edit or entry is None or self._busy:
            return
        if not entry.enabled:  # turning back on needs no reason: it restores what was there
            self._call(library.set_enabled, entry.id, True,
                       on_result=lambda view: self._done(view, "Turned on"))
            return
        self._run(TurnOffDialog(self._bridge, self._console, self._session, entry,
                                self._screen), "Turned off")

    def _run(self, dialog: QDialog, verb: str) -> None:
        self.dialog = dialog  # kept for tests and so it lives while open
        dialog.finished.connect(lambda code: self._dialog_closed(dialog, code, verb))
        dialog.open()

    def _dialog_closed(self, dialog: Any, code: int, verb: str) -> None:
        if code == QDialog.DialogCode.Accepted and dialog.result is not None:
            self._done(dialog.result, verb)
        dialog.deleteLater()

    def _done(self, view: PhraseView, verb: str) -> None:
        self.sig_changed.emit(view.id, f"{verb} '{view.pattern}' ({view.id}).")

    # --- import and export -----------------------------------------------------------------

    def import_csv(self) -> None:
        if not self.can_edit or self._busy:
            return
        path = self.choose_import_path()
        if path:
            self._call(library.preview_import, Path(path),
                       on_result=lambda plan: self._previewed(path, plan))

    def _previewed(self, path: str, plan: ImportPlan) -> None:
        if not plan.edits:
            self.sig_notice.emit(f"Nothing to import: all {plan.unchanged} entries in "
                                 f"{Path(path).name} already read as in the file.")
            return
        if self.confirm_import(path, plan):
            self._call(library.import_csv, Path(path), plan,
                       on_result=lambda _plan: self.sig_changed.emit(
                           "", f"Imported {Path(path).name}: {_counts(plan)}."))

    def export_csv(self) -> None:
        if self._busy:
            return
        path = self.choose_export_path("kestrel-phrase-library.csv")
        if path:
            self._call(library.export_csv, Path(path),
                       on_result=lambda n: self.sig_notice.emit(
                           f"Exported {n} entries to {Path(path).name}."))

    def _call(self, fn: Callable[..., Any], *args: Any,
              on_result: Callable[[Any], None]) -> None:
        self._set_busy(True)

        def finished(value: Any) -> None:
            self._set_busy(False)
            on_result(value)

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            self.sig_failed.emit(user_message(exc))

        self._bridge.call(fn, self._console, self._session, *args, on_result=finished,
                          on_error=failed)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in (self.add_button, self.import_button, self.export_button):
            button.setEnabled(not busy)
        self.entry_chosen(self._entry)

    # --- native dialogs (replaced in tests) ------------------------------------------------

    def _ask_import_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self._screen, "Import phrases — Kestrel", "",
                                              CSV_FILTER)
        return path

    def _ask_export_path(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self._screen, "Export the phrase library — "
                                              "Kestrel", suggested, CSV_FILTER)
        return path

    def _ask_confirm_import(self, path: str, plan: ImportPlan) -> bool:
        answer = QMessageBox.question(
            self._screen, "Import phrases — Kestrel",
            f"Import {Path(path).name}?\n\n{_counts(plan)}.\n\nEntries that are not in the "
            "file stay as they are. The change is audited and devices pick up the new "
            "library version.")
        return answer == QMessageBox.StandardButton.Yes


def _counts(plan: ImportPlan) -> str:
    return (f"{plan.added} new, {plan.changed} changed, {plan.unchanged} unchanged")
