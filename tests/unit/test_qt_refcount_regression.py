"""DESIGN §16: PySide6 6.12.0 on Python 3.11 decrements None's refcount on void calls and kills
pyqtgraph with `none_dealloc`. The pins in pyproject.toml avoid it; this test keeps them honest
by making 100,000 such calls and checking None's reference count does not fall."""

from __future__ import annotations

import sys

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPolygonF


def test_void_calls_do_not_leak_references_to_none() -> None:
    rect = QRectF(0, 0, 10, 10)
    polygon = QPolygonF()
    before = sys.getrefcount(None)
    for i in range(100_000):
        rect.setWidth(float(i % 50))
        polygon.resize(i % 4)
    after = sys.getrefcount(None)
    assert after >= before, f"None lost {before - after} references"
