"""BLEU-SUMM on exact cases; semantic scorer on the embedded MiniLM (slow)."""

from __future__ import annotations

import pytest
from conftest import requires_models

from promptfoil import ScoreItem
from promptfoil.scorers.bleu import BleuSummScorer
from promptfoil.search.goal import Goal


def test_bleu_summ_weights_prompt_similarity_and_response_dissimilarity():
    s = BleuSummScorer()
    x = "The council approved the new budget for city parks on Monday evening."
    y = "The council approved a park budget."
    same = s.score([ScoreItem(x, y, x, y)])[0]
    assert same == pytest.approx(0.2)  # BLEU(x, x) = 1, BLEU(y, y) = 1
    other = s.score([ScoreItem(x, y, x, "Snow fell heavily across the northern hills.")])[0]
    assert other == pytest.approx(0.2 + 0.8 * (1 - s._b("Snow fell heavily across the northern hills.", y)))
    assert other > 0.9
    partly = s.score([ScoreItem(x, y, x, "The council approved a school budget.")])[0]
    assert 0.2 < partly < other


def test_bleu_is_smoothed_for_short_texts():
    s = BleuSummScorer()
    assert 0.0 < s._b("yes it is", "yes it was") < 1.0


def test_goal_directions():
    assert Goal("increase", 0.5).reached(0.6) and not Goal("increase", 0.5).reached(0.4)
    assert Goal("decrease", -0.2).reached(-0.3) and not Goal("decrease", -0.2).reached(0.0)
    assert Goal("absolute", 0.3).reached(-0.4) and Goal("absolute", 0.3).objective(-0.4) == 0.4


@pytest.mark.slow
@requires_models
def test_semantic_scorer_tracks_meaning_with_real_minilm():
    from promptfoil.scorers.semantic import SemanticScorer

    s = SemanticScorer()
    y0 = "Saving a part of every paycheck protects you from sudden expenses."
    same, close, far = s.score([
        ScoreItem("q", y0, "q", y0),
        ScoreItem("q", y0, "q", "Putting aside some money each month shields you from surprise costs."),
        ScoreItem("q", y0, "q", "The octopus has three hearts and blue blood."),
    ])
    assert same == pytest.approx(0.0, abs=1e-5)
    assert close < far
    assert far > 0.7 and close < far - 0.3
