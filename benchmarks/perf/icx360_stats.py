"""Means with standard errors and paired bootstrap intervals for the ICX360 benchmark.

A *case* is one (prompt set, prompt, seed, budget, split_k) run by both tools; ratios
promptfoil / ICX360 are ratios of means over cases, and their 95% intervals come from
resampling cases with replacement (the two tools' runs of a case stay together).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

Case = tuple[dict[str, Any], dict[str, Any]]  # (promptfoil record, ICX360 record)


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (NaN where undefined)."""
    xs = [float(v) for v in values]
    n = len(xs)
    if n == 0:
        return math.nan, math.nan
    m = sum(xs) / n
    if n < 2:
        return m, math.nan
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1) / n)


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else math.nan


def ratio_of_means(cases: Sequence[Case], key: str, found_only: bool = False) -> float:
    """mean(promptfoil[key]) / mean(icx360[key]); ``found_only`` keeps each tool's found ones."""
    a = [c[0][key] for c in cases if c[0].get(key) is not None and (c[0]["found"] or not found_only)]
    b = [c[1][key] for c in cases if c[1].get(key) is not None and (c[1]["found"] or not found_only)]
    ma, mb = _mean(a), _mean(b)
    return ma / mb if mb and not math.isnan(ma) and not math.isnan(mb) else math.nan


def bootstrap(cases: Sequence[Case], stat: Callable[[Sequence[Case]], float], n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of ``stat`` over case resamples (NaN resamples dropped)."""
    if len(cases) < 2:
        return math.nan, math.nan
    rng = random.Random(seed)
    vals = []
    for _ in range(n):
        v = stat([cases[rng.randrange(len(cases))] for _ in cases])
        if not math.isnan(v):
            vals.append(v)
    if len(vals) < n // 2:
        return math.nan, math.nan
    vals.sort()
    return vals[int(0.025 * (len(vals) - 1))], vals[int(0.975 * (len(vals) - 1))]


def ratio_ci(cases: Sequence[Case], key: str, found_only: bool = False) -> dict[str, float]:
    """The ratio of means and its bootstrap interval."""
    lo, hi = bootstrap(cases, lambda cs: ratio_of_means(cs, key, found_only))
    return {"ratio": ratio_of_means(cases, key, found_only), "lo": lo, "hi": hi}


def flip_diff_ci(cases: Sequence[Case]) -> dict[str, float]:
    """promptfoil flip rate minus ICX360's, with its bootstrap interval."""

    def diff(cs: Sequence[Case]) -> float:
        return _mean([float(c[0]["found"]) - float(c[1]["found"]) for c in cs])

    lo, hi = bootstrap(cases, diff)
    return {"diff": diff(cases), "lo": lo, "hi": hi}
