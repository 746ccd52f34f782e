"""A flat, read-only Qt table over a list of rows: the part every table screen shares.

`RowTableModel[T]` owns `rows` and `headers` and answers the Qt questions that do not depend on
what a row is (row and column counts, horizontal header titles, index bounds). A subclass says
only what one cell shows for one role, in `cell()`. Loading stays with the subclass: a fixed
list is swapped in with `set_rows`, a paged model appends with begin/endInsertRows itself.

Threading: GUI thread only, like every Qt item model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex


class RowTableModel(QAbstractTableModel, Generic[T]):
    """Rows of `T` under fixed column `headers`; subclasses implement `cell()`.

    (Not an `abc.ABC`: its metaclass clashes with Qt's, so `cell()` raises instead.)"""

    def __init__(self, headers: tuple[str, ...], parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = headers
        self.rows: list[T] = []

    def set_rows(self, rows: Iterable[T]) -> None:
        """Replace every row at once (views keep no selection or scroll position)."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> T:
        return self.rows[row]

    def cell(self, row: T, column: int, role: int) -> Any:
        """What `column` of `row` shows for `role`; None for nothing."""
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt default
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt default
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.headers)):
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (not index.isValid() or not 0 <= index.row() < len(self.rows)
                or not 0 <= index.column() < len(self.headers)):
            return None
        return self.cell(self.rows[index.row()], index.column(), role)
