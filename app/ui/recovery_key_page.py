"""Showing the recovery key once, and checking it was written down.

The key appears in large monospace with plain guidance. The person then types back two of its
groups, chosen at random, before the wizard finishes: cheap proof that the key is on paper,
not just on the screen.

Threading: GUI thread only.
"""

from __future__ import annotations

import random

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.security.recovery import groups

GUIDANCE = (
    "This is the install's recovery key. Print this screen or write the key down now, and keep "
    "it somewhere safe and locked, away from this computer (the school safe is a good place). "
    "Kestrel shows it only this once. If this computer's keyring is lost or the passphrase is "
    "forgotten, the recovery key is the only way to open the school's records again."
)
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")


class RecoveryKeyPage(QWidget):
    """Shows the key; `sig_written_down` when the person says they have it on paper."""

    sig_written_down = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Write down your recovery key")
        title.setObjectName("ScreenTitle")
        guidance = QLabel(GUIDANCE)
        guidance.setWordWrap(True)
        self.key_label = QLabel()
        self.key_label.setObjectName("RecoveryKey")
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(20)
        self.key_label.setFont(font)
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.key_label.setWordWrap(True)
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        done = QPushButton("I have written it down")
        done.setObjectName("Primary")
        done.clicked.connect(self.sig_written_down)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(done)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(guidance)
        layout.addSpacing(8)
        layout.addWidget(self.key_label)
        layout.addStretch(1)
        layout.addLayout(buttons)

    def show_key(self, formatted_key: str) -> None:
        # Two lines of four groups read more easily from paper than one long line.
        parts = groups(formatted_key)
        half = (len(parts) + 1) // 2
        self.key_label.setText("  ".join(parts[:half]) + "\n" + "  ".join(parts[half:]))

    def forget(self) -> None:
        self.key_label.clear()


class ConfirmKeyPage(QWidget):
    """Asks for two groups of the key chosen at random; `sig_confirmed` when both match."""

    sig_confirmed = Signal()
    sig_back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._expected: list[str] = []
        self.positions: list[int] = []
        title = QLabel("Check the recovery key")
        title.setObjectName("ScreenTitle")
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.first, self.second = QLineEdit(), QLineEdit()
        self.first_label, self.second_label = QLabel(), QLabel()
        mono = QFont("DejaVu Sans Mono")
        mono.setPointSize(14)
        for field in (self.first, self.second):
            field.setFont(mono)
            field.setMaxLength(8)
            field.returnPressed.connect(self.check)
        form = QFormLayout()
        form.addRow(self.first_label, self.first)
        form.addRow(self.second_label, self.second)
        self.error = QLabel()
        self.error.setObjectName("ErrorLine")
        back = QPushButton("Show the key again")
        back.clicked.connect(self.sig_back)
        finish = QPushButton("Finish")
        finish.setObjectName("Primary")
        finish.clicked.connect(self.check)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(finish)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addLayout(buttons)

    def ask_for(self, formatted_key: str, rng: random.Random | None = None) -> None:
        parts = groups(formatted_key)
        self.positions = sorted((rng or random.SystemRandom()).sample(range(len(parts)), 2))
        self._expected = [parts[i] for i in self.positions]
        names = [_ORDINALS[i] if i < len(_ORDINALS) else f"#{i + 1}" for i in self.positions]
        self.intro.setText("From your written copy, type these two groups of the key "
                           "(capitals or not, either is fine).")
        self.first_label.setText(f"The {names[0]} group")
        self.second_label.setText(f"The {names[1]} group")
        self.first.clear()
        self.second.clear()
        self.error.clear()
        self.first.setFocus()

    def check(self) -> None:
        typed = [_clean(self.first.text()), _clean(self.second.text())]
        if typed == [g.upper() for g in self._expected]:
            self.error.clear()
            self.sig_confirmed.emit()
        else:
            self.error.setText("That does not match the key. Check your written copy; you "
                               "can show the key again.")


def _clean(text: str) -> str:
    return "".join(text.split()).replace("-", "").upper()
