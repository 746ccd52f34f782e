"""The phrase library as staff see it: browse, search and "try a sentence".

Read-only for now: the library in force is the one shipped in `resources/phrases` (issue 3
adds the school's own edits, audited, with version bumps). Compiling takes ~0.1–0.2 s, so the
library is loaded once per process, on first use, off the GUI thread (callers run these
functions on the DB executor).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from app.detection.active import ActiveLibrary
from app.domain.categories import CATEGORY_BY_KEY
from app.paths import RESOURCES
from app.security.authorisation import Permission
from app.services.users import UserSession

LIBRARY_FOLDER = RESOURCES / "phrases"
_lock = threading.Lock()
_active: ActiveLibrary | None = None


@dataclass(frozen=True)
class PhraseView:
    id: str
    category: str
    category_name: str
    pattern: str
    kind: str
    severity: int
    whole_word: bool
    exceptions: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class TriedMatch:
    """Why a sentence would fire: the entry, and the span of the sentence that fired it."""

    phrase_id: str
    category_name: str
    severity: int
    phrase: str
    text: str
    start: int
    end: int
    note: str


def active_library() -> ActiveLibrary:
    global _active
    with _lock:
        if _active is None:
            _active = ActiveLibrary.load(LIBRARY_FOLDER)
        return _active


def library_version(session: UserSession) -> str:
    session.require(Permission.VIEW_LIBRARY)
    return active_library().version


def list_phrases(session: UserSession, category: str | None = None,
                 search: str | None = None) -> list[PhraseView]:
    """Entries of one category (or all), whose pattern, note or exceptions contain `search`."""
    session.require(Permission.VIEW_LIBRARY)
    needle = (search or "").strip().lower()
    views = []
    for e in active_library().matcher.library.entries:
        if category and e.category != category:
            continue
        haystack = " ".join((e.pattern, e.note, *e.exceptions)).lower()
        if needle and needle not in haystack:
            continue
        views.append(PhraseView(e.id, e.category, CATEGORY_BY_KEY[e.category].name, e.pattern,
                                e.kind, e.severity, e.whole_word, e.exceptions, e.note))
    return sorted(views, key=lambda v: (v.category_name, -v.severity, v.pattern))


def try_sentence(session: UserSession, text: str) -> list[TriedMatch]:
    """What would fire on `text`, and why."""
    session.require(Permission.VIEW_LIBRARY)
    library = active_library().matcher
    entries = library.library.by_id()
    return [TriedMatch(m.phrase_id, CATEGORY_BY_KEY[m.category].name, m.severity, m.phrase,
                       m.text, m.start, m.end, entries[m.phrase_id].note)
            for m in library.find(text[:10_000])]
