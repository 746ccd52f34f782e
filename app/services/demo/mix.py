"""The demo school's incident mix: how often each category occurs, which severities of the
shipped library it draws, which library entries it never shows, and where each category's
incidents tend to appear (chat, search, document or social feed).

The phrases themselves come from the shipped library (`resources/phrases`); see
`app.services.demo.palette`.
"""

from __future__ import annotations

# Relative frequency of each category in a school's incident stream: bullying, self-harm,
# discrimination and violence dominate; CSAM is (thankfully) the rarest. Sums to 1.
CATEGORY_WEIGHTS: dict[str, float] = {
    "bullying": 0.22,
    "self_harm": 0.14,
    "discrimination": 0.13,
    "violence": 0.13,
    "pornography": 0.09,
    "drugs": 0.08,
    "suicide": 0.06,
    "gambling": 0.05,
    "extremism": 0.03,
    "cse": 0.03,
    "sextortion": 0.02,
    "ai_imagery": 0.015,
    "csam": 0.005,
}

# The severities (inclusive) the demo draws per category, so the queue looks like a school's:
# CSAM, sextortion and nudify tools are urgent, gambling is low, and "context only" entries
# (severity 1, innocent on their own) never raise an incident by themselves.
SEVERITY_BANDS: dict[str, tuple[int, int]] = {
    "csam": (4, 5),
    "sextortion": (4, 5),
    "ai_imagery": (4, 5),
    "cse": (3, 4),
    "pornography": (2, 3),
    "self_harm": (3, 4),
    "suicide": (4, 5),
    "bullying": (3, 4),
    "discrimination": (2, 4),
    "extremism": (3, 5),
    "drugs": (2, 4),
    "violence": (3, 5),
    "gambling": (2, 3),
}

# The demo is shown to governors, parents and visitors: it never spells out a slur, explicit
# sexual vocabulary or a method of self-harm or suicide. Entries whose DSL note says they are
# one of these (words in the note, lower case) stay in the library but out of the demo.
UNSHOWN_NOTES: tuple[str, ...] = (
    "slur",
    "explicit sexual term",
    "sexual language",
    "sexualised insult",
    "abusive insult",
    "method",
)

# Which surface (chat, search, document, social) an incident of each category tends to come
# from; content.make_incident_text uses these as weights.
SURFACE_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {
    "csam": (("search", 0.6), ("chat", 0.4)),
    "sextortion": (("chat", 0.85), ("social", 0.15)),
    "ai_imagery": (("search", 0.6), ("chat", 0.25), ("social", 0.15)),
    "cse": (("chat", 0.85), ("social", 0.15)),
    "pornography": (("search", 0.75), ("chat", 0.15), ("social", 0.1)),
    "self_harm": (("search", 0.35), ("chat", 0.35), ("document", 0.2), ("social", 0.1)),
    "suicide": (("search", 0.35), ("chat", 0.4), ("document", 0.15), ("social", 0.1)),
    "bullying": (("chat", 0.7), ("social", 0.25), ("document", 0.05)),
    "discrimination": (("chat", 0.55), ("social", 0.35), ("document", 0.1)),
    "extremism": (("search", 0.5), ("social", 0.3), ("chat", 0.15), ("document", 0.05)),
    "drugs": (("search", 0.45), ("chat", 0.45), ("social", 0.1)),
    "violence": (("chat", 0.65), ("social", 0.2), ("search", 0.15)),
    "gambling": (("search", 0.7), ("chat", 0.15), ("social", 0.15)),
}
