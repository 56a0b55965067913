"""The base of the scorers that read text pairs with a Hugging Face sequence-classification
model (``contradiction``: an NLI cross-encoder; ``reward``: a reward model): loading,
batching, truncation with a warning, and the one output that counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backends import hf
from ..errors import ConfigError
from ..types import Direction


class PairClassifier:
    """One value per (first, second) text pair, read from one output of the model.

    Subclasses set ``name`` (and ``default_model``, if any) and say which output counts (:meth:`_pick_index`, from the
    model's config) and how a batch of logits becomes values (:meth:`_column`).
    """

    name = "classifier"
    direction: Direction = "increase"
    default_model: str | None = None

    def __init__(
        self,
        model: str | None = None,
        label: str | int | None = None,
        device: str | None = None,
        dtype: str = "auto",
        batch_size: int = 16,
        max_length: int = 512,
    ) -> None:
        model = model or self.default_model
        if not model:
            raise ConfigError(f"scorer '{self.name}' needs a {self.name} model: --scorer-model NAME|PATH")
        self.model = str(model)
        self.label = label
        self.hf = hf.HFModel(self.model, "classify", device, dtype, batch_size)
        self.max_length = hf.check_positive("max_length", max_length)
        self._index: int | None = None

    def _pick_index(self, config: Any) -> int:
        raise NotImplementedError

    def _column(self, logits: Any, index: int) -> Any:
        raise NotImplementedError

    def _load(self) -> tuple[Any, Any]:
        net = self.hf.net
        if self._index is None:
            self._index = self._pick_index(net.config)
        return self.hf.tokenizer, net

    def pair_values(self, firsts: Sequence[str], seconds: Sequence[str]) -> list[float]:
        """The chosen output per pair, batched; pairs longer than the model takes are cut."""
        torch = hf.torch_mod(f"The {self.name} scorer")
        tok, net = self._load()
        limit = self.hf.limit(self.max_length)
        out: list[float] = []
        cut = 0
        for part in self.hf.batches(list(zip(firsts, seconds))):
            a, b = [x for x, _ in part], [y for _, y in part]
            cut += sum(len(ids) > limit for ids in tok(a, b)["input_ids"])
            enc = self.hf.inputs(a, b, max_length=limit)
            with torch.no_grad():
                values = self._column(net(**enc).logits.float(), self._index)
            out.extend(float(v) for v in values.cpu())
        if cut:
            hf.warn_truncated(f"{self.name} scorer", self.model, cut, limit)
        return out
