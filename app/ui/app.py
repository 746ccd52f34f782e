"""Start the console GUI: pick the install, open it, sign in, show the main window.

`run_console` is the one entry point (`main.py` calls it). It returns an exit code: 0 for a
normal end (including "cancelled at sign-in"), 1 after printing one line to stderr for an
error. With `exit_when_ready`, it prints `KESTREL READY` once the main window is up and the
incident list's first page has arrived, then quits with 0 (CI smoke test, benchmarks).

Threading: runs on the GUI thread; every step that touches keys or the database runs on the
single DB executor through the bridge, while the GUI keeps painting.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from app.errors import ConfigError, KestrelError
from app.paths import APP_NAME, DataPaths, default_demo_dir, default_school_dir
from app.services import demo_accounts, install
from app.services.console import Console
from app.services.executor import DbExecutor
from app.services.users import UserSession, login
from app.settings import load_settings
from app.ui.bridge import ServiceBridge, wait_for
from app.ui.first_run import DEMO, FirstRunWizard
from app.ui.login import LoginDialog, PassphraseDialog
from app.ui.look import apply_look
from app.ui.main_window import MainWindow

if TYPE_CHECKING:
    from app.ui.live_sync import LiveSync

log = logging.getLogger(__name__)
READY_LINE = "KESTREL READY"


class _Cancelled(Exception):
    """The person closed a start-up dialog: a normal, quiet exit."""


def run_console(root: Path | None, *, demo: bool = False, username: str | None = None,
                password: str | None = None, exit_when_ready: bool = False,
                passphrase: str | None = None, listen: bool = True) -> int:
    """Run the console until its window closes; return the process exit code. With `listen`
    the console also receives from devices (settings say where; demo: loopback only)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    apply_look(app)
    executor = DbExecutor()
    bridge = ServiceBridge(executor)
    console: Console | None = None
    window: MainWindow | None = None
    live: LiveSync | None = None
    try:
        console, suggested_name = _open(bridge, root, demo, passphrase)
        _log_to_install(console)
        session = _sign_in(bridge, console, username or suggested_name, password)
        live = None
        if listen:
            from app.ui.live_sync import LiveSync  # aiohttp: only when devices are heard

            live = LiveSync(console, executor)
        window = MainWindow(console, session, bridge, live=live)
        _size_window(app, window)
        if exit_when_ready:
            _quit_when_ready(app, window)
        window.show()
        return int(app.exec())
    except _Cancelled:
        return 0
    except KestrelError as exc:
        print(f"kestrel: {exc}", file=sys.stderr, flush=True)
        return 1
    except Exception as exc:  # the last line of defence: one line for people, trace for logs
        log.exception("the console failed to start")
        print(f"kestrel: could not start ({type(exc).__name__}); see the log.", file=sys.stderr,
              flush=True)
        return 1
    finally:
        _shut_down(window, live, bridge, executor, console)


def _open(bridge: ServiceBridge, root: Path | None, demo: bool,
          passphrase: str | None) -> tuple[Console, str | None]:
    """Choose the install, creating the demo or running the first-run wizard when needed.
    Also returns a user name to suggest at sign-in (the DSL just created), if any."""
    if demo:
        target = root or default_demo_dir()
        if not DataPaths(target).is_initialised():
            return _create_demo(bridge, target), None
        return _open_existing(bridge, target, passphrase), None
    target = root or _existing_default()
    if target is None or not DataPaths(target).is_initialised():
        return _first_run(bridge, root)
    return _open_existing(bridge, target, passphrase), None


def _existing_default() -> Path | None:
    for candidate in (default_school_dir(), default_demo_dir()):
        if DataPaths(candidate).is_initialised():
            return candidate
    return None


def _first_run(bridge: ServiceBridge, root: Path | None) -> tuple[Console, str | None]:
    wizard = FirstRunWizard(bridge, root or default_school_dir())
    if wizard.exec() != QDialog.DialogCode.Accepted:
        raise _Cancelled
    if wizard.choice == DEMO:
        target = root or default_demo_dir()
        if DataPaths(target).is_initialised():
            return _open_existing(bridge, target, None), None
        return _create_demo(bridge, target), None
    if wizard.console is None:
        raise ConfigError("The first-run setup did not finish; start Kestrel again.")
    return wizard.console, wizard.username


def _create_demo(bridge: ServiceBridge, target: Path) -> Console:
    from app.services import demo_school  # the seeder and its renderers: only for a new demo

    return wait_for(bridge, demo_school.create_demo_school, target, with_progress=True,
                    label="Creating the demo school: a made-up school with months of "
                          "synthetic alerts…")


def _open_existing(bridge: ServiceBridge, target: Path, passphrase: str | None) -> Console:
    settings = load_settings(DataPaths(target).settings)
    passphrase = demo_accounts.passphrase_for(settings, passphrase)
    if settings.key_mode == "passphrase" and passphrase is None:
        dialog = PassphraseDialog(bridge, target, settings.school_name)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.console is None:
            raise _Cancelled
        return dialog.console
    return wait_for(bridge, install.open_install, target, passphrase,
                    label="Opening the school's records…")


def _sign_in(bridge: ServiceBridge, console: Console, username: str | None,
             password: str | None) -> UserSession:
    if username and password:
        return wait_for(bridge, login, console, username, password)
    dialog = LoginDialog(bridge, console, username, demo_accounts=demo_accounts.DEMO_ACCOUNTS,
                         demo_password=demo_accounts.DEMO_PASSWORD)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.session is None:
        raise _Cancelled
    return dialog.session


def _quit_when_ready(app: QApplication, window: MainWindow) -> None:
    """Print READY_LINE and quit once the window shows and the first page is in."""
    def ready() -> None:
        print(READY_LINE, flush=True)
        QTimer.singleShot(0, lambda: app.exit(0))  # inside app.exec(), even if early

    def failed(message: str) -> None:
        print(f"kestrel: {message}", file=sys.stderr, flush=True)
        QTimer.singleShot(0, lambda: app.exit(1))

    view = window.incidents_view
    if view is None:  # roles without an incident list are ready when the window is
        QTimer.singleShot(0, ready)
    else:
        view.sig_first_page_loaded.connect(ready)
        view.model.sig_load_failed.connect(failed)


def _size_window(app: QApplication, window: MainWindow) -> None:
    """1400×850 where the screen allows, never larger than the screen's free area."""
    screen = app.primaryScreen()
    free = screen.availableGeometry() if screen is not None else None
    width, height = 1400, 850
    if free is not None and free.width() > 0:
        width, height = min(width, free.width()), min(height, free.height())
    window.resize(width, height)


def _log_to_install(console: Console) -> None:
    """Send warnings and tracebacks to the install's log folder (the CLI's stderr handler stays
    too). Database errors never quote values (engines use hide_parameters)."""
    root_logger = logging.getLogger()
    if any(isinstance(h, logging.FileHandler) for h in root_logger.handlers):
        return
    try:
        handler = logging.FileHandler(console.paths.logs / "console.log", encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.INFO)


def _shut_down(window: MainWindow | None, live: LiveSync | None, bridge: ServiceBridge,
               executor: DbExecutor, console: Console | None) -> None:
    """Close in dependency order: window, devices (demo feed, receiver), bridge deliveries,
    executor (joins), database."""
    if window is not None:
        window.close()
        window.idle_lock.stop()
        window.deleteLater()
    if live is not None:
        live.stop()
    bridge.close()
    executor.shutdown(wait=True)
    if console is not None:
        console.close()
    bridge.deleteLater()
