"""The legend beside a stacked-bar chart: one tick box per series with its colour, so a series
can be hidden and the rest re-stacked (keyboard: Tab to it, Space to toggle). It also keys the
"same dates last year" line.

Threading: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from app.domain.trends import Series
from app.ui.trend_charts import COMPARISON, StackedBarChart

SWATCH = 14


class SeriesLegend(QWidget):
    """Tick boxes for `chart`'s series; ticking one shows it again. Boxes are rebuilt only
    when the set of series changes, so a reader's choice survives a reload."""

    sig_toggled = Signal(str, bool)

    def __init__(self, chart: StackedBarChart, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart = chart
        self.boxes: dict[str, QCheckBox] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addStretch(1)
        self._keys: tuple[str, ...] = ()

    def set_series(self, series: Sequence[Series], comparison: Series | None) -> None:
        entries = [*((s.key, s.label, _swatch(s.colour)) for s in series)]
        if comparison is not None:
            entries.append((COMPARISON, comparison.label, _line_swatch(comparison.colour)))
        keys = tuple(key for key, _label, _icon in entries)
        if keys != self._keys:
            self._rebuild(entries)

    def shown_labels(self) -> list[str]:
        return [box.text() for box in self.boxes.values() if box.isChecked()]

    def _rebuild(self, entries: list[tuple[str, str, QIcon]]) -> None:
        for box in self.boxes.values():
            self._layout.removeWidget(box)
            box.deleteLater()
        self.boxes = {}
        for index, (key, label, icon) in enumerate(entries):
            box = QCheckBox(label)
            box.setIcon(icon)
            box.setChecked(key not in self.chart.hidden)
            box.setToolTip(f"Show or hide {label}")
            box.toggled.connect(lambda on, k=key: self._toggled(k, on))
            self._layout.insertWidget(index, box)
            self.boxes[key] = box
        self._keys = tuple(key for key, _label, _icon in entries)

    def _toggled(self, key: str, shown: bool) -> None:
        self.chart.set_shown(key, shown)
        self.sig_toggled.emit(key, shown)


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(SWATCH, SWATCH)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


def _line_swatch(colour: str) -> QIcon:
    pixmap = QPixmap(SWATCH, SWATCH)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setPen(QPen(QColor(colour), 2, Qt.PenStyle.DashLine))
    painter.drawLine(0, SWATCH // 2, SWATCH, SWATCH // 2)
    painter.end()
    return QIcon(pixmap)

