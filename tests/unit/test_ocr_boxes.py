"""From OCR words to matchable text and back to boxes; word boxes cut from drawn lines; the
screenshot loader refusing files that are not screenshots. No OCR engine runs here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from app.agent.scan import load_screenshot, scan_image
from app.detection.boxes import boxes_for_span, layout_text
from app.detection.ocr import OcrWord, get_backend
from app.detection.ocr.ink import split_line, tighten, to_gray
from app.domain.geometry import Box
from app.errors import ConfigError, ValidationError


def word(text: str, x: int, y: int, w: int = 40, h: int = 14) -> OcrWord:
    return OcrWord(text, Box(x, y, w, h), 0.9)


SEND = word("send", 10, 100)
ME = word("me", 55, 102, 22, 12)
A = word("a", 82, 103, 9, 10)
PIC = word("pic", 96, 100, 25, 16)
JUST = word("just", 10, 130)
NOW = word("now", 55, 131)
SCREEN = [NOW, PIC, SEND, JUST, A, ME]  # deliberately shuffled


def test_words_are_laid_out_in_lines_with_spans_that_point_back_at_them() -> None:
    ocr = layout_text(SCREEN)
    assert ocr.text == "send me a pic\njust now"
    for found, (start, end) in zip(ocr.words, ocr.spans, strict=True):
        assert ocr.text[start:end] == found.text


def test_a_phrase_across_two_words_gets_one_box_per_word() -> None:
    ocr = layout_text(SCREEN)
    start = ocr.text.index("a pic")
    assert boxes_for_span(ocr, start, start + len("a pic")) == (A.box, PIC.box)


def test_a_phrase_across_a_line_break_gets_the_boxes_on_both_lines() -> None:
    ocr = layout_text(SCREEN)
    start = ocr.text.index("pic\njust")
    assert boxes_for_span(ocr, start, start + len("pic\njust")) == (PIC.box, JUST.box)


def test_part_of_a_word_gets_that_whole_word_box() -> None:
    ocr = layout_text(SCREEN)
    start = ocr.text.index("ic")
    assert boxes_for_span(ocr, start, start + 2) == (PIC.box,)


def test_a_span_covering_only_a_space_or_nothing_has_no_boxes() -> None:
    ocr = layout_text(SCREEN)
    space = ocr.text.index(" ")
    assert boxes_for_span(ocr, space, space + 1) == ()
    assert boxes_for_span(ocr, 3, 3) == ()


def test_a_span_outside_the_text_is_refused() -> None:
    ocr = layout_text(SCREEN)
    with pytest.raises(ValidationError):
        boxes_for_span(ocr, 0, len(ocr.text) + 1)


def test_a_wide_gap_on_one_row_separates_two_columns() -> None:
    sidebar, chat = word("Family", 10, 100), word("hello", 400, 101)
    assert layout_text([chat, sidebar]).text == "Family\nhello"


def test_a_hyphen_joins_the_line_of_the_taller_words_beside_it() -> None:
    words = [word("ChatApp", 16, 13, 87, 18), word("-", 108, 20, 7, 3),
             word("Messages", 122, 14, 100, 17)]
    assert layout_text(words).text == "ChatApp - Messages"


def test_blank_words_are_dropped_and_inner_whitespace_collapsed() -> None:
    ocr = layout_text([word("  ", 10, 10), word("a\tb", 60, 10)])
    assert ocr.text == "a b"
    assert ocr.spans == ((0, 3),)


def draw_line(text: str, dark: bool) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """A line of text drawn on a plain background, with each word's ink box."""
    font = ImageFont.load_default(size=20)
    back, ink = ((30, 32, 36), (230, 230, 230)) if dark else ((250, 250, 250), (20, 20, 20))
    image = Image.new("RGB", (420, 60), back)
    draw = ImageDraw.Draw(image)
    draw.text((20, 18), text, font=font, fill=ink)
    boxes, x = [], 20.0
    for token in text.split(" "):
        left, top, right, bottom = draw.textbbox((x, 18), token, font=font)
        boxes.append((round(left), round(top), round(right), round(bottom)))
        x += draw.textlength(token + " ", font=font)
    return image, boxes


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_padded_line_box_is_cut_into_word_boxes_at_the_blank_columns(dark: bool) -> None:
    text = "kill yourself tonight ok"
    image, truth = draw_line(text, dark)
    boxes = split_line(to_gray(image), Box(5, 5, 400, 45), text.split())
    for box, (left, top, right, bottom) in zip(boxes, truth, strict=True):
        assert abs(box.x - left) <= 2 and abs(box.x + box.w - right) <= 2
        assert abs(box.y - top) <= 2 and abs(box.y + box.h - bottom) <= 2


def test_tightening_finds_a_narrow_word_set_beside_its_box() -> None:
    image, truth = draw_line("so I can", dark=False)
    left, top, right, bottom = truth[1]
    off = Box(right + 1, top, 2, bottom - top)  # an engine's box just right of the `I`
    gray = to_gray(image)
    found = tighten(gray, off, reach=3)
    ink = np.flatnonzero((gray[top:bottom, left:right] < 128).any(axis=0)) + left
    assert found.x <= ink[0] and found.x + found.w > ink[-1]


def test_a_file_that_is_not_an_image_is_refused_with_a_sentence(tmp_path: Path) -> None:
    fake = tmp_path / "screen.png"
    fake.write_text("this is a chat log, not a picture")
    with pytest.raises(ValidationError, match="not a screenshot"):
        scan_image(fake, "rapidocr", lambda text: [])


def test_an_image_larger_than_any_screen_is_refused_before_decoding(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    Image.new("1", (9000, 5000)).save(bomb)  # 45 MP of one colour: a few kilobytes on disk
    with pytest.raises(ValidationError, match="larger than any screen"):
        load_screenshot(bomb)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no file"):
        load_screenshot(tmp_path / "gone.png")


def test_an_unknown_backend_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="no OCR engine called"):
        get_backend("abbyy")
