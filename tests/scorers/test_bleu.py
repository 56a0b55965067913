"""The ``bleu`` scorer (BLEU-SUMM) on exact cases: prompt similarity and response
dissimilarity weighted, smoothed for short texts."""

from __future__ import annotations

import pytest

from promptfoil import ScoreItem
from promptfoil.scorers.bleu import BleuSummScorer


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
