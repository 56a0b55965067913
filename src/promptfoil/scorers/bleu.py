"""BLEU-SUMM of the paper: similar prompts, dissimilar responses."""

from __future__ import annotations

from collections.abc import Sequence

from sacrebleu.metrics import BLEU

from ..types import Direction
from .base import ScoreItem, scorers


class BleuSummScorer:
    """``w1 * BLEU(x0, xc) + w2 * (1 - BLEU(y0, yc))`` with BLEU in [0, 1].

    Sentence BLEU is smoothed (sacrebleu's exponential smoothing) so that short texts
    with no shared 4-gram do not all score zero.
    """

    direction: Direction = "increase"
    bounds = (0.0, 1.0)
    default_threshold = 0.55

    def __init__(self, w1: float = 0.2, w2: float = 0.8) -> None:
        self.w1, self.w2 = w1, w2
        self.name = "bleu"
        self._bleu = BLEU(smooth_method="exp", effective_order=True)

    def _b(self, hyp: str, ref: str) -> float:
        return self._bleu.sentence_score(hyp, [ref]).score / 100.0

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        return [
            round(self.w1 * self._b(i.xc, i.x0) + self.w2 * (1.0 - self._b(i.yc, i.y0)), 6)
            for i in items
        ]


@scorers.register("bleu", "BLEU-SUMM: 0.2*BLEU(x0,xc) + 0.8*(1-BLEU(y0,yc)), for summaries")
def _make_bleu(model: str | None = None, w1: float = 0.2, w2: float = 0.8) -> BleuSummScorer:
    return BleuSummScorer(w1, w2)
