"""Scorer ``maxims``: an LLM judge labels responses against conversational sub-maxims
(quantity, quality, relevance, manner, benevolence, transparency).

Each sub-maxim has a rubric (requirement, what "yes" and "no" mean, one example of each),
stored as data in ``promptfoil/data/maxims/*.json``. The judge answers in JSON
(``{"label": "yes"|"no", "explanation": ...}``); it is asked ``n`` times (seeded samples)
and the share of "yes" is how well the response meets the sub-maxim. The score is the drop
in that share from the original response to the candidate's, averaged over the chosen
sub-maxims: positive when the new response is worse on them (direction "increase"; use
"decrease" to look for improvements). A response is judged in its context: a prompt as one
user turn, a conversation as its turns (for a candidate, the edited conversation). Small judges break JSON, so answers are parsed
leniently, unreadable ones are asked again up to ``retries`` times, and what still fails is
recorded in ``failures``: a candidate response the judge cannot label has no score (None,
counted by the search), and an original response it cannot label on any sub-maxim makes the
explanation fail (:class:`ScorerError`) rather than score every candidate 0.0.

Self-check (before a search): the judge must label the original response on every chosen
sub-maxim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from ..backends.chat import BACKEND_OPTIONS, ChatBackend, ChatRequest
from ..backends.chat_factory import chat_backend
from ..prompt.conversation import Conversation
from ..errors import ConfigError, whole
from ..types import Direction
from .base import ScoreItem, ScorerError, scorers
from .judge import read_yes_no

MAXIMS = ("quantity", "quality", "relevance", "manner", "benevolence", "transparency")


@dataclass(frozen=True)
class Rubric:
    maxim: str
    name: str
    requirement: str
    yes: str
    no: str
    examples: tuple[tuple[str, str, str], ...]  # (label, context, response)


@lru_cache(maxsize=1)
def rubrics() -> dict[str, Rubric]:
    """Every sub-maxim rubric shipped in the package, by sub-maxim name."""
    out: dict[str, Rubric] = {}
    folder = resources.files("promptfoil") / "data" / "maxims"
    for maxim in MAXIMS:
        data = json.loads((folder / f"{maxim}.json").read_text(encoding="utf-8"))
        for sub in data["submaxims"]:
            ex = tuple(
                (label, e["context"], e["response"]) for label in ("yes", "no") for e in sub["examples"][label]
            )
            out[sub["name"]] = Rubric(maxim, sub["name"], sub["requirement"], sub["yes"], sub["no"], ex)
    return out


def select(names: str | Sequence[str]) -> list[Rubric]:
    """Sub-maxims by name; a maxim name stands for all of its sub-maxims; "all" for every one."""
    table = rubrics()
    wanted = [n.strip() for n in (names.split(",") if isinstance(names, str) else names) if n.strip()]
    chosen: list[Rubric] = []
    for n in wanted:
        if n == "all":
            picked = list(table.values())
        elif n in MAXIMS:
            picked = [r for r in table.values() if r.maxim == n]
        elif n in table:
            picked = [table[n]]
        else:
            raise ConfigError(
                f"unknown sub-maxim {n!r}; choose from: all, {', '.join(MAXIMS)}, {', '.join(table)}"
            )
        chosen += [r for r in picked if r not in chosen]
    if not chosen:
        raise ConfigError("maxims scorer needs at least one sub-maxim")
    return chosen


def context_of(prompt: str, conversation: Conversation | None) -> str:
    """The context a response is judged in: a prompt as one user turn, a conversation as
    its turns, one ``role: content`` line each (the system prompt left out, as in the
    paper's rubric prompts)."""
    return conversation.dialogue() if conversation is not None else f"user: {prompt}"


def rubric_prompt(r: Rubric, context: str, response: str) -> str:
    """The judge's instructions: requirement, labels, examples, the turn, the answer format."""
    lines = [
        f"Judge one assistant response against this requirement: {r.requirement}",
        "",
        "Labels:",
        f"yes: {r.yes}",
        f"no: {r.no}",
        "",
        "Examples:",
    ]
    for label, ctx, resp in r.examples:
        lines += [f"Context: {ctx}", f"Response: {resp}", f"Label: {label}", ""]
    lines += [
        "Now label this response, given its context.",
        f"Context: {context}",
        f"Response: assistant: {response}",
        "",
        'Answer with JSON only: {"label": "yes" or "no", "explanation": "one short sentence"}',
    ]
    return "\n".join(lines)


_BLOCK = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
_OBJ = re.compile(r"\{.*?\}", re.S)
_LABEL = re.compile(r"""["']?label["']?\s*[:=]\s*["']?\s*(yes|no)\b""", re.I)


def parse_label(text: str) -> bool | None:
    """True for "yes", False for "no", None when nothing readable; tolerant of broken JSON."""
    candidates = _BLOCK.findall(text) + _OBJ.findall(text)
    for blob in candidates:
        for attempt in (blob, re.sub(r",\s*}", "}", blob.replace("'", '"'))):
            try:
                obj = json.loads(attempt)
            except ValueError:
                continue
            if isinstance(obj, dict):
                label = str(obj.get("label", obj.get("Label", ""))).strip().lower()
                if label in ("yes", "no"):
                    return label == "yes"
    m = _LABEL.search(text)
    if m:
        return m.group(1).lower() == "yes"
    return read_yes_no(text.strip()) if len(text.strip()) < 40 else None


@dataclass(frozen=True)
class MaximFailure:
    """A (context, response) the judge gave no readable label for on one sub-maxim."""

    submaxim: str
    response: str
    answers: tuple[str, ...]


class MaximsScorer:
    """Drop in sub-maxim adherence from (x0, y0) to (xc, yc), judged by a chat model."""

    direction: Direction = "increase"
    bounds = (-1.0, 1.0)
    default_threshold = 0.5

    def __init__(
        self, backend: ChatBackend, submaxims: str | Sequence[str] = "helpfulness", n: int = 3,
        retries: int = 2, temperature: float = 0.7, max_tokens: int = 80,
    ) -> None:
        n, retries = whole("maxims option n", n, 1), whole("maxims option retries", retries, 0)
        self.backend = backend
        self.rubrics = select(submaxims)
        self.submaxims = tuple(r.name for r in self.rubrics)  # shown in the reports
        self.n = n
        self.retries = retries
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.name = "maxims"
        self.failures: list[MaximFailure] = []
        self._memo: dict[tuple[str, str, str], float | None] = {}

    def _adherence(self, turns: Sequence[tuple[str, str]]) -> None:
        """Fill the memo for every (context, response) x sub-maxim not judged yet."""
        todo = [(r, x, y) for x, y in dict.fromkeys(turns) for r in self.rubrics if (r.name, x, y) not in self._memo]
        if not todo:
            return
        labels: dict[int, list[bool]] = {i: [] for i in range(len(todo))}
        answers: dict[int, list[str]] = {i: [] for i in range(len(todo))}
        asks = [(i, k) for i in range(len(todo)) for k in range(self.n)]
        for attempt in range(self.retries + 1):
            if not asks:
                break
            reqs = [
                ChatRequest.of(
                    [{"role": "user", "content": rubric_prompt(*todo[i])}],
                    max_tokens=self.max_tokens, temperature=self.temperature if self.n > 1 or attempt else 0.0,
                    seed=k + 1000 * attempt,
                )
                for i, k in asks
            ]
            again = []
            for (i, k), rep in zip(asks, self.backend.chat(reqs)):
                answers[i].append(rep.text)
                label = parse_label(rep.text)
                if label is None:
                    again.append((i, k))
                else:
                    labels[i].append(label)
            asks = again
        for i, (r, x, y) in enumerate(todo):
            got = labels[i]
            self._memo[(r.name, x, y)] = sum(got) / len(got) if got else None
            if not got:
                self.failures.append(MaximFailure(r.name, y, tuple(answers[i])))

    def _trim(self) -> None:
        if len(self._memo) > 8192:  # an Explainer reuses its scorer across many prompts
            self._memo = dict(list(self._memo.items())[-4096:])

    def _unlabelled(self, x: str, y: str) -> list[str]:
        return [r.name for r in self.rubrics if self._memo[(r.name, x, y)] is None]

    def self_check(self, x0: str, y0: str, conversation: Conversation | None = None) -> str | None:
        """The judge must label the original response, in its context, on every chosen sub-maxim."""
        context = context_of(x0, conversation)
        self._adherence([(context, y0)])
        missing = self._unlabelled(context, y0)
        if not missing:
            return None
        said = next((f.answers[0] for f in reversed(self.failures) if f.response == y0 and f.answers), "")
        return (f"it gave no readable label for the original response on sub-maxim(s) {', '.join(missing)}"
                + (f" (it answered: {said[:80]!r})" if said else ""))

    def score(self, items: Sequence[ScoreItem]) -> list[float | None]:
        if not items:
            return []
        self._trim()
        pairs = [((context_of(it.x0, it.c0), it.y0), (context_of(it.xc, it.cc), it.yc)) for it in items]
        self._adherence([p for pair in pairs for p in pair])
        out: list[float | None] = []
        for ((x0, y0), (xc, yc)) in pairs:
            if len(self._unlabelled(x0, y0)) == len(self.rubrics):
                raise ScorerError(
                    f"scorer 'maxims' could not label the original response on any sub-maxim "
                    f"({', '.join(r.name for r in self.rubrics)}): no candidate can be compared with it. "
                    "Use a stronger judge (--scorer-model MODEL, or a server with --base-url URL)."
                )
            drops = []
            for r in self.rubrics:
                a0, ac = self._memo[(r.name, x0, y0)], self._memo[(r.name, xc, yc)]
                if a0 is not None and ac is not None:
                    drops.append(a0 - ac)
            out.append(round(sum(drops) / len(drops), 6) if drops else None)
        return out


@scorers.register(
    "maxims", "LLM judge on conversational sub-maxims (rubrics + few-shot, JSON, n asks): drop from y0 to yc",
    options=BACKEND_OPTIONS,
)
def _make_maxims(
    submaxims: str | Sequence[str] = "helpfulness", n: int = 3, retries: int = 2,
    temperature: float = 0.7, max_tokens: int = 80, **backend: Any,
) -> MaximsScorer:
    return MaximsScorer(chat_backend(**backend), submaxims, n, retries, temperature, max_tokens)
