"""Getting in: the sign-in dialog and, for passphrase-mode installs, the passphrase dialog.

Both check what was typed through the bridge (Argon2 takes a moment and touches the database),
show any refusal inline — the lockout sentence exactly as the service words it — and never
close on an error. Demo installs show their accounts and shared password as a hint, because the
data is synthetic and the point is to look around.

Threading: GUI thread only; `users.login` and `install.open_install` run on the DB executor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QWidget,
)

from app.services import install, users
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge
from app.ui.checking_dialog import CheckingDialog


class LoginDialog(CheckingDialog):
    """Sign in with user name and password; on success `session` holds the UserSession."""

    def __init__(self, bridge: ServiceBridge, console: Console, username: str | None = None,
                 demo_accounts: tuple[tuple[str, str], ...] = (), demo_password: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__("Sign in — Kestrel", console.settings.school_name, "Sign in", parent)
        self._bridge, self._console = bridge, console
        self.session: UserSession | None = None
        self.username = QLineEdit(username or "")
        self.username.setPlaceholderText("e.g. jsmith")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow("User name", self.username)
        self.form.addRow("Password", self.password)
        if console.settings.is_demo and demo_accounts:
            names = ", ".join(f"{name} ({role})" for name, role in demo_accounts)
            self.hint.setText(f"Demo school — accounts: {names}. Password for all: "
                              f"{demo_password}")
            self.hint.setVisible(True)
        (self.password if username else self.username).setFocus()

    def _submit(self) -> None:
        name, secret = self.username.text().strip(), self.password.text()
        if not name or not secret:
            self.error.setText("Enter your user name and password.")
            return
        self.error.clear()
        self.set_busy(True)
        self._request = self._bridge.call(users.login, self._console, name, secret,
                                          on_result=self._signed_in, on_error=self.failed)

    def _signed_in(self, session: UserSession) -> None:
        self._request = None
        self.session = session
        self.accept()

    def after_failure(self) -> None:
        self.password.clear()
        self.password.setFocus()


class PassphraseDialog(CheckingDialog):
    """Open a passphrase-mode install; on success `console` holds the open Console."""

    def __init__(self, bridge: ServiceBridge, root: Path, school_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__("Open install — Kestrel", school_name, "Open", parent)
        self._bridge, self._root = bridge, root
        self.console: Console | None = None
        intro = QLabel("This install is protected by a passphrase. Enter it to open the "
                       "school's data.")
        intro.setWordWrap(True)
        self.form.addRow(intro)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow("Passphrase", self.passphrase)
        self.passphrase.setFocus()

    def _submit(self) -> None:
        if not self.passphrase.text():
            self.error.setText("Enter the install passphrase.")
            return
        self.error.clear()
        self.set_busy(True)
        self._request = self._bridge.call(install.open_install, self._root,
                                          self.passphrase.text(), on_result=self._opened,
                                          on_error=self.failed)

    def _opened(self, console: Any) -> None:
        self._request = None
        self.console = console
        self.accept()

    def after_failure(self) -> None:
        self.passphrase.clear()
        self.passphrase.setFocus()
