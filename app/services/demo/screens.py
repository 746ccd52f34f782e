"""Synthetic screenshots for demo incidents: rendered text in a plausible app window, as lossless
WebP, with the pixel boxes of the matched words.

Screenshots are text and flat shapes only (no photographs, no people), drawn with the DejaVu
fonts shipped in `resources/fonts`. The boxes are measured from the very calls that draw the
matched characters, so the console's highlights land on the words (DESIGN §5, Match boxes).
Lossless WebP at `method=0` because evidence must not be altered by compression and DESIGN §13
measured WebP as half the size of PNG and three times faster to decode in Qt.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from app.domain.geometry import Box
from app.services.demo.content import DemoText
from app.services.demo.screen_canvas import Canvas
from app.services.demo.screen_chat import chat_dark, chat_light
from app.services.demo.screen_pages import document, search, social_feed

TEMPLATES: tuple[str, ...] = ("chat_light", "chat_dark", "search", "document", "social_feed")

_Painter = Callable[[Canvas, DemoText, random.Random], None]
_PAINTERS: dict[str, _Painter] = {
    "chat_light": chat_light,
    "chat_dark": chat_dark,
    "search": search,
    "document": document,
    "social_feed": social_feed,
}
WEBP_METHOD = 1  # with WEBP_EFFORT 0: the fastest lossless setting measured, and small files
WEBP_EFFORT = 0  # in lossless mode "quality" is compression effort, not fidelity


@dataclass(frozen=True)
class RenderedScreenshot:
    """A lossless WebP screenshot, its size in pixels and the boxes of the matched span."""

    webp: bytes
    width: int
    height: int
    boxes: tuple[Box, ...]


def render_screenshot(
    text: DemoText, template: str, rng: random.Random, width: int = 1280, height: int = 800
) -> RenderedScreenshot:
    """Draw `text` in a `template` window and encode it as lossless WebP.

    The title bar shows `text.window_title` (or, for a window-title match, the context itself,
    boxed); the body shows benign filler chosen with `rng` around the context. `boxes` hold one
    `Box` per drawn line of `context[match_start:match_end]`, from `ImageDraw.textbbox` of the
    glyphs as drawn. The same `text`, template, size and `rng` state give the same bytes.
    Raises ValueError for an unknown template or a size too small to lay a window out in.
    """
    image, boxes = render_image(text, template, rng, width, height)
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", lossless=True, method=WEBP_METHOD, quality=WEBP_EFFORT)
    return RenderedScreenshot(buffer.getvalue(), width, height, boxes)


def render_image(
    text: DemoText,
    template: str,
    rng: random.Random,
    width: int = 1280,
    height: int = 800,
    *,
    hide_match: bool = False,
) -> tuple[Image.Image, tuple[Box, ...]]:
    """The RGB image behind `render_screenshot`, before encoding.

    With `hide_match` every pixel is drawn exactly as usual except the glyphs of the matched
    span (their boxes are still measured): the same picture with the words missing, which lets
    a test or a redaction preview compare the two.
    """
    painter = _PAINTERS.get(template)
    if painter is None:
        raise ValueError(f"unknown screenshot template {template!r}; expected one of {TEMPLATES}")
    if width < 640 or height < 400:
        raise ValueError("screenshots must be at least 640 x 400 pixels")
    canvas = Canvas(Image.new("RGB", (width, height), (255, 255, 255)), hide_match)
    painter(canvas, text, rng)
    return canvas.image, tuple(canvas.boxes)


def pick_template(text: DemoText, rng: random.Random) -> str:
    """The template that suits where `text` came from (a search page for searches, a
    document for Word or Docs, dark or light chat for chat apps, a feed for social sites)."""
    title = text.window_title
    if " - Search - " in title or " - Videos - " in title:
        return "search"
    if text.app == "Microsoft Word" or " - Docs - " in title or ".docx" in title:
        return "document"
    if text.app == "Discord":
        return "chat_dark"
    if title in _FEED_TITLES:
        return "social_feed"
    return "chat_light" if rng.random() < 0.7 else "chat_dark"


_FEED_TITLES = frozenset(
    {
        "Instagram",
        "Comments - Student Forum - Google Chrome",
        "Home / Feed - Microsoft Edge",
    }
)
