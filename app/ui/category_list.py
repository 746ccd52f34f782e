"""The Library screen's category list: 'All categories' and each category, with its count.

Each row has a coloured dot, the category's name (elided if the list is narrow) and, right-
aligned after it, how many entries match the current search there.

Threading: GUI thread only.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.domain.categories import CATEGORIES
from app.ui.look import MUTED
from app.ui.row_table_model import Index

COUNT_ROLE = Qt.ItemDataRole.UserRole + 2


class CategoryDelegate(QStyledItemDelegate):
    """Draws a category's name, elided if need be, and its entry count right-aligned after it.

    The size hint asks for no width, so each row is as wide as the list (never scrolls
    sideways); the full name is in the tooltip."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        count = index.data(COUNT_ROLE)
        count_text = "" if count is None else str(count)
        metrics = opt.fontMetrics
        room = (opt.rect.width() - opt.decorationSize.width() - 24
                - metrics.horizontalAdvance(count_text) - 16)
        opt.text = metrics.elidedText(opt.text, Qt.TextElideMode.ElideRight, max(room, 0))
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        if count_text:
            painter.save()
            painter.setPen(MUTED)
            area = QRect(opt.rect).adjusted(0, 0, -10, 0)
            painter.drawText(area, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             count_text)
            painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(1, max(super().sizeHint(option, index).height(), 28))


class CategoryList(QListWidget):
    """'All categories' and each category, with a coloured dot and a count; says which key
    (None for all) is chosen through `sig_category_changed`."""

    sig_category_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CategoryList")
        self.setItemDelegate(CategoryDelegate(self))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._add("All categories", None, QIcon(_dot("#9aa5b1", hollow=True)))
        for category in CATEGORIES:
            self._add(category.name, category.key, QIcon(_dot(category.colour)))
        self.setCurrentRow(0)
        self.currentRowChanged.connect(lambda _row: self.sig_category_changed.emit(self.key()))

    def _add(self, name: str, key: str | None, icon: QIcon) -> None:
        item = QListWidgetItem(icon, name, self)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setToolTip(name)

    def key(self) -> str | None:
        item = self.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def select(self, key: str | None) -> None:
        for row in range(self.count()):
            if self.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.setCurrentRow(row)
                return

    def set_counts(self, counts: Counter[str]) -> None:
        for row in range(self.count()):
            item = self.item(row)
            key = item.data(Qt.ItemDataRole.UserRole)
            item.setData(COUNT_ROLE, counts.total() if key is None else counts.get(key, 0))


def _dot(colour: str, hollow: bool = False) -> QPixmap:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if hollow:  # "All categories": an outline, not a colour of its own
        painter.setPen(QColor(colour))
        painter.drawEllipse(2, 2, 8, 8)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return pixmap
