"""End to end on the real embedded models: SmolLM2 GGUF target + LM infiller, MiniLM scorer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files

import pytest
from conftest import requires_models

import promptfoil
from promptfoil.uses.datasets import shipped_prompts

pytestmark = [pytest.mark.slow, requires_models]

jsonschema = pytest.importorskip("jsonschema")
SCHEMA = json.loads(files("promptfoil").joinpath("schema/explanation.json").read_text())


@pytest.fixture(scope="module")
def explainer():
    return promptfoil.Explainer(budget=6, max_tokens=48, cache=False)


def check(result_dict, budget):
    jsonschema.validate(result_dict, SCHEMA)
    assert result_dict["calls"]["target"] <= budget
    assert result_dict["response"].strip()
    prompt = result_dict["prompt"]
    for e in result_dict["edits"]:
        assert prompt[e["start"] : e["end"]] == e["old"] and e["old"] != e["new"]


def test_api_explains_shipped_prompts(explainer):
    for item in shipped_prompts()[:2]:
        ex = explainer.explain(item["prompt"])
        d = ex.to_dict()
        check(d, 6)
        shown = ex if ex.found else ex.best_try  # a miss keeps its closest candidate apart
        assert shown is not None and shown.score is not None
        assert shown.prompt != ex.prompt if not ex.found else ex.contrast_prompt != ex.prompt
        assert ex.found == (shown.score >= ex.threshold)
        assert (ex.contrast_prompt is not None) == ex.found
        assert any(t["status"] == "scored" for t in d["trace"])


def test_same_call_gives_the_same_explanation():
    def run():
        d = promptfoil.explain("Should I tell my boss that a coworker is stealing?", budget=4,
                               max_tokens=32, seed=7, cache=False).to_dict()
        d.pop("seconds"), d.pop("seconds_by_stage")
        return d

    assert run() == run()


def test_prefetching_changes_nothing_but_the_time():
    """Infills (and their fluency checks) prepared in a worker while the batched target
    answers: the same trace, fluency skips and truncation marks included."""
    def run(prefetch):
        d = promptfoil.explain("Can I use a photo I found online in my school project?", budget=10,
                               max_tokens=32, threshold=1.0, cache=False, prefetch=prefetch).to_dict()
        return [(t["prompt"], t["status"], t["reason"], t["response"], t["truncated"]) for t in d["trace"]]

    on, off = run(True), run(False)
    assert on == off
    assert sum(t[1] == "scored" for t in on) == 10 and any(t[4] for t in on)


def test_cached_rerun_costs_no_target_calls(tmp_path):
    cache = promptfoil.ResponseCache(tmp_path / "c.sqlite")
    kw = dict(budget=4, max_tokens=32, cache=cache, threshold=2.0)
    first = promptfoil.explain("Is it rude to leave a party without saying goodbye?", **kw)
    second = promptfoil.explain("Is it rude to leave a party without saying goodbye?", **kw)
    assert first.calls.target == 4 and first.calls.original == 1
    assert second.calls.original == 0 and second.calls.cache_hits >= 5
    # the prompts the first run asked (candidates skipped before querying, e.g. as not
    # fluent, are in the trace with paid_by "none") come back from the cache, in order
    asked1 = [t for t in first.trace if t.paid_by != "none"][:4]
    asked2 = [t for t in second.trace if t.paid_by != "none"][:4]
    assert [t.prompt for t in asked2] == [t.prompt for t in asked1]
    assert all(t.paid_by == "cache" for t in asked2)


def _cli(*args):
    env = dict(os.environ, COLUMNS="100")
    return subprocess.run([sys.executable, "-m", "promptfoil.cli", *args], capture_output=True,
                          text=True, env=env, timeout=600)


def test_cli_json_validates_against_the_schema():
    p = _cli("explain", "Why do people feel guilty when they say no?", "--algorithm", "cell",
             "--budget", "4", "--max-tokens", "32", "--json", "--no-cache")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    check(d, 4)
    assert d["algorithm"] == "cell" and d["budget"] == 4


def test_cli_terminal_output_shows_both_prompts_and_calls():
    p = _cli("explain", "Is it okay to skip a family dinner to study?", "--budget", "3",
             "--max-tokens", "32", "--no-cache")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for needle in ("prompt", "response", "calls", "target 3/3"):
        assert needle in out
    assert ("contrast prompt" in out and "contrast response" in out) or "closest try" in out
