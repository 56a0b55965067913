"""Progress when stderr is not a terminal (a pipe, nohup, CI): the progress bar draws
nothing there, so ``run``, ``redteam`` and ``explain`` print plain lines instead, one per
finished item and one every few target calls inside an explanation; responses served from
the cache count, so a fully cached rerun is seen to move.

Under pytest's capture stderr is not a terminal. Stand-ins only, no model.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from standins import EchoTarget, LostWordsScorer, SuffixInfiller

from promptfoil import Explainer
from promptfoil.cli import main

# threshold 1: no contrast is ever found, so each explanation spends its whole budget
STANDINS = ["--target", "standins:EchoTarget", "--infiller", "standins:SuffixInfiller",
            "--scorer", "standins:LostWordsScorer", "--budget", "30", "--threshold", "1"]
PROMPTS = ["Is it wrong to lie to my friend about money?", "Should I tell my boss the truth about the delay?"]


def _prompts(tmp_path: Path) -> Path:
    p = tmp_path / "p.jsonl"
    p.write_text("".join(json.dumps({"id": f"q{i}", "prompt": t}) + "\n" for i, t in enumerate(PROMPTS)),
                 encoding="utf-8")
    return p


def _err(capsys, *args: str) -> tuple[int, list[str]]:
    assert not sys.stderr.isatty()
    code = main(list(args))
    return code, capsys.readouterr().err.splitlines()


def test_run_off_a_terminal_prints_a_line_per_item_and_every_ten_calls(tmp_path, capsys):
    code, lines = _err(capsys, "run", str(_prompts(tmp_path)), "--out", str(tmp_path / "r.jsonl"), *STANDINS)
    assert code == 0, lines
    done = [ln for ln in lines if re.fullmatch(r"item [12]/2 q[01]: not found, \d+ target calls \(\d+ cached\), "
                                               r"[\d.]+ s", ln)]
    assert len(done) == 2, lines
    calls = [ln for ln in lines if re.fullmatch(r"item 1/2: \d+/30 target calls, \d+ cached \([\d.]+ s\)", ln)]
    assert len(calls) >= 2, lines  # 30 calls: a line at least every 10
    assert lines.index(calls[-1]) < lines.index(done[0])  # while the first item is explained


def test_a_cached_rerun_moves_by_its_cache_hits(tmp_path, capsys):
    prompts = _prompts(tmp_path)
    assert _err(capsys, "run", str(prompts), "--out", str(tmp_path / "r1.jsonl"), *STANDINS)[0] == 0
    code, lines = _err(capsys, "run", str(prompts), "--out", str(tmp_path / "r2.jsonl"), *STANDINS)
    assert code == 0
    cached = [int(m.group(1)) for ln in lines if (m := re.fullmatch(r"item 1/2: 0/30 target calls, (\d+) cached .*", ln))]
    assert cached and cached[-1] >= 10, lines  # not "0/30" and nothing else
    assert any(re.fullmatch(r"item 1/2 q0: not found, \d+ target calls \([1-9]\d* cached\), [\d.]+ s", ln)
               for ln in lines), lines


def test_explain_off_a_terminal_prints_its_target_calls(tmp_path, capsys):
    for _ in range(2):  # the second time every response comes from the cache at first
        code, lines = _err(capsys, "explain", PROMPTS[0], *STANDINS)
        assert code == 0
        assert any(re.fullmatch(r"explaining: \d+/30 target calls, \d+ cached \([\d.]+ s\)", ln) for ln in lines), lines
    assert any(re.fullmatch(r"explaining: 0/30 target calls, [1-9]\d* cached .*", ln) for ln in lines), lines


def test_redteam_off_a_terminal_prints_a_line_per_question(tmp_path, capsys):
    q = tmp_path / "q.jsonl"
    q.write_text("".join(json.dumps({"id": f"q{i}", "question": t}) + "\n" for i, t in enumerate(PROMPTS)),
                 encoding="utf-8")
    policy = tmp_path / "policy.md"
    policy.write_text("Be honest.\n", encoding="utf-8")
    _, lines = _err(capsys, "redteam", "--policy", str(policy), "--questions", str(q), "--out",
                    str(tmp_path / "f.jsonl"), *STANDINS)
    # the echo stand-in takes no conversations: each question fails, and says so as it ends
    assert [ln for ln in lines if re.fullmatch(r"question [12]/2 q[01]: failed, 0 target calls \(0 cached\), [\d.]+ s",
                                               ln)] != [], lines


def test_the_progress_callback_gets_cache_hits_and_one_argument_callbacks_still_work(tmp_path):
    def explainer() -> Explainer:
        return Explainer(target=EchoTarget(), infiller=SuffixInfiller(), scorer=LostWordsScorer(), threshold=1.0,
                         budget=20, cache=tmp_path / "cache.sqlite")

    old_style: list[int] = []
    explainer().explain(PROMPTS[0], progress=lambda n: old_style.append(n))
    assert old_style and all(isinstance(n, int) for n in old_style) and old_style[-1] == 20

    seen: list[tuple[int, int]] = []
    explainer().explain(PROMPTS[0], progress=lambda n, cached=None: seen.append((n, cached)))
    assert seen and all(c is not None for _, c in seen), seen  # told the cache hits
    assert seen[0] == (0, seen[0][1]) and seen[0][1] > 0  # a cached rerun: no paid call yet, hits counted
