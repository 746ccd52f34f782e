"""Incidents arriving from devices while the DSL works: the demo install's own receiver and
simulated devices (real TLS on loopback) send alerts; the window says how many arrived without
moving the list, F5 shows them, and their sealed content has been opened with the DSL's key."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.domain.dto import IncidentQuery
from app.services import incidents
from app.ui.live_sync import LiveSync
from app.ui.main_window import MainWindow

TIMEOUT = 30_000


def test_arrivals_are_announced_then_shown_with_their_content_opened(qtbot, bridge,
                                                                      demo_install):
    console, session = demo_install.console, demo_install.sign_in("dsl")
    before = incidents.list_incidents(console, session, IncidentQuery(), limit=500)
    live = LiveSync(console, bridge.executor)
    try:
        assert live.server is not None and live.host == "127.0.0.1"
        window = MainWindow(console, session, bridge, live=live)
        qtbot.addWidget(window)
        window.resize(1400, 850)
        window.show()
        view = window.incidents_view
        with qtbot.waitSignal(view.sig_first_page_loaded, timeout=TIMEOUT):
            pass
        first_row = view.model.row_at(0).id
        qtbot.waitUntil(view.news.isVisible, timeout=TIMEOUT)
        assert view.news.text().endswith("arrived · F5 to show")
        assert view.model.row_at(0).id == first_row  # the list did not move under the DSL
        assert "Demo devices" in window.live_label.text()

        def opened() -> bool:
            rows = incidents.list_incidents(console, session, IncidentQuery(), limit=500).rows
            fresh = [r for r in rows if r.id not in {b.id for b in before.rows}]
            return bool(fresh) and all(r.matched_text for r in fresh)

        qtbot.waitUntil(opened, timeout=TIMEOUT)
        live.feed.stop()  # no more arrivals, so the count below is the whole story
        qtbot.waitUntil(lambda: bridge.pending == 0, timeout=TIMEOUT)
        view.focus_table()
        window.resize(1400, 560)  # a short window, so the list scrolls
        qtbot.waitUntil(lambda: view.table.verticalScrollBar().maximum() > 3, timeout=TIMEOUT)
        view.table.selectRow(6)  # the DSL is working on the seventh incident, part scrolled
        view.table.verticalScrollBar().setValue(3)
        kept = view.model.row_at(6).id
        kept_top = view.table.visualRect(view.table.currentIndex()).top()
        with qtbot.waitSignal(view.model.sig_page_loaded, timeout=TIMEOUT):
            qtbot.keyClick(view.table, Qt.Key.Key_F5)
        assert not view.news.isVisible()
        assert view.model.row_at(0).id != first_row  # the newest incident now leads
        current = view.table.currentIndex()
        assert view.model.row_at(current.row()).id == kept  # same incident, same place
        assert current.row() > 6 and view.selected_ids() == [kept]
        qtbot.waitUntil(lambda: abs(view.table.visualRect(view.table.currentIndex()).top()
                                    - kept_top) < view.table.rowHeight(0), timeout=TIMEOUT)
    finally:
        live.stop()
