"""Many short continuations of one shared prefix, decoded together by llama.cpp.

An infiller asks the same question many times: "after this left context, how likely is each
of these few tokens?". Decoding each continuation alone costs one model pass apiece; here the
prefix is decoded once into sequence 0 and every continuation gets its own sequence that
shares the prefix's KV cells, so one pass serves up to ``max_branches`` continuations.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..backends.embedded import require


class BranchDecoder:
    """Logits of continuations of a shared prefix, batched across llama.cpp sequences."""

    def __init__(self, llama: Any, n_ctx: int = 2048, max_branches: int = 24, n_batch: int = 512) -> None:
        llama_cpp = require("llama_cpp", "The lm infiller", "llama-cpp-python", "local")
        from llama_cpp import _internals

        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = params.n_ubatch = n_batch
        params.n_seq_max = max_branches + 1
        params.kv_unified = True
        params.n_threads = params.n_threads_batch = llama.context_params.n_threads
        self._ctx = _internals.LlamaContext(model=llama._model, params=params, verbose=False)
        self._batch = _internals.LlamaBatch(n_tokens=n_batch, embd=0, n_seq_max=max_branches + 1, verbose=False)
        self.n_vocab = llama.n_vocab()
        self.n_ctx = n_ctx
        self.n_batch = n_batch
        self.max_branches = max_branches
        self._prefix: list[int] = []
        self._last: np.ndarray | None = None

    def _decode(self, entries: Sequence[tuple[int, int, int, bool]]) -> list[np.ndarray]:
        """Decode (token, position, sequence, want-logits) entries; logits rows in order."""
        b = self._batch.batch
        b.n_tokens = len(entries)
        for i, (tok, pos, seq, want) in enumerate(entries):
            b.token[i] = tok
            b.pos[i] = pos
            b.seq_id[i][0] = seq
            b.n_seq_id[i] = 1
            b.logits[i] = want
        self._ctx.decode(self._batch)
        return [
            np.ctypeslib.as_array(self._ctx.get_logits_ith(i), shape=(self.n_vocab,)).copy()
            for i, e in enumerate(entries)
            if e[3]
        ]

    def prefix(self, tokens: list[int]) -> np.ndarray:
        """Decode ``tokens`` as the shared prefix (reused when unchanged); next-token logits."""
        if tokens == self._prefix and self._last is not None:
            return self._last
        self._ctx.kv_cache_clear()
        last: list[np.ndarray] = []
        for i in range(0, len(tokens), self.n_batch):
            chunk = tokens[i : i + self.n_batch]
            entries = [(t, i + j, 0, i + j == len(tokens) - 1) for j, t in enumerate(chunk)]
            last = self._decode(entries) or last
        self._prefix, self._last = list(tokens), last[-1]
        return self._last

    def prefix_rows(self, tokens: list[int], first: int, chunk: int = 128) -> Iterator[tuple[int, np.ndarray]]:
        """Decode ``tokens`` as the shared prefix, ``chunk`` tokens per pass, and yield
        ``(position, logits)`` for every position from ``first`` on (each row once, so a long
        text never holds all its logits at once)."""
        self._ctx.kv_cache_clear()
        self._prefix, self._last = [], None
        for i in range(0, len(tokens), chunk):
            part = tokens[i : i + chunk]
            wanted = [i + j for j in range(len(part)) if i + j >= first]
            rows = self._decode([(t, i + j, 0, i + j >= first) for j, t in enumerate(part)])
            for pos, row in zip(wanted, rows):
                self._last = row
                yield pos, row
        self._prefix = list(tokens)

    def branches(self, starts: Sequence[int], conts: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """For branch ``i``: keep the prefix up to ``starts[i]``, append ``conts[i]``.

        Returns, per branch, the logits after each appended token (``len(conts[i])`` rows).
        """
        out: list[np.ndarray] = [np.empty((0, self.n_vocab))] * len(conts)
        order = list(range(len(conts)))
        while order:
            group, used = [], 0
            for i in order:
                n = len(conts[i])
                if group and (len(group) >= self.max_branches or used + n > self.n_batch):
                    break
                group.append(i)
                used += n
            order = order[len(group):]
            entries = []
            for seq, i in enumerate(group, start=1):
                self._ctx.kv_cache_seq_cp(0, seq, 0, starts[i])
                entries += [(t, starts[i] + j, seq, True) for j, t in enumerate(conts[i])]
            rows = self._decode(entries)
            k = 0
            for i in group:
                n = len(conts[i])
                out[i] = np.stack(rows[k : k + n]) if n else out[i]
                k += n
            for seq in range(1, len(group) + 1):
                self._ctx.kv_cache_seq_rm(seq, -1, -1)
        return out
