"""``keep_key_words``: a yes/no question's judgement and act are never edited, so a contrast
asks the same question about other details (stand-in target and infiller: plumbing)."""

from __future__ import annotations

from standins import standin_explainer

PROMPT = "Is it wrong to lie to my friend about the money?"


def _edited_words(ex) -> set[str]:
    return {e.old for t in ex.trace for e in t.edits}


def test_without_the_option_the_key_words_are_edited_too():
    ex = standin_explainer(budget=40, threshold=0.99, minimize=False, min_fluency=None).explain(PROMPT)
    assert {"wrong", "lie"} & _edited_words(ex)


def test_with_the_option_no_candidate_edits_the_key_words():
    ex = standin_explainer(budget=40, threshold=0.99, minimize=False, min_fluency=None,
                           keep_key_words=True).explain(PROMPT)
    words = _edited_words(ex)
    assert words and not {"wrong", "lie"} & words
    assert ex.prompt == PROMPT
