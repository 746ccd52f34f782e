"""The base of every trend chart: a calm white pyqtgraph plot that does not pan or zoom, says
the exact number under the pointer (tooltip and `sig_hover`), and turns a click into data
coordinates for the chart to interpret. Also the "suppressed" look shared by all charts: a
light grey, hatched mark labelled "<5", never a bar of made-up height.

Threading: GUI thread only.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainterPath
from PySide6.QtWidgets import QToolTip, QWidget

from app.ui.trend_links import SUPPRESSED_TEXT

INK = "#3e4c59"
AXIS = "#9aa5b1"
GRID_ALPHA = 0.12
SUPPRESSED_FILL = "#eef0f3"
SUPPRESSED_EDGE = "#7b8794"


def hatch_brush() -> QBrush:
    """Diagonal grey hatching: the one mark of a number too small to show."""
    return QBrush(QColor(SUPPRESSED_EDGE), Qt.BrushStyle.BDiagPattern)


def suppressed_pen() -> object:
    return pg.mkPen(SUPPRESSED_EDGE, width=1, style=Qt.PenStyle.DashLine)


def suppressed_label(text: str = SUPPRESSED_TEXT, anchor: tuple[float, float] = (0.5, 1.0),
                     ) -> pg.TextItem:
    """A small "<5" tag with a grey fill and a dashed edge (anchored at its bottom centre by
    default, so it sits on top of a stack)."""
    label = pg.TextItem(text, color=INK, anchor=anchor, fill=pg.mkBrush(SUPPRESSED_FILL),
                        border=suppressed_pen())
    label.setFont(small_font())
    return label


def value_label(text: str, anchor: tuple[float, float]) -> pg.TextItem:
    label = pg.TextItem(text, color=INK, anchor=anchor)
    label.setFont(small_font())
    return label


def small_font() -> QFont:
    font = QFont()
    font.setPointSizeF(8.5)
    return font


def above_symbol() -> QPainterPath:
    """A square symbol drawn just above its point (scatter symbols are centred otherwise):
    a hatched mark that sits on top of a stack instead of covering it."""
    path = QPainterPath()
    path.addRect(-0.5, -1.15, 1.0, 1.0)
    return path


class TrendPlot(pg.PlotWidget):
    """A fixed-view plot. Subclasses answer `describe(x, y)` (the hover text, or None) and
    `pick(x, y)` (a click, only when `clickable`), both in data coordinates; `target(x, y)`
    says whether a click there would do something (the pointer becomes a hand)."""

    sig_hover = Signal(str)

    def __init__(self, clickable: bool, axis_items: dict[str, object] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background="w", axisItems=axis_items or {})
        self.clickable = clickable
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the controls, not the canvas
        self.setMinimumHeight(160)
        plot = self.getPlotItem()
        plot.setContentsMargins(4, 6, 10, 4)
        font = small_font()
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(AXIS))
            axis.setTextPen(pg.mkPen(INK))
            axis.setTickFont(font)
        scene = self.scene()
        scene.sigMouseMoved.connect(self._moved)
        scene.sigMouseClicked.connect(self._clicked)

    # -- for subclasses ------------------------------------------------------------------
    def describe(self, x: float, y: float) -> str | None:
        return None

    def target(self, x: float, y: float) -> bool:
        return False

    def pick(self, x: float, y: float) -> None:
        """A click at data (x, y) on a chart the reader may click through."""

    # -- mapping -------------------------------------------------------------------------
    def view_point(self, scene_pos: QPointF) -> QPointF | None:
        box = self.getViewBox()
        if not box.sceneBoundingRect().contains(scene_pos):
            return None
        return box.mapSceneToView(scene_pos)

    def widget_point(self, x: float, y: float) -> QPoint:
        """Where data (x, y) is on screen, in the plot's viewport coordinates (where a person
        would point or click)."""
        scene = self.getViewBox().mapViewToScene(QPointF(x, y))
        return self.mapFromScene(scene)

    def _moved(self, scene_pos: QPointF) -> None:
        point = self.view_point(scene_pos)
        text = self.describe(point.x(), point.y()) if point is not None else None
        hand = self.clickable and point is not None and self.target(point.x(), point.y())
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if hand
                                  else Qt.CursorShape.ArrowCursor)
        if text:
            where = self.mapToGlobal(self.mapFromScene(scene_pos))
            QToolTip.showText(where + QPoint(12, 12), text, self)
        else:
            QToolTip.hideText()
        self.sig_hover.emit(_plain(text or ""))

    def _clicked(self, event: object) -> None:
        if not self.clickable or event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        point = self.view_point(event.scenePos())  # type: ignore[attr-defined]
        if point is not None:
            self.pick(point.x(), point.y())


def _plain(html: str) -> str:
    """The tooltip's text on one line for the card's hint line."""
    for tag in ("<b>", "</b>"):
        html = html.replace(tag, "")
    return html.replace("<br>", " · ")
