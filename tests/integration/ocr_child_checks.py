"""Checks shared by the two OCR engines' child-process tests (RapidOCR, Tesseract): both run
their engine in an `app.detection.ocr.child.EngineOwner` child, and a user must notice the same
things of either — `close` frees the child and a later read works; a read cut short by Ctrl-C
never hands its words to the next read."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from app.errors import KestrelError

PHRASE = "meet me after school"


def phrase_screen() -> Image.Image:
    image = Image.new("RGB", (400, 60), "white")
    ImageDraw.Draw(image).text((12, 18), PHRASE, fill="black",
                               font=ImageFont.load_default(size=20))
    return image


def child_pid(ocr: Any) -> int:
    """The pid of the backend's running engine child (the owner keeps it on `_child`)."""
    assert ocr._child is not None, "no engine child is running"
    pid = ocr._child._process.pid
    assert pid is not None
    return int(pid)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def words(ocr: Any, image: Image.Image) -> list[str]:
    return [word.text.lower() for word in ocr.read(image)]


def close_frees_the_child_and_a_later_read_starts_another(ocr: Any,
                                                          screen: Image.Image) -> None:
    words(ocr, screen)
    old_pid = child_pid(ocr)
    ocr.close()
    assert ocr._child is None
    assert not alive(old_pid)  # killed and reaped, not left as a zombie
    ocr.close()  # closing twice is harmless
    assert words(ocr, screen) == PHRASE.split()
    new_pid = child_pid(ocr)
    assert new_pid != old_pid and alive(new_pid)


def an_interrupted_read_leaves_nothing_for_the_next(ocr: Any, screen: Image.Image) -> None:
    """Ctrl-C (a real SIGALRM whose handler raises KeyboardInterrupt) while the child reads:
    the next read gets its own screen's words, not the interrupted screen's."""
    words(ocr, screen)  # a warm child, so the long read below is all reading
    old_pid = child_pid(ocr)
    long_screen = Image.new("RGB", (1920, 1080), "white")
    draw = ImageDraw.Draw(long_screen)
    font = ImageFont.load_default(size=18)
    for row in range(30):
        draw.text((20, 20 + 34 * row), f"line {row} of a long chat the child is still reading",
                  fill="black", font=font)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(KeyboardInterrupt):
            ocr.read(long_screen)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert ocr._child is None and not alive(old_pid)
    assert words(ocr, screen) == PHRASE.split()


def a_killed_child_is_one_sentence_then_a_fresh_child_reads(ocr: Any, screen: Image.Image,
                                                            engine: str) -> None:
    words(ocr, screen)  # make sure a child is running
    process = ocr._child._process
    old_pid = child_pid(ocr)
    os.kill(old_pid, signal.SIGKILL)
    process.join(10)
    assert process.exitcode == -signal.SIGKILL
    with pytest.raises(KestrelError) as raised:
        ocr.read(screen)
    message = str(raised.value)
    assert message.startswith(f"{engine} ") and message.endswith(".")
    assert "\n" not in message and "Traceback" not in message and 'File "' not in message
    assert ocr._child is None  # the failed child was discarded
    assert words(ocr, screen) == PHRASE.split()
    new_pid = child_pid(ocr)
    assert new_pid != old_pid and alive(new_pid)
