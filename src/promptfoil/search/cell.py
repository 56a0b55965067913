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
* The optional budget is exact: query ``B + 1`` is never made.
"""

from __future__ import annotations

from .context import FillRequest, SearchContext, SearchResult


def cell(ctx: SearchContext) -> SearchResult:
    current = ctx.root
    for rnd in range(1, ctx.space.n_units + 1):
        if ctx.queries.exhausted:
            return ctx.finish(ctx.queries.stop_reason or "budget exhausted")
        if not current.free:
            break
        # Units are infilled a batch at a time and queried at once (the next batch infilled
        # while the target answers), so a hit early in the round saves the infilling of the
        # rest; with a query order, the whole round is infilled first so that it can be ranked.
        if ctx.prioritizer is None:
            scored, proposed = ctx.stream([FillRequest(current, u, 1) for u in current.free], f"cell:round-{rnd}")
        else:
            children = ctx.fill([FillRequest(current, u, 1) for u in current.free])
            proposed = len(children)
            scored = ctx.evaluate(children, stage=f"cell:round-{rnd}")
        if ctx.winner() is not None:
            return ctx.finish("")
        if not proposed:
            return ctx.finish("the infiller has no new fill for any unit")
        best = ctx.best(scored)
        if best is None:
            return ctx.finish(ctx.queries.stop_reason or "budget exhausted")
        current = best
    return ctx.finish("every unit was edited without reaching the threshold")
