"""Retention: how long Kestrel keeps what, and what a run would remove (issue 7).

UK guidance keeps a child-protection file until the pupil's 25th birthday, so a school's real
concerns stay for decades; what should not pile up is noise. The rules, in the order they win:

1. Nothing in a case on legal hold is removed, whatever its age or status.
2. Nothing captured, closed or changed in the last `FLOOR_DAYS` days is removed, whatever the
   settings say (a mistaken setting or a just-released hold gets a month's grace).
3. An incident marked false positive is removed `false_positive_days` after it was captured
   (default 365); one closed without ever being in a case, `closed_days` after (default 365).
   An incident in a case is never removed by this rule: it goes, if ever, with its case.
4. A closed case is removed `case_years` after it was closed (default 25 — longer than any
   pupil's 25th birthday, since Kestrel holds no dates of birth), with its chronology and the
   incidents that are in no other case. A case's closing is its latest status change.

The policy is kept as three settings rows (`retention.*`), each a whole number; anything else
there is refused with a sentence naming the setting, and nothing is removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from app.errors import ValidationError

FLOOR_DAYS = 30
PREFIX = "retention."
# field: (lowest, highest, unit) — the lowest day counts are the floor itself
_RANGES: dict[str, tuple[int, int, str]] = {
    "false_positive_days": (FLOOR_DAYS, 36_500, "days"),
    "closed_days": (FLOOR_DAYS, 36_500, "days"),
    "case_years": (1, 100, "years"),
}


@dataclass(frozen=True)
class Cutoffs:
    """Removal applies to what is strictly older than each of these times."""

    now: datetime
    false_positive: datetime
    closed: datetime
    case: datetime
    floor: datetime


@dataclass(frozen=True)
class RetentionPolicy:
    false_positive_days: int = 365
    closed_days: int = 365
    case_years: int = 25

    def __post_init__(self) -> None:
        for name, (low, high, unit) in _RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValidationError(f"The retention setting {PREFIX}{name} must be a whole "
                                      f"number of {unit} from {low} to {high}; it is "
                                      f"{value!r}.")

    def cutoffs(self, now: datetime) -> Cutoffs:
        """The times before which each rule removes, never later than the floor."""
        if now.tzinfo is None:
            raise ValidationError("Give the retention time with its time zone.")
        floor = now - timedelta(days=FLOOR_DAYS)
        return Cutoffs(now, min(floor, now - timedelta(days=self.false_positive_days)),
                       min(floor, now - timedelta(days=self.closed_days)),
                       min(floor, _years_before(now, self.case_years)), floor)

    def as_settings(self) -> dict[str, str]:
        return {PREFIX + f.name: str(getattr(self, f.name)) for f in fields(self)}


def policy_from_settings(rows: Mapping[str, str]) -> RetentionPolicy:
    """The policy from the `retention.*` settings rows (missing rows take the defaults).
    An unknown key is refused too: a misspelt setting would otherwise be silently ignored."""
    values: dict[str, int] = {}
    for key, raw in rows.items():
        name = key.removeprefix(PREFIX)
        if not key.startswith(PREFIX) or name not in _RANGES:
            raise ValidationError(f"Unknown retention setting {key!r}; the settings are "
                                  f"{', '.join(PREFIX + n for n in _RANGES)}.")
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 6):
            low, high, unit = _RANGES[name]
            raise ValidationError(f"The retention setting {key} must be a whole number of "
                                  f"{unit} from {low} to {high}; it is {raw[:40]!r}.")
        values[name] = int(text)
    return RetentionPolicy(**values)


def _years_before(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February in a year that has none
        return now.replace(year=now.year - years, day=28)


@dataclass(frozen=True)
class HeldBack:
    """Something old enough to go that is kept, and why ("case on legal hold")."""

    kind: str  # "incident" or "case"
    count: int
    reason: str

    def text(self) -> str:
        return f"{self.count} {self.kind}{'' if self.count == 1 else 's'} kept: {self.reason}"


@dataclass(frozen=True)
class RetentionPlan:
    """What a run would remove now (counts and case references, never content)."""

    policy: RetentionPolicy
    cutoffs: Cutoffs
    false_positives: int
    closed_incidents: int
    cases: tuple[str, ...]  # references of the closed cases that would go
    case_incidents: int  # incidents that would go with those cases
    evidence_files: int
    held: tuple[HeldBack, ...]

    @property
    def incidents(self) -> int:
        return self.false_positives + self.closed_incidents + self.case_incidents

    @property
    def empty(self) -> bool:
        return self.incidents == 0 and not self.cases

    def lines(self) -> list[str]:
        """The plan as a person reads it (CLI and console share these sentences)."""
        p, c = self.policy, self.cutoffs
        out = [f"False positives captured before {c.false_positive:%Y-%m-%d} "
               f"({p.false_positive_days} days): {self.false_positives}",
               f"Closed incidents in no case, captured before {c.closed:%Y-%m-%d} "
               f"({p.closed_days} days): {self.closed_incidents}",
               f"Closed cases, closed before {c.case:%Y-%m-%d} ({p.case_years} years): "
               f"{len(self.cases)}" + (f" ({', '.join(self.cases)}) with "
                                       f"{self.case_incidents} incidents" if self.cases else ""),
               f"Evidence files: {self.evidence_files}"]
        out += [h.text() for h in self.held if h.count]
        return out


@dataclass(frozen=True)
class RetentionResult:
    incidents: int
    cases: int
    evidence_files: int  # sealed files removed from the evidence folder
    batches: int
    cancelled: bool
