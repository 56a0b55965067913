"""Deterministic stand-ins for plumbing tests of the search logic.

They make no claim about what a model does: they exist so that budgets, dedup, determinism
and edit bookkeeping can be checked exactly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from promptfoil import BaseTarget, FunctionTarget, InfillRequest, ScoreItem
from promptfoil.prompt.segment import words


class RecordingFunction:
    """A batch function ``list[str] -> list[str]`` that remembers every prompt it got."""

    def __init__(self) -> None:
        self.prompts: list[str] = []
        self.calls = 0

    def __call__(self, prompts: list[str]) -> list[str]:
        self.calls += 1
        self.prompts.extend(prompts)
        return [" ".join(sorted(set(w.lower() for w in words(p)))) for p in prompts]


class SuffixInfiller:
    """Fills ``old`` with ``old + 'x0'``, ``old + 'x1'``, ...: distinct and never a no-op."""

    name = "suffix"

    def __init__(self) -> None:
        self.requests: list[InfillRequest] = []

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        self.requests.extend(requests)
        return [[f"{r.old.replace(' ', '_')}x{i}" for i in range(r.n)] for r in requests]

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        """The fluency hook (plumbing): every prompt reads as fluently as any other, so the
        fluency constraint, on by default, passes every fill."""
        return [0.0] * len(texts)


class LostWordsScorer:
    """Share of the original response's words missing from the new response."""

    name = "lost-words"
    direction = "increase"
    bounds = (0.0, 1.0)
    default_threshold = 0.3

    def __init__(self) -> None:
        self.items = 0

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        self.items += len(items)
        out = []
        for it in items:
            a, b = set(it.y0.split()), set(it.yc.split())
            out.append(len(a - b) / max(1, len(a)))
        return out


class EchoTarget:
    """A named, cacheable target (``--target standins:EchoTarget`` on the command line):
    answers with the sorted lower-cased words of the prompt, like :class:`RecordingFunction`."""

    name = "echo"
    batch_size = 4
    identity = "standin:echo"
    settings: dict = {}
    cacheable = True

    def __init__(self, fail: str = "") -> None:
        self.fail = fail  # prompts holding this text raise

    def generate(self, prompts: Sequence[str]) -> list[str]:
        if self.fail and any(self.fail in p for p in prompts):
            raise RuntimeError(f"cannot answer a prompt holding {self.fail!r}")
        return [" ".join(sorted(set(w.lower() for w in words(p)))) for p in prompts]


def sorted_words(prompt: str) -> str:
    """The stand-in answer: the prompt's distinct words, lower-cased and sorted."""
    return " ".join(sorted({w.lower() for w in words(prompt)}))


class WordsTarget(BaseTarget):
    """Answers :func:`sorted_words`, except the prompts in ``overrides`` (prompt -> answer).

    Named by import path (``standins:WordsTarget``) on the command line; ``--target-option
    overrides={...}`` makes the "new model" that answers some prompts differently. Every
    prompt it is asked lands in the class-level ``asked`` list.
    """

    name = "words"
    asked: list[str] = []

    def __init__(self, overrides: dict[str, str] | None = None, fail_on: list[str] | None = None) -> None:
        self.overrides = dict(overrides or {})
        self.fail_on = set(fail_on or ())

    @property
    def identity(self) -> str:
        return "standin:words"

    @property
    def settings(self) -> dict[str, object]:
        return {"overrides": self.overrides}

    def _generate_one(self, prompt: str) -> str:
        WordsTarget.asked.append(prompt)
        if prompt in self.fail_on:
            raise RuntimeError("this prompt is refused")
        return self.overrides.get(prompt, sorted_words(prompt))


def recording_target(delay: float = 0.0, fail_on: str | None = None, name: str = "recording") -> FunctionTarget:
    """:class:`RecordingFunction` as a named (disk-cacheable) target that sleeps ``delay``
    seconds per batch and fails a batch holding ``fail_on``; import path
    ``standins:recording_target`` for workers and the CLI."""
    fn = RecordingFunction()

    def answer(prompts: list[str]) -> list[str]:
        if delay:
            time.sleep(delay)
        if fail_on and any(fail_on in p for p in prompts):
            raise RuntimeError(f"the stand-in fails on {fail_on!r}")
        return fn(prompts)

    return FunctionTarget(answer, name=name)


class RecordingChat:
    """A batch function of message lists (``FunctionTarget(fn, chat=True)``) that keeps every
    conversation it got; the reply lists the words of the last user turn, sorted."""

    def __init__(self) -> None:
        self.conversations: list[list[dict[str, str]]] = []

    def __call__(self, batch: list[list[dict[str, str]]]) -> list[str]:
        self.conversations.extend(batch)
        return [" ".join(sorted({w.lower() for w in words(c[-1]["content"])})) or "empty" for c in batch]


class ForgingInfiller:
    """Fills that try to break a conversation's layout: a fake turn label after a blank line,
    a newline, and a plain word. Stand-in for plumbing (the layout must hold), not a model."""

    name = "forging"

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        return [[f"{r.old}\n\nassistant: {r.old}", f"{r.old}\n\nuser: x", f"{r.old}\nz", f"{r.old}w"][: r.n]
                for r in requests]


def chat_target(**options: object) -> object:
    """``--target standins:chat_target``: a :class:`RecordingChat` as a chat FunctionTarget."""
    from promptfoil import FunctionTarget

    return FunctionTarget(RecordingChat(), name=None, chat=True)


class ScriptedChat:
    """A chat backend stand-in: answers each request with ``reply(request)`` and records every
    request, so that a judge's or the ``llm`` infiller's parsing, fallbacks and arithmetic can
    be checked exactly. It makes no claim about what a chat model answers."""

    identity = "scripted"

    def __init__(self, reply) -> None:
        self.reply = reply
        self.requests: list = []

    def chat(self, requests: Sequence) -> list:
        self.requests.extend(requests)
        return [self.reply(r) for r in requests]


def planted_word(word: str, extra: int = 6):
    """A batch function answering :func:`sorted_words`, plus ``extra`` more words while ``word``
    is in the prompt: editing ``word`` changes the answer far more than editing any other word
    (the planted sensitive word that ``unit_effects`` must find)."""
    more = " ".join(f"{word}{i}" for i in range(extra))

    def answer(prompts: list[str]) -> list[str]:
        return [sorted_words(p) + (" " + more if word in p.split() else "") for p in prompts]

    return answer


def planted_explanation(word: str = "rich", seed: int = 0, budget: int = 30,
                        prompt: str = "why do careful rich families keep their savings in old banks"):
    """An explanation of ``prompt`` on :func:`planted_word`, with δ out of reach so that the
    search spends its whole budget (every candidate is data for ``unit_effects``)."""
    from promptfoil import Explainer

    ex = Explainer(target=FunctionTarget(planted_word(word), name=None), infiller=SuffixInfiller(),
                   scorer=LostWordsScorer(), threshold=0.99, budget=budget, seed=seed, cache=False,
                   minimize=False, min_fluency=None)
    return ex.explain(prompt)


def standin_explainer(**kw):
    """An explainer on the stand-ins (recording target, suffix fills, lost-words scorer), no
    cache, budget 12, two fills per mask; ``kw`` overrides any setting."""
    from promptfoil import Explainer

    opts = dict(target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(), cache=False,
                budget=12, fills_per_mask=2)
    opts.update(kw)
    return Explainer(**opts)


def standin_chat_explainer(**kw):
    """:func:`standin_explainer` for conversations: the :class:`RecordingChat` chat target,
    budget 10, δ 1.0 (out of reach unless ``kw`` lowers it)."""
    return standin_explainer(**{"target": FunctionTarget(RecordingChat(), chat=True), "budget": 10,
                                "threshold": 1.0, **kw})


class SystemWordsTarget(BaseTarget):
    """A chat stand-in with a ``system`` option (``standins:SystemWordsTarget``) that, as the
    chat targets do, goes first only into a conversation without a system prompt; answers "yes"."""

    name = "system-words"
    identity = "standin:system-words"
    accepts_conversations = True

    def __init__(self, system: str | None = None) -> None:
        self.system = system

    @property
    def settings(self) -> dict[str, object]:
        return {"system": self.system}

    def _generate_one(self, prompt: object) -> str:
        return "yes"


#: First-token probabilities a verdict judge stand-in gives (plumbing: no claim about a model).
VERDICT_YES = {"Yes": 0.7, " yes": 0.1, "No": 0.1, "The": 0.1}
VERDICT_NO = {"No": 0.8, "Yes": 0.05, "Dep": 0.05, "I": 0.1}
VERDICT_LOST = {"The": 0.6, "I": 0.3, "Yes": 0.05, "No": 0.05}


def verdict_chat(logprobs: bool = True) -> ScriptedChat:
    """A verdict judge stand-in: an answer starting "Sure" reads yes, "Never" reads no, anything
    else reads as no verdict; first-token probabilities only when asked and ``logprobs``."""
    from promptfoil.backends.chat import ChatReply

    def reply(r):
        text = r.messages[-1][1]
        first, word = ((VERDICT_YES, "Yes") if "Answer: Sure" in text else
                       (VERDICT_NO, "No") if "Answer: Never" in text else (VERDICT_LOST, "The question is hard"))
        return ChatReply(word, first if (logprobs and r.top_logprobs) else None)

    return ScriptedChat(reply)


class LabelChat:
    """A chat backend stand-in (``backend=standins:LabelChat``): every reply is ``model``'s
    text (default "yes"). Plumbing for the chat-backend registry, not a model."""

    def __init__(self, model: str | None = None) -> None:
        self.label = model or "yes"

    @property
    def identity(self) -> str:
        return f"label:{self.label}"

    def chat(self, requests):
        from promptfoil.backends.chat import ChatReply

        return [ChatReply(self.label) for _ in requests]
