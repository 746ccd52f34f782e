"""The captured text with its matches highlighted, as rich text for a QTextBrowser.

Everything the pupil typed or the screen showed is escaped before it is wrapped in a span: the
text is data, never markup.

Threading: pure functions (no widgets); call from the GUI thread.
"""

from __future__ import annotations

from html import escape

from PySide6.QtGui import QColor

from app.domain.categories import CATEGORY_BY_KEY
from app.domain.detail import MatchDetail

TINT_ALPHA = 70  # of 255: the category colour behind the words, text stays readable


def category_colour(key: str) -> str:
    info = CATEGORY_BY_KEY.get(key)
    return info.colour if info else "#475569"


def highlighted_html(context: str, matches: tuple[MatchDetail, ...]) -> str:
    """`context` with each match's span tinted in its category colour (overlaps merged into
    the earlier match)."""
    pieces, at = [], 0
    for match in sorted(matches, key=lambda m: (m.start, m.end)):
        start, end = max(match.start, at), min(match.end, len(context))
        if start >= end:
            continue
        pieces.append(_plain(context[at:start]))
        colour = QColor(category_colour(match.category_key))
        tint = f"rgba({colour.red()},{colour.green()},{colour.blue()},{TINT_ALPHA})"
        pieces.append(f'<span style="background-color:{tint}; font-weight:600; '
                      f'border-bottom:2px solid {colour.name()}">'
                      f"{_plain(context[start:end])}</span>")
        at = end
    pieces.append(_plain(context[at:]))
    return f'<div style="white-space:pre-wrap">{"".join(pieces)}</div>'


def _plain(text: str) -> str:
    return escape(text, quote=False)
