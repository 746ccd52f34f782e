"""Screen text: grab the screen, read what is new on it, find library phrases, and say where on
the screenshot each match is.

The grab (mss) is cheap; OCR is not (0.5–1 s a full screen). So the watcher remembers the words
of the screen as it last read it, and on each grab reads only what is new: `app.agent.changes`
says where the screen changed and which changed rows it already showed (in place, re-shaded, or
scrolled), `app.agent.carry` keeps the remembered words that are still there and says which
boxes to read. A new chat line costs that line, not a screen. Every box is read on its own (its
solid columns — window edges, dark margins — painted over with its background and a border of
background added first: cut out of a screen, an edge reads as `l` or `|` and can splice two
lines into one, and a glyph touching the crop's edge loses its tips) and its words are moved to
full-screen pixels, so incident boxes always point at the screenshot. The rule at a box's
edge is in `app.agent.carry`; in short, words the box touches are read again, and matching runs
over remembered and new words together, so a phrase straddling the edge is found whole.
Measured with `python -m tests.perf agent` (a chat pane scrolling two new lines every 3 s, a
pupil typing): the OCR child's share of a core fell from 9–12 % to 3–4 %, the agent's and its
child's together from 12–15 % to 5–6 %; on the bench's 1280×800 screens a tick costs ~30 ms of
the agent's CPU for the comparison and bookkeeping.

The first grab, a screen whose size changed, and the grab after a failed read are read whole
(a failure forgets what was read, since what changed then was never read). A screen the OCR
cannot read (an error in the engine) is skipped and counted, never fatal.

Threading: `ScreenWatcher.check` blocks (OCR); the agent calls it from its screen thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageOps

from app.agent.carry import Plan, plan_reads
from app.agent.changes import INK, THUMB, Gray, background, changed_boxes, compare, ink
from app.detection.boxes import OcrText, layout_text
from app.detection.matcher import Matcher, PhraseMatch
from app.detection.ocr import OcrBackend, OcrWord
from app.domain.geometry import Box
from app.errors import KestrelError

log = logging.getLogger(__name__)
SOLID = 0.95  # a column with ink in this share of a box's rows is an edge, not text
BORDER = 6  # px of background added round a box before it is read


@dataclass(frozen=True)
class ScreenMatch:
    match: PhraseMatch
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class ScreenReading:
    """A read screen: its whole text (remembered and new words), the matches that involve new
    words, and the boxes that were OCR'd (screen pixels)."""

    image: Image.Image
    text: str
    matches: tuple[ScreenMatch, ...]
    regions: tuple[Box, ...] = ()


def grab_screen() -> Image.Image:
    """The whole virtual screen (every monitor) as RGB."""
    import mss  # needs a display; imported where it is used

    with mss.mss() as grabber:
        shot = grabber.grab(grabber.monitors[0])
        return Image.frombytes("RGB", shot.size, shot.raw, "raw", "BGRX")  # raw: no copy


def thumbnail(gray: Image.Image) -> np.ndarray:
    return np.asarray(gray.resize(THUMB, Image.Resampling.BILINEAR, reducing_gap=2.0),
                      dtype=np.float32)


class ScreenWatcher:
    def __init__(self, backend: OcrBackend) -> None:
        self.backend = backend
        self._thumb: np.ndarray | None = None
        self._gray: Gray | None = None
        self._words: tuple[OcrWord, ...] | None = None  # None: read the next screen whole
        self._plan: Plan | None = None  # planned by `changed`, not yet read
        self.unreadable = 0

    def check(self, image: Image.Image, matcher: Matcher) -> ScreenReading | None:
        """Read what is new on `image` and match it; None when nothing new (or unreadable)."""
        plan = self.changed(image)
        return None if plan is None else self.read(image, matcher, plan)

    def changed(self, image: Image.Image) -> Plan | None:
        """What of `image` to read, or None when nothing new is on it since the last grab."""
        last_thumb, last_gray = self._thumb, self._gray
        gray_image = image.convert("L")
        self._thumb, self._gray = thumbnail(gray_image), np.asarray(gray_image, dtype=np.uint8)
        if self._words is None or self._plan is not None or last_thumb is None or \
                last_gray is None or last_gray.shape != self._gray.shape:
            self._plan = Plan.whole(image.size)  # first, resized, or a plan never read
            return self._plan
        boxes = changed_boxes(last_thumb, self._thumb, image.size)
        if not boxes:
            return None
        plan = plan_reads([compare(last_gray, self._gray, box) for box in boxes], self._words,
                          image.size)
        if not plan.boxes:  # only moved or re-shaded text: nothing to read
            self._words = plan.kept
            return None
        self._plan = plan
        return plan

    def read(self, image: Image.Image, matcher: Matcher,
             plan: Plan | None = None) -> ScreenReading | None:
        """OCR the boxes of `plan` (default: all of `image`) and match the screen's text; boxes
        are in `image`'s pixels. None (counted) when the OCR cannot read it. Only the plan that
        `changed` just made updates what the watcher remembers."""
        ours, plan = plan is not None and plan is self._plan, plan or Plan.whole(image.size)
        fresh = self._fresh(image, plan, ours)
        if fresh is None:
            return None
        if ours:
            self._words, self._plan = (*plan.kept, *fresh), None
        ocr_text = layout_text([*plan.kept, *fresh])
        return ScreenReading(image, ocr_text.text,
                             _new_matches(ocr_text, matcher, fresh), plan.boxes)

    def _fresh(self, image: Image.Image, plan: Plan, ours: bool) -> list[OcrWord] | None:
        """The words in the plan's boxes; None when the OCR fails (what changed was then never
        read, so the watcher forgets what it remembered and reads the next screen whole)."""
        gray = self._gray if ours and self._gray is not None else \
            np.asarray(image.convert("L"), dtype=np.uint8)
        try:
            return [word for box in plan.boxes for word in self._read_box(image, gray, box)]
        except KestrelError as exc:
            self.unreadable += 1
            if ours:
                self._words = self._plan = None
            log.warning("a screen could not be read: %s", exc)
            return None

    def _read_box(self, image: Image.Image, gray: Gray, box: Box) -> list[OcrWord]:
        """The words in `box` of the screen, with boxes in screen pixels."""
        if (box.w, box.h) == image.size:
            return self.backend.read(image)
        crop = _for_ocr(image.crop((box.x, box.y, box.x + box.w, box.y + box.h)),
                        gray[box.y:box.y + box.h, box.x:box.x + box.w])
        x, y = box.x - BORDER, box.y - BORDER
        return [replace(w, box=Box(w.box.x + x, w.box.y + y, w.box.w, w.box.h))
                for w in self.backend.read(crop)]


def _for_ocr(crop: Image.Image, gray: Gray) -> Image.Image:
    """`crop` as OCR reads it well: its solid columns (ink in nearly every row: a window's edge,
    a dark margin beside a pane) painted with its background colour, so they are not read as
    letters, and a BORDER of that colour all round (glyphs touching the edge lose their tips
    to the upscale: `h` read as `n`)."""
    level = background(gray)
    row, column = divmod(int(np.argmax(gray == level)), gray.shape[1])  # its first pixel
    pixels = np.array(crop.convert("RGB"))
    colour = tuple(int(v) for v in pixels[row, column])
    solid = np.count_nonzero(ink(gray, level) > INK, axis=0) >= SOLID * gray.shape[0]
    pixels[:, solid] = colour
    return ImageOps.expand(Image.fromarray(pixels), border=BORDER, fill=colour)


def _new_matches(ocr_text: OcrText, matcher: Matcher,
                 fresh: list[OcrWord]) -> tuple[ScreenMatch, ...]:
    """Matches over the whole screen's text that touch at least one newly read word, each with
    the boxes of all its words (remembered ones too)."""
    new = {id(word) for word in fresh}
    found = []
    for match in matcher.find(ocr_text.text):
        touched = [word for word, (start, end) in zip(ocr_text.words, ocr_text.spans,
                                                      strict=True)
                   if start < match.end and match.start < end]
        if any(id(word) in new for word in touched):
            found.append(ScreenMatch(match, tuple(word.box for word in touched)))
    return tuple(found)
