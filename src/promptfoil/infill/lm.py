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

import os
import threading
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..errors import ConfigError, whole
from ..prompt.segment import count_words
from .base import InfillRequest, clean_fills, infillers
from ..backends.llama_seqs import common_prefix
from .branches import BranchDecoder, log_softmax
from .gguf import GGUFModel

_JOINERS = "'-\u2019"


def _in_word(c: str) -> bool:
    """A letter or digit of any script, a combining mark (vowel signs), or a joiner."""
    return c.isalnum() or c in _JOINERS or unicodedata.category(c)[0] == "M"


def _continues(piece: str) -> bool:
    """``piece`` extends the word before it (no space, word characters only)."""
    return bool(piece) and all(_in_word(c) for c in piece)


def _starts_word(piece: str) -> bool:
    """``piece`` is (the start of) a word: an optional space, then a letter and word characters."""
    body = piece[1:] if piece.startswith(" ") else piece
    return bool(body) and body[0].isalpha() and _continues(body)


def _text(raw: bytes) -> tuple[str, bool]:
    """Decoded text of byte-level pieces, and whether a character is still cut off at the end."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", errors="ignore"), exc.end == len(raw) and exc.reason == "unexpected end of data"

LEFT_CHARS = 400  # context windows: ranking needs local context, not the whole document
#: Text right of the mask that the ranking reads. The ranking decodes every proposal with it,
#: so it sets most of a mask's cost: 16 characters made a mask 0.65x as long on ``mic-style``
#: (0.39x on ``news``) and found as many contrasts on the tuning prompts in fewer calls, but
#: its contrasts were rated 1/16 against the default's 3/16 by a blind rater
#: (benchmarks/results/fill_cost.md, search_levers_rank*.md, usefulness/ratings/ratings_G.json).
RIGHT_CHARS = 120


def _window(text: str, start: int, end: int, right_chars: int = RIGHT_CHARS) -> tuple[str, str]:
    left = text[max(0, start - LEFT_CHARS) : start]
    right = text[end : end + right_chars]
    if start > LEFT_CHARS and " " in left:
        left = left[left.index(" ") + 1 :]
    if len(text) - end > right_chars and " " in right:
        right = right[: right.rindex(" ")]
    return left, right


def _cased(fill: str, capital: bool) -> str:
    """Keep a sentence-initial capital where the masked words had one."""
    return fill[:1].upper() + fill[1:] if capital and fill else fill


class LMInfiller(GGUFModel):
    """Fills masks with a local GGUF model (default: the embedded SmolLM2-135M)."""

    def __init__(
        self,
        model_path: str | None = None,
        top_k: int = 40,
        pool: int = 20,
        proposals: int = 8,
        n_ctx: int = 2048,
        lanes: int | None = None,
        right_chars: int = RIGHT_CHARS,
    ) -> None:
        for opt, value in (("top_k", top_k), ("pool", pool), ("proposals", proposals), ("n_ctx", n_ctx),
                           ("lanes", 1 if lanes is None else lanes), ("right_chars", right_chars)):
            whole(f"infiller 'lm' option {opt}", value, 1)
        super().__init__(model_path, n_ctx)
        self.top_k = top_k
        self.pool = pool
        self.proposals = proposals
        self.right_chars = right_chars  # how much of the text right of the mask the ranking reads
        self.name = "lm"
        self.lanes = lanes  # masks filled at once, each in its own llama.cpp context (None: cores / threads)
        self._more: list[BranchDecoder] = []  # the other lanes' decoders
        self._local = threading.local()
        self._lock = threading.Lock()
        self._likelihood: Any = None

    # -- llama.cpp plumbing -------------------------------------------------------------
    @property
    def dec(self) -> BranchDecoder:
        """This lane's decoder (the first lane's outside :meth:`infill`'s threads)."""
        own = getattr(self._local, "dec", None)
        return own if own is not None else super().dec

    def _tok(self, text: str) -> list[int]:
        return self.header + self.lm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def _piece(self, token: int) -> bytes:
        """A token's bytes: byte-level vocabularies split non-ASCII characters across tokens."""
        return bytes(self.lm.detokenize([token]))

    # -- proposing and ranking -----------------------------------------------------------
    def _complete(self, prefix: list[int], firsts: list[tuple[bytes, int]], words: int) -> list[str]:
        """Greedily extend each first token until it spans ``words`` whole words (batched).

        Works on bytes, so a character split across tokens (Cyrillic, CJK, Devanagari) is
        completed before it is judged; a piece glued to the word (no space) joins it while
        the fill still counts at most ``words`` words, so a Chinese fill stops at a word end.
        """
        raws = [b for b, _ in firsts]
        ids = [[t] for _, t in firsts]
        active = list(range(len(firsts)))
        for _ in range(4 * words + 4):
            if not active:
                break
            rows = self.dec.branches([len(prefix)] * len(active), [ids[i] for i in active])
            still = []
            for i, r in zip(active, rows):
                nxt = int(np.argmax(r[-1]))
                before, _ = _text(raws[i])
                after, cut = _text(raws[i] + self._piece(nxt))
                piece = after[len(before) :]
                if cut and (not piece or _continues(piece.lstrip(" "))):
                    ok = True  # half a character: judge it once it is whole
                elif piece.startswith(" "):
                    ok = _starts_word(piece) and count_words(before) < words
                else:
                    ok = _continues(piece) and count_words(after) <= words
                if ok:
                    raws[i] += self._piece(nxt)
                    ids[i].append(nxt)
                    still.append(i)
            active = still
        fills = []
        for raw in raws:
            text, _ = _text(raw)
            text = text.strip()
            # every word of a multi-word fill must be a word; the fill must start with a letter
            ok = bool(text) and text[0].isalpha() and all(_continues(w) for w in text.split())
            fills.append(text if ok else "")
        return fills

    def _rank(self, prefix: list[int], left: str, right: str, fills: list[str]) -> list[float]:
        """Log-likelihood of each filled sentence from where it departs from the left context.

        The shared left context adds the same amount to every candidate, so it is left out.
        """
        starts, conts, targets = [], [], []
        for f in fills:
            toks = self._tok(left + f + right)
            start = max(common_prefix(toks, prefix), 1) - 1
            starts.append(start)
            conts.append(toks[start:-1] or toks[start:])
            targets.append(toks[start + 1 :])
        out = []
        for rows, tgt in zip(self.dec.branches(starts, conts), targets):
            n = min(len(rows), len(tgt))
            out.append(float(sum(log_softmax(rows[j])[tgt[j]] for j in range(n))))
        return out

    def _fill_one(self, req: InfillRequest) -> list[str]:
        left, right = _window(req.text, req.start, req.end, self.right_chars)
        words = max(1, count_words(req.old))
        capital = req.old[:1].isupper()
        stripped = left.rstrip()
        glued = left[-1:].isalnum()  # no space before the mask: a script written without spaces
        prefix = self._tok(stripped)
        next_logits = self.dec.prefix(prefix)
        pool: list[tuple[bytes, int]] = []
        for tid in np.argsort(-next_logits)[: self.top_k]:
            raw = self._piece(int(tid))
            piece, cut = _text(raw)
            if not (_starts_word(piece) or (cut and piece.strip(" ") == "")):
                continue  # neither a word start nor the first bytes of a character
            if glued and raw.startswith(b" "):
                continue  # a space where the script has none
            if not glued and stripped[-1:].isalnum() and not raw.startswith(b" "):
                continue  # glued to the previous word: would change it, not fill the mask
            pool.append((raw, int(tid)))
            if len(pool) >= self.pool:
                break
        # Look-ahead: log p(piece | left) + log p(first right token | left, piece), all
        # pieces in one batched decode.
        right_ids = self.lm.tokenize(right.encode("utf-8"), add_bos=False, special=False)[:1]
        base = log_softmax(next_logits)
        ahead = [float(base[t]) for _, t in pool]
        if right_ids and pool:
            rows = self.dec.branches([len(prefix)] * len(pool), [[t] for _, t in pool])
            ahead = [a + float(log_softmax(r[0])[right_ids[0]]) for a, r in zip(ahead, rows)]
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

    def _lanes(self) -> int:
        if self.lanes is not None:
            return self.lanes
        threads = int(getattr(self.lm.context_params, "n_threads", 1) or 1)
        return max(1, (os.cpu_count() or 1) // threads)

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        """Fills per request, in order. With several lanes (cores left idle by llama.cpp's
        threads), masks are filled side by side, one llama.cpp context per lane; a mask's
        fills do not depend on its lane (nor on the masks before it)."""
        lanes = min(self._lanes(), len(requests))
        if lanes <= 1:
            return [self._fill_one(r) for r in requests]
        with self._lock:
            _ = self.header, self.dec  # built once, before the threads
            while len(self._more) < lanes - 1:
                self._more.append(BranchDecoder(self.lm, n_ctx=self.n_ctx))
            decoders = [self.dec, *self._more[: lanes - 1]]
            out: list[list[str]] = [[] for _ in requests]

            def lane(i: int) -> None:
                self._local.dec = decoders[i]
                try:
                    for j in range(i, len(requests), lanes):
                        out[j] = self._fill_one(requests[j])
                finally:
                    self._local.dec = None

            with ThreadPoolExecutor(max_workers=lanes) as pool:
                list(pool.map(lane, range(lanes)))
            return out

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        """Fluency of whole prompts under this infiller's model (the fluency constraint)."""
        if self._likelihood is None:
            from .likelihood import PromptLikelihood

            self._likelihood = PromptLikelihood(self.model_path, self.n_ctx)
        return self._likelihood.mean_logprob(texts, reference)


@infillers.register("lm", "local GGUF LM proposes fills, ranked by whole-sentence likelihood (offline)")
def _make_lm(
    model: str | None = None, top_k: int = 40, pool: int = 20, proposals: int = 8, n_ctx: int = 2048,
    lanes: int | None = None, right_chars: int = RIGHT_CHARS,
) -> LMInfiller:
    return LMInfiller(model, top_k, pool, proposals, n_ctx, lanes, right_chars)
