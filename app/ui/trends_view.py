"""The Trends screen: the headteacher's (and the DSL's) dashboard of counts over time, by
severity, category, year group, weekday and hour, with the top phrases, false-positive rates
and review times (DESIGN §9). Numbers under 5 arrive suppressed for a reader who may not list
incidents and are shown as "<5".

Changing any control asks `trends.dashboard` again through the bridge, off the GUI thread; the
charts on screen stay until the answer comes, with a calm "Updating…" note, and an answer to a
question since replaced is dropped. A range with nothing to show says why in one sentence
instead of drawing empty axes. For the DSL and deputies only, clicking a category, year-group
or time bar emits `sig_show_incidents(IncidentQuery, label)`: the main window opens the
incident list on it. For anyone else the bars do nothing and no signal exists to connect.

Threading: GUI thread only; the service call goes through `ServiceBridge`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from app.domain.categories import CATEGORY_BY_KEY
from app.domain.dto import IncidentQuery
from app.domain.school_time import today
from app.domain.trends import Dashboard, TrendQuery, next_period
from app.security.authorisation import Permission, allowed
from app.services import trends
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.trend_controls import TrendControls
from app.ui.trend_links import (
    SUPPRESSED_NOTE,
    count_text,
    incidents_for,
    range_label,
)

if TYPE_CHECKING:  # pyqtgraph loads when the screen is first opened, not at sign-in
    from app.ui.trend_board import TrendBoard

UPDATING_DELAY_MS = 250  # a quick answer never flashes the note


class TrendsView(QWidget):
    """The dashboard screen. `sig_loaded(Dashboard)` fires each time an answer is shown."""

    sig_loaded = Signal(object)
    sig_show_incidents = Signal(object, str)  # IncidentQuery, what it lists (DSL/deputy)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScreenPage")
        self._bridge, self._console, self._session = bridge, console, session
        self.can_list = allowed(session.role, Permission.LIST_INCIDENTS)
        self.dashboard: Dashboard | None = None
        self._request: int | None = None
        self.controls = TrendControls(lambda: today(console.clock()))
        self.board: TrendBoard | None = None
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("Muted")
        self.updating = QLabel("Updating…")
        self.updating.setObjectName("Muted")
        self.updating.setVisible(False)
        self.error = QLabel()
        self.error.setObjectName("ErrorLine")
        self.error.setWordWrap(True)
        self.suppressed_note = QLabel(SUPPRESSED_NOTE)
        self.suppressed_note.setObjectName("Hint")
        self.suppressed_note.setVisible(False)
        self.empty = QLabel()
        self.empty.setObjectName("Placeholder")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self._updating_timer = QTimer(self)
        self._updating_timer.setSingleShot(True)
        self._updating_timer.setInterval(UPDATING_DELAY_MS)
        self._updating_timer.timeout.connect(lambda: self.updating.setVisible(True))
        self._lay_out()
        self.controls.sig_changed.connect(self.reload)

    def _lay_out(self) -> None:
        title = QLabel("Trends")
        title.setObjectName("ScreenTitle")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        top.addWidget(self.updating)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 10)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.controls)
        layout.addWidget(self.error)
        layout.addWidget(self.suppressed_note)
        layout.addWidget(self.pages, 1)
        self.error.setVisible(False)

    # -- loading ---------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        """Counts move as incidents arrive and are triaged: ask again each time the screen is
        opened (the last answer stays up meanwhile)."""
        super().showEvent(event)
        if not event.spontaneous():
            self._ensure_board()
            self.reload()

    def _ensure_board(self) -> TrendBoard:
        if self.board is None:
            from app.ui.trend_board import TrendBoard
            self.board = TrendBoard(self.can_list)
            self.pages.addWidget(self.board)
            # made last, so Tab would reach it last of all: it follows the controls instead
            QWidget.setTabOrder(self.controls.false_positives,
                                self.board.cards["over_time"].export_button)
            if self.can_list:
                self._connect_click_through(self.board)
        return self.board

    def reload(self) -> None:
        """Ask for the dashboard the controls describe; any earlier question is dropped."""
        if self.board is None:
            return  # not opened yet: the first showEvent asks
        if self._request is not None:
            self._bridge.forget(self._request)
        query = self.controls.query()
        request = self._bridge.call(
            trends.dashboard, self._console, self._session, query, self.controls.granularity,
            self.controls.compare.isChecked(),
            on_result=lambda board: self._shown(request, board),
            on_error=lambda exc: self._failed(request, exc), owner=self)
        self._request = request
        self._updating_timer.start()

    def _settled(self, request: int) -> bool:
        if request != self._request:
            return False  # a later question replaced this one
        self._request = None
        self._updating_timer.stop()
        self.updating.setVisible(False)
        return True

    def _shown(self, request: int, board: Dashboard) -> None:
        if not self._settled(request):
            return
        self.dashboard = board
        self.error.setVisible(False)
        query = board.query
        if board.empty_reason:
            self.empty.setText(board.empty_reason)
            self.pages.setCurrentWidget(self.empty)
            self.summary.setText(_range_text(query.start, query.end))
        else:
            charts = self._ensure_board()
            charts.show_dashboard(board)
            self.pages.setCurrentWidget(charts)
            noun = "incident" if board.total == 1 else "incidents"
            self.summary.setText(f"{count_text(board.total)} {noun} · "
                                 f"{_range_text(query.start, query.end)} · "
                                 f"by {board.over_time.granularity.value}")
        self.suppressed_note.setVisible(board.suppressed and not board.empty_reason)
        self.sig_loaded.emit(board)

    def _failed(self, request: int, exc: BaseException) -> None:
        if self._settled(request):
            self.error.setText(user_message(exc))
            self.error.setVisible(True)

    # -- click-through (DSL and deputies) --------------------------------------------------
    def _connect_click_through(self, board: TrendBoard) -> None:
        board.over_time.sig_picked.connect(self._time_picked)
        board.severity.sig_picked.connect(self._severity_picked)
        board.by_category.sig_picked.connect(self._category_picked)
        board.by_year.sig_picked.connect(self._year_picked)
        board.false_positives.make_pickable()  # the keyboard's route to a category's list
        board.false_positives.sig_picked.connect(self._category_picked)

    def _period(self, index: int) -> tuple[date, date]:
        """The dates of the clicked bar (the status bar then says them)."""
        assert self.dashboard is not None
        series = self.dashboard.over_time
        start = series.periods[index]
        return start, next_period(start, series.granularity) - timedelta(days=1)

    def _time_picked(self, index: int, key: str) -> None:
        self._emit(incidents_for(self._query(), category=key, period=self._period(index)),
                   f"{_category(key)} incidents")

    def _severity_picked(self, index: int, key: str) -> None:
        self._emit(incidents_for(self._query(), min_severity=int(key),
                                 period=self._period(index)),
                   f"incidents of severity {key} or more")

    def _category_picked(self, key: str) -> None:
        self._emit(incidents_for(self._query(), category=key), f"{_category(key)} incidents")

    def _year_picked(self, key: str) -> None:
        self._emit(incidents_for(self._query(), year_group=int(key)), f"Year {key} incidents")

    def _query(self) -> TrendQuery:
        assert self.dashboard is not None
        return self.dashboard.query

    def _emit(self, query: IncidentQuery, label: str) -> None:
        if self.can_list:  # the signal is never connected otherwise; belt and braces
            self.sig_show_incidents.emit(query, label)


def _category(key: str) -> str:
    info = CATEGORY_BY_KEY.get(key)
    return info.name if info else key


def _range_text(start: date, end: date) -> str:
    return range_label(start, end) if start <= end else f"{range_label(end, start)} (reversed)"
