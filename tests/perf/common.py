"""Shared pieces for benchmarks: the Figure line format and a timing helper."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str
    baseline_name: str
    baseline_value: float | None

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value

    def line(self) -> str:
        ratio = f"{self.ratio:.2f}×" if self.ratio is not None else "n/a"
        base = (f"{self.baseline_value:,.1f} {self.unit}" if self.baseline_value is not None
                else "n/a")
        return (f"{self.name}: {self.value:,.1f} {self.unit} (target {self.target}; "
                f"ratio {ratio} vs {self.baseline_name} = {base})")

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "ratio": self.ratio}


def median_ms(fn: Callable[[], object], repeats: int = 15, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
