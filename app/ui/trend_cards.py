"""A card on the trends dashboard: a title, the chart (or table), an optional legend beside
it, a quiet line under it (the hover figure, or how to read the chart), and "Export PNG…",
which saves the card as the reader sees it.

Threading: GUI thread only.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

CARD_STYLE = """
#TrendCard { background: #ffffff; border: 1px solid #d9dee5; border-radius: 6px; }
#TrendCard QLabel#PanelTitle { font-size: 10.5pt; }
#TrendCard QToolButton { border: none; color: #2d5f93; padding: 2px 4px; }
#TrendCard QToolButton:hover { text-decoration: underline; }
#TrendCard QToolButton:focus { border: 1px solid #5b8bc5; border-radius: 3px; }
#TrendCard QTableWidget { border: none; }
"""


class ChartCard(QFrame):
    """`body` under `title`, with `side` (a legend) to its right when given. `hint` is what
    the line under the chart says when the pointer is not over a bar."""

    def __init__(self, title: str, body: QWidget, side: QWidget | None = None,
                 hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TrendCard")
        self.body, self.side, self.hint = body, side, hint
        self.caption = ""  # what an exported picture says under the chart (dates, key)
        self.title = QLabel(title)
        self.title.setObjectName("PanelTitle")
        self.export_button = QToolButton()
        self.export_button.setText("Export PNG…")
        self.export_button.setToolTip(f"Save “{title}” as a PNG picture")
        self.export_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.export_button.clicked.connect(self.export)
        self.status = QLabel(hint)
        self.status.setObjectName("Hint")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)  # a long key wraps; it never widens the card
        self._lay_out()
        hover = getattr(body, "sig_hover", None)
        if hover is not None:
            hover.connect(self.show_hover)

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.export_button)
        middle = QHBoxLayout()
        middle.setSpacing(8)
        middle.addWidget(self.body, 1)
        if self.side is not None:
            middle.addWidget(self.side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addWidget(self.status)

    def show_hover(self, text: str) -> None:
        self.status.setText(text or self.hint)

    def set_hint(self, hint: str) -> None:
        self.hint = hint
        self.status.setText(hint)

    def export(self) -> None:
        """Ask where, then save the card (title, chart and legend) as a PNG."""
        suggested = f"kestrel-{_slug(self.title.text())}-{date.today():%Y-%m-%d}.png"
        name, _filter = QFileDialog.getSaveFileName(
            self, "Export chart as PNG — Kestrel", str(Path.home() / suggested),
            "PNG picture (*.png)")
        if not name:
            return
        path = Path(name) if name.lower().endswith(".png") else Path(f"{name}.png")
        self.status.setText(f"Saved {path.name}" if self.save_png(path)
                            else f"Could not save {path.name}: check the folder can be written.")

    def save_png(self, path: Path) -> bool:
        """Write the card as it looks now, without its own "Export PNG…" button and with
        `caption` (the dates, the "<5" key) where the hover hint is: a picture passed to
        governors must say what it counts."""
        shown = self.status.text()
        self.export_button.hide()
        self.status.setText(self.caption or shown)
        try:
            return bool(self.grab().save(str(path), "PNG"))
        finally:
            self.export_button.show()
            self.status.setText(shown)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"
