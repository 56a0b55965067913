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


class _GrammarInfiller:
    """Stand-in (plumbing): fills each unit with a function word, then with a content word."""

    name = "grammar-first"

    def infill(self, requests):
        return [["over", "then", "banana"][: r.n] for r in requests]

    def mean_logprob(self, texts, reference=None):
        return [0.0] * len(texts)


def _asked_replacements(ex) -> set[tuple[str, str]]:
    return {(e.old, e.new) for t in ex.trace if t.status != "skipped" for e in t.edits}


def test_the_verdict_definition_never_asks_a_content_word_turned_into_grammar():
    ex = _verdict_explainer(infiller=_GrammarInfiller(), fills_per_mask=3).explain(PROMPT)
    asked = _asked_replacements(ex)
    assert asked and all(new == "banana" or old.lower() in {"is", "it", "to", "my", "about", "the"}
                         for old, new in asked)
    skipped = [t for t in ex.trace if t.status == "skipped" and "content word" in t.reason]
    assert skipped and ("lie", "over") in {(e.old, e.new) for t in skipped for e in t.edits}


def test_other_definitions_still_ask_such_fills():
    ex = standin_explainer(infiller=_GrammarInfiller(), fills_per_mask=3, budget=40, threshold=0.99, minimize=False,
                           min_fluency=None).explain(PROMPT)
    assert any(new in {"over", "then"} and old.lower() in {"lie", "friend", "money", "wrong"}
               for old, new in _asked_replacements(ex))
