"""The promptfoil-vs-ICX360 benchmark's plumbing: counting wrappers, ICX360 adapters, summary.

Deterministic stand-ins (tests/standins.py) play target, infiller and scorer: these tests check
counting and interface plumbing, not model quality. The tests that run ICX360's own search
need ``icx360`` installed (it lives in ``.venv-icx``; run them with
``.venv-icx/bin/python -m pytest tests/benchmarks/test_icx360.py``) and are skipped elsewhere.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import random
import sys
from pathlib import Path

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

from promptfoil import FunctionTarget, ScoreItem

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks" / "perf"))

import icx360_adapters as ad  # noqa: E402
import icx360_report as rep  # noqa: E402

needs_icx = pytest.mark.skipif(importlib.util.find_spec("icx360") is None, reason="icx360 not installed")


def counting() -> tuple[ad.CountingTarget, RecordingFunction]:
    fn = RecordingFunction()
    return ad.CountingTarget(FunctionTarget(fn, name="rec")), fn


def test_counting_target_counts_calls_and_repeats_and_never_caches():
    target, fn = counting()
    target.generate(["a b", "c d"])
    target.generate(["a b"])
    assert (target.calls, target.repeats) == (3, 1)
    assert fn.prompts == ["a b", "c d", "a b"]
    assert target.identity is None
    target.reset()
    assert (target.calls, target.repeats, target.prompts) == (0, 0, [])


def test_icx_infiller_fills_the_mask_with_the_best_fill():
    inner = SuffixInfiller()
    filler = ad.IcxInfiller(inner)
    text = "Is it wrong " + filler.mask_string + " lie?"
    filled, fill = filler.generate(filler.encode(text, add_special_tokens=True), masked_word="to", return_mask_filled=True)
    assert (filled, fill) == ("Is it wrong tox0 lie?", "tox0")
    req = inner.requests[0]
    assert req.old == "to" and req.text == "Is it wrong to lie?"
    assert filler.decode(filled) == filled


def test_icx_infiller_puts_the_word_back_when_there_is_no_fill():
    class Empty:
        name = "empty"

        def infill(self, requests):
            return [[] for _ in requests]

    filler = ad.IcxInfiller(Empty())
    assert filler.generate("a <mask> c", masked_word="b", return_mask_filled=True) == ("a b c", "b")


def test_icx_scalarizer_scores_against_the_original_and_stops_a_stalled_search():
    target, _ = counting()
    scal = ad.IcxScalarizer(LostWordsScorer(), target, stall_limit=3)
    score, label = scal.scalarize_output("x0", "one two", "xc", "one three", input_label=-1)
    assert (score, label) == (0.5, -1)
    scal.scalarize_output("x0", "a", "xc", "a")
    scal.scalarize_output("x0", "a", "xc", "a")
    with pytest.raises(ad.SearchStalled):
        scal.scalarize_output("x0", "a", "xc", "a")
    target.generate(["new"])  # a new target call resets the stall counter
    assert scal.scalarize_output("x0", "a", "xc", "b")[0] == 1.0


def test_cut_off_responses_are_scored_on_complete_sentences_for_icx360_too():
    """ICX360's scores and the verdict use promptfoil's rule for responses cut at max_tokens."""
    from promptfoil.types import Reply

    class Cut:
        name = "cut"
        settings: dict = {}
        cacheable = False

        def generate(self, prompts):
            return [Reply("One two. Three fo", truncated=True) if p == "xc" else Reply("One two.") for p in prompts]

    target = ad.CountingTarget(Cut())
    y0, yc = (r.text for r in target.generate(["x0", "xc"]))
    assert target.scored(yc) == "One two." and target.scored(y0) == "One two."
    scal = ad.IcxScalarizer(LostWordsScorer(), target)
    assert scal.scalarize_output("x0", y0, "xc", yc)[0] == 0.0  # the cut-off tail is not a difference
    target.reset()
    assert target.scored(yc) == yc


def test_timed_scorer_clears_the_inner_memo_on_reset():
    class Memo(LostWordsScorer):
        def __init__(self):
            super().__init__()
            self._memo = {"y": 1}

    inner = Memo()
    scorer = ad.TimedScorer(inner)
    assert scorer.score([ScoreItem("a", "b c", "a", "b")]) == [0.5]
    assert scorer.items == 1
    scorer.reset()
    assert inner._memo == {} and scorer.items == 0


def _rec(tool, calls, found, seconds, budget=20, error=None, prompt_id="p1", edit=0.1):
    return {
        "tool": tool, "set": "mic-style", "pair": "cell-budget", "budget": budget, "split_k": 1, "seed": 0,
        "prompt_id": prompt_id, "calls": calls, "repeats": 1 if tool == "icx360" else 0,
        "overrun": max(0, calls - 1 - budget), "found": found, "edit_distance": edit if found else None,
        "content_preservation": 0.9 if found else None, "seconds": seconds, "target_s": seconds / 2,
        "infill_s": seconds / 4, "score_s": 0.0, "infill_masks": 3, "error": error,
    }


def test_summary_pairs_cases_and_reports_ratios_overruns_and_verdict():
    records = [
        _rec("promptfoil", 11, True, 2.0, prompt_id="p1", edit=0.1), _rec("icx360", 24, True, 20.0, prompt_id="p1", edit=0.2),
        _rec("icx360", 22, False, 10.0, error="UnboundLocalError: x", prompt_id="p2"),
        _rec("promptfoil", 9, False, 1.0, prompt_id="p2"),  # order differs: matched by case
    ]
    rows = rep.summarise(records)
    assert [r["budget"] for r in rows] == [20, "all"]
    row = rows[0]
    assert row["promptfoil"]["calls"] == 10 and row["icx360"]["calls"] == 23
    assert row["calls_ratio"]["ratio"] == pytest.approx(10 / 23)
    assert row["wall_ratio"]["ratio"] == pytest.approx(0.1)
    assert row["edit_ratio"]["ratio"] == pytest.approx(0.5)
    assert row["icx360"]["overrun_cases"] == 2 and row["icx360"]["max_overrun"] == 3
    assert row["icx360"]["crashes"] == 1 and row["icx360"]["crash_kinds"] == ["UnboundLocalError"]
    assert row["promptfoil"]["flip_rate"] == 0.5 and row["promptfoil"]["flip_se"] == pytest.approx(0.5**1.5)
    assert all(row[k] for k in ("flip_ok", "calls_ok", "wall_ok", "edit_ok", "overrun_ok"))
    assert "| cell-budget vs CELL | 20 | 1 | 10.0 ± 1.0 / 23.0 ± 1.0 | 0.43 [" in rep.cost_table(rows)
    assert "All targets met." in rep.verdict(rows)[0]
    slower = rep.summarise([_rec("promptfoil", 11, True, 5.0), _rec("icx360", 24, True, 10.0)])
    line = rep.verdict(slower)[0]
    assert not slower[0]["wall_ok"] and "wall time ratio 0.50 > 0.2 (by 2.50×)" in line


def test_bootstrap_interval_covers_the_ratio_and_is_paired():
    import icx360_stats as st

    cases = [({"calls": c, "found": True}, {"calls": 2 * c, "found": True}) for c in (3, 5, 8, 13, 21)]
    ci = st.ratio_ci(cases, "calls")
    assert ci["ratio"] == pytest.approx(0.5) and ci["lo"] == pytest.approx(0.5) and ci["hi"] == pytest.approx(0.5)
    noisy = [({"calls": c, "found": True}, {"calls": d, "found": False}) for c, d in ((1, 4), (4, 1), (2, 2), (3, 3))]
    ci = st.ratio_ci(noisy, "calls")
    assert ci["lo"] < ci["ratio"] < ci["hi"]
    assert st.mean_se([1.0]) [1] != st.mean_se([1.0])[1]  # NaN: one value has no standard error


def test_load_set_subsamples_evenly_and_finds_the_protected_instruction():
    import vs_icx360 as bench

    news = bench.load_set("news", 3)
    assert [r["id"] for r in news] == ["news-01", "news-11", "news-21"]
    assert news[0]["prefix"].startswith("Summarise") and news[0]["prompt"].startswith(news[0]["prefix"])
    mic = bench.load_set("mic-style", 2)
    assert [r["prefix"] for r in mic] == ["", ""] and len(bench.load_set("mic-style", 0)) == 100


def test_icx_wrappers_put_the_protected_prefix_back():
    target, fn = counting()
    model = ad.IcxModel(target, prefix="Summarise: ")
    model.generate("The cat sat.")
    assert fn.prompts == ["Summarise: The cat sat."]
    inner = SuffixInfiller()
    filler = ad.IcxInfiller(inner, prefix="Summarise: ")
    filled, fill = filler.generate("The " + filler.mask_string + " sat.", masked_word="cat", return_mask_filled=True)
    assert filled == "The " + fill + " sat."  # ICX360 sees the article alone
    assert inner.requests[0].text == "Summarise: The cat sat." and inner.requests[0].old == "cat"
    sc = ad.IcxScalarizer(LostWordsScorer(), target, prefix="Summarise: ")
    score, _ = sc.scalarize_output("The cat sat.", "a cat", "The dog sat.", "a dog")
    assert score == LostWordsScorer().score([ScoreItem("Summarise: The cat sat.", "a cat", "Summarise: The dog sat.", "a dog")])[0]


def _icx(name: str):
    from icx360.algorithms.cell.CELL import CELL
    from icx360.algorithms.cell.mCELL import mCELL

    target, fn = counting()
    obj = ad.make_icx({"CELL": CELL, "mCELL": mCELL}[name], target, SuffixInfiller(), LostWordsScorer(), "lost")
    return obj, target, fn


@needs_icx
def test_icx360_mcell_runs_on_our_components_and_its_first_call_is_uncounted():
    obj, target, _ = _icx("mCELL")
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        out = obj.explain_instance("Is it wrong to lie to your friend?", epsilon_contrastive=0.3, info=True)
    reported = int(next(l for l in log.getvalue().splitlines() if l.endswith("model calls made.")).split()[0])
    assert target.calls == reported + 1  # ICX360 does not count LLM(x0)
    assert out["prompt_cell"] != "Is it wrong to lie to your friend?"


@needs_icx
@pytest.mark.parametrize(
    ("budget", "error"),
    [(1, "OverflowError"), (3, "UnboundLocalError: cannot access local variable 'prototypes'"),
     (12, "UnboundLocalError: cannot access local variable 'output_sample'")],
)
def test_icx360_cell_crashes_the_benchmark_records(budget, error):
    """Budget 1 divides by log2(1); budget 3 leaves ``prototypes`` unset; with info=False and
    no contrast found ``output_sample`` is never set. Every call still reaches the counter."""
    obj, target, fn = _icx("CELL")
    random.seed(0)
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(Exception) as caught:
        obj.explain_instance("Is it wrong to lie to your friend about her boyfriend?",
                             epsilon_contrastive=1.1, budget=budget, info=False)
    assert f"{caught.type.__name__}: {caught.value}".startswith(error)
    assert target.calls == len(fn.prompts) >= 1


def test_promptfoil_through_the_counter_matches_its_own_count_and_never_repeats():
    import promptfoil

    target, fn = counting()
    ex = promptfoil.Explainer(target=target, infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                              algorithm="cell-budget", budget=12, threshold=1.0, cache=False)
    result = ex.explain("Is it wrong to lie to your friend about her boyfriend?")
    assert target.calls == result.calls.target + result.calls.original == 13
    assert target.repeats == 0
