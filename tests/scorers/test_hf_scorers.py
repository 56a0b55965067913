"""Contradiction, preference and reward scorers on tiny random-weight models built offline.

Plumbing only: random weights say nothing about what contradicts or what is preferred. These
tests check the label mapping, the A/B order averaging, the score arithmetic, batching and
truncation -- never scoring quality. Model tests are marked slow.
"""

from __future__ import annotations

import math
import os

import pytest

pytest.importorskip("transformers")

import hf_tiny  # noqa: E402

from promptfoil.errors import ConfigError  # noqa: E402
from promptfoil.scorers.base import ScoreItem, scorers  # noqa: E402
from promptfoil.scorers.contradiction import ContradictionScorer, contradiction_index  # noqa: E402
from promptfoil.scorers.preference import PreferenceScorer, RewardScorer, fair_share  # noqa: E402

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
ITEMS = [
    ScoreItem("Is it wrong to lie to my friend?", "Yes, it is wrong to lie.", "Is it fine to lie to my friend?", "No, it is fine."),
    ScoreItem("Why are rich people able to avoid financial ruin?", "They have money.", "Why are poor people able to avoid financial ruin?", "My sister left her job."),
    ScoreItem("Should I tell my boss?", "You should tell your boss.", "Should I tell my dog?", "You should tell your boss."),
]
LONG = " ".join(["My sister left her job and I am worried about money."] * 60)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-score")
    nli = hf_tiny.build_nli(root / "nli", {0: "contradiction", 1: "entailment", 2: "neutral"})
    return {
        "nli": str(nli),
        # same function, classes stored as (entailment, neutral, contradiction)
        "nli_permuted": str(hf_tiny.permuted_nli(nli, root / "nli-permuted", [1, 2, 0])),
        "t5": str(hf_tiny.build_t5(root / "t5", seed=1)),
        "reward": str(hf_tiny.build_reward(root / "reward")),
    }


def test_contradiction_label_is_read_by_name():
    assert contradiction_index({0: "ENTAILMENT", 1: "neutral", 2: "CONTRADICTION"}, "m") == 2
    assert contradiction_index({"0": "contradiction", "1": "entailment", "2": "neutral"}, "m") == 0
    assert contradiction_index({0: "LABEL_0", 1: "LABEL_1"}, "m", label="label_1") == 1
    with pytest.raises(ConfigError, match="no single 'contradiction' label"):
        contradiction_index({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, "m")


def test_fair_share_fits_the_room():
    assert fair_share([10, 500, 40], 100) == [10, 50, 40]
    assert fair_share([10, 20, 30], 100) == [10, 20, 30]
    assert sum(fair_share([300, 300, 300], 90)) <= 90


@pytest.mark.slow
def test_permuted_id2label_gives_the_same_contradiction_probability(models):
    a, b = ContradictionScorer(models["nli"]), ContradictionScorer(models["nli_permuted"])
    assert b.contradiction_label == "contradiction"
    prem, hyp = [i.y0 for i in ITEMS], [i.yc for i in ITEMS]
    pa, pb = a.contradiction_probs(prem, hyp), b.contradiction_probs(prem, hyp)
    assert pa == pytest.approx(pb, abs=1e-6)
    # the test can fail: in the permuted model, position 0 holds another class's probability
    import torch

    tok, net = b._load()
    enc = tok(prem, hyp, return_tensors="pt", padding=True).to(net.device)  # where promptfoil put it
    with torch.no_grad():
        at_zero = torch.softmax(net(**enc).logits, dim=-1)[:, 0].tolist()
    assert max(abs(x - y) for x, y in zip(at_zero, pb)) > 1e-3


@pytest.mark.slow
def test_contradiction_score_is_p2_minus_p1_and_batches(models):
    s = scorers.create("contradiction", model=models["nli"], batch_size=2)
    scores = s.score(ITEMS)
    p2 = s.contradiction_probs([i.y0 for i in ITEMS], [i.yc for i in ITEMS])
    p1 = s.contradiction_probs([i.yc for i in ITEMS], [i.y0 for i in ITEMS])
    assert scores == pytest.approx([x - y for x, y in zip(p2, p1)], abs=1e-5)
    assert scores[2] == pytest.approx(0.0, abs=1e-6)  # same response: no contradiction either way
    assert scores == pytest.approx([s.score([i])[0] for i in ITEMS], abs=1e-5)
    assert all(-1 <= x <= 1 for x in scores)


@pytest.mark.slow
def test_preference_averages_both_orders(models):
    s = scorers.create("preference", model=models["t5"])
    forward = s.score(ITEMS)
    swapped = s.score([ScoreItem(i.x0, i.yc, i.xc, i.y0) for i in ITEMS])
    # averaging over both orders makes the score exactly antisymmetric ...
    assert forward == pytest.approx([-x for x in swapped], abs=1e-5)
    assert s.score([ScoreItem("q", "same", "q", "same")]) == pytest.approx([0.0], abs=1e-6)
    # ... which one order alone is not: this judge prefers a position (so the test can fail)
    i = ITEMS[0]
    a_first = s.prob_first([i.x0], [i.y0], [i.yc])[0]
    b_first = s.prob_first([i.x0], [i.yc], [i.y0])[0]
    assert abs(a_first + b_first - 1.0) > 1e-4
    assert forward[0] == pytest.approx((a_first + 1 - b_first) - 1.0, abs=1e-5)
    assert forward == pytest.approx([s.score([it])[0] for it in ITEMS], abs=1e-5)


@pytest.mark.slow
def test_reward_is_a_difference_of_rewards(models):
    s = scorers.create("reward", model=models["reward"], batch_size=2)
    assert s.bounds == (-math.inf, math.inf)
    got = s.score(ITEMS)
    r0 = s.rewards([i.x0 for i in ITEMS], [i.y0 for i in ITEMS])
    rc = s.rewards([i.x0 for i in ITEMS], [i.yc for i in ITEMS])
    assert got == pytest.approx([a - b for a, b in zip(r0, rc)], abs=1e-5)
    assert got[2] == pytest.approx(0.0, abs=1e-6)
    assert len(set(round(r, 4) for r in r0 + rc)) > 1  # rewards are not all equal
    with pytest.raises(ConfigError, match="no label"):
        RewardScorer(models["reward"], label="helpful").score(ITEMS)
    with pytest.raises(ConfigError, match="needs a reward model"):
        scorers.create("reward")


@pytest.mark.slow
def test_long_inputs_are_truncated_with_a_warning(models):
    items = [ScoreItem(LONG, LONG, LONG, LONG + " The dog slept."), ITEMS[0]]
    for s in (ContradictionScorer(models["nli"]), PreferenceScorer(models["t5"], max_length=64),
              RewardScorer(models["reward"])):
        with pytest.warns(UserWarning, match="truncated"):
            scores = s.score(items)
        assert len(scores) == 2 and all(math.isfinite(x) for x in scores)


@pytest.mark.slow
def test_preference_template_and_labels_are_checked(models):
    with pytest.raises(ConfigError, match=r"\{b\}"):
        PreferenceScorer(models["t5"], template="POST: {post} A: {a}")
    with pytest.raises(ConfigError, match="two different"):
        PreferenceScorer(models["t5"], labels=("A", "A"))
