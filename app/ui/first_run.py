"""The first-run wizard: "Set up my school" or "Try the demo school".

Setting up creates the install (through the bridge), shows the recovery key once and asks for
two of its groups back before finishing. Choosing the demo only records the choice: the caller
creates the demo school with a progress dialog, in its own data folder.

Threading: GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.console import Console
from app.ui.bridge import ServiceBridge
from app.ui.recovery_key_page import ConfirmKeyPage, RecoveryKeyPage
from app.ui.setup_form import SetupForm

SCHOOL, DEMO = "school", "demo"


class FirstRunWizard(QDialog):
    """After `exec()` returns Accepted, `choice` is SCHOOL (with `console` open) or DEMO."""

    def __init__(self, bridge: ServiceBridge, school_root: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Kestrel")
        self.resize(720, 560)
        self.choice: str | None = None
        self.console: Console | None = None
        self.username: str | None = None  # the new DSL's, to pre-fill the sign-in
        self._recovery_key = ""
        self.pages = QStackedWidget()
        self.choose = self._choice_page()
        self.setup = SetupForm(bridge, school_root)
        self.key_page = RecoveryKeyPage()
        self.confirm = ConfirmKeyPage()
        for page in (self.choose, self.setup, self.key_page, self.confirm):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.addWidget(self.pages)
        self.setup.sig_back.connect(lambda: self.pages.setCurrentWidget(self.choose))
        self.setup.sig_created.connect(self._created)
        self.key_page.sig_written_down.connect(self._ask_for_groups)
        self.confirm.sig_back.connect(lambda: self.pages.setCurrentWidget(self.key_page))
        self.confirm.sig_confirmed.connect(self._finish)

    def _choice_page(self) -> QWidget:
        page = QWidget()
        title = QLabel("Welcome to Kestrel")
        title.setObjectName("ScreenTitle")
        intro = QLabel("Kestrel gathers safeguarding alerts from school devices so the "
                       "designated safeguarding lead can triage them calmly and keep a record.")
        intro.setWordWrap(True)
        self.school_button = school = self._big_button("Set up my school",
                                  "Create this school's encrypted install and your DSL "
                                  "account.")
        self.demo_button = demo = self._big_button("Try the demo school",
                                "Look around a made-up school with months of synthetic "
                                "alerts. Kept apart from any real school's data.")
        school.clicked.connect(lambda: self.pages.setCurrentWidget(self.setup))
        demo.clicked.connect(self._choose_demo)
        layout = QVBoxLayout(page)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(16)
        layout.addWidget(school)
        layout.addWidget(demo)
        layout.addStretch(1)
        return page

    @staticmethod
    def _big_button(title: str, detail: str) -> QCommandLinkButton:
        button = QCommandLinkButton(title, detail)
        button.setObjectName("ChoiceButton")
        button.setAutoDefault(False)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        return button

    def _choose_demo(self) -> None:
        self.choice = DEMO
        self.accept()

    def _created(self, console: Console, recovery_key: str) -> None:
        self.console = console
        self.choice = SCHOOL
        self.username = self.setup.username.text().strip().lower()
        self._recovery_key = recovery_key
        self.key_page.show_key(recovery_key)
        self.pages.setCurrentWidget(self.key_page)

    def _ask_for_groups(self) -> None:
        self.confirm.ask_for(self._recovery_key)
        self.pages.setCurrentWidget(self.confirm)

    def _finish(self) -> None:
        self._recovery_key = ""
        self.key_page.forget()
        self.accept()

    def reject(self) -> None:
        if self.console is not None:
            return  # the install exists: the key must be confirmed before leaving
        super().reject()
