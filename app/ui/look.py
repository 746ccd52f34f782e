"""The console's look: the stylesheet, icons, severity colours and how times are written.

Kept in one place so every screen writes a time or colours a severity the same way.
Threading: GUI thread only (QPixmap/QIcon).
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication

from app.domain.enums import Severity
from app.paths import RESOURCES

log = logging.getLogger(__name__)

STYLESHEET = RESOURCES / "styles" / "kestrel.qss"
ICONS = RESOURCES / "icons"

# Muted, colour-blind-friendly steps from calm grey-blue to deep red; the label always says it too.
SEVERITY_COLOURS = {
    1: "#8a9bb0",
    2: "#4f8fbf",
    3: "#d9a21b",
    4: "#dd6b20",
    5: "#b42318",
}
MUTED = QColor("#7b8794")  # secondary text: placeholders, counts, rows outside a filter


def apply_look(app: QApplication) -> None:
    """Fusion style plus the calm light stylesheet (missing file: Fusion alone, logged)."""
    app.setStyle("Fusion")
    try:
        sheet = STYLESHEET.read_text(encoding="utf-8")
        app.setStyleSheet(sheet.replace("@ICONS@", ICONS.as_posix()))
    except OSError:
        log.warning("stylesheet %s not found; using plain Fusion", STYLESHEET)
    icon = ICONS / "kestrel.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))


def format_when(moment: datetime | None) -> str:
    """A moment in local time the way people say it: 'Mon 12 Nov 09:41'."""
    if moment is None:
        return "—"
    local = moment.astimezone()
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def severity_text(severity: int) -> str:
    try:
        return f"{severity} {Severity(severity).label}"
    except ValueError:
        return str(severity)


@cache
def severity_dot(severity: int) -> QIcon:
    """A small filled circle in the severity's colour."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(SEVERITY_COLOURS.get(severity, "#8a9bb0")))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return _untinted(pixmap)


@cache
def lock_icon() -> QIcon:
    return _untinted(QIcon(str(ICONS / "lock.svg")).pixmap(14, 14))


def _untinted(pixmap: QPixmap) -> QIcon:
    """An icon that keeps its colour on a selected row (styles tint the Selected mode)."""
    icon = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
        icon.addPixmap(pixmap, mode)
    return icon
