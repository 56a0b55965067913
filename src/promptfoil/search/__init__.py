"""Search stage: decides which candidates to build and ask, CELL (myopic) and CELL-budget.
Owns the search context, goal and prompt space; reaches the query stage only through ``protocols.Queries``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any
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


def _options_of(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The keyword options of a search function (all but the context and the log): its
    factory takes exactly these, so a new option of the search is a parameter of that
    function plus its declaration in :class:`~promptfoil.config.Search`, nothing more."""
    return tuple(p for p in inspect.signature(fn).parameters if p not in ("ctx", "log"))


@searches.register("cell-budget", "budgeted search (paper Alg. 1, 3-5): seeds, samples, best half",
                   options=_options_of(cell_budget))
def _make_cell_budget(calls: int | None = None, **options: Any) -> SearchFn:
    require_call_budget(calls)  # refused when built, before any model loads
    return lambda ctx: cell_budget(ctx, **options)


__all__ = ["Node", "SearchContext", "SearchResult", "cell", "cell_budget", "searches"]
