"""Synthetic incident contexts for the demo school: the words around a library phrase and
the window it appeared in.

The seeder draws a category and a shipped library entry (`app.services.demo.detected`) and
calls `make_incident_text` for the rest. Contexts are built from templates split around the
phrase once at import, so a call is a handful of `rng` draws and string joins (the seeder makes
1,000,000 of them). All content is invented and non-graphic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import quote_plus

from app.domain.enums import Source
from app.services.demo import wordbank as wb
from app.services.demo.mix import SURFACE_WEIGHTS
from app.services.demo.namebank import NAME_GROUPS


@dataclass(frozen=True)
class DemoText:
    """What a device saw around a match: `context[match_start:match_end]` is the match as shown.

    The shown text may differ from the library phrase in case only (`KYS`, `Kill myself`).
    `url` is None for desktop apps; `source` says which capture source fired (DESIGN §6).
    """

    context: str
    match_start: int
    match_end: int
    app: str
    window_title: str
    url: str | None
    source: Source


_Split = tuple[str, str]  # template text before and after the phrase


def _split(template: str, marker: str = "{p}") -> _Split:
    """Split a template around its single phrase marker, once, at import time."""
    before, sep, after = template.partition(marker)
    if not sep or marker in after:
        raise ValueError(f"template needs exactly one {marker}: {template!r}")
    return before, after


_CHAT = tuple(_split(t) for t in wb.CHAT_CONTEXTS)
_QUERIES = tuple(_split(t) for t in wb.SEARCH_QUERIES)
_DOCUMENTS = tuple(_split(t) for t in wb.DOCUMENT_CONTEXTS)
_SOCIAL = tuple(_split(t) for t in wb.SOCIAL_CONTEXTS)
_SEARCH_SURFACES = tuple(
    (app, *_split(title, "{q}"), url) for app, title, url in wb.SEARCH_SURFACES
)
_FIRST_NAMES = tuple(sorted({n for g in NAME_GROUPS for n in g.first_names if n.isascii()}))
_RESULT_COUNTS = (1_240, 38_600, 412_000, 2_170_000, 9_800_000, 46_300_000)


def make_incident_text(rng: random.Random, category: str, phrase: str) -> DemoText:
    """Invent the context, app, window and capture source of one incident showing `phrase`
    (a library pattern of `category`); `match_start:match_end` is where the phrase was put.

    The surface (chat, search, document or social feed) follows the category's habits in
    `mix.SURFACE_WEIGHTS` (searches for gambling, chats for bullying); the source follows the
    surface (a pupil's own chat message is typed, a received one is read off the screen, a
    search can also fire on the window title). Contexts stay under 200 characters for phrases
    up to 40 characters. The result depends only on `rng`'s state, the category and the phrase.
    """
    surfaces, cum = _SURFACE_TABLE.get(category, _DEFAULT_SURFACES)
    surface = rng.choices(surfaces, cum_weights=cum)[0]
    return _BUILDERS[surface](rng, phrase)


def _cased(rng: random.Random, phrase: str, starts_message: bool) -> str:
    """The phrase as a pupil might type it: usually as listed, sometimes capitalised or shouted."""
    r = rng.random()
    if r < 0.06:
        return phrase.upper()
    if starts_message and r < 0.3:
        return phrase[:1].upper() + phrase[1:]
    return phrase


def _two_names(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(_FIRST_NAMES, 2)
    return a, b


def _surface_fields(
    rng: random.Random, surface: wb.Surface, **names: str
) -> tuple[str, str | None]:
    """Window title and URL of a chat, document or social surface."""
    _, title, url = surface
    return title.format(**names), url.format(n=rng.randrange(100_000, 10_000_000)) if url else None


def _chat(rng: random.Random, phrase: str) -> DemoText:
    pre, post = rng.choice(_CHAT)
    a, b = _two_names(rng)
    pre, post = pre.format(a=a, b=b), post.format(a=a, b=b)
    shown = _cased(rng, phrase, pre.endswith(": "))
    surface = rng.choice(wb.CHAT_SURFACES)
    peer = rng.choice(wb.GROUP_CHATS) if rng.random() < 0.3 else b
    title, url = _surface_fields(rng, surface, peer=peer)
    source = Source.TYPED if rng.random() < 0.55 else Source.SCREEN
    return DemoText(
        pre + shown + post, len(pre), len(pre) + len(shown), surface[0], title, url, source
    )


def _search(rng: random.Random, phrase: str) -> DemoText:
    pre, post = rng.choice(_QUERIES)
    shown = _cased(rng, phrase, not pre and rng.random() < 0.15)
    query = pre + shown + post
    app, title_pre, title_post, url = rng.choice(_SEARCH_SURFACES)
    title = title_pre + query + title_post
    url_text = url.format(qq=quote_plus(query)) if url else None
    r = rng.random()
    if r < 0.5:
        context, start, source = query, len(pre), Source.TYPED
    elif r < 0.8:
        results = f"About {rng.choice(_RESULT_COUNTS):,} results"
        context, start, source = f"{query}\n{results}", len(pre), Source.SCREEN
    else:
        context, start, source = title, len(title_pre) + len(pre), Source.WINDOW
    return DemoText(context, start, start + len(shown), app, title, url_text, source)


def _document(rng: random.Random, phrase: str) -> DemoText:
    pre, post = rng.choice(_DOCUMENTS)
    shown = _cased(rng, phrase, pre.endswith(": "))
    surface = rng.choice(wb.DOCUMENT_SURFACES)
    title, url = _surface_fields(rng, surface, doc=rng.choice(wb.DOCUMENT_NAMES))
    source = Source.TYPED if rng.random() < 0.85 else Source.SCREEN
    return DemoText(
        pre + shown + post, len(pre), len(pre) + len(shown), surface[0], title, url, source
    )


def _social(rng: random.Random, phrase: str) -> DemoText:
    pre, post = rng.choice(_SOCIAL)
    pre = pre.format(h=rng.choice(wb.HANDLES))
    shown = _cased(rng, phrase, pre.endswith(": "))
    surface = rng.choice(wb.SOCIAL_SURFACES)
    title, url = _surface_fields(rng, surface)
    source = Source.SCREEN if rng.random() < 0.75 else Source.TYPED
    return DemoText(
        pre + shown + post, len(pre), len(pre) + len(shown), surface[0], title, url, source
    )


_BUILDERS = {"chat": _chat, "search": _search, "document": _document, "social": _social}
_SURFACE_TABLE: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    category: (tuple(s for s, _ in rows), tuple(accumulate(w for _, w in rows)))
    for category, rows in SURFACE_WEIGHTS.items()
}
_DEFAULT_SURFACES: tuple[tuple[str, ...], tuple[float, ...]] = (("chat", "search"), (1.0, 2.0))
