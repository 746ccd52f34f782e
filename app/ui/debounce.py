"""A single-shot timer for "wait until the typing stops, then ask".

Each keystroke calls `timer.start()`, which restarts the countdown; `slot` runs once the person
has paused for `interval_ms`. Enter usually calls the slot directly and stops the timer.

Threading: GUI thread only (the timer belongs to `parent`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


def debounce_timer(parent: QObject, interval_ms: int, slot: Callable[[], None]) -> QTimer:
    """A stopped single-shot timer owned by `parent` that calls `slot` when it runs out."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer
