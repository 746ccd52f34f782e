"""The sign-in and passphrase dialogs against the real user service (lockout included)."""

from __future__ import annotations

from app.services.demo_school import DEMO_ACCOUNTS, DEMO_PASSWORD
from app.ui.login import LoginDialog, PassphraseDialog
from tests.ui.conftest import PASSPHRASE


def _dialog(qtbot, bridge, demo_install, username=None) -> LoginDialog:
    dialog = LoginDialog(bridge, demo_install.console, username, demo_accounts=DEMO_ACCOUNTS,
                         demo_password=DEMO_PASSWORD)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_login_dialog_shows_the_lockout_message_after_five_wrong_passwords(qtbot, bridge,
                                                                           demo_install):
    dialog = _dialog(qtbot, bridge, demo_install, "deputy")
    messages = []
    for _attempt in range(5):
        dialog.password.setText("not the deputy's password")
        with qtbot.waitSignal(dialog.sig_failed, timeout=10_000) as blocker:
            dialog.ok_button.click()
        messages.append(blocker.args[0])
    assert messages[:4] == ["Wrong user name or password."] * 4
    assert messages[4].startswith("Too many wrong passwords: this account is locked")
    assert dialog.error.text() == messages[4]
    assert dialog.isVisible() and dialog.session is None
    assert dialog.password.text() == ""  # the secret never lingers after a failure


def test_right_password_signs_in_and_closes_the_dialog(qtbot, bridge, demo_install):
    dialog = _dialog(qtbot, bridge, demo_install, "dsl")
    dialog.password.setText(DEMO_PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.ok_button.click()
    assert dialog.session is not None and dialog.session.user.username == "dsl"


def test_demo_install_shows_accounts_and_password_as_a_hint(qtbot, bridge, demo_install):
    dialog = _dialog(qtbot, bridge, demo_install)
    assert dialog.hint.isVisible()
    assert "itech" in dialog.hint.text() and DEMO_PASSWORD in dialog.hint.text()


def test_empty_fields_are_refused_without_asking_the_service(qtbot, bridge, demo_install):
    dialog = _dialog(qtbot, bridge, demo_install)
    dialog.ok_button.click()
    assert dialog.error.text() == "Enter your user name and password."
    assert bridge.pending == 0


def test_passphrase_dialog_reports_a_wrong_passphrase_then_opens(qtbot, bridge, demo_install):
    dialog = PassphraseDialog(bridge, demo_install.root, "Northgate")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.passphrase.setText("wrong passphrase here")
    with qtbot.waitSignal(dialog.sig_failed, timeout=15_000) as blocker:
        dialog.ok_button.click()
    assert blocker.args[0] and "Traceback" not in blocker.args[0]
    dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        dialog.ok_button.click()
    assert dialog.console is not None
    dialog.console.close()
