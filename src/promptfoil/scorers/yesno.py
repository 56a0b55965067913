"""The machinery of the yes/no judges (``judge-contradiction``, ``policy``): a chat model is
asked a question it answers with Yes or No, and P(yes) is read off its answer.

Where the backend returns log-probabilities of the first answer token, P(yes) = p(yes) /
(p(yes) + p(no)) summed over the spellings of each word ("Yes", " yes", "YES", ...). Where
it does not (or neither word is among the top tokens), ``samples`` sampled answers are read
as yes/no and the share of yes is P(yes). A question never answered readably gives None
and is recorded in ``failures``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..backends.chat import ChatBackend, ChatReply, ChatRequest
from ..errors import ConfigError

Messages = list[dict[str, str]]
_YES = re.compile(r"^\W*(yes)\b", re.I)
_NO = re.compile(r"^\W*(no)\b", re.I)


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


def valid_check_bound(value: float) -> float:
    """A judge's self-check bound: a number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"check_bound must lie in [0, 1] (got {value!r})")
    return float(value)


@dataclass(frozen=True)
class JudgeFailure:
    """An item the judge could not score: which one and what it answered."""

    index: int
    answers: tuple[str, ...]


class YesNoJudge:
    """P(yes) per question: one chat batch for first-token log-probabilities, one for votes."""

    def __init__(self, backend: ChatBackend, samples: int = 5, use_logprobs: bool = True, top_logprobs: int = 10) -> None:
        if samples < 1:
            raise ConfigError(f"samples must be at least 1 (got {samples})")
        self.backend = backend
        self.samples = samples
        self.use_logprobs = use_logprobs
        self.top_logprobs = top_logprobs
        self.failures: list[JudgeFailure] = []
        self.method: dict[str, int] = {"logprobs": 0, "samples": 0, "failed": 0}

    def ask(self, questions: Sequence[Messages]) -> list[float | None]:
        """P(yes) for each question (a chat), None where no answer could be read."""
        probs: list[float | None] = [None] * len(questions)
        if not questions:
            return probs
        if self.use_logprobs:
            first = self.backend.chat([ChatRequest.of(q, max_tokens=1, temperature=0.0, seed=0,
                                                      top_logprobs=self.top_logprobs) for q in questions])
            for i, rep in enumerate(first):
                p = p_yes_from_logprobs(rep.first_token)
                if p is not None:
                    probs[i] = p
                    self.method["logprobs"] += 1
        todo = [i for i, p in enumerate(probs) if p is None]
        if todo:
            temperature = 1.0 if self.samples > 1 else 0.0
            replies: list[ChatReply] = self.backend.chat(
                [ChatRequest.of(questions[i], max_tokens=8, temperature=temperature, seed=k)
                 for i in todo for k in range(self.samples)]
            )
            for j, i in enumerate(todo):
                answers = [r.text for r in replies[j * self.samples : (j + 1) * self.samples]]
                votes = [v for v in map(read_yes_no, answers) if v is not None]
                if votes:
                    probs[i] = sum(votes) / len(votes)
                    self.method["samples"] += 1
                else:
                    self.failures.append(JudgeFailure(i, tuple(answers)))
                    self.method["failed"] += 1
        return [None if p is None else round(float(p), 6) for p in probs]
