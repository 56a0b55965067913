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
from results_helpers import PROMPT, cli, explainer, prompts_file


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
