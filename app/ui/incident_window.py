"""The evidence viewer in its own window, driven from the incident list by the keyboard.

Space (or Enter) on the list opens it on the current incident. In the window, j / k move to
the next or previous incident in the list and r / f / a / c triage the one shown (then move
on), exactly as on the list; Esc closes it and the list keeps its place. Moving on or closing
drops whatever was revealed.

Threading: GUI thread only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge
from app.ui.evidence_viewer import EvidenceViewer
from app.ui.triage_actions import KEY_ACTS

if TYPE_CHECKING:  # pyqtgraph loads only when a timeline is first opened (0.3 s, 30 MB)
    from app.ui.pupil_timeline import PupilTimelineWindow

HINT = ("j / k next / previous incident  ·  n / p next / previous match  ·  + − 0 1 zoom  ·  "
        "r f e c triage  ·  2–5 severity  ·  a assign  ·  t pupil timeline  ·  Esc back")
_STEPS = {Qt.Key.Key_J: 1, Qt.Key.Key_K: -1}  # arrows stay with the picture (panning)


class IncidentWindow(QDialog):
    """Holds one EvidenceViewer; asks the list to step (`sig_step`) or triage (`sig_triage`)."""

    sig_step = Signal(int)
    sig_triage = Signal(object)  # Qt.Key of a triage act

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Incident — Kestrel")
        self.resize(1280, 800)
        self._bridge, self._console, self._session = bridge, console, session
        self.viewer = EvidenceViewer(bridge, console, session, self)
        self.timeline: PupilTimelineWindow | None = None
        self.viewer.facts.timeline_button.clicked.connect(self.open_timeline)
        hint = QLabel(HINT)
        hint.setObjectName("Hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.addWidget(self.viewer, 1)
        layout.addWidget(hint)

    def show_incident(self, incident_id: int) -> None:
        self.viewer.load(incident_id)
        if not self.isVisible():
            self.show()  # a new window comes to the front by itself
        self.viewer.canvas.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        plain = not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        if plain and key in _STEPS:
            self.sig_step.emit(_STEPS[key])
        elif plain and key == Qt.Key.Key_T:
            self.open_timeline()
        elif plain and key in KEY_ACTS and key not in (Qt.Key.Key_N, Qt.Key.Key_1):
            self.sig_triage.emit(key)
        else:
            super().keyPressEvent(event)  # Esc closes

    def open_timeline(self) -> None:
        """The shown incident's pupil: everything about them on one line of time."""
        detail = self.viewer.detail
        if detail is None or detail.subject_id is None:
            return
        if self.timeline is None:
            from app.ui.pupil_timeline import PupilTimelineWindow

            self.timeline = PupilTimelineWindow(self._bridge, self._console, self._session,
                                                self)
            self.timeline.sig_open_incident.connect(self._from_timeline)
        self.timeline.load(detail.subject_id)
        self.timeline.show()

    def _from_timeline(self, incident_id: int) -> None:
        if self.timeline is not None:
            self.timeline.close()
        self.show_incident(incident_id)

    def done(self, result: int) -> None:
        self.viewer.forget()  # revealed pixels do not outlive the window
        super().done(result)
