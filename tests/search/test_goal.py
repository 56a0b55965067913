"""The goal of a search: which scores reach the threshold in each direction, and an infinite
score never counts as found (nor reaches the result as a number JSON cannot hold)."""

from __future__ import annotations

import json

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil.search.goal import Goal
from results_helpers import PROMPT, explainer


class _Scorer(LostWordsScorer):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def score(self, items):
        return self.fn(items)


def test_goal_directions():
    assert Goal("increase", 0.5).reached(0.6) and not Goal("increase", 0.5).reached(0.4)
    assert Goal("decrease", -0.2).reached(-0.3) and not Goal("decrease", -0.2).reached(0.0)
    assert Goal("absolute", 0.3).reached(-0.4) and Goal("absolute", 0.3).objective(-0.4) == 0.4


@pytest.mark.parametrize("inf", [float("inf"), float("-inf")])
def test_infinite_scores_never_count_as_found(inf):
    direction = "increase" if inf > 0 else "decrease"
    ex = explainer(scorer=_Scorer(lambda it: [inf] * len(it)), direction=direction, threshold=0.1).explain(PROMPT)
    assert not ex.found and ex.stop_reason != "threshold reached"
    from promptfoil.runs.jsonout import strict_dumps

    d = json.loads(strict_dumps(ex.to_dict()), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert d["score"] is None
