"""The incident table model and the Incidents screen against a real demo install."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.services import incidents
from app.ui.incident_model import COL_CATEGORY, COL_STATUS, ROW_ROLE, IncidentTableModel
from app.ui.incidents_view import IncidentsView

ALL = IncidentQuery()


def _loaded(qtbot, model: IncidentTableModel, query: IncidentQuery) -> None:
    with qtbot.waitSignal(model.sig_page_loaded, timeout=10_000):
        model.set_query(query)


def test_incident_model_passes_qabstractitemmodeltester(qtbot, bridge, demo_install,
                                                        dsl_session):
    model = IncidentTableModel(bridge, demo_install.console, dsl_session, page_size=50)
    tester = QAbstractItemModelTester(
        model, QAbstractItemModelTester.FailureReportingMode.Warning)
    _loaded(qtbot, model, ALL)  # the tester itself may ask for more as rows arrive
    while model.has_more:
        qtbot.waitUntil(lambda: not model.is_loading, timeout=10_000)
        model.fetchMore()
    qtbot.waitUntil(lambda: not model.is_loading, timeout=10_000)
    assert model.rowCount() == 300
    _loaded(qtbot, model, IncidentQuery(min_severity=4, sort="severity"))
    qtbot.waitUntil(lambda: not model.is_loading, timeout=10_000)
    assert all(model.row_at(r).severity >= 4 for r in range(model.rowCount()))
    assert tester is not None


def test_fetch_more_never_loads_on_the_calling_thread(qtbot, bridge, demo_install,
                                                      dsl_session):
    model = IncidentTableModel(bridge, demo_install.console, dsl_session, page_size=50)
    _loaded(qtbot, model, ALL)
    model.fetchMore()
    assert model.rowCount() == 50 and model.is_loading  # rows arrive later, via the bridge
    assert not model.canFetchMore()  # no second request while one is in flight
    qtbot.waitUntil(lambda: model.rowCount() == 100, timeout=10_000)


def test_restricted_rows_carry_a_lock_marker_and_no_image(qtbot, bridge, demo_install,
                                                          dsl_session):
    model = IncidentTableModel(bridge, demo_install.console, dsl_session, page_size=300)
    _loaded(qtbot, model, ALL)
    restricted = [r for r in range(model.rowCount()) if model.row_at(r).restricted]
    assert restricted, "the demo data should include restricted categories"
    index = model.index(restricted[0], COL_CATEGORY)
    assert model.data(index, Qt.ItemDataRole.DecorationRole) is not None
    assert "blurred" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    plain = next(r for r in range(model.rowCount()) if not model.row_at(r).restricted)
    assert model.data(model.index(plain, COL_CATEGORY), Qt.ItemDataRole.DecorationRole) is None


def _shown_view(qtbot, bridge, demo_install, session) -> IncidentsView:
    view = IncidentsView(bridge, demo_install.console, session)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    with qtbot.waitSignal(view.sig_first_page_loaded, timeout=10_000):
        view.show()
    return view


def test_first_page_appears_and_scrolling_to_the_bottom_fetches_more(qtbot, bridge,
                                                                     demo_install,
                                                                     dsl_session):
    view = _shown_view(qtbot, bridge, demo_install, dsl_session)
    assert view.model.rowCount() > 0
    with qtbot.waitSignal(view.model.sig_page_loaded, timeout=10_000):
        view.filters.status.setCurrentIndex(1)  # "All statuses": all 300 incidents
    assert view.model.rowCount() == 200 and view.model.has_more
    view.table.scrollToBottom()
    qtbot.waitUntil(lambda: view.model.rowCount() == 300, timeout=10_000)
    assert not view.model.has_more


def test_pressing_f_marks_the_selected_incident_false_positive(qtbot, bridge, demo_install,
                                                               dsl_session):
    view = _shown_view(qtbot, bridge, demo_install, dsl_session)
    view.table.selectRow(0)
    chosen = view.model.row_at(0)
    assert chosen.status in (IncidentStatus.NEW, IncidentStatus.REVIEWING)
    with qtbot.waitSignal(view.sig_triaged, timeout=10_000):
        qtbot.keyClick(view.table, Qt.Key.Key_F)
    assert view.model.row_at(0).status == IncidentStatus.FALSE_POSITIVE
    status_cell = view.model.index(0, COL_STATUS)
    assert view.model.data(status_cell) == "False positive"
    assert view.model.data(status_cell, ROW_ROLE).id == chosen.id
    page = incidents.list_incidents(demo_install.console, dsl_session,
                                    IncidentQuery(statuses=(IncidentStatus.FALSE_POSITIVE,)),
                                    limit=500)
    assert chosen.id in {row.id for row in page.rows}
    assert view.table.currentIndex().row() == 1  # moved on, ready for the next one


def test_j_and_k_move_and_slash_focuses_search(qtbot, bridge, demo_install, dsl_session):
    view = _shown_view(qtbot, bridge, demo_install, dsl_session)
    view.table.setFocus()
    view.table.selectRow(0)
    qtbot.keyClick(view.table, Qt.Key.Key_J)
    qtbot.keyClick(view.table, Qt.Key.Key_J)
    qtbot.keyClick(view.table, Qt.Key.Key_K)
    assert view.table.currentIndex().row() == 1
    view.activateWindow()
    qtbot.keyClick(view.table, Qt.Key.Key_Slash)
    qtbot.waitUntil(view.filters.search.hasFocus, timeout=2_000)


def test_search_waits_for_a_pause_in_typing_then_filters(qtbot, bridge, demo_install,
                                                         dsl_session):
    view = _shown_view(qtbot, bridge, demo_install, dsl_session)
    word = max(view.model.row_at(0).matched_text.split(), key=len)
    with qtbot.waitSignal(view.filters.sig_query_changed, timeout=2_000) as blocker:
        qtbot.keyClicks(view.filters.search, word)
    assert blocker.args[0].text == word  # one query for the whole word, not per keystroke
    qtbot.waitUntil(lambda: not view.model.is_loading, timeout=10_000)
    assert 0 < view.model.rowCount() < 300
