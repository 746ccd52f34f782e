"""Pixel geometry for evidence: where on a screenshot a match was drawn."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in screenshot pixels; (x, y) is the top-left corner."""

    x: int
    y: int
    w: int
    h: int

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    @classmethod
    def from_list(cls, values: list[int]) -> Box:
        x, y, w, h = (int(v) for v in values)
        return cls(x, y, w, h)
