"""Checks of a prompt before any model is asked: text that is not valid Unicode, protected
spans that are malformed, reversed, outside the prompt or cover every word, and a prompt too
long to search are configuration errors."""

from __future__ import annotations

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil.errors import ConfigError
from results_helpers import PROMPT, explainer


@pytest.mark.parametrize("cache", [True, False])
def test_surrogates_in_the_prompt_are_a_config_error(cache):
    with pytest.raises(ConfigError, match="not valid text"):
        explainer(cache=cache).explain("Is it \udcff wrong to lie?")


@pytest.mark.parametrize("protected, needle", [(5, "list of \\(start, end\\)"), ("0:3", "list of"),
                                               ([(5, 2)], "reversed"), ([(1.5, 3)], "whole")])
def test_bad_protected_spans_are_config_errors(protected, needle):
    with pytest.raises(ConfigError, match=needle):
        promptfoil.explain(PROMPT, target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                           cache=False, protected=protected)


def test_bad_protected_span():
    ex = promptfoil.Explainer(target=RecordingFunction(), infiller=SuffixInfiller(),
                              scorer=LostWordsScorer(), cache=False)
    with pytest.raises(ConfigError, match="outside the prompt"):
        ex.explain("Hello there", protected=[(3, 99)])
    with pytest.raises(ConfigError, match="no editable words"):
        ex.explain("Hello there", protected=[(0, 11)])


def test_huge_prompt_is_refused_before_any_call():
    fn = RecordingFunction()
    ex = promptfoil.Explainer(target=fn, infiller=SuffixInfiller(), scorer=LostWordsScorer(), cache=False)
    with pytest.raises(ConfigError, match="limit"):
        ex.explain("word " * 100_000)
    assert fn.prompts == []
