"""The first-run wizard: the demo choice, setting up a school, the recovery key check."""

from __future__ import annotations

import random

from app.errors import KeyringRefusedError
from app.paths import DataPaths
from app.security.recovery import groups
from app.services import install
from app.ui.first_run import DEMO, SCHOOL, FirstRunWizard


def _wizard(qtbot, bridge, root) -> FirstRunWizard:
    wizard = FirstRunWizard(bridge, root)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _fill(form, passphrase_mode=True):
    form.school.setText("St Hilda's C of E Primary")
    form.username.setText("jsmith")
    form.display_name.setText("Jo Smith")
    form.password.setText("correct horse battery")
    form.password_again.setText("correct horse battery")
    if passphrase_mode:
        form.passphrase_mode.setChecked(True)
        form.passphrase.setText("install passphrase 42")
        form.passphrase_again.setText("install passphrase 42")


def test_try_the_demo_school_records_the_choice(qtbot, bridge, tmp_path):
    wizard = _wizard(qtbot, bridge, tmp_path / "school")
    with qtbot.waitSignal(wizard.accepted, timeout=2_000):
        wizard.demo_button.click()
    assert wizard.choice == DEMO


def test_mismatched_passwords_are_caught_before_any_work(qtbot, bridge, tmp_path):
    wizard = _wizard(qtbot, bridge, tmp_path / "school")
    _fill(wizard.setup)
    wizard.setup.password_again.setText("something else entirely")
    wizard.setup.submit()
    assert wizard.setup.error.text() == "The two passwords are not the same."
    assert bridge.pending == 0


def test_set_up_shows_the_key_once_and_checks_two_groups(qtbot, bridge, tmp_path):
    root = tmp_path / "school"
    wizard = _wizard(qtbot, bridge, root)
    wizard.pages.setCurrentWidget(wizard.setup)
    _fill(wizard.setup)
    with qtbot.waitSignal(wizard.setup.sig_created, timeout=20_000) as blocker:
        wizard.setup.create_button.click()
    console, key = blocker.args
    try:
        assert DataPaths(root).is_initialised() and wizard.choice == SCHOOL
        assert wizard.pages.currentWidget() is wizard.key_page
        assert groups(key)[0] in wizard.key_page.key_label.text()
        wizard.key_page.sig_written_down.emit()
        confirm = wizard.confirm
        confirm.ask_for(key, random.Random(4))
        wanted = [groups(key)[i] for i in confirm.positions]
        confirm.first.setText(wanted[0])
        confirm.second.setText("AAAAA")
        confirm.check()
        assert "does not match" in confirm.error.text() and wizard.isVisible()
        confirm.second.setText(wanted[1].lower())
        with qtbot.waitSignal(wizard.accepted, timeout=2_000):
            confirm.check()
        assert wizard.key_page.key_label.text() == ""  # shown once, then forgotten
    finally:
        console.close()


def test_keyring_refusal_offers_passphrase_mode(qtbot, bridge, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise KeyringRefusedError("The OS keyring here is not one Kestrel trusts.")

    monkeypatch.setattr(install, "create_install", refuse)
    wizard = _wizard(qtbot, bridge, tmp_path / "school")
    wizard.pages.setCurrentWidget(wizard.setup)
    _fill(wizard.setup, passphrase_mode=False)
    with qtbot.waitSignal(bridge.sig_error, timeout=5_000):
        wizard.setup.create_button.click()
    assert wizard.setup.error.text() == "The OS keyring here is not one Kestrel trusts."
    assert wizard.setup.use_passphrase.isVisible()
    wizard.setup.use_passphrase.click()
    assert wizard.setup.passphrase_mode.isChecked() and wizard.setup.passphrase.isVisible()
