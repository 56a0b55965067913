"""Stable contrasts for stochastic targets (``--confirm K``).

A sampling target answers the same prompt differently from one call to the next, so a
response can pass δ by chance alone. The noise band is measured first: ``x0`` is re-asked
``K`` times and each re-sample is scored against ``y0`` like any candidate; the band is the
score furthest in the contrast direction. Each contrast prompt is then re-asked ``K`` times;
it holds when a strict majority of its re-samples reach δ *and* the median of their scores
lies beyond the noise band. ``stability`` is the share of re-samples that reach δ.
A deterministic target answers the same every time: nothing is re-asked.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from ..scorers.sentences import scored_text
from .context import Node, SearchContext


@dataclass(frozen=True)
class Check:
    """What re-asking one contrast showed."""

    stability: float  # share of answered re-samples reaching δ
    median: float  # median objective of the re-samples
    held: bool
    answered: int


def _scores(ctx: SearchContext, prompt: str, k: int, stage: str, of: Node) -> list[float]:
    """Re-ask ``prompt`` ``k`` times; the scores of the answers against ``(x0, y0)``."""
    results = ctx.queries.resample(prompt, k)
    answered = [r for r in results if r.response is not None]
    candidate = of.candidate if of.candidate.text == prompt else ctx.space.candidate({})
    items = [ctx.space.score_item(ctx.x0, ctx.y0_scored, candidate, scored_text(r.response or "", r.truncated))
             for r in answered]  # scored as the search scores: complete sentences, a conversation's messages
    scores = [float(s) for s in ctx.scorer.score(items)] if items else []
    ctx.counters.scorer += len(answered)
    it = iter(scores)
    for i, r in enumerate(results, 1):
        score = next(it) if r.response is not None else None
        ctx.record_sample(prompt, of, stage, r.paid_by, r.response, score, f"re-sample {i} of {k}")
    return scores


def noise_band(ctx: SearchContext, k: int) -> float | None:
    """The score of ``y0`` against its own re-samples furthest in the contrast direction."""
    scores = _scores(ctx, ctx.x0, k, "confirm:noise", ctx.root)
    if not scores:
        return None
    return max(scores, key=ctx.goal.objective)


def check(ctx: SearchContext, node: Node, k: int, noise: float | None) -> Check:
    """Re-ask ``node``'s prompt ``k`` times; it holds in a majority, beyond the noise band."""
    scores = _scores(ctx, node.candidate.text, k, "confirm:contrast", node)
    if not scores:
        return Check(0.0, float("-inf"), False, 0)
    reached = sum(ctx.goal.reached(s) for s in scores)
    median = statistics.median(ctx.goal.objective(s) for s in scores)
    beyond = noise is None or median > ctx.goal.objective(noise)
    return Check(reached / k, median, reached * 2 > k and beyond, len(scores))
