"""Keeping the DSL's place in a list across a reload (F5 after incidents arrive).

Before the reload: which incidents were selected, which was current, where that row sat on
screen, and how many rows were loaded. After it: pages are fetched until the current incident
is back (or as many rows as before, plus the arrivals, have loaded), then the same incidents
are selected and the current one is scrolled to the same height on screen — new rows above it
push nothing out of view.

Threading: GUI thread only.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QTimer
from PySide6.QtWidgets import QTableView

from app.ui.incident_model import IncidentTableModel


@dataclass(frozen=True)
class ListPlace:
    current_id: int
    selected_ids: tuple[int, ...]
    offset_px: int  # the current row's top, from the top of the viewport
    rows_wanted: int


def remember(table: QTableView, model: IncidentTableModel, arrivals: int) -> ListPlace | None:
    current = table.currentIndex()
    if not current.isValid():
        return None
    selected = tuple(model.row_at(i.row()).id for i in table.selectionModel().selectedRows())
    return ListPlace(model.row_at(current.row()).id, selected,
                     table.visualRect(current).top(), model.rowCount() + arrivals)


def restore(table: QTableView, model: IncidentTableModel, place: ListPlace) -> bool:
    """Put the place back once its row has loaded; False while more pages are needed (it asks
    for the next one itself)."""
    row = model.index_of(place.current_id)
    if row is None:
        if model.has_more and model.rowCount() < place.rows_wanted:
            model.fetchMore()
            return False
        return True  # gone from this filter: leave the list at its top
    selection = QItemSelection()
    for incident_id in place.selected_ids or (place.current_id,):
        other = model.index_of(incident_id)
        if other is not None:
            selection.select(model.index(other, 0), model.index(other, model.columnCount() - 1))
    flags = QItemSelectionModel.SelectionFlag
    table.selectionModel().setCurrentIndex(model.index(row, 0), flags.NoUpdate)
    table.selectionModel().select(selection, flags.ClearAndSelect)
    table.doItemsLayout()  # the new rows' heights and the scroll range, before scrolling
    _scroll_to(table, model.index(row, 0), place.offset_px)
    # Qt may lay the rows out again once this slot returns; scroll once more after that.
    QTimer.singleShot(0, lambda: _scroll_to(table, model.index(row, 0), place.offset_px))
    return True


def _scroll_to(table: QTableView, index: QModelIndex, offset_px: int) -> None:
    bar = table.verticalScrollBar()
    shift = table.visualRect(index).top() - offset_px
    bar.setValue(bar.value() + shift // max(1, _step(table)))


def _step(table: QTableView) -> int:
    """Pixels per scroll-bar step: one row in per-item mode, one pixel in per-pixel mode."""
    mode = table.verticalScrollMode()
    return 1 if mode == QTableView.ScrollMode.ScrollPerPixel else table.rowHeight(0) or 1
