"""Horizontal bars, one per category or year group, each labelled with its count. A suppressed
count has no bar (its length is not known): a grey "<5" tag stands at the start of the row.

Threading: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QWidget

from app.domain.trends import Bar
from app.ui.trend_links import count_text
from app.ui.trend_plot import TrendPlot, small_font, suppressed_label, value_label

_THICKNESS = 0.66
_LABEL_CHARS = 26


class HorizontalBarChart(TrendPlot):
    """`show_bars(bars)` draws top to bottom in the given order. `sig_picked(key)` fires when
    a clickable chart's bar is clicked and `pickable(bar)` allows it."""

    sig_picked = Signal(str)

    def __init__(self, clickable: bool, pickable: Callable[[Bar], bool] = lambda _bar: True,
                 parent: QWidget | None = None) -> None:
        super().__init__(clickable, parent=parent)
        self.pickable = pickable
        self.bars: tuple[Bar, ...] = ()
        self.getPlotItem().hideAxis("bottom")  # every bar carries its number
        self.getPlotItem().getAxis("left").setStyle(tickLength=0)  # no marks across bars
        self.getViewBox().invertY(True)
        self._item = pg.BarGraphItem(x0=[], y=[], height=[], width=[], pen=None)
        self.addItem(self._item)
        self._labels: list[pg.TextItem] = []

    def show_bars(self, bars: Sequence[Bar]) -> None:
        self.bars = tuple(bars)
        widths = np.array([b.value or 0 for b in bars], dtype=float)
        rows = np.arange(len(bars), dtype=float)
        self._item.setOpts(x0=np.zeros(len(bars)), y=rows, height=_THICKNESS, width=widths,
                           brushes=[b.colour for b in bars])
        names = [_short(b.label) for b in bars]
        axis = self.getPlotItem().getAxis("left")
        axis.setTicks([[(float(i), name) for i, name in enumerate(names)]])
        # pyqtgraph hides a tick label wider than its axis: make room for the longest one
        metrics = QFontMetrics(small_font())
        axis.setWidth(max((metrics.horizontalAdvance(n) for n in names), default=40) + 14)
        for label in self._labels:
            self.removeItem(label)
        self._labels = [self._label(i, b) for i, b in enumerate(bars)]
        longest = float(widths.max()) if len(widths) else 0.0
        self.setXRange(0, max(longest * 1.16, 5.0), padding=0)
        self.setYRange(-0.6, max(len(bars), 1) - 0.4, padding=0)

    def drawn(self) -> dict[str, float]:
        """The drawn length of each bar (0 where the count is suppressed: no bar)."""
        return {b.key: float(w) for b, w in zip(self.bars, self._item.opts["width"],
                                                   strict=True)}

    def texts(self) -> list[str]:
        """The numbers written beside the bars, top to bottom."""
        return [label.toPlainText().strip() for label in self._labels]

    def bar_point(self, key: str) -> QPoint:
        """The middle of a bar (or of its "<5" tag), in viewport coordinates."""
        i = next(n for n, b in enumerate(self.bars) if b.key == key)
        length = self.bars[i].value or 1
        return self.widget_point(length / 2, float(i))

    def _label(self, row: int, bar: Bar) -> pg.TextItem:
        if bar.value is None:
            label = suppressed_label(anchor=(0.0, 0.5))
            label.setPos(0, row)
        else:
            label = value_label(f" {count_text(bar.value)}", anchor=(0.0, 0.5))
            label.setPos(bar.value, row)
        self.addItem(label)
        return label

    def _row_at(self, y: float) -> int | None:
        row = round(y)
        if 0 <= row < len(self.bars) and abs(y - row) <= _THICKNESS / 2:
            return row
        return None

    def describe(self, x: float, y: float) -> str | None:
        row = self._row_at(y)
        if row is None:
            return None
        bar = self.bars[row]
        return f"<b>{bar.label}</b>: {count_text(bar.value)}"

    def target(self, x: float, y: float) -> bool:
        row = self._row_at(y)
        return row is not None and self.pickable(self.bars[row])

    def pick(self, x: float, y: float) -> None:
        row = self._row_at(y)
        if row is not None and self.pickable(self.bars[row]):
            self.sig_picked.emit(self.bars[row].key)


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[:_LABEL_CHARS - 1] + "…"
