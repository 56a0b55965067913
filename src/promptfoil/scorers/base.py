"""The scorer protocol: a batch of (x0, y0, xc, yc) in, one number per item out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..conversation import Conversation
from ..registry import Registry
from ..types import Direction


@dataclass(frozen=True)
class ScoreItem:
    """Original prompt and response, candidate prompt and its response.

    For a conversation, ``x0``/``xc`` are its rendered text and ``c0``/``cc`` the messages
    themselves (None for a plain prompt), for scorers that judge a reply in its context.
    """

    x0: str
    y0: str
    xc: str
    yc: str
    c0: Conversation | None = None
    cc: Conversation | None = None


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
