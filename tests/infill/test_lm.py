"""The ``lm`` infiller and the prompt likelihood on the embedded SmolLM2 (slow: real model):
real distinct words, as many as the masked unit has; the same fills whether prefixes are
reused or lanes fill masks side by side; and a likelihood read from a shared prefix equal to
reading each prompt alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")

from conftest import requires_models  # noqa: E402

import promptfoil  # noqa: E402
from promptfoil.infill.base import InfillRequest  # noqa: E402
from promptfoil.infill.lm import LMInfiller  # noqa: E402
from promptfoil.prompt.segment import segment  # noqa: E402
from promptfoil.uses.datasets import shipped_set  # noqa: E402

pytestmark = pytest.mark.slow
LABELS = Path(__file__).resolve().parents[1] / "data" / "fluency_labels.jsonl"


@pytest.fixture(scope="module")
def explainer():
    return promptfoil.Explainer(budget=6, max_tokens=48, cache=False)


def test_infiller_prefix_reuse_changes_no_fill():
    row = shipped_set("news")[5]
    text = row["prompt"]
    units = [u for u in segment(text, 1, [tuple(x) for x in row["protected"]]) if u.editable][::6][:4]
    requests = [InfillRequest(text, u.start, u.end, 4) for u in units]
    shared = LMInfiller().infill(requests)  # one decoder: each prefix re-reads only what is new
    alone = [LMInfiller().infill([r])[0] for r in requests]  # a fresh decoder per mask
    assert shared == alone and all(shared)


def test_infiller_lanes_fill_masks_side_by_side_with_the_same_fills():
    rows = shipped_set("mic-style")[30:32]
    requests = [InfillRequest(r["prompt"], u.start, u.end, 4)
                for r in rows for u in segment(r["prompt"], 1, []) if u.editable][::2][:5]
    one, two = LMInfiller(lanes=1), LMInfiller(lanes=2)
    assert two.infill(requests) == one.infill(requests)
    assert len(two._more) == 1  # a second llama.cpp context did part of the work


@requires_models
def test_lm_infiller_gives_real_distinct_words(explainer):
    from promptfoil import InfillRequest

    text = "Is it wrong to lie to your friend about her boyfriend?"
    s = text.index("lie")
    fills = explainer.infiller.infill([InfillRequest(text, s, s + 3, 5), InfillRequest(text, s, s + 6, 4)])
    one, two = fills
    assert len(one) >= 3 and len(two) >= 2
    assert all(re.fullmatch(r"[A-Za-z'\-]+", f) and f.lower() != "lie" for f in one)
    assert len(set(one)) == len(one)
    assert any(len(f.split()) == 2 for f in two)  # a 2-word unit gets 2-word fills


@requires_models
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
