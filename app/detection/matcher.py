"""The phrase matcher: Aho–Corasick over normalised text, word-boundary rules, exceptions and
the global allow-list, with every match mapped back to the original characters.

Each library entry is normalised with the same function as the text (app.detection.normalise)
and added to one automaton (pyahocorasick, integer values; `iter`, not `iter_long`, which can
miss matches — DESIGN §16). Whole-word entries must start and end at a word edge, or at a
letter of a spaced-out run (`a b i t c h`). A match inside an occurrence of one of its entry's
exceptions, or of an allow-list word (`Scunthorpe`, `cocktail`), is dropped.

Threading: a compiled `Matcher` is immutable and may be shared between threads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ahocorasick

from app.detection.library import Library, PhraseEntry
from app.detection.normalise import Normalised, normalise, without_apostrophes


@dataclass(frozen=True)
class PhraseMatch:
    """One match: which entry fired, and the original text and span that fired it."""

    phrase_id: str
    category: str
    severity: int
    phrase: str
    text: str
    start: int
    end: int


_NON_WORD = re.compile(r"[\W_]")
_OCR_FOLD = str.maketrans({"l": "i"})
_ASCII_NON_WORD = str.maketrans({chr(c): " " for c in range(128)
                                 if not (chr(c).isalnum() and chr(c).isascii())})


@dataclass(frozen=True)
class _Keys:
    """One automaton: key lengths and entry indexes per automaton value."""

    automaton: ahocorasick.Automaton | None
    groups: tuple[tuple[int, tuple[int, ...]], ...]

    @classmethod
    def build(cls, keys: dict[str, list[int]]) -> _Keys:
        if not keys:
            return cls(None, ())
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        groups = []
        for group_id, (key, members) in enumerate(sorted(keys.items())):
            automaton.add_word(key, group_id)
            groups.append((len(key), tuple(members)))
        automaton.make_automaton()
        return cls(automaton, tuple(groups))

    def hits(self, text: str) -> Iterable[tuple[int, int, tuple[int, ...]]]:
        """(start, end, entry indexes) of every key occurrence."""
        if self.automaton is None:
            return
        for end_index, group_id in self.automaton.iter(text):
            length, members = self.groups[group_id]
            yield end_index - length + 1, end_index + 1, members


class Matcher:
    """A compiled library. Build with `Matcher.compile(library)`.

    Whole-word entries live in an automaton whose keys are padded with spaces and which reads
    the text with every non-word character turned into a space (same length): only matches at
    word edges ever reach Python. Embedded entries use plain keys. Inside spaced-out letter
    runs, where word edges are "soft", whole-word keys are checked one by one."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.version = library.version
        self._entries = library.entries
        words: dict[str, list[int]] = {}
        plain_words: dict[str, list[int]] = {}
        embedded: dict[str, list[int]] = {}
        for index, entry in enumerate(library.entries):
            if entry.kind == "regex":
                continue
            forms = {normalise(entry.pattern, 1).text, normalise(entry.pattern, 2).text}
            for key in forms | {without_apostrophes(f) for f in forms}:
                if not key.strip():
                    continue
                if entry.whole_word:
                    words.setdefault(f" {_NON_WORD.sub(' ', key)} ", []).append(index)
                    plain_words.setdefault(key, []).append(index)
                else:
                    embedded.setdefault(key, []).append(index)
        self._words, self._plain_words = _Keys.build(words), _Keys.build(plain_words)
        self._embedded = _Keys.build(embedded)
        self._regexes = _compile_regexes(library)
        self._exceptions = tuple(tuple(normalise(x).text for x in e.exceptions)
                                 for e in library.entries)
        self._allow_keys = tuple(sorted({normalise(a).text for a in library.allow if a.strip()}))
        self._allow = _Keys.build({k: [i] for i, k in enumerate(self._allow_keys)})

    @classmethod
    def compile(cls, library: Library) -> Matcher:
        return cls(library)

    def parts(self) -> dict[str, Any]:
        """What app.detection.cache stores: automata (integer values) and plain data."""
        keys = {"words": self._words, "plain_words": self._plain_words,
                "embedded": self._embedded, "allow": self._allow}
        return {"library": self.library,
                "automata": {n: k.automaton for n, k in keys.items()},
                "groups": {n: [list(g) for g in k.groups] for n, k in keys.items()},
                "allow_keys": list(self._allow_keys)}

    @classmethod
    def from_parts(cls, library: Library, automata: dict[str, Any],
                   groups: dict[str, tuple[tuple[int, tuple[int, ...]], ...]],
                   allow_keys: tuple[str, ...]) -> Matcher:
        """Rebuild from cached parts without recompiling (see app.detection.cache)."""
        matcher = cls.__new__(cls)
        matcher.library, matcher.version = library, library.version
        matcher._entries = library.entries
        matcher._words = _Keys(automata["words"], groups["words"])
        matcher._plain_words = _Keys(automata["plain_words"], groups["plain_words"])
        matcher._embedded = _Keys(automata["embedded"], groups["embedded"])
        matcher._allow = _Keys(automata["allow"], groups["allow"])
        matcher._allow_keys = allow_keys
        matcher._regexes = _compile_regexes(library)
        matcher._exceptions = tuple(tuple(normalise(x).text for x in e.exceptions)
                                    for e in library.entries)
        return matcher

    def find(self, text: str) -> list[PhraseMatch]:
        """Every match in `text`, in order of position (one per entry and span)."""
        forms = [normalise(text, 1)]
        if forms[0].collapsed:  # "killll": also try runs shortened to two letters
            forms.append(normalise(text, 2))
        seen: dict[tuple[str, int, int], PhraseMatch] = {}
        for form in forms:
            for match in self._find_in(text, form):
                seen.setdefault((match.phrase_id, match.start, match.end), match)
        return sorted(seen.values(), key=lambda m: (m.start, m.end, m.phrase_id))

    def _find_in(self, original: str, form: Normalised) -> Iterable[PhraseMatch]:
        text = form.text
        allowed = [(a, b) for a, b, _ in self._allow.hits(text)]
        words_only = (text.translate(_ASCII_NON_WORD) if text.isascii()
                      else _NON_WORD.sub(" ", text))
        padded = " " + words_only + " "
        candidates = [(s, e - 2, m) for s, e, m in self._words.hits(padded)]
        candidates += list(self._embedded.hits(text))
        for lo, hi in form.runs:  # soft word edges inside spaced-out letters
            window = slice(max(0, lo - 1), hi + 1)
            for s, e, members in self._plain_words.hits(text[window]):
                s, e = s + window.start, e + window.start
                if _at_word_edges(form, s, e):
                    candidates.append((s, e, members))
        for start, end, members in candidates:
            for index in members:
                if not self._suppressed(index, text, start, end, allowed):
                    yield _result(self._entries[index], original, form, start, end)
        for index, regex in self._regexes:
            for found in regex.finditer(text):
                if found.end() > found.start() and not self._suppressed(
                        index, text, found.start(), found.end(), allowed):
                    yield _result(self._entries[index], original, form, found.start(),
                                  found.end())

    def _suppressed(self, index: int, text: str, start: int, end: int,
                    allowed: list[tuple[int, int]]) -> bool:
        if any(a <= start and end <= b for a, b in allowed):
            return True
        for key in self._exceptions[index]:
            at = text.find(key, max(0, end - len(key)))
            while at != -1 and at <= start:
                if at + len(key) >= end:
                    return True
                at = text.find(key, at + 1)
        return False


def _compile_regexes(library: Library) -> tuple[tuple[int, re.Pattern[str]], ...]:
    """Regexes read normalised text, where l and I are one letter (OCR): fold the patterns'
    letters the same way so "leak" still finds "leak"."""
    return tuple((i, re.compile(e.pattern.lower().translate(_OCR_FOLD)))
                 for i, e in enumerate(library.entries) if e.kind == "regex")


def _at_word_edges(form: Normalised, start: int, end: int) -> bool:
    text = form.text
    left = start == 0 or not text[start - 1].isalnum() or start in form.soft
    right = end == len(text) or not text[end].isalnum() or end in form.soft
    return left and right


def _result(entry: PhraseEntry, original: str, form: Normalised, start: int,
            end: int) -> PhraseMatch:
    o_start, o_end = form.original_span(start, end)
    return PhraseMatch(entry.id, entry.category, entry.severity, entry.pattern,
                       original[o_start:o_end], o_start, o_end)
