"""Keyboard triage on the real Incidents screen: forty incidents cleared from the keyboard,
regrade, assign, a bulk false positive and its undo — each checked in the database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication, QMenu

from app.domain.dto import IncidentQuery
from app.domain.enums import IncidentStatus
from app.services import incidents
from app.services.demo_school import create_demo_school
from app.ui.incidents_view import IncidentsView
from tests.ui.conftest import PASSPHRASE, DemoInstall

TIMEOUT = 10_000
KEYS = {Qt.Key.Key_F: IncidentStatus.FALSE_POSITIVE, Qt.Key.Key_R: IncidentStatus.REVIEWING,
        Qt.Key.Key_C: IncidentStatus.CLOSED}


@pytest.fixture
def school(tmp_path) -> Iterator[DemoInstall]:  # type: ignore[no-untyped-def]
    """A private demo school: these tests change incidents."""
    console = create_demo_school(tmp_path / "d", incidents=150, screenshots=0,
                                 key_mode="passphrase", passphrase=PASSPHRASE, workers=1)
    yield DemoInstall(tmp_path / "d", console)
    console.close()


def _view(qtbot, bridge, school: DemoInstall) -> IncidentsView:  # type: ignore[no-untyped-def]
    view = IncidentsView(bridge, school.console, school.sign_in("dsl"))
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.show()
    view.filters.status.setCurrentIndex(1)  # all statuses
    qtbot.waitUntil(lambda: view.model.query.statuses == () and not view.model.is_loading
                    and view.model.rowCount() > 0, timeout=TIMEOUT)
    view.table.setFocus()
    view.table.selectRow(0)
    return view


def _in_db(school: DemoInstall) -> dict[int, object]:
    rows = incidents.list_incidents(school.console, school.sign_in("dsl"), IncidentQuery(),
                                    limit=500).rows
    return {r.id: r for r in rows}


def test_forty_incidents_are_triaged_from_the_keyboard(qtbot, bridge, school) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, bridge, school)
    wanted: dict[int, IncidentStatus] = {}
    keys = itertools.cycle(KEYS)
    for _ in range(40):
        row = view.table.currentIndex().row()
        incident = view.model.row_at(row)
        key = next(k for k in keys if KEYS[k] != incident.status)  # a real change each time
        with qtbot.waitSignal(view.sig_triaged, timeout=TIMEOUT):
            qtbot.keyClick(view.table, key)
        wanted[incident.id] = KEYS[key]
        assert view.table.currentIndex().row() == row + 1  # moved on at once
    stored = _in_db(school)
    assert len(wanted) == 40
    assert all(stored[i].status == s for i, s in wanted.items())  # type: ignore[attr-defined]
    assert all(view.model.row_at(r).status == wanted[view.model.row_at(r).id]
               for r in range(40) if view.model.row_at(r).id in wanted)


@pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise",
                           "does not support grabbing")  # the offscreen platform's notices
def test_a_number_regrades_and_a_assigns_without_moving_on(qtbot, bridge, school) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, bridge, school)
    target = view.model.row_at(0)
    new = 5 if target.severity != 5 else 2
    with qtbot.waitSignal(view.sig_triaged, timeout=TIMEOUT):
        qtbot.keyClick(view.table, getattr(Qt.Key, f"Key_{new}"))
    assert view.table.currentIndex().row() == 0 and view.model.row_at(0).severity == new
    qtbot.keyClick(view.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu),
                    timeout=TIMEOUT)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu) and "(me)" in menu.actions()[0].text()
    with qtbot.waitSignal(view.sig_triaged, timeout=TIMEOUT):
        qtbot.keyClick(menu, Qt.Key.Key_Return)
    stored = _in_db(school)[target.id]
    assert stored.severity == new and stored.assignee_name  # type: ignore[attr-defined]
    assert view.model.row_at(0).assignee_name == stored.assignee_name  # type: ignore[attr-defined]


def test_bulk_false_positive_then_ctrl_z_puts_every_status_back(qtbot, bridge, school) -> None:  # type: ignore[no-untyped-def]
    view = _view(qtbot, bridge, school)
    selection = view.table.selectionModel()
    for row in range(6):
        selection.select(view.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)
    before = {view.model.row_at(r).id: view.model.row_at(r).status for r in range(6)}
    with qtbot.waitSignal(view.sig_triaged, timeout=TIMEOUT):
        qtbot.keyClick(view.table, Qt.Key.Key_F)
    stored = _in_db(school)
    assert all(stored[i].status == IncidentStatus.FALSE_POSITIVE for i in before)  # type: ignore[attr-defined]
    with qtbot.waitSignal(view.sig_triaged, timeout=TIMEOUT):
        qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    stored = _in_db(school)
    assert {i: stored[i].status for i in before} == before  # type: ignore[attr-defined]
    assert {view.model.row_at(r).id: view.model.row_at(r).status for r in range(6)} == before
