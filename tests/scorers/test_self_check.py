"""A scorer's self-check on the original response: a judge that fails it stops the explanation
with advice before the search, a check that passes or is turned off lets the search run, a
two-argument hook still works for a plain prompt, and the embedded SmolLM2 fails the
contradiction judge's check (slow)."""

from __future__ import annotations

import pytest
from conftest import requires_models
from standins import LostWordsScorer, RecordingFunction, standin_explainer, standin_chat_explainer

from promptfoil import FunctionTarget
from promptfoil.scorers.base import JudgeCheckError

PROMPT = "Is it wrong to lie to my friend about her boyfriend?"


class SelfChecked(LostWordsScorer):
    """Stand-in judge with the self-check hook; ``ok`` decides the outcome."""

    name = "checked-judge"

    def __init__(self, ok: bool) -> None:
        super().__init__()
        self.ok, self.checked = ok, []

    def self_check(self, x0: str, y0: str) -> str | None:
        self.checked.append((x0, y0))
        return None if self.ok else "it scored the original response against itself as 0.9 (must be below 0.2)"


def test_a_judge_that_fails_its_self_check_stops_the_explanation_with_advice():
    target = RecordingFunction()
    with pytest.raises(JudgeCheckError) as err:
        standin_explainer(target=target, scorer=SelfChecked(False), threshold=0.5).explain(PROMPT)
    msg = str(err.value)
    assert "checked-judge" in msg and "--scorer-model" in msg and "--base-url" in msg and "--no-judge-check" in msg
    assert target.prompts == [PROMPT]  # only the original was asked


def test_passing_or_skipped_self_check_lets_the_search_run():
    judge = SelfChecked(True)
    assert standin_explainer(scorer=judge, threshold=0.5).explain(PROMPT).calls.target > 0
    assert judge.checked and judge.checked[0][0] == PROMPT
    unchecked = SelfChecked(False)
    assert standin_explainer(scorer=unchecked, threshold=0.5, judge_check=False).explain(PROMPT).calls.target > 0
    assert unchecked.checked == []


def test_a_two_argument_self_check_still_works_for_a_plain_prompt():
    class OldJudge(LostWordsScorer):
        def self_check(self, x0: str, y0: str) -> str | None:
            return "always fails"

    with pytest.raises(JudgeCheckError, match="always fails"):
        standin_chat_explainer(scorer=OldJudge(), target=FunctionTarget(lambda ps: list(ps))).explain("Is bread hard to bake?")


@pytest.mark.slow
@requires_models
def test_the_embedded_model_fails_the_contradiction_judges_self_check():
    from promptfoil.build import build_scorer
    from promptfoil.config import Config

    judge = build_scorer(Config().with_options(scorer="judge-contradiction"))
    problem = judge.self_check(
        "Can I use a photo I found online in my product listing?",
        "Yes, you can use a photo you found online in your product listing, as long as you have the right to use it.",
    )
    assert problem is not None and "contradict itself" in problem
