"""Change of meaning: 1 - cosine similarity of sentence embeddings of y0 and yc."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..models import load_sentence_transformer, minilm_dir
from ..types import Direction
from .base import ScoreItem, scorers


class SemanticScorer:
    """all-MiniLM-L6-v2 (embedded) by default; any sentence-transformers folder works.

    y0's embedding is computed once and reused across batches.
    """

    direction: Direction = "increase"
    bounds = (0.0, 2.0)
    default_threshold = 0.6

    def __init__(self, model: str | None = None) -> None:
        self.model_path = str(model or minilm_dir())
        self.name = "semantic"
        self._model: Any = None
        self._memo: dict[str, np.ndarray] = {}

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self._model = load_sentence_transformer(self.model_path)
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            vecs = self._model.encode(missing, normalize_embeddings=True, convert_to_numpy=True)
            self._memo.update(zip(missing, vecs))
            if len(self._memo) > 4096:
                self._memo = dict(list(self._memo.items())[-2048:])
        return np.stack([self._memo[t] for t in texts])

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        if not items:
            return []
        a = self._embed([i.y0 for i in items])
        b = self._embed([i.yc for i in items])
        cos = np.clip((a * b).sum(axis=1), -1.0, 1.0)
        return [float(round(1.0 - c, 6)) for c in cos]


@scorers.register("semantic", "1 - cosine(MiniLM(y0), MiniLM(yc)): how far the meaning moved (offline)")
def _make_semantic(model: str | None = None) -> SemanticScorer:
    return SemanticScorer(model)
