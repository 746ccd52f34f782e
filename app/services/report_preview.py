"""Pictures of the first pages of a written PDF, for the export dialog's preview.

PySide6-Essentials has no QtPdf, so the pages are rasterised with PDFium (pypdfium2) and handed
over as PNG bytes: no Qt here, and the UI only decodes a small PNG. The file previewed is the
one already written and hashed, so what a DSL sees is exactly what was sent — not a second
rendering of the snapshot that could differ from it.

Threading: call off the GUI thread (the DB executor via the bridge is fine). PDFium is not
thread-safe, so it must not be called from two threads at once; the one executor ensures that.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from app.errors import ValidationError
from app.security.pdf_encryption import password_bytes


def first_pages(pdf: Path, password: str | None, pages: int = 2,
                width_px: int = 700) -> list[bytes]:
    """PNGs of up to `pages` leading pages of `pdf`, each `width_px` wide.
    Raises ValidationError if the file cannot be opened (missing, damaged, wrong password)."""
    if pages < 1 or not 50 <= width_px <= 4000:
        raise ValidationError("Ask for at least one page, 50 to 4,000 pixels wide.")
    # The same SASLprep the writer used, so a password with accents opens what it locked.
    secret = password_bytes(password).decode("utf-8", "ignore") if password is not None else None
    try:
        document = pdfium.PdfDocument(Path(pdf), password=secret)
    except pdfium.PdfiumError as exc:
        why = ("the password does not open it" if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD
               else "PDFium cannot read it")
        raise ValidationError(f"{Path(pdf).name} was written, but its preview cannot be "
                              f"shown: {why}.") from None
    except OSError as exc:
        raise ValidationError(f"{Path(pdf).name} cannot be read for its preview: "
                              f"{exc.strerror or 'the disk refused it'}.") from None
    try:
        return [_page_png(document[n], width_px)
                for n in range(min(pages, len(document)))]
    finally:
        document.close()


def _page_png(page: pdfium.PdfPage, width_px: int) -> bytes:
    try:
        scale = width_px / page.get_width()  # page widths are in points
        image = page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.convert("RGB").save(out, "PNG", optimize=False)
        return out.getvalue()
    finally:
        page.close()
