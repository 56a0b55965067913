"""Checks on what user-supplied components return, at the boundary where the search uses it.

A scorer must give one number per item (±inf is accepted but never reaches a threshold; NaN
is an error), or None for an item it could not score (a judge that gave no readable answer:
the search records it as unscored); an infiller one list of texts per request. Anything else is a
clear :class:`~promptfoil.errors.PromptfoilError` naming the component, never a silently
shortened batch or a ``TypeError`` deep inside the search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .errors import PromptfoilError
from .infill.base import Infiller, InfillRequest
from .scorers.base import Scorer, ScoreItem


def _name(component: Any, kind: str) -> str:
    return str(getattr(component, "name", None) or type(component).__name__ or kind)


def _as_list(value: Any, what: str) -> list[Any]:
    """A list from a list, tuple or array; strings, mappings and None are refused."""
    if value is None or isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
        raise PromptfoilError(f"{what} must return a list, got {type(value).__name__}")
    try:
        return list(value)
    except TypeError:
        raise PromptfoilError(f"{what} must return a list, got {type(value).__name__}") from None


def check_scores(scores: Any, n: int, who: str) -> list[float | None]:
    """``scores`` as floats (None kept: not scored) after checking there is one real, non-NaN
    number or None per item."""
    what = f"scorer '{who}'"
    out = _as_list(scores, what)
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


def check_fills(fills: Any, requests: Sequence[InfillRequest], who: str) -> list[list[str]]:
    """``fills`` after checking there is one list of texts per request."""
    what = f"infiller '{who}'"
    out = _as_list(fills, what)
    if len(out) != len(requests):
        raise PromptfoilError(
            f"{what} returned {len(out)} list(s) of fills for {len(requests)} request(s); it must return one per request"
        )
    checked = []
    for i, group in enumerate(out):
        items = _as_list(group, f"{what} (request {i})")
        bad = [f for f in items if not isinstance(f, str)]
        if bad:
            raise PromptfoilError(
                f"{what} returned {type(bad[0]).__name__} ({bad[0]!r}) as a fill for request {i}; fills must be text"
            )
        checked.append(items)
    return checked


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
        return check_scores(self.inner.score(items), len(items), _name(self.inner, "scorer"))


class CheckedInfiller:
    """An infiller whose every batch is checked by :func:`check_fills`; other attributes pass through."""

    def __init__(self, inner: Infiller) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        requests = list(requests)
        if not requests:
            return []
        return check_fills(self.inner.infill(requests), requests, _name(self.inner, "infiller"))
