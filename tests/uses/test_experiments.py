"""Experiments run on the stand-ins: the tables grid against its run files and its resumption,
the length bins, and the calls-vs-length figure.

The stand-ins make no claim about models: these tests check the bookkeeping of the grid, the
tables against the run files, resumption and the figure file."""

from __future__ import annotations

import csv

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

from promptfoil import Explainer, FunctionTarget
from promptfoil.runs import RunItem, _item, read_results
from promptfoil.targets.cache import ResponseCache
from promptfoil.uses.datasets import SUMMARY_INSTRUCTION, shipped_set
from promptfoil.uses.experiments.calls_vs_length import length_bins, run_calls_vs_length
from promptfoil.uses.experiments.tables import run_tables
from promptfoil.uses.metrics import compute, llm_calls


def items_of(rows: list[dict]) -> list[RunItem]:
    return [_item(r, "test", n) for n, r in enumerate(rows, 1)]


def test_tables_grid_writes_tables_that_match_the_runs_and_resumes(tmp_path):
    fn = RecordingFunction()
    target = FunctionTarget(fn, name="recording")
    thresholds = {"strict": 0.9, "loose": 0.2}

    def make(scorer: str, algorithm: str, k: int) -> Explainer:
        return Explainer(target=target, infiller=SuffixInfiller(), scorer=LostWordsScorer(), algorithm=algorithm,
                         split_k=k, threshold=thresholds[scorer], budget=6, fills_per_mask=2)

    items = items_of(shipped_set("mic-style")[:5])
    out = tmp_path / "exp"
    cells = run_tables(items, out, make, scorers=["strict", "loose"], split_ks=[1, 2],
                       compare_scorer=LostWordsScorer(), baseline_target=target, cache=ResponseCache())
    assert len(cells) == 2 * 2 * 2
    for c in cells:
        recs = read_results(out / "runs" / f"{c.scorer}__{c.algorithm}__k{c.split_k}.jsonl")
        assert len(recs) == 5 and all(r["split_k"] == c.split_k and r["algorithm"] == c.algorithm for r in recs)
        assert c.metrics.flip_rate.mean == compute(recs).flip_rate.mean
    loose = [c for c in cells if c.scorer == "loose"]
    strict = [c for c in cells if c.scorer == "strict"]
    assert sum(c.metrics.found for c in loose) > sum(c.metrics.found for c in strict)

    with (out / "tables" / "properties-loose.csv").open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [r["split_k"] for r in table] == ["1", "2"]
    want = {c.split_k: c.metrics.flip_rate.mean for c in loose if c.algorithm == "cell-budget"}
    assert [float(r["cell-budget flip rate"]) for r in table] == [want[1], want[2]]
    md = (out / "tables" / "comparison-loose.md").read_text(encoding="utf-8")
    assert "baseline vs cell-budget" in md and "±" in md

    calls_before = fn.calls
    run_tables(items, out, make, scorers=["strict", "loose"], split_ks=[1, 2],
               compare_scorer=LostWordsScorer(), baseline_target=target, cache=ResponseCache())
    assert fn.calls == calls_before  # everything resumed or cached: no target call


def test_length_bins_cover_every_length_once():
    lengths = [27, 30, 45, 50, 80, 120, 200, 281]
    bins = length_bins(lengths, 3)
    assert bins[0][0] == 27 and bins[-1][1] == 282
    assert all(sum(lo <= x < hi for lo, hi in bins) == 1 for x in lengths)


def test_calls_vs_length_figure_on_standins(tmp_path):
    def make(k: int) -> Explainer:
        return Explainer(target=FunctionTarget(RecordingFunction(), name="rec"), infiller=SuffixInfiller(),
                         scorer=LostWordsScorer(), algorithm="cell-budget", split_k=k, threshold=0.9,
                         budget=5, fills_per_mask=2)

    items = items_of(shipped_set("news")[::4])  # 8 documents of growing length
    pts, png = run_calls_vs_length(items, tmp_path, make, split_ks=[1, 2], n_bins=3, budget=5)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from matplotlib.image import imread

    assert imread(str(png)).std() > 0.01
    recs = read_results(tmp_path / "runs" / "calls__k1.jsonl")
    assert all(r["contrast_prompt"] is None or r["contrast_prompt"].startswith(SUMMARY_INSTRUCTION) for r in recs)
    mine = [p for p in pts if p.split_k == 1]
    assert sum(p.calls.n for p in mine) == len(items)
    overall = sum(p.calls.mean * p.calls.n for p in mine) / len(items)
    assert overall == pytest.approx(sum(llm_calls(r) for r in recs) / len(recs))
    assert all(r["calls"]["target"] <= 5 for r in recs)  # the budget holds
    assert (tmp_path / "calls-vs-length.csv").exists()
