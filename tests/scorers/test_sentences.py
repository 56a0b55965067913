"""Responses cut at ``max_tokens``: only a truncated response is cut back to its complete
sentences before it is scored, the result keeps the whole text and marks the cut, and the
terminal says so. Stand-ins only."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from quality_standins import CutTarget
from rich.console import Console
from standins import LostWordsScorer, standin_explainer

from promptfoil import ScoreItem
from promptfoil.report.terminal import render
from promptfoil.scorers.sentences import complete_sentences, scored_text

PROMPT = "Is it wrong to lie to my friend about her boyfriend?"


class RecordingScorer(LostWordsScorer):
    """Stand-in scorer that keeps every item it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[ScoreItem] = []

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        self.seen.extend(items)
        return super().score(items)


@pytest.mark.parametrize("text, kept", [
    ("Yes, you can. It depends on the", "Yes, you can."),
    ('He said "stop!" and then we', 'He said "stop!"'),
    ("1. Ask first\n2. Then read the", "1. Ask first"),
    ("no sentence end at all", "no sentence end at all"),
    ("Done. ", "Done."),
    ("It costs 3.5 dollars and", "It costs 3.5 dollars and"),
])
def test_complete_sentences(text, kept):
    assert complete_sentences(text) == kept


def test_only_truncated_responses_are_cut():
    assert scored_text("Yes. And th", False) == "Yes. And th"
    assert scored_text("Yes. And th", True) == "Yes."


def test_truncated_responses_are_marked_and_scored_on_complete_sentences():
    scorer = RecordingScorer()
    ex = standin_explainer(target=CutTarget(), scorer=scorer, threshold=1.0, budget=4).explain(PROMPT)
    assert ex.truncated and not ex.found and not ex.contrast_truncated  # no contrast: nothing to mark
    assert all(t.truncated for t in ex.trace if t.status == "scored")
    assert scorer.seen and all(it.y0.endswith("Fine.") and it.yc.endswith("Fine.") for it in scorer.seen)
    assert "mod" in ex.response  # the result keeps the whole text; only scoring leaves the tail out
    out = io.StringIO()
    render(ex, Console(file=out, width=200))
    assert "cut at max_tokens" in out.getvalue()
