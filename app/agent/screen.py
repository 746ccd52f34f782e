"""Screen text: grab the screen when it has changed enough, read it, find library phrases, and
say where on the screenshot each match is.

The grab (mss) is cheap; OCR is not (0.5–1 s a full screen). So each grab is reduced to a
320×180 grey thumbnail and compared with the previous grab: where enough thumbnail pixels
changed, only that band of the screen (full width, with a margin above and below, so a phrase on
a line that only partly changed is still read whole) is OCR'd. A new chat message costs a strip,
not a screen. (A mean difference over a coarse thumbnail missed new text in a chat that kept its
layout.) A screen the OCR cannot read (an error in the engine) is skipped and counted, never
fatal.

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
THUMB = (320, 180)
PIXEL_CHANGED = 12  # grey levels (0–255) a thumbnail pixel must move to count
PIXELS_FOR_CHANGE = 6  # changed thumbnail pixels that make a screen worth reading
MARGIN = 0.06  # of the screen height, above and below the changed band
FULL_READ = 0.6  # a band taller than this share of the screen: read the whole screen


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

    def changed(self, image: Image.Image) -> Box | None:
        """The part of `image` worth reading (a full-width band, in screen pixels), or None
        when it has not changed since the previous grab. The first grab is read whole."""
        thumb = thumbnail(image)
        last, self._last = self._last, thumb
        if last is None:
            return Box(0, 0, image.width, image.height)
        moved = np.abs(thumb - last) > PIXEL_CHANGED
        if int(moved.sum()) < PIXELS_FOR_CHANGE:
            return None
        rows = np.flatnonzero(moved.any(axis=1))
        scale = image.height / THUMB[1]
        margin = MARGIN * image.height
        top = max(0, int(rows[0] * scale - margin))
        bottom = min(image.height, int((rows[-1] + 1) * scale + margin))
        if bottom - top > FULL_READ * image.height:
            return Box(0, 0, image.width, image.height)
        return Box(0, top, image.width, bottom - top)

    def read(self, image: Image.Image, matcher: Matcher,
             region: Box | None = None) -> ScreenReading | None:
        """OCR `region` of `image` (default: all of it) and match it; boxes are in `image`'s
        pixels. None (counted) when the OCR cannot read it."""
        region = region or Box(0, 0, image.width, image.height)
        crop = image.crop((region.x, region.y, region.x + region.w, region.y + region.h))
        try:
            ocr_text = layout_text(self.backend.read(crop))
        except KestrelError as exc:
            self.unreadable += 1
            log.warning("a screen could not be read: %s", exc)
            return None
        found = tuple(
            ScreenMatch(m, tuple(Box(b.x + region.x, b.y + region.y, b.w, b.h)
                                 for b in boxes_for_span(ocr_text, m.start, m.end)))
            for m in matcher.find(ocr_text.text))
        return ScreenReading(image, ocr_text.text, found)
