"""Experiments, baseline comparison and prompt-set loaders, run on the stand-ins.

The stand-ins make no claim about models: these tests check the bookkeeping of the grid,
the tables against the run files, resumption, the figure file and the baseline plumbing.
"""

from __future__ import annotations

import csv
import json

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

from promptfoil import Explainer, FunctionTarget, PromptfoilError
from promptfoil.uses.baseline import BASELINE_TEMPLATE, baseline_prompt, compare
from promptfoil.uses.datasets import SUMMARY_INSTRUCTION, load_mic_csv, load_xsum, shipped_set
from promptfoil.uses.experiments.calls_vs_length import length_bins, run_calls_vs_length
from promptfoil.uses.experiments.tables import run_tables
from promptfoil.uses.metrics import compute, llm_calls
from promptfoil.runs import RunItem, _item, read_results
from promptfoil.targets.cache import ResponseCache


def items_of(rows: list[dict]) -> list[RunItem]:
    return [_item(r, "test", n) for n, r in enumerate(rows, 1)]


def test_shipped_sets_have_the_promised_sizes_and_shapes():
    mic = shipped_set("mic-style")
    assert len(mic) == 100 and len({r["prompt"] for r in mic}) == 100
    assert all(r["prompt"].endswith("?") for r in mic)
    demo = shipped_set("demo")
    assert len(demo) == 12
    news = shipped_set("news")
    lengths = [r["words"] for r in news]
    assert len(news) == 30 and min(lengths) < 40 and max(lengths) > 250
    for r in news:
        (s, e), = r["protected"]
        assert r["prompt"][s:e] == SUMMARY_INSTRUCTION
    with pytest.raises(PromptfoilError, match="shipped sets"):
        shipped_set("nope")


def test_mic_csv_reader_filters_split_and_drops_repeats(tmp_path):
    p = tmp_path / "MIC.csv"
    with p.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Q", "A", "rot", "split"])
        w.writerow(["Is it ok to lie?", "No.", "Lying is bad", "test"])
        w.writerow(["Is it ok to lie?", "Maybe.", "It depends", "test"])
        w.writerow(["Should I share?", "Yes.", "Sharing is good", "train"])
        w.writerow(["Can I borrow it?", "Ask.", "Ask first", "test"])
    assert [r["prompt"] for r in load_mic_csv(p)] == ["Is it ok to lie?", "Can I borrow it?"]
    assert len(load_mic_csv(p, split=None)) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("question\nx\n", encoding="utf-8")
    with pytest.raises(PromptfoilError, match="'Q' column"):
        load_mic_csv(bad)


def test_xsum_reader_takes_summary_files_and_jsonl(tmp_path):
    folder = tmp_path / "xsum"
    folder.mkdir()
    (folder / "123.summary").write_text(
        "[SN]URL[SN]\nhttp://example\n[SN]TITLE[SN]\nT\n[SN]FIRST-SENTENCE[SN]\nA short summary.\n"
        "[SN]RESTBODY[SN]\nThe body of the   story.\nSecond line.\n", encoding="utf-8")
    (row,) = load_xsum(folder)
    assert row["id"] == "xsum-123" and row["reference"] == "A short summary."
    assert row["prompt"] == SUMMARY_INSTRUCTION + "The body of the story. Second line."
    j = tmp_path / "x.jsonl"
    j.write_text(json.dumps({"id": "9", "document": "Doc text here.", "summary": "S"}) + "\n", encoding="utf-8")
    assert load_xsum(j)[0]["prompt"].endswith("Doc text here.")


def test_baseline_template_is_filled_without_interpreting_the_inputs():
    text = baseline_prompt("What is {x}?", "It is {0} and {prompt}.")
    assert "worse than this one: It is {0} and {prompt}.\nThe question it answered: What is {x}?" in text
    assert BASELINE_TEMPLATE.count("{") == 2


def test_compare_scores_original_and_baseline_against_contrast():
    rows = [
        {"id": "1", "found": True, "prompt": "p one", "response": "a b c d", "contrast_prompt": "q one",
         "contrast_response": "a b"},
        {"id": "2", "found": True, "prompt": "p two", "response": "a b", "contrast_prompt": "q two",
         "contrast_response": "a b"},
        {"id": "3", "found": False, "prompt": "p three", "response": "z", "contrast_prompt": "q",
         "contrast_response": "y"},
    ]
    asked = RecordingFunction()

    def baseline(batch: list[str]) -> list[str]:
        asked(batch)
        return ["x y" for _ in batch]

    summary, items = compare(rows, LostWordsScorer(), FunctionTarget(baseline, name="b"), ResponseCache())
    # original vs contrast: lost {c, d} of 4 = 0.5 and nothing of 2 = 0.0 -> mean 0.25
    assert summary.original_vs_contrast.mean == pytest.approx(0.25) and summary.items == 2
    # baseline "x y" vs contrast "a b": both words lost -> 1.0 each
    assert summary.baseline_vs_contrast.mean == pytest.approx(1.0)
    assert [i.id for i in items] == ["1", "2"]
    assert asked.prompts[0] == baseline_prompt("p one", "a b c d")
    compare(rows, LostWordsScorer(), FunctionTarget(baseline, name="b"), ResponseCache())
    assert len(asked.prompts) == 2  # the second comparison came from the cache


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
