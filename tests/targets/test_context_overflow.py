"""A candidate that does not fit the target's context is skipped (in the trace with its
reason, never paid for) and the search goes on; an original prompt that does not fit is a
clear error; the embedded SmolLM2 with a small context skips such candidates too (slow)."""

from __future__ import annotations

import pytest
from standins import LostWordsScorer, SuffixInfiller

import promptfoil
from promptfoil import PromptfoilError

PROMPT = "Is it wrong to lie to my friend?"


class ShortContextTarget(promptfoil.BaseTarget):
    """Takes prompts of at most ``limit`` characters, like a model with a small context."""

    name = "short-context"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.asked: list[str] = []

    def _generate_one(self, prompt: str) -> str:
        if len(prompt) > self.limit:
            from promptfoil import errors

            too_long = getattr(errors, "PromptTooLong", PromptfoilError)
            raise too_long(f"prompt of {len(prompt)} characters does not fit the context of {self.limit}")
        self.asked.append(prompt)
        return " ".join(sorted({w.lower() for w in prompt.split()}))


class LongFirstInfiller(SuffixInfiller):
    """Fills of "lie" and "friend" are very long (they overflow the context); the others are short."""

    def infill(self, requests):
        return [[f"{r.old}{' y' * 80}{i}" if r.old.strip("?") in ("lie", "friend") else f"{r.old}x{i}"
                 for i in range(r.n)] for r in requests]


def test_a_candidate_that_overflows_the_context_is_skipped_and_the_search_goes_on():
    target = ShortContextTarget(limit=len(PROMPT) + 20)
    ex = promptfoil.explain(PROMPT, target=target, infiller=LongFirstInfiller(), scorer=LostWordsScorer(),
                            cache=False, budget=6, threshold=1.0)
    skipped = [t for t in ex.trace if t.status == "skipped" and "does not fit" in t.reason]
    assert skipped, "the overflowing candidates are in the trace, with the reason"
    assert all(t.paid_by == "none" and t.response is None for t in skipped)
    assert any(t.status == "scored" for t in ex.trace)  # the search went on
    assert ex.calls.target == len(target.asked) - 1  # skipped prompts are not paid for


def test_an_original_prompt_that_does_not_fit_is_a_clear_error():
    with pytest.raises(PromptfoilError, match="prompt to explain cannot be asked.*does not fit"):
        promptfoil.explain(PROMPT, target=ShortContextTarget(limit=5), infiller=SuffixInfiller(),
                           scorer=LostWordsScorer(), cache=False, budget=3)


@pytest.mark.slow
def test_smollm2_skips_a_candidate_beyond_its_context():
    from conftest import requires_models

    if requires_models.args[0]:
        pytest.skip(requires_models.kwargs["reason"])
    ex = promptfoil.explain(PROMPT, target="smollm2", target_options={"n_ctx": 96}, max_tokens=8,
                            infiller=LongFirstInfiller(), scorer=LostWordsScorer(), cache=False, budget=2,
                            threshold=1.0)
    assert any(t.status == "skipped" and "does not fit the model context" in t.reason for t in ex.trace)
    assert ex.calls.target >= 1
