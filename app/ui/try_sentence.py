"""The Library screen's "Try a sentence" panel: what would fire on a sentence, and why.

It asks `library.try_sentence` 250 ms after the typing stops (or at once on Enter), then shows
the sentence with each matched span highlighted in a tint of its severity colour, and one line
per match. Each answer carries the id of the request that asked for it; an answer to anything
but the latest question is ignored.

Threading: GUI thread only; the service call goes through `ServiceBridge` (DB executor).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.services import library
from app.services.console import Console
from app.services.library import TriedMatch
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.debounce import debounce_timer
from app.ui.look import MUTED, SEVERITY_COLOURS, severity_dot

TRY_DEBOUNCE_MS = 250
TRY_BOX_HEIGHT = 84  # about four lines: the table keeps most of the screen
MAX_SENTENCE = 10_000  # the service reads no further


def highlight_colour(severity: int) -> QColor:
    """A soft tint of the severity colour, light enough to read dark text on."""
    base = QColor(SEVERITY_COLOURS.get(severity, "#8a9bb0"))
    mix = 0.32
    return QColor(*(round(255 + (channel - 255) * mix)
                    for channel in (base.red(), base.green(), base.blue())))


def utf16_offset(text: str, index: int) -> int:
    """Python counts code points; QTextDocument counts UTF-16 units (emoji take two)."""
    return len(text[:index].encode("utf-16-le")) // 2


def fires_line(match: TriedMatch) -> str:
    phrase = match.phrase if len(match.phrase) <= 60 else match.phrase[:59] + "…"
    seen = "" if match.text.casefold() == match.phrase.casefold() else f" (as '{match.text}')"
    return (f"fires: {match.category_name} · severity {match.severity} · '{phrase}'{seen}"
            f" — {match.note}")


class SentenceTrial(QFrame):
    """"Try a sentence": asks `try_sentence` 250 ms after the typing stops and shows the
    sentence with each matched span highlighted, plus one line per match.
    `sig_tried(matches)` fires when an answer for the current text is shown."""

    sig_tried = Signal(object)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TryPanel")
        self._bridge, self._console, self._session = bridge, console, session
        self._request: int | None = None
        self.input = QLineEdit()
        self.input.setMaxLength(MAX_SENTENCE)
        self.input.setClearButtonEnabled(True)
        self.input.setPlaceholderText("Type or paste a sentence to see what would fire, and why")
        self.sentence = QTextEdit()
        self.sentence.setObjectName("TriedSentence")
        self.sentence.setReadOnly(True)
        self.sentence.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.sentence.setPlaceholderText("Matched words are highlighted here.")
        self.fires = QListWidget()
        self.fires.setObjectName("FiresList")
        self.fires.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.status = QLabel()
        self.status.setObjectName("Muted")
        self.error = QLabel()
        self.error.setObjectName("ErrorLine")
        self._debounce = debounce_timer(self, TRY_DEBOUNCE_MS, self.try_now)
        self.input.textChanged.connect(self._debounce.start)
        self.input.returnPressed.connect(self.try_now)
        self._lay_out()
        self._show_empty()

    def _lay_out(self) -> None:
        title = QLabel("Try a sentence")
        title.setObjectName("PanelTitle")
        heading = QHBoxLayout()
        heading.addWidget(title)
        heading.addSpacing(10)
        heading.addWidget(self.status)
        heading.addWidget(self.error, 1)
        for box in (self.sentence, self.fires):
            box.setFixedHeight(TRY_BOX_HEIGHT)
        results = QHBoxLayout()
        results.setSpacing(10)
        results.addWidget(self.sentence, 2)
        results.addWidget(self.fires, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(8)
        layout.addLayout(heading)
        layout.addWidget(self.input)
        layout.addLayout(results)

    def try_now(self) -> None:
        """Ask at once (Enter, or when the typing pauses); an older question is dropped."""
        self._debounce.stop()
        if self._request is not None:
            self._bridge.forget(self._request)
            self._request = None
        text = self.input.text()[:MAX_SENTENCE]
        if not text.strip():
            self._show_empty()
            return
        # The callbacks read `request` when the answer arrives (queued, so always after the
        # assignment): an answer that is no longer the latest question is ignored.
        self._request = request = self._bridge.call(
            library.try_sentence, self._console, self._session, text,
            on_result=lambda matches: self._answered(request, text, matches),
            on_error=lambda exc: self._failed(request, exc))

    def _answered(self, request: int, text: str, matches: list[TriedMatch]) -> None:
        if request != self._request:
            return  # a newer sentence was asked about since
        self._request = None
        self.error.clear()
        self._show_sentence(text, matches)
        self._show_fires(matches)
        count = len(matches)
        self.status.setText(f"{count} match{'es' if count != 1 else ''}" if count else "")
        self.sig_tried.emit(matches)

    def _failed(self, request: int, exc: BaseException) -> None:
        if request == self._request:
            self._request = None
            self.sentence.clear()
            self.fires.clear()
            self.status.clear()
            self.error.setText(user_message(exc))

    def _show_empty(self) -> None:
        self.sentence.clear()
        self.fires.clear()
        self.status.clear()
        self.error.clear()

    def _show_sentence(self, text: str, matches: Sequence[TriedMatch]) -> None:
        self.sentence.setPlainText(text)
        cursor = QTextCursor(self.sentence.document())
        for match in sorted(matches, key=lambda m: m.severity):  # most severe painted last
            cursor.setPosition(utf16_offset(text, match.start))
            cursor.setPosition(utf16_offset(text, match.end), QTextCursor.MoveMode.KeepAnchor)
            marked = QTextCharFormat()
            marked.setBackground(highlight_colour(match.severity))
            marked.setToolTip(fires_line(match))
            cursor.mergeCharFormat(marked)

    def _show_fires(self, matches: Sequence[TriedMatch]) -> None:
        self.fires.clear()
        if not matches:
            item = QListWidgetItem("Nothing would fire.", self.fires)
            item.setForeground(MUTED)
        for match in matches:
            item = QListWidgetItem(severity_dot(match.severity), fires_line(match), self.fires)
            item.setToolTip(f"{match.phrase_id}: {match.phrase}")
