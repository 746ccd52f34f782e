"""The two chat templates: a light bubble chat (Teams/Messages-like) and a dark channel chat
(Discord-like). Both stack benign filler messages above the context's messages, newest at the
bottom as real chat windows do, so the matched message always sits just above the composer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.domain.enums import Source
from app.services.demo import wordbank as wb
from app.services.demo.content import DemoText
from app.services.demo.namebank import NAME_GROUPS
from app.services.demo.screen_canvas import (
    AVATAR_COLOURS,
    Canvas,
    Colour,
    Span,
    context_lines,
    split_sender,
    text_length,
    title_bar,
    title_part,
    wrap,
)

_NAMES = tuple(n for g in NAME_GROUPS for n in g.first_names if n.isascii())
_NO_MATCH: Span = (-1, -1)
_PEER_FORMATS = tuple(title for _, title, _ in wb.CHAT_SURFACES)


@dataclass(frozen=True)
class _Message:
    sender: str
    body: str
    match: Span
    mine: bool


def _messages(text: DemoText, rng: random.Random, skip_context: bool) -> list[_Message]:
    """A few filler messages followed by the context's lines (unless drawn in the title)."""
    context: list[_Message] = []
    if not skip_context:
        lines = context_lines(text.context, (text.match_start, text.match_end))
        parsed = [(line, span, *split_sender(line)) for line, span in lines]
        me = next((s for ln, sp, s, _ in parsed if 0 <= sp[0] < sp[1] <= len(ln)), "")
        if text.source is not Source.TYPED:
            me = next((s for _, _, s, _ in parsed if s and s != me), "")
        for line, (lo, hi), sender, at in parsed:
            context.append(_Message(sender, line[at:], (lo - at, hi - at), sender == me))
    filler = [
        _Message(rng.choice(_NAMES), rng.choice(wb.CHAT_FILLER), _NO_MATCH, rng.random() < 0.4)
        for _ in range(rng.randint(6, 12))
    ]
    return filler + context


def chat_light(c: Canvas, text: DemoText, rng: random.Random) -> None:
    """A light, bubble-style desktop chat: app rail, conversation list, thread, composer."""
    w, h = c.width, c.height
    in_title = title_bar(c, text, (240, 240, 243), (40, 40, 48), (98, 100, 167))
    c.rect((0, 32, w - 1, h - 1), (255, 255, 255))
    side_x, pane_x = 56, 56 + min(300, w // 4)
    c.rect((0, 32, side_x - 1, h - 1), (235, 235, 242))
    for i in range(5):
        y = 52 + i * 48
        c.rect((16, y, 39, y + 23), (196, 198, 222) if i else (98, 100, 167), radius=6)
    c.rect((side_x, 32, pane_x - 1, h - 1), (247, 247, 250))
    c.rect((side_x + 12, 44, pane_x - 12, 72), (235, 235, 240), radius=6)
    c.label(side_x + 22, 50, "Search", 13, (130, 130, 140))
    for i in range(min(9, (h - 90) // 64)):
        y = 86 + i * 64
        if i == 0:
            c.rect((side_x + 4, y - 6, pane_x - 5, y + 52), (228, 229, 245), radius=6)
        name = rng.choice(wb.GROUP_CHATS) if rng.random() < 0.3 else rng.choice(_NAMES)
        c.circle(side_x + 30, y + 22, 17, rng.choice(AVATAR_COLOURS))
        c.initial(side_x + 30, y + 22, name, 14)
        c.label(side_x + 56, y + 6, name, 14, (30, 30, 36), True, pane_x - side_x - 70)
        c.label(side_x + 56, y + 28, rng.choice(wb.SIDEBAR_PREVIEWS), 12, (110, 110, 120))
    c.label(pane_x + 24, 48, _peer(text, rng), 17, (30, 30, 36), bold=True)
    c.rect((pane_x, 84, w - 1, 84), (225, 225, 232))
    composer = h - 70
    c.rect((pane_x + 20, composer, w - 24, h - 20), (255, 255, 255), 8, (200, 200, 210))
    c.label(pane_x + 36, composer + 15, "Type a message", 14, (140, 140, 150))
    _bubbles(c, _messages(text, rng, in_title), pane_x, w, 96, composer - 12)


def _bubbles(
    c: Canvas, messages: list[_Message], left: int, right: int, top: int, bottom: int
) -> None:
    """Right-aligned bubbles for the pupil's own messages, left-aligned with a name otherwise."""
    max_w = min(520, (right - left) * 3 // 5)
    laid = []
    for m in messages:
        spans = wrap(m.body, 14, max_w)
        width = max(round(text_length(m.body[a:b], 14)) for a, b in spans) + 24
        laid.append((m, spans, width, len(spans) * 20 + 16 + (0 if m.mine else 18)))
    while len(laid) > 1 and sum(item[3] + 10 for item in laid) > bottom - top:
        laid.pop(0)  # the oldest messages have scrolled off the top
    y = bottom - sum(item[3] + 10 for item in laid)
    for m, spans, width, height in laid:
        x, bubble_y = (right - 28 - width if m.mine else left + 28), y + (0 if m.mine else 18)
        if not m.mine:
            c.label(x + 4, y, m.sender, 12, (100, 100, 112))
        fill: Colour = (218, 226, 255) if m.mine else (240, 240, 244)
        c.rect((x, bubble_y, x + width, bubble_y + len(spans) * 20 + 14), fill, radius=10)
        c.lines(x + 12, bubble_y + 8, m.body, spans, 14, (24, 24, 30), m.match, line_height=20)
        y += height + 10


def chat_dark(c: Canvas, text: DemoText, rng: random.Random) -> None:
    """A dark, channel-style chat: server rail, channel list, message rows with avatars."""
    w, h = c.width, c.height
    in_title = title_bar(c, text, (30, 31, 34), (181, 186, 193), (88, 101, 242))
    c.rect((0, 32, 71, h - 1), (30, 31, 34))
    for i in range(min(8, (h - 60) // 58)):
        c.circle(36, 64 + i * 58, 23, (88, 101, 242) if i == 0 else (49, 51, 56))
    list_x = 72 + min(240, w // 5)
    c.rect((72, 32, list_x - 1, h - 1), (43, 45, 49))
    c.label(88, 46, _peer(text, rng), 15, (242, 243, 245), True, list_x - 100)
    for i, channel in enumerate(("general", "homework-help", "football", "memes", "music")):
        if i == 0:
            c.rect((80, 86, list_x - 9, 112), (64, 66, 73), radius=4)
        c.label(92, 90 + i * 34, f"# {channel}", 14, (242, 243, 245) if i == 0 else (148, 155, 164))
    c.rect((72, h - 52, list_x - 1, h - 1), (35, 36, 40))
    c.label(88, h - 36, rng.choice(_NAMES), 13, (219, 222, 225), bold=True)
    c.rect((list_x, 32, w - 1, h - 1), (49, 51, 56))
    c.label(list_x + 20, 46, "# general", 15, (242, 243, 245), bold=True)
    c.rect((list_x, 78, w - 1, 78), (38, 40, 44))
    composer = h - 64
    c.rect((list_x + 16, composer, w - 16, h - 16), (56, 58, 64), radius=8)
    c.label(list_x + 32, composer + 15, "Message #general", 14, (109, 111, 120))
    _rows(c, _messages(text, rng, in_title), list_x, w, 92, composer - 12, rng)


def _rows(
    c: Canvas,
    messages: list[_Message],
    left: int,
    right: int,
    top: int,
    bottom: int,
    rng: random.Random,
) -> None:
    """Discord-style rows: avatar, coloured name and time, then the message lines."""
    laid = [(m, wrap(m.body, 14, right - left - 110)) for m in messages]
    heights = [len(spans) * 21 + 34 for _, spans in laid]
    while len(laid) > 1 and sum(heights) > bottom - top:
        laid.pop(0)
        heights.pop(0)
    y = bottom - sum(heights)
    minute = rng.randrange(8 * 60, 21 * 60)
    for (m, spans), height in zip(laid, heights, strict=True):
        colour = AVATAR_COLOURS[sum(map(ord, m.sender or "You")) % len(AVATAR_COLOURS)]
        c.circle(left + 36, y + 20, 18, colour)
        c.initial(left + 36, y + 20, m.sender or "You", 14)
        name_w = c.label(left + 68, y + 4, m.sender or "You", 14, colour, bold=True)
        minute += rng.randint(0, 3)
        stamp = f"Today at {minute // 60 % 24:02d}:{minute % 60:02d}"
        c.label(left + 78 + name_w, y + 6, stamp, 11, (148, 155, 164))
        c.lines(left + 68, y + 26, m.body, spans, 14, (219, 222, 225), m.match, line_height=21)
        y += height


def _peer(text: DemoText, rng: random.Random) -> str:
    """Who the chat is with, as the window title says, else an invented group chat."""
    peer = title_part(text.window_title, _PEER_FORMATS, "peer")
    return peer or rng.choice(wb.GROUP_CHATS)
