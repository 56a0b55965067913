"""Query order: which candidates of a batch to ask the target first.

The search stops at the first candidate that reaches δ, so asking likely contrasts first
saves target calls without changing what counts as a contrast. ``prompt-shift`` asks first
the candidates whose *prompt* moved furthest in meaning from ``x0`` (1 − cosine of MiniLM
embeddings): a few milliseconds of embedding per candidate against a full generation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ConfigError
from ..models import load_sentence_transformer, minilm_dir


@runtime_checkable
class Prioritizer(Protocol):
    """Higher value = ask the target sooner."""

    name: str

    def rank(self, x0: str, prompts: Sequence[str]) -> list[float]: ...


class PromptShift:
    """1 − cosine(emb(x0), emb(xc)) with a sentence-transformers model (embedded MiniLM)."""

    name = "prompt-shift"

    def __init__(self, model: str | None = None) -> None:
        self.model_path = model
        self._model: Any = None
        self._x0: tuple[str, np.ndarray] | None = None

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self._model = load_sentence_transformer(self.model_path or str(minilm_dir()))
        return np.asarray(self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True))

    def rank(self, x0: str, prompts: Sequence[str]) -> list[float]:
        if not prompts:
            return []
        if self._x0 is None or self._x0[0] != x0:
            self._x0 = (x0, self._embed([x0])[0])
        vecs = self._embed(list(prompts))
        return [float(1.0 - v) for v in vecs @ self._x0[1]]


PRIORITIZERS = ("none", "prompt-shift")


def make_prioritizer(spec: str | Prioritizer | None) -> Prioritizer | None:
    if spec is None or spec == "none":
        return None
    if spec == "prompt-shift":
        return PromptShift()
    if isinstance(spec, Prioritizer):
        return spec
    raise ConfigError(f"unknown query order '{spec}'; valid: {', '.join(PRIORITIZERS)}")
