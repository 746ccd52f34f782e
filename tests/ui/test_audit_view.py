"""The Audit screen on a real install: filtered by record and by kind of act, and "Verify the
log" saying so in words — and saying where when the chain has been tampered with."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.services import incident_view, users
from app.services.demo_school import DEMO_PASSWORD
from app.services.install import open_install
from app.ui.audit_view import AuditView
from tests.ui.conftest import PASSPHRASE

TIMEOUT = 30_000


def _view(qtbot, bridge, console, session) -> AuditView:  # type: ignore[no-untyped-def]
    view = AuditView(bridge, console, session)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT):
        view.show()
    return view


def test_the_log_filters_by_record_and_by_kind_of_act(qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    session = demo_install.sign_in("dsl")
    incident_view.view_incident(demo_install.console, session, 7)
    view = _view(qtbot, bridge, demo_install.console, session)
    view.record.setText("incident:7")
    with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT):
        view.record.returnPressed.emit()
    rows = [view.model.row_at(r) for r in range(view.model.rowCount())]
    assert rows and {r.target for r in rows} == {"incident:7"}
    assert any(r.action == "incident.view" and r.actor == "dsl" for r in rows)
    view.record.clear()
    with qtbot.waitSignal(view.sig_loaded, timeout=TIMEOUT):
        view.what.select_value("login")
    assert {view.model.row_at(r).action.split(".")[0] for r in range(view.model.rowCount())
            } == {"login"}


def test_verify_reports_an_intact_log_then_the_first_tampered_event(
        qtbot, bridge, demo_install, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session = demo_install.sign_in("dsl")
    view = _view(qtbot, bridge, demo_install.console, session)
    with qtbot.waitSignal(view.sig_verified, timeout=TIMEOUT) as ok:
        view.verify_button.click()
    assert ok.args == [True] and view.verdict.text().startswith("Verified:")

    shutil.copytree(demo_install.root, tmp_path / "copy")
    copy = open_install(tmp_path / "copy", PASSPHRASE)
    try:
        with copy.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE audit_events SET actor = 'someone else' WHERE seq = 3")
        tampered = _view(qtbot, bridge, copy, users.login(copy, "dsl", DEMO_PASSWORD))
        with qtbot.waitSignal(tampered.sig_verified, timeout=TIMEOUT) as bad:
            tampered.verify_button.click()
        assert bad.args == [False]
        assert "VERIFICATION FAILED" in tampered.verdict.text()
        assert "event 3" in tampered.verdict.text()
    finally:
        copy.close()
