"""Search stage: decides which candidates to build and ask, CELL (myopic) and CELL-budget.
Owns the search context, goal and prompt space; reaches the query stage only through ``protocols.Queries``."""

from __future__ import annotations

from collections.abc import Callable
from ..registry import Registry
from .cell import cell
from .cell_budget import cell_budget, require_call_budget
from .context import Node, SearchContext, SearchResult

#: A search takes the context of one explanation and returns its result; every limit
#: (calls, tokens, seconds) is read from the query stage the context holds. A factory
#: declares the options it takes (``calls``: the call budget; ``alpha``, ``max_iters``,
#: ``unit_order``, ``give_up``) and is given only those.
SearchFn = Callable[[SearchContext], SearchResult]
searches: Registry[SearchFn] = Registry("algorithm")


@searches.register("cell", "myopic search (paper Alg. 2): edit the best unit, then the next")
def _make_cell() -> SearchFn:
    return cell  # CELL edits every unit in each round: no option to choose


@searches.register("cell-budget", "budgeted search (paper Alg. 1, 3-5): seeds, samples, best half")
def _make_cell_budget(
    calls: int | None = None, alpha: float = 0.5, max_iters: int = 100, unit_order: str = "content-first",
    give_up: tuple[float, float] | None = None,
) -> SearchFn:
    require_call_budget(calls)  # refused when built, before any model loads
    return lambda ctx: cell_budget(ctx, alpha=alpha, max_iters=max_iters, unit_order=unit_order, give_up=give_up)


__all__ = ["Node", "SearchContext", "SearchResult", "cell", "cell_budget", "searches"]
