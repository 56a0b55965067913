"""Intervals the gate decides on: Wilson's score interval for a pass rate, and a seeded
percentile bootstrap for a mean over paired items.

Wilson's interval, unlike the normal approximation, stays inside [0, 1] and is not empty at
0 or K passes of K, which is where a gate's samples mostly lie. The bootstrap resamples items
(not samples) with one ``random.Random(seed)``, so the same inputs and seed give the same
interval on every machine.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ConfigError

#: Two-sided 95%: the normal quantile Wilson's interval uses.
Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 2000


@dataclass(frozen=True)
class Interval:
    """An estimate with the low and high end of its interval (``level``: its coverage)."""

    estimate: float
    low: float
    high: float
    level: float = 0.95

    def fmt(self, digits: int = 2, percent: bool = False) -> str:
        if percent:
            return f"{self.estimate:.0%} [{self.low:.0%}, {self.high:.0%}]"
        return f"{self.estimate:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


def wilson(passes: int, n: int, z: float = Z95) -> Interval:
    """Wilson's score interval of ``passes`` out of ``n`` (n >= 1)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1 or not 0 <= passes <= n:
        raise ConfigError(f"a pass rate needs 0 <= passes <= n and n >= 1 (got {passes} of {n})")
    p = passes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # exact ends at 0 and n (rounding would otherwise leave 1e-17 below 0 or above 1)
    low = 0.0 if passes == 0 else max(0.0, centre - half)
    high = 1.0 if passes == n else min(1.0, centre + half)
    return Interval(p, low, high)


def bootstrap_mean(values: Sequence[float], seed: int = 0, resamples: int = BOOTSTRAP_RESAMPLES,
                   level: float = 0.95) -> Interval:
    """The mean of ``values`` with a percentile bootstrap interval (items resampled with
    replacement); one value or all equal values give a zero-width interval."""
    vals = [float(v) for v in values]
    if not vals:
        raise ConfigError("a bootstrap interval needs at least one value")
    mean = sum(vals) / len(vals)
    if len(set(vals)) == 1:
        return Interval(mean, mean, mean, level)
    rng = random.Random(seed)
    n = len(vals)
    means = sorted(sum(rng.choices(vals, k=n)) / n for _ in range(resamples))
    tail = (1 - level) / 2
    low = means[int(math.floor(tail * (resamples - 1)))]
    high = means[int(math.ceil((1 - tail) * (resamples - 1)))]
    return Interval(mean, min(low, mean), max(high, mean), level)
