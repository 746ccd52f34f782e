"""The Cases screen on a real demo school: the demo's cases listed, one opened with its
chronology (corrections shown beside what they correct), an entry added from the keyboard, a
status change with its reason — and `e` on the incident list landing on the pupil's case.

Service calls the tests make themselves go through the bridge (`wait_for`), as the screens' do:
the executor is the one writer, and opening a case or a screenshot writes an audit event.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from app.domain.cases import CaseStatus, EntryKind
from app.domain.enums import IncidentStatus
from app.services import cases
from app.ui.bridge import wait_for
from app.ui.cases_view import CasesView
from app.ui.main_window import MainWindow

TIMEOUT = 10_000


def _cases_view(qtbot, bridge, demo_install) -> CasesView:  # type: ignore[no-untyped-def]
    view = CasesView(bridge, demo_install.console, wait_for(bridge, demo_install.sign_in, "dsl"))
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=TIMEOUT)
    return view


def test_a_case_shows_its_chronology_and_takes_a_new_entry_and_a_status(
        qtbot, bridge, demo_install, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    view = _cases_view(qtbot, bridge, demo_install)
    references = {view.model.row_at(r).reference for r in range(view.model.rowCount())}
    assert len(references) >= 5
    corrected = next(r for r in range(view.model.rowCount())
                     if view.model.row_at(r).status == CaseStatus.REFERRED
                     and not view.model.row_at(r).legal_hold)
    wanted = view.model.row_at(corrected).id
    # The table may take focus late and open row 0 first: wait for this case's answer.
    with qtbot.waitSignal(view.sig_case_shown, timeout=TIMEOUT,
                          check_params_cb=lambda case_id: case_id == wanted):
        view.table.selectRow(corrected)
    lines = [view.panel.chronology.item(i).text()
             for i in range(view.panel.chronology.count())]
    assert any("corrected by entry" in line for line in lines)
    assert any("corrects entry" in line and "MASH-20913" in line for line in lines)

    view.panel.kind.setCurrentIndex(view.panel.kind.findData(EntryKind.NOTE))
    view.panel.entry.setPlainText("Checked in with the pupil at lunch; calmer today.")
    count = view.panel.chronology.count()
    with qtbot.waitSignal(view.panel.sig_changed, timeout=TIMEOUT):
        qtbot.keyClick(view.panel.entry, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert view.panel.chronology.count() == count + 1
    assert view.panel.entry.toPlainText() == ""
    assert "calmer today" in view.panel.chronology.item(count).text()

    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("Monitoring", True))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("MASH closed it", True))
    with qtbot.waitSignal(view.panel.sig_changed, timeout=TIMEOUT):
        view.panel.status_button.click()
    detail = view.panel.detail
    assert detail is not None and detail.summary.status == CaseStatus.MONITORING
    assert "Referred → Monitoring: MASH closed it" in view.panel.chronology.item(
        view.panel.chronology.count() - 1).text()


def test_e_on_an_incident_puts_it_in_the_pupils_case_and_shows_that_case(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    session = wait_for(bridge, demo_install.sign_in, "dsl")
    window = MainWindow(demo_install.console, session, bridge)
    qtbot.addWidget(window)
    window.resize(1400, 850)
    window.show()
    view = window.incidents_view
    assert view is not None
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and not view.model.is_loading,
                    timeout=TIMEOUT)
    row = next(r for r in range(view.model.rowCount()) if view.model.row_at(r).subject_name)
    incident = view.model.row_at(row)
    view.table.selectRow(row)
    with qtbot.waitSignal(view.sig_escalated, timeout=TIMEOUT) as escalated:
        qtbot.keyClick(view.table, Qt.Key.Key_E)
    case_id = escalated.args[0]
    assert view.model.row_at(row).status == IncidentStatus.ACTIONED
    cases_view = window.views["cases"]
    assert isinstance(cases_view, CasesView)
    qtbot.waitUntil(lambda: cases_view.panel.detail is not None
                    and cases_view.panel.detail.summary.id == case_id, timeout=TIMEOUT)
    assert window.stack.currentWidget() is cases_view
    detail = wait_for(bridge, cases.view_case, demo_install.console, session, case_id)
    assert incident.id in {i.id for i in detail.incidents}
