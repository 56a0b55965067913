"""The ``semantic`` scorer on the embedded MiniLM (slow: real model): it tracks meaning, an
identical response scores 0 and an unrelated one far more than a paraphrase."""

from __future__ import annotations

import pytest
from conftest import requires_models

from promptfoil import ScoreItem


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
