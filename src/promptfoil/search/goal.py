"""What "more contrastive" means: a direction and a threshold δ on the scorer's scale."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigError
from ..types import DIRECTIONS, Direction


@dataclass(frozen=True)
class Goal:
    """``increase``: score >= δ; ``decrease``: score <= δ; ``absolute``: |score| >= δ.

    ``objective`` turns a score into "higher is more contrastive" for ranking.
    """

    direction: Direction
    threshold: float

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ConfigError(
                f"unknown direction '{self.direction}'; valid directions: {', '.join(DIRECTIONS)}"
            )

    def objective(self, score: float) -> float:
        if self.direction == "increase":
            return score
        if self.direction == "decrease":
            return -score
        return abs(score)

    def reached(self, score: float) -> bool:
        if not math.isfinite(score):  # ±inf (a scorer's overflow) never counts as a contrast
            return False
        if self.direction == "increase":
            return score >= self.threshold
        if self.direction == "decrease":
            return score <= self.threshold
        return abs(score) >= self.threshold

    @staticmethod
    def check_threshold(threshold: float, direction: str, bounds: tuple[float, float], scorer: str) -> None:
        lo, hi = bounds
        if direction == "absolute":
            lo, hi = 0.0, max(abs(lo), abs(hi))
        if not lo <= threshold <= hi:
            raise ConfigError(
                f"threshold {threshold} is outside the range of scorer '{scorer}' "
                f"for direction '{direction}': [{lo}, {hi}]"
            )
