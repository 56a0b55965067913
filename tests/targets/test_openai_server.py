"""Whole explanations over a REAL OpenAI-compatible server: llama-cpp-python's server on a
free loopback port, serving the embedded SmolLM2 GGUF. Chat and legacy completions; the
infiller and the judge talk to the same server. Budgets are tiny: two slow cores. The server
is the session fixture ``llama_server`` (tests/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import requires_models

pytestmark = [pytest.mark.slow, requires_models]

PROMPT = "Is it wrong to skip my friend's wedding?"


def test_whole_explanation_over_chat(llama_server, tmp_path):
    from promptfoil import Explainer

    base, _ = llama_server
    ep = {"base_url": base, "max_concurrency": 2}
    ex = Explainer(
        target="openai", target_model="smollm2", max_tokens=16, target_options=ep,
        infiller="llm", infiller_options=ep,
        scorer="judge-contradiction", scorer_options={**ep, "samples": 2},
        budget=2, cache=str(tmp_path / "c.sqlite"),
        judge_check=False,  # SmolLM2-135M fails the judge's self-check (tests/scorers/test_self_check.py); plumbing here
    )
    assert ex.target.batch_size == 2
    result = ex.explain(PROMPT)
    assert result.target == "openai" and result.infiller == "llm" and result.scorer == "judge-contradiction"
    assert result.response.strip() and result.calls.original == 1
    assert 1 <= result.calls.target <= 2
    scored = [t for t in result.trace if t.status == "scored"]
    assert scored and all(0.0 <= (t.score or 0.0) <= 1.0 for t in scored)
    assert all(t.prompt != PROMPT for t in scored)  # the infiller's fills were used
    # llama.cpp's server returns token log-probabilities: the judge read them
    assert ex.scorer.method["logprobs"] >= 1
    again = ex.explain(PROMPT)
    assert again.calls.target == 0 and again.calls.original == 0  # all from the cache
    assert again.response == result.response


def test_whole_explanation_over_completions_from_the_cli(llama_server, capsys):
    from promptfoil.cli import main

    base, log = llama_server
    code = main(["explain", PROMPT, "--target", "openai", "--base-url", base, "--target-model", "smollm2",
                 "--completions", "--max-tokens", "16", "--max-concurrency", "2",
                 "--infiller", "llm", "--scorer", "bleu", "--budget", "2", "--json", "--no-cache"])
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out)
    assert result["target"] == "openai" and result["calls"]["target"] <= 2
    assert result["response"].strip()
    text = Path(log).read_text(errors="replace")
    assert "POST /v1/completions" in text and "POST /v1/chat/completions" in text  # target + infiller
