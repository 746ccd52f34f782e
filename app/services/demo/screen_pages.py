"""The page-like templates: a browser search page, a word-processor document, a social feed.

Each places the context where a pupil would meet it (the query box, a paragraph, a post) among
benign filler, and keeps it on screen: filler that does not fit is what gets cut off.
"""

from __future__ import annotations

import random

from app.services.demo import wordbank as wb
from app.services.demo.content import DemoText
from app.services.demo.screen_canvas import (
    AVATAR_COLOURS,
    Canvas,
    Span,
    context_lines,
    split_sender,
    title_bar,
    title_part,
    wrap,
)

_GREY = (95, 99, 104)
_DOC_FORMATS = tuple(title for _, title, _ in wb.DOCUMENT_SURFACES)
_SEARCH_FORMATS = tuple(title for _, title, _ in wb.SEARCH_SURFACES)


def search(c: Canvas, text: DemoText, rng: random.Random) -> None:
    """A browser on a search results page: the first context line is the query in the box."""
    w, h = c.width, c.height
    in_title = title_bar(c, text, (222, 225, 230), (32, 33, 36), (66, 133, 244))
    c.rect((0, 32, w - 1, h - 1), (255, 255, 255))
    c.rect((0, 32, w - 1, 75), (247, 248, 250))
    c.label(16, 43, "←   →   ⟳", 15, _GREY)
    c.rect((116, 38, w - 120, 69), (236, 238, 241), radius=15)
    c.label(136, 45, text.url or "https://search.example.com/", 13, (60, 64, 67), max_width=w - 280)
    lines = [] if in_title else context_lines(text.context, (text.match_start, text.match_end))
    c.label(32, 102, "Search", 24, (66, 133, 244), bold=True)
    box_x, box_w = 170, min(700, w - 220)
    # On a window-title match the query still shows in the box, but the title holds the box.
    query, qspan = lines[0] if lines else (_query_of(text.window_title), (-1, -1))
    spans = wrap(query, 16, box_w - 48)
    box_bottom = 94 + max(46, len(spans) * 24 + 22)
    c.rect((box_x, 94, box_x + box_w, box_bottom), (255, 255, 255), 23, (218, 220, 224))
    c.lines(box_x + 24, 106, query, spans, 16, (32, 33, 36), qspan, line_height=24)
    y = box_bottom + 14
    for i, tab in enumerate(("All", "Images", "Videos", "News", "Maps")):
        c.label(box_x + i * 84, y, tab, 13, (26, 115, 232) if i == 0 else _GREY)
    c.rect((box_x, y + 24, box_x + 22, y + 26), (26, 115, 232))
    c.rect((0, y + 30, w - 1, y + 30), (235, 237, 240))
    y += 44
    extra = lines[1:] or [(f"About {rng.randrange(2, 90) * 107_000:,} results", (-1, -1))]
    for line, span in extra:
        y = c.lines(box_x, y, line, wrap(line, 13, box_w), 13, (112, 117, 122), span)
    results = list(wb.SEARCH_RESULTS)
    rng.shuffle(results)
    for heading, url, snippet in results:
        if y + 100 > h:
            break
        c.label(box_x, y + 10, url, 13, (32, 33, 36))
        c.label(box_x, y + 30, heading, 19, (26, 13, 171))
        spans = wrap(snippet, 14, box_w)
        y = c.lines(box_x, y + 58, snippet, spans, 14, (77, 81, 86), line_height=21) + 10


def _query_of(title: str) -> str:
    return title_part(title, _SEARCH_FORMATS, "q") or ""


def document(c: Canvas, text: DemoText, rng: random.Random) -> None:
    """A word processor with one page: a heading, filler paragraphs and the context's lines."""
    w, h = c.width, c.height
    in_title = title_bar(c, text, (43, 87, 154), (255, 255, 255), (24, 62, 120))
    c.rect((0, 32, w - 1, 61), (43, 87, 154))
    x = 16
    for i, tab in enumerate(("File", "Home", "Insert", "Layout", "References", "Review", "View")):
        if i == 1:
            c.rect((x - 6, 36, x + 48, 61), (243, 242, 241), radius=3)
        x += 18 + c.label(x, 40, tab, 13, (43, 87, 154) if i == 1 else (255, 255, 255))
    c.rect((0, 62, w - 1, 121), (243, 242, 241))
    for i, tool in enumerate(("Paste", "Calibri (Body)", "11", "B  I  U", "Styles", "Editor")):
        c.rect((16 + i * 130, 74, 132 + i * 130, 108), (230, 229, 228), radius=4)
        c.label(28 + i * 130, 83, tool, 13, (50, 49, 48))
    c.rect((0, 122, w - 1, h - 27), (225, 223, 221))
    page_w = min(816, w - 160)
    px = (w - page_w) // 2
    c.rect((px, 140, px + page_w, h + 10), (255, 255, 255), outline=(205, 203, 201))
    heading = title_part(text.window_title, _DOC_FORMATS, "doc") or rng.choice(wb.DOCUMENT_NAMES)
    c.label(px + 72, 180, heading, 22, (30, 30, 30), bold=True, max_width=page_w - 144)
    y = 232
    lines = [] if in_title else context_lines(text.context, (text.match_start, text.match_end))
    filler = [(p, (-1, -1)) for p in rng.sample(wb.DOCUMENT_FILLER, 6)]
    paragraphs = [
        (*filler[0], False),
        *((*ln, True) for ln in lines),
        *((*f, False) for f in filler[1:]),
    ]
    for body, span, is_context in paragraphs:
        spans = wrap(body, 15, page_w - 144)
        if not is_context and y + len(spans) * 24 > h - 40:
            break
        y = c.lines(px + 72, y, body, spans, 15, (20, 20, 20), span, line_height=24) + 14
    c.rect((0, h - 26, w - 1, h - 1), (243, 242, 241))
    words = rng.randrange(120, 900)
    c.label(
        16, h - 21, f"Page 1 of 1     {words} words     English (United Kingdom)", 12, (80, 80, 80)
    )


def social_feed(c: Canvas, text: DemoText, rng: random.Random) -> None:
    """A social site's feed: navigation, then post cards, the context's post second."""
    w, h = c.width, c.height
    in_title = title_bar(c, text, (240, 240, 243), (40, 40, 48), (225, 48, 108))
    c.rect((0, 32, w - 1, h - 1), (250, 250, 250))
    c.rect((0, 32, w - 1, 87), (255, 255, 255), outline=(219, 219, 219))
    c.label(24, 44, "Feed", 24, (38, 38, 38), bold=True)
    c.rect((w // 2 - 140, 46, w // 2 + 140, 74), (239, 239, 239), radius=8)
    c.label(w // 2 - 124, 51, "Search", 14, (142, 142, 142))
    for i in range(3):
        c.circle(w - 40 - i * 44, 60, 12, (38, 38, 38))
    for i, item in enumerate(("Home", "Search", "Explore", "Messages", "Notifications", "Profile")):
        c.label(28, 112 + i * 44, item, 15, (38, 38, 38), bold=i == 0)
    col_w = min(600, w - 300)
    col_x = max(240, (w - col_w) // 2)
    posts: list[list[tuple[str, Span]]] = [
        [(": ".join(post), (-1, -1))] for post in rng.sample(wb.FEED_FILLER, 4)
    ]
    if not in_title:
        posts.insert(1, context_lines(text.context, (text.match_start, text.match_end)))
    y = 106
    for post in posts:
        y = _card(c, post, col_x, col_w, y, rng) + 16
        if y > h:
            break


def _card(
    c: Canvas, rows: list[tuple[str, Span]], x: int, width: int, y: int, rng: random.Random
) -> int:
    """One post card; `handle: body` rows get an avatar and a bold handle. Returns its bottom."""
    laid = []
    for line, span in rows:
        sender, at = split_sender(line)
        body = line[at:]
        laid.append((sender, body, (span[0] - at, span[1] - at), wrap(body, 15, width - 40)))
    height = sum((34 if s else 0) + len(spans) * 22 + 8 for s, _, _, spans in laid) + 52
    c.rect((x, y, x + width, y + height), (255, 255, 255), 8, (219, 219, 219))
    row_y = y + 14
    for sender, body, span, spans in laid:
        if sender:
            c.circle(x + 32, row_y + 14, 15, rng.choice(AVATAR_COLOURS))
            c.initial(x + 32, row_y + 14, sender.lstrip("@"), 13)
            name_w = c.label(x + 56, row_y + 5, sender, 14, (38, 38, 38), bold=True)
            c.label(x + 64 + name_w, row_y + 6, f"· {rng.randint(1, 23)}h", 13, (142, 142, 142))
            row_y += 34
        ink = (115, 115, 115) if not sender and len(laid) > 1 else (38, 38, 38)
        row_y = c.lines(x + 20, row_y, body, spans, 15, ink, span, line_height=22) + 8
    c.label(x + 20, y + height - 30, "Like  ·  Reply  ·  Share", 13, (142, 142, 142))
    return y + height
