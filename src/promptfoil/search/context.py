"""What a search algorithm may do: fill masks, evaluate candidates, and nothing else.

The context owns deduplication, the budget, batching and the trace, so that the
algorithms in ``cell.py`` and ``cell_budget.py`` read like their pseudocode.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..infill.base import Infiller, InfillRequest
from ..scorers.base import Scorer
from ..types import Candidate, TraceEntry
from .goal import Goal
from .priority import Prioritizer
from .protocols import Queries
from .space import PromptSpace


@dataclass(eq=False)
class Node:
    """A candidate on the search frontier with the units it may still change."""

    candidate: Candidate
    free: tuple[int, ...]
    parent: int | None = None  # trace index of the node it came from
    trace_index: int | None = None
    response: str | None = None
    score: float | None = None
    objective: float | None = None

    @property
    def scored(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class FillRequest:
    """Ask for ``count`` new candidates from ``node`` by refilling unit ``unit``."""

    node: Node
    unit: int
    count: int = 1


@dataclass
class SearchResult:
    best: Node | None
    found: bool
    stop_reason: str


@dataclass
class Counters:
    infiller: int = 0
    scorer: int = 0


class SearchContext:
    """Shared machinery of every search; one instance per explanation."""

    def __init__(
        self,
        space: PromptSpace,
        x0: str,
        y0: str,
        infiller: Infiller,
        queries: Queries,
        scorer: Scorer,
        goal: Goal,
        seed: int,
        fills_per_mask: int = 6,
        progress: Callable[[int], None] | None = None,
        prioritizer: Prioritizer | None = None,
    ) -> None:
        self.space = space
        self.x0, self.y0 = x0, y0
        self.infiller = infiller
        self.queries = queries
        self.scorer = scorer
        self.goal = goal
        self.rng = random.Random(seed)
        self.fills_per_mask = fills_per_mask
        self.chunk = queries.batch_size
        self.progress = progress
        self.prioritizer = prioritizer
        self.trace: list[TraceEntry] = []
        self.counters = Counters()
        self.root = Node(space.candidate({}), tuple(range(space.n_units)))
        self._seen: set[str] = {x0}  # prompts queried or pending: never asked twice
        self._fills: dict[tuple[str, int, int], list[str]] = {}
        self.scored: list[Node] = []
        self.step = 0

    # -- infill ----------------------------------------------------------------------
    def fill(self, requests: Sequence[FillRequest]) -> list[Node]:
        """New, distinct, not-yet-seen candidates; one infiller batch for all masks."""
        keys = []
        todo: list[InfillRequest] = []
        for r in requests:
            reps = dict(r.node.candidate.replacements)
            start, end = self.space.span(reps, r.unit)
            key = (r.node.candidate.text, start, end)
            keys.append(key)
            if key not in self._fills and all(key != (t.text, t.start, t.end) for t in todo):
                todo.append(InfillRequest(r.node.candidate.text, start, end, self.fills_per_mask))
        if todo:
            self.counters.infiller += len(todo)
            for req, fills in zip(todo, self.infiller.infill(todo)):
                self._fills[(req.text, req.start, req.end)] = list(fills)
        out: list[Node] = []
        for r, key in zip(requests, keys):
            taken = 0
            for new in self._fills[key]:
                if taken >= r.count:
                    break
                reps = dict(r.node.candidate.replacements)
                reps[r.unit] = new
                cand = self.space.candidate(reps)
                if cand.text in self._seen or not self.space.admits(cand):
                    continue
                self._seen.add(cand.text)
                free = tuple(u for u in r.node.free if u != r.unit)
                out.append(Node(cand, free, parent=r.node.trace_index))
                taken += 1
        return out

    # -- query and score -------------------------------------------------------------
    def evaluate(self, nodes: Sequence[Node], stage: str, stop_early: bool = True) -> list[Node]:
        """Query and score ``nodes`` in chunks; stop at budget end or (optionally) at a hit.

        Returns the nodes that got a score. Nodes the budget could not pay for are recorded
        in the trace as "over-budget".
        """
        self.step += 1
        done: list[Node] = []
        pending = [n for n in nodes if not n.scored]
        if self.prioritizer is not None and len(pending) > self.chunk:
            keys = self.prioritizer.rank(self.x0, [n.candidate.text for n in pending])
            order = sorted(range(len(pending)), key=lambda i: -keys[i])  # stable on ties
            pending = [pending[i] for i in order]
        i = 0
        while i < len(pending):
            part = pending[i : i + self.chunk]
            i += len(part)
            results = self.queries.query([n.candidate.text for n in part])
            answered = [(n, r) for n, r in zip(part, results) if r.response is not None]
            for n, r in zip(part, results):
                if r.response is None:
                    self._record(n, stage, "over-budget", "none")
            if answered:
                items = [self.space.score_item(self.x0, self.y0, n.candidate, r.response or "") for n, r in answered]
                self.counters.scorer += len(items)
                for (n, r), s in zip(answered, self.scorer.score(items)):
                    n.response, n.score, n.objective = r.response, float(s), self.goal.objective(float(s))
                    self._record(n, stage, "scored", r.paid_by)
                    done.append(n)
                    self.scored.append(n)
            if self.progress is not None:
                self.progress(self.queries.paid)
            if stop_early and any(self.goal.reached(n.score or 0.0) for n, _ in answered):
                break
        for n in pending[i:]:
            self._record(n, stage, "skipped", "none")  # a contrast was found first
        return done

    def _record(self, n: Node, stage: str, status: str, paid_by: str) -> None:
        n.trace_index = len(self.trace)
        self.trace.append(
            TraceEntry(
                step=self.step,
                stage=stage,
                prompt=n.candidate.text,
                edits=self.space.edits(n.candidate),
                status=status,
                paid_by=paid_by,  # type: ignore[arg-type]
                response=n.response,
                score=n.score,
                parent=n.parent,
            )
        )

    # -- results ---------------------------------------------------------------------
    def best(self, nodes: Sequence[Node] | None = None) -> Node | None:
        pool = [n for n in (self.scored if nodes is None else nodes) if n.scored]
        return max(pool, key=lambda n: n.objective or 0.0, default=None)

    def winner(self) -> Node | None:
        """Among candidates reaching δ: fewest edits first (Problem (1)), then best score."""
        hits = [n for n in self.scored if self.goal.reached(n.score or 0.0)]
        if not hits:
            return None
        return min(hits, key=lambda n: (n.candidate.n_edits, -(n.objective or 0.0), n.trace_index or 0))

    def finish(self, reason: str) -> SearchResult:
        win = self.winner()
        if win is not None:
            return SearchResult(win, True, "threshold reached")
        return SearchResult(self.best(), False, reason)
