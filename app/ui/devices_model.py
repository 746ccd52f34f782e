"""The Devices screen's two tables: enrolled devices, and devices waiting for approval.

Threading: GUI thread only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.services.devices import DeviceView
from app.services.enrolment import PendingDevice
from app.ui.look import MUTED, format_when
from app.ui.row_table_model import RowTableModel

DEVICE_COLUMNS = ("Device", "State", "Last seen", "Agent", "Outbox", "Clock", "Enrolled")
DEVICE_WIDTHS = (220, 90, 140, 90, 80, 80, 0)
PENDING_COLUMNS = ("Short id", "Device", "Asked", "Via", "Note")
PENDING_WIDTHS = (110, 200, 140, 170, 0)
STATE_COLOURS = {"online": QColor("#2f855a"), "stale": QColor("#b7791f"),
                 "offline": QColor("#c53030"), "revoked": MUTED, "retired": MUTED}
SKEW_WORTH_SAYING_S = 120  # a clock this far off makes incident times misleading


class DeviceTableModel(RowTableModel[DeviceView]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(DEVICE_COLUMNS, parent)

    def cell(self, view: DeviceView, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return _device_cells(view)[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return STATE_COLOURS.get(view.state)
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return view.uuid
        return None


class PendingTableModel(RowTableModel[PendingDevice]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(PENDING_COLUMNS, parent)

    def cell(self, pending: PendingDevice, column: int, role: int) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        note = ("This host name is already enrolled: check it is the same machine."
                if pending.known_hostname else "")
        return (pending.short_id, pending.hostname, format_when(pending.requested_at),
                pending.via, note)[column]


def _device_cells(v: DeviceView) -> tuple[str, ...]:
    skew = v.clock_skew_s
    clock = ("—" if skew is None else
             "ok" if abs(skew) < SKEW_WORTH_SAYING_S else f"{skew:+d} s")
    return (v.hostname, v.state, format_when(v.last_seen_at) if v.last_seen_at else "never",
            v.agent_version or "—", "—" if v.outbox_depth is None else f"{v.outbox_depth:,}",
            clock, format_when(v.enrolled_at))
