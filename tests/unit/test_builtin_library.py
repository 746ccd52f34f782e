"""The library Kestrel ships: it catches what a DSL must see and stays quiet on the everyday
sentences that cause alert fatigue."""

from __future__ import annotations

import pytest

from app.detection.library import load_library
from app.detection.matcher import Matcher
from app.paths import RESOURCES


@pytest.fixture(scope="module")
def shipped() -> Matcher:
    return Matcher.compile(load_library(RESOURCES / "phrases"))


@pytest.mark.parametrize(("text", "category"), [
    ("i honestly want to kill myself", "suicide"),
    ("nobody would miss me if i was gone", "suicide"),
    ("k y s", "bullying"),
    ("send me £100 or i'll leak your nudes", "sextortion"),
    ("don't tell your parents about us", "cse"),
    ("use this nudify app on her", "ai_imagery"),
    ("im cutting again", "self_harm"),
    ("xanax bars for sale", "drugs"),
])
def test_shipped_library_catches_what_a_dsl_must_see(shipped: Matcher, text: str,
                                                     category: str) -> None:
    assert category in {m.category for m in shipped.find(text)}, shipped.find(text)


def test_regex_entries_read_the_same_normalised_text_as_phrases(shipped: Matcher) -> None:
    """Regexes run on normalised text, where l and I are one letter: "kill" must still match."""
    severities = {m.severity for m in shipped.find("i will kill myself tonight")
                  if m.category == "suicide"}
    assert 5 in severities  # the plan-with-timing regex, not only the plain phrase
    assert shipped.find("how many paracetamol does it take to die")


@pytest.mark.parametrize("text", [
    "I passed my class assessment in Scunthorpe",
    "cocktail sausages",
    "shiitake mushrooms on toast",
    "meet at 3:30 in room 101",
    "the U S A and U K",
    "we need to finish the maths homework",
    "can you pass the grapes",
    "I'm going to kill time in the library",
    "the documents are in the shared drive",
])
def test_shipped_library_leaves_everyday_sentences_alone(shipped: Matcher, text: str) -> None:
    assert shipped.find(text) == []
