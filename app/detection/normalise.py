"""Normalisation with an offset map: one function for the text and for the phrases (DESIGN §5).

Pupils write `k y s`, `s3nd n00dz`, `b!tch`, `biiiitch`, Cyrillic look-alikes and zero-width
characters; OCR turns `l` into `I` and `o` into `0`. Matching runs on a normalised copy of the
text, and every normalised character remembers the span of original characters it came from,
so a match can be shown (and boxed on a screenshot) exactly where the pupil saw it.

Steps, in order:
1. per non-ASCII character: compatibility form (NFKD → drop combining marks → NFKC), so
   fullwidth, mathematical bold and accented letters become plain letters; zero-width and
   other invisible format characters, variation selectors and skin-tone modifiers vanish;
   Cyrillic/Greek look-alikes become the Latin letter they imitate; case folding;
2. ASCII lower-casing; runs of white space, tabs and line breaks become one space; a curly
   apostrophe is a straight one (the matcher also tries every phrase without its apostrophes,
   so `dont`, `don't` and `don’t` all match `don't`);
3. runs of three or more identical letters collapse to one (`biiiitch`), or to two in the
   alternative form (`killll` → `kill`) — before leet, so `ki11` keeps its double letter;
4. leet folding, but only inside tokens that mix letters with digits or symbols (`b1tch`,
   `l0ser`, `$hit`, `n00dz`), never in `3:30`, `101` or `100%`;
5. runs of three or more single letters separated by spaces, dots, asterisks, underscores or
   dashes are joined (`k y s` → `kys`), and every joined letter is a permitted word start/end
   (`you are a b i t c h` still matches `bitch` as a whole word);
6. OCR confusions: `l` and `i` are the same letter (`IOser` = `loser`).

Speed: the offset map is piecewise — each step records only the places it changed, and a span
is mapped back through those edits by bisection — so clean ASCII text costs a lower-casing and
a few regex scans (≥ 5 MB/s), not a Python loop over every character.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.detection.confusables import CONFUSABLES

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "@": "a", "$": "s", "!": "i", "|": "i", "+": "t"})
_LEET_CHARS = "0134578@$!|+"
_LEADING_LEET = "013457$@8|"
_TRAILING_LEET = "0134578"
_INVISIBLE_CATEGORIES = {"Cf", "Mn", "Me", "Cc"}
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Runs of leet characters; a char-class scan is ~10x faster than a pattern with context, and
# the context (is a letter beside it?) is checked only where leet characters are.
_LEET_RUN = re.compile(r"[0134578@$!|+]+")
_SPACED = re.compile(r"(?<![a-z0-9])[a-z](?:[ .*_\-]+[a-z](?![a-z0-9])){2,}")
_SEPARATOR = re.compile(r"[ .*_\-]+")
_RUN = re.compile(r"([a-z])\1{2,}")
_SPACE = re.compile(r"\s")
_APOSTROPHE = re.compile(r"(?<=[a-z])'(?=[a-z])")
_ONE_SPACE = str.maketrans({"\t": " ", "\n": " ", "\r": " ", "\f": " ", "\v": " "})
_WHITESPACE = re.compile(r"\s{2,}")  # after _ONE_SPACE: runs of spaces become one
_OCR = str.maketrans({"l": "i"})

Edit = tuple[int, int, str]  # replace text[start:end] with the string


class _EditMap:
    """Maps positions of an edited text back to the text before the edits."""

    def __init__(self, pieces: list[tuple[int, int, int, bool]]) -> None:
        # (new start, old start, old end, linear): linear pieces shift one-to-one; the others
        # map every new character to the whole old span they replaced.
        self._keys = [p[0] for p in pieces]
        self._pieces = pieces

    def start(self, pos: int) -> int:
        new, old, _old_end, linear = self._pieces[bisect_right(self._keys, pos) - 1]
        return old + (pos - new) if linear else old

    def end(self, pos: int) -> int:
        """End (exclusive) of the old span behind new character `pos`."""
        new, old, old_end, linear = self._pieces[bisect_right(self._keys, pos) - 1]
        return old + (pos - new) + 1 if linear else old_end


@dataclass(frozen=True)
class Normalised:
    """Normalised text, the edits that lead back to the original, and `soft` positions where a
    whole word may begin or end inside spaced-out letters."""

    text: str
    maps: tuple[_EditMap, ...]
    soft: frozenset[int]
    runs: tuple[tuple[int, int], ...] = ()  # spaced-letter runs, joined (final positions)
    collapsed: bool = False  # a run of 3+ identical letters was shortened

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        lo, hi = start, end - 1
        for edit_map in reversed(self.maps):
            lo, hi = edit_map.start(lo), edit_map.end(hi) - 1
        return lo, hi + 1


def normalise(text: str, collapse_to: int = 1) -> Normalised:
    """Normalise `text` (see the module docstring). Never raises for any str."""
    maps: list[_EditMap] = []
    current = _step(text, _unicode_edits(text), maps, gaps=str.lower).translate(_ONE_SPACE)
    current = _step(current, [(m.start(), m.end(), " ") for m in _WHITESPACE.finditer(current)],
                    maps)
    # Collapse before leet: "ki11" must stay the double letter of "kill", not a run of i.
    collapses = _collapse_edits(current, collapse_to)
    current = _step(current, collapses, maps)
    current = _leet(current)
    edits, soft, runs = _spaced_edits(current)
    current = _step(current, edits, maps)
    return Normalised(current.translate(_OCR), tuple(maps), frozenset(soft), tuple(runs),
                      bool(collapses))


def without_apostrophes(key: str) -> str:
    """A normalised phrase as people type it without the apostrophe ("don't" → "dont")."""
    return _APOSTROPHE.sub("", key)


def _step(text: str, edits: Sequence[Edit], maps: list[_EditMap],
          gaps: Callable[[str], str] | None = None) -> str:
    """Apply sorted, non-overlapping edits; record how to map back when anything changed."""
    if not edits:
        return gaps(text) if gaps else text
    out: list[str] = []
    pieces: list[tuple[int, int, int, bool]] = []
    at = length = 0
    for start, end, replacement in edits:
        if start > at:
            pieces.append((length, at, start, True))
            out.append(gaps(text[at:start]) if gaps else text[at:start])
            length += start - at
        if replacement:
            pieces.append((length, start, end, False))
            out.append(replacement)
            length += len(replacement)
        at = end
    if at < len(text) or not pieces:
        pieces.append((length, at, len(text), True))
        out.append(gaps(text[at:]) if gaps else text[at:])
    maps.append(_EditMap(pieces))
    return "".join(out)


def _unicode_edits(text: str) -> list[Edit]:
    if text.isascii():
        return []
    return [(i, i + 1, _fold_char(ch)) for i, ch in
            ((m.start(), m.group()) for m in _NON_ASCII.finditer(text))]


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    code = ord(ch)
    if code in _SKIN_TONES or 0xFE00 <= code <= 0xFE0F:
        return ""
    if ch in CONFUSABLES:
        return CONFUSABLES[ch]
    if unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
        return ""
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    result = unicodedata.normalize("NFKC", base).casefold()
    return "".join(CONFUSABLES.get(c, c) for c in result)


def _collapse_edits(text: str, keep: int) -> list[Edit]:
    return [(m.start(), m.end(), m.group(1) * keep) for m in _RUN.finditer(text)]


def _leet(text: str) -> str:
    """Fold leet characters inside mixed tokens; same length, so no map is needed."""
    if not any(c in text for c in _LEET_CHARS):
        return text
    pieces, at = [], 0
    for spot in _LEET_RUN.finditer(text):
        if spot.start() < at or not _touches_word(text, spot.start(), spot.end()):
            continue
        left = _token_start(text, spot.start())
        right = _token_end(text, spot.end())
        pieces.append(text[at:left])
        pieces.append(_fold_token(text[left:right]))
        at = right
    if not pieces:
        return text
    pieces.append(text[at:])
    return "".join(pieces)


def _touches_word(text: str, start: int, end: int) -> bool:
    """Leet between letters, leading into a word ("$hit", "@ss"), or digits ending a word
    ("ki11"); a "!" after a word is punctuation."""
    before = start > 0 and text[start - 1].isalpha()
    after = end < len(text) and text[end].isalpha()
    run = text[start:end]
    if before and after:
        return True
    if after and (start == 0 or text[start - 1].isspace()):
        return "!" not in run
    if before and (end == len(text) or text[end].isspace()):
        return all(c in _TRAILING_LEET for c in run)
    return False


def _token_start(text: str, pos: int) -> int:
    while pos > 0 and not text[pos - 1].isspace():
        pos -= 1
    return pos


def _token_end(text: str, pos: int) -> int:
    found = _SPACE.search(text, pos)
    return found.start() if found else len(text)


def _fold_token(token: str) -> str:
    letters = [i for i, c in enumerate(token) if c.isalpha()]
    if not letters:
        return token
    # Leet inside the word, and digits/$/@ leading into it; a trailing "!" stays punctuation,
    # trailing digits fold ("ki11"); a final z is a leet plural ("n00dz").
    lead, tail = letters[0], letters[-1] + 1
    while lead > 0 and token[lead - 1] in _LEADING_LEET:
        lead -= 1
    while tail < len(token) and token[tail] in _TRAILING_LEET:
        tail += 1
    body = token[lead:tail].translate(_LEET)
    if body.endswith("z"):
        body = body[:-1] + "s"
    return token[:lead] + body + token[tail:]


def _spaced_edits(text: str) -> tuple[list[Edit], set[int], list[tuple[int, int]]]:
    """Drop the separators of spaced-out letter runs; every joined letter is a soft edge."""
    edits: list[Edit] = []
    soft: set[int] = set()
    runs: list[tuple[int, int]] = []
    removed = 0
    for run in _SPACED.finditer(text):
        first = run.start() - removed
        for sep in _SEPARATOR.finditer(text, run.start(), run.end()):
            edits.append((sep.start(), sep.end(), ""))
        for i in range(run.start(), run.end()):  # inside a run, non-letters are separators
            if text[i].isalpha():
                soft.add(i - removed)
            else:
                removed += 1
        soft.add(run.end() - removed)
        runs.append((first, run.end() - removed))
    return edits, soft, runs
