"""Scorer ``judge-contradiction``: a chat model judges whether the new response contradicts
the original one.

The score is P(yes), read by the yes/no machinery of :mod:`.yesno` (first-token
log-probabilities where the backend gives them, else sampled votes). An item whose judge
never gave a readable answer has no score (None: the search records it as unscored and
counts it) and is recorded in ``failures``. For a conversation the judge sees the last user
turn of each as the question.

Self-check (before a search): asked whether the original response contradicts itself, the
judge must say no, P(yes) at most ``check_bound``. A small judge that says yes to two answers
that agree would turn every candidate into a "contrast".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backends.chat import BACKEND_OPTIONS, ChatBackend
from ..backends.chat_factory import chat_backend
from ..prompt.conversation import Conversation
from ..types import Direction
from .base import ScoreItem, scorers
from .yesno import JudgeFailure, YesNoJudge, p_yes_from_logprobs, read_yes_no, valid_check_bound

__all__ = ["JudgeContradictionScorer", "JudgeFailure", "judge_prompt", "p_yes_from_logprobs", "read_yes_no"]

SYSTEM = "You compare two answers to questions and reply with a single word: Yes or No."


def judge_prompt(item: ScoreItem) -> str:
    """The judge's question; for a conversation the question shown is its last user turn."""
    q0 = item.c0.question if item.c0 is not None else item.x0
    qc = item.cc.question if item.cc is not None else item.xc
    return (
        f"Question A: {q0}\nAnswer A: {item.y0}\n\n"
        f"Question B: {qc}\nAnswer B: {item.yc}\n\n"
        "Does Answer B contradict Answer A (say the opposite, or something incompatible with it)? "
        "Reply Yes or No."
    )


class JudgeContradictionScorer:
    """P(the candidate's response contradicts the original response), judged by a chat model."""

    direction: Direction = "increase"
    bounds = (0.0, 1.0)
    default_threshold = 0.5

    def __init__(
        self, backend: ChatBackend, samples: int = 5, use_logprobs: bool = True, top_logprobs: int = 10,
        check_bound: float = 0.2,
    ) -> None:
        self.judge = YesNoJudge(backend, samples, use_logprobs, top_logprobs)
        self.check_bound = valid_check_bound(check_bound)
        self.backend = backend
        self.name = "judge-contradiction"

    @property
    def failures(self) -> list[JudgeFailure]:
        return self.judge.failures

    @property
    def method(self) -> dict[str, int]:
        return self.judge.method

    def _messages(self, item: ScoreItem) -> list[dict[str, str]]:
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": judge_prompt(item)}]

    def self_check(self, x0: str, y0: str, conversation: Conversation | None = None) -> str | None:
        """The original response must not contradict itself (P(yes) <= ``check_bound``)."""
        p = self.score([ScoreItem(x0, y0, x0, y0, conversation, conversation)])[0]
        if p is None:
            return "it gave no readable yes/no answer when asked whether the original response contradicts itself"
        if p > self.check_bound:
            return (f"it judged the original response to contradict itself (P(yes) = {p:.2f}; "
                    f"a judge that can do the job stays at or below {self.check_bound:g})")
        return None

    def score(self, items: Sequence[ScoreItem]) -> list[float | None]:
        return self.judge.ask([self._messages(it) for it in items])


@scorers.register(
    "judge-contradiction", "a chat model judges P(new response contradicts the original): logprobs or votes",
    options=BACKEND_OPTIONS,
)
def _make_judge(
    samples: int = 5, use_logprobs: bool = True, top_logprobs: int = 10, check_bound: float = 0.2, **backend: Any
) -> JudgeContradictionScorer:
    return JudgeContradictionScorer(chat_backend(**backend), samples, use_logprobs, top_logprobs, check_bound)
