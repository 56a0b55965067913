"""Change of meaning: 1 - cosine similarity of sentence embeddings of y0 and yc."""

from __future__ import annotations

from collections.abc import Sequence

from ..backends.embedder import shared_embedder
from ..types import Direction
from .base import ScoreItem, scorers


class SemanticScorer:
    """all-MiniLM-L6-v2 (embedded) by default; any sentence-transformers folder works.

    Embeddings come from the shared embedder, so y0's is computed once and reused.
    """

    direction: Direction = "increase"
    bounds = (0.0, 2.0)
    default_threshold = 0.6

    def __init__(self, model: str | None = None) -> None:
        self.name = "semantic"
        self.embedder = shared_embedder(str(model) if model else None)

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        if not items:
            return []
        cos = self.embedder.cosine([i.y0 for i in items], [i.yc for i in items])
        return [float(round(1.0 - c, 6)) for c in cos]


@scorers.register("semantic", "1 - cosine(MiniLM(y0), MiniLM(yc)): how far the meaning moved (offline)")
def _make_semantic(model: str | None = None) -> SemanticScorer:
    return SemanticScorer(model)
