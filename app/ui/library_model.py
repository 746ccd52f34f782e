"""The Library screen's data: one browse request, and the table model of phrase entries.

`browse` runs on the DB executor and returns a `LibraryPage`; `PhraseTableModel` shows its rows
in the order the service chose (filtering and searching happen in `app.services.library`), and
decides how each cell reads: text, tooltip, severity dot, fixed-width font for a regex.

Threading: `browse` on the DB executor (through `ServiceBridge`); the model, GUI thread only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase

from app.detection.school_layer import Origin
from app.services import library
from app.services.console import Console
from app.services.library import PhraseView
from app.services.users import UserSession
from app.ui.look import MUTED, severity_dot, severity_text
from app.ui.row_table_model import RowTableModel

PHRASE_COLUMNS = ("Pattern", "Category", "Severity", "Kind", "Match", "Exceptions", "On",
                  "Source", "Why it matters")
(COL_PATTERN, COL_CATEGORY, COL_SEVERITY, COL_KIND, COL_MATCH, COL_EXCEPTIONS, COL_ON, COL_SOURCE,
 COL_NOTE) = range(9)
PHRASE_WIDTHS = (190, 140, 96, 58, 96, 130, 40, 110, 0)  # 0: the last column stretches
SOURCE_TEXT = {Origin.SHIPPED: "Kestrel", Origin.CHANGED: "Kestrel, changed",
               Origin.SCHOOL: "This school"}
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class LibraryPage:
    """What one browse request found: the entries, and per-category counts for the search."""

    rows: list[PhraseView]
    counts: Counter[str]
    version: str


def browse(console: Console, session: UserSession, category: str | None,
           search: str) -> LibraryPage:
    """Runs on the DB executor: the entries to list and how many match in each category."""
    rows = library.list_phrases(console, session, category, search)
    everywhere = (rows if category is None
                  else library.list_phrases(console, session, None, search))
    return LibraryPage(rows, Counter(view.category for view in everywhere),
                       library.library_version(console, session))


class PhraseTableModel(RowTableModel[PhraseView]):
    """A fixed list of library entries, in the order the service returned them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(PHRASE_COLUMNS, parent)
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._struck = QFont()
        self._struck.setStrikeOut(True)

    def cell(self, view: PhraseView, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell(view, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(view, column)
        if role == Qt.ItemDataRole.DecorationRole and column == COL_SEVERITY:
            return severity_dot(view.severity)
        if role == Qt.ItemDataRole.FontRole and column == COL_PATTERN:
            if not view.enabled:
                return self._struck  # an entry that is off reads as crossed out
            return self._mono if view.kind == "regex" else None  # regexes read better fixed
        if role == Qt.ItemDataRole.ForegroundRole:
            if not view.enabled:
                return MUTED  # the whole row of an entry that is off reads as out of play
            return MUTED if column == COL_EXCEPTIONS and not view.exceptions else None
        if role == ENTRY_ROLE:
            return view
        return None


def _cell(view: PhraseView, column: int) -> str:
    values = (view.pattern, view.category_name, severity_text(view.severity), view.kind,
              "whole word" if view.whole_word else "inside words",
              ", ".join(view.exceptions) or "—", "On" if view.enabled else "Off",
              SOURCE_TEXT[Origin(view.origin)], view.note)
    return values[column]


def _tooltip(view: PhraseView, column: int) -> str:
    if column == COL_PATTERN:
        return f"{view.pattern}\n{view.id} · {view.kind}"
    if column == COL_MATCH:
        return ("Fires only on the whole word or phrase." if view.whole_word
                else "Fires even inside longer words.")
    return _cell(view, column)
