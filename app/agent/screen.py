"""Screen text: grab the screen when it has changed enough, read it, find library phrases, and
say where on the screenshot each match is.

The grab (mss) is cheap; OCR is not (0.5–2 s a screen). So each grab is first reduced to a
64×36 grey thumbnail and compared with the last one read: only a screen whose thumbnail moved
by more than a small mean difference is read. A screen the OCR cannot read (blank, an error in
the engine) is skipped and counted, never fatal.

Threading: `ScreenWatcher.check` blocks (OCR); the agent calls it from its screen thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.detection.boxes import boxes_for_span, layout_text
from app.detection.matcher import Matcher, PhraseMatch
from app.detection.ocr import OcrBackend
from app.domain.geometry import Box
from app.errors import KestrelError

log = logging.getLogger(__name__)
THUMB = (64, 36)
CHANGE_THRESHOLD = 2.0  # mean absolute grey difference (0–255) that counts as "changed"


@dataclass(frozen=True)
class ScreenMatch:
    match: PhraseMatch
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class ScreenReading:
    image: Image.Image
    text: str
    matches: tuple[ScreenMatch, ...]


def grab_screen() -> Image.Image:
    """The whole virtual screen (every monitor) as RGB."""
    import mss  # needs a display; imported where it is used

    with mss.mss() as grabber:
        shot = grabber.grab(grabber.monitors[0])
        return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")


def thumbnail(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L").resize(THUMB, Image.Resampling.BILINEAR),
                      dtype=np.float32)


class ScreenWatcher:
    def __init__(self, backend: OcrBackend) -> None:
        self.backend = backend
        self._last: np.ndarray | None = None
        self.unreadable = 0

    def changed(self, image: Image.Image) -> bool:
        thumb = thumbnail(image)
        if self._last is not None and float(np.abs(thumb - self._last).mean()) \
                < CHANGE_THRESHOLD:
            return False
        self._last = thumb
        return True

    def read(self, image: Image.Image, matcher: Matcher) -> ScreenReading | None:
        """OCR `image` and match it; None (counted) when the OCR cannot read it."""
        try:
            ocr_text = layout_text(self.backend.read(image))
        except KestrelError as exc:
            self.unreadable += 1
            log.warning("a screen could not be read: %s", exc)
            return None
        found = tuple(ScreenMatch(m, boxes_for_span(ocr_text, m.start, m.end))
                      for m in matcher.find(ocr_text.text))
        return ScreenReading(image, ocr_text.text, found)
