"""The dashboard's figures that read better as text than as a chart: the top phrases, the
false-positive rate per category, and how soon incidents were first reviewed.

Short, read-only tables (ten to thirteen rows), so plain `QTableWidget`s; counts align right
and a suppressed one reads "<5".

Threading: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import CATEGORY_BY_KEY
from app.domain.trends import Bar, FalsePositiveRate, PhraseCount, ReviewTimes, within_label
from app.ui.trend_links import count_text

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class FigureTable(QTableWidget):
    """A read-only table of text rows; the first column stretches."""

    def __init__(self, headers: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(0, len(headers), parent)
        self.setHorizontalHeaderLabels(list(headers))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAlternatingRowColors(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        self.setShowGrid(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(headers)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def set_rows(self, rows: Sequence[Sequence[str]], numeric_from: int = 1) -> None:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c >= numeric_from:
                    item.setTextAlignment(_RIGHT)
                self.setItem(r, c, item)
        self.fit_rows()

    def fit_rows(self) -> None:
        """As tall as its rows: the card grows, the table never scrolls inside it."""
        height = self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth()
        height += sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(height + 2)

    def cell_texts(self) -> list[list[str]]:
        return [[self.item(r, c).text() for c in range(self.columnCount())]
                for r in range(self.rowCount())]


class PhraseTable(FigureTable):
    """The library phrases behind most incidents (an incident counts once per phrase)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(("Phrase", "Category", "Incidents"), parent)

    def show_phrases(self, phrases: Sequence[PhraseCount]) -> None:
        self.set_rows([(p.phrase, _category(p.category_key), count_text(p.incidents))
                       for p in phrases], numeric_from=2)


class FalsePositiveTable(FigureTable):
    """Per category: how many captures were marked false positives, of how many. For staff
    who may list incidents it is also the keyboard's way through to them: Enter (or a double
    click) on a row emits `sig_picked(category key)`, like clicking that category's bar."""

    sig_picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(("Category", "False positives", "Of", "Rate"), parent)
        self._keys: list[str] = []

    def make_pickable(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setToolTip("Enter or double-click lists that category's incidents")
        self.activated.connect(lambda index: self.sig_picked.emit(self._keys[index.row()]))

    def show_rates(self, rates: Sequence[FalsePositiveRate]) -> None:
        self._keys = [r.category_key for r in rates]
        self.set_rows([(r.label, count_text(r.false_positives), count_text(r.total),
                        "—" if r.rate is None else f"{r.rate:.0%}") for r in rates])


class ReviewPanel(QWidget):
    """How soon incidents were first looked at, and how they were seen (typed, on screen)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reviewed = QLabel()
        self.half = QLabel()
        self.most = QLabel()
        self.sources = QLabel()
        self.sources.setObjectName("Hint")
        self.sources.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for label in (self.reviewed, self.half, self.most, self.sources):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)

    def show_review(self, times: ReviewTimes, sources: Sequence[Bar]) -> None:
        self.reviewed.setText(f"<b>{count_text(times.reviewed)}</b> incidents reviewed")
        if times.median_within_s is None:
            self.half.setText("Too few reviewed to say how soon.")
            self.most.setText("")
        else:
            self.half.setText(f"Half were first reviewed <b>"
                              f"{within_label(times.median_within_s)}</b>")
            self.most.setText(f"Nine in ten were first reviewed <b>"
                              f"{within_label(times.p90_within_s)}</b>")
        seen = " · ".join(f"{b.label} {count_text(b.value)}" for b in sources)
        self.sources.setText(f"How they were seen: {seen}" if seen else "")

    def texts(self) -> list[str]:
        return [label.text() for label in (self.reviewed, self.half, self.most, self.sources)]


def _category(key: str) -> str:
    info = CATEGORY_BY_KEY.get(key)
    return info.name if info else key
