"""The one look and behaviour of Kestrel's read-only list tables (incidents, library, audit):
whole-row selection, no grid, no in-place editing, headers that do not sort (order is chosen
in SQL or by the service, never by a proxy)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView


def set_up_list_table(table: QTableView, model: QAbstractItemModel, *, row_height: int,
                      multi_select: bool = False) -> None:
    table.setModel(model)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi_select
                           else QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(row_height)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionsClickable(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def set_column_widths(table: QTableView, widths: Sequence[int]) -> None:
    """Fixed widths (0 keeps Qt's), the last column stretching into the space left."""
    for column, width in enumerate(widths):
        if width:
            table.setColumnWidth(column, width)
    table.horizontalHeader().setSectionResizeMode(len(widths) - 1,
                                                  QHeaderView.ResizeMode.Stretch)
