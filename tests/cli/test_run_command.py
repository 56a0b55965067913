"""``promptfoil run`` on the command line: a run where every item failed exits 1 with a clear
line, and the progress line counts found and failed items and calls per second."""

from __future__ import annotations

import json
from pathlib import Path

from promptfoil.cli import main
from results_helpers import PROMPT, STANDINS, cli, prompts_file


def test_run_where_every_item_failed_exits_non_zero(tmp_path, capsys):
    p = prompts_file(tmp_path / "p.jsonl")
    code, out, err = cli(capsys, "run", str(p), "--out", str(tmp_path / "r.jsonl"), "--target", "standins:EchoTarget",
                         "--target-option", "fail= ", "--infiller", "standins:SuffixInfiller",
                         "--scorer", "standins:LostWordsScorer", "--no-cache")
    assert code == 1 and "nothing was explained" in err
    code, out, err = cli(capsys, "run", str(p), "--out", str(tmp_path / "r2.jsonl"), *STANDINS, "--no-cache")
    assert code == 0


def test_progress_tally_counts_found_failed_and_calls_per_second():
    from promptfoil.cli.jobs import Tally

    t = Tally()
    t.add({"id": "a", "found": True, "calls": {"target": 4, "original": 1}})
    t.add({"id": "b", "found": False, "calls": {"target": 5, "original": 0}})
    t.add({"id": "c", "error": "down"})
    assert t.line(2.0) == "found 1 · failed 1 · 5.0 calls/s" and t.line(None) == "found 1 · failed 1"
