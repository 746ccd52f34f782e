"""From OCR words to matchable text and back from matched spans to pixel boxes.

The matcher works on one string; the evidence viewer needs rectangles. `layout_text` turns a
screen's words into that string — words joined by single spaces, lines by "\\n" — and remembers
the character span of every word, so `boxes_for_span` can map any matcher span back to the
boxes of the words it touches (a phrase across three words gets three boxes).

Line breaks come from geometry, not from the engine: words whose boxes share most of their
height sit on one line, and a horizontal gap wider than twice the line's height (a sidebar
beside a chat pane, a timestamp at the far right) also ends the line, so a phrase cannot be
stitched together from two unrelated columns. Pure functions; safe from any thread.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from app.detection.ocr import OcrWord
from app.domain.geometry import Box
from app.errors import ValidationError

_COLUMN_GAP = 2.0  # a gap wider than this many line heights starts a new line of text


@dataclass(frozen=True)
class OcrText:
    """A screen's words as one string: `spans[i]` is the [start, end) of `words[i]` in
    `text`."""

    text: str
    words: tuple[OcrWord, ...]
    spans: tuple[tuple[int, int], ...]


def _centre_y(box: Box) -> float:
    return box.y + box.h / 2


def _same_line(line: list[OcrWord], word: OcrWord) -> bool:
    """True when `word` shares most of its height with the line (or the line with it), so a
    hyphen or an `a` joins the line of the capitals beside it."""
    top = min(w.box.y for w in line)
    bottom = max(w.box.y + w.box.h for w in line)
    overlap = min(bottom, word.box.y + word.box.h) - max(top, word.box.y)
    return overlap >= 0.5 * min(word.box.h, bottom - top)


def group_lines(words: Sequence[OcrWord]) -> list[list[OcrWord]]:
    """Words grouped into lines of text, lines top to bottom, words left to right; a row of
    words broken by a wide horizontal gap becomes two lines (left part first)."""
    rows: list[list[OcrWord]] = []
    for word in sorted(words, key=lambda w: (_centre_y(w.box), w.box.x)):
        # A word can only join one of the few most recent rows: rows are built top-down.
        for row in reversed(rows[-3:]):
            if _same_line(row, word):
                row.append(word)
                break
        else:
            rows.append([word])
    rows.sort(key=lambda r: min(_centre_y(w.box) for w in r))
    lines: list[list[OcrWord]] = []
    for row in rows:
        row.sort(key=lambda w: w.box.x)
        height = max(w.box.h for w in row)
        current = [row[0]]
        for before, word in itertools.pairwise(row):
            if word.box.x - (before.box.x + before.box.w) > _COLUMN_GAP * height:
                lines.append(current)
                current = []
            current.append(word)
        lines.append(current)
    return lines


def reading_order(words: Sequence[OcrWord]) -> list[OcrWord]:
    """The words flattened in the order `layout_text` writes them."""
    return [word for line in group_lines(words) for word in line]


def layout_text(words: Sequence[OcrWord]) -> OcrText:
    """The words as one string (single spaces within a line, "\\n" between lines) with the
    character span of each word. Words with no visible text are dropped."""
    parts: list[str] = []
    kept: list[OcrWord] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in group_lines([w for w in words if w.text.strip()]):
        if parts:
            parts.append("\n")
            offset += 1
        for i, word in enumerate(line):
            if i:
                parts.append(" ")
                offset += 1
            text = " ".join(word.text.split())
            parts.append(text)
            kept.append(word)
            spans.append((offset, offset + len(text)))
            offset += len(text)
    return OcrText("".join(parts), tuple(kept), tuple(spans))


def boxes_for_span(ocr_text: OcrText, start: int, end: int) -> tuple[Box, ...]:
    """The box of every word that the character span [start, end) of `ocr_text.text` overlaps,
    in text order. An empty span, or one covering only spaces, has no boxes."""
    if not 0 <= start <= end <= len(ocr_text.text):
        raise ValidationError(
            f"The span {start}–{end} lies outside the {len(ocr_text.text)}-character screen "
            "text it was matched in.")
    if start == end:
        return ()
    return tuple(word.box for word, (s, e) in zip(ocr_text.words, ocr_text.spans, strict=True)
                 if s < end and start < e)
