"""Scorer ``judge-contradiction``: a chat model judges whether the new response contradicts
the original one.

The score is P(yes). Where the backend returns log-probabilities of the first answer token,
P(yes) = p(yes) / (p(yes) + p(no)) summed over the spellings of each word ("Yes", " yes",
"YES", ...). Where it does not (or neither word is among the top tokens), ``samples``
sampled answers are read as yes/no and the share of yes is the score. An item whose judge
never gave a readable answer has no score (None: the search records it as unscored and
counts it) and is recorded in ``failures``.

Self-check (before a search): asked whether the original response contradicts itself, the
judge must say no, P(yes) at most ``check_bound``. A small judge that says yes to two answers
that agree would turn every candidate into a "contrast".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..backends.chat import BACKEND_OPTIONS, ChatBackend, ChatReply, ChatRequest, chat_backend
from ..errors import ConfigError
from ..types import Direction
from .base import ScoreItem, scorers

SYSTEM = "You compare two answers to questions and reply with a single word: Yes or No."
_YES = re.compile(r"^\W*(yes)\b", re.I)
_NO = re.compile(r"^\W*(no)\b", re.I)


def judge_prompt(item: ScoreItem) -> str:
    return (
        f"Question A: {item.x0}\nAnswer A: {item.y0}\n\n"
        f"Question B: {item.xc}\nAnswer B: {item.yc}\n\n"
        "Does Answer B contradict Answer A (say the opposite, or something incompatible with it)? "
        "Reply Yes or No."
    )


def read_yes_no(text: str) -> bool | None:
    """True for a yes, False for a no, None when the answer says neither first."""
    if _YES.match(text):
        return True
    if _NO.match(text):
        return False
    low = text.lower()
    y, n = re.search(r"\byes\b", low), re.search(r"\bno\b", low)
    if y and (not n or y.start() < n.start()):
        return True
    if n:
        return False
    return None


def p_yes_from_logprobs(first: dict[str, float] | None) -> float | None:
    """P(yes | yes or no) from first-token probabilities; None when neither word shows up."""
    if not first:
        return None
    yes = sum(p for t, p in first.items() if t.strip().lower() == "yes")
    no = sum(p for t, p in first.items() if t.strip().lower() == "no")
    return yes / (yes + no) if yes + no > 0 else None


@dataclass(frozen=True)
class JudgeFailure:
    """An item the judge could not score: which one and what it answered."""

    index: int
    answers: tuple[str, ...]


class JudgeContradictionScorer:
    """P(the candidate's response contradicts the original response), judged by a chat model."""

    direction: Direction = "increase"
    bounds = (0.0, 1.0)
    default_threshold = 0.5

    def __init__(
        self, backend: ChatBackend, samples: int = 5, use_logprobs: bool = True, top_logprobs: int = 10,
        check_bound: float = 0.2,
    ) -> None:
        if samples < 1:
            raise ConfigError(f"samples must be at least 1 (got {samples})")
        if not 0.0 <= check_bound <= 1.0:
            raise ConfigError(f"check_bound must lie in [0, 1] (got {check_bound})")
        self.check_bound = check_bound
        self.backend = backend
        self.samples = samples
        self.use_logprobs = use_logprobs
        self.top_logprobs = top_logprobs
        self.name = "judge-contradiction"
        self.failures: list[JudgeFailure] = []
        self.method: dict[str, int] = {"logprobs": 0, "samples": 0, "failed": 0}

    def _messages(self, item: ScoreItem) -> list[dict[str, str]]:
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": judge_prompt(item)}]

    def self_check(self, x0: str, y0: str) -> str | None:
        """The original response must not contradict itself (P(yes) <= ``check_bound``)."""
        p = self.score([ScoreItem(x0, y0, x0, y0)])[0]
        if p is None:
            return "it gave no readable yes/no answer when asked whether the original response contradicts itself"
        if p > self.check_bound:
            return (f"it judged the original response to contradict itself (P(yes) = {p:.2f}; "
                    f"a judge that can do the job stays at or below {self.check_bound:g})")
        return None

    def score(self, items: Sequence[ScoreItem]) -> list[float | None]:
        if not items:
            return []
        scores: list[float | None] = [None] * len(items)
        if self.use_logprobs:
            first = self.backend.chat(
                [ChatRequest.of(self._messages(it), max_tokens=1, temperature=0.0, seed=0,
                                top_logprobs=self.top_logprobs) for it in items]
            )
            for i, rep in enumerate(first):
                p = p_yes_from_logprobs(rep.first_token)
                if p is not None:
                    scores[i] = p
                    self.method["logprobs"] += 1
        todo = [i for i, s in enumerate(scores) if s is None]
        if todo:
            reqs = [
                ChatRequest.of(self._messages(items[i]), max_tokens=8, temperature=1.0 if self.samples > 1 else 0.0, seed=k)
                for i in todo for k in range(self.samples)
            ]
            replies: list[ChatReply] = self.backend.chat(reqs)
            for j, i in enumerate(todo):
                answers = [r.text for r in replies[j * self.samples : (j + 1) * self.samples]]
                votes = [v for v in map(read_yes_no, answers) if v is not None]
                if votes:
                    scores[i] = sum(votes) / len(votes)
                    self.method["samples"] += 1
                else:
                    self.failures.append(JudgeFailure(i, tuple(answers)))
                    self.method["failed"] += 1
        return [round(float(s), 6) if s is not None else None for s in scores]


@scorers.register(
    "judge-contradiction", "a chat model judges P(new response contradicts the original): logprobs or votes",
    options=BACKEND_OPTIONS,
)
def _make_judge(
    samples: int = 5, use_logprobs: bool = True, top_logprobs: int = 10, check_bound: float = 0.2, **backend: Any
) -> JudgeContradictionScorer:
    return JudgeContradictionScorer(chat_backend(**backend), samples, use_logprobs, top_logprobs, check_bound)
