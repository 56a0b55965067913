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

from .. import hf
from ..errors import ConfigError
from ..types import Direction
from .base import ScoreItem, scorers

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


class ContradictionScorer:
    """NLI contradiction both ways (default ``cross-encoder/nli-roberta-base``, the paper's).

    The default threshold 0.5 is a judgement, not a measurement: the NLI model cannot be
    downloaded on the machines this was built on.
    """

    name = "contradiction"
    direction: Direction = "increase"
    bounds = (-1.0, 1.0)
    default_threshold = 0.5

    def __init__(
        self,
        model: str | None = None,
        label: str | None = None,
        device: str | None = None,
        dtype: str = "auto",
        batch_size: int = 16,
        max_length: int = 512,
    ) -> None:
        self.model = str(model or DEFAULT_MODEL)
        self.label = label
        self.device_option = device
        self.dtype = hf.check_dtype(dtype)
        self.batch_size = hf.check_positive("batch_size", batch_size)
        self.max_length = hf.check_positive("max_length", max_length)
        self._index: int | None = None
        self._device: str | None = None

    def _load(self) -> tuple[Any, Any]:
        if self._device is None:
            self._device = hf.pick_device(self.device_option)
        net = hf.load_model(self.model, "classify", self._device, self.dtype)
        if self._index is None:
            self._index = contradiction_index(net.config.id2label, self.model, self.label)
        return hf.load_tokenizer(self.model), net

    @property
    def contradiction_label(self) -> str:
        tok, net = self._load()
        return str(net.config.id2label[self._index])

    def contradiction_probs(self, premises: Sequence[str], hypotheses: Sequence[str]) -> list[float]:
        """P(hypothesis contradicts premise) per pair, batched; long pairs are truncated."""
        torch = hf.torch_mod("The contradiction scorer")
        tok, net = self._load()
        limit = min(self.max_length, hf.input_limit(tok, net))
        pairs = list(zip(premises, hypotheses))
        out: list[float] = []
        cut = 0
        for part in hf.chunks(pairs, self.batch_size):
            a, b = [p for p, _ in part], [h for _, h in part]
            cut += sum(len(ids) > limit for ids in tok(a, b)["input_ids"])
            enc = tok(a, b, return_tensors="pt", padding=True, truncation=True, max_length=limit)
            enc = {key: val.to(self._device) for key, val in enc.items()}
            with torch.no_grad():
                probs = torch.softmax(net(**enc).logits.float(), dim=-1)
            out.extend(float(p) for p in probs[:, self._index].cpu())
        if cut:
            hf.warn_truncated("contradiction scorer", self.model, cut, limit)
        return out

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        if not items:
            return []
        n = len(items)
        probs = self.contradiction_probs(
            [i.y0 for i in items] + [i.yc for i in items],
            [i.yc for i in items] + [i.y0 for i in items],
        )
        return [round(probs[j] - probs[n + j], 6) for j in range(n)]


@scorers.register("contradiction", "NLI: P(yc contradicts y0) - P(y0 contradicts yc) (default cross-encoder/nli-roberta-base)")
def _make_contradiction(model: str | None = None, **kwargs: Any) -> ContradictionScorer:
    return ContradictionScorer(model, **kwargs)
