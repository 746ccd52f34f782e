"""A pupil's timeline window: counts per category, a strip of every incident over time
(pyqtgraph, one row per category, dot size by severity), and the list of incidents, notes and
case entries, newest first. Enter on an incident opens it in the incident window.

Threading: GUI thread only; the service call goes through the bridge.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import CATEGORY_BY_KEY
from app.services import timeline
from app.services.console import Console
from app.services.timeline import PupilTimeline, TimelineEntry
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.incident_text import category_colour
from app.ui.look import format_when

KIND_MARK = {"incident": "●", "note": "✎", "case": "■"}
INCIDENT_ROLE = Qt.ItemDataRole.UserRole + 1


class TimelineStrip(pg.PlotWidget):
    """Incidents over time: x the date, y the category, colour the category, size severity."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, axisItems={"bottom": pg.DateAxisItem()})
        self.setBackground("w")
        self.setMouseEnabled(x=True, y=False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.setFixedHeight(170)
        self.showGrid(x=True, y=False, alpha=0.15)

    def show_timeline(self, data: PupilTimeline) -> None:
        self.clear()
        keys = [k for k, _ in data.counts]
        rows = {k: len(keys) - i for i, k in enumerate(keys)}
        spots = [{"pos": (e.when.timestamp(), rows[e.category_key]),
                  "size": 6 + 2 * (e.severity or 1),
                  "brush": pg.mkBrush(QColor(category_colour(e.category_key))),
                  "pen": pg.mkPen("w")}
                 for e in data.entries if e.kind == "incident" and e.category_key in rows]
        self.addItem(pg.ScatterPlotItem(spots=spots))
        axis = self.getAxis("left")
        axis.setTicks([[(rows[k], _short(k)) for k in keys]])
        self.setYRange(0.5, len(keys) + 0.5, padding=0)


class PupilTimelineWindow(QDialog):
    """`sig_open_incident(id)` when the DSL picks an incident to open."""

    sig_open_incident = Signal(int)
    sig_loaded = Signal()

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pupil timeline — Kestrel")
        self.resize(1000, 760)
        self._bridge, self._console, self._session = bridge, console, session
        self.data: PupilTimeline | None = None
        self.heading = QLabel("Loading…")
        self.heading.setObjectName("ScreenTitle")
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        self.strip = TimelineStrip()
        self.entries = QListWidget()
        self.entries.setWordWrap(True)
        self.entries.itemActivated.connect(self._activated)
        hint = QLabel("Enter opens the incident · Esc closes")
        hint.setObjectName("Hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 10)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        layout.addLayout(top)
        layout.addWidget(self.counts)
        layout.addWidget(self.strip)
        layout.addWidget(self.entries, 1)
        layout.addWidget(hint)

    def load(self, subject_id: int) -> None:
        self._bridge.call(timeline.pupil_timeline, self._console, self._session, subject_id,
                          on_result=self._shown,
                          on_error=lambda exc: self.heading.setText(user_message(exc)), owner=self)

    def _shown(self, data: PupilTimeline) -> None:
        self.data = data
        year = f" · Year {data.year_group}" if data.year_group is not None else ""
        self.heading.setText(f"{data.name}{year} — {data.total} incident"
                             f"{'s' if data.total != 1 else ''}")
        self.counts.setText(" &nbsp; ".join(
            f'<span style="color:{category_colour(k)}">●</span> {_name(k)} <b>{n}</b>'
            for k, n in data.counts))
        self.strip.show_timeline(data)
        self.entries.clear()
        for entry in data.entries:
            self.entries.addItem(_item(entry))
        if self.entries.count():
            self.entries.setCurrentRow(0)
        self.entries.setFocus()
        self.sig_loaded.emit()

    def _activated(self, item: QListWidgetItem) -> None:
        incident_id = item.data(INCIDENT_ROLE)
        if incident_id is not None:
            self.sig_open_incident.emit(int(incident_id))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.entries.currentItem():
            self._activated(self.entries.currentItem())
        else:
            super().keyPressEvent(event)


def _item(entry: TimelineEntry) -> QListWidgetItem:
    item = QListWidgetItem(f"{KIND_MARK.get(entry.kind, '·')}  {format_when(entry.when)}   "
                           f"{_name(entry.category_key) + ' · ' if entry.category_key else ''}"
                           f"{entry.title}")
    if entry.category_key:
        item.setForeground(QColor(category_colour(entry.category_key)).darker(130))
    if entry.kind == "incident":
        item.setData(INCIDENT_ROLE, entry.incident_id)
    return item


def _name(key: str | None) -> str:
    info = CATEGORY_BY_KEY.get(key or "")
    return info.name if info else (key or "")


def _short(key: str) -> str:
    name = _name(key)
    return name if len(name) <= 18 else name[:17] + "…"
