"""Scorers that cannot score say so: a response a scorer cannot score is recorded as unscored
and counted, never taken as 0.0, and an original response it cannot score fails the
explanation. Stand-ins only."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from standins import LostWordsScorer, standin_explainer

from promptfoil.report.terminal import render
from promptfoil.scorers.base import ScorerError

PROMPT = "Is it wrong to lie to my friend about her boyfriend?"


class HalfBlind(LostWordsScorer):
    """Stand-in judge: cannot score responses to prompts whose fill ends in x0."""

    name = "half-blind"

    def score(self, items):
        return [None if "x0" in it.xc else s for it, s in zip(items, super().score(items))]


def test_unscorable_responses_are_counted_never_zero():
    ex = standin_explainer(scorer=HalfBlind(), threshold=1.0, budget=8).explain(PROMPT)
    unscored = [t for t in ex.trace if t.status == "unscored"]
    assert unscored and all(t.score is None and "x0" in t.prompt for t in unscored)
    assert ex.scorer_failures == len(unscored)
    assert "could not score" in ex.stop_reason
    assert ex.contrast_prompt is None or "x0" not in ex.contrast_prompt
    out = io.StringIO()
    render(ex, Console(file=out, width=200))
    assert "scorer failures" in out.getvalue()


class CannotReadOriginal(LostWordsScorer):
    name = "blind-judge"

    def score(self, items):
        raise ScorerError("scorer 'blind-judge' could not label the original response")


def test_an_original_that_cannot_be_scored_fails_the_explanation():
    with pytest.raises(ScorerError, match="original response"):
        standin_explainer(scorer=CannotReadOriginal(), threshold=0.5).explain(PROMPT)
