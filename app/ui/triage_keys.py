"""The triage keys, shared by the incident list and the incident window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.domain.enums import IncidentStatus

TRIAGE_KEYS = {
    Qt.Key.Key_R: IncidentStatus.REVIEWING,
    Qt.Key.Key_F: IncidentStatus.FALSE_POSITIVE,
    Qt.Key.Key_A: IncidentStatus.ACTIONED,
    Qt.Key.Key_C: IncidentStatus.CLOSED,
}
