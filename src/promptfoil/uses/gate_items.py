"""What the gate works on and hands back: a stored item to check (:class:`Case` or
:class:`Skip`), each sample's verdict, the item's verdict with its pass rate, the search run
again on the new target (:class:`Reexplanation`), and the report with its counts.
See :mod:`promptfoil.uses.gate` for the rules that fill them in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

from ..prompt.conversation import Conversation, Layout
from ..scorers.base import ScoreItem
from ..scorers.sentences import scored_text
from ..search.goal import Goal
from ..search.space import PromptSpace
from ..search.turns import ConversationSpace
from ..types import Candidate
from .gate_paired import Paired
from .intervals import Interval

Verdict = Literal["holds", "drifted", "lost", "failed", "skipped"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
BROKEN: frozenset[str] = frozenset({"drifted", "lost", "failed"})
LABELS = {"holds": "holds", "drifted": "original drifted", "lost": "contrast lost",
          "failed": "failed", "skipped": "skipped"}
#: An item is broken when the upper end of its pass rate's 95% interval is below this.
DEFAULT_MIN_PASS_RATE = 0.8


@dataclass(frozen=True)
class Case:
    """One stored item to check again: its prompts, the run's answers, its scoring. A run
    that found no contrast leaves ``contrast_prompt`` None: only the drift is checked."""

    id: str
    prompt: str
    response: str
    contrast_prompt: str | None
    contrast_response: str | None
    scorer: str
    goal: Goal
    score: float | None = None  # the run's own score of the contrast
    #: The run's answers stopped at max_tokens: scored on their complete sentences, as the search did.
    truncated: bool = False
    contrast_truncated: bool = False
    #: A conversation's messages and the turns open to edits (None for a plain prompt): the
    #: new target is asked the messages, roles kept, as the search asked them.
    conversation: Conversation | None = None
    edited_turns: tuple[int, ...] | None = None
    edit_distance: float | None = None  # the stored contrast's
    #: The run's recorded settings (infiller, split_k, seed, ...): how to search again.
    settings: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def found(self) -> bool:
        return self.contrast_prompt is not None

    def prompts(self) -> tuple[str, ...]:
        """What the new target is asked for this item."""
        return (self.prompt,) if self.contrast_prompt is None else (self.prompt, self.contrast_prompt)

    def space(self) -> PromptSpace:
        """The prompt space the search scored in (its ``score_item`` is the one scoring rule)."""
        if self.conversation is None or self.edited_turns is None:
            return PromptSpace(self.prompt, [])
        return ConversationSpace(Layout(self.conversation, self.edited_turns), [])

    def score_item(self, x0: str, y0: str, y0_cut: bool, xc: str, yc: str, yc_cut: bool) -> ScoreItem:
        """What the search's scorer would have been given for these answers."""
        return self.space().score_item(x0, scored_text(y0, y0_cut), Candidate((), xc), scored_text(yc, yc_cut))


@dataclass(frozen=True)
class Skip:
    """A stored item with nothing to check (the run failed on it)."""

    id: str
    reason: str


@dataclass(frozen=True)
class Sample:
    """One asking of an item's prompts on the new target, scored."""

    verdict: Verdict  # holds, drifted, lost or failed
    reason: str = ""
    new_response: str | None = None
    new_contrast_response: str | None = None
    drift: float | None = None
    flip: float | None = None


@dataclass(frozen=True)
class Reexplanation:
    """The search run again on the new target for one regressed item, beside the stored
    contrast: the new minimal edit that flips the new target, or none within the budget."""

    found: bool
    budget: int
    response: str | None = None  # the new target's answer to x0, as the search saw it
    contrast_prompt: str | None = None
    contrast_response: str | None = None
    score: float | None = None
    edits: tuple[tuple[str, str], ...] = ()  # (old words, new words) per edit
    edit_distance: float | None = None
    old_edit_distance: float | None = None
    calls: int = 0  # budgeted target calls paid (cache hits are free)
    cache_hits: int = 0
    seconds: float = 0.0
    error: str | None = None  # the search could not run (the item keeps its verdict)

    @property
    def edit_distance_change(self) -> float | None:
        """New minus stored edit distance: below 0 the decision boundary moved closer to x0."""
        if self.edit_distance is None or self.old_edit_distance is None:
            return None
        return round(self.edit_distance - self.old_edit_distance, 6)

    @property
    def boundary(self) -> str:
        """How the decision boundary moved, in words."""
        if self.error:
            return f"not searched: {self.error}"
        if not self.found:
            return f"no contrast within budget ({self.budget} calls)"
        change = self.edit_distance_change
        if change is None:
            return "a new contrast (none was stored)"
        if change < 0:
            return "closer: a smaller edit flips the new model"
        if change > 0:
            return "further: the new model needs a larger edit"
        return "same distance"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "edits": [list(e) for e in self.edits],
                "edit_distance_change": self.edit_distance_change, "boundary": self.boundary}


@dataclass(frozen=True)
class ItemResult:
    """The verdict on one item, every sample, the pass rate and (for a regression the gate
    explained) the new contrast. ``new_response``, ``drift``, ``flip``: the first sample's."""

    id: str
    verdict: Verdict
    reason: str
    prompt: str | None = None
    contrast_prompt: str | None = None
    response: str | None = None  # the run's stored answers
    contrast_response: str | None = None
    new_response: str | None = None
    new_contrast_response: str | None = None
    drift: float | None = None
    flip: float | None = None
    stored_score: float | None = None
    scorer: str | None = None
    threshold: float | None = None
    direction: str | None = None
    found: bool = False  # the run found a contrast for it
    samples: tuple[Sample, ...] = ()
    passes: int | None = None
    pass_rate: Interval | None = None
    flips: int | None = None  # samples in which the stored contrast still flipped the new target
    stored_edit_distance: float | None = None
    #: How far the new answers to x0 lie from each other (None: one distinct answer): a
    #: sample drifted only when its drift reaches δ by this much more.
    noise_band: float | None = None
    explanation: Reexplanation | None = None

    @property
    def broken(self) -> bool:
        return self.verdict in BROKEN

    @property
    def still_flips(self) -> bool | None:
        """Does the stored contrast still flip the new target (in most samples)? None: no contrast."""
        if not self.found or self.flips is None or not self.samples:
            return None
        return 2 * self.flips > len(self.samples)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["explanation"] = None if self.explanation is None else self.explanation.to_dict()
        out["still_flips"] = self.still_flips
        return out


@dataclass(frozen=True)
class GateSummary:
    """Counts per verdict and the pass/fail decision against ``max_broken``."""

    total: int
    holds: int
    drifted: int
    lost: int
    failed: int
    skipped: int
    max_broken: float
    seconds: float = 0.0
    repeats: int = 1
    min_pass_rate: float = DEFAULT_MIN_PASS_RATE

    @property
    def checked(self) -> int:
        return self.total - self.skipped

    @property
    def broken(self) -> int:
        return self.drifted + self.lost + self.failed

    @property
    def broken_share(self) -> float:
        return self.broken / self.checked if self.checked else 0.0

    @property
    def passed(self) -> bool:
        return self.broken_share <= self.max_broken

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "checked": self.checked, "broken": self.broken,
                "broken_share": self.broken_share, "passed": self.passed}


@dataclass(frozen=True)
class GateReport:
    summary: GateSummary
    items: tuple[ItemResult, ...]
    paired: Paired | None = None

    def regressions(self) -> list[ItemResult]:
        """Broken items, worst first: lowest pass rate, then the furthest drift."""
        def worst(it: ItemResult) -> tuple[float, float]:
            rate = it.pass_rate.estimate if it.pass_rate is not None else 0.0
            return rate, -abs(it.drift or 0.0)

        return sorted((i for i in self.items if i.broken), key=worst)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary.to_dict(), "items": [i.to_dict() for i in self.items],
                "paired": None if self.paired is None else self.paired.to_dict()}
