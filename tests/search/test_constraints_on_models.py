"""The candidate checks on the real embedded models (slow): the shipped fluency cut separates
a labelled set it was not tuned on, and MiniLM prompt similarity tells a rephrasing from a
topic swap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import requires_models

from promptfoil.config import DEFAULT_MIN_FLUENCY

pytestmark = [pytest.mark.slow, requires_models]

LABELS = Path(__file__).resolve().parents[1] / "data" / "fluency_labels.jsonl"


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
    # measured: see benchmarks/quality/results/fluency_cut.md; a little room for llama.cpp's
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
