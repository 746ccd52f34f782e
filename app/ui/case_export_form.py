"""The two faces of the export dialog: `ExportForm` (the agency pack, the purpose, where to
save, the PDF password and the person's own password, with `problem()` naming what is missing)
and `ExportResultView` (what was written, its SHA-256 and a picture of its first two pages).
`preview_images` makes that picture from the written file.

Threading: GUI thread only, apart from `preview_images`, which the dialog runs on the DB
executor through the bridge: it renders the written file's pages into QImages (safe off the
GUI thread, unlike QPixmap) and touches no widget.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.cases import CaseSummary
from app.errors import IntegrityError
from app.services import case_export, report_preview
from app.services.case_export import ExportResult

PREVIEW_WIDTH = 270  # logical pixels per page: two pages side by side in a modest dialog


def preview_images(pdf: Path, password: str | None) -> list[QImage]:
    """The first two pages as QImages, decoded here so the GUI thread only paints them."""
    images = [QImage.fromData(png) for png in report_preview.first_pages(
        pdf, password, pages=2, width_px=PREVIEW_WIDTH * 2)]  # 2×: sharp on high-DPI screens
    if any(image.isNull() for image in images):
        raise IntegrityError("The preview pages could not be decoded.")
    return images


def _password_field(placeholder: str = "") -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    return field


class ExportForm(QWidget):
    """The choices; `problem()` names what is missing before anything is asked of a service."""

    def __init__(self, case: CaseSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reference = case.reference
        self.template = QComboBox()
        for key, agency in case_export.TEMPLATES.items():
            self.template.addItem(f"Referral to {agency}", key)
        self.purpose = QLineEdit()
        self.purpose.setPlaceholderText("e.g. Referral to police: sextortion of a Year 9 pupil")
        self.output = QLineEdit(str(self._default_path()))
        self.browse = QPushButton("Choose…")
        self.browse.setAutoDefault(False)  # Enter exports; it never opens the picker
        self.pdf_password = _password_field("Optional: the agency will need it to open the PDF")
        self.pdf_confirm = _password_field("Type it again")
        self.own_password = _password_field("Your Kestrel password, to confirm it is you")
        where = QHBoxLayout()
        where.addWidget(self.output, 1)
        where.addWidget(self.browse)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setSpacing(10)
        for label, field in (("Agency pack", self.template), ("Purpose", self.purpose),
                             ("Save as", where), ("PDF password", self.pdf_password),
                             ("Confirm", self.pdf_confirm), ("Your password", self.own_password)):
            form.addRow(label, field)
        self.template.currentIndexChanged.connect(self._template_changed)
        self.browse.clicked.connect(self._choose_file)
        self._last_default = self.output.text()
        self.replace_ok: Path | None = None  # a file the person has agreed to replace

    def template_key(self) -> str:
        return str(self.template.currentData())

    def out_path(self) -> Path:
        path = Path(self.output.text().strip()).expanduser()
        return path if path.suffix.lower() == ".pdf" else path.with_name(path.name + ".pdf")

    def pdf_secret(self) -> str | None:
        return self.pdf_password.text() or None

    def problem(self) -> str | None:
        if not self.purpose.text().strip():
            return "Say what the referral is for."
        if not self.output.text().strip():
            return "Choose where to save the PDF."
        if self.pdf_password.text() != self.pdf_confirm.text():
            return "The two PDF passwords are different; type them again."
        if not self.own_password.text():
            return "Enter your own password: exporting asks for it again."
        return None

    def _default_path(self) -> Path:
        return Path.home() / f"{self._reference}-{self.template.currentData()}.pdf"

    def _template_changed(self) -> None:
        if self.output.text() == self._last_default:  # follow the pack until a path is chosen
            self._last_default = str(self._default_path())
            self.output.setText(self._last_default)

    def _choose_file(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Save the referral PDF — Kestrel",
                                                str(self.out_path()), "PDF files (*.pdf)")
        if chosen:
            self.output.setText(chosen)
            self.replace_ok = self.out_path()  # the picker has already asked about replacing


class ExportResultView(QWidget):
    """What was written: where, how many pages, its SHA-256, and a picture of pages 1–2."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.where, self.page_count, self.sha256 = QLabel(), QLabel(), QLabel()
        self.where.setWordWrap(True)
        self.sha256.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        for label in (self.where, self.sha256):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_folder = QPushButton("Show in folder")
        self.show_folder.setAutoDefault(False)
        facts = QFormLayout()
        facts.setSpacing(6)
        for label, value in (("Written", self.where), ("Pages", self.page_count),
                             ("SHA-256", self.sha256)):
            facts.addRow(label, value)
        facts.addRow("", self.show_folder)
        facts.setAlignment(self.show_folder, Qt.AlignmentFlag.AlignLeft)
        self.pages = [QLabel("Preparing the preview…") for _ in range(2)]
        row = QHBoxLayout()
        for page in self.pages:
            page.setObjectName("Muted")
            page.setAlignment(Qt.AlignmentFlag.AlignCenter)
            page.setFixedSize(PREVIEW_WIDTH + 2, round(PREVIEW_WIDTH * 1.414) + 2)  # A4
            page.setStyleSheet("border: 1px solid #cbd2d9; background: #ffffff;")
            row.addWidget(page)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addLayout(facts)
        layout.addLayout(row)

    def show_result(self, result: ExportResult) -> None:
        self.where.setText(f"{result.pdf.name} and {result.manifest.name}, in "
                           f"{result.pdf.parent}")
        self.page_count.setText(str(result.pages))
        self.sha256.setText(result.pdf_sha256)

    def show_pages(self, images: list[QImage]) -> None:
        for label, image in zip(self.pages, images, strict=False):
            ratio = label.devicePixelRatioF()
            pixmap = QPixmap.fromImage(image.scaledToWidth(
                round(PREVIEW_WIDTH * ratio), Qt.TransformationMode.SmoothTransformation))
            pixmap.setDevicePixelRatio(ratio)
            label.setPixmap(pixmap)
        for label in self.pages[len(images):]:
            label.setText("(no second page)")
