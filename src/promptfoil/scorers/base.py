"""The scorer protocol: a batch of (x0, y0, xc, yc) in, one number per item out.

A scorer may return ``None`` for an item it could not score (a judge that gave no readable
answer): the search records the candidate as "unscored" and counts it, instead of taking a
made-up 0.0. A scorer that cannot score against the original response at all raises
:class:`ScorerError`: the explanation fails and says so.

Optional hook: ``self_check(x0, y0, conversation=None) -> str | None``. Before a search, the
explainer asks the scorer to check itself on the original (a judge must find no change between
``y0`` and itself, and must be able to label ``y0``); a returned text is the problem, and the
explanation stops with :class:`JudgeCheckError` unless the check is turned off. For a
conversation, ``x0`` is its rendered text and ``conversation`` its messages (the argument is
left out for a plain prompt, so a two-argument hook keeps working there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..prompt.conversation import Conversation
from ..errors import PromptfoilError, component_name, returned_list
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
    ``bounds`` the range of a score; ``default_threshold`` the measured default δ. A scorer
    may also declare ``default_give_up`` (share, margin[, stall]): the search's give-up rule
    when the user sets none (see :mod:`promptfoil.search.cell_budget`)."""

    name: str
    direction: Direction
    bounds: tuple[float, float]
    default_threshold: float

    def score(self, items: Sequence[ScoreItem]) -> list[float | None]: ...


class ScorerError(PromptfoilError):
    """The scorer cannot score against the original response (e.g. a judge cannot label it)."""


class JudgeCheckError(PromptfoilError):
    """A scorer failed its self-check on the original response: its scores would not mean anything."""


def run_self_check(scorer: Scorer, x0: str, y0: str, conversation: Conversation | None = None) -> None:
    """Raise :class:`JudgeCheckError` when the scorer has a self-check and fails it."""
    check = getattr(scorer, "self_check", None)
    if not callable(check):
        return
    problem = check(x0, y0) if conversation is None else check(x0, y0, conversation)
    if problem:
        name = getattr(scorer, "name", "scorer")
        raise JudgeCheckError(
            f"scorer '{name}' failed its self-check on the original response: {problem}. "
            "Its scores cannot be trusted: use a stronger judge (--scorer-model MODEL, or a server with "
            "--base-url URL), or --no-judge-check (judge_check=False) to use it anyway."
        )


scorers: Registry[Scorer] = Registry("scorer")


# Checks on what a scorer returns, where the search uses it: one real, non-NaN number (or
# None: not scored) per item; anything else is an error naming the scorer.


def check_scores(scores: Any, n: int, who: str) -> list[float | None]:
    """``scores`` as floats (None kept: not scored) after checking there is one real, non-NaN
    number or None per item."""
    what = f"scorer '{who}'"
    out = returned_list(scores, what)
    if len(out) != n:
        raise PromptfoilError(f"{what} returned {len(out)} score(s) for {n} item(s); it must return one per item")
    floats: list[float | None] = []
    for i, s in enumerate(out):
        if s is None:
            floats.append(None)
            continue
        if isinstance(s, (bool, str, bytes)) or not hasattr(s, "__float__"):
            raise PromptfoilError(f"{what} returned {type(s).__name__} ({s!r}) for item {i}; a score must be a number")
        f = float(s)
        if math.isnan(f):
            raise PromptfoilError(f"{what} returned NaN for item {i}; a score must be a number")
        floats.append(f)
    return floats


class CheckedScorer:
    """A scorer whose every batch is checked by :func:`check_scores`; other attributes pass through."""

    def __init__(self, inner: Scorer) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def score(self, items: Sequence[ScoreItem]) -> list[float | None]:
        items = list(items)
        if not items:
            return []
        return check_scores(self.inner.score(items), len(items), component_name(self.inner, "scorer"))
