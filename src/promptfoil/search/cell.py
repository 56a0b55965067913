"""CELL, the myopic search (paper Algorithm 2).

Each round masks and refills every unit not yet edited in the current prompt, queries the
results, and keeps the best one as the new current prompt, until a candidate reaches δ or
every unit has been edited.

Deviations from the pseudocode, each on purpose:

* Scores compare against the original ``(x0, y0)``, not the current prompt: the
  constraint of Problem (1) is on the original, and a chain of small drifts must not pass
  for a contrast.
* ``LLM(x_c)`` is not asked again at the top of a round: the current prompt's response is
  already known from the round that chose it.
* A round stops at the first candidate that reaches δ instead of scoring all of them; it
  has the same number of edits as the round's argmax, so Problem (1) is served equally,
  with fewer calls. Units are infilled a batch at a time, so that stop also saves infills.
* A round visits its units in an order drawn from the seed, not left to right: with a
  budget smaller than the prompt, every unit has the same chance to be tried (a query
  order, ``--order``, then ranks the round's candidates by their promise).
* When the chain has edited every unit without reaching δ, the next-ranked fills of each
  single unit of ``x0`` are tried, best-ranked first, before giving up.
* The optional budget is exact: query ``B + 1`` is never made.
"""

from __future__ import annotations

from .context import FillRequest, Node, SearchContext, SearchResult


def _round(ctx: SearchContext, current: Node, units: list[int], stage: str) -> tuple[list[Node], int]:
    """Refill each of ``units`` once and query; the scored candidates and how many were new."""
    # Units are infilled a target batch at a time (the next batch while the target answers),
    # so that a hit early in the round saves the infilling of the rest; with a query order
    # the whole round is infilled first, so that it can be ranked.
    requests = [FillRequest(current, u, 1) for u in units]
    if ctx.prioritizer is None:
        return ctx.stream(requests, stage)
    children = ctx.fill(requests)
    return ctx.evaluate(children, stage=stage), len(children)


def _shuffled(ctx: SearchContext, units: tuple[int, ...]) -> list[int]:
    out = list(units)
    ctx.rng.shuffle(out)
    return out


def cell(ctx: SearchContext) -> SearchResult:
    current = ctx.root
    rnd = 0
    while current.free:
        if ctx.queries.exhausted:
            return ctx.finish(ctx.queries.stop_reason or "budget exhausted")
        rnd += 1
        scored, proposed = _round(ctx, current, _shuffled(ctx, current.free), f"cell:round-{rnd}")
        if ctx.winner() is not None:
            return ctx.finish("")
        best = ctx.best(scored)
        if not proposed or best is None:
            break
        current = best
    # The chain ended (every unit edited, or no new fill): next-ranked single-unit fills.
    rank = 1
    while not ctx.queries.exhausted:
        rank += 1
        _, proposed = _round(ctx, ctx.root, _shuffled(ctx, ctx.root.free), f"cell:fill-{rank}")
        if ctx.winner() is not None:
            return ctx.finish("")
        if not proposed:
            return ctx.finish(
                f"every fill the infiller proposed for a single unit was tried after the myopic chain: "
                f"{len(ctx.scored)} candidates scored, none reached the threshold"
            )
    return ctx.finish(ctx.queries.stop_reason or "budget exhausted")
