"""The typed source finds the typed words on the screenshot by reading only what changed in the
focused window since the last reading (the screen loop's or its own), falls back to reading the
window whole, and looks the focused window up only when the focus moved. Real Tesseract on
rendered screens; the focus is faked."""

from __future__ import annotations

import shutil
import threading
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from app.agent import typed_source
from app.agent.runner import _Watcher
from app.agent.typed_source import Remembered, TypedSource
from app.agent.window import UNKNOWN, WindowInfo
from app.detection.library import load_library
from app.detection.matcher import Matcher
from app.detection.ocr import OcrWord, get_backend
from app.domain.geometry import Box
from app.paths import RESOURCES

SIZE = (1280, 800)
FRAME = Box(40, 40, 900, 300)  # the focused window (the notes)
TOP, PITCH, X = 60, 40, 60
FONT = ImageFont.load_default(size=22)
NOTES = ["we met after lunch to finish the project", "bring the blue folder on friday"]
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="needs tesseract")


class Spy:
    """The real engine, noting the size of every image it is asked to read."""

    name = "spy"

    def __init__(self) -> None:
        self.inner = get_backend("tesseract")
        self.sizes: list[tuple[int, int]] = []

    def read(self, image: Image.Image) -> list[OcrWord]:
        self.sizes.append(image.size)
        return self.inner.read(image)


class FakeAgent:
    def __init__(self, backend: Any, matcher: Matcher) -> None:
        self.backend = backend
        self.library = SimpleNamespace(matcher=matcher)
        self.policy = SimpleNamespace(typed=True, excluded_apps=())
        self.screen_memory: Remembered | None = None

    def ocr(self) -> Any:
        return self.backend


def _screen(lines: list[str], chat: str = "pupil3: is the chess club still on") -> Image.Image:
    """A grey desktop, the notes window (white, framed) with `lines`, a chat line below it."""
    image = Image.new("RGB", SIZE, "#e9ebee")
    draw = ImageDraw.Draw(image)
    draw.rectangle((FRAME.x, FRAME.y, FRAME.x + FRAME.w - 1, FRAME.y + FRAME.h - 1),
                   fill="#ffffff", outline="#777777")
    for n, line in enumerate(lines):
        draw.text((X, TOP + PITCH * n), line, fill="#111111", font=FONT)
    draw.text((X, 500), chat, fill="#111111", font=FONT)
    return image


def _drawn(line: str, word: str, row: int) -> Box:
    before = line[:line.rindex(word)]
    left, top, right, bottom = FONT.getbbox(word)
    x = X + round(FONT.getlength(before))
    return Box(x + left, TOP + PITCH * row + top, right - left, bottom - top)


def _covers(found: Box, drawn: Box) -> bool:
    cx, cy = drawn.x + drawn.w / 2, drawn.y + drawn.h / 2
    return found.x <= cx <= found.x + found.w and found.y <= cy <= found.y + found.h


def _remembered(image: Image.Image, matcher: Matcher) -> Remembered:
    """What the screen loop leaves after reading `image`."""
    watcher = _Watcher(get_backend("tesseract"))
    watcher.check(image, matcher)
    memory = watcher.remembered()
    assert memory is not None and memory.region == Box(0, 0, *SIZE)
    return memory


@pytest.fixture
def matcher() -> Matcher:
    return Matcher.compile(load_library(RESOURCES / "phrases"))


def _source(matcher: Matcher) -> tuple[TypedSource, Spy]:
    spy = Spy()
    return TypedSource(FakeAgent(spy, matcher), threading.Event()), spy


def _phrase(matcher: Matcher, text: str) -> tuple[Any, ...]:
    found = tuple(matcher.find(text))
    assert found
    return found


@needs_tesseract
def test_the_typed_line_alone_is_read_when_the_screen_loop_read_the_window_before(
        matcher) -> None:  # type: ignore[no-untyped-def]
    source, spy = _source(matcher)
    source.agent.screen_memory = _remembered(_screen([*NOTES, "honestly you should"]), matcher)
    line = "honestly you should kill yourself"
    boxes = source._locate(_screen([*NOTES, line]), FRAME, _phrase(matcher, line))
    assert len(spy.sizes) == 1
    width, height = spy.sizes[0]
    assert width <= FRAME.w + 20 and height < PITCH * 2  # one line, not the window
    (found,) = boxes.values()
    drawn = [_drawn(line, "kill", 2), _drawn(line, "yourself", 2)]
    assert len(found) == 2 and all(_covers(f, d) for f, d in zip(found, drawn, strict=True))


@needs_tesseract
def test_without_a_reading_the_window_is_read_whole_then_only_what_changes(matcher) -> None:  # type: ignore[no-untyped-def]
    source, spy = _source(matcher)  # no screen loop (typed-only policy)
    first = "honestly you should kill yourself"
    boxes = source._locate(_screen([*NOTES, first]), FRAME, _phrase(matcher, first))
    assert spy.sizes == [(FRAME.w, FRAME.h)]
    assert len(boxes[0]) == 2
    second = "they said everyone hates you"
    screen = _screen([*NOTES, first, second])
    boxes = source._locate(screen, FRAME, _phrase(matcher, second))
    assert len(spy.sizes) == 2 and spy.sizes[1][1] < PITCH * 2  # its own reading, one line
    drawn = [_drawn(second, w, 3) for w in ("everyone", "hates", "you")]
    assert all(_covers(f, d) for f, d in zip(boxes[0], drawn, strict=True))
    assert source._locate(screen, FRAME, _phrase(matcher, second)) == boxes
    assert len(spy.sizes) == 2  # nothing changed: nothing read


@needs_tesseract
def test_a_phrase_on_the_window_twice_is_pointed_at_where_it_was_just_typed(matcher) -> None:  # type: ignore[no-untyped-def]
    source, _spy = _source(matcher)
    old = "you said kill yourself yesterday"
    source.agent.screen_memory = _remembered(_screen([old, "ok"]), matcher)
    new = "honestly you should kill yourself"
    boxes = source._locate(_screen([old, "ok", new]), FRAME, _phrase(matcher, new))
    assert all(_covers(f, d) for f, d in zip(
        boxes[0], [_drawn(new, "kill", 2), _drawn(new, "yourself", 2)], strict=True))


@needs_tesseract
def test_a_window_changed_all_over_is_read_whole(matcher) -> None:  # type: ignore[no-untyped-def]
    source, spy = _source(matcher)
    source.agent.screen_memory = _remembered(_screen(NOTES), matcher)
    line = "honestly you should kill yourself"
    screen = _screen(["", "", "", "", "", line])
    ImageDraw.Draw(screen).rectangle((FRAME.x + 20, FRAME.y + 10, FRAME.x + 600, FRAME.y + 180),
                                     fill="#3a5f8a")  # a picture pasted above the line
    boxes = source._locate(screen, FRAME, _phrase(matcher, line))
    assert spy.sizes == [(FRAME.w, FRAME.h)]
    assert len(boxes[0]) == 2


@needs_tesseract
def test_a_reading_of_another_screen_size_or_window_is_not_used(matcher) -> None:  # type: ignore[no-untyped-def]
    source, spy = _source(matcher)
    memory = _remembered(_screen([*NOTES, "honestly you should"]), matcher)
    source.agent.screen_memory = Remembered(memory.gray[:400], memory.words, Box(0, 0, 1280, 400))
    line = "honestly you should kill yourself"
    source._locate(_screen([*NOTES, line]), FRAME, _phrase(matcher, line))
    assert spy.sizes == [(FRAME.w, FRAME.h)]


def test_a_window_off_the_screen_is_not_read(matcher) -> None:  # type: ignore[no-untyped-def]
    source, spy = _source(matcher)
    assert source._locate(_screen(NOTES), Box(1280, 0, 0, 300), ()) == {}
    assert spy.sizes == []


def test_the_screen_loop_leaves_no_reading_while_a_read_is_pending(matcher) -> None:  # type: ignore[no-untyped-def]
    watcher = _Watcher(SimpleNamespace(name="none", read=lambda image: []))
    assert watcher.remembered() is None  # nothing read yet
    screen = _screen(NOTES)
    watcher.changed(screen)
    assert watcher.remembered() is None  # planned, not read
    watcher.read(screen, matcher, watcher._plan)
    memory = watcher.remembered()
    assert memory is not None
    assert np.array_equal(memory.gray, np.asarray(screen.convert("L")))


# --- following the focus --------------------------------------------------------------------

class FakeFocus:
    """`focus_stamp` and `active_window` for a desktop whose focus the test moves."""

    def __init__(self) -> None:
        self.window = WindowInfo("1", "Notes", "notes", frame=(40, 40, 900, 300))
        self.lookups = 0
        self.failing = False

    def stamp(self) -> str:
        return f"active:{self.window.id}"

    def active(self) -> WindowInfo:
        self.lookups += 1
        return UNKNOWN if self.failing else self.window


@pytest.fixture
def focus(monkeypatch) -> FakeFocus:  # type: ignore[no-untyped-def]
    fake = FakeFocus()
    monkeypatch.setattr(typed_source, "focus_stamp", fake.stamp)
    monkeypatch.setattr(typed_source, "active_window", fake.active)
    return fake


def _type(source: TypedSource, text: str) -> list[Any]:
    checks = []
    for ch in text:
        key = SimpleNamespace(name="space", char=None) if ch == " " else SimpleNamespace(char=ch)
        checks += source._feed("press", key)
    return checks


def test_the_window_is_looked_up_only_when_the_focus_moves_and_a_switch_still_splits(
        focus, matcher) -> None:  # type: ignore[no-untyped-def]
    source, _spy = _source(matcher)
    checks = _type(source, "honestly you should kill ")
    assert focus.lookups == 1  # once, for the first key: 25 keys, one look-up
    assert [c.text for c in checks][-1] == "honestly you should kill "
    focus.window = WindowInfo("2", "Chat", "chat")
    checks = _type(source, "yourself ")
    assert focus.lookups == 2
    assert [(c.window.id, c.text) for c in checks] == [("2", "yourself ")]  # not "kill yourself"
    focus.window = WindowInfo("1", "Notes", "notes")
    checks = _type(source, "now ")
    assert focus.lookups == 3 and checks[-1].window.id == "1"
    assert checks[-1].text == "honestly you should kill now "  # the notes' buffer was kept


def test_a_failed_look_up_is_asked_again_at_the_next_key(focus, matcher) -> None:  # type: ignore[no-untyped-def]
    source, _spy = _source(matcher)
    focus.failing = True
    _type(source, "ab")
    assert focus.lookups == 2
    focus.failing = False
    _type(source, "cd")
    assert focus.lookups == 3 and source.window is not None and source.window.id == "1"
