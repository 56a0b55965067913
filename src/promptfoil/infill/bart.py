"""BART mask infilling: the span becomes one ``<mask>`` and BART rewrites the whole text, so a
fill may have more or fewer words than the span it replaces.

The fill is read back by alignment: the output must reproduce the context left and right of the
mask (up to runs of whitespace), and what lies between is the fill. An output that changed the
context anywhere else cannot be placed without touching other words, so it is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError
from ..prompt.segment import count_words
from .base import InfillRequest, infillers
from .hf_common import OPTIONS, HFInfillerBase

DEFAULT_MODEL = "facebook/bart-large"
_SPACES = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def extract_fill(left: str, right: str, output: str) -> str | None:
    """The words ``output`` puts between ``left`` and ``right``, or None if it changed them.

    Word boundaries must survive: if the original had a space before (after) the mask, the
    fill must be separated by a space there too, so "is it ___ wrong" never glues words.
    """
    lo, ro, out = _squash(left), _squash(right), _squash(output)
    if not (out.startswith(lo) and out.endswith(ro) and len(out) >= len(lo) + len(ro)):
        return None
    middle = out[len(lo) : len(out) - len(ro)]
    if not middle.strip():
        return ""
    if lo and left[-1:].isspace() and not middle.startswith(" "):
        return None
    if ro and right[:1].isspace() and not middle.endswith(" "):
        return None
    return middle.strip()


class BartInfiller(HFInfillerBase):
    """Mask infilling with BART (default ``facebook/bart-large``); fills may add or drop words."""

    name = "bart"
    kind = "seq2seq"
    default_model = DEFAULT_MODEL

    def __init__(self, model: str | None = None, extra_tokens: int = 12, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.extra_tokens = extra_tokens

    def _fill_chunk(self, requests: Sequence[InfillRequest], k: int) -> list[list[str]]:
        torch = self.torch
        tok, net = self.tokenizer, self.net
        if not tok.mask_token:
            raise ConfigError(f"model '{self.model}' has no mask token; the bart infiller needs a BART model")
        windows = [self._window(r, 4) for r in requests]
        inputs = [left + tok.mask_token + right for left, right in windows]
        enc = self.hf.inputs(inputs, max_length=self.limit)
        words = max(count_words(r.old) for r in requests)
        new_tokens = min(
            self.limit, int(enc["attention_mask"].sum(dim=1).max()) + 3 * words + self.extra_tokens
        )
        self._seed()
        with torch.no_grad():
            # no_repeat_ngram_size=0: checkpoints such as bart-large forbid repeated trigrams,
            # which would stop BART from copying a context that repeats itself.
            out = net.generate(
                **enc, max_new_tokens=new_tokens, pad_token_id=tok.pad_token_id,
                no_repeat_ngram_size=0, **self._generate_kwargs(k),
            )
        texts = tok.batch_decode(out, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        result = []
        for r, (left, right) in enumerate(windows):
            fills = [extract_fill(left, right, t) for t in texts[r * k : (r + 1) * k]]
            result.append([f for f in fills if f])
        return result


infillers.register("bart", "BART mask infilling, may add or delete words (default facebook/bart-large)", options=OPTIONS)(BartInfiller)
