"""A case's linked incidents, each row with a small picture of its screenshot: the tile drawing
and the loader that fetches the pictures.

Restricted imagery shows as the service's blurred stand-in. The pictures load once the DSL has
stayed on a case for a moment (each is an audited open, so cases flicked past are not opened),
one incident per executor call, so the screen never waits on them and other work is never
queued behind a whole case.

Threading: GUI thread only; `case_thumbnails.thumbnail` runs on the DB executor via the bridge.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from app.domain.cases import CaseDetail
from app.domain.categories import CATEGORY_BY_KEY
from app.services import case_thumbnails
from app.services.case_thumbnails import Thumbnail
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.debounce import debounce_timer
from app.ui.look import MUTED, format_when, severity_text

TILE = QSize(120, 68)  # a 16:9 screenshot 120 px across
THUMBNAIL_DELAY_MS = 400  # settle on a case before its screenshots are opened (and audited)


def thumbnail_icon(thumb: Thumbnail | None) -> QIcon:
    """A tile for the list: the picture letterboxed, or a plain tile saying why there is none."""
    tile = QPixmap(TILE)
    tile.fill(QColor("#eef1f5"))
    painter = QPainter(tile)
    image = QImage.fromData(thumb.png) if thumb is not None and thumb.png else QImage()
    if not image.isNull():
        fitted = image.scaled(TILE, Qt.AspectRatioMode.KeepAspectRatio,
                              Qt.TransformationMode.SmoothTransformation)
        painter.drawImage((TILE.width() - fitted.width()) // 2,
                          (TILE.height() - fitted.height()) // 2, fitted)
    if thumb is not None and (image.isNull() or thumb.restricted):
        words = ("failed its check" if thumb.failed else "no screenshot") if image.isNull() \
            else "restricted · blurred"
        band = QRect(0, TILE.height() - 18, TILE.width(), 18) if thumb.restricted \
            else tile.rect()
        if thumb.restricted:
            painter.fillRect(band, QColor(30, 41, 59, 170))
        painter.setPen(QColor("#ffffff") if thumb.restricted else MUTED)
        painter.drawText(band, Qt.AlignmentFlag.AlignCenter, words)
    painter.end()
    icon = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected):  # no selection tint on a picture
        icon.addPixmap(tile, mode)
    return icon


class CaseThumbnailList(QListWidget):
    """The linked incidents of the case shown; `thumbnails` holds its pictures loaded so far."""

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge, self._console, self._session = bridge, console, session
        self.setIconSize(TILE)
        self.setSpacing(2)
        self.thumbnails: dict[int, Thumbnail] = {}  # of the case shown, by incident id
        self._thumbnails_of: int | None = None  # the case they belong to
        self._queue: list[int] = []
        self._loading = False
        self._timer = debounce_timer(self, THUMBNAIL_DELAY_MS, self._next_thumbnail)

    def show_case(self, detail: CaseDetail) -> None:
        """List the case's incidents now; their pictures follow once the DSL stays on it."""
        if detail.summary.id != self._thumbnails_of:  # another case: open its pictures anew
            self._thumbnails_of = detail.summary.id
            self.thumbnails = {}
        self.clear()
        self.setToolTip("")
        for i in detail.incidents:
            name = CATEGORY_BY_KEY[i.category_key].name if i.category_key in CATEGORY_BY_KEY \
                else i.category_key
            lock = "  · restricted imagery" if i.restricted else ""
            item = QListWidgetItem(f"#{i.id} · {format_when(i.captured_at)} · {name} · "
                                   f"{severity_text(i.severity)}\n"
                                   f"“{i.matched_text or 'content locked'}”{lock}")
            item.setData(Qt.ItemDataRole.UserRole, i.id)  # how an arriving picture finds it
            item.setIcon(thumbnail_icon(self.thumbnails.get(i.id)))
            self.addItem(item)
        self._fit_rows(len(detail.incidents))
        # Already-loaded pictures are kept: re-opening them after every chronology entry
        # would fill the audit log with opens nobody made.
        self._queue = [i.id for i in detail.incidents if i.id not in self.thumbnails]
        self._timer.start()  # restarted by each case shown: flicking past opens none

    def _fit_rows(self, count: int) -> None:
        """Exactly as tall as its rows, up to three; then it scrolls (the chronology below
        gets the rest of the height)."""
        row = max(self.sizeHintForRow(0), TILE.height()) + 2 * self.spacing() if count else \
            TILE.height()
        self.setFixedHeight(min(max(count, 1), 3) * row + 2 * self.frameWidth())

    def _next_thumbnail(self) -> None:
        """One at a time: the next call is made when the last answer is in."""
        if self._loading or not self._queue:
            return
        self._loading = True
        self._bridge.call(case_thumbnails.thumbnail, self._console, self._session,
                          self._queue.pop(0), TILE.width(), owner=self,
                          on_result=self._thumbnail_arrived, on_error=self._thumbnails_failed)

    def _thumbnail_arrived(self, thumb: Thumbnail) -> None:
        self._loading = False
        for row in range(self.count()):  # absent if another case is shown now
            item = self.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == thumb.incident_id:
                self.thumbnails[thumb.incident_id] = thumb
                item.setIcon(thumbnail_icon(thumb))
        if not self._timer.isActive():  # else a new case is settling: it resumes
            self._next_thumbnail()

    def _thumbnails_failed(self, exc: BaseException) -> None:
        self._queue, self._loading = [], False  # the rest would fail too
        self.setToolTip(f"Screenshots not shown: {user_message(exc)}")
