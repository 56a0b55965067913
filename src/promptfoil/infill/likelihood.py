"""How fluent a prompt reads: its mean token log-likelihood under a small local LM.

The fluency constraint compares a candidate's mean with the original prompt's. A text is
scored as a user turn (after the chat header for ChatML models, else after BOS), every
token of it, the first one included. Candidates differ from the original in a few words, so
the original is decoded once as a shared prefix (log-probabilities of every token kept) and
each candidate is decoded only from the first token where it departs from it, many
candidates at once as branches (``branches.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from ..backends.llama_seqs import common_prefix
from .branches import log_softmax
from .gguf import GGUFModel

CHUNK = 128  # tokens per decode of a long text: bounds the logits held at once


class PromptLikelihood(GGUFModel):
    """Mean log-probability per token of whole prompts under a GGUF model (default: the
    embedded SmolLM2-135M). The model loads on first use."""

    def __init__(self, model_path: str | None = None, n_ctx: int = 2048) -> None:
        super().__init__(model_path, n_ctx)
        self._memo: dict[str, float] = {}
        self._ref: tuple[list[int], list[float]] = ([], [])  # tokens in sequence 0, their log-probs

    def _tokens(self, text: str) -> list[int]:
        room = self.n_ctx - self.dec.n_batch - len(self.header) - 8  # branches must fit beside it
        return self.lm.tokenize(text.encode("utf-8"), add_bos=False, special=False)[:room] or [0]

    def _decode_alone(self, tokens: list[int]) -> list[float]:
        """Decode header + ``tokens`` as the decoder's shared prefix; the log-probability of
        each token (the first one is not scored when there is no header)."""
        if self._ref[0] == tokens:  # still in sequence 0: only this method writes it
            return self._ref[1]
        seq = self.header + tokens
        lps = [
            float(log_softmax(row)[seq[pos + 1]])
            for pos, row in self.dec.prefix_rows(seq, max(len(self.header) - 1, 0), CHUNK)
            if pos + 1 < len(seq)
        ]
        self._ref = (list(tokens), lps)
        return lps

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        """Per text, the mean log-probability of its tokens (higher reads more fluently).

        With a ``reference`` (the original prompt), each text is decoded only from where it
        departs from the reference: same values, much less work for near-copies.
        """
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if reference is None:
            for t in todo:
                lps = self._decode_alone(self._tokens(t))
                self._memo[t] = sum(lps) / max(1, len(lps))
        elif todo:
            self._branch(todo, reference)
        if len(self._memo) > 8192:
            self._memo = dict(list(self._memo.items())[-4096:])
        return [self._memo[t] for t in texts]

    def _branch(self, texts: list[str], reference: str) -> None:
        ref = self._tokens(reference)
        ref_lps = self._decode_alone(ref)
        head = len(self.header)
        skip = 0 if head else 1  # without a header the first token is not scored
        starts: list[int] = []
        conts: list[list[int]] = []
        plan: list[tuple[str, list[int], float, int | None]] = []
        for t in texts:
            toks = self._tokens(t)
            c = max(common_prefix(toks, ref), skip)
            full = self.header + toks
            start = head + c - 1  # the position whose logits predict toks[c]
            cont = full[start:-1]
            if len(cont) >= self.dec.n_batch:  # a long tail: decode this one alone
                lps = self._decode_alone(toks)
                self._memo[t] = sum(lps) / max(1, len(lps))
                ref_lps = self._decode_alone(ref)
                continue
            plan.append((t, full, sum(ref_lps[: c - skip]), len(conts) if cont else None))
            if cont:
                starts.append(start)
                conts.append(cont)
        rows = self.dec.branches(starts, conts) if conts else []
        for t, full, total, k in plan:
            if k is not None:
                s = starts[k]
                total += float(sum(log_softmax(r)[full[s + 1 + j]] for j, r in enumerate(rows[k])))
            self._memo[t] = total / max(1, len(full) - head - skip)
