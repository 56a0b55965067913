"""The scorer protocol: a batch of (x0, y0, xc, yc) in, one number per item out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..registry import Registry
from ..types import Direction


@dataclass(frozen=True)
class ScoreItem:
    """Original prompt and response, candidate prompt and its response."""

    x0: str
    y0: str
    xc: str
    yc: str


@runtime_checkable
class Scorer(Protocol):
    """``g(x0, y0, xc, yc)``. ``direction`` is the way that is "more contrastive" by default;
    ``bounds`` the range of a score; ``default_threshold`` the measured default δ."""

    name: str
    direction: Direction
    bounds: tuple[float, float]
    default_threshold: float

    def score(self, items: Sequence[ScoreItem]) -> list[float]: ...


scorers: Registry[Scorer] = Registry("scorer")
