"""Scorer ``verdict``: did the model's verdict on its own question change?

For a question that asks for a verdict or advice ("Should I …?", "Is it okay to …?"), a
reader takes each answer *together with the question it answers* and says how likely the
answer means yes, no, or "it depends". The score is the total-variation distance between
the original's verdict distribution and the candidate's: 0 when both read the same, 1 when
a sure "yes" became a sure "no". So an edit only counts when the model's stance moved, not
when the wording or the topic of the answer drifted.

Two readers (:mod:`.verdict_readers`): a chat model asked for one word (first-token
log-probabilities where the backend gives them, else sampled votes), and MiniLM against
verdict anchor sentences. Self-check: a reader that cannot read the original answer's
verdict (too little probability on the three words) refuses before the search starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backends.chat import BACKEND_OPTIONS
from ..errors import ConfigError
from ..prompt.conversation import Conversation
from ..types import Direction
from .base import ScoreItem, scorers
from .verdict_readers import VERDICTS, AnchorReader, ChatVerdictReader, VerdictRead, VerdictReader, declines

__all__ = ["VERDICTS", "VerdictScorer", "total_variation"]


def total_variation(a: dict[str, float], b: dict[str, float]) -> float:
    """Half the L1 distance between two verdict distributions, in [0, 1]."""
    return 0.5 * sum(abs(a.get(v, 0.0) - b.get(v, 0.0)) for v in VERDICTS)


def _question(item_prompt: str, conv: Conversation | None) -> str:
    return conv.question if conv is not None else item_prompt


class VerdictScorer:
    """Total-variation distance between the verdicts read from ``(x0, y0)`` and ``(xc, yc)``."""

    direction: Direction = "increase"
    bounds = (0.0, 1.0)
    #: 40% of the verdict probability moved. Chosen on the verdict questions' tuning half
    #: (``benchmarks/studies/verdict_threshold.py``): 16 of 22 found at 0.4 against 10 at 0.5,
    #: and the judge's most likely verdict differs on 15 of those 16.
    default_threshold = 0.4
    #: A verdict that has not come within 0.1 of δ once 30% of the budget is spent, or whose
    #: closest change has not grown over the last 35% of the budget, is left as it is
    #: (``--give-up``'s default "scorer"). Replayed on the same tuning half's traces: 16 of 16
    #: contrasts still found, 259 budgeted calls instead of 382 (279 without the stall part;
    #: a stall of 0.3 also kept all 16, 0.25 lost two: 0.35 leaves a step of room).
    default_give_up = (0.3, 0.1, 0.35)

    def __init__(self, reader: VerdictReader) -> None:
        self.reader = reader
        self.name = "verdict"
        self._memo: dict[tuple[str, str], VerdictRead | None] = {}
        #: The verdict read from the original answer at the self-check (for reports).
        self.original: VerdictRead | None = None

    #: Reads kept (a dataset run explains many prompts with one scorer); the older half goes first.
    MEMO = 4096

    def read(self, pairs: Sequence[tuple[str, str]]) -> list[VerdictRead | None]:
        """Verdicts of (question, answer) pairs; pairs already read are not asked again."""
        todo = [p for p in dict.fromkeys(pairs) if p not in self._memo]
        if todo:
            self._memo.update(zip(todo, self.reader.read(todo)))
        out = [self._memo[p] for p in pairs]
        if len(self._memo) > self.MEMO:
            self._memo = dict(list(self._memo.items())[-self.MEMO // 2:])
        return out

    def self_check(self, x0: str, y0: str, conversation: Conversation | None = None) -> str | None:
        """The reader must read the original answer's verdict with enough confidence."""
        got = self.read([(_question(x0, conversation), y0)])[0]
        self.original = got
        if got is None and declines(y0):
            return "the original answer declines to answer, so it has no verdict to flip"
        if got is None:
            return (f"the verdict reader '{self.reader.name}' could not read a yes / no / depends verdict "
                    "from the original answer")
        return None

    def score(self, items: Sequence[ScoreItem]) -> list[float | None]:
        pairs = [(_question(i.x0, i.c0), i.y0) for i in items] + [(_question(i.xc, i.cc), i.yc) for i in items]
        reads = self.read(pairs)
        n = len(items)
        out: list[float | None] = []
        for a, b in zip(reads[:n], reads[n:]):
            out.append(None if a is None or b is None else round(total_variation(a.probs, b.probs), 6))
        return out


def make_reader(reader: str = "judge", min_mass: float = 0.5, samples: int = 5, prompt: str = "plain",
                anchors_model: str | None = None, **backend: Any) -> VerdictReader:
    """A reader by name: ``judge`` (a chat model; default the fetched ``qwen-0.5b`` when no
    model or server is named) or ``anchors`` (MiniLM, no model call)."""
    if reader == "judge":
        from ..backends.chat_factory import chat_backend

        if not backend.get("model") and not backend.get("base_url"):
            backend["model"] = "qwen-0.5b"
        return ChatVerdictReader(chat_backend(**backend), min_mass=min_mass, samples=samples, prompt=prompt)
    if reader == "anchors":
        return AnchorReader(anchors_model, min_margin=0.0)
    raise ConfigError(f"unknown verdict reader '{reader}'; valid: judge, anchors")


@scorers.register(
    "verdict", "did the model's yes / no / depends verdict on its own question change? (a chat model reads it)",
    options=BACKEND_OPTIONS,
)
def _make_verdict(reader: str = "judge", min_mass: float = 0.5, samples: int = 5, prompt: str = "plain",
                  **backend: Any) -> VerdictScorer:
    return VerdictScorer(make_reader(reader, min_mass, samples, prompt, **backend))


def verdict_summary(scorer: VerdictScorer, question0: str, y0: str, contrast: tuple[str, str] | None,
                    answered: Sequence[tuple[tuple[str, ...], float | None]], threshold: float,
                    show: int = 6) -> dict[str, Any]:
    """What the reports show of a verdict explanation, from reads already made (no call):
    the original verdict, the contrast's (``contrast`` = its question and answer), and when
    nothing flipped, that the verdict *held* under the edits asked (a robustness result, not a
    failure to explain). ``answered``: per candidate, its edits as ``"old → new"`` and its score.
    """
    def shown(read: VerdictRead | None) -> dict[str, Any] | None:
        return None if read is None else {"label": read.label, "probs": dict(read.probs)}

    out: dict[str, Any] = {"original": shown(scorer.read([(question0, y0)])[0]), "contrast": None,
                           "held": contrast is None}
    if contrast is not None:
        out["contrast"] = shown(scorer.read([contrast])[0])
        return out
    scored = [(edits, s) for edits, s in answered if s is not None and edits]
    out["edits_asked"] = len(scored)
    out["closest"] = max((s for _, s in scored), default=None)
    out["threshold"] = threshold
    out["examples"] = [", ".join(e) for e, _ in sorted(scored, key=lambda p: -p[1])[:show]]
    return out
