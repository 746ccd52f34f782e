"""The Library screen: browse the phrase library, try a sentence, and (DSL) change it.

Left, the categories with their entry counts; top, a search box (300 ms of quiet before it asks;
'/' jumps to it) and the library version; below it the actions; centre, the entries; bottom,
"Try a sentence", which shows what would fire on a sentence, with each matched span highlighted
(250 ms of quiet).

The DSL adds a phrase (Insert), turns an entry off or on (D) and adds an exception (X); each is
audited and bumps the version. Import CSV previews what it would add and change before it does
anything; Export CSV writes every entry. A deputy browses, tries and exports only.

Filtering and searching happen in the service (`app.services.library`); each answer carries the
id of the request that asked for it, and a view that has since asked again ignores it.

This module is the shell that composes the screen: the table model and `browse` live in
`library_model`, the category list in `category_list`, the "Try a sentence" panel in
`try_sentence`.

Threading: GUI thread only; every service call goes through `ServiceBridge` (DB executor).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.security.authorisation import Permission, allowed
from app.services.console import Console
from app.services.library import PhraseView
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.category_list import CategoryList
from app.ui.debounce import debounce_timer
from app.ui.library_actions import LibraryActions
from app.ui.library_model import COL_CATEGORY, PHRASE_WIDTHS, LibraryPage, PhraseTableModel, browse
from app.ui.tables import set_column_widths, set_up_list_table
from app.ui.try_sentence import SentenceTrial

SEARCH_DEBOUNCE_MS = 300
KEY_HINT = "/ search   ·   Esc back to the list   ·   Tab next pane"
EDIT_HINT = "Ins add   ·   D off/on   ·   X exception   ·   " + KEY_HINT


class LibraryView(QWidget):
    """The phrase library screen. `sig_loaded(count)` fires after each list of entries shows."""

    sig_loaded = Signal(int)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScreenPage")
        self._bridge, self._console, self._session = bridge, console, session
        self._request: int | None = None
        self._loaded_once = False
        self._select_after_load: str | None = None
        self.can_edit = allowed(session.role, Permission.MANAGE_LIBRARY)
        self.model = PhraseTableModel(self)
        self.categories = CategoryList()
        self.table = QTableView()
        self.search = QLineEdit()
        self.version = QLabel("Library …")
        self.summary = QLabel("Loading…")
        self.message = QLabel()
        self.notice = QLabel()
        self.trial = SentenceTrial(bridge, console, session)
        self.actions = LibraryActions(self, bridge, console, session, self.can_edit)
        self._debounce = debounce_timer(self, SEARCH_DEBOUNCE_MS, self.reload)
        self._set_up_widgets()
        self._set_up_table()
        self._lay_out()
        self._connect()

    def _set_up_widgets(self) -> None:
        self.search.setPlaceholderText("Search patterns, notes and exceptions   ( / )")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(340)
        self.version.setObjectName("Muted")
        self.summary.setObjectName("Muted")
        self.message.setObjectName("ErrorLine")
        self.message.setWordWrap(True)
        self.notice.setObjectName("Muted")
        self.notice.setWordWrap(True)
        self.categories.setFixedWidth(262)

    def _set_up_table(self) -> None:
        set_up_list_table(self.table, self.model, row_height=26)  # the service orders rows
        set_column_widths(self.table, PHRASE_WIDTHS)

    def _lay_out(self) -> None:
        title = QLabel("Phrase library")
        title.setObjectName("ScreenTitle")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.version)
        top.addStretch(1)
        top.addWidget(self.search)
        bar = QHBoxLayout()
        bar.addWidget(self.actions)
        bar.addWidget(self.notice, 1)
        entries = QVBoxLayout()
        entries.setSpacing(6)
        entries.addWidget(self.table, 1)
        entries.addWidget(self.summary)
        middle = QHBoxLayout()
        middle.setSpacing(12)
        middle.addWidget(self.categories)
        middle.addLayout(entries, 1)
        hint = QLabel(EDIT_HINT if self.can_edit else KEY_HINT)
        hint.setObjectName("Hint")
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 10)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addLayout(middle, 1)
        layout.addWidget(self.trial)
        layout.addLayout(bottom)
        self.setTabOrder(self.search, self.categories)
        self.setTabOrder(self.categories, self.table)
        self.setTabOrder(self.table, self.trial.input)

    def _connect(self) -> None:
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._search_now)
        self.categories.sig_category_changed.connect(lambda _key: self.reload())
        # Window-wide, so '/' works straight after choosing Library in the navigation; a hidden
        # screen's shortcuts never fire, and text boxes keep '/' as a character.
        QShortcut(QKeySequence(Qt.Key.Key_Slash), self, self.focus_search,
                  context=Qt.ShortcutContext.WindowShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search, self.focus_table,
                  context=Qt.ShortcutContext.WidgetShortcut)
        self.table.selectionModel().currentRowChanged.connect(
            lambda *_: self.actions.entry_chosen(self.current_entry()))
        self.actions.install_shortcuts(self.table)
        self.actions.sig_changed.connect(self._changed)
        self.actions.sig_failed.connect(self.message.setText)
        self.actions.sig_notice.connect(self._notify)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded_once:  # nothing is asked of the service until the screen is used
            self._loaded_once = True
            self.reload()

    def reload(self) -> None:
        """List the entries for the chosen category and search; an older answer is dropped."""
        self._debounce.stop()
        if self._request is not None:
            self._bridge.forget(self._request)
        category, search = self.categories.key(), self.search.text().strip()
        self.summary.setText("Loading…")
        # As in SentenceTrial.try_now: `request` is bound before any answer can arrive.
        self._request = request = self._bridge.call(
            browse, self._console, self._session, category, search,
            on_result=lambda page: self._arrived(request, category, search, page),
            on_error=lambda exc: self._failed(exc) if request == self._request else None)

    def _arrived(self, request: int, category: str | None, search: str,
                 page: LibraryPage) -> None:
        if request != self._request:
            return
        self._request = None
        self.message.clear()
        self.model.set_rows(page.rows)
        self.version.setText(f"Library {page.version}")
        self.categories.set_counts(page.counts)
        self.table.setColumnHidden(COL_CATEGORY, category is not None)
        self.summary.setText(_summary(len(page.rows), search))
        self._reselect()
        self.actions.entry_chosen(self.current_entry())
        self.sig_loaded.emit(len(page.rows))

    def _failed(self, exc: BaseException) -> None:
        self._request = None
        self.summary.setText("")
        self.message.setText(user_message(exc))

    def current_entry(self) -> PhraseView | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def category(self) -> str | None:
        return self.categories.key()

    def _changed(self, key: str, notice: str) -> None:
        """A change was committed: list again, keep the changed entry selected, say what
        happened."""
        self._select_after_load = key or None
        self.message.clear()
        self._notify(notice)
        self.reload()

    def _notify(self, notice: str) -> None:
        self.notice.setText(notice)

    def _reselect(self) -> None:
        key, self._select_after_load = self._select_after_load, None
        if key is None:
            return
        row = next((r for r in range(self.model.rowCount())
                    if self.model.row_at(r).id == key), None)
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
            self.window().activateWindow()  # the dialog that made the change has just closed
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _search_now(self) -> None:
        self.reload()
        self.focus_table()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.selectRow(0)


def _summary(count: int, search: str) -> str:
    if count == 0:
        return f"No entries match '{search}'." if search else "No entries in this category."
    noun = "entry" if count == 1 else "entries"
    return f"{count} {noun} matching '{search}'" if search else f"{count} {noun}"
