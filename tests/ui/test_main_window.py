"""The main window shell: role-based navigation, the demo banner, keys and the idle lock."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.ui.main_window import DEMO_BANNER, MainWindow


def _window(qtbot, bridge, demo_install, username, **kwargs) -> MainWindow:
    session = demo_install.sign_in(username)
    window = MainWindow(demo_install.console, session, bridge, **kwargs)
    qtbot.addWidget(window)
    window.resize(1400, 850)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.mark.parametrize(("username", "expected"), [
    ("dsl", ["Incidents", "Cases", "Trends", "Devices", "Library", "Audit"]),
    ("deputy", ["Incidents", "Cases", "Trends", "Library"]),
    ("head", ["Trends"]),
    ("itech", ["Devices"]),
])
def test_navigation_shows_only_the_screens_a_role_may_use(qtbot, bridge, demo_install,
                                                          username, expected):
    window = _window(qtbot, bridge, demo_install, username)
    assert window.nav_labels() == expected
    assert window.stack.count() == len(expected)


def test_it_technician_window_has_no_incidents_entry(qtbot, bridge, demo_install):
    window = _window(qtbot, bridge, demo_install, "itech")
    assert "Incidents" not in window.nav_labels()
    assert window.incidents_view is None
    assert "IT technician" in window.user_label.text()


def test_demo_install_shows_banner_and_status_bar_names_school_and_user(qtbot, bridge,
                                                                        demo_install):
    window = _window(qtbot, bridge, demo_install, "dsl")
    assert window.banner is not None and window.banner.isVisible()
    assert window.banner.text() == DEMO_BANNER
    assert window.school_label.text() == demo_install.console.settings.school_name
    assert "Alex Morgan" in window.user_label.text()
    assert window.last_login.text().startswith("Last signed in")


def test_ctrl_number_switches_screens(qtbot, bridge, demo_install):
    window = _window(qtbot, bridge, demo_install, "dsl")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2_000)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.nav.currentItem().text() == "Trends"
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.incidents_view


def test_idle_lock_locks_after_the_timeout_and_the_right_password_unlocks(qtbot, bridge,
                                                                          demo_install):
    window = _window(qtbot, bridge, demo_install, "dsl", idle_timeout_ms=300)
    lock = window.idle_lock
    with qtbot.waitSignal(lock.sig_locked, timeout=5_000):
        pass
    assert window.session.locked and lock.screen.isVisible()
    assert not window.centralWidget().isEnabled()
    with qtbot.waitSignal(bridge.sig_error, timeout=10_000):
        lock.screen.password.setText("not the password")
        lock.screen.unlock_button.click()
    assert window.session.locked
    assert lock.screen.error.text() == "Wrong user name or password."
    with qtbot.waitSignal(lock.sig_unlocked, timeout=10_000):
        qtbot.keyClicks(lock.screen.password, "kestrel-demo")
        qtbot.keyClick(lock.screen.password, Qt.Key.Key_Return)
    assert not window.session.locked and lock.screen.isHidden()
    assert window.centralWidget().isEnabled()


def test_ctrl_l_locks_at_once(qtbot, bridge, demo_install):
    window = _window(qtbot, bridge, demo_install, "dsl")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2_000)
    with qtbot.waitSignal(window.idle_lock.sig_locked, timeout=2_000):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.session.locked


def test_the_window_fits_a_1366_pixel_laptop_screen(qtbot, bridge, demo_install) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, bridge, demo_install, "dsl")
    assert window.minimumSizeHint().width() <= 1366
    for view in window.views.values():
        assert view.minimumSizeHint().width() + window.nav.width() <= 1366
