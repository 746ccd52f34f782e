"""The agent's screen reader reads only what is new: a new chat line costs that line (boxes on
the whole screen), a phrase half remembered and half new is found whole, a scrolled or
re-shaded pane is not read again, an unchanged screen is not read at all, and a failed read
makes the next one whole. Real Tesseract on rendered screens."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image, ImageDraw, ImageFont

from app.agent.carry import Plan
from app.agent.screen import BORDER, ScreenWatcher
from app.detection.library import load_library
from app.detection.matcher import Matcher
from app.detection.ocr import OcrWord, get_backend
from app.domain.geometry import Box
from app.errors import KestrelError
from app.paths import RESOURCES

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
SIZE = (1280, 800)
NOTES = ["Maths homework is due on Friday", "who is bringing the football"]
CHAT = [f"pupil{n}: is the {w} club still on after lunch" for n, w in
        enumerate(("chess", "drama", "choir", "coding", "art", "film", "quiz", "book"))]
CHAT_TOP, CHAT_PITCH, X = 430, 34, 60
FONT = ImageFont.load_default(size=20)


class Spy:
    """The real engine, noting the size of every image it is asked to read."""

    name = "spy"

    def __init__(self) -> None:
        self.inner = get_backend("tesseract")
        self.sizes: list[tuple[int, int]] = []
        self.fail = False

    def read(self, image: Image.Image) -> list[OcrWord]:
        self.sizes.append(image.size)
        if self.fail:
            raise KestrelError("the engine fell over")
        return self.inner.read(image)


def _screen(notes: list[str], chat: list[str], shade: str = "#ffffff") -> Image.Image:
    """Notes at the top of a grey desktop; a chat pane (of `shade`) below."""
    image = Image.new("RGB", SIZE, "#f4f5f7")
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(notes):
        draw.text((X, 80 + 44 * n), line, fill="#222222", font=FONT)
    draw.rectangle((40, CHAT_TOP - 20, 1240, 780), fill=shade, outline="#888888")
    for n, line in enumerate(chat):
        draw.text((X, CHAT_TOP + CHAT_PITCH * n), line, fill="#111111", font=FONT)
    return image


def _word_box(line: str, word: str, y: int) -> Box:
    """Where `word` of `line` (drawn at X, y) was drawn."""
    before = line[:line.index(word)]
    left, top, right, bottom = FONT.getbbox(word)
    x = X + round(FONT.getlength(before))
    return Box(x + left, y + top, right - left, bottom - top)


def _covers(found: Box, drawn: Box) -> bool:
    centre = (drawn.x + drawn.w / 2, drawn.y + drawn.h / 2)
    return found.x <= centre[0] <= found.x + found.w and found.y <= centre[1] <= found.y + found.h


@pytest.fixture
def matcher() -> Matcher:
    return Matcher.compile(load_library(RESOURCES / "phrases"))


def test_the_first_screen_is_read_whole_and_an_unchanged_one_not_at_all(matcher) -> None:  # type: ignore[no-untyped-def]
    spy = Spy()
    watcher = ScreenWatcher(spy)
    first = _screen(NOTES, CHAT)
    reading = watcher.check(first, matcher)
    assert reading is not None and reading.regions == (Box(0, 0, *SIZE),)
    assert spy.sizes == [SIZE] and "chess" in reading.text
    assert watcher.check(first.copy(), matcher) is None
    assert spy.sizes == [SIZE]


def test_a_new_line_in_one_pane_is_read_alone_and_its_boxes_are_on_the_whole_screen(
        matcher) -> None:  # type: ignore[no-untyped-def]
    spy = Spy()
    watcher = ScreenWatcher(spy)
    watcher.check(_screen(NOTES, CHAT[:4]), matcher)
    line = "honestly nobody would miss you"
    y = CHAT_TOP + CHAT_PITCH * 4
    reading = watcher.check(_screen(NOTES, [*CHAT[:4], line]), matcher)
    assert reading is not None
    (region,) = reading.regions
    assert y - 12 <= region.y and region.y + region.h <= y + CHAT_PITCH
    assert spy.sizes[1:] == [(region.w + 2 * BORDER, region.h + 2 * BORDER)]
    (hit,) = [m for m in reading.matches if m.match.text == "nobody would miss you"]
    drawn = [_word_box(line, word, y) for word in ("nobody", "would", "miss", "you")]
    assert len(hit.boxes) == 4
    assert all(_covers(found, box) for found, box in zip(hit.boxes, drawn, strict=True))
    assert "Maths homework" in reading.text and "chess" in reading.text  # remembered


def test_a_phrase_half_remembered_and_half_new_is_found_whole(matcher) -> None:  # type: ignore[no-untyped-def]
    watcher = ScreenWatcher(Spy())
    start = "everyone says nobody would"
    watcher.check(_screen([*NOTES, start], CHAT), matcher)
    line = start + " miss you"
    reading = watcher.check(_screen([*NOTES, line], CHAT), matcher)
    assert reading is not None
    (region,) = reading.regions
    nobody = _word_box(line, "nobody", 80 + 44 * 2)
    assert region.x > nobody.x + nobody.w  # "nobody" was not read again
    (hit,) = [m for m in reading.matches if m.match.text == "nobody would miss you"]
    drawn = [_word_box(line, word, 80 + 44 * 2) for word in ("nobody", "would", "miss", "you")]
    assert all(_covers(found, box) for found, box in zip(hit.boxes, drawn, strict=True))


def test_a_scrolled_and_re_shaded_chat_reads_only_its_new_lines(matcher) -> None:  # type: ignore[no-untyped-def]
    spy = Spy()
    watcher = ScreenWatcher(spy)
    watcher.check(_screen(NOTES, CHAT[:6]), matcher)
    later = [*CHAT[2:6], "see you at the bus stop", "they said everyone hates you"]
    reading = watcher.check(_screen(NOTES, later, shade="#dde6f2"), matcher)
    assert reading is not None
    assert reading.regions  # the two new lines, and nothing above them
    assert all(r.y >= CHAT_TOP + CHAT_PITCH * 4 - 12 for r in reading.regions)
    assert len(spy.sizes) == 1 + len(reading.regions)
    assert [m.match.text for m in reading.matches] == ["everyone hates you"]
    assert all(name in reading.text for name in ("choir", "coding", "art", "film", "bus stop"))
    assert "chess" not in reading.text and "drama" not in reading.text  # scrolled away


def test_a_re_shaded_pane_with_the_same_text_is_not_read_again(matcher) -> None:  # type: ignore[no-untyped-def]
    spy = Spy()
    watcher = ScreenWatcher(spy)
    watcher.check(_screen(NOTES, CHAT), matcher)
    assert watcher.changed(_screen(NOTES, CHAT, shade="#c0d2e8")) is None
    assert watcher.changed(_screen(NOTES, CHAT, shade="#ffffff")) is None
    assert len(spy.sizes) == 1


def test_a_speck_of_noise_is_not_a_change(matcher) -> None:  # type: ignore[no-untyped-def]
    watcher = ScreenWatcher(Spy())
    screen = _screen(NOTES, CHAT)
    watcher.check(screen, matcher)
    speck = screen.copy()
    speck.putpixel((700, 300), (0, 0, 0))
    assert watcher.changed(speck) is None


def test_after_a_failed_read_the_next_screen_is_read_whole(matcher) -> None:  # type: ignore[no-untyped-def]
    spy = Spy()
    watcher = ScreenWatcher(spy)
    watcher.check(_screen(NOTES, CHAT[:4]), matcher)
    spy.fail = True
    assert watcher.check(_screen(NOTES, CHAT[:5]), matcher) is None
    assert watcher.unreadable == 1
    spy.fail = False
    assert watcher.changed(_screen(NOTES, CHAT[:6])) == Plan.whole(SIZE)
