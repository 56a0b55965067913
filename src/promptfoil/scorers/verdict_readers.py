"""Readers of a verdict: (question, answer) pairs in, a yes / no / depends distribution out.

``ChatVerdictReader`` asks a chat model for one word and reads the first token's
probabilities (summed over spellings: "Yes", " yes", "Dep", …); a backend that gives no
log-probabilities is asked ``samples`` times and the votes are counted. ``AnchorReader``
compares the answer's MiniLM embedding with a few anchor sentences per verdict (no model
call, measured weaker: see the verdict benchmark). A pair whose verdict cannot be read
(too little probability on the three words, no readable vote, an answer that declines to
answer: :func:`declines`) is ``None``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..backends.chat import ChatBackend, ChatRequest
from ..errors import ConfigError

VERDICTS = ("yes", "no", "depends")

SYSTEM = ("You read an answer to a question and report the verdict the answer gives. "
          "Reply with exactly one word: Yes, No, or Depends.")
#: The ``rules`` prompt spells out leaning answers and the question's polarity ("Is it wrong
#: to X?" answered "X is wrong" is a Yes), which small judges otherwise read as sentiment.
RULES = ("You read an answer to a yes/no question and report the verdict it gives to that question, "
         "as asked. Yes: the answer says yes or leans yes. No: the answer says no or leans no "
         "(\"generally not recommended\" is No). Depends: the answer weighs both sides without "
         "leaning, or gives no verdict. Mind the question's wording: if the question is \"Is it wrong "
         "to X?\" and the answer says X is wrong, the verdict is Yes. Reply with exactly one word: "
         "Yes, No, or Depends.")
PROMPTS = {"plain": SYSTEM, "rules": RULES}


@dataclass(frozen=True)
class VerdictRead:
    """A verdict distribution over :data:`VERDICTS` (sums to 1), how much of the reader's
    probability fell on the three words (``mass``), and how it was read."""

    probs: dict[str, float]
    mass: float
    method: str

    @property
    def label(self) -> str:
        """The most likely verdict."""
        return max(VERDICTS, key=lambda v: self.probs.get(v, 0.0))


#: An answer that opens by apologising or saying it cannot help declines the question: it gives
#: no verdict, whatever a judge reads into it (SmolLM2 answers many a "Can I …?" with "I'm sorry
#: …, as a chatbot I …"). Hedges ("I cannot provide a definitive answer; it depends …") are not
#: caught: they are verdicts of "depends".
_DECLINES = re.compile(
    r"^\W*(?:i'm sorry|i am sorry|sorry,|i apologi[sz]e|i'm (?:not able|unable|not equipped|not qualified)|"
    r"i am (?:not able|unable|not equipped|not qualified)|i (?:can't|cannot|can not) (?:help|assist)\b(?!\s+but))",
    re.I,
)


def declines(answer: str) -> bool:
    """Whether ``answer`` opens by declining to answer (an apology, "I'm unable / not equipped")."""
    return bool(_DECLINES.match(answer.replace("\u2019", "'")))


class VerdictReader(Protocol):
    name: str

    def read(self, pairs: Sequence[tuple[str, str]]) -> list[VerdictRead | None]: ...


def verdict_of_token(token: str) -> str | None:
    """Which verdict a first token starts: "Yes" → yes, " no" → no, "Dep" → depends."""
    t = token.strip().lower()
    if t in ("yes", "no"):
        return t
    if len(t) >= 3 and "depends".startswith(t):
        return "depends"
    return None


_WORD = re.compile(r"[A-Za-z]+")


def verdict_of_text(text: str) -> str | None:
    """The verdict a short reply gives: its first word, or the first of the three words in it."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    first = verdict_of_token(words[0])
    if first:
        return first
    for w in words[:12]:
        if w in ("yes", "no", "depends", "depend"):
            return "depends" if w.startswith("depend") else w
    return None


def _normalised(counts: dict[str, float]) -> dict[str, float]:
    total = sum(counts.values())
    return {v: round(counts.get(v, 0.0) / total, 6) for v in VERDICTS}


def _check_unit(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < float(value) <= 1.0:
        raise ConfigError(f"{name} must lie in (0, 1] (got {value!r})")
    return float(value)


def reader_prompt(question: str, answer: str, prompt: str = "plain") -> list[dict[str, str]]:
    """The messages that ask for one verdict word (``prompt``: a key of :data:`PROMPTS`)."""
    return [
        {"role": "system", "content": PROMPTS[prompt]},
        {"role": "user", "content": f"Question: {question}\n\nAnswer: {answer}\n\n"
                                    "What verdict does the answer give to the question: Yes, No, or Depends?"},
    ]


class ChatVerdictReader:
    """A chat model reads each answer's verdict in one token (or by ``samples`` votes)."""

    def __init__(self, backend: ChatBackend, min_mass: float = 0.5, samples: int = 5, top_logprobs: int = 20,
                 prompt: str = "plain") -> None:
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise ConfigError(f"samples must be a whole number of at least 1 (got {samples!r})")
        if prompt not in PROMPTS:
            raise ConfigError(f"unknown verdict prompt '{prompt}'; valid: {', '.join(PROMPTS)}")
        self.prompt = prompt
        self.backend = backend
        self.min_mass = _check_unit("min_mass", min_mass)
        self.samples = samples
        self.top_logprobs = top_logprobs
        self.name = f"judge:{getattr(backend, 'identity', 'chat')}"

    def read(self, pairs: Sequence[tuple[str, str]]) -> list[VerdictRead | None]:
        out: list[VerdictRead | None] = [None] * len(pairs)
        asked = [i for i, (_, a) in enumerate(pairs) if not declines(a)]  # a declined answer has no verdict
        if not asked:
            return out
        replies = self.backend.chat([ChatRequest.of(reader_prompt(*pairs[i], self.prompt), max_tokens=1, temperature=0.0,
                                                    seed=0, top_logprobs=self.top_logprobs) for i in asked])
        no_logprobs: list[int] = []
        for i, rep in zip(asked, replies):
            if not rep.first_token:
                no_logprobs.append(i)
                continue
            counts: dict[str, float] = {}
            for tok, p in rep.first_token.items():
                v = verdict_of_token(tok)
                if v:
                    counts[v] = counts.get(v, 0.0) + p
            mass = sum(counts.values())
            if mass >= self.min_mass:
                out[i] = VerdictRead(_normalised(counts), round(min(mass, 1.0), 6), "logprobs")
        if no_logprobs:
            self._vote(pairs, no_logprobs, out)
        return out

    def _vote(self, pairs: Sequence[tuple[str, str]], todo: list[int], out: list[VerdictRead | None]) -> None:
        """Sampled one-word answers, counted; readable when at least half the votes name a verdict."""
        temperature = 1.0 if self.samples > 1 else 0.0
        replies = self.backend.chat([ChatRequest.of(reader_prompt(*pairs[i], self.prompt), max_tokens=4, temperature=temperature,
                                                    seed=k) for i in todo for k in range(self.samples)])
        for j, i in enumerate(todo):
            votes = [verdict_of_text(r.text) for r in replies[j * self.samples:(j + 1) * self.samples]]
            read = [v for v in votes if v]
            if read and len(read) * 2 >= self.samples:
                counts = {v: float(read.count(v)) for v in VERDICTS if v in read}
                out[i] = VerdictRead(_normalised(counts), round(len(read) / self.samples, 6), "votes")


#: A few plain sentences per verdict; an answer is read as the verdict whose anchors it is closest to.
ANCHORS: dict[str, tuple[str, ...]] = {
    "yes": ("Yes, you should.", "Yes, it is okay.", "Yes, that is fine and acceptable.",
            "It is a good idea, go ahead."),
    "no": ("No, you should not.", "No, it is not okay.", "That is wrong and not acceptable.",
           "It is a bad idea, don't do it."),
    "depends": ("It depends on the situation.", "It depends on your circumstances and what matters to you.",
                "There are pros and cons to consider.", "That varies from case to case."),
}


class AnchorReader:
    """MiniLM cosine of the answer to each verdict's anchors (best anchor per verdict), turned
    into probabilities with a softmax at ``temperature``. No model call."""

    def __init__(self, model: str | None = None, temperature: float = 0.05, min_margin: float = 0.0) -> None:
        from ..backends.embedder import shared_embedder

        self.embedder = shared_embedder(model)
        self.temperature = temperature
        self.min_margin = min_margin
        self.name = "anchors:minilm"

    def read(self, pairs: Sequence[tuple[str, str]]) -> list[VerdictRead | None]:
        if not pairs:
            return []
        flat = [(v, s) for v in VERDICTS for s in ANCHORS[v]]
        answers = [a for _, a in pairs]
        va = self.embedder.encode(answers)
        vb = self.embedder.encode([s for _, s in flat])
        sims = va @ vb.T
        out: list[VerdictRead | None] = []
        for (_, answer), row in zip(pairs, sims):
            if declines(answer):
                out.append(None)
                continue
            best = {v: max(float(c) for (w, _), c in zip(flat, row) if w == v) for v in VERDICTS}
            top = max(best.values())
            exp = {v: math.exp((c - top) / self.temperature) for v, c in best.items()}
            ordered = sorted(best.values(), reverse=True)
            if ordered[0] - ordered[1] < self.min_margin:
                out.append(None)
                continue
            out.append(VerdictRead(_normalised(exp), round(top, 6), "anchors"))
        return out
