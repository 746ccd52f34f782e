"""dashboard: the Trends screen drawing, offscreen, on the trends benchmark's seeded school year
(50,000 incidents at small scale, 1,000,000 at full; DESIGN §13).

(a) A chart redraw: the same Dashboard set again on the stacked-bars widget, events processed
and the viewport repainted (median). Measured at the day granularity over the whole year
(365 periods × every category seen), against bare pyqtgraph drawing 365×12 stacked bars the
same way in the same run (target ≤ 50 ms); and, for scale, the chart as the screen first shows
the year (by month).
(b) A full refresh: from a range preset clicked to every chart painted (the answer back
through the real bridge and DB executor, then the whole screen repainted, sized so that every
card is on screen), alternating "This term" and "This school year" (target ≤ 1 s). Baseline:
`trends.dashboard` called alone for the same ranges.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

import numpy as np

from app.domain.school_time import today
from app.domain.trends import Granularity, TrendQuery
from app.services import trends, users
from tests.perf.bench_trends import SIZES, _database
from tests.perf.common import Figure, median_ms

CHART_SIZE = (1100, 300)
SCREEN_SIZE = (1900, 2300)  # tall enough for every card of the dashboard to be painted


def run(scale: str) -> list[Figure]:
    """chart redraw vs bare pyqtgraph bars 365×12; range change to every chart painted"""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    count = SIZES[scale]
    console = _database(count)
    try:
        dsl = users.login(console, "dsl", "benchmark password")
        end = today(console.clock())
        year = TrendQuery(end - timedelta(days=364), end)
        figures = _redraw(app, console, dsl, year, count)
        figures.append(_refresh(app, console, dsl, count))
        return figures
    finally:
        console.close()


def _redraw(app: Any, console: Any, dsl: Any, year: TrendQuery, count: int) -> list[Figure]:
    from app.ui.trend_charts import StackedBarChart

    bare = _bare_bars(app)
    figures = []
    for granularity in (Granularity.DAY, Granularity.MONTH):
        board = trends.dashboard(console, dsl, year, granularity, compare=True)
        chart = StackedBarChart(clickable=True)
        chart.resize(*CHART_SIZE)
        chart.show()

        def redraw(c: Any = chart, b: Any = board) -> None:
            c.show_series(b.over_time, b.comparison)
            app.processEvents()
            c.viewport().repaint()

        ms = median_ms(redraw, repeats=15, warmup=3)
        shape = f"{len(board.over_time.periods)}x{len(board.over_time.series)}"
        figures.append(Figure(f"dashboard_chart_redraw_{shape}@{count}", ms, "ms", "≤ 50 ms",
                              "bare pyqtgraph stacked bars 365×12", bare))
        chart.close()
    return figures


def _bare_bars(app: Any) -> float:
    """pyqtgraph alone: twelve BarGraphItems of 365 bars, stacked, set again and repainted."""
    import pyqtgraph as pg

    rng = np.random.default_rng(7)
    heights = rng.integers(0, 40, size=(12, 365)).astype(float)
    bottoms = np.vstack([np.zeros(365), np.cumsum(heights, axis=0)[:-1]])
    x0 = np.arange(365, dtype=float) * 86400 + 0.12 * 86400
    widget = pg.PlotWidget(background="w", axisItems={"bottom": pg.DateAxisItem()})
    widget.resize(*CHART_SIZE)
    items = [pg.BarGraphItem(x0=x0, width=0.76 * 86400, y0=bottoms[i], height=heights[i],
                             brush=pg.intColor(i), pen=pg.mkPen("w", width=1))
             for i in range(12)]
    for item in items:
        widget.addItem(item)
    widget.show()

    def redraw() -> None:
        for i, item in enumerate(items):
            item.setOpts(x0=x0, width=0.76 * 86400, y0=bottoms[i], height=heights[i])
        app.processEvents()
        widget.viewport().repaint()

    ms = median_ms(redraw, repeats=15, warmup=3)
    widget.close()
    return ms


def _refresh(app: Any, console: Any, dsl: Any, count: int) -> Figure:
    from app.services.executor import DbExecutor
    from app.ui.bridge import ServiceBridge
    from app.ui.trends_view import TrendsView

    executor = DbExecutor()
    bridge = ServiceBridge(executor)
    view = TrendsView(bridge, console, dsl)
    try:
        view.resize(*SCREEN_SIZE)
        view.show()
        _wait_loaded(app, view, lambda: None)  # the first answer, on opening
        samples = []
        for preset in ("term", "year") * 4:
            button = view.controls.buttons[preset]
            start = time.perf_counter()
            _wait_loaded(app, view, button.click)
            view.repaint()  # every card is inside the screen: all charts paint now
            samples.append((time.perf_counter() - start) * 1000)
        queries = []
        for preset in ("term", "year"):
            view.controls.buttons[preset].click()
            queries.append(view.controls.query())
        alone = median_ms(lambda: [trends.dashboard(console, dsl, q) for q in queries],
                          repeats=5) / len(queries)
    finally:
        view.close()
        bridge.close()
        executor.shutdown(wait=True)
    samples.sort()
    return Figure(f"dashboard_refresh_range_change@{count}", samples[len(samples) // 2], "ms",
                  "≤ 1000 ms", "trends.dashboard alone", alone)


def _wait_loaded(app: Any, view: Any, act: Any, seconds: float = 60) -> None:
    """Do `act`, then run the event loop until the view has shown a new answer."""
    seen: list[object] = []
    view.sig_loaded.connect(seen.append)
    try:
        act()
        deadline = time.monotonic() + seconds
        while not seen:
            if time.monotonic() > deadline:
                raise TimeoutError("the dashboard did not answer")
            app.processEvents()
            time.sleep(0.0005)
    finally:
        view.sig_loaded.disconnect(seen.append)
