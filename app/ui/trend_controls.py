"""The controls above the trends dashboard: which dates (This week, This term, This school
year, or Custom with two dates), which incidents (category, year group, false positives too),
how long a period each bar counts, and whether to lay last year over the bars. It only turns
the controls into a `TrendQuery` and says when it changed; the view asks the service.

Keys: Alt+W, Alt+T, Alt+Y, Alt+U pick a range; Alt+F and Alt+O the two dates (both
inclusive); Alt+A category; Alt+G year group; Alt+B bars by day, week or month; Alt+L compare;
Alt+P false positives. Editing a date picks Custom and waits for the typing to stop (400 ms)
before asking.

Threading: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from itertools import pairwise

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import CATEGORIES
from app.domain.school_time import school_year_of, term_of
from app.domain.trends import Granularity, TrendQuery
from app.ui.debounce import debounce_timer
from app.ui.incident_filters import ChoiceCombo

DATE_DEBOUNCE_MS = 400
PRESETS = (("week", "This &week"), ("term", "This &term"), ("year", "This school &year"),
           ("custom", "C&ustom"))
BARS_BY = (("Best fit", None), ("Day", Granularity.DAY), ("Week", Granularity.WEEK),
           ("Month", Granularity.MONTH))
YEAR_CHOICES = (("All year groups", None), *((f"Year {y}", y) for y in range(7, 14)),
                ("Year not known", 0))


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The dates a preset stands for: Monday to Sunday, the term holding today, or
    1 September to 31 August."""
    if preset == "week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=6)
    if preset == "term":
        _name, first, last = term_of(today)
        return first, last
    return school_year_of(today)


class TrendControls(QWidget):
    """`sig_changed` whenever the query or the comparison choice changes."""

    sig_changed = Signal()

    def __init__(self, today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._today = today
        self.presets = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for index, (key, label) in enumerate(PRESETS):
            button = QRadioButton(label)
            self.presets.addButton(button, index)
            self.buttons[key] = button
        self.start, self.end = _date_edit(), _date_edit()
        self.compare = QCheckBox("Compare with &last year")
        self.compare.setToolTip("Draw the same dates a year earlier as a line over the bars")
        self.false_positives = QCheckBox("Include false &positives")
        self.category = ChoiceCombo([("All categories", None),
                                     *((c.name, c.key) for c in CATEGORIES)])
        self.year = ChoiceCombo(YEAR_CHOICES)
        self.bars_by = ChoiceCombo(BARS_BY)
        self.bars_by.setToolTip("How long a period each bar counts; “Best fit” chooses from "
                                "the length of the range")
        # The longest category name would widen the screen past a laptop's; the list that
        # drops down still shows it in full.
        self.category.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.category.setMinimumContentsLength(18)
        self._debounce = debounce_timer(self, DATE_DEBOUNCE_MS, self.sig_changed.emit)
        self._lay_out()
        self.select_preset("year")
        self.presets.idClicked.connect(lambda i: self.select_preset(PRESETS[i][0]))
        for edit in (self.start, self.end):
            edit.dateChanged.connect(self._date_edited)
        for box in (self.compare, self.false_positives):
            box.toggled.connect(lambda _on: self.sig_changed.emit())
        for combo in (self.category, self.year, self.bars_by):
            combo.currentIndexChanged.connect(lambda _index: self.sig_changed.emit())

    def _lay_out(self) -> None:
        first, second = QHBoxLayout(), QHBoxLayout()
        for row in (first, second):
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(10)
        for button in self.buttons.values():
            first.addWidget(button)
        first.addSpacing(12)
        first.addWidget(_buddy("&From", self.start))
        first.addWidget(self.start)
        first.addWidget(_buddy("t&o", self.end))
        first.addWidget(self.end)
        first.addStretch(1)
        second.addWidget(_buddy("C&ategory", self.category))
        second.addWidget(self.category)
        second.addWidget(_buddy("Year &group", self.year))
        second.addWidget(self.year)
        second.addWidget(_buddy("&Bars by", self.bars_by))
        second.addWidget(self.bars_by)
        second.addSpacing(12)
        second.addWidget(self.compare)
        second.addWidget(self.false_positives)
        second.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(first)
        layout.addLayout(second)
        order = [*self.buttons.values(), self.start, self.end, self.category, self.year,
                 self.bars_by, self.compare, self.false_positives]
        for before, after in pairwise(order):
            QWidget.setTabOrder(before, after)

    @property
    def preset(self) -> str:
        return PRESETS[max(self.presets.checkedId(), 0)][0]

    def select_preset(self, preset: str) -> None:
        """Pick a preset (the dates follow it) and say so."""
        self.buttons[preset].setChecked(True)
        if preset != "custom":
            self._set_dates(*preset_range(preset, self._today()))
        self._debounce.stop()
        self.sig_changed.emit()

    def set_custom(self, start: date, end: date) -> None:
        """Choose Custom with these dates, at once (no typing pause)."""
        self.buttons["custom"].setChecked(True)
        self._set_dates(start, end)
        self._debounce.stop()
        self.sig_changed.emit()

    def query(self) -> TrendQuery:
        category, year = self.category.value(), self.year.value()
        return TrendQuery(
            self.start.date().toPython(), self.end.date().toPython(),
            categories=frozenset({category}) if category else frozenset(),
            year_groups=frozenset() if year is None else frozenset({year}),
            include_false_positives=self.false_positives.isChecked())

    @property
    def granularity(self) -> Granularity | None:
        """The period each bar counts, or None for the best fit to the range."""
        value: Granularity | None = self.bars_by.value()
        return value

    def _set_dates(self, start: date, end: date) -> None:
        for edit, day in ((self.start, start), (self.end, end)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _date_edited(self) -> None:
        self.buttons["custom"].setChecked(True)
        self._debounce.start()


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("d MMM yyyy")
    edit.setMinimumDate(QDate(2000, 1, 1))
    return edit


def _buddy(text: str, widget: QWidget) -> QLabel:
    label = QLabel(text)
    label.setObjectName("Muted")
    label.setBuddy(widget)
    return label
