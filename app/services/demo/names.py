"""The demo school's pupil roll: invented pupils with logins, year groups and synthetic UPNs.

Everything here is synthetic and deterministic for a given `random.Random` seed, so demos,
screenshots and benchmarks show the same school every time. No real person is represented: names
come from `namebank` tables of common names, and UPNs are deliberately outside the real format.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from string import ascii_lowercase

from app.services.demo.namebank import FAMOUS_PAIRS, NAME_GROUPS

DEMO_ACADEMIC_YEAR = 2025
"""The calendar year in which the demo school's current academic year began (September)."""

# Relative size of each year group: Years 7-11 are full, the sixth form (12-13) is smaller.
YEAR_GROUP_SHARES: dict[int, float] = {7: 1.0, 8: 1.0, 9: 1.0, 10: 1.0, 11: 1.0, 12: 0.6, 13: 0.6}

_MIX_PROBABILITY = 0.15  # chance a pupil's first name comes from another naming tradition
_GROUP_CUM_WEIGHTS = tuple(accumulate(g.weight for g in NAME_GROUPS))
_ALL_FIRST_NAMES = tuple(name for g in NAME_GROUPS for name in g.first_names)
_ASCII_EXTRAS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d"})


@dataclass(frozen=True)
class DemoPupil:
    """One invented pupil as the MIS import would provide them (DESIGN §4, Subject)."""

    login: str
    display_name: str
    year_group: int
    upn: str


def make_pupils(
    rng: random.Random, count: int = 600, *, academic_year: int = DEMO_ACADEMIC_YEAR
) -> list[DemoPupil]:
    """Invent `count` pupils for the demo school, ordered by year group then surname.

    Year groups follow `YEAR_GROUP_SHARES` (exact quotas, so a 600-pupil roll always has the
    same shape), names mix the `namebank` traditions, and logins are the school-network style
    `jsmith27` (initial, surname, two-digit year of joining Year 7), made unique with a letter
    suffix. UPNs are synthetic: 13 characters, `Z` + `000` + a 7-digit serial + the 2-digit
    intake year. `000` is not a local-authority number, so none can be a real pupil's UPN.
    The result depends only on the state of `rng`, so a seed reproduces the same school.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    years = _year_quota(count)
    used_names: set[tuple[str, str]] = set()
    used_logins: set[str] = set()
    rows: list[tuple[int, str, str, str]] = []
    for year_group in years:
        first, last = _invent_name(rng, used_names)
        intake = (academic_year - (year_group - 7)) % 100
        login = _unique_login(f"{_ascii(first)[:1]}{_ascii(last)}{intake:02d}", used_logins)
        rows.append((year_group, last, first, login))
    rows.sort()
    return [
        DemoPupil(
            login=login,
            display_name=f"{first} {last}",
            year_group=year_group,
            upn=f"Z000{serial:07d}{(academic_year - (year_group - 7)) % 100:02d}",
        )
        for serial, (year_group, last, first, login) in enumerate(rows, start=1)
    ]


def _year_quota(count: int) -> list[int]:
    """Year group of each pupil, by largest-remainder quotas of `YEAR_GROUP_SHARES`."""
    total = sum(YEAR_GROUP_SHARES.values())
    exact = {y: count * share / total for y, share in YEAR_GROUP_SHARES.items()}
    quota = {y: int(v) for y, v in exact.items()}
    by_remainder = sorted(exact, key=lambda y: (quota[y] - exact[y], y))
    for y in by_remainder[: count - sum(quota.values())]:
        quota[y] += 1
    return [y for y in sorted(quota) for _ in range(quota[y])]


def _invent_name(rng: random.Random, used: set[tuple[str, str]]) -> tuple[str, str]:
    """A first name and surname not used yet and not a famous pair (any after 50 tries)."""
    pair = ("", "")
    for _ in range(50):
        group = rng.choices(NAME_GROUPS, cum_weights=_GROUP_CUM_WEIGHTS)[0]
        pool = _ALL_FIRST_NAMES if rng.random() < _MIX_PROBABILITY else group.first_names
        pair = (rng.choice(pool), rng.choice(group.surnames))
        if pair not in used and pair not in FAMOUS_PAIRS:
            break
    used.add(pair)
    return pair


def _ascii(name: str) -> str:
    """Lower-case ASCII letters of a name: `Woźniak` → `wozniak`, `O'Brien` → `obrien`."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_ASCII_EXTRAS))
    return "".join(ch for ch in decomposed.lower() if "a" <= ch <= "z")


def _unique_login(base: str, used: set[str]) -> str:
    """`base`, or the first unused of `base` + b, c, ... z, aa, ab, ...: schools' usual scheme."""
    login = next(base + suffix for suffix in _login_suffixes() if base + suffix not in used)
    used.add(login)
    return login


def _login_suffixes() -> Iterator[str]:
    """Suffixes in the order tried: none, b..z, aa..zz (digits would blur into the year)."""
    yield ""
    yield from ascii_lowercase[1:]
    yield from (a + b for a in ascii_lowercase for b in ascii_lowercase)
