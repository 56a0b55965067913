"""Offline infiller: a local GGUF causal LM proposes fills and ranks whole sentences.

A causal LM cannot see the words right of the mask when it proposes, so proposals are only
half the job: each proposal (the model's top next tokens after the left context, each
greedily completed to as many words as were masked) is put back into the sentence and the
candidates are ordered by the log-likelihood of the *whole* sentence, right context
included. That ranking is what keeps fills grammatical ("her boyfriend ___ on her" ->
left, broke, cheated). The left context is decoded once and every continuation of it
(look-ahead, word completion, ranking) goes through one batched decode per step
(``branches.py``), so a slot costs a few tenths of a second with SmolLM2 on two CPU cores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..backends.embedded import smollm2_gguf
from ..backends.llamacpp import load_llama
from ..segment import count_words
from .base import InfillRequest, clean_fills, infillers
from .branches import BranchDecoder

_WORDISH = re.compile(r"^\s?[A-Za-z][A-Za-z'\-]*$")
_CONTINUES_WORD = re.compile(r"^[A-Za-z'\-]+$")
_WORD_START = re.compile(r"^ [A-Za-z][A-Za-z'\-]*$")

LEFT_CHARS = 400  # context windows: ranking needs local context, not the whole document
RIGHT_CHARS = 120


def _window(text: str, start: int, end: int) -> tuple[str, str]:
    left = text[max(0, start - LEFT_CHARS) : start]
    right = text[end : end + RIGHT_CHARS]
    if start > LEFT_CHARS and " " in left:
        left = left[left.index(" ") + 1 :]
    if len(text) - end > RIGHT_CHARS and " " in right:
        right = right[: right.rindex(" ")]
    return left, right


def _log_softmax(row: np.ndarray) -> np.ndarray:
    row = row.astype(np.float64)
    m = row.max()
    return row - (m + np.log(np.exp(row - m).sum()))


def _cased(fill: str, capital: bool) -> str:
    """Keep a sentence-initial capital where the masked words had one."""
    return fill[:1].upper() + fill[1:] if capital and fill else fill


class LMInfiller:
    """Fills masks with a local GGUF model (default: the embedded SmolLM2-135M)."""

    def __init__(
        self,
        model_path: str | None = None,
        top_k: int = 40,
        pool: int = 20,
        proposals: int = 8,
        n_ctx: int = 2048,
    ) -> None:
        for opt, value in (("top_k", top_k), ("pool", pool), ("proposals", proposals), ("n_ctx", n_ctx)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"infiller 'lm' option {opt} must be a whole number of at least 1 (got {value!r})")
        self.model_path = str(model_path or smollm2_gguf())
        self.top_k = top_k
        self.pool = pool
        self.proposals = proposals
        self.n_ctx = n_ctx
        self.name = "lm"
        self._lm: Any = None
        self._dec: BranchDecoder | None = None
        self._header: list[int] | None = None

    # -- llama.cpp plumbing -------------------------------------------------------------
    @property
    def lm(self) -> Any:
        """The model (shared with a target on the same file); used for its tokenizer."""
        if self._lm is None:
            self._lm = load_llama(self.model_path, 2048, False)
        return self._lm

    @property
    def dec(self) -> BranchDecoder:
        if self._dec is None:
            self._dec = BranchDecoder(self.lm, n_ctx=self.n_ctx)
        return self._dec

    @property
    def header(self) -> list[int]:
        """Tokens before the text: the user-turn opening for ChatML models, else BOS."""
        if self._header is None:
            template = str(self.lm.metadata.get("tokenizer.chat_template", ""))
            if "<|im_start|>" in template:
                self._header = self.lm.tokenize(b"<|im_start|>user\n", add_bos=False, special=True)
            else:
                bos = self.lm.token_bos()
                self._header = [bos] if bos >= 0 else []
        return self._header

    def _tok(self, text: str) -> list[int]:
        return self.header + self.lm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def _piece(self, token: int) -> str:
        return self.lm.detokenize([token]).decode("utf-8", errors="ignore")

    # -- proposing and ranking -----------------------------------------------------------
    def _complete(self, prefix: list[int], firsts: list[tuple[str, int]], words: int) -> list[str]:
        """Greedily extend each first token until it spans ``words`` whole words (batched)."""
        fills = [p for p, _ in firsts]
        ids = [[t] for _, t in firsts]
        active = list(range(len(firsts)))
        for _ in range(3 * words + 2):
            if not active:
                break
            rows = self.dec.branches([len(prefix)] * len(active), [ids[i] for i in active])
            still = []
            for i, r in zip(active, rows):
                nxt = int(np.argmax(r[-1]))
                piece = self._piece(nxt)
                if _CONTINUES_WORD.match(piece) or (_WORD_START.match(piece) and count_words(fills[i]) < words):
                    fills[i] += piece
                    ids[i].append(nxt)
                    still.append(i)
            active = still
        return [f.strip() for f in fills]

    def _rank(self, prefix: list[int], left: str, right: str, fills: list[str]) -> list[float]:
        """Log-likelihood of each filled sentence from where it departs from the left context.

        The shared left context adds the same amount to every candidate, so it is left out.
        """
        starts, conts, targets = [], [], []
        for f in fills:
            toks = self._tok(left + f + right)
            common = 0
            while common < min(len(toks), len(prefix)) and toks[common] == prefix[common]:
                common += 1
            start = max(common, 1) - 1
            starts.append(start)
            conts.append(toks[start:-1] or toks[start:])
            targets.append(toks[start + 1 :])
        out = []
        for rows, tgt in zip(self.dec.branches(starts, conts), targets):
            n = min(len(rows), len(tgt))
            out.append(float(sum(_log_softmax(rows[j])[tgt[j]] for j in range(n))))
        return out

    def _fill_one(self, req: InfillRequest) -> list[str]:
        left, right = _window(req.text, req.start, req.end)
        words = max(1, count_words(req.old))
        capital = req.old[:1].isupper()
        stripped = left.rstrip()
        prefix = self._tok(stripped)
        next_logits = self.dec.prefix(prefix)
        pool: list[tuple[str, int]] = []
        for tid in np.argsort(-next_logits)[: self.top_k]:
            piece = self._piece(int(tid))
            if not _WORDISH.match(piece):
                continue
            if stripped[-1:].isalnum() and not piece.startswith(" "):
                continue  # glued to the previous word: would change it, not fill the mask
            pool.append((piece, int(tid)))
            if len(pool) >= self.pool:
                break
        # Look-ahead: log p(piece | left) + log p(first right token | left, piece), all
        # pieces in one batched decode.
        right_ids = self.lm.tokenize(right.encode("utf-8"), add_bos=False, special=False)[:1]
        base = _log_softmax(next_logits)
        ahead = [float(base[t]) for _, t in pool]
        if right_ids and pool:
            rows = self.dec.branches([len(prefix)] * len(pool), [[t] for _, t in pool])
            ahead = [a + float(_log_softmax(r[0])[right_ids[0]]) for a, r in zip(ahead, rows)]
        best = [pool[i] for i in sorted(range(len(pool)), key=lambda i: -ahead[i])[: self.proposals]]
        proposals: list[str] = []
        for fill in self._complete(prefix, best, words):
            fill = _cased(fill, capital)
            if fill and fill not in proposals:
                proposals.append(fill)
        candidates = clean_fills(req.old, proposals, len(proposals))
        scores = self._rank(prefix, left, right, candidates)
        order = sorted(range(len(candidates)), key=lambda i: -scores[i])
        return [candidates[i] for i in order[: req.n]]

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        return [self._fill_one(r) for r in requests]


@infillers.register("lm", "local GGUF LM proposes fills, ranked by whole-sentence likelihood (offline)")
def _make_lm(model: str | None = None, top_k: int = 40, pool: int = 20, proposals: int = 8, n_ctx: int = 2048) -> LMInfiller:
    return LMInfiller(model, top_k, pool, proposals, n_ctx)
