"""The evidence viewer: one incident's screenshot with the matches boxed, beside its facts.

`load(incident_id)` asks for the incident (an audited view), then its screenshot (an audited
open, decoded off the GUI thread). Restricted imagery arrives blurred from the service; a DSL
may reveal it with a reason, and it blurs again as soon as the viewer moves to another
incident or closes, because the revealed pixels live only in this view. A file that fails its
hash check shows a persistent "verification failed" panel, never the image.

Keys: n / p step through the matches (each centres and flashes its box), + / - / 0 / 1 zoom.

Threading: GUI thread only; service calls go through the bridge.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.detail import EvidenceInfo, IncidentDetail
from app.errors import IntegrityError
from app.security.authorisation import Permission, allowed
from app.services import evidence, incident_view
from app.services.console import Console
from app.services.users import UserSession
from app.ui.bridge import ServiceBridge, user_message
from app.ui.evidence_canvas import BoxMark, EvidenceCanvas
from app.ui.evidence_loading import LoadedImage, RevealDialog, opened_image
from app.ui.incident_facts import IncidentFacts
from app.ui.incident_text import category_colour

BLURRED_TEXT = ("Restricted imagery — blurred. It may be an indecent image of a child; only "
                "the DSL may reveal it, and the reason is recorded.")


class EvidenceViewer(QWidget):
    """Screenshot + facts for one incident at a time. `sig_loaded(incident_id)` fires once the
    incident and (if any) its image are shown; `sig_failed(message)` when loading failed."""

    sig_loaded = Signal(int)
    sig_failed = Signal(str)

    def __init__(self, bridge: ServiceBridge, console: Console, session: UserSession,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge, self._console, self._session = bridge, console, session
        self.detail: IncidentDetail | None = None
        self.loaded: LoadedImage | None = None
        self._incident_id: int | None = None
        self.canvas = EvidenceCanvas()
        self.facts = IncidentFacts()
        self.banner = QLabel(BLURRED_TEXT)
        self.banner.setObjectName("BlurBanner")
        self.banner.setWordWrap(True)
        self.reveal_button = QPushButton("Reveal…")
        self.reveal_button.setVisible(False)
        self.notice = QLabel()
        self.notice.setObjectName("FailedBanner")
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.canvas)
        self.pages.addWidget(self.notice)
        self._lay_out()
        self.facts.sig_match_chosen.connect(self.canvas.focus_match)
        self.reveal_button.clicked.connect(self.ask_reveal)

    def _lay_out(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.banner, 1)
        bar.addWidget(self.reveal_button)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(bar)
        column.addWidget(self.pages, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.facts)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._set_blurred(False)

    # --- loading ----------------------------------------------------------------------------
    def load(self, incident_id: int) -> None:
        """Show another incident: whatever was revealed is dropped first."""
        self._incident_id, self.detail, self.loaded = incident_id, None, None
        self.canvas.clear()
        self._set_blurred(False)
        self._show_notice("Opening…", failed=False)
        self._bridge.call(incident_view.view_incident, self._console, self._session,
                          incident_id, on_result=lambda d: self._shown(incident_id, d),
                          on_error=lambda exc: self._failed(incident_id, exc), owner=self)

    def forget(self) -> None:
        """Drop the picture (revealed or not) and ignore answers still on their way."""
        self._incident_id, self.detail, self.loaded = None, None, None
        self.canvas.clear()
        self._set_blurred(False)

    def _shown(self, incident_id: int, detail: IncidentDetail) -> None:
        if incident_id != self._incident_id:
            return  # the DSL has moved on
        self.detail = detail
        self.facts.show_detail(detail)
        shot = next((e for e in detail.evidence if e.kind == "screenshot"), None)
        if shot is None:
            self._show_notice("No screenshot: this incident was typed text only.", failed=False)
            self._done(incident_id)
        elif shot.verification != "verified":
            self._show_notice(_failed_text(shot), failed=True)
            self._done(incident_id)
        else:
            self._bridge.call(opened_image, evidence.open_evidence, self._console,
                              self._session, shot.id,
                              on_result=lambda img: self._image(incident_id, img),
                              on_error=lambda exc: self._failed(incident_id, exc), owner=self)

    def _image(self, incident_id: int, loaded: LoadedImage) -> None:
        if not self._current(incident_id) or self.detail is None:
            return
        self.loaded = loaded
        self.canvas.show_image(loaded.image, self._marks(self.detail))
        self.pages.setCurrentWidget(self.canvas)
        self._set_blurred(loaded.opened.blurred)
        self._done(incident_id)

    def _failed(self, incident_id: int, exc: BaseException) -> None:
        if not self._current(incident_id):
            return
        if isinstance(exc, IntegrityError) and self.detail is not None:
            shot = next((e for e in self.detail.evidence if e.kind == "screenshot"), None)
            self._show_notice(_failed_text(shot), failed=True)
        else:
            self._show_notice(user_message(exc), failed=True)
        self._refresh_sightings(incident_id)
        self.sig_failed.emit(user_message(exc))

    def _done(self, incident_id: int) -> None:
        self._refresh_sightings(incident_id)
        self.sig_loaded.emit(incident_id)

    def _refresh_sightings(self, incident_id: int) -> None:
        """Who has seen it, this view and open included (so asked once they are audited)."""
        self._bridge.call(incident_view.sightings, self._console, self._session, incident_id,
                          on_result=lambda s: self._current(incident_id)
                          and self.facts.show_sightings(s), owner=self)

    def _current(self, incident_id: int) -> bool:
        return incident_id == self._incident_id

    def _marks(self, detail: IncidentDetail) -> list[BoxMark]:
        if self.loaded is not None and self.loaded.opened.blurred:
            return []  # a box over a blurred word would say where to look, and nothing more
        return [BoxMark(x, y, w, h, category_colour(m.category_key), index)
                for index, m in enumerate(detail.matches) for (x, y, w, h) in m.boxes]

    # --- restricted imagery ------------------------------------------------------------------
    def can_reveal(self) -> bool:
        return allowed(self._session.role, Permission.REVEAL_RESTRICTED)

    def ask_reveal(self) -> None:
        if self.loaded is None or not self.loaded.opened.blurred or not self.can_reveal():
            return
        dialog = RevealDialog(self._bridge, self._console, self._session,
                              self.loaded.opened.evidence_id, self)
        if dialog.exec() and dialog.result is not None and self.detail is not None:
            self.loaded = dialog.result
            self.canvas.show_image(dialog.result.image, self._marks(self.detail))
            self._set_blurred(False)
            self._refresh_sightings(self.detail.id)

    def _set_blurred(self, blurred: bool) -> None:
        self.banner.setVisible(blurred)
        self.reveal_button.setVisible(blurred and self.can_reveal())

    def _show_notice(self, text: str, failed: bool) -> None:
        self.notice.setText(text)
        self.notice.setObjectName("FailedBanner" if failed else "Muted")
        self.notice.style().polish(self.notice)
        self.pages.setCurrentWidget(self.notice)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_N:
            self.facts.step(1)
        elif key == Qt.Key.Key_P:
            self.facts.step(-1)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus, Qt.Key.Key_0,
                     Qt.Key.Key_1):
            self.canvas.keyPressEvent(event)
        else:
            super().keyPressEvent(event)


def _failed_text(shot: EvidenceInfo | None) -> str:
    sha = f"\nRecorded SHA-256 {shot.sealed_sha256}" if shot is not None else ""
    return ("Verification failed: this screenshot no longer matches the hash recorded when it "
            "arrived, so it is not shown. The finding is in the audit log; keep the file for "
            f"investigation.{sha}")
