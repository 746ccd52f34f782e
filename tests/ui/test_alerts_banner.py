"""The alert banner at sign-in and its reminder, on the real main window: categories and
counts only, a button that lists exactly those incidents, and a reminder while they stay
unopened."""

from __future__ import annotations

from app.services import alerts
from app.ui.main_window import MainWindow

TIMEOUT = 10_000


def test_sign_in_announces_the_waiting_high_severity_incidents_and_lists_them(
        qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    session = demo_install.sign_in("dsl")
    news = alerts.new_alerts(demo_install.console, session)
    assert news is not None
    window = MainWindow(demo_install.console, session, bridge)
    window.alerts.remind_ms = 300
    qtbot.addWidget(window)
    window.resize(1400, 850)
    window.show()
    qtbot.waitUntil(window.alert_banner.isVisible, timeout=TIMEOUT)
    text = window.alert_banner.text.text()
    assert text == news.text() and str(news.count) in text
    assert all(name in text for name, _ in news.by_category)
    view = window.incidents_view
    assert view is not None
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and not view.model.is_loading,
                    timeout=TIMEOUT)
    names = {view.model.row_at(r).subject_name for r in range(view.model.rowCount())}
    assert not any(name and name in text for name in names)  # no pupil in an alert

    with qtbot.waitSignal(window.alerts.sig_announced, timeout=TIMEOUT) as reminded:
        pass
    assert reminded.args[0].startswith(f"Reminder: {news.count} high-severity")

    window.alert_banner.show_button.click()
    qtbot.waitUntil(lambda: view.model.query.min_severity == news.min_severity
                    and not view.model.is_loading, timeout=TIMEOUT)
    assert not window.alert_banner.isVisible()
    shown = [view.model.row_at(r) for r in range(view.model.rowCount())]
    assert len(shown) == news.count
    assert {r.id for r in shown} == set(news.incident_ids)
