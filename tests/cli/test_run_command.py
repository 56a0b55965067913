"""``promptfoil run`` on the command line: a run where every item failed exits 1 with a clear
line, and the progress line counts found and failed items and calls per second."""

from __future__ import annotations

import json
from pathlib import Path

from promptfoil.cli import main

STANDINS = ["--target", "standins:EchoTarget", "--infiller", "standins:SuffixInfiller",
            "--scorer", "standins:LostWordsScorer"]
PROMPT = "Is it wrong to lie to my friend?"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    got = capsys.readouterr()
    return code, got.out, " ".join(got.err.split())


def prompts_file(path: Path, n: int = 2) -> Path:
    texts = [PROMPT, "Should I tell my boss the truth?", "Is it fine to skip a wedding?"][:n]
    path.write_text("".join(json.dumps({"id": str(i), "prompt": t}) + "\n" for i, t in enumerate(texts)),
                    encoding="utf-8")
    return path


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
