"""The llama.cpp targets (``smollm2``, ``gguf``): a batch goes to llama.cpp at once with the
same answers as one by one, the target is cacheable only when its answers are deterministic,
and an answer cut at ``max_tokens`` is marked (the model tests are slow)."""

from __future__ import annotations

import pytest
from conftest import requires_models

import promptfoil
from promptfoil.uses.datasets import shipped_set


@pytest.mark.slow
def test_the_target_hands_its_batch_to_llama_cpp_at_once():
    pytest.importorskip("llama_cpp")
    from promptfoil.targets.llamacpp import LlamaCppTarget

    target = LlamaCppTarget(None, max_tokens=16, batch_size=3)
    prompts = [r["prompt"] for r in shipped_set("mic-style")[10:13]]
    calls = []
    real = target.llm.batch
    target.llm.batch = lambda requests, need_room=False: calls.append(len(requests)) or real(requests, need_room)
    replies = target.generate(prompts)
    assert calls == [3] and target.batch_size == 3
    alone = [target.generate([p])[0] for p in prompts]
    assert [(r.text, r.truncated) for r in replies] == [(r.text, r.truncated) for r in alone]
    assert any(r.truncated for r in replies)  # Reply.truncated marks survive batched generation


def test_llamacpp_target_is_cacheable_only_when_deterministic():
    pytest.importorskip("llama_cpp")
    from promptfoil.errors import PromptfoilError
    from promptfoil.targets.llamacpp import LlamaCppTarget

    try:
        greedy = LlamaCppTarget()
    except PromptfoilError:
        pytest.skip("embedded model not installed")
    assert greedy.cacheable
    assert LlamaCppTarget(temperature=0.7, seed=3).cacheable
    assert not LlamaCppTarget(temperature=0.7, seed=None).cacheable
    assert LlamaCppTarget(max_tokens=32).settings != greedy.settings  # part of the cache key


@pytest.mark.slow
@requires_models
def test_a_response_cut_at_max_tokens_is_marked():
    ex = promptfoil.explain("Explain in detail how a bicycle works.", max_tokens=8, budget=1, threshold=2.0,
                            cache=False, min_fluency=None)
    assert ex.truncated
    assert all(t.truncated for t in ex.trace if t.status == "scored")
