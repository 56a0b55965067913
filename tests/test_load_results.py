"""``promptfoil.load_results``: the records of a results file (last one per id) as a sequence
of dicts or a pandas DataFrame (pandas optional), with one-line errors for bad files."""

from __future__ import annotations

import json

import pytest
import trace_fakes

import promptfoil
from promptfoil import PromptfoilError


def _write(path, recs, tail: str = ""):
    path.write_text("".join(json.dumps(r) + "\n" for r in recs) + tail, encoding="utf-8")
    return path


def test_records_last_per_id_and_typed_explanations(tmp_path):
    a, b = trace_fakes.record("a", n=6, seed=1), trace_fakes.record("b", n=6, seed=2)
    failed = {"id": "a", "prompt": "p", "error": "boom"}
    path = _write(tmp_path / "r.jsonl", [failed, b, a], tail='{"id": "c", "fou')  # a torn last line
    res = promptfoil.load_results(path)
    assert [r["id"] for r in res] == ["b", "a"] and len(res) == 2 and res[1] == a
    assert [e.prompt for e in res.explanations()] == [b["prompt"], a["prompt"]]


def test_data_frame_or_a_clear_line_without_pandas(tmp_path):
    path = _write(tmp_path / "r.jsonl", [trace_fakes.record("a", n=4), trace_fakes.record("b", n=4)])
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(PromptfoilError, match="needs pandas, which is not installed: pip install pandas"):
            promptfoil.load_results(path, frame=True)
        return
    df = promptfoil.load_results(path, frame=True)
    assert list(df["id"]) == ["a", "b"] and "trace" not in df.columns and "found" in df.columns


@pytest.mark.parametrize("text, needle", [
    ('{"id": "a", "found": true}\nnot json\n{"id": "b", "found": false}\n', "line 2: not valid JSON"),
    ('{"prompt": "a row, not a result"}\n', "line 1: not a promptfoil results file"),
    ("[1, 2]\n", "line 1: expected a JSON object"),
])
def test_bad_files_are_one_line_errors(tmp_path, text, needle):
    path = tmp_path / "bad.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PromptfoilError, match=needle):
        promptfoil.load_results(path)
    with pytest.raises(PromptfoilError, match="results file not found"):
        promptfoil.load_results(tmp_path / "missing.jsonl")
