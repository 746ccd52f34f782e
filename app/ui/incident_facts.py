"""The evidence viewer's side panel: what happened, where, when, the matches, the captured
text, whether the evidence verifies, and who has seen it.

Threading: GUI thread only; it only displays what the viewer hands it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import CATEGORY_BY_KEY
from app.domain.detail import IncidentDetail, Sighting
from app.ui.incident_text import category_colour, highlighted_html
from app.ui.look import format_when, severity_text

SIGNATURE_WORDS = {"valid": "device signature valid", "verified": "device signature valid",
                   "invalid": "device signature INVALID", "unknown": "signature not checked"}


def skew_text(seconds: int | None) -> str:
    if seconds is None:
        return "not reported"
    if abs(seconds) < 5:
        return "in step with the console"
    minutes, rest = divmod(abs(seconds), 60)
    amount = f"{minutes} min {rest} s" if minutes else f"{rest} s"
    return f"device clock {amount} {'ahead' if seconds > 0 else 'behind'}"


class IncidentFacts(QWidget):
    """Facts, matches (select one to centre its box), captured text, verification, seen by."""

    sig_match_chosen = Signal(int)  # index into detail.matches

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("IncidentFacts")
        self.heading = QLabel()
        self.heading.setObjectName("ScreenTitle")
        self.heading.setWordWrap(True)
        self.facts = QFormLayout()
        self.facts.setSpacing(6)
        self.matches = QListWidget()
        self.matches.setMaximumHeight(110)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.verification = QLabel()
        self.verification.setWordWrap(True)
        self.verification.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.timeline_button = QPushButton("Pupil timeline  (t)")
        self.timeline_button.setEnabled(False)
        self.seen = QLabel("—")
        self.seen.setObjectName("Muted")
        self.seen.setWordWrap(True)
        self._lay_out()
        self.matches.currentRowChanged.connect(self._chosen)

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addWidget(self.heading)
        layout.addLayout(self.facts)
        layout.addWidget(self.timeline_button, 0, Qt.AlignmentFlag.AlignLeft)
        for title, widget, stretch in (("Matches  (n / p to step)", self.matches, 0),
                                       ("Captured text", self.text, 1),
                                       ("Verification", self.verification, 0),
                                       ("Seen by", self.seen, 0)):
            label = QLabel(title)
            label.setObjectName("SectionTitle")
            layout.addWidget(label)
            layout.addWidget(widget, stretch)

    def show_detail(self, detail: IncidentDetail) -> None:
        category = CATEGORY_BY_KEY.get(detail.category_key)
        self.heading.setText(f"{category.name if category else detail.category_key} · "
                             f"{severity_text(detail.severity)} · {detail.status.label}")
        self._fill_facts(detail)
        self.timeline_button.setEnabled(detail.subject_id is not None)
        self.matches.clear()
        for match in detail.matches:
            item = QListWidgetItem(f"“{match.text}”  ·  {_category_name(match.category_key)}")
            item.setForeground(Qt.GlobalColor.black)
            item.setData(Qt.ItemDataRole.DecorationRole, _swatch(match.category_key))
            self.matches.addItem(item)
        if detail.content_sealed or detail.context is None:
            self.text.setPlainText("Content locked: sign in as the DSL or a deputy to open it.")
        else:
            self.text.setHtml(highlighted_html(detail.context, detail.matches))
        self.verification.setText(_verification_text(detail))
        self.seen.setText("…")

    def show_sightings(self, sightings: list[Sighting]) -> None:
        lines = [f"{format_when(s.when)} · {s.who} {s.what}"
                 + (f" — “{s.reason}”" if s.reason else "") for s in sightings[:8]]
        self.seen.setText("\n".join(lines) or "No one yet.")

    def step(self, delta: int) -> None:
        count = self.matches.count()
        if count:
            row = self.matches.currentRow()
            self.matches.setCurrentRow((row + delta) % count if row >= 0 else 0)

    def _chosen(self, row: int) -> None:
        if row >= 0:
            self.sig_match_chosen.emit(row)

    def _fill_facts(self, d: IncidentDetail) -> None:
        while self.facts.rowCount():
            self.facts.removeRow(0)
        pupil = d.subject_name or "unknown pupil"
        if d.year_group is not None:
            pupil += f" · Year {d.year_group}"
        rows = (("Pupil", pupil), ("Device", d.device_name),
                ("App", d.app or "—"), ("Window", d.window_title or "—"),
                ("Address", d.url or "—"),
                ("Captured", f"{format_when(d.captured_at)} (device clock, "
                             f"{'typed' if d.source == 'typed' else 'on screen'})"),
                ("Received", f"{format_when(d.received_at)} · {skew_text(d.clock_skew_s)}"))
        for name, value in rows:
            label = QLabel(value)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(name, label)


def _category_name(key: str) -> str:
    info = CATEGORY_BY_KEY.get(key)
    return info.name if info else key


def _swatch(key: str) -> QColor:
    return QColor(category_colour(key))


def _verification_text(d: IncidentDetail) -> str:
    parts = [SIGNATURE_WORDS.get(d.signature_status, d.signature_status),
             f"library {d.library_version}"]
    for e in d.evidence:
        state = ("verified" if e.verification == "verified"
                 else "VERIFICATION FAILED — the file was altered")
        parts.append(f"{e.kind}: {state}\nsealed SHA-256 {e.sealed_sha256}\n"
                     f"plaintext SHA-256 {e.plaintext_sha256}")
    return "\n".join(parts)
