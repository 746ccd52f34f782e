"""One demo incident's text as the real matcher reads it: draw a library entry, build the
context around it, run the shipped matcher over the context, and keep what it found.

The incident is recorded from the matcher's output, never from what the generator meant to
write: category, severity, spans and phrase ids are the matcher's, and the incident leads with
its most severe match (a phrase often holds a shorter entry of another category: `child porn`
holds `porn`). A draw is refused, and another entry drawn, when
- the matcher finds nothing of the chosen entry (an exception or the allow-list suppressed it);
- the leading match is of another category (the category mix would drift);
- another category matches outside the leading match's span (an unrelated second concern); or
- any match is in a restricted-imagery category when the leading one is not (the screenshot
  shows those words, and only restricted categories are blurred by default, DESIGN §11).
So every incident is one the agent would raise, in the category the mix asked for.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from app.detection.library import PhraseEntry
from app.detection.matcher import Matcher, PhraseMatch, leading
from app.domain.categories import CATEGORY_BY_KEY
from app.services.demo.content import DemoText, make_incident_text
from app.services.demo.palette import Palette

MAX_DRAWS = 50  # a category whose drawable entries all fail this often is a broken library


@dataclass(frozen=True)
class DetectedText:
    """A generated text and the matches the shipped matcher found in it, primary first.

    `text.match_start:match_end` is the primary match's span (what a screenshot boxes); the
    incident's category and severity are the primary match's.
    """

    text: DemoText
    matches: tuple[PhraseMatch, ...]

    @property
    def primary(self) -> PhraseMatch:
        return self.matches[0]


def draw_detected_text(rng: random.Random, category: str, palette: Palette) -> DetectedText:
    """A text of `category` that the shipped matcher flags, from `palette`'s entries; the
    result depends only on `rng`'s state. Raises RuntimeError if MAX_DRAWS draws fail."""
    entries = palette.entries[category]
    for _ in range(MAX_DRAWS):
        entry = rng.choice(entries)
        text = make_incident_text(rng, category, entry.pattern)
        found = detect(palette.matcher, text, entry)
        if found is not None:
            return found
    raise RuntimeError(f"no {category} text the matcher flags after {MAX_DRAWS} draws")


def detect(matcher: Matcher, text: DemoText, entry: PhraseEntry) -> DetectedText | None:
    """What `matcher` finds in `text.context`, or None when the draw must be refused (see
    the module docstring)."""
    found = matcher.find(text.context)
    if not any(m.phrase_id == entry.id for m in found):
        return None
    primary = leading(found)
    if primary.category != entry.category or not all(_fits(m, primary) for m in found):
        return None
    ordered = (primary, *(m for m in found if m is not primary))
    return DetectedText(replace(text, match_start=primary.start, match_end=primary.end), ordered)


def _fits(match: PhraseMatch, primary: PhraseMatch) -> bool:
    """Whether `match` may stand in an incident that `primary` leads."""
    if match.category == primary.category:
        return True
    inside = primary.start <= match.start and match.end <= primary.end
    return inside and (_restricted(primary) or not _restricted(match))


def _restricted(match: PhraseMatch) -> bool:
    return CATEGORY_BY_KEY[match.category].restricted_imagery
