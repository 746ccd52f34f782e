"""Writing a Kestrel PDF safely: a hidden temporary file beside the destination, renamed over it
only when complete, hashed as written — so an error, a cancel or a full disk leaves nothing
behind, and the caller gets the SHA-256 it will put in the manifest and the audit log.

Also the one-frame A4 document every report lays out into (headings that carry `_bookmark`
become the PDF outline).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from reportlab import rl_config
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from app.errors import KestrelError, ValidationError
from app.reports.pdf_base import (
    FRAME_HEIGHT,
    FRAME_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    clean,
    numbered_canvas,
    register_fonts,
)


class ReportCancelled(KestrelError):
    """The person cancelled the export; no file was written."""


@dataclass(frozen=True)
class RenderedReport:
    path: Path
    sha256: str
    pages: int


def write_pdf(out: Path, build: Callable[[IO[bytes]], int],
              was_cancelled: Callable[[], bool] = lambda: False) -> RenderedReport:
    """Run `build(file) -> pages` into a temporary file beside `out`, then put it in place.
    OSErrors become a sentence; a build stopped because `was_cancelled()` says so becomes
    ReportCancelled."""
    out = Path(out)
    register_fonts()
    folder = out.parent
    if not folder.is_dir():
        raise ValidationError(f"Cannot write the report: the folder {folder} does not exist.")
    try:
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".part")
    except OSError as exc:
        raise ValidationError(f"Cannot write the report to {folder}: "
                              f"{exc.strerror or 'the folder refused it'}.") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w+b") as fh:  # mkstemp makes it owner-only (0600)
            with binary_streams():
                pages = build(fh)
            fh.flush()
            os.fsync(fh.fileno())
            fh.seek(0)
            digest = hashlib.sha256()
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        os.replace(temp, out)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if was_cancelled():
            raise ReportCancelled("The report was cancelled; no file was written.") from None
        if isinstance(exc, OSError):
            hint = " (is it open in another program?)" if isinstance(exc, PermissionError) \
                else ""
            raise ValidationError(f"Cannot write {out.name}: "
                                  f"{exc.strerror or 'the disk refused it'}{hint}.") from None
        raise
    return RenderedReport(out, digest.hexdigest(), pages)


@contextlib.contextmanager
def binary_streams() -> Iterator[None]:
    """Plain Flate streams (no ASCII85 on top): a quarter smaller and faster to write."""
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous


@dataclass(frozen=True)
class Furniture:
    """What every page and the PDF's own properties say about the document."""

    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    reference: str  # top right and in the footer of every page
    marking: str  # top centre and in the footer
    school: str  # top left


def lay_out(target: IO[bytes], story: list[Any], furniture: Furniture,
            encrypt: Any = None) -> int:
    """Build `story` into `target` on numbered, marked A4 pages; the number of pages."""
    f = furniture
    pages: list[int] = []
    doc = Document(target, title=clean(f.title), author=clean(f.author),
                   subject=clean(f.subject), creator="Kestrel",
                   keywords=[clean(k) for k in f.keywords], lang="en-GB", displayDocTitle=1,
                   encrypt=encrypt)
    doc.build(story, canvasmaker=numbered_canvas(f.reference, f.marking, f.school,
                                                 pages.append))
    return pages[0]


class Document(BaseDocTemplate):  # type: ignore[misc]
    """One frame per A4 page; headings that carry `_bookmark` become the PDF outline."""

    def __init__(self, target: IO[bytes], **kw: Any) -> None:
        super().__init__(target, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), leftMargin=MARGIN_X,
                         rightMargin=MARGIN_X, topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
                         **kw)
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, FRAME_WIDTH, FRAME_HEIGHT, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate("page", [frame])])
        self._marks = 0

    def afterFlowable(self, flowable: Any) -> None:
        mark = getattr(flowable, "_bookmark", None)
        if mark is not None:
            title, level = mark
            self._marks += 1
            key = f"m{self._marks}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(clean(title), key, level=level, closed=level > 0)
