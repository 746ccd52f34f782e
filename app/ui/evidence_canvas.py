"""The screenshot with its matched words boxed: zoom (fit, 100 %, wheel, keys) and pan.

Boxes are scene items over the image, outlined in their category's colour, so they stay on the
words at every zoom. Stepping to a match centres its box and flashes it. There is no context
menu, no drag-out and no copy: evidence leaves Kestrel only through an audited export
(DESIGN §11).

Threading: GUI thread only. The image arrives already decoded (`QImage`, made off the GUI
thread by the viewer).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QImage, QKeyEvent, QPainter, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

ZOOM_STEP = 1.25
BOX_MARGIN_PX = 3  # the outline sits this far outside the word on screen, so it never hides it
FILL_ALPHA = 45
ZOOM_MIN, ZOOM_MAX = 0.05, 8.0
BOX_PEN_PX = 3  # on screen, whatever the zoom (cosmetic pen)
FLASH_MS, FLASHES = 140, 6


class MatchBoxItem(QGraphicsRectItem):
    """A word's box: a light tint over the word and an outline drawn a few screen pixels
    outside it, whatever the zoom (at "fit" a word may be only 5 pixels high)."""

    def boundingRect(self) -> QRectF:
        return self.rect().adjusted(-40, -40, 40, 40)  # room for the margin at low zoom

    def paint(self, painter: QPainter, option: object, widget: object = None) -> None:
        on_screen = painter.transform().mapRect(self.rect())
        margin = BOX_MARGIN_PX
        painter.save()
        painter.resetTransform()
        tint = QColor(self.pen().color())
        tint.setAlpha(FILL_ALPHA)
        painter.fillRect(on_screen, tint)
        painter.setPen(self.pen())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(on_screen.adjusted(-margin, -margin, margin, margin))
        painter.restore()


@dataclass(frozen=True)
class BoxMark:
    """One matched word's box on the screenshot, in image pixels, and its category colour."""

    x: int
    y: int
    width: int
    height: int
    colour: str
    match_index: int


class EvidenceCanvas(QGraphicsView):
    """A zoomable, pannable screenshot with boxes. Keys: + / - zoom, 0 fit, 1 actual size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EvidenceCanvas")
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QBrush(QColor("#2b3138")))
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setAcceptDrops(False)
        self._pixmap: QGraphicsPixmapItem | None = None
        self._boxes: list[tuple[BoxMark, QGraphicsRectItem]] = []
        self._fitted = True
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(FLASH_MS)
        self._flash_timer.timeout.connect(self._flash_step)
        self._flashing: QGraphicsRectItem | None = None
        self._flash_left = 0

    # --- content ----------------------------------------------------------------------------
    def show_image(self, image: QImage, marks: list[BoxMark]) -> None:
        self.clear()
        self._pixmap = self._scene.addPixmap(QPixmap.fromImage(image))
        self._pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.setSceneRect(QRectF(0, 0, image.width(), image.height()))
        for mark in marks:
            pen = QPen(QColor(mark.colour), BOX_PEN_PX)
            pen.setCosmetic(True)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            item = MatchBoxItem(QRectF(mark.x, mark.y, mark.width, mark.height))
            item.setPen(pen)
            item.setZValue(1)
            self._scene.addItem(item)
            self._boxes.append((mark, item))
        self.zoom_fit()

    def clear(self) -> None:
        self._flash_timer.stop()
        self._flashing = None
        self._scene.clear()
        self._pixmap, self._boxes = None, []
        self.resetTransform()

    @property
    def has_image(self) -> bool:
        return self._pixmap is not None

    def box_items(self) -> list[tuple[BoxMark, QGraphicsRectItem]]:
        return list(self._boxes)

    # --- zoom -------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return float(self.transform().m11())

    def zoom_fit(self) -> None:
        self._fitted = True
        if self._pixmap is not None:
            self.fitInView(self._scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def zoom_to(self, factor: float) -> None:
        self._fitted = False
        factor = min(ZOOM_MAX, max(ZOOM_MIN, factor))
        self.setTransform(self.transform().fromScale(factor, factor))

    def zoom_by(self, step: float) -> None:
        self.zoom_to(self.zoom * step)

    def resizeEvent(self, event: object) -> None:  # type: ignore[override]
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self._fitted:
            self.zoom_fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(ZOOM_STEP ** steps)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_0:
            self.zoom_fit()
        elif key == Qt.Key.Key_1:
            self.zoom_to(1.0)
        elif event.matches(event.StandardKey.Copy):
            event.accept()  # evidence is never copied out (DESIGN §11)
        else:
            super().keyPressEvent(event)

    # --- stepping through matches -----------------------------------------------------------
    def focus_match(self, match_index: int) -> None:
        """Centre the first box of a match and flash it."""
        for mark, item in self._boxes:
            if mark.match_index == match_index:
                self.centerOn(item)
                self._start_flash(item)
                return

    def _start_flash(self, item: QGraphicsRectItem) -> None:
        self._stop_flash()
        self._flashing, self._flash_left = item, FLASHES
        self._flash_timer.start()

    def _flash_step(self) -> None:
        if self._flashing is None or self._flash_left <= 0:
            self._stop_flash()
            return
        self._flash_left -= 1
        self._flashing.setVisible(self._flash_left % 2 == 0)

    def _stop_flash(self) -> None:
        self._flash_timer.stop()
        if self._flashing is not None:
            self._flashing.setVisible(True)
        self._flashing = None
