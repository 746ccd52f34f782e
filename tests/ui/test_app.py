"""run_console end to end: open a real install, sign in, load the list, say READY, exit 0."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from app.services.demo_school import DEMO_PASSWORD
from app.ui.app import READY_LINE, run_console
from tests.ui.conftest import PASSPHRASE


def _guard(qapp) -> QTimer:
    """Ends a hung event loop with a distinct code instead of hanging the test run."""
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(lambda: qapp.exit(99))
    timer.start(60_000)
    return timer


def test_run_console_prints_ready_and_exits_zero(qapp, demo_install, capsys):
    guard = _guard(qapp)
    code = run_console(demo_install.root, username="dsl", password=DEMO_PASSWORD,
                       passphrase=PASSPHRASE, exit_when_ready=True)
    guard.stop()
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.splitlines() == [READY_LINE]


def test_run_console_for_a_role_without_incidents_is_ready_too(qapp, demo_install, capsys):
    guard = _guard(qapp)
    code = run_console(demo_install.root, username="head", password=DEMO_PASSWORD,
                       passphrase=PASSPHRASE, exit_when_ready=True)
    guard.stop()
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [READY_LINE]


def test_wrong_passphrase_prints_one_line_and_exits_one(qapp, demo_install, capsys):
    code = run_console(demo_install.root, username="dsl", password=DEMO_PASSWORD,
                       passphrase="not the passphrase", exit_when_ready=True)
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("kestrel: ")


def test_wrong_password_prints_one_line_and_exits_one(qapp, demo_install, capsys):
    code = run_console(demo_install.root, username="itech", password="not the password",
                       passphrase=PASSPHRASE, exit_when_ready=True)
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == "kestrel: Wrong user name or password."
