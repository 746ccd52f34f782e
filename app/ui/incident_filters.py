"""The filter bar above the incident list: saved filters, status, category, minimum severity,
source, "mine", search, sort.

It only turns the controls into an `IncidentQuery` and says when that query changed; the
model runs it. Typing in the search box waits 300 ms of quiet before asking, so each keystroke
does not start a database query.

Threading: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import CATEGORIES
from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus, Severity
from app.domain.school_time import today
from app.ui.debounce import debounce_timer

SEARCH_DEBOUNCE_MS = 300
OPEN_STATUSES = (IncidentStatus.NEW, IncidentStatus.REVIEWING)
_STATUS_CHOICES: tuple[tuple[str, tuple[IncidentStatus, ...]], ...] = (
    ("New + Reviewing", OPEN_STATUSES),
    ("All statuses", ()),
    *((s.label, (s,)) for s in IncidentStatus),
)
_WHEN_CHOICES = (("Any time", None), ("Today", 0), ("Last 7 days", 7), ("Last 30 days", 30),
                 ("Last 90 days", 90))
_RANGE = object()  # the "When" choice of a fixed range of dates (from Trends)
_SORT_CHOICES = (("Newest first", "newest"), ("Oldest first", "oldest"),
                 ("Most severe first", "severity"))


BUILT_IN_FILTERS: tuple[tuple[str, IncidentQuery], ...] = (
    ("New, severity 4+", IncidentQuery(statuses=(IncidentStatus.NEW,), min_severity=4,
                                       sort="severity")),
    ("Open queue, most severe first", IncidentQuery(statuses=OPEN_STATUSES, sort="severity")),
    ("Typed by pupils, new", IncidentQuery(statuses=(IncidentStatus.NEW,), source="typed")),
)


class IncidentFilterBar(QWidget):
    """Controls that describe which incidents to list; emits `sig_query_changed(query)`.
    `sig_save(name)` asks to save the current filter under a name (the view saves it)."""

    sig_query_changed = Signal(object)
    sig_save = Signal(str)

    def __init__(self, user_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._user_id = user_id
        self.saved = QComboBox()
        self.saved.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.saved.setMinimumContentsLength(13)
        self.save_button = QPushButton("Save…")
        self.source = ChoiceCombo([("Typed or on screen", None), ("Typed", "typed"),
                                   ("On screen", "screen")])
        self.mine = QCheckBox("Mine")
        self.mine.setToolTip("Only incidents assigned to me")
        self.mine.setVisible(user_id is not None)
        self._saved_queries: list[IncidentQuery | None] = []
        self._range: tuple[datetime, datetime] | None = None
        self.set_saved([])
        self.status = ChoiceCombo(_STATUS_CHOICES)
        self.category = ChoiceCombo([("All categories", ()),
                                     *((c.name, (c.key,)) for c in CATEGORIES)])
        # The longest category name would widen the window past a laptop screen; the list
        # that drops down still shows it in full.
        self.category.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.category.setMinimumContentsLength(15)
        self.severity = ChoiceCombo([("Any severity", None),
                                     *((_severity_choice(s), s.value) for s in Severity if s > 1)])
        self.sort = ChoiceCombo(_SORT_CHOICES)
        self.when = ChoiceCombo(_WHEN_CHOICES)
        self.year = ChoiceCombo([("All years", None), *((f"Year {y}", y) for y in range(7, 14))])
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search words and window titles   ( / )")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(180)
        self._debounce = debounce_timer(self, SEARCH_DEBOUNCE_MS, self._changed)
        self._lay_out()
        for combo in (self.status, self.category, self.severity, self.sort, self.source,
                      self.year, self.when):
            combo.currentIndexChanged.connect(self._changed)
        self.mine.toggled.connect(self._changed)
        self.saved.activated.connect(self._saved_chosen)
        self.save_button.clicked.connect(self._ask_name)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._search_now)

    def _lay_out(self) -> None:
        """Two rows, so the window still fits a 1366-pixel laptop screen: what to show, then
        how to narrow it."""
        first, second = QHBoxLayout(), QHBoxLayout()
        for row in (first, second):
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(8)
        show = QLabel("Show")
        show.setObjectName("Muted")
        for widget in (self.saved, self.save_button, show, self.status, self.category,
                       self.severity):
            first.addWidget(widget)
        first.addWidget(self.search, 1)
        for widget in (self.year, self.when, self.source, self.mine):
            second.addWidget(widget)
        second.addStretch(1)
        second.addWidget(self.sort)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(first)
        layout.addLayout(second)

    def query(self) -> IncidentQuery:
        text = self.search.text().strip()
        return IncidentQuery(
            statuses=self.status.value(),
            category_keys=self.category.value(),
            min_severity=self.severity.value(),
            text=text or None,
            source=self.source.value(),
            year_group=self.year.value(),
            captured_from=self._range[0] if self._ranged() else _since(self.when.value()),
            captured_to=self._range[1] if self._ranged() else None,
            assignee_id=self._user_id if self.mine.isChecked() else None,
            sort=self.sort.value())

    def _ranged(self) -> bool:
        return self._range is not None and self.when.value() is _RANGE

    def _show_range(self, query: IncidentQuery) -> None:
        """A fixed range of dates (a trend bar's) becomes one more "When" choice, named by
        its dates, until another choice replaces it."""
        start, end = query.captured_from, query.captured_to
        if start is None or end is None:
            self._range = None
            self.when.set_extra(None)
            self.when.select_value(None)
            return
        self._range = (start, end)
        first, last = today(start), today(end - timedelta(seconds=1))  # school dates
        self.when.set_extra(f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}", _RANGE)
        self.when.select_value(_RANGE)

    def set_saved(self, saved: list[tuple[str, IncidentQuery]]) -> None:
        """The saved-filter menu: built-in filters, then the user's own."""
        self.saved.clear()
        self.saved.addItem("Saved filters")
        self._saved_queries = [None]
        for name, query in (*BUILT_IN_FILTERS, *saved):
            self.saved.addItem(name)
            self._saved_queries.append(query)

    def apply(self, query: IncidentQuery) -> None:
        """Show `query` in the controls (what they cannot express is left at its default)."""
        self.blockSignals(True)
        try:
            self.status.select_value(query.statuses)
            self.category.select_value(query.category_keys)
            self.severity.select_value(query.min_severity)
            self.source.select_value(query.source)
            self.year.select_value(query.year_group)
            self._show_range(query)  # a saved filter keeps no moving "last N days"
            self.mine.setChecked(query.assignee_id is not None
                                 and query.assignee_id == self._user_id)
            self.search.setText(query.text or "")
            self.sort.select_value(query.sort)
        finally:
            self.blockSignals(False)
        self._debounce.stop()
        self._changed()

    def _saved_chosen(self, index: int) -> None:
        query = self._saved_queries[index] if 0 <= index < len(self._saved_queries) else None
        if query is not None:
            self.apply(query)
        self.saved.setCurrentIndex(0)

    def _ask_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save filter — Kestrel",
                                        "Name for this filter:")
        if ok and name.strip():
            self.sig_save.emit(name.strip())

    def show_new_at_or_above(self, severity: int) -> None:
        """The alert's list: New incidents at or above `severity`, most severe first."""
        self.apply(IncidentQuery(statuses=(IncidentStatus.NEW,),
                                 min_severity=severity if severity > 1 else None,
                                 sort="severity"))

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
        self._extra = False
        self.addItems([label for label, _value in choices])
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def value(self) -> Any:
        return self._values[self.currentIndex()]

    def set_extra(self, label: str | None, value: Any = None) -> None:
        """One more choice after the fixed ones (replacing any earlier one), or none."""
        fixed = self.count() - (1 if self._extra else 0)
        if self._extra:
            self.removeItem(fixed)
            self._values.pop()
        self._extra = label is not None
        if label is not None:
            self.addItem(label)
            self._values.append(value)

    def select_value(self, value: Any) -> None:
        """Choose the choice carrying `value`; the first choice if none does."""
        self.setCurrentIndex(self._values.index(value) if value in self._values else 0)


def _since(days: int | None) -> datetime | None:
    """The start of a "last N days" choice, at local midnight (0: today)."""
    if days is None:
        return None
    today = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    return (today - timedelta(days=days)).astimezone(UTC)


def _severity_choice(severity: Severity) -> str:
    suffix = "" if severity == Severity.CRITICAL else "+"
    return f"Severity {severity.value}{suffix} ({severity.label})"
