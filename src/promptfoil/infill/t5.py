"""T5 span infilling: each mask becomes a sentinel ``<extra_id_i>``; the answer is parsed per
sentinel, so several masks in one prompt work (:meth:`T5Infiller.fill_spans`).

The decoder is started at ``<extra_id_0>`` (the first thing T5 writes anyway), sentinels the
prompt does not use are suppressed, and the next unused sentinel or ``</s>`` ends a fill, so
generation stops as soon as the last mask is filled. No sentinel or other special token ever
reaches a prompt: a fill containing one is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError
from ..prompt.segment import count_words
from .base import InfillRequest, clean_fills, infillers
from .hf_common import OPTIONS, HFInfillerBase

DEFAULT_MODEL = "t5-large"
_SENTINEL = re.compile(r"<extra_id_(\d+)>")


def sentinel(i: int) -> str:
    return f"<extra_id_{i}>"


def parse_sentinels(decoded: str, n_masks: int) -> list[str] | None:
    """Fills per sentinel from decoded T5 output such as
    ``"<pad><extra_id_0> a cat<extra_id_1> the mat</s>"`` -> ``["a cat", "the mat"]``.

    Text after ``</s>`` is ignored, ``<pad>`` is removed. ``None`` when a sentinel below
    ``n_masks`` is missing, out of order or repeated (the model lost track).
    """
    text = decoded.split("</s>")[0].replace("<pad>", "")
    parts = _SENTINEL.split(text)
    fills: list[str] = []
    for i in range(1, len(parts), 2):
        idx = int(parts[i])
        if idx != len(fills):
            break  # out of order or repeated: everything after is unreliable
        fills.append(parts[i + 1].strip())
    if len(fills) < n_masks:
        return None
    return fills[:n_masks]


class T5Infiller(HFInfillerBase):
    """Span infilling with a T5 span-corruption model (default ``t5-large``, the paper's)."""

    name = "t5"
    kind = "seq2seq"
    default_model = DEFAULT_MODEL

    def __init__(self, model: str | None = None, max_new_tokens: int | None = None, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.max_new_tokens = max_new_tokens
        self._sentinel_ids: list[int] | None = None

    @property
    def sentinel_ids(self) -> list[int]:
        """Ids of ``<extra_id_0>``, ``<extra_id_1>``, ... as far as the tokenizer has them."""
        if self._sentinel_ids is None:
            tok = self.tokenizer
            ids: list[int] = []
            unk = tok.unk_token_id
            while True:
                tid = tok.convert_tokens_to_ids(sentinel(len(ids)))
                if tid is None or tid == unk:
                    break
                ids.append(int(tid))
            if len(ids) < 2:
                raise ConfigError(
                    f"model '{self.model}' has no T5 sentinel tokens (<extra_id_0>, <extra_id_1>); "
                    "the t5 infiller needs a T5 span-corruption model such as t5-large"
                )
            self._sentinel_ids = ids
        return self._sentinel_ids

    def _budget(self, words: int) -> int:
        return self.max_new_tokens or 4 * max(1, words) + 6

    def _run(self, inputs: list[str], n_masks: int, k: int, new_tokens: int) -> list[list[list[str]]]:
        """Generate ``k`` answers per input (one ``generate`` call) and parse them."""
        torch = self.torch
        tok, net, ids = self.tokenizer, self.net, self.sentinel_ids
        if n_masks >= len(ids):
            raise ConfigError(f"model '{self.model}' has sentinels for at most {len(ids) - 1} masks")
        enc = self.hf.inputs(inputs, max_length=self.limit)
        start = net.config.decoder_start_token_id
        start = tok.pad_token_id if start is None else start
        dec = torch.tensor([[start, ids[0]]] * len(inputs), device=self.device)
        stops = [i for i in (tok.eos_token_id, ids[n_masks]) if i is not None]
        suppress = [ids[0], *ids[n_masks + 1 :]]
        if tok.unk_token_id is not None:
            suppress.append(tok.unk_token_id)
        self._seed()
        with torch.no_grad():
            out = net.generate(
                **enc,
                decoder_input_ids=dec,
                max_new_tokens=new_tokens,
                eos_token_id=stops,
                suppress_tokens=suppress,
                pad_token_id=tok.pad_token_id,
                **self._generate_kwargs(k),
            )
        texts = tok.batch_decode(out, skip_special_tokens=False)
        parsed = []
        for r in range(len(inputs)):
            rows = [parse_sentinels(t, n_masks) for t in texts[r * k : (r + 1) * k]]
            parsed.append([p for p in rows if p is not None])
        return parsed

    def _fill_chunk(self, requests: Sequence[InfillRequest], k: int) -> list[list[str]]:
        reserve = 4
        inputs = []
        for req in requests:
            left, right = self._window(req, reserve)
            inputs.append(left + sentinel(0) + right)
        words = max(count_words(r.old) for r in requests)
        parsed = self._run(inputs, 1, k, self._budget(words))
        return [[p[0] for p in rows] for rows in parsed]

    def fill_spans(self, text: str, spans: Sequence[tuple[int, int]], n: int = 8) -> list[tuple[str, ...]]:
        """Fill several masked spans of one prompt together: up to ``n`` distinct tuples, one
        fill per span, best first. A tuple equal to the original words is dropped."""
        spans = sorted(spans)
        if not spans:
            raise ConfigError("fill_spans needs at least one span")
        pos = 0
        for s, e in spans:
            if s < pos or not s <= e <= len(text):
                raise ConfigError(f"spans must lie inside the text and not overlap (got {s}:{e})")
            pos = e
        masked, pos = "", 0
        for i, (s, e) in enumerate(spans):
            masked += text[pos:s] + sentinel(i)
            pos = e
        masked += text[pos:]
        if len(self.tokenizer(masked)["input_ids"]) > self.limit:
            raise ConfigError(f"prompt is longer than {self.limit} tokens; fill fewer spans at a time")
        words = sum(count_words(text[s:e]) for s, e in spans)
        rows = self._run([masked], len(spans), self._candidates(n), self._budget(words) + 2 * len(spans))[0]
        olds = " | ".join(text[s:e] for s, e in spans)
        out: list[tuple[str, ...]] = []
        for row in rows:
            tidy = [self._tidy(f) for f in row]
            if any(t is None for t in tidy):
                continue
            if clean_fills(olds, [" | ".join(t for t in tidy if t)], 1) and tuple(tidy) not in out:
                out.append(tuple(t for t in tidy if t is not None))
            if len(out) >= n:
                break
        return out


infillers.register("t5", "T5 span infilling with sentinels (default t5-large, the paper's; --infiller-model NAME|PATH)", options=OPTIONS)(T5Infiller)
