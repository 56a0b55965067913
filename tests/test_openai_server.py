"""Whole explanations over a REAL OpenAI-compatible server: llama-cpp-python's server on a
free loopback port, serving the embedded SmolLM2 GGUF. Chat and legacy completions; the
infiller and the judge talk to the same server. Budgets are tiny: two slow cores.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import requires_models

pytestmark = [pytest.mark.slow, requires_models]

PROMPT = "Is it wrong to skip my friend's wedding?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """Start `python -m llama_cpp.server` on 127.0.0.1, wait until it answers, stop it after."""
    pytest.importorskip("openai")
    pytest.importorskip("uvicorn")
    pytest.importorskip("llama_cpp.server.app")
    from promptfoil.backends.embedded import smollm2_gguf

    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
           "--model_alias", "smollm2", "--n_threads", str(max(1, min(4, os.cpu_count() or 1)))]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}): {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start in time: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_whole_explanation_over_chat(llama_server, tmp_path):
    from promptfoil import Explainer

    base, _ = llama_server
    ep = {"base_url": base, "max_concurrency": 2}
    ex = Explainer(
        target="openai", target_model="smollm2", max_tokens=16, target_options=ep,
        infiller="llm", infiller_options=ep,
        scorer="judge-contradiction", scorer_options={**ep, "samples": 2},
        budget=2, cache=str(tmp_path / "c.sqlite"),
        judge_check=False,  # SmolLM2-135M fails the judge's self-check (test_quality_models.py); plumbing here
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


def test_maxims_judge_over_the_server_never_crashes(llama_server):
    from promptfoil.backends.chat_factory import chat_backend
    from promptfoil.scorers.base import ScoreItem
    from promptfoil.scorers.maxims import MaximsScorer

    base, _ = llama_server
    from promptfoil.scorers.base import ScorerError

    m = MaximsScorer(chat_backend(None, base), submaxims="helpfulness", n=1, retries=1, max_tokens=40)
    item = ScoreItem("How do I boil an egg?", "Boil it for eight minutes.", "How do I boil an egg?", "Bananas.")
    try:
        [score] = m.score([item])
    except ScorerError as exc:  # it could not label the original: a clear failure, not a 0.0
        assert "original response" in str(exc)
    else:  # a drop in adherence, or None when it could not label the candidate
        assert score is None or -1.0 <= score <= 1.0
    # whatever the small judge wrote, each judged turn got a label or a recorded failure
    assert len(m.failures) + sum(v is not None for v in m._memo.values()) == 2
