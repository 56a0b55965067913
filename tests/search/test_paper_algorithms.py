"""The search against the paper's Algorithms 1-5, on deterministic stand-ins: distinct seeds
per round, each outer iteration within q queries, every ranked fill tried before the space is
called exhausted, no idling to max_iters, budgeted CELL not scanning units left to right, and
skipped candidates in the trace. They exercise the bookkeeping, not a model."""

from __future__ import annotations

import math
import zlib
from collections import defaultdict

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

from promptfoil import Explainer
from promptfoil.search import context as search_context
from promptfoil.search.cell_budget import q_of

PROMPT = "Why are rich people able to avoid financial ruin when markets crash so hard?"


class NeverScorer(LostWordsScorer):
    """Scores every candidate 0: the threshold is never reached, the search runs to its end."""

    def score(self, items):
        super().score(items)
        return [0.0] * len(items)


class HashScorer(LostWordsScorer):
    """A fixed pseudo-random score per candidate prompt, below 0.5: seeds may outrank their samples."""

    def score(self, items):
        super().score(items)
        return [zlib.crc32(it.xc.encode()) % 1000 / 2000 for it in items]


def make(*, scorer=None, infiller=None, algorithm="cell-budget", budget=40, threshold=0.5, **kw):
    fn = RecordingFunction()
    ex = Explainer(
        target=fn, infiller=infiller or SuffixInfiller(), scorer=scorer or LostWordsScorer(),
        algorithm=algorithm, budget=budget, threshold=threshold, cache=False, **kw,
    )
    return ex, fn


def test_best_subset_never_keeps_the_same_seed_twice(monkeypatch):
    """Every seed of a round is distinct (a seed listed twice would get double samples)."""
    calls: list[list] = []
    real = search_context.SearchContext.fill

    def spy(self, requests):
        calls.append(list(requests))
        return real(self, requests)

    monkeypatch.setattr(search_context.SearchContext, "fill", spy)
    for budget in (60, 100, 150):
        calls.clear()
        make(scorer=HashScorer(), budget=budget, minimize=False)[0].explain(PROMPT)
        for reqs in calls:
            per_node: dict[int, int] = defaultdict(int)
            pairs = set()
            for r in reqs:
                if r.node.trace_index is None:
                    continue  # the root: seeds drawn from x0
                per_node[id(r.node)] += r.count
                assert (id(r.node), r.unit) not in pairs, "a seed was sampled around twice"
                pairs.add((id(r.node), r.unit))
            # Each seed of a round gets the same number of samples, n_p; a seed kept twice gets 2 n_p.
            assert len(set(per_node.values())) <= 1, (budget, sorted(per_node.values()))


@pytest.mark.parametrize("budget", [20, 40, 60, 100, 150, 200, 300])
def test_each_outer_iteration_stays_within_q(budget):
    """NUM_SEEDS grows as 2^t, yet an outer iteration never spends more than q queries."""
    ex, _ = make(scorer=NeverScorer(), budget=budget, minimize=False)
    result = ex.explain(PROMPT)
    spent: dict[str, int] = defaultdict(int)
    for t in result.trace:
        if t.paid_by == "budget":
            spent[t.stage.split("-j")[0]] += 1
    assert spent, "nothing was queried"
    assert max(spent.values()) <= q_of(budget), dict(spent)


def test_one_word_prompt_tries_the_next_ranked_fills_before_giving_up():
    """Every ranked fill of the one unit is tried before the stop reason says the space is exhausted."""
    for algorithm in ("cell", "cell-budget"):
        ex, fn = make(scorer=NeverScorer(), algorithm=algorithm, budget=40, fills_per_mask=6)
        result = ex.explain("Hello")
        assert result.calls.target == 6, algorithm  # every fill of the one unit was asked
        assert "every fill" in result.stop_reason and "6" in result.stop_reason, result.stop_reason


def test_outer_loop_does_not_idle_until_max_iters():
    """After the fresh units run out the loop goes on spending the budget; it does not idle to max_iters."""
    ex, _ = make(scorer=NeverScorer(), budget=200, fills_per_mask=6)
    result = ex.explain("alpha beta gamma")  # 342 distinct candidates exist: the budget can be spent
    assert result.calls.target == 200, (result.calls.target, result.stop_reason)
    assert result.stop_reason == "call budget of 200 spent"


def test_a_small_space_is_reported_as_exhausted_with_the_count():
    ex, _ = make(scorer=NeverScorer(), budget=500, fills_per_mask=2)
    result = ex.explain("alpha beta")  # 2 + 2 single edits, 4 double edits
    assert result.calls.target == 8
    assert result.stop_reason.startswith("every fill"), result.stop_reason
    assert "8" in result.stop_reason


def test_budgeted_cell_does_not_scan_units_left_to_right():
    """With budget 40 on a 200-word prompt, units beyond the first 40 are tried, in an order from the seed."""
    prompt = " ".join(f"w{i}" for i in range(200)) + "."
    tried = {}
    for seed in (0, 1):
        ex, _ = make(scorer=NeverScorer(), algorithm="cell", budget=40, seed=seed)
        result = ex.explain(prompt)
        units = [e.unit for t in result.trace if t.status == "scored" for e in t.edits]
        assert len(units) == 40
        assert max(units) >= 40 and sum(u >= 100 for u in units) >= 10, sorted(units)
        tried[seed] = units
    assert tried[0] != tried[1]  # the order comes from the seed


class EchoingInfiller(SuffixInfiller):
    """Returns the masked words themselves (a no-op) and the same fill twice, then new ones."""

    def infill(self, requests):
        self.requests.extend(requests)
        return [[r.old, f"{r.old}x0", f"{r.old}x0", f"{r.old}x1"] for r in requests]


def test_trace_records_no_op_and_duplicate_fills_as_skipped():
    """Candidates dropped before querying (no-op and duplicate fills) are in the trace as skipped."""
    ex, fn = make(scorer=NeverScorer(), infiller=EchoingInfiller(), algorithm="cell", budget=None, threshold=0.5)
    result = ex.explain("alpha beta")
    skipped = [t for t in result.trace if t.status == "skipped"]
    reasons = [getattr(t, "reason", "") for t in skipped]
    assert any("no-op" in r for r in reasons), reasons
    assert any("duplicate" in r for r in reasons), reasons
    assert all(t.paid_by == "none" and t.response is None for t in skipped)
    assert len(fn.prompts) == len(set(fn.prompts))  # still never asked twice
    for t in result.trace:
        assert all(e.old != e.new for e in t.edits) or t.status == "skipped"


def test_log_base_of_q_and_rounds_is_the_documented_one():
    """q = floor(B / log2 B), as the authors' code does (measured better, see the docstring)."""
    assert q_of(100) == math.floor(100 / math.log2(100)) == 15
    assert q_of(40) == 7
