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


def _verdict_explainer(**kw):
    from standins import verdict_chat

    from promptfoil.scorers.verdict import VerdictScorer
    from promptfoil.scorers.verdict_readers import ChatVerdictReader

    def answer(prompts: list[str]) -> list[str]:  # a verdict the stand-in judge reads, whatever is asked
        return ["Sure, " + p for p in prompts]

    return standin_explainer(target=answer, scorer=VerdictScorer(ChatVerdictReader(verdict_chat())), budget=40,
                             minimize=False, min_fluency=None, **kw)


def test_the_verdict_definition_never_edits_the_judgement_but_may_edit_the_act():
    ex = _verdict_explainer().explain(PROMPT)
    words = _edited_words(ex)
    assert ex.scorer == "verdict"
    assert "lie" in words and "wrong" not in words
    assert any("judgement 'wrong' is never edited" in n for n in ex.notes)


def test_a_question_without_a_judgement_is_searched_as_before():
    ex = _verdict_explainer().explain("Should I lie to my friend about the money?")
    assert "lie" in _edited_words(ex)
    assert not any("judgement" in n for n in ex.notes)


def test_other_definitions_still_edit_the_judgement():
    ex = standin_explainer(budget=40, threshold=0.99, minimize=False, min_fluency=None).explain(PROMPT)
    assert "wrong" in _edited_words(ex) and not any("judgement" in n for n in ex.notes)


def test_spans_given_as_a_generator_stay_protected_when_the_judgement_is_kept():
    start = PROMPT.index("friend")
    ex = _verdict_explainer().explain(PROMPT, protected=(s for s in [(start, start + len("friend"))]),
                                      protect_text=(t for t in ["money"]))
    words = _edited_words(ex)
    assert words and not {"wrong", "friend", "money"} & words
