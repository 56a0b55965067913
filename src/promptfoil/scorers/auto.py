"""Scorer ``auto`` (the default): the contrast definition follows the prompt.

A yes/no question ("Should I …?", "Is it okay …?") is explained by its *verdict*
(:mod:`.verdict`): which detail of the same question flips the model's yes / no / depends.
That needs a judge that can read verdicts: a model or server named for the scorer, or the
optional ``qwen-0.5b`` once fetched (``promptfoil models fetch qwen-0.5b``). Open questions,
prompts with no verdict judge, and answers whose verdict the judge cannot read are explained
by ``semantic`` (how far the answer's meaning moved). Each explanation records which
definition was used and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..backends.chat import BACKEND_OPTIONS
from ..prompt.conversation import Conversation
from ..prompt.kind import question_kind
from ..types import Direction
from .base import ScoreItem, Scorer, scorers
from .semantic import SemanticScorer

FETCH_HINT = "promptfoil models fetch qwen-0.5b"


@dataclass(frozen=True)
class Choice:
    """The scorer picked for one prompt and the reason, in words for the reports."""

    scorer: Scorer
    reason: str


def judge_available(backend: dict[str, Any]) -> tuple[bool, str]:
    """Whether a verdict judge can be had without a download, and which one."""
    if backend.get("model") or backend.get("base_url"):
        return True, "the named judge"
    from ..backends.model_store import model_path

    if model_path("qwen-0.5b").is_file():
        return True, "qwen-0.5b"
    return False, ""


class AutoScorer:
    """Picks ``verdict`` or ``semantic`` per prompt (:meth:`choose`); scores with the last pick."""

    direction: Direction = "increase"
    bounds = (0.0, 2.0)
    default_threshold = SemanticScorer.default_threshold

    def __init__(self, semantic_model: str | None = None, reader: str = "judge", min_mass: float = 0.5,
                 **backend: Any) -> None:
        self.name = "auto"
        self.semantic = SemanticScorer(semantic_model)
        self._reader = (reader, min_mass)
        self._backend = backend
        self._verdict: Scorer | None = None
        self.current: Scorer = self.semantic

    def verdict(self) -> Scorer | None:
        """The verdict scorer, built on first use; None when no judge is available."""
        if self._verdict is None:
            ok, _ = judge_available(self._backend)
            if not ok:
                return None
            from .verdict import VerdictScorer, make_reader

            self._verdict = VerdictScorer(make_reader(self._reader[0], self._reader[1], **dict(self._backend)))
        return self._verdict

    def choose(self, x0: str, y0: str, conversation: Conversation | None = None) -> Choice:
        """The definition for this prompt: verdict for a yes/no question whose original verdict
        the judge can read, else semantic; the reason says which rule decided."""
        question = conversation.question if conversation is not None else x0
        kind = question_kind(question)
        if kind.kind != "verdict":
            pick = Choice(self.semantic, f"semantic: {kind.why}")
        else:
            ok, who = judge_available(self._backend)
            verdict = self.verdict() if ok else None
            if verdict is None:
                pick = Choice(self.semantic, f"semantic: {kind.why}, but no verdict judge is installed "
                                             f"(`{FETCH_HINT}`, or name one with --scorer-model / --base-url)")
            else:
                problem = verdict.self_check(x0, y0, conversation)  # type: ignore[attr-defined]
                if problem:
                    pick = Choice(self.semantic, f"semantic: {kind.why}, but {problem}")
                else:
                    pick = Choice(verdict, f"verdict: {kind.why}, read by {who}")
        self.current = pick.scorer
        return pick

    def score(self, items: Sequence[ScoreItem]) -> list[float | None]:
        return self.current.score(items)


@scorers.register(
    "auto", "follows the prompt: verdict for yes/no questions when a verdict judge is installed, else semantic",
    options=BACKEND_OPTIONS,
)
def _make_auto(semantic_model: str | None = None, reader: str = "judge", min_mass: float = 0.5,
               **backend: Any) -> AutoScorer:
    return AutoScorer(semantic_model, reader, min_mass, **backend)
