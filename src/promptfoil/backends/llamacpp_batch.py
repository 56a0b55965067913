"""Greedy chat generation for many prompts at once, as parallel sequences of one context.

The prompts of a batch differ only after a common prefix (the chat template, the system
prompt and the words before the first edit). That prefix is decoded once into sequence 0
and copied to every prompt's sequence; each prompt then decodes only its own suffix, and
all sequences take their next token in the same model pass. What the sequences hold is
kept between calls, so the next batch re-reads only what it does not share with the last.

Answers are those of llama-cpp-python's ``create_chat_completion`` with greedy settings
(the same prompt tokens, end-of-generation tokens, stop string and ``max_tokens`` rule),
to the last bit: each sequence has its own KV buffer (see ``llama_seqs``) and reads the end
of its prompt in one piece (:data:`MIN_TAIL`). Slow tests compare the two on the embedded
model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .embedded import require
from .llama_seqs import Entry, SeqContext, common_prefix
from .llamacpp_template import ChatPrompt


@dataclass(frozen=True)
class Generated:
    """One answer: completion tokens, its text and whether ``max_tokens`` cut it."""

    tokens: list[int]
    text: str
    truncated: bool


#: Prompt tokens each sequence decodes itself, at least. llama.cpp's arithmetic for a token
#: decoded alone differs (in the last bits) from one decoded with others of its sequence, and
#: one-by-one decoding reads the end of every prompt in one piece; so does this module.
MIN_TAIL = 2


class BatchGenerator:
    """Greedy decoding of up to ``max_batch`` prompts in one llama.cpp context.

    Sequence 0 holds the prefix the prompts of the last batch shared; sequence ``i`` holds
    prompt ``i`` of the last batch (its answer's cells are dropped before reuse). A new
    prompt continues its sequence when that already holds more of it than the shared
    prefix, else starts from a copy of sequence 0; either way only the rest is decoded. ``n_ctx`` is the
    context one prompt may use (as for the model's own context); ``reuse`` False reads
    every prompt in full (for measuring what the reuse saves).
    """

    def __init__(self, llama: Any, n_ctx: int, max_batch: int = 16, reuse: bool = True) -> None:
        self.llama = llama
        self.n_ctx = n_ctx
        self.max_batch = max_batch
        self.reuse = reuse
        self._lib = require("llama_cpp", "llama.cpp generation", "llama-cpp-python", "local")
        self._seqs: SeqContext | None = None
        self._held: list[list[int]] = []  # the tokens each sequence holds
        self.decoded = 0  # prompt tokens decoded so far (what reuse saves shows here)

    def close(self) -> None:
        """Free the batch context now (a later batch makes a new one)."""
        if self._seqs is not None:
            self._seqs.close()
        self._seqs = None
        self._held = []

    # -- the context ------------------------------------------------------------------
    def _context(self, cells: int, prompts: int) -> SeqContext:
        """A context for ``prompts`` sequences (and sequence 0) of at least ``cells`` KV cells
        each; grown in powers of two, so that a few small batches never hold much memory."""
        seqs = self._seqs
        if seqs is None or seqs.n_ctx < cells or seqs.n_seq < prompts + 1:
            size, n = 512, 2
            while size < max(cells, seqs.n_ctx if seqs else 0):
                size *= 2
            while n < max(prompts + 1, seqs.n_seq if seqs else 0):
                n *= 2
            self._seqs = SeqContext(self.llama, size, min(n, self.max_batch + 1), unified=False)
            self._held = [[] for _ in range(self._seqs.n_seq)]
        return self._seqs

    def _is_end(self, token: int) -> bool:
        return bool(self._lib.llama_vocab_is_eog(self.llama._model.vocab, token))

    # -- generation -------------------------------------------------------------------
    def generate(self, prompts: Sequence[ChatPrompt], max_tokens: int) -> list[Generated]:
        """One answer per prompt, in order; batches larger than ``max_batch`` are split."""
        out: list[Generated] = []
        for i in range(0, len(prompts), self.max_batch):
            out += self._batch(list(prompts[i : i + self.max_batch]), max_tokens)
        return out

    def _limits(self, prompts: list[ChatPrompt], max_tokens: int) -> list[int]:
        """``max_tokens`` shortened where the model's context would overflow (as llama.cpp does)."""
        out = []
        for p in prompts:
            if len(p.tokens) >= self.n_ctx:
                raise ValueError(f"Requested tokens ({len(p.tokens)}) exceed context window of {self.n_ctx}")
            out.append(max_tokens if max_tokens + len(p.tokens) < self.n_ctx else self.n_ctx - len(p.tokens))
        return out

    def first_tokens(self, prompts: Sequence[ChatPrompt], top: int) -> list[tuple[Generated, dict[str, float]]]:
        """The greedy first token of each prompt's answer and the ``top`` most likely first
        tokens with their probabilities (a one-token answer with log-probabilities, as a verdict
        judge asks for): only each prompt's last logits row is computed, the prompts share their
        prefix as in :meth:`generate`."""
        out: list[tuple[Generated, dict[str, float]]] = []
        for i in range(0, len(prompts), self.max_batch):
            part = list(prompts[i : i + self.max_batch])
            _, rows = self._prefill(part, self._limits(part, 1))
            for prompt, row in zip(part, rows):
                out.append((self._first(prompt, row), self._top(row, top)))
        return out

    def _first(self, prompt: ChatPrompt, row: np.ndarray) -> Generated:
        token = int(np.argmax(row))
        done = self._step(prompt, [], token, 1)
        return done if done is not None else self._answer(prompt, [token], True)

    def _top(self, row: np.ndarray, top: int) -> dict[str, float]:
        """The ``top`` likeliest tokens' texts and probabilities (the likelier spelling wins a tie of texts)."""
        e = np.exp(row.astype(np.float64) - float(np.max(row)))
        probs = e / float(e.sum())
        best = np.argsort(-probs, kind="stable")[: max(1, top)]
        out: dict[str, float] = {}
        for i in best:
            text = self.llama.detokenize([int(i)]).decode("utf-8", errors="ignore")
            out.setdefault(text, float(probs[i]))
        return out

    def _batch(self, prompts: list[ChatPrompt], max_tokens: int) -> list[Generated]:
        limits = self._limits(prompts, max_tokens)
        seqs, rows = self._prefill(prompts, limits)
        return self._greedy(seqs, prompts, limits, rows)

    def _prefill(self, prompts: list[ChatPrompt], limits: list[int]) -> tuple[SeqContext, list[np.ndarray]]:
        """Each prompt decoded into its sequence (sharing what it can); the last logits row of each."""
        toks = [p.tokens for p in prompts]
        seqs = self._context(max(len(t) + m for t, m in zip(toks, limits)), len(toks))
        if not self.reuse:  # every prompt read in full
            seqs.clear()
            self._held = [[] for _ in self._held]
        shared = min(len(t) for t in toks) - MIN_TAIL
        for t in toks[1:]:
            shared = min(shared, common_prefix(toks[0], t))
        shared = shared if shared >= MIN_TAIL and self.reuse else 0
        starts = [max(0, min(common_prefix(self._held[s], t), len(t) - MIN_TAIL)) for s, t in enumerate(toks, start=1)]
        if len(toks) > 1 and any(r < shared for r in starts):
            self._extend(seqs, 0, toks[0][:shared])
        rows = []
        for s, (t, r) in enumerate(zip(toks, starts), start=1):
            if r < shared and len(toks) > 1:
                seqs.copy(0, s)
                r = shared
            seqs.drop(s, max(r, 0), -1)
            # one decode per prompt: its tokens are never split across micro-batches
            rows += seqs.decode_all([(tok, r + j, s, j == len(t) - r - 1) for j, tok in enumerate(t[r:])])
            self.decoded += len(t) - r
            self._held[s] = list(t)
        return seqs, rows

    def _extend(self, seqs: SeqContext, seq: int, tokens: list[int]) -> None:
        """Make sequence ``seq`` hold exactly ``tokens``, decoding only what it lacks (and
        never a single token alone, see :data:`MIN_TAIL`)."""
        keep = common_prefix(self._held[seq], tokens)
        if keep < len(tokens):
            keep = max(0, min(keep, len(tokens) - MIN_TAIL))
        seqs.drop(seq, keep, -1)
        seqs.decode_all([(t, keep + j, seq, False) for j, t in enumerate(tokens[keep:])])
        self.decoded += len(tokens) - keep
        self._held[seq] = list(tokens)

    def _greedy(
        self, seqs: SeqContext, prompts: list[ChatPrompt], limits: list[int], rows: list[np.ndarray]
    ) -> list[Generated]:
        n = len(prompts)
        done: list[Generated | None] = [None] * n
        outs: list[list[int]] = [[] for _ in range(n)]
        active = list(range(n))
        while active:
            entries: list[Entry] = []
            still = []
            for i, row in zip(active, rows):
                tok = int(np.argmax(row))
                finished = self._step(prompts[i], outs[i], tok, limits[i])
                if finished is not None:
                    done[i] = finished
                    continue
                still.append(i)
                entries.append((tok, len(prompts[i].tokens) + len(outs[i]) - 1, i + 1, True))
            active = still
            if entries:
                rows = seqs.decode_all(entries)
        return [d for d in done if d is not None]

    def _step(self, prompt: ChatPrompt, out: list[int], token: int, limit: int) -> Generated | None:
        """Take ``token`` into ``out``; the answer once generation ends, else None."""
        if self._is_end(token):
            return self._answer(prompt, out, False)
        out.append(token)
        text = self.llama.detokenize(out, prev_tokens=prompt.tokens)
        if prompt.stop and prompt.stop in text and not _incomplete_utf8(text):
            return Generated(list(out), text[: text.index(prompt.stop)].decode("utf-8", errors="ignore"), False)
        if len(out) >= limit:
            return self._answer(prompt, out, True)
        return None

    def _answer(self, prompt: ChatPrompt, out: list[int], truncated: bool) -> Generated:
        text = self.llama.detokenize(out, prev_tokens=prompt.tokens)
        return Generated(list(out), text.decode("utf-8", errors="ignore"), truncated)


def _incomplete_utf8(text: bytes) -> bool:
    """True while the last bytes begin a multi-byte character not yet complete."""
    for back in range(1, min(4, len(text)) + 1):
        byte = text[-back]
        if byte & 0xC0 != 0x80:  # a leading byte (or ASCII)
            need = 2 if byte & 0xE0 == 0xC0 else 3 if byte & 0xF0 == 0xE0 else 4 if byte & 0xF8 == 0xF0 else 1
            return need > back
    return False
