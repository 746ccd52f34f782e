"""The RapidOCR backend's engine child, for real: a spawned process, RapidOCR's own models.

What a user would notice: a screen is read; a child that dies (out of memory, killed) turns into
one readable error and the next screen is read by a fresh child; `close` gives the child's
memory back and a later read still works; a read cut short by Ctrl-C does not leave its
words for the next read to return. One backend is shared by the module (each child
start loads the models, a few seconds), so the tests run in file order and each one starts
from whatever child the previous one left, or none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from PIL import Image

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

pytest.importorskip("rapidocr")

from app.detection.ocr.rapid import RapidOcrBackend


@pytest.fixture(scope="module")
def backend() -> Iterator[RapidOcrBackend]:
    ocr = RapidOcrBackend()
    yield ocr
    ocr.close()


@pytest.fixture(scope="module")
def screen() -> Image.Image:
    return phrase_screen()








def test_reads_the_words_of_a_small_screen(backend: RapidOcrBackend,
                                           screen: Image.Image) -> None:
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


def test_a_killed_child_is_one_readable_error_then_a_fresh_child_reads(
        backend: RapidOcrBackend, screen: Image.Image) -> None:
    a_killed_child_is_one_sentence_then_a_fresh_child_reads(backend, screen, "RapidOCR")


def test_close_ends_the_child_and_a_later_read_starts_another(
        backend: RapidOcrBackend, screen: Image.Image) -> None:
    close_frees_the_child_and_a_later_read_starts_another(backend, screen)


def test_a_read_cut_short_by_a_signal_does_not_hand_its_words_to_the_next_read(
        backend: RapidOcrBackend, screen: Image.Image) -> None:
    an_interrupted_read_leaves_nothing_for_the_next(backend, screen)

