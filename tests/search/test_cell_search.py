"""CELL and CELL-budget on deterministic stand-ins: budgets, dedup, determinism, edits,
directions, protected spans, the query order, the time and token budgets, and a cost that
follows the work done, not the budget."""

from __future__ import annotations

import time

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil import ConfigError, Explainer, FunctionTarget
from promptfoil.search.cell_budget import num_seeds, q_of, rounds_of, seeds_within

PROMPT = "Why are rich people able to avoid financial ruin when markets crash so hard?"


def make(fn=None, *, algorithm="cell-budget", budget=40, threshold=0.3, **kw):
    fn = fn or RecordingFunction()
    ex = Explainer(
        target=kw.pop("target", fn), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
        algorithm=algorithm, budget=budget, threshold=threshold, cache=kw.pop("cache", False), **kw,
    )
    return ex, fn


def apply_edits(prompt, edits):
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: e.start):
        assert prompt[e.start : e.end] == e.old
        out.append(prompt[pos : e.start])
        out.append(e.new)
        pos = e.end
    out.append(prompt[pos:])
    return "".join(out)


@pytest.mark.parametrize("algorithm", ["cell", "cell-budget"])
def test_budget_is_never_exceeded_for_budgets_1_to_200(algorithm):
    for budget in range(1, 201):
        ex, fn = make(algorithm=algorithm, budget=budget, threshold=1.0)
        result = ex.explain(PROMPT)
        perturbed = [p for p in fn.prompts if p != PROMPT]
        assert len(perturbed) == result.calls.target <= budget, budget
        assert result.calls.original == 1
        assert len(fn.prompts) == len(set(fn.prompts)), f"a prompt was queried twice (budget {budget})"


@pytest.mark.parametrize("algorithm", ["cell", "cell-budget"])
def test_budgets_of_one_two_three_work(algorithm):
    for budget in (1, 2, 3):
        ex, fn = make(algorithm=algorithm, budget=budget, threshold=0.05)
        result = ex.explain(PROMPT)
        assert result.calls.target == budget or result.found
        assert result.contrast_prompt is not None
        assert result.found  # one edit removes 1 of 15 words: 0.067 >= 0.05


@pytest.mark.parametrize("algorithm", ["cell", "cell-budget"])
def test_no_prompt_is_queried_twice(algorithm):
    ex, fn = make(algorithm=algorithm, budget=150, threshold=0.5)
    ex.explain(PROMPT)
    assert len(fn.prompts) == len(set(fn.prompts))
    assert len(fn.prompts) > 20


@pytest.mark.parametrize("algorithm", ["cell", "cell-budget"])
def test_same_seed_same_result(algorithm):
    def run(seed):
        d = make(algorithm=algorithm, budget=60, threshold=0.25, seed=seed)[0].explain(PROMPT).to_dict()
        d.pop("seconds"), d.pop("seconds_by_stage")
        return d

    assert run(3) == run(3)
    if algorithm == "cell-budget":
        assert any(run(s)["trace"] != run(3)["trace"] for s in (4, 5, 6))


@pytest.mark.parametrize("algorithm", ["cell", "cell-budget"])
def test_edits_are_the_actual_difference(algorithm):
    ex, _ = make(algorithm=algorithm, budget=100, threshold=0.25)
    result = ex.explain(PROMPT)
    assert result.found and result.score >= 0.25
    assert len(result.edits) >= 4  # 4 of 15 words must go
    assert apply_edits(PROMPT, result.edits) == result.contrast_prompt
    for entry in result.trace:
        assert apply_edits(PROMPT, entry.edits) == entry.prompt
        assert all(e.old != e.new for e in entry.edits)


def test_cell_edits_one_more_unit_per_round():
    ex, _ = make(algorithm="cell", budget=None, threshold=0.2, minimize=False)
    result = ex.explain(PROMPT)
    rounds = sorted({t.stage for t in result.trace})
    assert result.found and len(result.edits) == 3  # 3/15 = 0.2
    assert len(rounds) == 3
    for t in result.trace:
        assert len(t.edits) == int(t.stage.rsplit("-", 1)[1])


def test_not_found_keeps_the_best_candidate_as_best_try():
    ex, _ = make(algorithm="cell-budget", budget=10, threshold=1.0)
    result = ex.explain(PROMPT)
    assert not result.found
    assert result.contrast_prompt is None and result.score is None  # never shown as a contrast
    best = max(t.score for t in result.trace if t.score is not None)
    assert result.best_try is not None and result.best_try.score == best
    assert result.stop_reason == "call budget of 10 spent"


def test_decrease_direction_uses_lower_scores():
    class Negative(LostWordsScorer):
        direction = "decrease"
        bounds = (-1.0, 0.0)

        def score(self, items):
            return [-s for s in super().score(items)]

    ex = Explainer(target=RecordingFunction(), infiller=SuffixInfiller(), scorer=Negative(),
                   budget=50, threshold=-0.2, cache=False)
    result = ex.explain(PROMPT)
    assert result.found and result.score <= -0.2 and result.direction == "decrease"


def test_protected_span_is_never_edited():
    start = PROMPT.index("rich")
    end = PROMPT.index("ruin") + 4
    ex, fn = make(budget=120, threshold=1.0)
    result = ex.explain(PROMPT, protected=[(start, end)])
    protected = PROMPT[start:end]
    assert all(protected in p for p in fn.prompts)
    assert all(not (e.start < end and start < e.end) for t in result.trace for e in t.edits)


def test_num_seeds_and_q_follow_appendix_a():
    assert q_of(1) == 1 and q_of(2) == 2 and q_of(3) == 2
    assert q_of(100) == 15  # floor(100 / log2 100)
    assert [num_seeds(t, 21) for t in (1, 2, 3, 4)] == [4, 8, 8, 16]
    # NUM_SEEDS capped so that the seeds and one sample per seed per round fit in q
    assert [seeds_within(t, 15) for t in (1, 2, 3, 4)] == [4, 4, 4, 4]
    assert all(seeds_within(t, q) * (1 + rounds_of(seeds_within(t, q))) <= q for t in range(1, 9) for q in range(2, 80))


def test_infiller_and_scorer_calls_are_counted():
    ex, _ = make(budget=20, threshold=1.0)
    result = ex.explain(PROMPT)
    assert result.calls.scorer == ex.scorer.items == result.calls.target
    assert result.calls.infiller == len(ex.infiller.requests) > 0


class WordOrder:
    """Stand-in query order: the candidate that edits "ruin" first."""

    name = "edited-words"

    def rank(self, x0, prompts):
        return [2.0 if "ruinx0" in p else 1.0 for p in prompts]


def test_query_order_changes_which_candidates_are_asked_first_not_the_budget():
    plain = make(algorithm="cell", budget=None, threshold=0.05)[0].explain(PROMPT)
    ordered_ex = Explainer(target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                           algorithm="cell", budget=None, threshold=0.05, cache=False, order=WordOrder())
    ordered = ordered_ex.explain(PROMPT)
    assert plain.found and ordered.found
    assert plain.edits[0].old != "ruin"  # the seed's unit order asks another unit first
    assert ordered.edits[0].old == "ruin"  # the order put the candidate editing "ruin" first
    assert ordered.calls.target == plain.calls.target == 1


def test_content_first_seeds_leave_function_word_units_for_last():
    """CELL-budget's seeds take the units of x0 in the seed's draw with function-word units
    moved last; 'random' keeps the draw (and then starts on a function word for some seed)."""
    prompt = "Is it wrong to lie to my friend about her boyfriend?"
    content = {"wrong", "lie", "friend", "boyfriend"}

    def first_edit(order: str, seed: int) -> str:
        fn = RecordingFunction()
        ex, _ = make(fn, budget=6, threshold=1.0, seed=seed, unit_order=order)
        ex.explain(prompt)
        return next(w for w in fn.prompts[1].split() if "x0" in w).split("x0")[0].strip("?")

    assert all(first_edit("content-first", seed) in content for seed in range(8))
    assert any(first_edit("random", seed) not in content for seed in range(8))
    with pytest.raises(ConfigError, match="unit_order"):
        make(unit_order="alphabetical")


def test_unknown_order_is_a_clear_error():
    with pytest.raises(ConfigError, match="unknown query order"):
        make(order="random-ish")


def test_time_budget_stops_every_search():
    """--time-budget works whatever the target: the search stops once the seconds are spent."""
    import time as _time

    def slow(prompts):
        _time.sleep(0.05)
        return RecordingFunction()(prompts)

    for algorithm in ("cell", "cell-budget"):
        ex = Explainer(target=slow, infiller=SuffixInfiller(), scorer=LostWordsScorer(), algorithm=algorithm,
                       threshold=1.0, budget=1000, time_budget=0.3, cache=False)
        result = ex.explain(PROMPT)
        assert not result.found
        assert result.stop_reason.startswith("time budget of 0.3 s spent")
        assert result.calls.target < 20


def test_token_budget_counts_what_the_target_reports():
    from promptfoil.types import Reply

    class Costly(FunctionTarget):
        def _generate_batch(self, prompts):
            return [Reply(p.upper(), tokens=10) for p in prompts]

    ex = Explainer(target=Costly(lambda ps: ps, name="costly"), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                   threshold=1.0, budget=1000, token_budget=45, cache=False)
    result = ex.explain(PROMPT)
    # 10 tokens for the original, then 10 per candidate, checked before each batch of 1
    assert result.calls.target == 4
    assert result.stop_reason.startswith("token budget of 45 spent")


def test_a_huge_unused_budget_costs_nothing_extra():
    import tracemalloc

    class Zero(LostWordsScorer):
        def score(self, items):
            return [0.0] * len(items)

    def cost(budget: int) -> tuple[float, int]:
        tracemalloc.start()
        t0 = time.perf_counter()
        promptfoil.explain("Hello there friend", target=RecordingFunction(), infiller=SuffixInfiller(),
                           scorer=Zero(), cache=False, budget=budget)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return seconds, peak

    small_s, small_peak = cost(400)
    big_s, big_peak = cost(10**8)
    assert big_peak < small_peak + 5_000_000  # no allocation in proportion to the budget
    assert big_s < small_s + 3.0
