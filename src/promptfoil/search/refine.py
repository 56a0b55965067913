"""What happens to a contrast once the search found one: minimise it, look for more that
edit other units, confirm them on a stochastic target. Each pass pays from the same budget
and counts its own queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import confirm as confirming
from .context import Node, SearchContext, SearchResult
from .diverse import more_contrasts
from .minimal import minimize


@dataclass(frozen=True)
class Passes:
    """Which passes run: ``minimize`` on/off, ``contrasts`` wanted, ``confirm`` re-samples."""

    minimize: bool = True
    contrasts: int = 1
    confirm: int = 0


@dataclass
class Refined:
    """The passes' outcome; ``contrasts`` are ranked, the first is the one reported."""

    found: bool
    stop_reason: str
    best: Node | None
    contrasts: list[Node] = field(default_factory=list)
    before: Node | None = None  # the contrast before minimisation (None: not minimised, or unchanged)
    stability: dict[int, float] = field(default_factory=dict)  # id(node) -> share held
    noise: float | None = None
    minimize_calls: int = 0
    confirm_calls: int = 0
    notes: list[str] = field(default_factory=list)


def refine(ctx: SearchContext, search: Callable[[SearchContext], SearchResult], result: SearchResult,
           passes: Passes) -> Refined:
    out = Refined(result.found, result.stop_reason, result.best)
    if result.found and result.best is not None:
        _minimise_and_diversify(ctx, search, result.best, passes, out)
    if passes.confirm:
        _confirm(ctx, passes.confirm, out)
    return out


def _minimise_and_diversify(ctx: SearchContext, search: Callable[[SearchContext], SearchResult], first: Node,
                            passes: Passes, out: Refined) -> None:
    def shrink(c: SearchContext, node: Node) -> Node:
        paid = c.queries.paid
        small = minimize(c, node)
        out.minimize_calls += c.queries.paid - paid
        return small

    best = first
    if passes.minimize:
        if ctx.queries.exhausted:
            out.notes.append("minimize: not run, the budget was spent finding the contrast")
        else:
            best = shrink(ctx, first)
            if best is not first:  # the contrast as found, kept only when minimising changed it
                out.before = first
            out.notes.append(
                f"minimize: {first.candidate.n_edits} -> {best.candidate.n_edits} edit(s), "
                f"{out.minimize_calls} call(s)"
            )
    out.contrasts = [best]
    if passes.contrasts > 1:
        paid = ctx.queries.paid
        out.contrasts, runs = more_contrasts(ctx, best, passes.contrasts, search, shrink if passes.minimize else None)
        extra = ctx.queries.paid - paid
        out.notes.append(
            f"contrasts: {len(out.contrasts)} of {passes.contrasts} wanted, editing disjoint units; "
            f"{runs} further search(es), {extra} call(s)"
        )
    out.best = out.contrasts[0]


def _confirm(ctx: SearchContext, k: int, out: Refined) -> None:
    if not ctx.queries.stochastic:
        out.notes.append("confirm: the target is deterministic (greedy), so re-asking would give the same "
                         "answers; nothing was re-asked (0 calls)")
        return
    if not out.found:
        out.notes.append("confirm: no contrast to confirm")
        return
    paid = ctx.queries.paid
    out.noise = confirming.noise_band(ctx, k)
    held: list[Node] = []
    for node in out.contrasts:
        c = confirming.check(ctx, node, k, out.noise)
        out.stability[id(node)] = c.stability
        if c.held:
            held.append(node)
    out.confirm_calls = ctx.queries.paid - paid
    first = out.contrasts[0]
    band = "n/a" if out.noise is None else f"{out.noise:.3f}"
    out.notes.append(f"confirm: {len(held)} of {len(out.contrasts)} contrast(s) held in a majority of {k} "
                     f"re-samples beyond the noise band {band}; {out.confirm_calls} call(s)")
    if held:
        out.contrasts = held
        out.best = held[0]
        return
    out.found = False
    out.best = first
    out.contrasts = []
    out.stop_reason = (f"threshold reached, but the contrast did not hold under re-sampling: it reached the "
                       f"threshold in {round(out.stability[id(first)] * k)} of {k} re-samples (noise band {band})")
