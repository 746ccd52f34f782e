"""The "Set up my school" form of the first-run wizard.

Collects the school's name, the first DSL's account and how the install key is kept (the OS
keyring by default, or a passphrase). Simple checks (matching passwords, length) happen here so
mistakes show at once; `install.create_install` runs through the bridge and has the last word.
If the OS keyring is refused as untrustworthy, its sentence is shown with a one-click switch
to passphrase mode.

Threading: GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import KestrelError, KeyringRefusedError, ValidationError
from app.security.passwords import check_password_policy
from app.services import install
from app.ui.bridge import ServiceBridge, user_message


def _secret() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class SetupForm(QWidget):
    """Emits `sig_created(console, recovery_key)` once the install exists; `sig_back` to leave."""

    sig_created = Signal(object, str)
    sig_back = Signal()

    def __init__(self, bridge: ServiceBridge, root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge, self._root = bridge, root
        self._request: int | None = None
        self.school = QLineEdit()
        self.username = QLineEdit()
        self.username.setPlaceholderText("lower-case, e.g. jsmith")
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText("as colleagues know you, e.g. Jo Smith")
        self.password, self.password_again = _secret(), _secret()
        self.keyring_mode = QRadioButton("Keep the install key in this computer's keyring "
                                         "(recommended)")
        self.passphrase_mode = QRadioButton("Protect the install with a passphrase typed at "
                                            "every start")
        self.keyring_mode.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.keyring_mode)
        modes.addButton(self.passphrase_mode)
        self.passphrase, self.passphrase_again = _secret(), _secret()
        self.error = QLabel()
        self.error.setObjectName("ErrorLine")
        self.error.setWordWrap(True)
        self.use_passphrase = QPushButton("Use a passphrase instead")
        self.use_passphrase.setVisible(False)
        self.create_button = QPushButton("Create the install")
        self.create_button.setObjectName("Primary")
        self._lay_out()
        self.passphrase_mode.toggled.connect(self._mode_changed)
        self.use_passphrase.clicked.connect(self._switch_to_passphrase)
        self.create_button.clicked.connect(self.submit)
        self._mode_changed(False)

    def _lay_out(self) -> None:
        title = QLabel("Set up your school")
        title.setObjectName("ScreenTitle")
        form = QFormLayout()
        form.setSpacing(10)
        form.addRow("School name", self.school)
        form.addRow("Your user name", self.username)
        form.addRow("Your name", self.display_name)
        form.addRow("Password (10+ characters)", self.password)
        form.addRow("Password again", self.password_again)
        form.addRow(self.keyring_mode)
        form.addRow(self.passphrase_mode)
        self._passphrase_rows = [QLabel("Install passphrase"), QLabel("Passphrase again")]
        form.addRow(self._passphrase_rows[0], self.passphrase)
        form.addRow(self._passphrase_rows[1], self.passphrase_again)
        back = QPushButton("Back")
        back.clicked.connect(self.sig_back)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.use_passphrase)
        buttons.addWidget(self.create_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addLayout(buttons)

    def _mode_changed(self, passphrase: bool) -> None:
        for widget in (*self._passphrase_rows, self.passphrase, self.passphrase_again):
            widget.setVisible(passphrase)

    def _switch_to_passphrase(self) -> None:
        self.passphrase_mode.setChecked(True)
        self.use_passphrase.setVisible(False)
        self.error.setText("Choose an install passphrase. It is asked for every time Kestrel "
                           "starts; keep it as safe as the recovery key.")
        self.passphrase.setFocus()

    def checked_values(self) -> dict[str, object]:
        """The form as `create_install` arguments, or ValidationError with a sentence."""
        if self.password.text() != self.password_again.text():
            raise ValidationError("The two passwords are not the same.")
        check_password_policy(self.password.text())
        mode = "passphrase" if self.passphrase_mode.isChecked() else "keyring"
        passphrase = None
        if mode == "passphrase":
            if self.passphrase.text() != self.passphrase_again.text():
                raise ValidationError("The two passphrases are not the same.")
            if len(self.passphrase.text()) < 10:
                raise ValidationError("The passphrase must be at least 10 characters long.")
            passphrase = self.passphrase.text()
        return {"school_name": self.school.text(), "dsl_username": self.username.text(),
                "dsl_display_name": self.display_name.text(),
                "dsl_password": self.password.text(), "key_mode": mode,
                "passphrase": passphrase}

    def submit(self) -> None:
        if self._request is not None:
            return
        try:
            values = self.checked_values()
        except KestrelError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("Creating the keys and the encrypted database…")
        self.create_button.setEnabled(False)
        self.use_passphrase.setVisible(False)
        self._request = self._bridge.call(install.create_install, self._root,
                                          on_result=self._created, on_error=self._failed,
                                          **values)

    def _created(self, result: tuple[object, str]) -> None:
        self._request = None
        self.create_button.setEnabled(True)
        self.error.clear()
        console, recovery_key = result
        self.sig_created.emit(console, recovery_key)

    def _failed(self, exc: BaseException) -> None:
        self._request = None
        self.create_button.setEnabled(True)
        self.error.setText(user_message(exc))
        if isinstance(exc, KeyringRefusedError):
            self.use_passphrase.setVisible(True)
