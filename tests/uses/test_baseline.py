"""The baseline comparison: the baseline prompt is filled without interpreting its inputs, and
``compare`` scores the original and the baseline response against the contrast, the baseline
answers cached. Stand-ins only."""

from __future__ import annotations

import pytest
from standins import LostWordsScorer, RecordingFunction

from promptfoil import FunctionTarget
from promptfoil.targets.cache import ResponseCache
from promptfoil.uses.baseline import BASELINE_TEMPLATE, baseline_prompt, compare


def test_baseline_template_is_filled_without_interpreting_the_inputs():
    text = baseline_prompt("What is {x}?", "It is {0} and {prompt}.")
    assert "worse than this one: It is {0} and {prompt}.\nThe question it answered: What is {x}?" in text
    assert BASELINE_TEMPLATE.count("{") == 2


def test_compare_scores_original_and_baseline_against_contrast():
    rows = [
        {"id": "1", "found": True, "prompt": "p one", "response": "a b c d", "contrast_prompt": "q one",
         "contrast_response": "a b"},
        {"id": "2", "found": True, "prompt": "p two", "response": "a b", "contrast_prompt": "q two",
         "contrast_response": "a b"},
        {"id": "3", "found": False, "prompt": "p three", "response": "z", "contrast_prompt": "q",
         "contrast_response": "y"},
    ]
    asked = RecordingFunction()

    def baseline(batch: list[str]) -> list[str]:
        asked(batch)
        return ["x y" for _ in batch]

    summary, items = compare(rows, LostWordsScorer(), FunctionTarget(baseline, name="b"), ResponseCache())
    # original vs contrast: lost {c, d} of 4 = 0.5 and nothing of 2 = 0.0 -> mean 0.25
    assert summary.original_vs_contrast.mean == pytest.approx(0.25) and summary.items == 2
    # baseline "x y" vs contrast "a b": both words lost -> 1.0 each
    assert summary.baseline_vs_contrast.mean == pytest.approx(1.0)
    assert [i.id for i in items] == ["1", "2"]
    assert asked.prompts[0] == baseline_prompt("p one", "a b c d")
    compare(rows, LostWordsScorer(), FunctionTarget(baseline, name="b"), ResponseCache())
    assert len(asked.prompts) == 2  # the second comparison came from the cache
