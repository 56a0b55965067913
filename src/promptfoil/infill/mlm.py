"""Masked-LM infilling (BERT, RoBERTa, ...): one mask token per masked word, each filled with
one whole-word token, the masks filled in turn from left to right.

The first mask gets the ``k`` best (or ``k`` sampled) whole-word tokens; each of those
candidates then fills the remaining masks one at a time, greedily (or by sampling), with the
words already chosen in place. Every step is one batched forward pass over all candidates of
the chunk. Only whole-word tokens are allowed (no ``##`` pieces, no byte fragments, no
special tokens), so a fill is always real words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError
from ..prompt.segment import count_words
from .base import InfillRequest, infillers
from .hf_common import OPTIONS, HFInfillerBase

DEFAULT_MODEL = "bert-base-uncased"
_WORD = re.compile(r"^[A-Za-z][A-Za-z'\-]*$")


class MLMInfiller(HFInfillerBase):
    """Single-word replacements from a masked LM (default ``bert-base-uncased``)."""

    name = "mlm"
    kind = "masked"
    default_model = DEFAULT_MODEL

    def __init__(self, model: str | None = None, max_masks: int = 4, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.max_masks = max_masks
        self._allowed: Any = None

    @property
    def allowed(self) -> Any:
        """Boolean mask over the vocabulary: tokens that are a whole word on their own."""
        if self._allowed is None:
            torch = self.torch
            tok = self.tokenizer
            vocab = tok.get_vocab()
            pieces = list(vocab)
            if any(p.startswith("##") for p in pieces):
                starts = lambda p: not p.startswith("##")  # noqa: E731  WordPiece
            elif any(p.startswith("\u0120") for p in pieces):
                starts = lambda p: p.startswith("\u0120")  # noqa: E731  byte-level BPE
            elif any(p.startswith("\u2581") for p in pieces):
                starts = lambda p: p.startswith("\u2581")  # noqa: E731  SentencePiece
            else:
                starts = lambda p: True  # noqa: E731
            special = set(tok.all_special_ids)
            size = self.net.get_output_embeddings().weight.shape[0]
            allowed = torch.zeros(size, dtype=torch.bool)
            for piece, tid in vocab.items():
                if tid < size and tid not in special and starts(piece):
                    if _WORD.match(tok.convert_tokens_to_string([piece]).strip()):
                        allowed[tid] = True
            if not bool(allowed.any()):
                raise ConfigError(f"model '{self.model}' has no whole-word tokens to fill masks with")
            self._allowed = allowed.to(self.device)
        return self._allowed

    def _mask_logits(self, texts: list[str]) -> Any:
        """Logits (restricted to whole words) at the first mask of each text, one forward pass
        per ``batch_size`` texts."""
        torch = self.torch
        tok, net = self.tokenizer, self.net
        rows = []
        for part in self.hf.batches(texts):
            enc = self.hf.inputs(part, max_length=self.limit)
            with torch.no_grad():
                logits = net(**enc).logits
            is_mask = enc["input_ids"] == tok.mask_token_id
            if not bool(is_mask.any(dim=1).all()):
                raise ConfigError(f"a masked prompt lost its mask to truncation ({self.model})")
            first = is_mask.int().argmax(dim=1)
            rows.append(logits[torch.arange(len(part), device=logits.device), first].float())
        scores = torch.cat(rows)
        return scores.masked_fill(~self.allowed[None, : scores.shape[1]], float("-inf"))

    def _pick(self, logits: Any, k: int, generator: Any) -> Any:
        """``k`` token ids per row: the best, or sampled without replacement."""
        torch = self.torch
        k = min(k, int(self.allowed.sum()))
        if self.decoding == "beam":
            return logits.topk(k, dim=1).indices
        probs = torch.softmax(logits / self.temperature, dim=1)
        return torch.multinomial(probs.cpu(), k, replacement=False, generator=generator)

    def _fill_chunk(self, requests: Sequence[InfillRequest], k: int) -> list[list[str]]:
        torch = self.torch
        tok = self.tokenizer
        if not tok.mask_token or tok.mask_token_id is None:
            raise ConfigError(f"model '{self.model}' has no mask token; the mlm infiller needs a masked LM")
        masks = [max(1, min(self.max_masks, count_words(r.old))) for r in requests]
        windows = [self._window(r, 4 + 4 * m) for r, m in zip(requests, masks)]
        generator = torch.Generator().manual_seed(self.seed)

        def text(i: int, chosen: list[str]) -> str:
            left, right = windows[i]
            slots = chosen + [tok.mask_token] * (masks[i] - len(chosen))
            return left + " ".join(slots) + right

        first = self._pick(self._mask_logits([text(i, []) for i in range(len(requests))]), k, generator)
        rows = [(i, [tok.decode([int(t)]).strip()]) for i in range(len(requests)) for t in first[i]]
        for _step in range(1, max(masks)):
            todo = [r for r in rows if len(r[1]) < masks[r[0]]]
            if not todo:
                break
            picks = self._pick(self._mask_logits([text(i, ch) for i, ch in todo]), 1, generator)
            for (i, chosen), tid in zip(todo, picks[:, 0]):
                chosen.append(tok.decode([int(tid)]).strip())
        out: list[list[str]] = [[] for _ in requests]
        for i, chosen in rows:
            fill = " ".join(chosen)
            if requests[i].old[:1].isupper():
                fill = fill[:1].upper() + fill[1:]
            out[i].append(fill)
        return out


infillers.register("mlm", "BERT/RoBERTa masked LM, single-word fills (default bert-base-uncased)", options=OPTIONS)(MLMInfiller)
