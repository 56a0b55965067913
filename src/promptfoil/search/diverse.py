"""Several contrasts: different ways to flip the answer, no two editing the same unit.

The candidates of the one search that reach δ come first, taken greedily in rank order
(fewest edits, then best score) while they edit none of the units already used. When
fewer than ``n`` are found and budget remains, the same search runs again with the used
units banned (what was scored is kept, so nothing is asked twice), until ``n`` contrasts
are found, the search finds none, or no unit is left.
"""

from __future__ import annotations

from collections.abc import Callable

from .context import Node, SearchContext, SearchResult

Search = Callable[[SearchContext], SearchResult]
Shrink = Callable[[SearchContext, Node], Node]


def _take(ctx: SearchContext, chosen: list[Node], n: int, shrink: Shrink | None) -> None:
    """Add disjoint hits already scored, best first, to ``chosen``."""
    for hit in ctx.hits():
        if len(chosen) >= n:
            return
        used = frozenset().union(*(c.candidate.units for c in chosen))
        if hit.candidate.units & used:
            continue
        chosen.append(shrink(ctx, hit) if shrink is not None and not ctx.queries.exhausted else hit)


def more_contrasts(ctx: SearchContext, first: Node, n: int, search: Search, shrink: Shrink | None = None) -> tuple[list[Node], int]:
    """Up to ``n`` contrasts, ``first`` among them, ranked by edits then score; and how
    many extra searches were run."""
    chosen = [first]
    runs = 0
    while len(chosen) < n:
        used = frozenset().union(*(c.candidate.units for c in chosen))
        ctx.restrict(used)
        _take(ctx, chosen, n, shrink)
        if len(chosen) >= n or ctx.queries.exhausted or not ctx.root.free:
            break
        runs += 1
        if not search(ctx).found:
            break
    ctx.restrict(frozenset())
    chosen.sort(key=lambda c: (c.candidate.n_edits, -(c.objective or 0.0), c.trace_index or 0))
    return chosen, runs
