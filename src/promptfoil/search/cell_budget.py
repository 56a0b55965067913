"""CELL-budget (paper Algorithm 1 with NUM_SEEDS, GENERATE_SEEDS, SAMPLE_SEEDS of Appendix A).

Outer loop ``t``: pick ``n_c = NUM_SEEDS(t)`` seeds, a share ``alpha`` of them by refilling
one more unit of an already perturbed prompt and the rest by perturbing a unit of ``x0``
not perturbed before. Inner loop (``ceil(ln n_c)`` rounds): sample ``n_p`` perturbations
around each seed, query and score them with the seeds, then keep the best half as seeds.

Deviations from the pseudocode, each on purpose:

* ``q = floor(B / ln B)`` is undefined or zero for tiny budgets: ``q = B`` when ``B < 3``;
  the inner loop runs at least once and samples at least one prompt per seed.
* Seeds are not re-queried in later inner rounds (the pseudocode's ``X_p ∪ X_C`` would ask
  the LLM for the same prompt twice); no prompt is ever queried twice.
* The budget is exact: the search stops mid-batch rather than make query ``B + 1``.
* Within an inner round the seeds are queried before the samples around them are infilled,
  and a batch stops at the first candidate that reaches δ: the same candidates in a cheaper
  order.
* When several candidates reach δ, the one with the fewest edits wins (Problem (1)
  minimises edits), then the highest score.
* The outer loop ends when the budget is spent, ``max_iters`` is reached, or no new
  perturbation can be generated (the search space is exhausted).
"""

from __future__ import annotations

import math

from ..errors import ConfigError
from .context import FillRequest, Node, SearchContext, SearchResult


def q_of(budget: int) -> int:
    """Queries per outer iteration, ``floor(B / ln B)`` (``B`` itself for ``B < 3``)."""
    if budget < 3:
        return budget
    return max(1, math.floor(budget / math.log(budget)))


def num_seeds(t: int, q: int) -> int:
    """Algorithm 3: ``2^(t+1)`` while ``(t + 1) * 2^t <= q``, else ``2^t``."""
    return 2 ** (t + 1) if (t + 1) * 2**t <= q else 2**t


def cell_budget(ctx: SearchContext, alpha: float = 0.5, max_iters: int = 100) -> SearchResult:
    """Needs a call budget ``B`` (``ctx.queries.call_budget``): ``q`` is derived from it."""
    budget = ctx.queries.call_budget
    if budget is None:
        raise ConfigError("cell-budget needs a call budget (--budget N); use --algorithm cell for none")
    q = q_of(budget)
    fresh = list(range(ctx.space.n_units))  # units of x0 not yet perturbed from x0
    explored: list[Node] = []  # X: scored perturbed prompts
    for t in range(1, max_iters + 1):
        if ctx.queries.exhausted:
            return ctx.finish(ctx.queries.stop_reason)
        n_c = num_seeds(t, q)
        # GENERATE_SEEDS (Algorithm 4)
        expandable = [n for n in explored if n.free]
        m1 = min(int(alpha * n_c), len(expandable))
        m2 = min(n_c - m1, len(fresh))
        requests = [FillRequest(n, ctx.rng.choice(n.free)) for n in ctx.rng.sample(expandable, m1)]
        for u in ctx.rng.sample(fresh, m2):
            fresh.remove(u)
            requests.append(FillRequest(ctx.root, u))
        seeds = ctx.fill(requests)
        if not seeds and not fresh and not any(n.free for n in explored):
            return ctx.finish("search space exhausted")
        if not seeds:
            continue
        m = len(seeds)
        rounds = max(1, math.ceil(math.log(n_c)))
        for j in range(1, rounds + 1):
            n_p = max(1, q // (m * rounds))
            # SAMPLE_SEEDS (Algorithm 5): n_p perturbations around each seed, plus the seeds
            samples = []
            for s in seeds:
                # at most every fill of every free unit: more picks could ask for nothing new
                picks = [ctx.rng.choice(s.free) for _ in range(min(n_p, len(s.free) * ctx.fills_per_mask))] if s.free else []
                counts: dict[int, int] = {}
                for u in picks:
                    counts[u] = counts.get(u, 0) + 1
                samples.extend(FillRequest(s, u, c) for u, c in counts.items())
            # The seeds are asked before their samples are infilled: a seed that reaches δ
            # saves the infilling of every sample.
            scored = ctx.evaluate([s for s in seeds if not s.scored], stage=f"budget:t{t}-j{j}")
            explored.extend(scored)
            if ctx.winner() is None and not ctx.queries.exhausted:
                around, _ = ctx.stream(samples, stage=f"budget:t{t}-j{j}")
                explored.extend(around)
                scored += around
            if ctx.winner() is not None:
                return ctx.finish("")
            if ctx.queries.exhausted:
                return ctx.finish(ctx.queries.stop_reason)
            m = max(1, math.ceil(m / 2))
            pool = [n for n in seeds + scored if n.scored and n.free]
            pool.sort(key=lambda n: -(n.objective or 0.0))  # BEST_SUBSET
            seeds = pool[:m]
            if not seeds:
                break
    return ctx.finish(f"max_iters={max_iters} reached")
