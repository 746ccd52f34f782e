"""The Trends screen on a real demo school, through the real main window: every chart shows the
service's numbers and follows a change of range; a DSL's click on a bar opens the incident list
filtered to it; the headteacher sees "<5" for small counts, never a bar of made-up height, and
has no way through to incidents; a range with nothing to show says why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import QDate, QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from app.domain.categories import CATEGORY_BY_KEY
from app.domain.school_time import today, utc_bounds
from app.domain.trends import Granularity, TrendQuery, next_period
from app.services import trends
from app.ui.main_window import MainWindow
from app.ui.trend_links import count_text, incidents_for
from app.ui.trends_view import TrendsView

LOAD_MS = 15_000


def _open_trends(qtbot, bridge, demo_install, username: str) -> tuple[MainWindow, TrendsView]:
    session = demo_install.sign_in(username)
    window = MainWindow(demo_install.console, session, bridge)
    qtbot.addWidget(window)
    window.resize(1400, 850)
    window.show()
    qtbot.waitExposed(window)
    view = window.views["trends"]
    assert isinstance(view, TrendsView)
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_MS):
        window.show_screen("trends")
    return window, view


def _set_dates(qtbot, view: TrendsView, start, end) -> None:  # type: ignore[no-untyped-def]
    """Type new dates the way a person does: each edit waits for the typing to stop."""
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_MS):
        view.controls.start.setDate(QDate(start.year, start.month, start.day))
        view.controls.end.setDate(QDate(end.year, end.month, end.day))
    qtbot.waitUntil(lambda: view._bridge.pending == 0)


def _point_at(widget, pos: QPoint) -> None:  # type: ignore[no-untyped-def]
    """The pointer moving onto `pos`, no button held (QTest.mouseMove moves the cursor, which
    the offscreen platform does not turn into an event)."""
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(pos),
                        QPointF(widget.mapToGlobal(pos)), Qt.MouseButton.NoButton,
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def _on_screen(view: TrendsView) -> dict[str, object]:
    """What each chart and table draws or writes."""
    board = view.board
    assert board is not None
    return {"over_time": board.over_time.drawn(), "severity": board.severity.drawn(),
            "heat": board.heat.drawn(), "category": board.by_category.drawn(),
            "category_text": board.by_category.texts(), "year": board.by_year.drawn(),
            "phrases": board.phrases.cell_texts(),
            "false_positives": board.false_positives.cell_texts(),
            "review": board.review.texts()}


def _expected(board) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The same, worked out from a Dashboard the test asked the service for itself."""
    def heights(series):  # type: ignore[no-untyped-def]
        return {s.key: [float(v or 0) for v in s.values] for s in series.series}
    return {"over_time": heights(board.over_time), "severity": heights(board.by_severity),
            "heat": [[float(v or 0) for v in row] for row in board.heat_map.cells],
            "category": {b.key: float(b.value or 0) for b in board.by_category},
            "category_text": [count_text(b.value) for b in board.by_category],
            "year": {b.key: float(b.value or 0) for b in board.by_year_group},
            "phrases": [[p.phrase, CATEGORY_BY_KEY[p.category_key].name,
                         count_text(p.incidents)] for p in board.top_phrases],
            "false_positives": [[r.label, count_text(r.false_positives), count_text(r.total),
                                 "—" if r.rate is None else f"{r.rate:.0%}"]
                                for r in board.false_positives]}


def test_changing_the_range_redraws_every_chart_with_the_services_numbers(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    now = today(demo_install.console.clock())
    _set_dates(qtbot, view, now - timedelta(days=150), now)
    before = _on_screen(view)
    _set_dates(qtbot, view, now - timedelta(days=40), now)
    after = _on_screen(view)
    for name in before:
        assert after[name] != before[name], f"{name} did not follow the new range"
    query = view.controls.query()
    assert (query.start, query.end) == (now - timedelta(days=40), now)
    assert view.controls.buttons["custom"].isChecked()
    board = trends.dashboard(demo_install.console, window.session, query)
    expected = _expected(board)
    assert {k: after[k] for k in expected} == expected
    assert view.summary.text().startswith(f"{board.total} incidents")
    assert view.minimumSizeHint().width() + window.nav.width() <= 1366


@pytest.mark.parametrize("username", ["dsl", "head"])
def test_the_dashboard_fits_a_laptop_screen_without_scrolling_sideways(
        qtbot, bridge, demo_install, username) -> None:  # type: ignore[no-untyped-def]
    window, view = _open_trends(qtbot, bridge, demo_install, username)
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_MS):
        view.controls.compare.setChecked(True)  # the longest legend
    window.resize(1366, 768)
    qtbot.waitUntil(lambda: view.board.width() < 1366 - window.nav.width())
    assert view.board.horizontalScrollBar().maximum() == 0
    assert all(card.export_button.isVisible() for card in view.board.cards.values()
               if card.isVisibleTo(view.board))


def test_a_dsl_clicking_a_category_bar_sees_that_categorys_incidents(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    chart = view.board.by_category
    bar = max(view.dashboard.by_category, key=lambda b: b.value or 0)
    incidents = window.incidents_view
    with qtbot.waitSignal(incidents.model.sig_page_loaded, timeout=LOAD_MS):
        qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton,
                         pos=chart.bar_point(bar.key))
    assert window.stack.currentWidget() is incidents
    assert incidents.filters.category.currentText() == bar.label
    rows = [incidents.model.row_at(r) for r in range(incidents.model.rowCount())]
    assert rows and {r.category_key for r in rows} == {bar.key}
    first, after = utc_bounds(view.dashboard.query.start, view.dashboard.query.end)
    assert all(first <= r.captured_at < after for r in rows)
    assert f"Showing {bar.label} incidents" in window.statusBar().currentMessage()
    # The filter bar says which dates it shows, and keeps them while another filter changes:
    start = view.dashboard.query.start
    assert incidents.filters.when.currentText().startswith(f"{start.day} {start:%b %Y} – ")
    with qtbot.waitSignal(incidents.model.sig_page_loaded, timeout=LOAD_MS):
        incidents.filters.year.select_value(9)
    assert incidents.filters.query().captured_to == after
    with qtbot.waitSignal(incidents.model.sig_page_loaded, timeout=LOAD_MS):
        incidents.filters.when.select_value(None)  # "Any time" lets the dates go
    assert incidents.filters.query().captured_to is None


def test_the_keyboard_reaches_a_categorys_incidents_from_the_false_positive_table(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    table = view.board.false_positives
    row = 1
    key = view.dashboard.false_positives[row].category_key
    table.setFocus()
    table.setCurrentCell(row, 0)
    incidents = window.incidents_view
    with qtbot.waitSignal(incidents.model.sig_page_loaded, timeout=LOAD_MS):
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is incidents
    rows = [incidents.model.row_at(r) for r in range(incidents.model.rowCount())]
    assert rows and {r.category_key for r in rows} == {key}


def test_a_dsl_clicking_a_time_bar_sees_that_periods_incidents_of_that_category(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    chart = view.board.over_time
    data = view.dashboard.over_time
    period, series = max(((i, s) for s in data.series for i in range(len(data.periods))),
                         key=lambda pair: pair[1].values[pair[0]] or 0)
    incidents = window.incidents_view
    with qtbot.waitSignal(incidents.model.sig_page_loaded, timeout=LOAD_MS):
        qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton,
                         pos=chart.segment_point(period, series.key))
    rows = [incidents.model.row_at(r) for r in range(incidents.model.rowCount())]
    assert {r.category_key for r in rows} == {series.key}
    assert len(rows) >= series.values[period]  # every status is listed, false positives too
    start = max(data.periods[period], view.dashboard.query.start)
    first, _after = utc_bounds(start, start)
    assert all(r.captured_at >= first for r in rows)


@pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise")  # offscreen tooltip
def test_the_headteacher_sees_only_trends_small_counts_as_under_five_and_no_way_in(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    window, view = _open_trends(qtbot, bridge, demo_install, "head")
    assert window.nav_labels() == ["Trends"] and window.incidents_view is None
    assert window.stack.currentWidget() is view
    now = today(demo_install.console.clock())
    _set_dates(qtbot, view, now - timedelta(days=120), now)  # the demo's data, any day it runs
    board = view.board
    written = [*board.over_time.tags(), *board.by_category.texts(), *board.by_year.texts(),
               *(cell for row in board.phrases.cell_texts() for cell in row)]
    assert "<5" in written or any(t.startswith("<5 ×") for t in written)
    drawn = [*(h for heights in board.over_time.drawn().values() for h in heights),
             *(h for heights in board.severity.drawn().values() for h in heights),
             *board.by_category.drawn().values(), *board.by_year.drawn().values(),
             *(v for row in board.heat.drawn() for v in row)]
    assert not [v for v in drawn if 0 < v < 5], "a small count was drawn as a number"
    assert "<5" in view.suppressed_note.text() and view.suppressed_note.isVisible()

    small = next(b for b in view.dashboard.by_category if b.value is None)
    chart = board.by_category
    _point_at(chart.viewport(), chart.bar_point(small.key))
    qtbot.waitUntil(lambda: f"{small.label}: <5" in view.board.cards["category"].status.text())
    with qtbot.assertNotEmitted(view.sig_show_incidents, wait=200):
        qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton,
                         pos=chart.bar_point(view.dashboard.by_category[-1].key))
    assert window.stack.currentWidget() is view


def test_an_inverted_custom_range_says_why_instead_of_drawing_empty_charts(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    _window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    now = today(demo_install.console.clock())
    _set_dates(qtbot, view, now, now - timedelta(days=30))
    assert view.empty.isVisible() and not view.board.isVisible()
    assert view.empty.text() == "The range ends before it starts: choose the dates again."
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_MS):
        qtbot.mouseClick(view.controls.buttons["year"], Qt.MouseButton.LeftButton)
    assert view.board.isVisible() and not view.empty.isVisible()


def test_presets_and_cards_are_reachable_from_the_keyboard(qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2_000)
    # Tab runs through the controls in reading order, then into the first card
    controls = view.controls
    controls.buttons["year"].setFocus()
    expected = [controls.start, controls.end, controls.category, controls.year,
                controls.bars_by, controls.compare, controls.false_positives,
                view.board.cards["over_time"].export_button,
                next(iter(view.board.over_time_legend.boxes.values()))]
    previous = controls.buttons["year"]
    for widget in expected:
        for _press in range(3):  # in a date, Tab first walks its day, month and year
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            if QApplication.focusWidget() is widget:
                break
            assert QApplication.focusWidget() is previous
        assert QApplication.focusWidget() is widget
        previous = widget

    now = today(demo_install.console.clock())
    monday = now - timedelta(days=now.weekday())
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_MS):
        qtbot.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    assert view.controls.buttons["week"].isChecked()
    assert view.controls.start.date().toPython() == monday
    assert view.controls.end.date().toPython() == monday + timedelta(days=6)
    assert view.dashboard.query.start == monday


def test_only_the_latest_question_is_answered(qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    _window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    shown = []
    view.sig_loaded.connect(shown.append)
    now = today(demo_install.console.clock())
    view.controls.set_custom(now - timedelta(days=90), now)
    view.controls.set_custom(now - timedelta(days=20), now)
    qtbot.waitUntil(lambda: bool(shown) and bridge.pending == 0, timeout=LOAD_MS)
    assert [board.query.start for board in shown] == [now - timedelta(days=20)]


def test_a_legend_box_hides_a_series_and_the_rest_stack_without_it(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    _window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    legend, chart = view.board.over_time_legend, view.board.over_time
    key = view.dashboard.over_time.series[0].key
    box = legend.boxes[key]
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert not box.isChecked()
    assert key not in chart.drawn() and len(chart.drawn()) == len(legend.boxes) - 1


def test_export_writes_the_chart_as_a_png(qtbot, bridge, demo_install, tmp_path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    target = tmp_path / "by-category"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(target), "PNG picture (*.png)"))
    card = view.board.cards["category"]
    qtbot.mouseClick(card.export_button, Qt.MouseButton.LeftButton)
    image = QImage(str(tmp_path / "by-category.png"))
    assert not image.isNull() and image.width() == card.width()
    assert card.status.text() == "Saved by-category.png"


def test_comparing_with_last_year_draws_last_years_totals_over_the_bars(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    assert view.board.over_time.line_values() == []
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_MS):
        qtbot.mouseClick(view.controls.compare, Qt.MouseButton.LeftButton,
                         pos=QPoint(8, view.controls.compare.height() // 2))
    board = trends.dashboard(demo_install.console, window.session, view.controls.query(),
                             compare=True)
    assert board.comparison is not None
    assert view.board.over_time.line_values() == [float(v) for v in board.comparison.values]
    assert "Same dates last year" in view.board.over_time_legend.shown_labels()


def test_a_category_filter_narrows_every_chart_to_that_category(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    _window, view = _open_trends(qtbot, bridge, demo_install, "dsl")
    now = today(demo_install.console.clock())
    _set_dates(qtbot, view, now - timedelta(days=150), now)
    key = max(view.dashboard.by_category, key=lambda b: b.value or 0).key
    combo = view.controls.category
    with qtbot.waitSignal(view.sig_loaded, timeout=LOAD_MS):
        combo.setCurrentIndex(combo.findText(CATEGORY_BY_KEY[key].name))
    assert list(view.board.by_category.drawn()) == [key]
    assert list(view.board.over_time.drawn()) == [key]


def test_a_bar_stands_for_its_period_clipped_to_the_range_in_school_time() -> None:
    query = TrendQuery(date(2026, 10, 14), date(2026, 11, 30), categories=frozenset({"drugs"}))
    week = (date(2026, 10, 12), next_period(date(2026, 10, 12), Granularity.WEEK)
            - timedelta(days=1))
    asked = incidents_for(query, period=week)
    assert asked.category_keys == ("drugs",)
    # mid-October is summer time in London: a school day starts at 23:00 UTC the day before
    assert asked.captured_from == datetime(2026, 10, 13, 23, 0, tzinfo=UTC)
    assert asked.captured_to == datetime(2026, 10, 18, 23, 0, tzinfo=UTC)
    assert next_period(date(2027, 1, 1), Granularity.MONTH) == date(2027, 2, 1)
    assert count_text(None) == "<5" and count_text(1204) == "1,204"
