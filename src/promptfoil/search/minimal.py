"""Minimal contrasts: undo the edits of a found contrast that it does not need.

A search stops at the first candidate that reaches δ; some of its edits may have been
carried along from the seed it grew from. This pass asks the target about the contrast
with edits undone, first one at a time (greedily, as long as some single undo still
reaches δ), then, for a contrast no single undo keeps, every smaller subset of its edits,
smallest first, and keeps the contrast with the fewest edits that still reaches δ against
the original ``(x0, y0)``. Its queries come from the same budget; a prompt already scored
costs nothing.
"""

from __future__ import annotations

from itertools import combinations

from .context import Node, SearchContext

#: Most subsets asked about in the subset step (it grows as 2^edits).
MAX_SUBSETS = 64


def _first_hit(ctx: SearchContext, nodes: list[Node], stage: str) -> Node | None:
    """Query ``nodes`` (stopping at a hit); the best that reaches δ, if any."""
    ctx.evaluate(nodes, stage=stage)
    hits = [n for n in nodes if n.scored and ctx.goal.reached(n.score or 0.0)]
    return max(hits, key=lambda n: n.objective or 0.0, default=None)


def minimize(ctx: SearchContext, node: Node) -> Node:
    """The contrast with the fewest of ``node``'s edits that still reaches δ."""
    current = node
    while current.candidate.n_edits > 1 and not ctx.queries.exhausted:
        units = sorted(current.candidate.units)
        tries = [ctx.variant(current, frozenset(units) - {u}) for u in units]
        hit = _first_hit(ctx, tries, f"minimize:undo-1-of-{len(units)}")
        if hit is None:
            break
        current = hit
    units = sorted(current.candidate.units)
    asked = 0
    for size in range(1, len(units) - 1):
        if ctx.queries.exhausted or asked >= MAX_SUBSETS:
            break
        subsets = list(combinations(units, size))[: MAX_SUBSETS - asked]
        asked += len(subsets)
        hit = _first_hit(ctx, [ctx.variant(current, frozenset(s)) for s in subsets], f"minimize:keep-{size}")
        if hit is not None:
            return hit
    return current
