"""The words already read off the screen, carried onto the next grab, and what is left to read.

The agent remembers the words (with full-screen boxes) of the screen as it last read it. When
the screen changes (`app.agent.changes`), a remembered word is kept where its rows did not
change, moved with a pane that scrolled, and forgotten otherwise; only rows with new ink are
read, in boxes around them.

The rule at a box's edge, so a phrase is never cut:
- a box spans its changed area's full width plus `PAD_X`, and its new rows plus `PAD_Y` (the
  tips of glyphs that matched by chance);
- it then grows over every word it touches, remembered (now or at its old place) — so no word
  is read cut in two, and the remembered words it swallowed are read again, not kept;
- the phrase matcher runs over the remembered and the new words laid out together, as one
  screen. A phrase half in remembered text and half in new text ("nobody would" on the line
  above, "miss you" just typed) is found whole, with the boxes of all its words; a phrase made
  only of remembered words was found when they were read, and is not reported again.
When the boxes would cover more than `FULL_READ` of the screen, the whole screen is read and
nothing is carried.

Pure functions; safe from any thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.agent.changes import AreaChange, runs
from app.detection.ocr import OcrWord
from app.domain.geometry import Box

PAD_X = 8  # px beside a changed area: reaches the rest of a word whose end was typed
PAD_Y = 3  # px above and below new rows: glyph tips that changed too few pixels to count
FULL_READ = 0.6  # boxes over this share of the screen: read it all


@dataclass(frozen=True)
class Plan:
    """What to read (`boxes`, in screen pixels) and the remembered words the new screen still
    shows (`kept`, in its pixels)."""

    boxes: tuple[Box, ...]
    kept: tuple[OcrWord, ...]

    @classmethod
    def whole(cls, size: tuple[int, int]) -> Plan:
        return cls((Box(0, 0, size[0], size[1]),), ())


def plan_reads(areas: Sequence[AreaChange], words: Sequence[OcrWord],
               size: tuple[int, int]) -> Plan:
    """The plan for a screen whose changed `areas` are known, given the words remembered from
    the last one."""
    kept = carry(words, areas)
    boxes = [_clip(_pad(box), size) for area in areas for box in _new_boxes(area, words)]
    boxes = _settle([box for box in boxes if box.w and box.h], [w.box for w in (*kept, *words)])
    if sum(b.w * b.h for b in boxes) > FULL_READ * size[0] * size[1]:
        return Plan.whole(size)
    return Plan(tuple(boxes), tuple(w for w in kept if not any(_meet(w.box, b) for b in boxes)))


def carry(words: Sequence[OcrWord], areas: Sequence[AreaChange]) -> list[OcrWord]:
    """The remembered words still on the screen: in place where none of their rows changed,
    moved with a scroll that carried all of them."""
    kept = [w for w in words if all(_still(w.box, area) for area in areas)]
    for area in areas:
        if area.scroll:
            kept += [moved for w in words if (moved := _scrolled(w, area)) is not None]
    return kept


def _still(box: Box, area: AreaChange) -> bool:
    if not _meet(box, area.box):
        return True
    top = max(box.y, area.box.y) - area.box.y
    bottom = min(box.y + box.h, area.box.y + area.box.h) - area.box.y
    return bool(area.still[top:bottom].all())


def _scrolled(word: OcrWord, area: AreaChange) -> OcrWord | None:
    """`word` moved with the area's scroll, when it lies inside the area before and after and
    every row it lands on showed that scroll."""
    b, a = word.box, area.box
    y = b.y - area.scroll
    inside = a.x <= b.x and b.x + b.w <= a.x + a.w and a.y <= y and y + b.h <= a.y + a.h
    if not inside or not area.scrolled[y - a.y:y - a.y + b.h].all():
        return None
    return replace(word, box=Box(b.x, y, b.w, b.h))


def _new_boxes(area: AreaChange, words: Sequence[OcrWord]) -> list[Box]:
    """Boxes (the area's width) around its new rows — and around the rows that only the scroll
    explains where it put a word that could not be carried (reaching out of the area), so that
    word is read again rather than lost."""
    new, a = area.new_rows(), area.box
    only_scrolled = area.scrolled & ~area.still
    for word in words if area.scroll else ():
        top = word.box.y - area.scroll - a.y  # where it landed, in area rows
        start, stop = max(0, top), min(len(new), top + word.box.h)
        if start < stop and a.x < word.box.x + word.box.w and word.box.x < a.x + a.w and \
                _scrolled(word, area) is None:
            new[start:stop] |= only_scrolled[start:stop]
    return [Box(a.x, a.y + top, a.w, bottom - top) for top, bottom in runs(new, PAD_Y)]


def _settle(boxes: list[Box], guides: list[Box]) -> list[Box]:
    """Boxes grown over every guide (word) they touch and merged where they meet, until
    nothing changes."""
    for _ in range(8):
        grown = _merged([_cover(box, guides) for box in boxes])
        if set(grown) == set(boxes):
            break
        boxes = grown
    return boxes


def _cover(box: Box, guides: list[Box]) -> Box:
    for guide in guides:
        if _meet(box, guide):
            box = _union(box, guide)
    return box


def _merged(boxes: list[Box]) -> list[Box]:
    """Boxes that meet replaced by their union, until none meet."""
    result: list[Box] = []
    for box in boxes:
        while (hit := next((i for i, other in enumerate(result) if _meet(box, other)),
                           None)) is not None:
            box = _union(box, result.pop(hit))
        result.append(box)
    return result


def _meet(a: Box, b: Box) -> bool:
    """Whether two boxes overlap (touching edges do not)."""
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _union(a: Box, b: Box) -> Box:
    x0, y0 = min(a.x, b.x), min(a.y, b.y)
    return Box(x0, y0, max(a.x + a.w, b.x + b.w) - x0, max(a.y + a.h, b.y + b.h) - y0)


def _pad(box: Box) -> Box:
    return Box(box.x - PAD_X, box.y - PAD_Y, box.w + 2 * PAD_X, box.h + 2 * PAD_Y)


def _clip(box: Box, size: tuple[int, int]) -> Box:
    x0, y0 = max(0, box.x), max(0, box.y)
    x1, y1 = min(size[0], box.x + box.w), min(size[1], box.y + box.h)
    return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0))
