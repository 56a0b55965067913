"""``promptfoil.uses.gate``: the verdict of every stored item against a new target (holds,
drifted, lost, failed, skipped), found or not, the broken share, and what is refused, with stand-ins.

The results files are written by a real dataset run over deterministic stand-ins
(tests/gate_results.py): the target answers a prompt's sorted distinct words, the scorer is
the share of lost words (δ = 0.3), so each three-word prompt's contrast is one edited word."""

from __future__ import annotations

import pytest
from gate_results import old_model, record, write_results
from standins import LostWordsScorer, SuffixInfiller, sorted_words

from promptfoil import Explainer, FunctionTarget, ScoreItem
from promptfoil.errors import PromptfoilError
from promptfoil.runs import RunItem, read_results
from promptfoil.uses.experiments.common import run_config
from promptfoil.uses.gate import GateSummary, gate


@pytest.fixture()
def results(tmp_path):
    """3 found contrasts (ids 1-3), one not found (4), one the run failed on (5)."""
    return write_results(tmp_path)


def verdicts(report) -> dict[str, str]:
    return {i.id: i.verdict for i in report.items}


def test_unchanged_target_holds_everywhere_with_two_calls_per_found_item(results):
    asked: list[str] = []

    def new(prompts: list[str]) -> list[str]:
        asked.extend(prompts)
        return old_model(prompts)

    report = gate(read_results(results), new, LostWordsScorer())
    assert verdicts(report) == {"1": "holds", "2": "holds", "3": "holds", "4": "holds", "5": "skipped"}
    assert report.summary.passed and report.summary.checked == 4 and report.summary.broken == 0
    found = [record(results, i) for i in "123"]
    not_found = record(results, "4")["prompt"]  # no contrast: only its original prompt is asked
    assert sorted(asked) == sorted([not_found] + [p for r in found for p in (r["prompt"], r["contrast_prompt"])])


def test_a_results_file_written_by_an_experiment_is_gated_alike(tmp_path):
    ex = Explainer(target=FunctionTarget(old_model, name="old"), infiller=SuffixInfiller(),
                   scorer=LostWordsScorer(), threshold=0.3, budget=5, fills_per_mask=2, cache=False)
    records = run_config("lost-words__cell-budget__k1", [RunItem("a", "the cat sat")], ex,
                         tmp_path / "runs" / "cell.jsonl")
    assert "trace" not in records[0]
    assert verdicts(gate(records, old_model, LostWordsScorer())) == {"a": "holds"}
    assert verdicts(gate(records, lambda ps: ["moved"] * len(ps), LostWordsScorer())) == {"a": "drifted"}


def test_a_changed_answer_to_one_original_prompt_is_exactly_that_item_drifted(results):
    def new(prompts: list[str]) -> list[str]:
        return ["a completely new answer" if p == "a dog barks" else a for p, a in zip(prompts, old_model(prompts))]

    report = gate(read_results(results), new, LostWordsScorer())
    assert verdicts(report) == {"1": "holds", "2": "drifted", "3": "holds", "4": "holds", "5": "skipped"}
    assert not report.summary.passed and report.summary.drifted == 1


def test_a_contrast_prompt_answered_like_the_original_is_exactly_that_item_lost(results):
    xc = record(results, "3")["contrast_prompt"]

    def new(prompts: list[str]) -> list[str]:
        return [sorted_words("birds fly south") if p == xc else a for p, a in zip(prompts, old_model(prompts))]

    report = gate(read_results(results), new, LostWordsScorer())
    assert verdicts(report) == {"1": "holds", "2": "holds", "3": "lost", "4": "holds", "5": "skipped"}
    lost = report.items[2]
    assert lost.drift == 0.0 and lost.flip == 0.0 and "needs >= δ=0.3" in lost.reason


def test_drift_compares_stored_and_new_original_answer_and_flip_the_two_new_answers(results):
    class Recording(LostWordsScorer):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[ScoreItem] = []

        def score(self, items):
            self.seen.extend(items)
            return super().score(items)

    def new(prompts: list[str]) -> list[str]:
        return [f"new {a}" for a in old_model(prompts)]

    scorer = Recording()
    gate(read_results(results), new, scorer)
    r = record(results, "1")
    x0, y0, xc = r["prompt"], r["response"], r["contrast_prompt"]
    y0n, ycn = f"new {sorted_words(x0)}", f"new {sorted_words(xc)}"
    assert ScoreItem(x0, y0, x0, y0n) in scorer.seen  # drift: stored y0 vs new y0' (same prompt)
    assert ScoreItem(x0, y0n, xc, ycn) in scorer.seen  # flip: new y0' vs new yc'
    assert len(scorer.seen) == 7  # drift and flip of 3 found items, the drift of the not-found one


def test_a_prompt_the_new_target_refuses_fails_only_its_item(results):
    x0 = record(results, "1")["prompt"]  # the first prompt asked: refused before any answer

    def new(prompts: list[str]) -> list[str]:
        if x0 in prompts:
            raise RuntimeError("context too long")
        return old_model(prompts)

    report = gate(read_results(results), new, LostWordsScorer())
    assert verdicts(report) == {"1": "failed", "2": "holds", "3": "holds", "4": "holds", "5": "skipped"}
    assert "context too long" in report.items[0].reason and report.summary.failed == 1


def test_a_target_that_answers_nothing_is_unreachable_not_a_regression(results):
    asked: list[str] = []

    def down(prompts: list[str]) -> list[str]:
        asked.extend(prompts)
        raise ConnectionError("connection refused")

    with pytest.raises(PromptfoilError, match="answered none of the prompts asked: .*connection refused"):
        gate(read_results(results), down, LostWordsScorer())
    assert len(asked) == 2  # it gives up after two failures, not after every prompt


def test_a_scorer_without_a_finite_score_fails_the_item(results):
    class NaNOnSecond(LostWordsScorer):
        def score(self, items):
            return [float("nan") if "dog" in it.x0 else s for it, s in zip(items, super().score(items))]

    report = gate(read_results(results), old_model, NaNOnSecond())
    assert verdicts(report)["2"] == "failed" and verdicts(report)["1"] == "holds"


def test_the_broken_share_counts_checked_items_only():
    s = GateSummary(total=6, holds=3, drifted=1, lost=0, failed=0, skipped=2, max_broken=0.25)
    assert (s.checked, s.broken, s.broken_share, s.passed) == (4, 1, 0.25, True)  # equal: passes
    assert not GateSummary(6, 3, 1, 0, 0, 2, max_broken=0.2).passed
    assert not GateSummary(4, 3, 0, 0, 1, 0, max_broken=0.0).passed  # a failed item is broken
    assert GateSummary(4, 4, 0, 0, 0, 0, max_broken=0.0).passed


def test_an_item_without_a_contrast_is_checked_for_drift_only(results):
    x0 = record(results, "4")["prompt"]
    not_found = [r for r in read_results(results) if r.get("found") is False]
    report = gate(not_found, lambda ps: ["something else" if p == x0 else a for p, a in zip(ps, old_model(ps))],
                  LostWordsScorer())
    [item] = report.items
    assert item.verdict == "drifted" and not item.found and item.flip is None and item.still_flips is None
    assert item.new_contrast_response is None and report.summary.checked == 1


def test_results_the_run_failed_on_entirely_are_refused(results):
    failed_only = [r for r in read_results(results) if "error" in r]
    with pytest.raises(PromptfoilError, match="nothing to check"):
        gate(failed_only, old_model, LostWordsScorer())
