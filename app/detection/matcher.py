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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick

from app.detection.library import Library
from app.detection.normalise import Normalised, normalise, normalise_forms, without_apostrophes


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

    def hits(self, text: str, window: tuple[int, int] | None = None
             ) -> Iterable[tuple[int, int, tuple[int, ...]]]:
        """(start, end, entry indexes) of every key occurrence (inside `window` if given)."""
        if self.automaton is None:
            return
        lo, hi = window or (0, len(text))
        # A slice, not iter()'s own bounds: iter() copies the whole string on every call.
        for end_index, group_id in self.automaton.iter(text[lo:hi]):
            length, members = self.groups[group_id]
            yield lo + end_index - length + 1, lo + end_index + 1, members

    def longest(self) -> int:
        """Length of the longest key (0 when there are none)."""
        return max((length for length, _ in self.groups), default=0)


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
        self._reach = self._doubled_reach()

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
        matcher._reach = matcher._doubled_reach()
        return matcher

    def _doubled_reach(self) -> int:
        """How far from a letter that a doubled form adds (see `_windows`) a hit can be and
        still differ from the first form's: a key's length (with its edges), plus the length of
        an allow-list phrase or exception, which suppress a hit only if they cover it."""
        keys = max(k.longest() for k in (self._words, self._plain_words, self._embedded))
        covers = [len(k) for k in self._allow_keys]
        covers += [len(x) for excepts in self._exceptions for x in excepts]
        return keys + max(covers, default=0) + 2

    def find(self, text: str) -> list[PhraseMatch]:
        """Every match in `text`, in order of position (one per entry and span)."""
        seen: dict[tuple[str, int, int], PhraseMatch] = {}
        # "killll": runs of a letter are also tried shortened to two letters. Most hits of the
        # second form repeat the first's, so the span is checked before a match is built.
        for form in normalise_forms(text):
            for index, start, end in self._find_in(form, self._windows(form)):
                entry = self._entries[index]
                o_start, o_end = form.original_span(start, end)
                key = (entry.id, o_start, o_end)
                if key not in seen:
                    seen[key] = PhraseMatch(entry.id, entry.category, entry.severity,
                                            entry.pattern, text[o_start:o_end], o_start, o_end)
        return sorted(seen.values(), key=_position)

    def _windows(self, form: Normalised) -> list[tuple[int, int]] | None:
        """Where to look in a second form that `_doubled` made (None: everywhere). Elsewhere
        it reads as the first form, maps to the same original text and holds the same allow-list
        and exception phrases, so it can only repeat the first form's matches. Regexes may look
        anywhere, so they need every form read whole."""
        if not form.doubled or self._regexes:
            return None
        windows: list[tuple[int, int]] = []
        for at in form.doubled:
            lo, hi = max(0, at - self._reach), min(len(form.text), at + 2 + self._reach)
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], hi)
            else:
                windows.append((lo, hi))
        return windows

    def _find_in(self, form: Normalised, windows: list[tuple[int, int]] | None
                 ) -> Iterable[tuple[int, int, int]]:
        """(entry index, start, end) in `form.text` of every match that is not suppressed,
        looking only inside `windows` if given."""
        text = form.text
        spans = windows or [(0, len(text))]
        spread = self._allow.longest()  # an allow-list phrase may begin before a window
        allowed = [(a, b) for lo, hi in spans for a, b, _ in
                   self._allow.hits(text, (max(0, lo - spread), min(len(text), hi + spread)))]
        for start, end, members in self._candidates(form, spans):
            for index in members:
                if not self._suppressed(index, text, start, end, allowed):
                    yield index, start, end
        for index, regex in self._regexes:
            for found in regex.finditer(text):
                if found.end() > found.start() and not self._suppressed(
                        index, text, found.start(), found.end(), allowed):
                    yield index, found.start(), found.end()

    def _candidates(self, form: Normalised, spans: list[tuple[int, int]]
                    ) -> list[tuple[int, int, tuple[int, ...]]]:
        """Key occurrences inside `spans`: whole-word keys at word edges, embedded keys
        anywhere; inside spaced-out letter runs, whole-word keys at soft edges too."""
        text = form.text
        words_only = (text.translate(_ASCII_NON_WORD) if text.isascii()
                      else _NON_WORD.sub(" ", text))
        padded = " " + words_only + " "
        found = [(s, e - 2, members) for lo, hi in spans  # padded: one more character each side
                 for s, e, members in self._words.hits(padded, (lo, hi + 2))]
        found += [hit for span in spans for hit in self._embedded.hits(text, span)]
        for lo, hi in form.runs:
            for s, e, members in self._plain_words.hits(text, (max(0, lo - 1), hi + 1)):
                if _at_word_edges(form, s, e):
                    found.append((s, e, members))
        return found

    def _suppressed(self, index: int, text: str, start: int, end: int,
                    allowed: list[tuple[int, int]]) -> bool:
        if allowed and any(a <= start and end <= b for a, b in allowed):
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


def _position(match: PhraseMatch) -> tuple[int, int, str]:
    return match.start, match.end, match.phrase_id


def _at_word_edges(form: Normalised, start: int, end: int) -> bool:
    text = form.text
    left = start == 0 or not text[start - 1].isalnum() or start in form.soft
    right = end == len(text) or not text[end].isalnum() or end in form.soft
    return left and right


def leading(matches: Sequence[PhraseMatch]) -> PhraseMatch:
    """The match an incident leads with (its category and severity): the most severe, then the
    longest, then the first. The agent and the demo seeder both use this one rule."""
    return max(matches, key=lambda m: (m.severity, m.end - m.start, -m.start))
