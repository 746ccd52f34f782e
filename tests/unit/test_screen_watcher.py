"""The agent's screen reader: a new chat line (same layout, new words) is noticed and only its
band of the screen is read; an unchanged screen is not read again; matches come back with
boxes in whole-screen pixels. Real Tesseract on rendered screens."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image, ImageDraw, ImageFont

from app.agent.screen import ScreenWatcher
from app.detection.library import load_library
from app.detection.matcher import Matcher
from app.detection.ocr import get_backend
from app.paths import RESOURCES

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
LINES = ["Maths homework is due on Friday", "who is bringing the football",
         "see you at the bus stop", "did anyone get question four"]


def _chat(lines: list[str]) -> Image.Image:
    image = Image.new("RGB", (1280, 800), "#f4f5f7")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=20)
    for n, line in enumerate(lines):
        draw.text((60, 80 + 44 * n), line, fill="#222222", font=font)
    return image


def test_a_new_line_in_the_same_layout_is_read_and_only_its_band() -> None:
    watcher = ScreenWatcher(get_backend("tesseract"))
    matcher = Matcher.compile(load_library(RESOURCES / "phrases"))
    first = _chat(LINES)
    assert watcher.changed(first) is not None  # the first screen is read whole
    assert watcher.changed(first) is None  # nothing changed: nothing read
    later = _chat([*LINES, "honestly nobody would miss you"])
    band = watcher.changed(later)
    assert band is not None and band.w == 1280 and band.h < 800 * 0.6
    assert band.y <= 80 + 44 * 4 <= band.y + band.h
    reading = watcher.read(later, matcher, band)
    assert reading is not None
    (hit,) = [m for m in reading.matches if m.match.text == "nobody would miss you"]
    assert len(hit.boxes) == 4
    assert all(band.y <= b.y and b.y + b.h <= band.y + band.h for b in hit.boxes)
    assert all(80 + 44 * 4 - 10 <= b.y <= 80 + 44 * 4 + 30 for b in hit.boxes)


def test_a_speck_of_noise_is_not_a_change() -> None:
    watcher = ScreenWatcher(get_backend("tesseract"))
    screen = _chat(LINES)
    watcher.changed(screen)
    speck = screen.copy()
    speck.putpixel((700, 500), (0, 0, 0))
    assert watcher.changed(speck) is None
