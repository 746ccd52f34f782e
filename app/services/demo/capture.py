"""One synthetic capture, as a device's agent would make it: a text the shipped matcher flags,
in a category drawn from the demo mix, and (when asked) a rendered text-only screenshot with the
leading match boxed. The seeder and the LAN simulator both build incidents from this, and seal
them with the device-side code (`app.agent.incident`)."""

from __future__ import annotations

import random
from datetime import datetime

from app.agent.incident import Capture, Screenshot
from app.domain.content import IncidentContent, MatchSpan
from app.domain.enums import Source
from app.services.demo.detected import DetectedText, draw_detected_text
from app.services.demo.mix import CATEGORY_WEIGHTS
from app.services.demo.palette import Palette
from app.services.demo.screens import TEMPLATES, render_screenshot

CATEGORIES = tuple(sorted(CATEGORY_WEIGHTS))
CUM_WEIGHTS = tuple(
    sum(CATEGORY_WEIGHTS[c] for c in CATEGORIES[:i + 1]) for i in range(len(CATEGORIES)))


def demo_capture(rng: random.Random, palette: Palette, when: datetime, login: str,
                 screenshot: bool) -> Capture:
    category = rng.choices(CATEGORIES, cum_weights=CUM_WEIGHTS)[0]
    detected = draw_detected_text(rng, category, palette)
    shot: Screenshot | None = None
    boxes: tuple[tuple[int, int, int, int], ...] = ()
    if screenshot:
        rendered = render_screenshot(detected.text, rng.choice(TEMPLATES), rng)
        boxes = tuple((b.x, b.y, b.w, b.h) for b in rendered.boxes)
        shot = Screenshot(rendered.webp, "image/webp", rendered.width, rendered.height)
    primary = detected.primary
    return Capture(when, primary.category, primary.severity,
                   Source.SCREEN if shot else detected.text.source, palette.version, login,
                   _content(detected, boxes), shot)


def _content(detected: DetectedText,
             boxes: tuple[tuple[int, int, int, int], ...]) -> IncidentContent:
    """Every match the matcher found (`phrase` is the entry id), the primary one first; the
    screenshot boxes belong to the primary match, the span the screenshot highlights."""
    text = detected.text
    spans = tuple(MatchSpan(m.text, m.start, m.end, m.phrase_id, boxes if i == 0 else ())
                  for i, m in enumerate(detected.matches))
    return IncidentContent(text.app, text.window_title, text.url, text.context, spans)
