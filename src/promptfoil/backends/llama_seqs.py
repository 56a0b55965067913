"""One llama.cpp context holding many token sequences side by side.

Two layouts. *Unified* (the ``lm`` infiller's branches): every sequence lives in one KV
buffer, and copying a prefix into another sequence shares its cells for free. *Streams*
(batched target generation): each sequence has its own KV buffer, so its cells sit at the
same places as in a one-sequence context and the arithmetic, hence the greedy answer, is
exactly that of one-by-one decoding; copying a sequence copies its whole buffer.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from .embedded import require

#: ``(token, position, sequence, want_logits)``: one token of a batched decode.
Entry = tuple[int, int, int, bool]


#: Every open :class:`SeqContext`, so that ``close_models`` frees them before their models.
OPEN: weakref.WeakSet[SeqContext] = weakref.WeakSet()


class SeqContext:
    """A llama.cpp context over a loaded model with ``n_seq`` sequences.

    ``n_ctx`` is the number of KV cells in all (unified) or per sequence (streams).
    """

    def __init__(
        self, llama: Any, n_ctx: int, n_seq: int, n_batch: int = 512, unified: bool = True
    ) -> None:
        llama_cpp = require("llama_cpp", "llama.cpp decoding", "llama-cpp-python", "local")
        from llama_cpp import _internals

        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx if unified else n_ctx * n_seq
        params.n_batch = params.n_ubatch = n_batch
        params.n_seq_max = n_seq
        params.kv_unified = unified
        params.n_threads = params.n_threads_batch = llama.context_params.n_threads
        if not unified:  # the attention kernel of the model's own context: the same answers
            params.flash_attn_type = llama.context_params.flash_attn_type
        self._ctx = _internals.LlamaContext(model=llama._model, params=params, verbose=False)
        self._batch = _internals.LlamaBatch(n_tokens=n_batch, embd=0, n_seq_max=n_seq, verbose=False)
        self.n_vocab = llama.n_vocab()
        self.n_ctx = n_ctx
        self.n_seq = n_seq
        self.unified = unified
        self.n_batch = n_batch
        OPEN.add(self)

    def decode(self, entries: Sequence[Entry]) -> list[np.ndarray]:
        """Decode up to ``n_batch`` entries at once; the logits rows asked for, in order."""
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

    def decode_all(self, entries: Sequence[Entry]) -> list[np.ndarray]:
        """:meth:`decode` in chunks of ``n_batch`` entries (any number of them)."""
        rows: list[np.ndarray] = []
        for i in range(0, len(entries), self.n_batch):
            rows += self.decode(entries[i : i + self.n_batch])
        return rows

    def copy(self, src: int, dst: int, p0: int = -1, p1: int = -1) -> None:
        """Share positions ``[p0, p1)`` of sequence ``src`` with ``dst`` (unified), or make
        ``dst`` a copy of all of ``src`` (streams: llama.cpp copies whole buffers only)."""
        if not self.unified:
            p0 = p1 = -1
        self._ctx.kv_cache_seq_cp(src, dst, p0, p1)

    def drop(self, seq: int, p0: int = -1, p1: int = -1) -> None:
        """Forget positions ``[p0, p1)`` of ``seq`` (-1: open end)."""
        self._ctx.kv_cache_seq_rm(seq, p0, p1)

    def clear(self) -> None:
        self._ctx.kv_cache_clear()

    def close(self) -> None:
        """Free the batch and the context now (llama-cpp-python would at garbage collection,
        which at interpreter exit may come after its own module is torn down). Idempotent."""
        self._batch.close()
        self._ctx.close()
        OPEN.discard(self)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
