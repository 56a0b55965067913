"""Offline infiller: a local GGUF causal LM proposes fills and ranks whole sentences.

A causal LM cannot see the words right of the mask when it proposes, so proposals are only
half the job: each proposal (the model's top next tokens after the left context, each
greedily completed to as many words as were masked) is put back into the sentence and the
candidates are ordered by the log-likelihood of the *whole* sentence, right context
included. That ranking is what keeps fills grammatical ("her boyfriend ___ on her" ->
left, broke, cheated). Tokens already evaluated are reused from llama.cpp's KV cache, so a
slot costs a few hundred milliseconds with SmolLM2 on two CPU cores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..models import load_llama, smollm2_gguf
from ..segment import count_words
from .base import InfillRequest, clean_fills, infillers

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
        n_ctx: int = 512,
    ) -> None:
        self.model_path = str(model_path or smollm2_gguf())
        self.top_k = top_k
        self.pool = pool
        self.proposals = proposals
        self.n_ctx = n_ctx
        self.name = "lm"
        self._lm: Any = None
        self._cached: list[int] = []
        self._header: list[int] | None = None

    # -- llama.cpp plumbing -------------------------------------------------------------
    @property
    def lm(self) -> Any:
        if self._lm is None:
            self._lm = load_llama(self.model_path, self.n_ctx, True)
            self._cached = []
        return self._lm

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

    def _eval(self, tokens: list[int]) -> np.ndarray:
        """Evaluate ``tokens`` reusing the longest cached prefix; return their logits rows."""
        tokens = tokens[: self.n_ctx]
        lm = self.lm
        common = 0
        limit = min(len(self._cached), len(tokens) - 1, lm.n_tokens)
        while common < limit and self._cached[common] == tokens[common]:
            common += 1
        lm.n_tokens = common
        lm.eval(tokens[common:])
        self._cached = list(tokens)
        return lm.scores[: len(tokens)]

    def _piece(self, token: int) -> str:
        return self.lm.detokenize([token]).decode("utf-8", errors="ignore")

    def _sentence_logprob(self, tokens: list[int], shared: list[int]) -> float:
        """Log-likelihood of ``tokens`` after their common prefix with ``shared``.

        Candidates for one slot share the left context, so its (constant) likelihood is
        left out of the comparison; only rows from the first differing token are computed.
        """
        rows = self._eval(tokens)
        first = 0
        while first < min(len(tokens), len(shared)) - 1 and tokens[first] == shared[first]:
            first += 1
        first = max(first, 1)
        logits = rows[first - 1 : len(tokens) - 1].astype(np.float64)
        m = logits.max(axis=1, keepdims=True)
        logz = np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0]
        targets = np.asarray(tokens[first : first + len(logits)])
        return float((logits[np.arange(len(targets)), targets] - logz).sum())

    # -- proposing and ranking -----------------------------------------------------------
    def _complete(self, prefix: list[int], first: str, first_id: int, words: int) -> str:
        """Greedily extend a first token until it spans ``words`` whole words."""
        fill = first
        ids = prefix + [first_id]
        for _ in range(3 * words + 2):
            nxt = int(np.argmax(self._eval(ids)[-1]))
            piece = self._piece(nxt)
            if _CONTINUES_WORD.match(piece):
                fill += piece
            elif _WORD_START.match(piece) and count_words(fill) < words:
                fill += piece
            else:
                break
            ids.append(nxt)
        return fill.strip()

    def _fill_one(self, req: InfillRequest) -> list[str]:
        left, right = _window(req.text, req.start, req.end)
        words = max(1, count_words(req.old))
        capital = req.old[:1].isupper()
        stripped = left.rstrip()
        prefix = self._tok(stripped)
        next_logits = self._eval(prefix)[-1]
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
        # Cheap look-ahead: log p(piece | left) + log p(first right token | left, piece),
        # one single-token decode per piece thanks to the cached left context.
        right_ids = self.lm.tokenize(right.encode("utf-8"), add_bos=False, special=False)[:1]
        base = _log_softmax(next_logits)

        def lookahead(item: tuple[str, int]) -> float:
            if not right_ids:
                return float(base[item[1]])
            row = self._eval(prefix + [item[1]])[-1]
            return float(base[item[1]] + _log_softmax(row)[right_ids[0]])

        pool.sort(key=lambda p: -lookahead(p))
        proposals: list[str] = []
        for piece, tid in pool[: self.proposals]:
            fill = _cased(self._complete(prefix, piece, tid, words), capital)
            if fill and fill not in proposals:
                proposals.append(fill)
        candidates = clean_fills(req.old, proposals, len(proposals))
        ranked = sorted(
            candidates,
            key=lambda f: -self._sentence_logprob(self._tok(left + f + right), prefix),
        )
        return ranked[: req.n]

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        return [self._fill_one(r) for r in requests]


@infillers.register("lm", "local GGUF LM proposes fills, ranked by whole-sentence likelihood (offline)")
def _make_lm(model: str | None = None, **kwargs: Any) -> LMInfiller:
    return LMInfiller(model_path=model, **kwargs)
