"""Where a new screen differs from the last one, and which of its text rows were already there.

OCR costs 0.5–1 s of CPU a full screen, so the agent reads only what is new. Two steps:

1. Where: each grab is reduced to a 320×180 grey thumbnail and compared with the previous one
   (cheap enough for every tick). Changed thumbnail pixels are cut into boxes — runs of changed
   rows, then runs of changed columns within them, then rows again — with changes a few cells
   apart joined, so a typed word, a new chat line and a clock are separate boxes, not one band
   across everything between them.
2. What is new: inside each box the new screen's pixel rows are compared with the old screen's,
   as ink (how far each pixel stands from the box's background, as a share of the contrast the
   background leaves room for: black text on any light shade has the same ink, so a re-shaded
   pane or a toggled dark mode is not new text). A row is `still` when it shows the same ink at
   the same place, and `scrolled` when it shows the ink of the old row `scroll` pixels further
   down (a pane that scrolled: the likeliest shifts are found from rows with about the same
   amount of ink, then checked pixel by pixel). Only rows with ink that are neither are new.

A scroll is believed only in a box at least `MIN_SCROLL_WIDTH` wide and for at least
`MIN_SCROLL_ROWS` rows: a narrow box (one typed letter) could otherwise "find" its glyph in the
line above. Pure numpy functions; safe from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.domain.geometry import Box

Gray = NDArray[np.uint8]
Ink = NDArray[np.uint8]
Rows = NDArray[np.bool_]

THUMB = (320, 180)
PIXEL_CHANGED = 12  # grey levels (0–255) a thumbnail pixel must move to count
PIXELS_FOR_CHANGE = 6  # changed thumbnail pixels that make a screen worth looking at
JOIN_CELLS = 3  # changed thumbnail pixels fewer than this many cells apart join one box
INK = 51  # ink (0–255) that makes a pixel text, and the difference that makes two differ
ODD_PIXELS = 2  # pixels a row may differ in and still be the same: a text caret that moved
PROFILE_SLACK = 2  # pixels of ink per row by which two rows may differ and still vote
MIN_SCROLL_WIDTH = 96  # px: a narrower box is never taken to have scrolled
MIN_SCROLL_ROWS = 24  # pixel rows of ink a scroll must explain to be believed
VOTERS_AT_ONCE = 256  # rows whose scroll votes are counted together
CANDIDATES = 3  # likeliest scrolls checked pixel by pixel (evenly spaced lines tie)


@dataclass(frozen=True)
class AreaChange:
    """One changed box of the screen and, for each pixel row in it (top first): whether the new
    row has ink, is `still` (the old row at the same place), or is `scrolled` (the old row
    `scroll` px further down; all False when no scroll was found)."""

    box: Box
    inked: Rows
    still: Rows
    scroll: int
    scrolled: Rows

    def new_rows(self) -> Rows:
        """Rows with ink the old screen did not show there (nor, scrolled, nearby)."""
        return self.inked & ~self.still & ~self.scrolled


def changed_boxes(before: NDArray[np.float32], after: NDArray[np.float32],
                  size: tuple[int, int]) -> list[Box]:
    """Boxes (screen pixels, one thumbnail cell of margin) around what moved between two
    thumbnails of a `size` screen; none when fewer than PIXELS_FOR_CHANGE pixels moved."""
    moved = np.abs(after - before) > PIXEL_CHANGED
    if int(moved.sum()) < PIXELS_FOR_CHANGE:
        return []
    cells: list[tuple[int, int, int, int]] = []
    for top, bottom in runs(moved.any(axis=1), JOIN_CELLS):
        band = moved[top:bottom]
        for left, right in runs(band.any(axis=0), JOIN_CELLS):
            for up, down in runs(band[:, left:right].any(axis=1), JOIN_CELLS):
                cells.append((left, top + up, right, top + down))
    return [_on_screen(cell, moved.shape, size) for cell in cells]


def _on_screen(cell: tuple[int, int, int, int], shape: tuple[int, ...],
               size: tuple[int, int]) -> Box:
    """Thumbnail cells [left, right) × [top, bottom) as a screen box, one cell bigger all round
    (a thumbnail pixel blends its neighbours, so a change can sit just outside it)."""
    sx, sy = size[0] / shape[1], size[1] / shape[0]
    left, top, right, bottom = cell
    x0, y0 = max(0, int((left - 1) * sx)), max(0, int((top - 1) * sy))
    x1 = min(size[0], int(np.ceil((right + 1) * sx)))
    y1 = min(size[1], int(np.ceil((bottom + 1) * sy)))
    return Box(x0, y0, x1 - x0, y1 - y0)


def runs(flags: NDArray[np.bool_], join: int = 1) -> list[tuple[int, int]]:
    """[start, end) of each run of True in `flags`, runs fewer than `join` apart merged."""
    at = np.flatnonzero(flags)
    if at.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(at) > join)
    starts = [int(at[0]), *(int(v) for v in at[breaks + 1])]
    ends = [*(int(v) + 1 for v in at[breaks]), int(at[-1]) + 1]
    return list(zip(starts, ends, strict=True))


def compare(old: Gray, new: Gray, box: Box) -> AreaChange:
    """Which rows of `box` on the `new` screen the `old` screen already showed, in place or
    scrolled by up to the box's height."""
    columns = slice(box.x, box.x + box.w)
    top, bottom = max(0, box.y - box.h), min(old.shape[0], box.y + 2 * box.h)
    fresh = ink(new[box.y:box.y + box.h, columns], _background(new, box))
    past = ink(old[top:bottom, columns], _background(old, box))
    here = box.y - top  # fresh row r is past row r + here on an unmoved screen
    still = same_rows(fresh, past, here)
    inked = np.count_nonzero(fresh > INK, axis=1) > 0
    scroll, scrolled = 0, np.zeros_like(still)
    if box.w >= MIN_SCROLL_WIDTH:
        scroll, scrolled = _scroll(fresh, past, here, inked & ~still)
    return AreaChange(box, inked, still, scroll, scrolled)


def _scroll(fresh: Ink, past: Ink, here: int, changed: Rows) -> tuple[int, Rows]:
    """The scroll (px) that explains the most `changed` rows, checked pixel by pixel among the
    likeliest few, and the rows it explains; (0, none) when none explains MIN_SCROLL_ROWS."""
    best, explained = 0, np.zeros(len(fresh), dtype=np.bool_)
    most = MIN_SCROLL_ROWS - 1
    for offset in _likeliest_offsets(_profile(fresh), _profile(past), here, changed):
        moved = same_rows(fresh, past, offset)
        if (count := int(np.count_nonzero(moved & changed))) > most:
            best, explained, most = offset - here, moved, count
    return best, explained


def ink(gray: Gray, background: int) -> Ink:
    """How far each pixel stands from `background`, as a share of the most it could (0–255):
    black text on white and on pale blue has the same ink; so have dark and light themes."""
    room = max(background, 255 - background, 1)
    levels = np.abs(np.arange(256) - background) * 255 // room
    table: Ink = np.minimum(levels, 255).astype(np.uint8)
    return table[gray]


def background(gray: Gray) -> int:
    """The commonest grey level of `gray` (every third pixel each way is plenty)."""
    return int(np.bincount(gray[::3, ::3].ravel(), minlength=256).argmax())


def _background(gray: Gray, box: Box) -> int:
    return background(gray[box.y:box.y + box.h, box.x:box.x + box.w])


def same_rows(fresh: Ink, past: Ink, offset: int) -> Rows:
    """For each row r of `fresh`: whether it matches row r + offset of `past` (no pixel's ink
    more than INK apart, bar ODD_PIXELS); False where that row is outside `past`."""
    same = np.zeros(len(fresh), dtype=np.bool_)
    lo, hi = max(0, -offset), min(len(fresh), len(past) - offset)
    if hi > lo:
        a, b = fresh[lo:hi], past[lo + offset:hi + offset]
        differ = np.maximum(a, b) - np.minimum(a, b) > INK
        same[lo:hi] = np.count_nonzero(differ, axis=1) <= ODD_PIXELS
    return same


def _profile(rows: Ink) -> NDArray[np.int64]:
    """Pixels of ink per row: a row's cheap fingerprint for finding a scroll."""
    counts: NDArray[np.int64] = np.count_nonzero(rows > INK, axis=1).astype(np.int64)
    return counts


def _likeliest_offsets(fresh: NDArray[np.int64], past: NDArray[np.int64], here: int,
                       changed: Rows) -> list[int]:
    """Up to CANDIDATES offsets other than `here` at which most `changed` rows of `fresh` find
    a `past` row with about as much ink (row r against r + offset), likeliest first. Rows that
    did not change vote for nothing: a pane's blank foot would agree with itself at any shift.
    Voters go in chunks, so a 4K screen's vote never holds millions of pairs at once."""
    votes = np.zeros(len(fresh) + len(past), dtype=np.int64)
    voters = np.flatnonzero(changed)
    for chunk in np.array_split(voters, max(1, len(voters) // VOTERS_AT_ONCE)):
        close = np.abs(fresh[chunk][:, None] - past[None, :]) <= PROFILE_SLACK
        voter, row = np.nonzero(close)
        votes += np.bincount(row - chunk[voter] + len(fresh), minlength=len(votes))
    votes[here + len(fresh)] = 0
    likeliest = np.argsort(votes)[::-1][:CANDIDATES]
    return [int(i) - len(fresh) for i in likeliest if votes[i] >= MIN_SCROLL_ROWS]
