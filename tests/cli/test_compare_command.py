"""``promptfoil compare`` without a network: a scorer whose model is not in the local
Hugging Face cache fails at once when the hub is offline, instead of waiting on it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil.cli import main
from promptfoil.runs import LocalEngine, read_items, run

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


def explainer(**kw):
    base = dict(target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                cache=False, budget=8)
    base.update(kw)
    return promptfoil.Explainer(**base)


def test_compare_with_a_hub_scorer_offline_fails_at_once(tmp_path, capsys, monkeypatch):
    if "preference" not in promptfoil.scorers:
        pytest.skip("preference scorer not registered")
    res = tmp_path / "r.jsonl"
    run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(explainer()), res)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    t0 = time.monotonic()
    code, _, err = cli(capsys, "compare", str(res), "--no-baseline", "--compare-scorer", "preference")
    assert code == 2 and "not in the local Hugging Face cache" in err
    assert time.monotonic() - t0 < 10
