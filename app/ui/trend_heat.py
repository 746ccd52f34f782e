"""When incidents happen: a heat map of weekday (rows, Monday at the top) by hour of the
school's clock (columns 0–23), white for none through deep blue for the busiest hour.
A suppressed cell is grey and hatched (its colour would tell its number); the tooltip and the
caption say "<5".

Threading: GUI thread only.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from app.domain.trends import HeatMap
from app.ui.trend_links import count_text
from app.ui.trend_plot import SUPPRESSED_FILL, TrendPlot, hatch_brush

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
COLOURS = pg.ColorMap([0.0, 0.15, 1.0], [(248, 250, 252), (191, 219, 254), (30, 58, 138)])


class HeatMapChart(TrendPlot):
    """`show_heat_map(heat)`; hover names the day, the hour and the count."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(False, parent=parent)
        self.heat: HeatMap | None = None
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setColorMap(COLOURS)
        self._under = pg.BarGraphItem(x0=[], y0=[], width=[], height=[],
                                      brush=SUPPRESSED_FILL, pen=None)
        self._hatch = pg.BarGraphItem(x0=[], y0=[], width=[], height=[], brush=hatch_brush(),
                                      pen=pg.mkPen("w", width=1))
        for item in (self._image, self._under, self._hatch):
            self.addItem(item)
        box = self.getViewBox()
        box.invertY(True)
        plot = self.getPlotItem()
        plot.getAxis("left").setStyle(tickLength=0)
        plot.getAxis("left").setTicks([[(d + 0.5, name[:3]) for d, name in enumerate(DAYS)]])
        plot.getAxis("bottom").setTicks([[(h, f"{h:02d}:00") for h in range(3, 24, 3)],
                                         [(h, "") for h in range(25)]])
        self.setXRange(0, 24, padding=0)
        self.setYRange(0, 7, padding=0)

    def show_heat_map(self, heat: HeatMap) -> None:
        self.heat = heat
        values = np.array([[v or 0 for v in row] for row in heat.cells], dtype=float)
        self._image.setImage(values, levels=(0, max(float(values.max()), 1.0)))
        self._image.setRect(0, 0, 24, 7)
        cells = [(h, d) for d, row in enumerate(heat.cells) for h, v in enumerate(row)
                 if v is None]
        x0 = [float(h) for h, _d in cells]
        y0 = [float(d) for _h, d in cells]
        ones = [1.0] * len(cells)
        for item in (self._under, self._hatch):
            item.setOpts(x0=x0, y0=y0, width=ones, height=ones)

    @property
    def busiest(self) -> int:
        """The largest known count in one cell (0 when nothing is known)."""
        if self.heat is None:
            return 0
        return max((v or 0 for row in self.heat.cells for v in row), default=0)

    def suppressed_cells(self) -> int:
        return len(self._hatch.opts["width"])

    def drawn(self) -> list[list[float]]:
        """The value behind each cell's colour (0 under a hatched, suppressed cell)."""
        image = self._image.image
        return [] if image is None else image.tolist()

    def describe(self, x: float, y: float) -> str | None:
        if self.heat is None or not (0 <= x < 24 and 0 <= y < 7):
            return None
        day, hour = int(y), int(x)
        value = self.heat.cells[day][hour]
        noun = "incident" if value == 1 else "incidents"
        return (f"<b>{DAYS[day]} {hour:02d}:00–{(hour + 1) % 24:02d}:00</b><br>"
                f"{count_text(value)} {noun}")


def heat_caption(chart: HeatMapChart) -> str:
    """The key under the map."""
    text = f"Paler: fewer · darker: more (the busiest hour had {count_text(chart.busiest)})"
    if chart.suppressed_cells():
        text += " · grey hatched: under 5 (“<5”)"
    return text
