"""The Incidents screen: filter bar, the keyboard-driven triage table and a quiet status line.

Keys in the table: j/k (or arrows) move, Space or Enter opens the incident window (the
evidence viewer), '/' jumps to search, F5 reloads; the triage keys are in `triage_actions`
(r f e c, 1–5, a, n, Shift+F, Ctrl+Z). Rows show a change in place (dimmed if they no longer
match the filter), so the list never jumps under the DSL's fingers; a status change moves the
selection on at once to keep the pace.

Threading: GUI thread only; service calls go through `ServiceBridge`.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.dto import IncidentQuery
from app.errors import DatabaseBusyError
from app.services import preferences
from app.services.console import Console
from app.services.users import UserSession
from app.ui import list_place
from app.ui.bridge import ServiceBridge, user_message
from app.ui.incident_filters import IncidentFilterBar
from app.ui.incident_model import COLUMNS, IncidentTableModel
from app.ui.incident_window import IncidentWindow
from app.ui.tables import set_up_list_table
from app.ui.triage_actions import KEY_ACTS, TriageActions

BUSY_TEXT = str(DatabaseBusyError())
BUSY_RETRY_MS = 2_000
_MOVES = {Qt.Key.Key_J: Qt.Key.Key_Down, Qt.Key.Key_K: Qt.Key.Key_Up}
# Each column starts wide enough for this typical content; "App / window" takes the rest.
COLUMN_SAMPLES = ("Wed 30 Sep 23:59", "3 Elevated", "Drugs / substance abuse",
                  "Charlotte Richardson", "Year", "go back to your country", None,
                  "False positive", "Alex Morgan", "SCI-LAPTOP-046")
_ICON_COLUMNS = (1, 2)  # severity dot, restricted lock
KEY_HINT = ("j / k move · Space open · r Reviewing · f False positive · e Escalate · "
            "c Closed · 1–5 severity · a assign · n note · Ctrl+Z undo · / search")


class IncidentTable(QTableView):
    """A table view that speaks the triage keys instead of Qt's type-ahead search."""

    sig_triage = Signal(object)  # Qt.Key of a triage act (KEY_ACTS)
    sig_reason = Signal()  # Shift+F: false positive, with a reason
    sig_undo = Signal()
    sig_search = Signal()
    sig_reload = Signal()
    sig_open = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        key = Qt.Key(event.key())
        if plain and key in _MOVES:
            super().keyPressEvent(QKeyEvent(QEvent.Type.KeyPress, _MOVES[key],
                                            Qt.KeyboardModifier.NoModifier))
        elif plain and key in KEY_ACTS:
            self.sig_triage.emit(key)
        elif key == Qt.Key.Key_F and event.modifiers() == Qt.KeyboardModifier.ShiftModifier:
            self.sig_reason.emit()
        elif event.matches(QKeySequence.StandardKey.Undo):
            self.sig_undo.emit()
        elif plain and key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.sig_open.emit()
        elif key == Qt.Key.Key_Slash:
            self.sig_search.emit()
        elif key == Qt.Key.Key_F5:
            self.sig_reload.emit()
        else:
            super().keyPressEvent(event)

    def keyboardSearch(self, search: str) -> None:
        """Letters are commands here, not type-ahead."""


class IncidentsView(QWidget):
    """The incident list screen. `sig_first_page_loaded` fires once, when the first page of
    the first query has arrived (used for start-up readiness)."""

    sig_first_page_loaded = Signal()
    sig_triaged = Signal(object)  # TriageChange
    sig_escalated = Signal(int)  # the case the selected incidents went into

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScreenPage")
        self._bridge, self._console, self._session = bridge, console, session
        self._first_seen = False
        self.model = IncidentTableModel(bridge, console, session, parent=self)
        self.filters = IncidentFilterBar(session.user.id)
        self.table = IncidentTable()
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("Muted")
        self.message = QLabel()
        self.message.setObjectName("ErrorLine")
        self.retry = QPushButton("Try again")
        self.retry.setVisible(False)
        self.news = QPushButton()
        self.news.setObjectName("NewsButton")
        self.news.setVisible(False)
        self._news_count = 0
        self.window: IncidentWindow | None = None
        self._place: list_place.ListPlace | None = None
        self.triage = TriageActions(self)
        self._set_up_table()
        self._lay_out()
        self._connect()
        self.model.set_query(self.filters.query())
        self._bridge.call(preferences.list_preferences, console, session,
                          on_result=self._preferences, owner=self)

    def _set_up_table(self) -> None:
        # Sorting is a filter-bar choice, done in SQL; several rows can be triaged at once.
        set_up_list_table(self.table, self.model, row_height=28, multi_select=True)
        self.table.horizontalHeader().setSectionResizeMode(COLUMNS.index("App / window"),
                                                           QHeaderView.ResizeMode.Stretch)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Size columns from the font in use, so nothing common is clipped at any DPI."""
        self.table.ensurePolished()
        metrics = self.table.fontMetrics()
        bold = QFont(self.table.font())
        bold.setBold(True)
        header_metrics = QFontMetrics(bold)
        for column, sample in enumerate(COLUMN_SAMPLES):
            if sample is None:
                continue
            width = max(metrics.horizontalAdvance(sample),
                        header_metrics.horizontalAdvance(COLUMNS[column])) + 18
            if column in _ICON_COLUMNS:
                width += 18
            self.table.setColumnWidth(column, width)

    def _lay_out(self) -> None:
        title = QLabel("Incidents")
        title.setObjectName("ScreenTitle")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        top.addWidget(self.news)
        hint = QLabel(KEY_HINT)
        hint.setObjectName("Hint")
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.retry)
        bottom.addWidget(hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 10)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.filters.sig_query_changed.connect(self._query_changed)
        self.model.sig_page_loaded.connect(self._page_loaded)
        self.model.sig_load_failed.connect(self._load_failed)
        self.table.sig_triage.connect(lambda key: KEY_ACTS[key](self.triage))
        self.table.sig_reason.connect(self.triage.false_positive_with_reason)
        self.table.sig_undo.connect(self.triage.undo)
        self.triage.sig_done.connect(self.sig_triaged)
        self.table.sig_search.connect(self.filters.focus_search)
        self.table.sig_reload.connect(self.reload)
        self.table.sig_open.connect(self.open_current)
        self.filters.sig_save.connect(self._save_filter)
        header = self.table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        self.table.doubleClicked.connect(self.open_current)
        self.retry.clicked.connect(self.reload)
        self.news.clicked.connect(self.reload)
        self.filters.search.returnPressed.connect(self.focus_table)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self.filters.search, self.focus_table,
                  context=Qt.ShortcutContext.WidgetShortcut)

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        """F5 or the news button: load again, keeping the DSL's place (`list_place`)."""
        self._place = list_place.remember(self.table, self.model, self._news_count)
        self._query_changed(self.filters.query(), keep_place=True)

    def show_query(self, query: IncidentQuery) -> None:
        """List exactly `query` (a trend bar's incidents): the filter bar shows what it can
        express, and the list runs the whole query, including a date range the bar has no
        control for; the next change in the filter bar starts from the bar's controls."""
        self.filters.apply(query)
        self._query_changed(query)
        self.focus_table()

    def notify_arrivals(self, count: int) -> None:
        """Say that incidents arrived; the list itself waits for F5 (or a click), so nothing
        moves under the DSL's cursor."""
        self._news_count += count
        noun = "incident" if self._news_count == 1 else "incidents"
        self.news.setText(f"{self._news_count} new {noun} arrived · F5 to show")
        self.news.setVisible(True)

    def _query_changed(self, query: IncidentQuery, keep_place: bool = False) -> None:
        if not keep_place:
            self._place = None
        self._news_count = 0
        self.news.setVisible(False)
        self.message.clear()
        self.retry.setVisible(False)
        self.summary.setText("Loading…")
        self.model.set_query(query)

    def _page_loaded(self, count: int, first: bool) -> None:
        if self._place is not None and list_place.restore(self.table, self.model, self._place):
            self._place = None
        shown = self.model.rowCount()
        if shown == 0:
            self.summary.setText("No incidents match these filters.")
        else:
            more = " · scroll for more" if self.model.has_more else ""
            self.summary.setText(f"{shown} incident{'s' if shown != 1 else ''} shown{more}")
        if first and shown and not self.table.currentIndex().isValid():
            self.table.selectRow(0)
        if first and not self._first_seen:
            self._first_seen = True
            self.sig_first_page_loaded.emit()

    def _load_failed(self, message: str) -> None:
        self.summary.setText("")
        self.message.setText(message)
        self.retry.setVisible(True)
        if message == BUSY_TEXT:  # calm: say so and try again by itself
            self.summary.setText("Waiting for the database…")
            QTimer.singleShot(BUSY_RETRY_MS, self._retry_if_still_waiting)

    def _retry_if_still_waiting(self) -> None:
        if self.message.text() == BUSY_TEXT and not self.model.is_loading:
            self._query_changed(self.filters.query(), keep_place=self._place is not None)

    # -- triage ------------------------------------------------------------------------------
    @property
    def bridge(self) -> ServiceBridge:
        return self._bridge

    @property
    def console(self) -> Console:
        return self._console

    @property
    def session(self) -> UserSession:
        return self._session

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        current = self.table.currentIndex()
        if not rows and current.isValid():
            rows = [current.row()]  # the row with the focus frame is the one meant
        return [self.model.row_at(row).id for row in rows]

    def select_next(self) -> None:
        current = self.table.currentIndex()
        if current.isValid() and current.row() + 1 < self.model.rowCount():
            self.table.selectRow(current.row() + 1)

    # -- preferences: saved filters and columns ---------------------------------------------
    def _preferences(self, prefs: preferences.ListPreferences) -> None:
        self.filters.set_saved([(s.name, s.query) for s in prefs.saved])
        for column, name in enumerate(COLUMNS):
            self.table.setColumnHidden(column, name in prefs.hidden_columns)

    def _save_filter(self, name: str) -> None:
        self._bridge.call(preferences.save_filter, self._console, self._session, name,
                          self.filters.query(), on_result=self._preferences,
                          on_error=lambda exc: self.message.setText(user_message(exc)),
                          owner=self)

    def _column_menu(self, point: QPoint) -> None:
        """Right-click on the header: tick the columns to show (kept per user)."""
        menu = QMenu(self)
        for column, name in enumerate(COLUMNS):
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.setEnabled(column != 0)  # the time always shows
            action.toggled.connect(lambda on, c=column: self._show_column(c, on))
        menu.popup(self.table.horizontalHeader().mapToGlobal(point))

    def _show_column(self, column: int, shown: bool) -> None:
        self.table.setColumnHidden(column, not shown)
        hidden = tuple(n for c, n in enumerate(COLUMNS) if self.table.isColumnHidden(c))
        self._bridge.call(preferences.set_hidden_columns, self._console, self._session,
                          hidden, owner=self)

    # -- the incident window ---------------------------------------------------------------
    def open_current(self) -> None:
        """Open the incident window on the current row (Space, Enter or a double click)."""
        current = self.table.currentIndex()
        if not current.isValid():
            self.message.setText("Select an incident first (j / k to move).")
            return
        if self.window is None:
            self.window = IncidentWindow(self._bridge, self._console, self._session, self)
            self.window.sig_step.connect(self._window_step)
            self.window.sig_triage.connect(self._window_triage)
            self.window.finished.connect(self.focus_table)
        self.window.show_incident(self.model.row_at(current.row()).id)

    def _window_step(self, delta: int) -> None:
        row = self.table.currentIndex().row() + delta
        if 0 <= row < self.model.rowCount() and self.window is not None:
            self.table.selectRow(row)
            self.window.show_incident(self.model.row_at(row).id)

    def _window_triage(self, key: Qt.Key) -> None:
        self.table.selectRow(self.table.currentIndex().row())  # triage the one shown
        before = self.table.currentIndex().row()
        KEY_ACTS[key](self.triage)
        after = self.table.currentIndex().row()
        if after != before and self.window is not None:
            self.window.show_incident(self.model.row_at(after).id)

    def focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
