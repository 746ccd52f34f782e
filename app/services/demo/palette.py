"""The shipped phrase library as the demo school uses it: compiled once per process, and the
entries per category that the demo may write into an incident.

An entry is drawn only if it is a plain word or phrase (never a regular expression, whose
pattern is not text anyone would type), its severity lies in the category's band in
`mix.SEVERITY_BANDS`, its note does not put it in `mix.UNSHOWN_NOTES`, and the real matcher
finds it when it is the whole text. Every incident is still checked against the matcher after
its context is built (`app.services.demo.detected`).

Threading: `shipped_palette()` compiles on first use in each process (~0.1-0.2 s) and then
returns the same immutable palette; seeding workers call it from their initializer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from app.detection.library import PhraseEntry, load_library
from app.detection.matcher import Matcher
from app.paths import RESOURCES
from app.services.demo.mix import CATEGORY_WEIGHTS, SEVERITY_BANDS, UNSHOWN_NOTES

LIBRARY_FOLDER = RESOURCES / "phrases"
# Letters and digits, single spaces, apostrophes and hyphens between them: text as typed,
# drawable with the shipped fonts.
_PLAIN_TEXT = re.compile(r"[a-z0-9]+(?:[ '’-][a-z0-9]+)*")


@dataclass(frozen=True)
class Palette:
    """The compiled shipped library and, per category key, the entries the demo draws."""

    matcher: Matcher
    entries: Mapping[str, tuple[PhraseEntry, ...]]

    @property
    def all_entries(self) -> tuple[PhraseEntry, ...]:
        """Every entry the demo may draw, category by category."""
        return tuple(e for group in self.entries.values() for e in group)

    @property
    def version(self) -> str:
        """The library version every demo incident records (`resources/phrases/VERSION`)."""
        return self.matcher.version


@functools.cache
def shipped_palette() -> Palette:
    """The palette of the shipped library, built once per process."""
    return make_palette(Matcher.compile(load_library(LIBRARY_FOLDER)))


def make_palette(matcher: Matcher) -> Palette:
    """The demo's entries from `matcher`'s library. Raises ValueError when a category of the
    demo mix would have none (the mix could not be seeded)."""
    chosen: dict[str, list[PhraseEntry]] = {}
    for entry in matcher.library.entries:
        if entry.category in CATEGORY_WEIGHTS and is_drawable(entry) and _finds(matcher, entry):
            chosen.setdefault(entry.category, []).append(entry)
    missing = sorted(set(CATEGORY_WEIGHTS) - set(chosen))
    if missing:
        raise ValueError(f"the phrase library has no demo entries for {', '.join(missing)}")
    return Palette(matcher, MappingProxyType({c: tuple(e) for c, e in chosen.items()}))


def is_drawable(entry: PhraseEntry) -> bool:
    """Whether the demo may show `entry`: plain text, in its band, not an unshown kind."""
    low, high = SEVERITY_BANDS.get(entry.category, (1, 5))
    note = entry.note.lower()
    return (entry.kind in ("word", "phrase") and _PLAIN_TEXT.fullmatch(entry.pattern) is not None
            and low <= entry.severity <= high and not any(w in note for w in UNSHOWN_NOTES))


def _finds(matcher: Matcher, entry: PhraseEntry) -> bool:
    """The matcher finds `entry` as the whole of its own pattern (an entry an exception or
    the allow-list always suppresses could never raise an incident)."""
    return any(m.phrase_id == entry.id and (m.start, m.end) == (0, len(entry.pattern))
               for m in matcher.find(entry.pattern))
