"""Contradiction (paper §3.1): an NLI cross-encoder reads both responses both ways.

``p2`` = P(contradiction | premise y0, hypothesis yc): the new response contradicts the old;
``p1`` = P(contradiction | premise yc, hypothesis y0): the reverse, a reference point that a
good NLI model keeps small. Score ``p2 - p1`` in [-1, 1], larger is more contrastive.

The contradiction class is found by name in the model's ``id2label``, never by position:
NLI checkpoints order their labels differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError
from .base import ScoreItem, scorers
from .classifier import PairClassifier

DEFAULT_MODEL = "cross-encoder/nli-roberta-base"


def contradiction_index(id2label: dict[Any, str], model: str, label: str | None = None) -> int:
    """Index of the contradiction class: ``label`` if given, else the one named contradiction."""
    names = {int(i): str(name) for i, name in (id2label or {}).items()}
    if label is not None:
        hits = [i for i, n in names.items() if n.lower() == label.lower()]
        if not hits:
            raise ConfigError(f"model '{model}' has no label '{label}'; its labels: {sorted(names.values())}")
        return hits[0]
    hits = [i for i, n in names.items() if n.lower().startswith("contradict")]
    if len(hits) != 1:
        raise ConfigError(
            f"model '{model}' has no single 'contradiction' label (labels: {sorted(names.values())}); "
            "name it with --scorer-option label=NAME"
        )
    return hits[0]


class ContradictionScorer(PairClassifier):
    """NLI contradiction both ways (default ``cross-encoder/nli-roberta-base``, the paper's).

    The default threshold 0.5 is a judgement, not a measurement: the NLI model cannot be
    downloaded on the machines this was built on.
    """

    name = "contradiction"
    default_model = DEFAULT_MODEL
    bounds = (-1.0, 1.0)
    default_threshold = 0.5

    def _pick_index(self, config: Any) -> int:
        return contradiction_index(config.id2label, self.model, self.label)  # type: ignore[arg-type]

    def _column(self, logits: Any, index: int) -> Any:
        return logits.softmax(dim=-1)[:, index]

    @property
    def contradiction_label(self) -> str:
        _, net = self._load()
        return str(net.config.id2label[self._index])

    def contradiction_probs(self, premises: Sequence[str], hypotheses: Sequence[str]) -> list[float]:
        """P(hypothesis contradicts premise) per pair, batched; long pairs are truncated."""
        return self.pair_values(premises, hypotheses)

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        if not items:
            return []
        n = len(items)
        probs = self.contradiction_probs(
            [i.y0 for i in items] + [i.yc for i in items],
            [i.yc for i in items] + [i.y0 for i in items],
        )
        return [round(probs[j] - probs[n + j], 6) for j in range(n)]


scorers.register(
    "contradiction", "NLI: P(yc contradicts y0) - P(y0 contradicts yc) (default cross-encoder/nli-roberta-base)"
)(ContradictionScorer)
