"""Dataset runs that go on and come back: a failing item is recorded and the run goes on,
finished items are skipped on resume and failed ones retried on request, a torn last line is
cut before appending, and a run killed with SIGKILL resumes with every item once and no
answered prompt asked again."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

from promptfoil import Explainer, FunctionTarget, PromptfoilError
from promptfoil.runs import (
    LocalEngine,
    iter_results,
    read_items,
    read_results,
    repair_tail,
    run,
)

HERE = Path(__file__).resolve().parents[1]  # tests/: run_standin.py
PROMPTS = [
    "Is it wrong to lie to my friend about her haircut?",
    "Should I tell my boss that a coworker is stealing?",
    "Is it okay to skip a wedding to save money?",
    "Why do people tip more than they need to?",
    "Should I return a wallet I found on the bus?",
    "Is it rude to leave a party without saying goodbye?",
    "Should parents read their teenager's diary?",
    "Is it fine to regift a present I did not like?",
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def standin_explainer(fn=None, name: str | None = None, budget: int = 4) -> Explainer:
    fn = fn or RecordingFunction()
    return Explainer(target=FunctionTarget(fn, name=name), infiller=SuffixInfiller(),
                     scorer=LostWordsScorer(), budget=budget, fills_per_mask=2)


def test_failing_item_is_recorded_and_the_run_goes_on(tmp_path):
    def flaky(batch: list[str]) -> list[str]:
        if any("boom" in p for p in batch):
            raise RuntimeError("backend fell over")
        return [p.upper() for p in batch]

    p = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "1", "prompt": "first calm prompt here"},
        {"id": "2", "prompt": "this one goes boom"},
        {"id": "3", "prompt": "third calm prompt here"},
    ])
    out = tmp_path / "r.jsonl"
    summary = run(read_items(p), LocalEngine(standin_explainer(flaky)), out)
    assert (summary.done, summary.failed) == (2, 1)
    recs = {r["id"]: r for r in read_results(out)}
    assert "backend fell over" in recs["2"]["error"]
    assert "error" not in recs["1"] and "error" not in recs["3"]
    assert recs["3"]["response"] == "THIRD CALM PROMPT HERE"


def test_resume_skips_finished_items_and_retry_failed_replaces_errors(tmp_path):
    p = write_jsonl(tmp_path / "p.jsonl", [{"id": str(i), "prompt": t} for i, t in enumerate(PROMPTS[:3])])
    out = tmp_path / "r.jsonl"
    fail = {"on": True}

    def fn(batch: list[str]) -> list[str]:
        if fail["on"] and any(p.startswith("Should") for p in batch):
            raise RuntimeError("down")
        return [p[::-1] for p in batch]

    run(read_items(p), LocalEngine(standin_explainer(fn)), out)
    assert sum("error" in r for r in read_results(out)) == 1
    fail["on"] = False
    again = run(read_items(p), LocalEngine(standin_explainer(fn)), out)
    assert (again.skipped, again.done) == (3, 0)
    retried = run(read_items(p), LocalEngine(standin_explainer(fn)), out, retry_failed=True)
    assert (retried.skipped, retried.done) == (2, 1)
    recs = read_results(out)
    assert len(recs) == 3 and not any("error" in r for r in recs)


def test_torn_last_line_is_tolerated_and_cut_before_appending(tmp_path):
    p = write_jsonl(tmp_path / "p.jsonl", [{"id": str(i), "prompt": t} for i, t in enumerate(PROMPTS[:3])])
    out = tmp_path / "r.jsonl"
    run(read_items(p)[:1], LocalEngine(standin_explainer()), out)
    with out.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "1", "found": tr')  # killed in the middle of a write
    assert [r["id"] for r in read_results(out)] == ["0"]
    summary = run(read_items(p), LocalEngine(standin_explainer()), out)
    assert summary.repaired_tail and summary.done == 2
    ids = [rec["id"] for _, rec in iter_results(out)]
    assert ids == ["0", "1", "2"]


def test_malformed_line_inside_results_names_its_line(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text('{"id": "a"}\nnot json\n{"id": "b"}\n', encoding="utf-8")
    with pytest.raises(PromptfoilError, match="line 2"):
        read_results(out)


def test_repair_tail_adds_missing_newline_to_a_complete_record(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text('{"id": "a"}\n{"id": "b"}', encoding="utf-8")
    assert repair_tail(out) is False
    assert out.read_text(encoding="utf-8") == '{"id": "a"}\n{"id": "b"}\n'


def _cached_prompts(cache_dir: Path) -> set[str]:
    db = sqlite3.connect(str(cache_dir / "responses.sqlite"))
    try:
        return {row[0] for row in db.execute("SELECT prompt FROM responses")}
    finally:
        db.close()


def _log(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_sigkill_midway_then_resume_gives_every_item_once_and_no_repeated_calls(tmp_path):
    """SIGKILL a run part-way (a subprocess with a slow stand-in target), then run it again."""
    prompts = write_jsonl(tmp_path / "p.jsonl", [{"id": f"q{i}", "prompt": t} for i, t in enumerate(PROMPTS)])
    out, log1, log2 = tmp_path / "r.jsonl", tmp_path / "calls1.log", tmp_path / "calls2.log"
    cache_dir = Path(os.environ["PROMPTFOIL_CACHE_DIR"])
    cmd = [sys.executable, str(HERE / "run_standin.py"), str(prompts), str(out)]

    proc = subprocess.Popen(cmd + [str(log1), "0.08"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        done = out.read_text(encoding="utf-8").count("\n") if out.exists() else 0
        if done >= 3 or proc.poll() is not None:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed: " + proc.stderr.read().decode()
    time.sleep(0.15)  # land inside the next item
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()
    proc.stderr.close()

    finished_before = [r["id"] for r in read_results(out)]
    assert 3 <= len(finished_before) < len(PROMPTS)
    answered_before = _cached_prompts(cache_dir)
    assert set(_log(log1)) <= answered_before | set(_log(log1)[-2:])  # the cache kept what was answered

    second = subprocess.run(cmd + [str(log2), "0.0"], capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert summary["skipped"] == len(finished_before)

    ids = [rec["id"] for _, rec in iter_results(out)]
    assert sorted(ids) == sorted(f"q{i}" for i in range(len(PROMPTS)))  # every item exactly once
    asked_again = set(_log(log2)) & answered_before
    assert not asked_again, f"target asked again for answered prompts: {sorted(asked_again)[:3]}"
    by_id = {r["id"]: r for r in read_results(out)}
    for fid in finished_before:  # nothing of a finished item was asked again
        assert by_id[fid]["prompt"] not in _log(log2)
    assert len(_log(log2)) == len(set(_log(log2)))
