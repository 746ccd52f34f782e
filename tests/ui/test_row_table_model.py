"""The shared table-model base and the audit model built on it, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester

from app.domain.dto import AuditEntry
from app.ui.audit_view import AUDIT_COLUMNS, AuditTableModel
from app.ui.row_table_model import RowTableModel


class _Words(RowTableModel[str]):
    def __init__(self) -> None:
        super().__init__(("Word", "Length"))

    def cell(self, row: str, column: int, role: int) -> object:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return row if column == 0 else str(len(row))


def _entry(seq: int) -> AuditEntry:
    return AuditEntry(seq, datetime(2025, 1, 6, 9, 41, tzinfo=UTC), "dsl", "incident.status",
                      f"incident:{seq}", '{"old": "new", "new": "closed"}')


def test_subclass_says_only_what_a_cell_shows_and_the_base_answers_the_rest(qapp):
    model = _Words()
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    model.set_rows(["kestrel", "owl"])
    assert (model.rowCount(), model.columnCount()) == (2, 2)
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Length"
    assert model.headerData(2, Qt.Orientation.Horizontal) is None
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert model.data(model.index(1, 1)) == "3"
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole) is None
    assert model.data(QModelIndex()) is None
    assert model.row_at(0) == "kestrel"
    model.set_rows([])
    assert model.rowCount() == 0
    assert tester is not None


def test_audit_model_shows_each_entry_as_text_and_tooltip(qapp):
    model = AuditTableModel()
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    model.set_entries([_entry(2), _entry(1)])
    assert model.columnCount() == len(AUDIT_COLUMNS)
    assert model.data(model.index(0, 0)) == "2"
    details = model.index(1, AUDIT_COLUMNS.index("Details"))
    assert model.data(details) == "old new  ·  new closed"
    assert model.data(details, Qt.ItemDataRole.ToolTipRole) == model.data(details)
    assert model.data(details, Qt.ItemDataRole.DecorationRole) is None
    assert tester is not None
