"""Target batches in the search: exact budgets, full batches, early stop, prefetched infills.

Stand-ins only (tests/standins.py): these check the bookkeeping, not what a model answers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

from promptfoil import Explainer, FunctionTarget, InfillRequest
from promptfoil.report.terminal import stage_line

PROMPT = "Why are rich people able to avoid financial ruin when markets crash so hard?"


class Batched(FunctionTarget):
    """A function target handed ``size`` prompts at a time; remembers each batch."""

    def __init__(self, size: int, fn=None, delay: float = 0.0) -> None:
        self.recorder = fn or RecordingFunction()
        super().__init__(self._answer, name=None)
        self.size = size
        self.delay = delay
        self.batches: list[list[str]] = []

    @property
    def batch_size(self) -> int:
        return self.size

    def _answer(self, prompts: list[str]) -> list[str]:
        self.batches.append(list(prompts))
        time.sleep(self.delay)
        return self.recorder(prompts)


class GappyInfiller(SuffixInfiller):
    """No fill for every third word (those masks give no candidate); optional delay per call."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay
        self.calls = 0

    def infill(self, requests: Sequence[InfillRequest]) -> list[list[str]]:
        self.calls += 1
        time.sleep(self.delay)
        full = super().infill(requests)
        return [[] if r.start % 3 == 0 else fills for r, fills in zip(requests, full)]


def explainer(target, infiller=None, **kw):
    return Explainer(target=target, infiller=infiller or SuffixInfiller(), scorer=LostWordsScorer(), cache=False, **kw)


@pytest.mark.parametrize("algorithm", ["cell", "cell-budget"])
@pytest.mark.parametrize("prefetch", [True, False])
def test_budget_is_exact_with_every_batch_size(algorithm, prefetch):
    for size in (1, 2, 3, 4, 7):
        for budget in (1, 2, 3, 5, 8, 13, 21, 34):
            target = Batched(size)
            result = explainer(target, GappyInfiller(), algorithm=algorithm, budget=budget,
                               threshold=1.0, prefetch=prefetch).explain(PROMPT)
            asked = [len(b) for b in target.batches[1:]]  # the first is LLM(x0), outside the budget
            assert sum(asked) == result.calls.target <= budget, (size, budget)
            assert all(n <= size for n in asked)
            paid = 0
            for n in asked:  # never more than the budget left, batch by batch
                assert n <= budget - paid
                paid += n


def test_stream_tops_up_batches_when_masks_give_nothing():
    target = Batched(4)
    result = explainer(target, GappyInfiller(), algorithm="cell", budget=None, threshold=1.0).explain(PROMPT)
    per_round: dict[int, int] = {}
    for t in result.trace:
        if t.status == "scored":
            per_round[t.step] = per_round.get(t.step, 0) + 1
    # A third of the masks propose nothing, yet every batch of a round but its last is full:
    # the stream infills further units until the batch is.
    expected = [n for k in per_round.values() for n in [4] * (k // 4) + ([k % 4] if k % 4 else [])]
    assert [len(b) for b in target.batches[1:]] == expected
    assert expected.count(4) >= 5


def test_a_hit_stops_between_batches_and_wastes_at_most_a_batch():
    class FirstWins(RecordingFunction):
        def __call__(self, prompts):
            out = super().__call__(prompts)
            return ["something else entirely" if self.calls == 2 and i == 0 else o for i, o in enumerate(out)]

    for size in (1, 2, 4, 8):
        target = Batched(size, FirstWins())
        result = explainer(target, algorithm="cell", budget=40, threshold=0.5).explain(PROMPT)
        assert result.found
        assert result.calls.target == size  # one batch: the winner and size - 1 wasted calls
        assert result.contrast_prompt == target.batches[1][0]


@pytest.mark.parametrize("algorithm", ["cell", "cell-budget"])
def test_prefetch_changes_nothing_but_the_time(algorithm):
    out = {}
    for prefetch in (True, False):
        target = Batched(3)
        ex = explainer(target, GappyInfiller(), algorithm=algorithm, budget=30, threshold=0.45, seed=4, prefetch=prefetch)
        d = ex.explain(PROMPT).to_dict()
        scored = [(t["prompt"], t["score"]) for t in d["trace"] if t["status"] == "scored"]
        out[prefetch] = (d["found"], d["contrast_prompt"], d["calls"]["target"], scored, target.batches)
    assert out[True] == out[False]


def test_prefetch_infills_the_next_batch_while_the_target_works():
    seconds = {}
    for prefetch in (False, True):
        target = Batched(2, delay=0.15)
        ex = explainer(target, GappyInfiller(delay=0.15), algorithm="cell", budget=8, threshold=1.0, prefetch=prefetch)
        t = time.perf_counter()
        ex.explain(PROMPT)
        seconds[prefetch] = time.perf_counter() - t
    # 4 batches: one by one, infill then target (8 waits); overlapped, about 5 waits
    assert seconds[True] < 0.85 * seconds[False], seconds


def test_nothing_is_prefetched_that_the_budget_cannot_pay_for():
    masks = {}
    for prefetch in (True, False):
        infiller = GappyInfiller()
        explainer(Batched(4), infiller, algorithm="cell", budget=8, threshold=1.0, prefetch=prefetch).explain(PROMPT)
        masks[prefetch] = len(infiller.requests)
    assert masks[True] == masks[False]


class PickyGappyInfiller(GappyInfiller):
    """Its fills of words ending in "e" read as broken to its fluency hook."""

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        return [-9.0 if "ex0" in t else -1.0 for t in texts]


@pytest.mark.parametrize("algorithm", ["cell", "cell-budget"])
def test_prefetched_candidates_pass_the_constraints_too(algorithm):
    out = {}
    for prefetch in (True, False):
        target = Batched(2, delay=0.01)
        ex = explainer(target, PickyGappyInfiller(delay=0.01), algorithm=algorithm, budget=12, threshold=1.0,
                       min_fluency=0.5, prefetch=prefetch)
        d = ex.explain(PROMPT).to_dict()
        asked = [p for b in target.batches[1:] for p in b]
        skipped = [t for t in d["trace"] if t["reason"].startswith("not fluent")]
        assert skipped and all("ex0" in t["prompt"] and t["paid_by"] == "none" for t in skipped)
        assert not any("ex0" in p for p in asked)  # never sent to the target
        per_round: dict[int, int] = {}
        for t in d["trace"]:
            if t["status"] == "scored":
                per_round[t["step"]] = per_round.get(t["step"], 0) + 1
        # batches are topped up with fluent candidates: all full but a round's last
        assert [len(b) for b in target.batches[1:]] == [n for k in per_round.values() for n in [2] * (k // 2) + [k % 2][: k % 2]]
        out[prefetch] = ([(t["prompt"], t["status"], t["reason"]) for t in d["trace"]], target.batches)
    assert out[True] == out[False]


def test_prefetched_infilling_counts_as_infiller_time():
    target, infiller = Batched(2, delay=0.1), GappyInfiller(delay=0.1)
    ex = explainer(target, infiller, algorithm="cell", budget=8, threshold=1.0, prefetch=True).explain(PROMPT)
    st = ex.seconds_by_stage
    assert st["infiller"] >= 0.1 * infiller.calls * 0.9  # the worker's infills are not lost
    assert st["target"] >= 0.1 * len(target.batches) * 0.9
    assert st["overlapped"] > 0.1  # some infilling happened while the target answered
    total = st["target"] + st["infiller"] + st["scorer"] + st["other"] - st["overlapped"]
    assert abs(total - ex.seconds) < 0.01
    assert st["target"] + st["infiller"] > ex.seconds  # it overlapped: more work than wall time
    assert f"{st['overlapped']:.1f}s of these overlapped" in stage_line(ex)  # the terminal says so
