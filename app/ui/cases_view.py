"""The Cases screen: the school's cases (newest first) beside the one chosen (`CasePanel`).

Opening a case (an audited view) happens when a row is chosen; `show_case(id)` lets the
incident list's `e` key land here on the case it just opened or added to.

Threading: GUI thread only; service calls go through the bridge.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QTableView, QVBoxLayout, QWidget

from app.domain.cases import CaseDetail, CaseSummary
from app.services import cases
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.case_panel import CasePanel
from app.ui.look import format_when
from app.ui.row_table_model import RowTableModel
from app.ui.tables import set_column_widths, set_up_list_table

CASE_COLUMNS = ("Reference", "Pupil", "Year", "Status", "Incidents", "Last entry")
_WIDTHS = (118, 142, 44, 118, 82, 0)  # the last, "Last entry", takes what is left


class CaseTableModel(RowTableModel[CaseSummary]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(CASE_COLUMNS, parent)

    def cell(self, c: CaseSummary, column: int, role: int) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        status = c.status.label + ("  · hold" if c.legal_hold else "")
        year = f"Y{c.year_group}" if c.year_group is not None else ""
        return (c.reference, c.subject_name, year, status, str(c.incident_count),
                format_when(c.last_entry_at))[column]


class CasesView(QWidget):
    """`sig_loaded(count)` after the list arrives; `sig_case_shown(id)` once a case shows."""

    sig_loaded = Signal(int)
    sig_case_shown = Signal(int)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ScreenPage")
        self._bridge, self._console, self._session = bridge, console, session
        self._wanted: int | None = None
        self.model = CaseTableModel(self)
        self.table = QTableView()
        set_up_list_table(self.table, self.model, row_height=26)
        set_column_widths(self.table, _WIDTHS)
        self.panel = CasePanel(bridge, console, session)
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("Muted")
        title = QLabel("Cases")
        title.setObjectName("ScreenTitle")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.panel)
        splitter.setSizes([640, 760])  # room for "Last entry" at 1366 px and up
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 10)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.table.selectionModel().currentRowChanged.connect(self._chosen)
        self.panel.sig_changed.connect(lambda _d: self.reload())
        self.reload()

    def reload(self) -> None:
        self._bridge.call(cases.list_cases, self._console, self._session,
                          on_result=self._listed, owner=self,
                          on_error=lambda exc: self.summary.setText(user_message(exc)))

    def show_case(self, case_id: int) -> None:
        """Select (after a reload, if it is new) and open this case."""
        self._wanted = case_id
        self.reload()

    def _listed(self, rows: list[CaseSummary]) -> None:
        keep = self._wanted if self._wanted is not None else self._current_id()
        self.model.set_rows(rows)
        self.summary.setText(f"{len(rows)} case{'s' if len(rows) != 1 else ''}, newest first"
                             if rows else "No cases yet: press e on an incident to open one.")
        row = next((n for n, c in enumerate(rows) if c.id == keep), None)
        if row is not None:
            self.table.selectRow(row)
        self._wanted = None
        self.sig_loaded.emit(len(rows))

    def _current_id(self) -> int | None:
        return self.panel.detail.summary.id if self.panel.detail is not None else None

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        case_id = self.model.row_at(current.row()).id
        if case_id == self._current_id():
            return
        self._bridge.call(cases.view_case, self._console, self._session, case_id,
                          on_result=self._shown, owner=self,
                          on_error=lambda exc: self.summary.setText(user_message(exc)))

    def _shown(self, detail: CaseDetail) -> None:
        self.panel.show_case(detail)
        self.sig_case_shown.emit(detail.summary.id)
