"""Drawing helpers for synthetic screenshots: fonts, wrapped text, and boxes around the match.

A `Canvas` wraps one Pillow image. Text that may contain the matched span is laid out with
`wrap` and drawn with `lines`, which draws each line in up to three pieces (before, match,
after) at whole-pixel positions and records `ImageDraw.textbbox` of every match piece, so the
boxes are exactly where the matched characters were painted, one per drawn line. With
`hide_match` the match pieces are measured but not painted: the same layout with the words
missing, which is how tests prove the boxes cover the words. Not thread-safe (one per render).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from app.domain.enums import Source
from app.domain.geometry import Box
from app.services.demo.content import DemoText

FONT_DIR = Path(__file__).resolve().parents[3] / "resources" / "fonts"
Colour = tuple[int, int, int]
Span = tuple[int, int]  # [start, end) character offsets into the string being drawn
_WORD = re.compile(r"\S+")


@lru_cache(maxsize=32)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (or Bold) at `size` px, loaded once; basic layout for speed and stable
    metrics (no Raqm shaping, which Latin demo text does not need)."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=8192)
def text_length(text: str, size: int, bold: bool = False) -> float:
    """Advance width of `text` in pixels, memoised: filler and labels recur in every render."""
    return font(size, bold).getlength(text)


@lru_cache(maxsize=4096)
def _glyph_mask(text: str, size: int, bold: bool) -> tuple[Image.Image | None, int, int]:
    """`text` rendered once as an 8-bit coverage mask, with its offset from the draw origin.

    Rasterising is most of a render's cost and most strings (filler, labels, names) recur, so
    masks are cached and pasted; pasting a colour through the mask blends exactly as
    `ImageDraw.text` does.
    """
    face = font(size, bold)
    left, top, right, bottom = face.getbbox(text)
    if right <= left or bottom <= top:
        return None, 0, 0
    mask = Image.new("L", (int(right - left), int(bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=face, fill=255)
    return mask, int(left), int(top)


def wrap(text: str, size: int, max_width: int, bold: bool = False) -> list[Span]:
    """Greedy word wrap: the [start, end) span of each line; a word wider than the line is
    split between characters. Spaces at a break belong to no line. Widths are summed per word
    (kerning across a space is ignored), which decides only where lines break."""
    space = text_length(" ", size, bold)
    lines: list[Span] = []
    start = end = -1
    width = 0.0
    for m in _WORD.finditer(text):
        word = text_length(m.group(), size, bold)
        gap = space * (m.start() - end)
        if start >= 0 and width + gap + word <= max_width:
            end, width = m.end(), width + gap + word
            continue
        if start >= 0:
            lines.append((start, end))
        start, end, width = m.start(), m.end(), word
        while width > max_width and end - start > 1:
            cut = _fit(text, start, end, size, bold, max_width)
            lines.append((start, cut))
            start, width = cut, text_length(text[cut:end], size, bold)
    if start >= 0:
        lines.append((start, end))
    return lines or [(0, 0)]


def _fit(text: str, start: int, end: int, size: int, bold: bool, max_width: float) -> int:
    """Largest cut in (start, end] such that text[start:cut] fits (at least one character)."""
    face = font(size, bold)
    cut = start + 1
    while cut < end and face.getlength(text[start : cut + 1]) <= max_width:
        cut += 1
    return cut


class Canvas:
    """One image being drawn, plus the boxes of the matched span drawn on it so far."""

    def __init__(self, image: Image.Image, hide_match: bool = False) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.width, self.height = image.size
        self.hide_match = hide_match
        self.boxes: list[Box] = []

    def rect(
        self,
        xy: tuple[int, int, int, int],
        fill: Colour,
        radius: int = 0,
        outline: Colour | None = None,
    ) -> None:
        """A filled (optionally rounded, optionally outlined) rectangle, corners inclusive."""
        if radius:
            self.draw.rounded_rectangle(xy, radius, fill=fill, outline=outline)
        else:
            self.draw.rectangle(xy, fill=fill, outline=outline)

    def circle(self, cx: int, cy: int, r: int, fill: Colour) -> None:
        """A filled circle of radius `r` centred on (cx, cy): avatars and app icons."""
        self.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)

    def initial(self, cx: int, cy: int, name: str, size: int) -> None:
        """The first letter of `name`, white and bold, centred on (cx, cy): an avatar."""
        self.draw.text(
            (cx, cy),
            (name[:1] or "?").upper(),
            font=font(size, True),
            fill=(255, 255, 255),
            anchor="mm",
        )

    def text(self, x: int, y: int, text: str, size: int, fill: Colour, bold: bool = False) -> None:
        """Paint `text` with its origin (left, ascender) at (x, y), from the mask cache."""
        mask, dx, dy = _glyph_mask(text, size, bold)
        if mask is not None:
            self.image.paste(
                fill, (x + dx, y + dy, x + dx + mask.width, y + dy + mask.height), mask
            )

    def label(
        self,
        x: int,
        y: int,
        text: str,
        size: int,
        fill: Colour,
        bold: bool = False,
        max_width: int | None = None,
    ) -> int:
        """Benign single-line text, cut with an ellipsis to `max_width`; returns its width."""
        if max_width is not None and text_length(text, size, bold) > max_width:
            room = max_width - text_length("…", size, bold)
            text = text[: _fit(text, 0, len(text), size, bold, room)].rstrip() + "…"
        self.text(x, y, text, size, fill, bold)
        return math.ceil(text_length(text, size, bold))

    def lines(
        self,
        x: int,
        y: int,
        text: str,
        spans: list[Span],
        size: int,
        fill: Colour,
        match: Span | None = None,
        bold: bool = False,
        line_height: int = 0,
    ) -> int:
        """Draw `text`'s wrapped `spans` from (x, y), boxing the part inside `match` (offsets
        into `text`); returns the y below the last line."""
        step = line_height or round(size * 1.45)
        for start, end in spans:
            self._line(x, y, text, start, end, size, bold, fill, match)
            y += step
        return y

    def _line(
        self,
        x: int,
        y: int,
        text: str,
        start: int,
        end: int,
        size: int,
        bold: bool,
        fill: Colour,
        match: Span | None,
    ) -> None:
        lo, hi = (max(start, match[0]), min(end, match[1])) if match else (end, end)
        if lo >= hi:
            self.text(x, y, text[start:end], size, fill, bold)
            return
        for a, b, is_match in ((start, lo, False), (lo, hi, True), (hi, end, False)):
            if a == b:
                continue
            px = x + round(font(size, bold).getlength(text[start:a]))
            if is_match:
                left, top, right, bottom = self.draw.textbbox(
                    (px, y), text[a:b], font=font(size, bold)
                )
                self.boxes.append(
                    Box(
                        math.floor(left),
                        math.floor(top),
                        math.ceil(right) - math.floor(left),
                        math.ceil(bottom) - math.floor(top),
                    )
                )
                if self.hide_match:
                    continue
            self.text(px, y, text[a:b], size, fill, bold)


_SENDER = re.compile(r"(@?[\w.'-]+(?: [\w.'-]+)?): ")
AVATAR_COLOURS: tuple[Colour, ...] = (
    (99, 102, 241),
    (236, 72, 153),
    (16, 185, 129),
    (245, 158, 11),
    (59, 130, 246),
    (139, 92, 246),
    (239, 68, 68),
    (20, 184, 166),
)


def context_lines(context: str, match: Span) -> list[tuple[str, Span]]:
    """Each line of `context` with the match span re-based onto that line."""
    out: list[tuple[str, Span]] = []
    offset = 0
    for line in context.split("\n"):
        out.append((line, (match[0] - offset, match[1] - offset)))
        offset += len(line) + 1
    return out


def split_sender(line: str) -> tuple[str, int]:
    """(`Name`, body offset) for a chat-style `Name: body` line, else ("", 0)."""
    m = _SENDER.match(line)
    return (m.group(1), m.end()) if m and len(m.group(1)) <= 24 else ("", 0)


@lru_cache(maxsize=64)
def _title_pattern(title_format: str, field: str) -> re.Pattern[str]:
    escaped = re.escape(title_format).replace(re.escape("{" + field + "}"), "(.+)")
    return re.compile(escaped + "$")


def title_part(title: str, formats: tuple[str, ...], field: str) -> str | None:
    """The `{field}` part of a window title made from one of `formats`, if any matches."""
    for title_format in formats:
        if m := _title_pattern(title_format, field).match(title):
            return m.group(1)
    return None


def title_bar(c: Canvas, text: DemoText, bg: Colour, fg: Colour, accent: Colour) -> bool:
    """The window's title bar, 32 px, showing `text.window_title`. When the match fired on the
    window title (source WINDOW) the context is drawn there instead, with the match boxed;
    returns whether it was (a context too long for the bar goes in the window body)."""
    c.rect((0, 0, c.width - 1, 31), bg)
    c.rect((10, 8, 25, 23), accent, radius=4)
    c.initial(18, 16, text.app, 11)
    for i, glyph in enumerate(("—", "☐", "✕")):
        c.label(c.width - 132 + i * 46, 7, glyph, 13, fg)
    room = c.width - 36 - 160
    context = text.context
    if text.source is Source.WINDOW and "\n" not in context and text_length(context, 13) <= room:
        c.lines(36, 8, context, [(0, len(context))], 13, fg, (text.match_start, text.match_end))
        return True
    c.label(36, 8, text.window_title, 13, fg, max_width=room)
    return False
