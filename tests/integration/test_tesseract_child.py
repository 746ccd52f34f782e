"""The Tesseract backend's libtesseract child, for real: a spawned process, the system's
libtesseract and `eng` model.

What a user would notice: a screen is read, by a child process that loaded the model once; a
child that dies (out of memory, killed) turns into one readable error and the next screen is
read by a fresh child; `close` gives the child's memory back and a later read still works; a
read cut short by Ctrl-C does not leave its words for the next read to return; without a
loadable libtesseract the backend says so in the log and reads through the `tesseract` program.
One backend is shared by the module, so the tests run in file order and each one starts from
whatever child the previous one left, or none.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from app.detection.ocr import tesseract_binary
from app.detection.ocr.tessapi import library_candidates
from app.detection.ocr.tesseract import TesseractBackend
from app.errors import KestrelError
from tests.integration.ocr_child_checks import (
    PHRASE,
    a_killed_child_is_one_sentence_then_a_fresh_child_reads,
    alive,
    an_interrupted_read_leaves_nothing_for_the_next,
    child_pid,
    close_frees_the_child_and_a_later_read_starts_another,
    phrase_screen,
    words,
)

BINARY = tesseract_binary()

if BINARY is None:
    pytest.skip("Tesseract is not installed here", allow_module_level=True)


@pytest.fixture(scope="module")
def backend() -> Iterator[TesseractBackend]:
    assert BINARY is not None
    ocr = TesseractBackend(BINARY)
    if not ocr.in_process:
        pytest.skip("libtesseract is not installed here")
    yield ocr
    ocr.close()


@pytest.fixture(scope="module")
def screen() -> Image.Image:
    return phrase_screen()








def test_reads_the_words_of_a_small_screen_in_one_single_threaded_child(
        backend: TesseractBackend, screen: Image.Image) -> None:
    found = backend.read(screen)
    assert [word.text.lower() for word in found] == PHRASE.split()
    for word in found:  # word boxes, inside the image, left to right
        assert word.box.x >= 0 and word.box.x + word.box.w <= screen.width
        assert word.box.y >= 0 and word.box.y + word.box.h <= screen.height
    assert [w.box.x for w in found] == sorted(w.box.x for w in found)
    pid = child_pid(backend)
    assert pid != os.getpid() and alive(pid)
    assert words(backend, screen) == PHRASE.split()  # the same child reads the next screen
    assert child_pid(backend) == pid
    status = Path(f"/proc/{pid}/status")
    if status.is_file():  # OMP_THREAD_LIMIT=1 reached the library: no OpenMP workers
        threads = next(line for line in status.read_text().splitlines()
                       if line.startswith("Threads:"))
        assert threads.split()[1] == "1"


def test_the_child_reads_what_the_cli_reads(backend: TesseractBackend) -> None:
    """The same screen through libtesseract and through the CLI: the same words and boxes."""
    assert BINARY is not None
    image = Image.new("RGB", (900, 200), (30, 30, 36))  # dark: inverted before reading
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    draw.text((20, 20), "are you coming to the park after school", fill="white", font=font)
    draw.text((480, 120), "ok see you at 5", fill=(220, 220, 220), font=font)
    cli = TesseractBackend(BINARY, libraries=())
    assert not cli.in_process
    assert backend.read(image) == cli.read(image)


def test_a_killed_child_is_one_readable_error_then_a_fresh_child_reads(
        backend: TesseractBackend, screen: Image.Image) -> None:
    a_killed_child_is_one_sentence_then_a_fresh_child_reads(backend, screen, "Tesseract")
    assert backend.in_process  # a crash is not a reason to give up on the library


def test_close_ends_the_child_and_a_later_read_starts_another(
        backend: TesseractBackend, screen: Image.Image) -> None:
    close_frees_the_child_and_a_later_read_starts_another(backend, screen)


def test_a_read_cut_short_by_a_signal_does_not_hand_its_words_to_the_next_read(
        backend: TesseractBackend, screen: Image.Image) -> None:
    an_interrupted_read_leaves_nothing_for_the_next(backend, screen)



def test_without_a_loadable_library_it_says_so_and_reads_with_the_cli(
        screen: Image.Image, caplog: pytest.LogCaptureFixture) -> None:
    assert BINARY is not None
    ocr = TesseractBackend(BINARY, libraries=["/nonexistent/libtesseract.so.5"])
    try:
        with caplog.at_level(logging.WARNING, logger="app.detection.ocr.tesseract"):
            assert words(ocr, screen) == PHRASE.split()
        assert any("libtesseract could not be loaded" in r.getMessage()
                   and "tesseract" in r.getMessage() for r in caplog.records)
        assert not ocr.in_process and ocr._child is None  # the child was ended, not kept
        caplog.clear()
        assert words(ocr, screen) == PHRASE.split()  # for good: no second attempt, no log
        assert not caplog.records and ocr._child is None
    finally:
        ocr.close()


def test_library_candidates_end_with_the_soname() -> None:
    candidates = library_candidates(BINARY)
    assert candidates and len(set(candidates)) == len(candidates)
    assert "tesseract" in candidates[-1]


def test_missing_english_data_is_the_same_sentence_as_through_the_cli(
        screen: Image.Image, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TESSDATA_PREFIX at an empty folder: the child (which inherits the environment) cannot
    load `eng`, and says what to install, as the CLI does; the failed child is discarded."""
    assert BINARY is not None
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    ocr = TesseractBackend(BINARY)
    if not ocr.in_process:
        pytest.skip("libtesseract is not installed here")
    try:
        with pytest.raises(KestrelError) as raised:
            ocr.read(screen)
        assert str(raised.value) == (
            "Tesseract is installed without its English language data; install the English "
            "data (tesseract-ocr-eng) to read screens.")
        assert ocr._child is None and ocr.in_process
        with pytest.raises(KestrelError) as through_cli:
            TesseractBackend(BINARY, libraries=()).read(screen)
        assert str(through_cli.value) == str(raised.value)
    finally:
        ocr.close()


def test_two_threads_sharing_one_engine_each_get_their_own_words(
        backend: TesseractBackend) -> None:
    """The agent's screen loop and typed worker share one engine: answers must not cross."""
    texts = ("meet me after school", "bring your blue folder")
    images = []
    for text in texts:
        image = Image.new("RGB", (420, 60), "white")
        ImageDraw.Draw(image).text((12, 18), text, fill="black",
                                   font=ImageFont.load_default(size=20))
        images.append(image)
    results: dict[int, list[list[str]]] = {0: [], 1: []}

    def read_many(which: int) -> None:
        for _ in range(8):
            results[which].append(words(backend, images[which]))

    threads = [threading.Thread(target=read_many, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for which, text in enumerate(texts):
        assert results[which] == [text.split()] * 8
