"""The DSL's three changes to the phrase library, one small dialog each.

Add a phrase, add an exception to an entry, turn an entry off (with an optional reason for the
audit log). Each dialog asks the service through the bridge and closes only when the change is
committed; a refusal (an invalid regex, a duplicate, a two-letter word) shows inline and keeps
what was typed. On success `result` holds the entry as it now reads.

Threading: GUI thread only; the service calls run on the DB executor.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from app.domain.categories import CATEGORIES
from app.services import library
from app.services.console import Console
from app.services.library import PhraseDraft, PhraseView
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge
from app.ui.checking_dialog import CheckingDialog
from app.ui.look import severity_text

KINDS = (("phrase", "Word or phrase"), ("regex", "Regular expression"))
MATCHES = ((True, "Whole words only"), (False, "Also inside longer words"))


class _LibraryDialog(CheckingDialog):
    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 title: str, heading: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(title, heading, ok_text, parent, busy_text="Saving…")
        self._bridge, self._console, self._session = bridge, console, session
        self.result: PhraseView | None = None

    def _ask(self, fn: object, *args: object) -> None:
        self.error.clear()
        self.set_busy(True)
        self._request = self._bridge.call(fn, self._console, self._session, *args,  # type: ignore[arg-type]
                                          on_result=self._saved, on_error=self.failed)

    def _saved(self, view: PhraseView) -> None:
        self._request = None
        self.result = view
        self.accept()


class AddPhraseDialog(_LibraryDialog):
    """A new entry of the school's own; it fires on devices once they fetch the new version."""

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 category: str | None, parent: QWidget | None = None) -> None:
        super().__init__(bridge, console, session, "Add a phrase — Kestrel",
                         "Add a phrase to the library", "Add phrase", parent)
        self.setMinimumWidth(560)
        self.category = QComboBox()
        for c in CATEGORIES:
            self.category.addItem(c.name, c.key)
        if category is not None:
            self.category.setCurrentIndex(self.category.findData(category))
        self.pattern = QLineEdit()
        self.pattern.setMaxLength(200)
        self.pattern.setPlaceholderText("e.g. send me a pic")
        self.kind = _combo(KINDS)
        self.severity = _combo(tuple((n, severity_text(n)) for n in range(5, 0, -1)))
        self.severity.setCurrentIndex(self.severity.findData(3))
        self.whole = _combo(MATCHES)
        self.exceptions = QLineEdit()
        self.exceptions.setPlaceholderText("words that must not fire it, separated by ;")
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Why it matters: what a DSL should know when it fires")
        self.note.setFixedHeight(70)
        self.note.setTabChangesFocus(True)
        for label, widget in (("Category", self.category), ("Pattern", self.pattern),
                              ("Kind", self.kind), ("Severity", self.severity),
                              ("Match", self.whole), ("Exceptions", self.exceptions),
                              ("Why it matters", self.note)):
            self.form.addRow(label, widget)
        self.hint.setText("Spacing, capitals, look-alike letters and l33t spellings are "
                          "handled for you: type the phrase plainly.")
        self.hint.setVisible(True)
        self.pattern.setFocus()

    def _submit(self) -> None:
        draft = PhraseDraft(self.category.currentData(), self.pattern.text(),
                            self.kind.currentData(), self.severity.currentData(),
                            self.whole.currentData(), self.exceptions.text(),
                            " ".join(self.note.toPlainText().split()))
        self._ask(library.add_phrase, draft)


class ExceptionDialog(_LibraryDialog):
    """Text containing the exception (a place name, a food) no longer fires the entry."""

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 entry: PhraseView, parent: QWidget | None = None) -> None:
        super().__init__(bridge, console, session, "Add an exception — Kestrel",
                         f"Add an exception to '{entry.pattern}'", "Add exception", parent)
        self._key = entry.id
        self.exception = QLineEdit()
        self.exception.setMaxLength(200)
        self.exception.setPlaceholderText("e.g. Scunthorpe")
        self.form.addRow("Exception", self.exception)
        have = ", ".join(entry.exceptions) or "none yet"
        self.hint.setText(f"When the text around a match contains this word, the entry does "
                          f"not fire. Exceptions now: {have}.")
        self.hint.setVisible(True)
        self.exception.setFocus()

    def _submit(self) -> None:
        self._ask(library.add_exception, self._key, self.exception.text())


class TurnOffDialog(_LibraryDialog):
    """Devices stop matching the entry; the reason goes to the audit log."""

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 entry: PhraseView, parent: QWidget | None = None) -> None:
        super().__init__(bridge, console, session, "Turn off an entry — Kestrel",
                         f"Turn off '{entry.pattern}'?", "Turn off", parent)
        self._key = entry.id
        self.reason = QLineEdit()
        self.reason.setMaxLength(500)
        self.reason.setPlaceholderText("optional, e.g. fires on a GCSE set text")
        self.form.addRow("Reason", self.reason)
        self.hint.setText("Devices stop matching it when they next fetch the library. You can "
                          "turn it back on at any time; both changes are in the audit log.")
        self.hint.setVisible(True)
        self.reason.setFocus()

    def _submit(self) -> None:
        self._ask(library.set_enabled, self._key, False, self.reason.text())


def _combo(items: tuple[tuple[object, str], ...]) -> QComboBox:
    combo = QComboBox()
    for data, text in items:
        combo.addItem(text, data)
    return combo
