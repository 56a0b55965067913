"""Infiller ``llm``: a chat model sees the whole prompt with the span masked and proposes
several different replacements in one answer.

The answer format is strict (one numbered line per replacement) but the parser is lenient:
chat models add preambles, quotes, bullets, explanations after a dash, or repeat the whole
sentence; all of that is peeled off, and anything that is still not a plausible short fill
is dropped. If the first answer yields too few fills, one sampled retry asks again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..backends.chat import BACKEND_OPTIONS, ChatBackend, ChatRequest
from ..backends.chat_factory import chat_backend
from ..errors import ConfigError
from ..prompt.segment import count_words
from .base import InfillRequest, clean_fills, infillers

BLANK = "[BLANK]"
SYSTEM = (
    "You fill in blanks in text. You are given a text in which some words were replaced by "
    f"{BLANK}. Propose different words that could stand in place of {BLANK} so that the text "
    "reads naturally. Give only the replacement words, never the whole text."
)
#: ``alternatives="same-kind"``: fills that keep the question about the same thing, so that an
#: answer that changes teaches which detail it rested on (not a new question: no opposites).
SAME_KIND = (
    " Each replacement must be a different word of the same kind as the original: another person, "
    "place, thing, amount, time, degree or modal verb that a person could have written about the same "
    "situation. Never give the original word's opposite, a negation, or a word that changes what the "
    "text is about."
)
ALTERNATIVES = ("any", "same-kind")
_LINE = re.compile(r"^\s*(?:\d{1,2}\s*[.):\]-]|[-*\u2022])\s*(.+?)\s*$")
_QUOTES = "\"'`\u201c\u201d\u2018\u2019*_"


def build_prompt(req: InfillRequest, n: int) -> str:
    """The user message: the masked text, how many words went, how to answer."""
    masked = req.text[: req.start] + BLANK + req.text[req.end :]
    words = max(1, count_words(req.old))
    size = "one word" if words == 1 else f"about {words} words"
    return (
        f"Text:\n{masked}\n\n"
        f"Replace {BLANK} ({size}; it was: \"{req.old}\") with {n} different alternatives.\n"
        f"Answer with exactly {n} numbered lines and nothing else."
    )


# One worked example, so that small models see the format instead of a placeholder to copy.
_EXAMPLE = InfillRequest("The cat slept on the warm sofa all afternoon.", 8, 13, 4)
_EXAMPLE_ANSWER = "1. sat\n2. played\n3. waited\n4. rested"
# The same-kind example swaps a detail (who) for others of its kind, never for an opposite.
_EXAMPLE_SAME = InfillRequest("Is it okay to borrow money from my brother?", 35, 42, 4)
_EXAMPLE_SAME_ANSWER = "1. sister\n2. neighbor\n3. boss\n4. best friend"


def parse_fills(answer: str, req: InfillRequest, max_words: int) -> list[str]:
    """Replacements found in a (possibly chatty) answer, in order; may be empty."""
    left = req.text[: req.start].strip()[-40:]
    right = req.text[req.end :].strip()[:40]
    lines = [m.group(1) for m in map(_LINE.match, answer.splitlines()) if m]
    if not lines:  # no numbered list: accept short comma- or line-separated answers
        lines = [p for p in re.split(r"[,\n;]", answer) if p.strip()]
    out: list[str] = []
    for raw in lines:
        fill = raw.replace(BLANK, "").strip()
        # a whole sentence repeated: keep what sits between the left and right context
        if left and right and left in fill and right in fill:
            a = fill.index(left) + len(left)
            b = fill.find(right, a)
            fill = fill[a:b] if b >= a else fill
        fill = re.split(r"\s+[-\u2013\u2014:(]\s|\s\(", fill)[0]  # drop "- because ..." / "(...)"
        fill = fill.strip().strip(_QUOTES).strip().rstrip(".,;:!?").strip(_QUOTES).strip()
        if not fill or "\n" in fill or count_words(fill) > max_words:
            continue
        if not re.search(r"\w", fill):
            continue
        out.append(fill)
    return out


_NEGATING_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non", "non-")


def same_kind(old: str, new: str) -> bool:
    """Whether ``new`` can stand for ``old`` as another detail of the same kind: not its
    negation ("Should" → "Shouldn't", "fair" → "unfair", "okay" → "not okay") and not the old
    words with others glued on ("a" → "a hotel", "tell" → "tell her"), which adds a detail
    instead of swapping one, or both ("Should" → "Shouldn't be"). Chat models give them even when
    asked not to."""
    o, n = old.strip().lower(), new.strip().lower()
    if not o or not n:
        return False
    if n in (o + "n't", o + " not", "not " + o, "no " + o) or o in (n + "n't", "not " + n):
        return False
    first = n.split()[0]
    if first in (o.split()[0] + "n't", "not", "no", "never") and len(n.split()) > 1:  # "Shouldn't be", "not really"
        return False
    if any(n == p + o or o == p + n for p in _NEGATING_PREFIXES):
        return False
    words_o, words_n = o.split(), n.split()
    if len(words_n) > len(words_o) and (words_n[: len(words_o)] == words_o or words_n[-len(words_o):] == words_o):
        return False
    return True


def _cased(fill: str, old: str) -> str:
    return fill[:1].upper() + fill[1:] if old[:1].isupper() and fill[:1].islower() else fill


class LLMInfiller:
    """Fills masks with any chat model (default: the embedded SmolLM2 GGUF)."""

    def __init__(self, backend: ChatBackend, max_tokens: int = 96, temperature: float = 0.0, seed: int = 0,
                 alternatives: str = "any") -> None:
        if alternatives not in ALTERNATIVES:
            raise ConfigError(f"unknown alternatives '{alternatives}'; valid: {', '.join(ALTERNATIVES)}")
        self.backend = backend
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.alternatives = alternatives
        self.name = "llm" if alternatives == "any" else f"llm({alternatives})"

    def _requests(self, reqs: Sequence[InfillRequest], temperature: float, seed: int) -> list[ChatRequest]:
        same = self.alternatives == "same-kind"
        system = SYSTEM + (SAME_KIND if same else "")
        example, answer = (_EXAMPLE_SAME, _EXAMPLE_SAME_ANSWER) if same else (_EXAMPLE, _EXAMPLE_ANSWER)
        return [
            ChatRequest.of(
                [
                    {"role": "system", "content": system},
                    {"role": "user", "content": build_prompt(example, example.n)},
                    {"role": "assistant", "content": answer},
                    {"role": "user", "content": build_prompt(r, r.n)},
                ],
                max_tokens=self.max_tokens, temperature=temperature, seed=seed,
            )
            for r in reqs
        ]

    def _kept(self, old: str, fills: list[str]) -> list[str]:
        """The fills in ``old``'s case; in same-kind mode only those :func:`same_kind` keeps."""
        cased = [_cased(f, old) for f in fills]
        return [f for f in cased if same_kind(old, f)] if self.alternatives == "same-kind" else cased

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        if not requests:
            return []
        limits = [max(1, count_words(r.old)) * 2 + 2 for r in requests]
        replies = self.backend.chat(self._requests(requests, self.temperature, self.seed))
        fills = [
            clean_fills(r.old, self._kept(r.old, parse_fills(rep.text, r, lim)), r.n)
            for r, rep, lim in zip(requests, replies, limits)
        ]
        short = [i for i, (r, f) in enumerate(zip(requests, fills)) if len(f) < r.n]
        if short:  # one sampled second try for the masks that came back thin
            again = self.backend.chat(self._requests([requests[i] for i in short], 0.8, self.seed + 1))
            for i, rep in zip(short, again):
                r = requests[i]
                more = self._kept(r.old, parse_fills(rep.text, r, limits[i]))
                fills[i] = clean_fills(r.old, fills[i] + more, r.n)
        return fills


@infillers.register(
    "llm", "any chat model fills the blank: local GGUF (--infiller-model PATH) or endpoint (base_url option)",
    options=BACKEND_OPTIONS,
)
def _make_llm(max_tokens: int = 96, temperature: float = 0.0, seed: int = 0, alternatives: str = "any",
              **backend: Any) -> LLMInfiller:
    return LLMInfiller(chat_backend(**backend), max_tokens, temperature, seed, alternatives)
