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

from ..backends.llama_seqs import Entry, SeqContext, common_prefix


def log_softmax(row: np.ndarray) -> np.ndarray:
    """Log-probabilities from a row of logits (float64)."""
    row = row.astype(np.float64)
    m = row.max()
    return row - (m + np.log(np.exp(row - m).sum()))


def text_header(llama: Any) -> list[int]:
    """Tokens before a text scored on its own: the user-turn opening for ChatML models
    (their texts are read as a user's turn), else BOS."""
    template = str(llama.metadata.get("tokenizer.chat_template", ""))
    if "<|im_start|>" in template:
        return llama.tokenize(b"<|im_start|>user\n", add_bos=False, special=True)
    bos = llama.token_bos()
    return [bos] if bos >= 0 else []


class BranchDecoder:
    """Logits of continuations of a shared prefix, batched across llama.cpp sequences.

    A new prefix re-reads only what it does not share with the last one (a document's masks
    share everything left of the earlier mask); the rest is read in one piece of at least
    two tokens, as when it is read from scratch, so the logits are the same.
    """

    def __init__(self, llama: Any, n_ctx: int = 2048, max_branches: int = 24, n_batch: int = 512) -> None:
        self._seqs = SeqContext(llama, n_ctx, max_branches + 1, n_batch=n_batch, unified=True)
        self.n_vocab = self._seqs.n_vocab
        self.n_ctx = n_ctx
        self.n_batch = n_batch
        self.max_branches = max_branches
        self._prefix: list[int] = []
        self._last: np.ndarray | None = None

    def _decode(self, entries: Sequence[Entry]) -> list[np.ndarray]:
        """Decode (token, position, sequence, want-logits) entries; logits rows in order."""
        return self._seqs.decode(entries)

    def prefix(self, tokens: list[int]) -> np.ndarray:
        """Decode ``tokens`` as the shared prefix (reused when unchanged); next-token logits."""
        if tokens == self._prefix and self._last is not None:
            return self._last
        keep = min(common_prefix(self._prefix, tokens), max(0, len(tokens) - 2))
        for seq in range(1, self.max_branches + 1):
            self._seqs.drop(seq)
        self._seqs.drop(0, keep, -1)
        self._prefix = []  # until the decode below succeeds
        last: list[np.ndarray] = []
        for i in range(keep, len(tokens), self.n_batch):
            chunk = tokens[i : i + self.n_batch]
            entries = [(t, i + j, 0, i + j == len(tokens) - 1) for j, t in enumerate(chunk)]
            last = self._decode(entries) or last
        self._prefix, self._last = list(tokens), last[-1]
        return self._last

    def prefix_rows(self, tokens: list[int], first: int, chunk: int = 128) -> Iterator[tuple[int, np.ndarray]]:
        """Decode ``tokens`` as the shared prefix, ``chunk`` tokens per pass, and yield
        ``(position, logits)`` for every position from ``first`` on (each row once, so a long
        text never holds all its logits at once)."""
        self._seqs.clear()
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
                self._seqs.copy(0, seq, 0, starts[i])
                entries += [(t, starts[i] + j, seq, True) for j, t in enumerate(conts[i])]
            rows = self._decode(entries)
            k = 0
            for i in group:
                n = len(conts[i])
                out[i] = np.stack(rows[k : k + n]) if n else out[i]
                k += n
            for seq in range(1, len(group) + 1):
                self._seqs.drop(seq)
        return out
