"""The dashboard's cards, laid out in a scrolling grid and filled from one `Dashboard`.

Top, full width: incidents over time by category (the question asked most). Then severity
over time beside the weekday × hour map; categories beside year groups; the top phrases and
review times beside false positives. Cards keep their height whatever the window's: a taller
window shows more cards, not stretched charts.

Threading: GUI thread only.
"""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QScrollArea, QWidget

from app.domain.trends import Dashboard
from app.ui.trend_bars import HorizontalBarChart
from app.ui.trend_cards import CARD_STYLE, ChartCard
from app.ui.trend_charts import StackedBarChart
from app.ui.trend_heat import HeatMapChart, heat_caption
from app.ui.trend_legend import SeriesLegend
from app.ui.trend_links import range_label
from app.ui.trend_tables import FalsePositiveTable, PhraseTable, ReviewPanel

POINT = "Point at a bar for the exact numbers"
CLICK = "Point at a bar for the exact numbers · click one to list its incidents"
KEY = " · grey “<5”: fewer than 5"
KEY_TIMES = " (“<5 ×3”: three such counts)"  # where a bar can carry several


class TrendBoard(QScrollArea):
    """Every chart and table of the dashboard; `show_dashboard(board)` fills them all."""

    def __init__(self, clickable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.hint = hint = CLICK if clickable else POINT
        self.over_time = StackedBarChart(clickable)
        self.severity = StackedBarChart(clickable)
        self.heat = HeatMapChart()
        self.by_category = HorizontalBarChart(clickable)
        self.by_year = HorizontalBarChart(clickable, pickable=lambda bar: bar.key != "0")
        self.phrases = PhraseTable()
        self.false_positives = FalsePositiveTable()
        self.review = ReviewPanel()
        self.over_time_legend = SeriesLegend(self.over_time)
        self.severity_legend = SeriesLegend(self.severity)
        self.cards = {
            "over_time": ChartCard("Incidents over time, by category", self.over_time,
                                   self.over_time_legend, hint),
            "severity": ChartCard("Incidents over time, by severity", self.severity,
                                  self.severity_legend, hint),
            "heat": ChartCard("When they happen: weekday and hour", self.heat),
            "category": ChartCard("By category", self.by_category, hint=hint),
            "year": ChartCard("By year group", self.by_year, hint=hint),
            "phrases": ChartCard("Top phrases", self.phrases,
                                 hint="The library phrases behind most incidents"),
            "review": ChartCard("How soon incidents were first reviewed", self.review),
            "false_positives": ChartCard("False positives by category", self.false_positives,
                                         hint="Captures marked “false positive”, of all "
                                              "captured in the range"),
        }
        self._lay_out()

    def _lay_out(self) -> None:
        page = QWidget()
        page.setObjectName("ScreenPage")
        page.setStyleSheet(CARD_STYLE)
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 0, 6, 0)
        grid.setSpacing(10)
        cards = self.cards
        grid.addWidget(cards["over_time"], 0, 0, 1, 2)
        for row, (left, right) in enumerate((("severity", "heat"), ("category", "year")),
                                            start=1):
            grid.addWidget(cards[left], row, 0)
            grid.addWidget(cards[right], row, 1)
        grid.addWidget(cards["phrases"], 3, 0)
        grid.addWidget(cards["review"], 4, 0)
        grid.addWidget(cards["false_positives"], 3, 1, 2, 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(5, 1)  # spare height goes below the cards, not into them
        for key, height in (("over_time", 340), ("severity", 290), ("heat", 290),
                            ("category", 390), ("year", 390)):
            cards[key].setFixedHeight(height)
        self.setWidget(page)

    def show_dashboard(self, board: Dashboard) -> None:
        self.over_time.show_series(board.over_time, board.comparison)
        self.over_time_legend.set_series(board.over_time.series, board.comparison)
        self.severity.show_series(board.by_severity, board.comparison)
        self.severity_legend.set_series(board.by_severity.series, board.comparison)
        dates = range_label(board.query.start, board.query.end)
        for key, card in self.cards.items():
            suppressed = board.suppressed and key != "heat"  # the map's caption keys its own
            key_text = (KEY + (KEY_TIMES if key == "over_time" else "")) if suppressed else ""
            card.caption = f"Kestrel · {dates}{key_text}"
            if key in ("over_time", "severity", "category", "year"):
                card.set_hint(self.hint + key_text)
        self.heat.show_heat_map(board.heat_map)
        self.cards["heat"].set_hint(heat_caption(self.heat))
        self.cards["heat"].caption = f"Kestrel · {dates} · {heat_caption(self.heat)}"
        self.by_category.show_bars(board.by_category)
        self.by_year.show_bars(board.by_year_group)
        self.phrases.show_phrases(board.top_phrases)
        self.false_positives.show_rates(board.false_positives)
        self.review.show_review(board.review_times, board.by_source)
        self.cards["false_positives"].setVisible(bool(board.false_positives))
        self.cards["phrases"].setVisible(bool(board.top_phrases))
        self._tab_order()

    def _tab_order(self) -> None:
        """Tab walks the cards as they are read: each card's "Export PNG…", then its legend
        (legend boxes are made when the series arrive, after everything else)."""
        legends = {"over_time": self.over_time_legend, "severity": self.severity_legend}
        chain = []
        for key in ("over_time", "severity", "heat", "category", "year", "phrases", "review",
                    "false_positives"):
            chain.append(self.cards[key].export_button)
            legend = legends.get(key)
            if legend is not None:
                chain.extend(legend.boxes.values())
        for before, after in pairwise(chain):
            QWidget.setTabOrder(before, after)

