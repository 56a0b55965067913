"""The fluency-model comparison's arithmetic (benchmarks/quality/fluency_cut.py, fluency_pos.py).

No model is loaded: drops are given by hand, and ``timed_drops`` is replaced by a stand-in,
so these check how margins, AUC and the report are computed, not which model is better.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks" / "quality"))

import fluency_cut as fc  # noqa: E402
import fluency_pos as fp  # noqa: E402


def _rows() -> list[dict]:
    rows = []
    for part in ("demo", "mic-style"):
        for k in range(4):
            rows.append({"set": part, "label": "broken", "candidate": f"{part} b{k}", "prompt": "p"})
            rows.append({"set": part, "label": "fluent", "candidate": f"{part} f{k}", "prompt": "p"})
    return rows


def test_auc_counts_broken_over_fluent_pairs_and_halves_ties():
    rows = [{"label": "broken"}, {"label": "fluent"}, {"label": "fluent"}]
    assert fc.auc(rows, [1.0, 0.0, 2.0]) == 0.5
    assert fc.auc(rows, [1.0, 1.0, 0.0]) == 0.75


def test_at_recall_takes_the_largest_margin_that_keeps_the_recall():
    rows = [{"label": "broken"}, {"label": "broken"}, {"label": "fluent"}]
    s = fc.at_recall(rows, [0.42, 0.9, 0.1], 1.0)
    assert s["recall"] == 1.0 and s["margin"] == 0.4


def test_auc_gap_of_a_model_with_itself_is_zero():
    rows = _rows()
    d = [1.0 if r["label"] == "broken" else 0.0 for r in rows]
    assert fc.auc_gap(rows, d, d, draws=50) == (0.0, 0.0)


def test_compare_reports_each_model_with_its_cost_ratio(monkeypatch: pytest.MonkeyPatch):
    rows = _rows()
    perfect = [1.0 if r["label"] == "broken" else 0.0 for r in rows]
    shuffled = [float(i % 3) for i in range(len(rows))]
    cost = {"a": 1.0, "b.gguf": 4.0}
    monkeypatch.setattr(fc, "timed_drops", lambda rs, m: (perfect if m == "a" else shuffled, cost[m]))
    text = fc.compare(rows, ["a", "b.gguf"], repeats=2)
    line_a = next(x for x in text.splitlines() if x.startswith("| a |"))
    line_b = next(x for x in text.splitlines() if x.startswith("| b.gguf |"))
    assert "1.00 (4/4)" in line_a and line_a.endswith("| 1.0x |")
    assert line_b.endswith("| 4.0x |")
    assert text.count("| mic-style |") == 8  # one per held-out candidate


def test_read_drops_takes_the_per_candidate_table_of_a_report(tmp_path: Path):
    rows = _rows()[:2]
    report = tmp_path / "r.md"
    report.write_text("| set | label | m1 | m2 | candidate |\n|---|---|---|---|---|\n"
                      "| demo | fluent | 0.10 | -0.20 | demo f0 |\n| demo | broken | 1.50 | 2.00 | demo b0 |\n")
    assert fp.read_drops(report, rows) == {"m1": [1.5, 0.1], "m2": [2.0, -0.2]}


def test_a_parse_cut_is_a_cut_at_any_margin():
    rows = _rows()
    drops = [0.0] * len(rows)
    parse = [r["label"] == "broken" for r in rows]
    _, cut = fp.with_likelihood(rows, parse, drops)
    assert cut == parse
