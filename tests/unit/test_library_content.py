"""Checks of the shipped phrase library in `resources/phrases/`: file format, consistency between
files, and a small behavioural check of the content against innocent and concerning sentences.

The behavioural checks run the product matcher over innocent sentences that a careless entry
would flag (alert fatigue) and over concerning ones each category must catch.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from app.domain.categories import CATEGORIES

if TYPE_CHECKING:
    from app.detection.matcher import Matcher

LIBRARY = Path(__file__).resolve().parents[2] / "resources" / "phrases"
HEADER = ["id", "pattern", "kind", "severity", "language", "match", "exceptions", "note"]
PREFIX = {"csam": "cs", "sextortion": "sx", "ai_imagery": "ai", "cse": "ce",
          "pornography": "po", "self_harm": "sh", "suicide": "su", "bullying": "bu",
          "discrimination": "di", "extremism": "ex", "drugs": "dr", "violence": "vi",
          "gambling": "ga"}
REQUIRED_ALLOW = ("scunthorpe", "cocktail", "shiitake", "assessment", "class", "passed", "essex",
                  "sussex", "middlesex", "cockburn", "penistone", "therapist", "grape",
                  "analysis", "skyscraper", "documents", "hello", "shell", "button", "butter",
                  "assassin")
KEYS = [c.key for c in CATEGORIES]


def _table(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [row for row in csv.reader(f) if any(cell.strip() for cell in row)]


@cache
def _entries() -> tuple[tuple[str, dict[str, str]], ...]:
    out = []
    for key in KEYS:
        header, *rows = _table(LIBRARY / f"{key}.csv")
        out += [(key, dict(zip(header, row, strict=True))) for row in rows]
    return tuple(out)


def _allow() -> list[str]:
    return [row[0] for row in _table(LIBRARY / "allow.csv")[1:]]


def test_every_category_has_a_file_with_entries() -> None:
    assert set(PREFIX) == set(KEYS)
    for key in KEYS:
        assert len(_table(LIBRARY / f"{key}.csv")) > 1, key


def test_folder_holds_only_category_files_and_the_allow_list() -> None:
    names = {p.stem for p in LIBRARY.glob("*.csv")}
    assert names == set(KEYS) | {"allow"}


@pytest.mark.parametrize("key", KEYS)
def test_header_is_exact_and_every_row_has_eight_fields(key: str) -> None:
    header, *rows = _table(LIBRARY / f"{key}.csv")
    assert header == HEADER
    for row in rows:
        assert len(row) == 8, row


def test_ids_are_unique_across_files_and_carry_the_category_prefix() -> None:
    ids = [e["id"] for _k, e in _entries()]
    assert len(ids) == len(set(ids))
    for key, e in _entries():
        assert re.fullmatch(rf"{PREFIX[key]}-[0-9]{{4}}", e["id"]), e["id"]


def test_severity_kind_match_and_language_are_valid() -> None:
    for _key, e in _entries():
        assert e["severity"] in {"1", "2", "3", "4", "5"}, e
        assert e["kind"] in {"word", "phrase", "regex"}, e
        assert e["match"] in {"whole", "embedded"}, e
        assert re.fullmatch(r"[a-z]{2}", e["language"]), e


def test_patterns_are_lowercase_stripped_and_not_too_short() -> None:
    for _key, e in _entries():
        p = e["pattern"]
        assert p == p.strip() and p == p.lower(), p
        assert "  " not in p, p
        assert e["kind"] == "regex" or len(p) >= 3, p
        assert len(p) <= 200, p  # the loader's limit


def test_kind_agrees_with_the_pattern() -> None:
    for _key, e in _entries():
        if e["kind"] == "word":
            assert " " not in e["pattern"], e["pattern"]
        elif e["kind"] == "phrase":
            assert " " in e["pattern"], e["pattern"]
        else:
            re.compile(e["pattern"])
            # Unbounded wildcards can run away on long OCR text; use .{0,N} instead.
            assert not re.search(r"\.[*+]", e["pattern"]), e["pattern"]


def test_no_duplicate_pattern_within_a_category() -> None:
    for key in KEYS:
        patterns = [e["pattern"] for k, e in _entries() if k == key]
        assert len(patterns) == len(set(patterns)), key


def test_every_exception_contains_its_pattern() -> None:
    for _key, e in _entries():
        for exc in filter(None, (x.strip() for x in e["exceptions"].split(";"))):
            assert exc == exc.lower(), exc
            if e["kind"] == "regex":
                assert re.search(e["pattern"], exc), (e["id"], exc)
            else:
                assert e["pattern"] in exc, (e["id"], exc)


def test_every_entry_has_a_one_sentence_note() -> None:
    for _key, e in _entries():
        note = e["note"]
        assert note and note[0].isupper() and note.endswith("."), e["id"]
        assert len(note) <= 160, e["id"]


def test_allow_list_has_its_header_and_the_required_words() -> None:
    header, *rows = _table(LIBRARY / "allow.csv")
    assert header == ["pattern", "note"]
    assert all(len(r) == 2 and r[1].strip() for r in rows)
    words = _allow()
    assert len(words) == len(set(words))
    assert all(w == w.strip().lower() for w in words)
    assert set(REQUIRED_ALLOW) <= set(words)


def test_no_allow_word_is_itself_a_flagged_pattern() -> None:
    flagged = {e["pattern"] for _k, e in _entries()}
    assert not flagged & set(_allow())


def test_version_is_one_line() -> None:
    lines = (LIBRARY / "VERSION").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and re.fullmatch(r"\d{4}\.\d+\.\d+", lines[0])


def test_notice_credits_every_source_and_readme_explains_editing() -> None:
    notice = (LIBRARY / "NOTICE").read_text(encoding="utf-8")
    for needle in ("CC BY 4.0", "Shutterstock, LDNOOBW contributors", "CC0", "Apache License 2.0",
                   "Suicide Risk Lexicon", "DEA", "MIT"):
        assert needle in notice, needle
    assert (LIBRARY / "LICENSE-Apache-2.0.txt").exists()
    readme = (LIBRARY / "README.md").read_text(encoding="utf-8")
    assert "VERSION" in readme and "library test" in readme and "allow.csv" in readme


@pytest.mark.skipif(importlib.util.find_spec("app.detection.library") is None,
                    reason="app.detection.library is not written yet")
def test_the_product_loader_accepts_the_library() -> None:
    from app.detection.library import load_library

    library = load_library(LIBRARY)
    assert library.version == (LIBRARY / "VERSION").read_text(encoding="utf-8").strip()
    assert {e.category for e in library.entries} == set(KEYS)
    assert len(library.entries) == len(_entries())
    assert set(REQUIRED_ALLOW) <= set(library.allow)


# --- behaviour, through the product matcher ------------------------------------------------

needs_matcher = pytest.mark.skipif(importlib.util.find_spec("app.detection.matcher") is None,
                                   reason="app.detection.matcher is not written yet")


@cache
def _matcher() -> Matcher:
    from app.detection.library import load_library
    from app.detection.matcher import Matcher

    return Matcher.compile(load_library(LIBRARY))


def _matches(text: str) -> list[tuple[str, int, str]]:
    return [(m.category, m.severity, m.text) for m in _matcher().find(text)]


INNOCENT = [
    "We played Scunthorpe United on Saturday",
    "I'm killing it in maths this term",
    "honestly i was killing myself laughing",
    "The Spice Girls were on the radio", "add the mixed spice to the cake mix",
    "She graduated magna cum laude", "our class assessment is on friday",
    "the therapist said I'm doing well", "it's about 10 kms away from school",
    "there's a chink in his armour", "my maine coon is called biscuit",
    "we walked along offa's dyke", "we had faggots and peas for tea",
    "weed the garden before sunday", "the national action plan on climate",
    "summarise the poem in 14 words", "i do not want to die in this level",
    "homo sapiens evolved in africa", "flame retardant materials",
    "i'll shoot you a message later", "don't stab him in the back",
    "we need to get high marks in the mock", "mongolia is a big country",
    "are you alone in thinking that?", "hello, can you pass the butter and press the button",
    "the accumulator register in the cpu", "are your parents coming to parents evening?",
    "she made a bath bomb making kit", "oilseed rape fields are bright yellow",
    "don't slag me off", "my mum beats me at chess every time", "watch corn grow",
    "bring a knife and fork for the picnic", "my dad hits me up on whatsapp",
]


@needs_matcher
@pytest.mark.parametrize("sentence", INNOCENT)
def test_innocent_sentence_raises_nothing(sentence: str) -> None:
    assert _matches(sentence) == []


CONCERNING = [
    ("i just want to die", "suicide", 4),
    ("i'm going to kill myself tonight", "suicide", 5),
    ("how many paracetamol would it take to die", "suicide", 5),
    ("nobody would miss me anyway", "suicide", 4),
    ("i've started cutting again", "self_harm", 4),
    ("pro ana tips please", "self_harm", 4),
    ("kys", "bullying", 4),
    ("you're a waste of space", "bullying", 3),
    ("i have your nudes. pay me or i'll post them", "sextortion", 5),
    ("send more or i will share them", "sextortion", 5),
    ("i'll leak ur nudes", "sextortion", 5),
    ("you've got two hours to pay", "sextortion", 4),
    ("don’t tell ur mum", "cse", 3),
    ("s3nd n00dz", "cse", 4),
    ("ur so fat", "bullying", 3),
    ("don't tell your mum, it's our little secret", "cse", 4),
    ("are you home alone", "cse", 3),
    ("best free nudify app", "ai_imagery", 5),
    ("undress ai website", "ai_imagery", 5),
    ("cp links anyone", "csam", 5),
    ("pornhub premium free", "pornography", 3),
    ("go back to your country", "discrimination", 3),
    ("the great replacement is real", "extremism", 4),
    ("who's going country this weekend", "drugs", 4),
    ("got any xans", "drugs", 3),
    ("i'm bringing a knife tomorrow", "violence", 4),
    ("my dad hits me when he's drunk", "violence", 4),
    ("free spins no deposit", "gambling", 2),
]


@needs_matcher
@pytest.mark.parametrize(("sentence", "category", "severity"), CONCERNING)
def test_concerning_sentence_is_caught(sentence: str, category: str, severity: int) -> None:
    hits = _matches(sentence)
    assert any(k == category and s >= severity for k, s, _m in hits), hits


@needs_matcher
def test_no_allow_word_hides_a_whole_entry() -> None:
    """An allow word that normalises to an entry's own pattern (l and I are one letter after
    OCR folding: "fold" reads as "foid") would silence that entry everywhere."""
    from app.detection.normalise import normalise

    allowed = {normalise(a).text for a in _allow()}
    for _key, e in _entries():
        if e["kind"] != "regex":
            assert normalise(e["pattern"]).text not in allowed, e["id"]


@needs_matcher
def test_contractions_match_when_typed_without_the_apostrophe() -> None:
    for sentence, category in [("i dont want to live anymore", "suicide"),
                               ("dont tell anyone about us", "cse"),
                               ("i cant do this anymore", "suicide")]:
        assert category in {k for k, _s, _t in _matches(sentence)}, sentence
