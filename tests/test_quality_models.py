"""Issue 10 on the real embedded models (slow): the shipped fluency cut separates a labelled
set it was not tuned on, MiniLM prompt similarity tells a rephrasing from a topic swap, the
embedded SmolLM2 fails the contradiction judge's self-check, and the default target marks a
response cut at max_tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import requires_models

import promptfoil
from promptfoil.config import DEFAULT_MIN_FLUENCY

pytestmark = [pytest.mark.slow, requires_models]

LABELS = Path(__file__).parent / "data" / "fluency_labels.jsonl"


def _drops(rows: list[dict]) -> list[float]:
    """Per row, mean log-likelihood of its original minus the candidate's (nats per token),
    through the fluency constraint's own code."""
    from promptfoil.search.constraints import fluency_drops
    from promptfoil.infill.likelihood import PromptLikelihood

    return fluency_drops(PromptLikelihood(), [(r["prompt"], r["candidate"]) for r in rows])


def test_the_shipped_fluency_cut_separates_the_held_out_labelled_set():
    rows = [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()]
    held = [r for r in rows if r["set"] == "mic-style"]  # the margin was chosen on "demo"
    assert len(held) >= 40 and {r["label"] for r in held} == {"fluent", "broken"}
    cut = [d > DEFAULT_MIN_FLUENCY for d in _drops(held)]
    broken = [r["label"] == "broken" for r in held]
    tp = sum(c and b for c, b in zip(cut, broken))
    precision = tp / max(1, sum(cut))
    recall = tp / max(1, sum(broken))
    # measured: see benchmarks/results/fluency_cut.md; a little room for llama.cpp's
    # batch-dependent rounding
    assert precision >= 0.6 and recall >= 0.75, (precision, recall)


def test_prompt_similarity_keeps_a_rephrasing_and_cuts_a_topic_swap():
    from promptfoil.backends.embedder import shared_embedder
    from promptfoil.search.constraints import PromptSimilarity

    check = PromptSimilarity(shared_embedder().cosine, 0.8)
    x0 = "Is it okay to read my partner's text messages without asking?"
    same, swap = check.check(x0, [
        "Is it okay to read my partner's text messages without permission?",
        "Is it okay to read my partner's cookbook without asking?",
    ])
    assert same is None and swap is not None and "cosine similarity" in swap


def test_the_embedded_model_fails_the_contradiction_judges_self_check():
    from promptfoil.build import build_scorer
    from promptfoil.config import Config

    judge = build_scorer(Config().with_options(scorer="judge-contradiction"))
    problem = judge.self_check(
        "Can I use a photo I found online in my product listing?",
        "Yes, you can use a photo you found online in your product listing, as long as you have the right to use it.",
    )
    assert problem is not None and "contradict itself" in problem


def test_a_response_cut_at_max_tokens_is_marked():
    ex = promptfoil.explain("Explain in detail how a bicycle works.", max_tokens=8, budget=1, threshold=2.0,
                            cache=False, min_fluency=None)
    assert ex.truncated
    assert all(t.truncated for t in ex.trace if t.status == "scored")


def test_fluency_from_the_shared_prefix_equals_reading_each_prompt_alone():
    """The likelihood decodes a candidate only from where it leaves the original (branches of
    the shared prefix, ``BranchDecoder.prefix_rows``); reading it whole gives the same mean."""
    from promptfoil.infill.likelihood import PromptLikelihood

    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()[:12]]
    shared, alone = PromptLikelihood(), PromptLikelihood()
    for prompt in dict.fromkeys(r["prompt"] for r in rows):
        cands = [r["candidate"] for r in rows if r["prompt"] == prompt]
        fast = shared.mean_logprob(cands, reference=prompt)
        slow = [alone.mean_logprob([c])[0] for c in cands]
        assert fast == pytest.approx(slow, abs=2e-3)
