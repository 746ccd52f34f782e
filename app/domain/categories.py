"""The built-in safeguarding categories (UK Safer Internet Centre monitoring list, plus
sextortion and AI-generated imagery), as frozen data.

`restricted_imagery` marks the categories whose screenshots are blurred by default and never
embedded in an export (DESIGN §11).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategoryInfo:
    """One category: a stable key, a display name, its UKSIC group and a chart colour."""

    key: str
    name: str
    uksic_group: str
    colour: str
    restricted_imagery: bool


CATEGORIES: tuple[CategoryInfo, ...] = (
    CategoryInfo("csam", "Illegal content (CSAM)", "Illegal", "#7f1d1d", True),
    CategoryInfo("sextortion", "Sextortion", "Child sexual exploitation", "#b91c1c", True),
    CategoryInfo("ai_imagery", "AI-generated / nudified imagery", "Child sexual exploitation",
                 "#c2410c", True),
    CategoryInfo("cse", "Child sexual exploitation / grooming", "Child sexual exploitation",
                 "#be185d", True),
    CategoryInfo("pornography", "Pornography", "Pornography", "#9d174d", True),
    CategoryInfo("self_harm", "Self-harm", "Self-harm", "#7c3aed", False),
    CategoryInfo("suicide", "Suicide", "Suicide", "#4c1d95", False),
    CategoryInfo("bullying", "Bullying", "Bullying", "#0369a1", False),
    CategoryInfo("discrimination", "Discrimination", "Discrimination", "#0f766e", False),
    CategoryInfo("extremism", "Extremism", "Extremism", "#854d0e", False),
    CategoryInfo("drugs", "Drugs / substance abuse", "Drugs", "#15803d", False),
    CategoryInfo("violence", "Violence", "Violence", "#b45309", False),
    CategoryInfo("gambling", "Gambling", "Gambling", "#475569", False),
)

CATEGORY_BY_KEY: dict[str, CategoryInfo] = {c.key: c for c in CATEGORIES}
