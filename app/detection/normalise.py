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
a few regex scans, not a Python loop over every character. The matcher reads the text in both
forms of step 3 (`normalise_forms`); the second is normally made from the first by writing each
shortened run's letter twice, not by normalising again.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app.detection.confusables import CONFUSABLES

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "@": "a", "$": "s", "!": "i", "|": "i", "+": "t"})
_LEADING_LEET = "013457$@8|"
_TRAILING_LEET = "0134578"
_INVISIBLE_CATEGORIES = {"Cf", "Mn", "Me", "Cc"}
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Speed: `re` skips ahead quickly only when a pattern starts with a plain character class, so
# the patterns below start with one and check their context after it (the comments give each
# rule plainly).
# Leet runs that touch a word: between letters; after white space (or the start) and before a
# letter, without "!"; digits after a letter and before white space (or the end). `[^\W\d_]`
# is every letter and, outside ASCII, a few other characters: there `_touches_word` decides.
_LEET_SPOT = re.compile(r"[0134578@$!|+](?:"
                        r"(?<=[^\W\d_].)[0134578@$!|+]*(?=[^\W\d_])"
                        r"|(?<!\S.)(?<!!)[0134578@$|+]*(?=[^\W\d_])"
                        r"|(?<=[^\W\d_][0134578])[0134578]*(?!\S))")
# (?<![a-z0-9])[a-z](?:[ .*_\-]+[a-z](?![a-z0-9])){2,}, matched from the separator after the
# first letter (the match starts one character late).
_SPACED = re.compile(r"[ .*_\-](?<=[a-z].)(?<![a-z0-9]..)"
                     r"[ .*_\-]*[a-z](?![a-z0-9])(?:[ .*_\-]+[a-z](?![a-z0-9]))+")
_SEPARATOR = re.compile(r"[ .*_\-]+")
_RUN = re.compile(r"([a-z])\1\1+")  # ([a-z])\1{2,}, quicker to give up on a single letter
_SPACE = re.compile(r"\s")
_APOSTROPHE = re.compile(r"(?<=[a-z])'(?=[a-z])")
_ONE_SPACE = str.maketrans({"\t": " ", "\n": " ", "\r": " ", "\f": " ", "\v": " "})
_WHITESPACE = re.compile(r"\s\s+")  # \s{2,}; after _ONE_SPACE: runs of spaces become one
_RARE_ASCII_SPACE = "\x1c\x1d\x1e\x1f"  # what str.isspace() accepts in ASCII besides _ONE_SPACE's
_SIFT_FROM = 256  # characters: below this, numpy's overhead outweighs the regex it saves

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
    # Set on a second form made by `_doubled`: where it added a letter, the one difference
    # from the first form (positions in `text`).
    doubled: tuple[int, ...] = ()

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        lo, hi = start, end - 1
        for edit_map in reversed(self.maps):
            lo, hi = edit_map.start(lo), edit_map.end(hi) - 1
        return lo, hi + 1


def normalise(text: str, collapse_to: int = 1) -> Normalised:
    """Normalise `text` (see the module docstring). Never raises for any str."""
    maps: list[_EditMap] = []
    current = _prepare(text, maps)
    return _finish(current, maps, _letter_runs(current), collapse_to)


def normalise_forms(text: str) -> tuple[Normalised, ...]:
    """`normalise(text, 1)`, then `normalise(text, 2)` only when a run was collapsed (else the
    two are the same), sharing the work: the second form is usually the first one with each
    shortened run's letter written twice."""
    maps: list[_EditMap] = []
    current = _prepare(text, maps)
    runs = _letter_runs(current)
    first = _finish(current, list(maps), runs, 1)
    if not runs:
        return (first,)
    if first.runs:  # "a b xxx": "x" joins the spaced-out letters, "xx" does not
        return first, _finish(current, maps, runs, 2)
    return first, _doubled(first, runs)


def without_apostrophes(key: str) -> str:
    """A normalised phrase as people type it without the apostrophe ("don't" → "dont")."""
    return _APOSTROPHE.sub("", key)


def _prepare(text: str, maps: list[_EditMap]) -> str:
    """Steps 1 and 2: Unicode folding, lower case, one space for any white space."""
    current = _step(text, _unicode_edits(text), maps, gaps=str.lower).translate(_ONE_SPACE)
    return _step(current, [(m.start(), m.end(), " ") for m in _space_runs(current)], maps)


def _space_runs(text: str) -> Iterable[re.Match[str]]:
    """`_WHITESPACE` matches. ASCII white space is now a space or one of four rare separator
    characters, so a few substring searches usually show there are none (a regex scan is slower)."""
    if text.isascii() and "  " not in text and not any(c in text for c in _RARE_ASCII_SPACE):
        return ()
    return _WHITESPACE.finditer(text)


def _letter_runs(text: str) -> list[re.Match[str]]:
    """`_RUN` matches. In longer text numpy first finds three equal characters in a row, so the
    regex only runs there (it is several times slower than numpy when it must try every letter)."""
    if len(text) < _SIFT_FROM:
        return list(_RUN.finditer(text))
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)  # any str
    triples = np.flatnonzero((codes[2:] == codes[1:-1]) & (codes[1:-1] == codes[:-2]))
    runs: list[re.Match[str]] = []
    for at in triples.tolist():
        if not runs or at >= runs[-1].end():  # not inside the run just found
            run = _RUN.match(text, at)
            if run:
                runs.append(run)
    return runs


def _finish(text: str, maps: list[_EditMap], runs: list[re.Match[str]],
            collapse_to: int) -> Normalised:
    """Steps 3 to 6 on prepared text whose letter runs (`_RUN`) are `runs`."""
    # Collapse before leet: "ki11" must stay the double letter of "kill", not a run of i.
    current = _step(text, [(m.start(), m.end(), m.group(1) * collapse_to) for m in runs], maps)
    current = _leet(current)
    edits, soft, spaced = _spaced_edits(current)
    current = _step(current, edits, maps)
    return Normalised(current.replace("l", "i"), tuple(maps), frozenset(soft), tuple(spaced),
                      bool(runs))


def _doubled(first: Normalised, runs: list[re.Match[str]]) -> Normalised:
    """`first` with every shortened run two letters long, as `_finish(..., 2)` would make it
    when no spaced-out letters were joined: leet folding treats "x" and "xx" alike, so only the
    run's own letter is added in front of the kept one (which a final "z" has made "s")."""
    edits, removed = [], 0
    for run in runs:  # where each kept letter is in `first.text` (no later step moved it)
        at = run.start() - removed
        removed += run.end() - run.start() - 1
        letter = run.group(1).replace("l", "i")  # as step 6 reads it
        edits.append((at, at + 1, letter + first.text[at]))
    maps = list(first.maps)
    added = tuple(at + n for n, (at, _, _) in enumerate(edits))
    return Normalised(_step(first.text, edits, maps), tuple(maps), first.soft, first.runs, True,
                      added)


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


def _leet(text: str) -> str:
    """Fold leet characters inside mixed tokens; same length, so no map is needed."""
    pieces, at = [], 0
    exact = text.isascii()  # there _LEET_SPOT's letters are exactly the isalpha() ones
    for spot in _LEET_SPOT.finditer(text):
        if spot.start() < at or not (exact or _touches_word(text, spot.start(), spot.end())):
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


@lru_cache(maxsize=1024)  # the same few @handles and words recur all through a chat
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
        start, end = run.start() - 1, run.end()  # _SPACED matches from the first separator
        first = start - removed
        for sep in _SEPARATOR.finditer(text, start, end):
            edits.append((sep.start(), sep.end(), ""))
        for i in range(start, end):  # inside a run, non-letters are separators
            if text[i].isalpha():
                soft.add(i - removed)
            else:
                removed += 1
        soft.add(end - removed)
        runs.append((first, end - removed))
    return edits, soft, runs
