"""The incident list as a Qt table model, loaded page by page through the service layer.

Rows arrive in keyset pages from `incidents.list_incidents`: the first page when a query is
set, the next one when the view scrolls near the end (`canFetchMore`/`fetchMore`). `fetchMore`
never waits: it submits the call through the bridge and the rows are inserted when the answer
reaches the GUI thread. Filtering and sorting happen in SQL, never in a proxy (STYLE rule 4).

Threading: GUI thread only. The service calls run on the DB executor via `ServiceBridge`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QFont

from app.domain.dto import IncidentPage, IncidentQuery, IncidentRow
from app.domain.enums import IncidentStatus
from app.services import incidents
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.look import MUTED, format_when, lock_icon, severity_dot, severity_text
from app.ui.row_table_model import Index, RowTableModel

COLUMNS = ("Time", "Severity", "Category", "Pupil", "Year", "Matched text", "App / window",
           "Status", "Assignee", "Device")
(COL_TIME, COL_SEVERITY, COL_CATEGORY, COL_PUPIL, COL_YEAR, COL_MATCHED, COL_APP, COL_STATUS,
 COL_ASSIGNEE, COL_DEVICE) = range(len(COLUMNS))
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
PAGE_SIZE = 200


class IncidentTableModel(RowTableModel[IncidentRow]):
    """Holds the rows loaded so far for one `IncidentQuery` and fetches more on demand.

    `sig_page_loaded(count, first)` fires when a page has been added (`first` for the first
    page of a query); `sig_load_failed(message)` carries a sentence for the person. Rows come
    only from `set_query` and paging (never `set_rows`), which keep `_row_of` in step."""

    sig_page_loaded = Signal(int, bool)
    sig_load_failed = Signal(str)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 page_size: int = PAGE_SIZE, parent: Any = None) -> None:
        super().__init__(COLUMNS, parent)
        self._bridge, self._console, self._session = bridge, console, session
        self._page_size = page_size
        self._query = IncidentQuery()
        self._row_of: dict[int, int] = {}
        self._next_cursor: tuple[object, ...] | None = None
        self._loading: int | None = None  # request id of the page in flight
        self._generation = 0  # bumps with every new query: older answers are ignored
        self._bold = QFont()
        self._bold.setBold(True)
        self._regular = QFont()

    # -- loading -----------------------------------------------------------------------------
    @property
    def query(self) -> IncidentQuery:
        return self._query

    @property
    def is_loading(self) -> bool:
        return self._loading is not None

    @property
    def has_more(self) -> bool:
        return self._next_cursor is not None

    def set_query(self, query: IncidentQuery) -> None:
        """Forget the loaded rows and load the first page for `query`."""
        self._generation += 1
        if self._loading is not None:
            self._bridge.forget(self._loading)
        self.beginResetModel()
        self._query = query
        self.rows, self._row_of, self._next_cursor, self._loading = [], {}, None, None
        self.endResetModel()
        self._request(None)

    def refresh(self) -> None:
        self.set_query(self._query)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 - Qt default
        return not parent.isValid() and self._next_cursor is not None and self._loading is None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008 - Qt default
        if self.canFetchMore(parent):
            self._request(self._next_cursor)

    def _request(self, cursor: tuple[object, ...] | None) -> None:
        generation, first = self._generation, cursor is None
        self._loading = self._bridge.call(
            incidents.list_incidents, self._console, self._session, self._query, cursor,
            self._page_size,
            on_result=lambda page: self._page_arrived(generation, first, page),
            on_error=lambda exc: self._page_failed(generation, exc))

    def _page_arrived(self, generation: int, first: bool, page: IncidentPage) -> None:
        if generation != self._generation:
            return
        self._loading = None
        self._next_cursor = page.next_cursor
        if page.rows:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page.rows) - 1)
            for offset, row in enumerate(page.rows):
                self._row_of[row.id] = start + offset
            self.rows.extend(page.rows)
            self.endInsertRows()
        self.sig_page_loaded.emit(len(page.rows), first)

    def _page_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = None
        self._next_cursor = None  # do not retry in a loop; the view offers "try again"
        self.sig_load_failed.emit(user_message(exc))

    # -- triage ------------------------------------------------------------------------------
    def index_of(self, incident_id: int) -> int | None:
        """The row showing this incident, if it is loaded."""
        return self._row_of.get(incident_id)

    def apply_change(self, incident_ids: Iterable[int], **values: Any) -> None:
        """Show a change the service has committed (status, severity or assignee_name)."""
        for incident_id in incident_ids:
            row = self._row_of.get(incident_id)
            if row is None:
                continue
            self.rows[row] = dataclasses.replace(self.rows[row], **values)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _outside_filter(self, row: IncidentRow) -> bool:
        """Triaged out of the current filter: kept in place (nothing jumps) but dimmed."""
        return bool(self._query.statuses) and row.status not in self._query.statuses

    # -- Qt model API ------------------------------------------------------------------------
    def cell(self, row: IncidentRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row, column)
        if role == Qt.ItemDataRole.DecorationRole:
            if column == COL_SEVERITY:
                return severity_dot(row.severity)
            if column == COL_CATEGORY and row.restricted:
                return lock_icon()
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if self._outside_filter(row) or (column == COL_PUPIL and not row.subject_name):
                return MUTED
            return None
        if role == Qt.ItemDataRole.FontRole and column == COL_STATUS:
            return self._bold if row.status == IncidentStatus.NEW else self._regular
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_YEAR:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == ROW_ROLE:
            return row
        return None


def _one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _app_window(row: IncidentRow) -> str:
    parts = [p for p in (row.app, _one_line(row.window_title)) if p]
    return " — ".join(parts)


def _display(row: IncidentRow, column: int) -> str:
    if column == COL_TIME:
        return format_when(row.captured_at)
    if column == COL_SEVERITY:
        return severity_text(row.severity)
    if column == COL_CATEGORY:
        return row.category_name
    if column == COL_PUPIL:
        return row.subject_name or "Not known"
    if column == COL_YEAR:
        return f"Y{row.year_group}" if row.year_group is not None else ""
    if column == COL_MATCHED:
        return _one_line(row.matched_text)
    if column == COL_APP:
        return _app_window(row)
    if column == COL_STATUS:
        return row.status.label
    if column == COL_ASSIGNEE:
        return row.assignee_name or ""
    if column == COL_DEVICE:
        return row.device_name
    return ""


def _tooltip(row: IncidentRow, column: int) -> str | None:
    if column == COL_CATEGORY and row.restricted:
        return (f"{row.category_name}: restricted imagery. Screenshots stay blurred and are "
                "never shown in this list.")
    if column == COL_TIME:
        return f"{row.captured_at.astimezone():%A %d %B %Y, %H:%M:%S} (source: {row.source})"
    if column in (COL_MATCHED, COL_APP, COL_DEVICE, COL_PUPIL):
        text = _display(row, column)
        return text or None
    return None
