"""One sentence embedder for everything that compares meanings: the ``semantic`` scorer,
the ``prompt-shift`` query order, content preservation and prompt-similarity checks."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import numpy as np

from .embedded import load_sentence_transformer, minilm_dir


class SentenceEmbedder:
    """Unit-length sentence-transformers embeddings (embedded all-MiniLM-L6-v2 by default),
    loaded on first use, with a bounded memo so repeated texts are embedded once.

    One text batch at a time: the scorer and a prompt-similarity check in the search's
    prefetching worker may ask at once (a fast tokenizer must not be shared by two threads).
    """

    MEMO = 4096

    def __init__(self, model: str | None = None) -> None:
        # The embedded model's folder is found now (cheap), so a missing package is reported
        # when the component is built, not in the middle of a search.
        self.model_path = str(model) if model else str(minilm_dir())
        self._model: Any = None
        self._memo: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            self._model = load_sentence_transformer(self.model_path)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text, each of unit length."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
            if missing:
                vecs = self._load().encode(missing, normalize_embeddings=True, convert_to_numpy=True)
                self._memo.update(zip(missing, np.asarray(vecs)))
            out = np.stack([self._memo[t] for t in texts])
            if len(self._memo) > self.MEMO:
                self._memo = dict(list(self._memo.items())[-self.MEMO // 2 :])
        return out

    def cosine(self, a: list[str], b: list[str]) -> list[float]:
        """cos(a[i], b[i]) for each pair."""
        if not a:
            return []
        va, vb = self.encode(list(a)), self.encode(list(b))
        return [float(c) for c in np.clip((va * vb).sum(axis=1), -1.0, 1.0)]


def shared_embedder(model: str | None = None) -> SentenceEmbedder:
    """One embedder per model for the whole process (the model loads once). The embedded
    model's folder is looked up on every call (cheap), so a missing package is always named."""
    return _embedder(str(model) if model else str(minilm_dir()))


@lru_cache(maxsize=4)
def _embedder(path: str) -> SentenceEmbedder:
    return SentenceEmbedder(path)
