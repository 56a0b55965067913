"""Query order: which candidates of a batch to ask the target first.

The search stops at the first candidate that reaches δ, so asking likely contrasts first
saves target calls without changing what counts as a contrast. ``prompt-shift`` asks first
the candidates whose *prompt* moved furthest in meaning from ``x0`` (1 − cosine of MiniLM
embeddings): a few milliseconds of embedding per candidate against a full generation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

#: Texts in, one unit-length embedding per text out (the explainer passes the shared
#: sentence embedder; the search never loads a model itself).
Embed = Callable[[list[str]], np.ndarray]


@runtime_checkable
class Prioritizer(Protocol):
    """Higher value = ask the target sooner."""

    name: str

    def rank(self, x0: str, prompts: Sequence[str]) -> list[float]: ...


class PromptShift:
    """1 − cosine(emb(x0), emb(xc)) with any sentence embedder."""

    name = "prompt-shift"

    def __init__(self, embed: Embed) -> None:
        self._embed = embed
        self._x0: tuple[str, np.ndarray] | None = None

    def rank(self, x0: str, prompts: Sequence[str]) -> list[float]:
        if not prompts:
            return []
        if self._x0 is None or self._x0[0] != x0:
            self._x0 = (x0, np.asarray(self._embed([x0]))[0])
        vecs = np.asarray(self._embed(list(prompts)))
        return [float(1.0 - v) for v in vecs @ self._x0[1]]


#: Names the CLI offers for ``--order``.
PRIORITIZERS = ("none", "prompt-shift")
