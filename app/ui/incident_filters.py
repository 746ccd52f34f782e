"""The filter bar above the incident list: status, category, minimum severity, search, sort.

It only turns the controls into an `IncidentQuery` and says when that query changed; the
model runs it. Typing in the search box waits 300 ms of quiet before asking, so each keystroke
does not start a database query.

Threading: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from app.domain.categories import CATEGORIES
from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus, Severity
from app.ui.debounce import debounce_timer

SEARCH_DEBOUNCE_MS = 300
OPEN_STATUSES = (IncidentStatus.NEW, IncidentStatus.REVIEWING)
_STATUS_CHOICES: tuple[tuple[str, tuple[IncidentStatus, ...]], ...] = (
    ("New + Reviewing", OPEN_STATUSES),
    ("All statuses", ()),
    *((s.label, (s,)) for s in IncidentStatus),
)
_SORT_CHOICES = (("Newest first", "newest"), ("Oldest first", "oldest"),
                 ("Most severe first", "severity"))


class IncidentFilterBar(QWidget):
    """Controls that describe which incidents to list; emits `sig_query_changed(query)`."""

    sig_query_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = ChoiceCombo(_STATUS_CHOICES)
        self.category = ChoiceCombo([("All categories", ()),
                                     *((c.name, (c.key,)) for c in CATEGORIES)])
        self.severity = ChoiceCombo([("Any severity", None),
                                     *((_severity_choice(s), s.value) for s in Severity if s > 1)])
        self.sort = ChoiceCombo(_SORT_CHOICES)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search words and window titles   ( / )")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self._debounce = debounce_timer(self, SEARCH_DEBOUNCE_MS, self._changed)
        self._lay_out()
        for combo in (self.status, self.category, self.severity, self.sort):
            combo.currentIndexChanged.connect(self._changed)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._search_now)

    def _lay_out(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        for caption, widget in (("Show", self.status), (None, self.category),
                                (None, self.severity)):
            if caption:
                label = QLabel(caption)
                label.setObjectName("Muted")
                layout.addWidget(label)
            layout.addWidget(widget)
        layout.addWidget(self.search, 1)
        layout.addWidget(self.sort)

    def query(self) -> IncidentQuery:
        text = self.search.text().strip()
        return IncidentQuery(
            statuses=self.status.value(),
            category_keys=self.category.value(),
            min_severity=self.severity.value(),
            text=text or None,
            sort=self.sort.value())

    def show_new_at_or_above(self, severity: int) -> None:
        """The alert's list: New incidents at or above `severity`, most severe first."""
        self.blockSignals(True)
        try:
            self.status.select_value((IncidentStatus.NEW,))
            self.category.setCurrentIndex(0)
            self.severity.select_value(severity if severity > 1 else None)
            self.search.clear()
            self.sort.select_value("severity")
        finally:
            self.blockSignals(False)
        self._debounce.stop()
        self._changed()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _search_now(self) -> None:
        if self._debounce.isActive():
            self._debounce.stop()
            self._changed()

    def _changed(self) -> None:
        self.sig_query_changed.emit(self.query())


class ChoiceCombo(QComboBox):
    """A combo box whose choices carry Python values (kept here, not converted by Qt)."""

    def __init__(self, choices: Sequence[tuple[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values = [value for _label, value in choices]
        self.addItems([label for label, _value in choices])
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def value(self) -> Any:
        return self._values[self.currentIndex()]

    def select_value(self, value: Any) -> None:
        if value in self._values:
            self.setCurrentIndex(self._values.index(value))


def _severity_choice(severity: Severity) -> str:
    suffix = "" if severity == Severity.CRITICAL else "+"
    return f"Severity {severity.value}{suffix} ({severity.label})"
