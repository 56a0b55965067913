"""What a search algorithm may do: fill masks, evaluate candidates, and nothing else.

The context owns deduplication, the budget, batching and the trace, so that the
algorithms in ``cell.py`` and ``cell_budget.py`` read like their pseudocode.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from .constraints import Constraints
from ..infill.base import Infiller, InfillRequest
from ..scorers.base import Scorer
from ..scorers.sentences import scored_text
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
    truncated: bool = False  # its response stopped at max_tokens
    dropped: str | None = None  # why it will never be scored (a failed constraint, a scorer failure)

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
    scorer_failures: int = 0
    skipped_by: dict[str, int] = field(default_factory=dict)  # constraint name -> candidates
    #: Seconds spent infilling and scoring (in any thread); "prefetch": how long the
    #: prefetching worker ran (infilling, constraints), "prefetch_wait": how long the search
    #: waited for it.
    seconds: dict[str, float] = field(
        default_factory=lambda: {"infiller": 0.0, "scorer": 0.0, "prefetch": 0.0, "prefetch_wait": 0.0}
    )

    @property
    def overlapped(self) -> float:
        """Seconds of prefetched work (infilling, constraint checks) done while the search
        was busy with something else (the target answering, the scorer): not on the wall clock."""
        return max(0.0, self.seconds["prefetch"] - self.seconds["prefetch_wait"])


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
        constraints: Constraints | None = None,
        y0_truncated: bool = False,
        prefetch: bool = True,
        reuse_fills: bool = False,
        shift: Callable[[str, Sequence[str]], list[float]] | None = None,
        meaning_weight: float = 0.0,
    ) -> None:
        self.space = space
        self.x0, self.y0 = x0, y0
        self.y0_scored = scored_text(y0, y0_truncated)  # what scorers compare against
        self.constraints = constraints
        self.infiller = infiller
        self.queries = queries
        self.scorer = scorer
        self.goal = goal
        self.rng = random.Random(seed)
        self.fills_per_mask = fills_per_mask
        self.chunk = queries.batch_size
        self.progress = progress
        self.prioritizer = prioritizer
        self.prefetch = prefetch
        self.reuse_fills = reuse_fills
        #: ``objective = goal.objective(score) - meaning_weight * shift(x0, prompt)``: among
        #: candidates that move the answer alike, the one that moved the question least ranks
        #: first (BEST_SUBSET, the winner among hits). ``shift``: 1 - cosine of prompt embeddings.
        self.shift = shift if meaning_weight else None
        self.meaning_weight = meaning_weight
        self.trace: list[TraceEntry] = []
        self.counters = Counters()
        self.root = Node(space.candidate({}), tuple(range(space.n_units)))
        self.root_text = self.root.candidate.text
        self._seen: set[str] = {x0}  # prompts queried or pending: never asked twice
        self._dropped: set[str] = set()  # skipped fills already in the trace
        self._by_text: dict[str, Node] = {}
        self._local = threading.local()  # a prefetching worker's trace entries wait here
        self.banned: frozenset[int] = frozenset()
        self._fills: dict[tuple[str, int, int], list[str]] = {}
        self.scored: list[Node] = []
        self.step = 0

    # -- infill ----------------------------------------------------------------------
    def fill(self, requests: Sequence[FillRequest]) -> list[Node]:
        """New, distinct, not-yet-seen candidates; one infiller batch for all masks."""
        return [n for nodes in self.fill_each(requests) for n in nodes]

    def fill_each(self, requests: Sequence[FillRequest]) -> list[list[Node]]:
        """:meth:`fill`, with the new candidates of each request apart (empty: none left).

        Fills that change nothing (the masked words again) or that give a prompt already
        queried are dropped, and recorded in the trace as "skipped" with the reason. With
        ``reuse_fills`` a unit is filled once, in ``x0``'s context, and those fills serve it
        in every edited prompt too (the constraints still judge each combination).
        """
        keys = []
        todo: list[InfillRequest] = []
        for r in requests:
            reps, text = dict(r.node.candidate.replacements), r.node.candidate.text
            if self.reuse_fills:  # a filled unit is never edited in its node: x0's words, x0's context
                reps, text = {}, self.root_text
            start, end = self.space.span(reps, r.unit)
            key = (text, start, end)
            keys.append(key)
            if key not in self._fills and all(key != (t.text, t.start, t.end) for t in todo):
                todo.append(InfillRequest(text, start, end, self.fills_per_mask))
        if todo:
            self.counters.infiller += len(todo)
            t0 = time.perf_counter()
            got = self.infiller.infill(todo)
            self.counters.seconds["infiller"] += time.perf_counter() - t0
            for req, fills in zip(todo, got):
                self._fills[(req.text, req.start, req.end)] = list(fills)
        out: list[list[Node]] = []
        for r, key in zip(requests, keys):
            taken: list[Node] = []
            old = key[0][key[1] : key[2]]
            for new in self._fills[key]:
                if len(taken) >= r.count:
                    break
                reps = dict(r.node.candidate.replacements)
                reps[r.unit] = new
                cand = self.space.candidate(reps)
                free = tuple(u for u in r.node.free if u != r.unit)
                if cand.text in self._seen:
                    if cand.text not in self._dropped:
                        self._dropped.add(cand.text)
                        why = (f"no-op: the fill repeats the masked words {old!r}" if new.strip() == old.strip()
                               else "duplicate of a prompt already queried or pending")
                        self._note(Node(cand, free, parent=r.node.trace_index), "fill", "skipped", "none", why)
                    continue
                if not self.space.admits(cand):  # a fill that would move a turn boundary: never built
                    self._seen.add(cand.text)
                    self._dropped.add(cand.text)
                    continue
                self._seen.add(cand.text)
                taken.append(Node(cand, free, parent=r.node.trace_index))
            out.append(taken)
        return out

    def variant(self, node: Node, keep: frozenset[int]) -> Node:
        """``node`` with only the edits of units ``keep`` (the scored node when known)."""
        reps = {u: v for u, v in node.candidate.replacements if u in keep}
        cand = self.space.candidate(reps)
        known = self._by_text.get(cand.text)
        if known is not None:
            return known
        self._seen.add(cand.text)
        free = tuple(u for u in self.root.free if u not in reps)
        out = Node(cand, free, parent=node.trace_index)
        if not self.space.admits(cand):  # never asked (see PromptSpace.admits)
            out.dropped = "the edits left would move a turn boundary of the conversation"
        return out

    # -- which units the search may edit ---------------------------------------------
    def restrict(self, banned: frozenset[int]) -> None:
        """Search again without units ``banned`` (a new root; what was scored is kept)."""
        self.banned = frozenset(banned)
        self.root = Node(self.space.candidate({}), tuple(u for u in range(self.space.n_units) if u not in self.banned))

    def usable(self, node: Node) -> bool:
        """The node edits no banned unit."""
        return not (node.candidate.units & self.banned)

    # -- query and score -------------------------------------------------------------
    def evaluate(self, nodes: Sequence[Node], stage: str, stop_early: bool = True) -> list[Node]:
        """Query and score ``nodes`` in chunks; stop at budget end or (optionally) at a hit.

        Returns the nodes that got a score. Nodes that fail a constraint are recorded in the
        trace as "skipped" (with the reason) and never queried; nodes the budget could not pay
        for are recorded as "over-budget"; responses the scorer could not score as "unscored".
        A truncated response is scored on its complete sentences.
        """
        self.step += 1
        done: list[Node] = []
        pending = self._constrain([n for n in nodes if not n.scored and n.dropped is None], stage)
        if self.prioritizer is not None and len(pending) > self.chunk:
            keys = self.prioritizer.rank(self.x0, [n.candidate.text for n in pending])
            order = sorted(range(len(pending)), key=lambda i: -keys[i])  # stable on ties
            pending = [pending[i] for i in order]
        i = 0
        while i < len(pending):
            part = pending[i : i + self.chunk]
            i += len(part)
            got, hit = self._batch(part, stage)
            done += got
            if stop_early and hit:
                break
        for n in pending[i:]:
            self._record(n, stage, "skipped", "none", "not asked: a contrast was found first")
        return done

    def stream(self, requests: Sequence[FillRequest], stage: str) -> tuple[list[Node], int]:
        """Fill ``requests`` and evaluate the candidates in full target batches, stopping
        between batches at the first that reaches δ (or when the budget is spent).

        A batch is topped up from the next requests when some fills were duplicates. With
        ``prefetch``, the next batch's masks are infilled in a worker thread while the target
        answers the current one; a prefetched candidate left over at a stop is recorded
        "skipped". Returns the scored nodes and how many candidates were proposed.
        """
        self.step += 1
        todo = list(requests)
        ready: list[Node] = []
        done: list[Node] = []
        proposed = 0
        why = ""
        ahead: Future[tuple[list[Node], list[tuple]]] | None = None
        with ThreadPoolExecutor(max_workers=1) as pool:
            while True:
                while len(ready) < self.chunk and (todo or ahead is not None):
                    if ahead is not None:
                        new = self._landed(ahead)
                    else:
                        new = self._constrain(self.fill(_take(todo, self.chunk - len(ready))), stage)
                    ahead = None
                    proposed += len(new)
                    ready += new
                if not ready:
                    break
                part, ready = ready[: self.chunk], ready[self.chunk :]
                if self.prefetch and todo and len(ready) < self.chunk and self._can_pay_after(len(part)):
                    ahead = pool.submit(self._fill_ahead, _take(todo, self.chunk - len(ready)), stage)
                got, hit = self._batch(part, stage)
                done += got
                if hit or self.queries.exhausted:
                    why = "a contrast was found first" if hit else "the budget was spent"
                    break
            if ahead is not None:
                new = self._landed(ahead)
                proposed += len(new)
                ready += new
        for n in ready:
            self._record(n, stage, "skipped", "none", f"not asked: {why} (prefetched)")
        return done, proposed

    def _can_pay_after(self, asked: int) -> bool:
        """Whether the call budget may still pay for a prompt after ``asked`` more (cache hits
        are free, so this may say no too early: then the next batch is infilled in time)."""
        budget = self.queries.call_budget
        return budget is None or self.queries.paid + asked < budget

    def _fill_ahead(self, requests: list[FillRequest], stage: str) -> tuple[list[Node], list[tuple]]:
        """:meth:`fill` and the constraints in the prefetching worker; its trace entries are
        handed back. Its infiller time counts as infiller time (:meth:`fill` measures it in
        whichever thread fills); how long the worker ran is kept apart, to tell how much of
        it the target's answering hid (:attr:`Counters.overlapped`)."""
        self._local.notes = []
        t0 = time.perf_counter()
        try:
            return self._constrain(self.fill(requests), stage), self._local.notes
        finally:
            self._local.notes = None
            self.counters.seconds["prefetch"] += time.perf_counter() - t0

    def _landed(self, ahead: Future[tuple[list[Node], list[tuple]]]) -> list[Node]:
        """The prefetched candidates, their trace entries written now (in the main thread, so
        the trace has the order it has without prefetching)."""
        t0 = time.perf_counter()
        nodes, notes = ahead.result()
        self.counters.seconds["prefetch_wait"] += time.perf_counter() - t0
        for args in notes:
            self._record(*args)
        return nodes

    def _note(self, *args: object) -> None:
        """Write a trace entry, or keep it for the main thread when a worker fills."""
        notes = getattr(self._local, "notes", None)
        if notes is None:
            self._record(*args)  # type: ignore[arg-type]
        else:
            notes.append(args)

    def _batch(self, part: Sequence[Node], stage: str) -> tuple[list[Node], bool]:
        """Query and score one target batch; the scored nodes and whether one reached δ.

        A truncated response is scored on its complete sentences; a response the scorer
        could not score is recorded "unscored" and counted.
        """
        results = self.queries.query([n.candidate.text for n in part])
        answered = [(n, r) for n, r in zip(part, results) if r.response is not None]
        for n, r in zip(part, results):
            if r.response is None:  # no budget left, or the target cannot take the prompt
                if r.skipped:
                    n.dropped = r.skipped  # it never can: not offered again
                self._record(n, stage, "skipped" if r.skipped else "over-budget", "none", r.skipped)
        done: list[Node] = []
        if answered:
            items = [
                self.space.score_item(self.x0, self.y0_scored, n.candidate, scored_text(r.response or "", r.truncated))
                for n, r in answered
            ]
            self.counters.scorer += len(items)
            t0 = time.perf_counter()
            scores = self.scorer.score(items)
            self.counters.seconds["scorer"] += time.perf_counter() - t0
            shifts = self._shifts([n for n, _ in answered])
            for (n, r), s, moved in zip(answered, scores, shifts):
                n.response, n.truncated = r.response, r.truncated
                if s is None or not math.isfinite(s):
                    n.dropped = f"scorer '{self.scorer.name}' could not score this response"
                    self.counters.scorer_failures += 1
                    self._record(n, stage, "unscored", r.paid_by, n.dropped)
                    continue
                n.score, n.objective = float(s), self.goal.objective(float(s)) - self.meaning_weight * moved
                self._record(n, stage, "scored", r.paid_by)
                done.append(n)
                self.scored.append(n)
                self._by_text[n.candidate.text] = n
        if self.progress is not None:
            self.progress(self.queries.paid)
        return done, any(n.score is not None and self.goal.reached(n.score) for n in done)

    def _shifts(self, nodes: Sequence[Node]) -> list[float]:
        """How far each node's prompt moved from ``x0`` in meaning (zeros when not weighed)."""
        if self.shift is None or not nodes:
            return [0.0] * len(nodes)
        return [float(x) for x in self.shift(self.x0, [n.candidate.text for n in nodes])]

    def _constrain(self, nodes: list[Node], stage: str) -> list[Node]:
        """The nodes that pass every constraint; the others are recorded as skipped (kept
        for the main thread when a prefetching worker checks them)."""
        if not self.constraints or not nodes:
            return nodes
        keep = []
        for n, verdict in zip(nodes, self._verdicts(nodes)):
            if verdict is None:
                keep.append(n)
                continue
            name, why = verdict
            n.dropped = why
            self.counters.skipped_by[name] = self.counters.skipped_by.get(name, 0) + 1
            self._note(n, stage, "skipped", "none", why)
        return keep

    def _verdicts(self, nodes: list[Node]) -> list[tuple[str, str] | None]:
        """Per node, the first (check, reason) its checked pieces fail, or None. The space says
        what is checked: the whole prompt, or each edited turn of a conversation against that
        turn's original; pieces with the same original are checked in one batch."""
        assert self.constraints is not None
        verdict: list[tuple[str, str] | None] = [None] * len(nodes)
        groups: dict[str, list[tuple[int, str]]] = {}
        for i, n in enumerate(nodes):
            for original, piece in self.space.checked_pieces(n.candidate):
                groups.setdefault(original, []).append((i, piece))
        for original, members in groups.items():
            for (i, _), v in zip(members, self.constraints.check(original, [p for _, p in members])):
                if v is not None and verdict[i] is None:
                    verdict[i] = v
        return verdict

    def _record(self, n: Node, stage: str, status: str, paid_by: str, reason: str = "") -> None:
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
                reason=reason,
                truncated=n.truncated,
            )
        )

    def record_sample(self, prompt: str, edits_of: Node, stage: str, paid_by: str, response: str | None,
                      score: float | None, reason: str) -> None:
        """A re-sample of a prompt already in the trace (``--confirm``)."""
        self.trace.append(
            TraceEntry(self.step, stage, prompt, self.space.edits(edits_of.candidate),
                       "scored" if response is not None else "over-budget", paid_by,  # type: ignore[arg-type]
                       response, score, edits_of.trace_index, reason)
        )

    # -- results ---------------------------------------------------------------------
    def best(self, nodes: Sequence[Node] | None = None) -> Node | None:
        pool = [n for n in (self.scored if nodes is None else nodes) if n.scored and self.usable(n)]
        return max(pool, key=lambda n: n.objective or 0.0, default=None)

    def hits(self) -> list[Node]:
        """Candidates reaching δ (and editing no banned unit), best first: fewest edits
        (Problem (1)), then best score, then the first found."""
        hits = [n for n in self.scored if self.goal.reached(n.score or 0.0) and self.usable(n)]
        return sorted(hits, key=lambda n: (n.candidate.n_edits, -(n.objective or 0.0), n.trace_index or 0))

    def winner(self) -> Node | None:
        """The best candidate reaching δ, if any (see :meth:`hits`)."""
        hits = self.hits()
        return hits[0] if hits else None

    def finish(self, reason: str) -> SearchResult:
        win = self.winner()
        if win is not None:
            return SearchResult(win, True, "threshold reached")
        notes = [reason] if reason else []
        if self.counters.skipped_by:
            by = ", ".join(f"{k} {v}" for k, v in sorted(self.counters.skipped_by.items()))
            notes.append(f"{sum(self.counters.skipped_by.values())} candidate(s) skipped by constraints ({by})")
        if self.counters.scorer_failures:
            notes.append(f"scorer '{self.scorer.name}' could not score {self.counters.scorer_failures} response(s)")
        return SearchResult(self.best(), False, "; ".join(notes))


def _take(todo: list[FillRequest], want: int) -> list[FillRequest]:
    """Pop requests off the front of ``todo`` until they ask for ``want`` candidates (one at least)."""
    out: list[FillRequest] = []
    asked = 0
    while todo and (not out or asked < want):
        r = todo.pop(0)
        out.append(r)
        asked += r.count
    return out
