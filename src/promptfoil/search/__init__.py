"""Search stage: CELL (myopic) and CELL-budget, over a shared :class:`SearchContext`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import Registry
from .cell import cell
from .cell_budget import cell_budget
from .context import Node, SearchContext, SearchResult

SearchFn = Callable[..., SearchResult]
searches: Registry[SearchFn] = Registry("algorithm")


@searches.register("cell", "myopic search (paper Alg. 2): edit the best unit, then the next")
def _make_cell(**_: Any) -> SearchFn:
    return lambda ctx, budget=None, **kw: cell(ctx)


@searches.register("cell-budget", "budgeted search (paper Alg. 1, 3-5): seeds, samples, best half")
def _make_cell_budget(alpha: float = 0.5, max_iters: int = 100, **_: Any) -> SearchFn:
    def run(ctx: SearchContext, budget: int | None = None, **kw: Any) -> SearchResult:
        return cell_budget(ctx, budget if budget is not None else 40, alpha=alpha, max_iters=max_iters)

    return run


__all__ = ["Node", "SearchContext", "SearchResult", "cell", "cell_budget", "searches"]
