"""Filtering the real incident list: a saved filter, a filter with a search, "mine", a column
hidden and kept for the user, and nonsense in the search box — each checked against the
service's own answer."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QInputDialog

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.services import incidents, triage
from app.ui.incidents_view import IncidentsView

TIMEOUT = 10_000


def _view(qtbot, bridge, install, session) -> IncidentsView:  # type: ignore[no-untyped-def]
    view = IncidentsView(bridge, install.console, session)
    qtbot.addWidget(view)
    view.resize(1400, 800)
    with qtbot.waitSignal(view.sig_first_page_loaded, timeout=TIMEOUT):
        view.show()
    qtbot.waitUntil(lambda: view.filters.saved.count() >= 4, timeout=TIMEOUT)  # prefs loaded
    return view


def _settled(qtbot, view: IncidentsView) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not view.model.is_loading, timeout=TIMEOUT)


def _ids(view: IncidentsView) -> list[int]:
    return [view.model.row_at(r).id for r in range(view.model.rowCount())]


def _service_ids(install, session, query: IncidentQuery) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.id for r in incidents.list_incidents(install.console, session, query,
                                                   limit=200).rows]


def test_a_built_in_saved_filter_and_a_search_narrow_the_list_as_the_service_does(
        qtbot, bridge, demo_install, dsl_session) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, bridge, demo_install, dsl_session)
    view.filters.saved.activated.emit(1)  # "New, severity 4+"
    _settled(qtbot, view)
    wanted = IncidentQuery(statuses=(IncidentStatus.NEW,), min_severity=4, sort="severity")
    assert view.model.query == wanted and view.filters.saved.currentIndex() == 0
    assert _ids(view) == _service_ids(demo_install, dsl_session, wanted)
    word = max(view.model.row_at(0).matched_text.split(), key=len)
    view.filters.search.setText(word)
    view.filters.search.returnPressed.emit()
    _settled(qtbot, view)
    narrowed = IncidentQuery(statuses=(IncidentStatus.NEW,), min_severity=4, text=word,
                             sort="severity")
    assert view.model.query == narrowed
    assert 0 < view.model.rowCount() == len(_service_ids(demo_install, dsl_session, narrowed))


@pytest.mark.parametrize("nonsense", ['"', "NEAR(a b", "*", "a OR", ")(", "x" * 10_000,
                                      "' DROP TABLE incidents; --"])
def test_nonsense_in_the_search_box_lists_calmly(qtbot, bridge, demo_install, dsl_session,
                                                  nonsense: str) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, bridge, demo_install, dsl_session)
    view.filters.search.setText(nonsense)
    view.filters.search.returnPressed.emit()
    _settled(qtbot, view)
    assert view.message.text() == "" and not view.retry.isVisible()


def test_saving_a_filter_and_hiding_a_column_follow_the_user_to_a_new_window(
        qtbot, bridge, demo_install, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    session = demo_install.sign_in("deputy")
    view = _view(qtbot, bridge, demo_install, session)
    view.filters.source.select_value("typed")
    _settled(qtbot, view)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("My typed queue", True))
    view.filters.save_button.click()
    qtbot.waitUntil(lambda: view.filters.saved.findText("My typed queue") > 0, timeout=TIMEOUT)
    view._show_column(view.model.columnCount() - 1, False)  # what the header's menu does
    qtbot.waitUntil(lambda: bridge.pending == 0, timeout=TIMEOUT)

    again = _view(qtbot, bridge, demo_install, session)
    qtbot.waitUntil(lambda: again.filters.saved.findText("My typed queue") > 0, timeout=TIMEOUT)
    assert again.table.isColumnHidden(again.model.columnCount() - 1)
    again.filters.saved.activated.emit(again.filters.saved.findText("My typed queue"))
    _settled(qtbot, again)
    assert again.model.query.source == "typed"
    assert all(again.model.row_at(r).source == "typed" for r in range(again.model.rowCount()))


def test_mine_lists_only_what_is_assigned_to_me(qtbot, bridge, demo_install,
                                                 dsl_session) -> None:  # type: ignore[no-untyped-def]
    some = _service_ids(demo_install, dsl_session, IncidentQuery())[:3]
    triage.assign(demo_install.console, dsl_session, some, dsl_session.user.id)
    view = _view(qtbot, bridge, demo_install, dsl_session)
    view.filters.status.select_value(())
    view.filters.mine.setChecked(True)
    _settled(qtbot, view)
    assert set(some) <= set(_ids(view))
    assert all(view.model.row_at(r).assignee_name == dsl_session.user.display_name
               for r in range(view.model.rowCount()))


def test_year_group_and_last_days_narrow_the_list_as_the_service_does(
        qtbot, bridge, demo_install, dsl_session) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, bridge, demo_install, dsl_session)
    view.filters.status.select_value(())
    view.filters.year.select_value(9)
    view.filters.when.select_value(90)
    _settled(qtbot, view)
    query = view.model.query
    assert query.year_group == 9 and query.captured_from is not None
    shown = [view.model.row_at(r) for r in range(view.model.rowCount())]
    assert shown and all(r.year_group == 9 and r.captured_at >= query.captured_from
                         for r in shown)
    assert [r.id for r in shown] == _service_ids(demo_install, dsl_session, query)
