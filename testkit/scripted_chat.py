"""A chat backend that answers by a rule on the request's text, with first-token
probabilities: plumbing for the verdict reader and the ``auto`` definition (no claim about a model)."""

from __future__ import annotations

from collections.abc import Sequence

from promptfoil.backends.chat import ChatReply, ChatRequest

YES = {"Yes": 0.7, " yes": 0.1, "No": 0.1, "The": 0.1}
NO = {"No": 0.8, "Yes": 0.05, "Dep": 0.05, "I": 0.1}
LOST = {"The": 0.6, "I": 0.3, "Yes": 0.05, "No": 0.05}


class ScriptedChat:
    """Answers each request by ``rule(last message) -> (first-token probabilities, text)``."""

    identity = "scripted"

    def __init__(self, rule, logprobs: bool = True) -> None:
        self.rule = rule
        self.logprobs = logprobs
        self.requests: list[ChatRequest] = []

    def chat(self, requests: Sequence[ChatRequest]) -> list[ChatReply]:
        self.requests += list(requests)
        out = []
        for r in requests:
            first, text = self.rule(r.messages[-1][1])
            out.append(ChatReply(text, first if (self.logprobs and r.top_logprobs) else None))
        return out


def by_answer(text: str):
    if "Answer: Sure" in text:
        return YES, "Yes"
    if "Answer: Never" in text:
        return NO, "No"
    return LOST, "The question is hard"


