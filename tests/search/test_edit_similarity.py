"""The edit-similarity check: each replaced run of words must stay near the words it replaced,
so a key word swapped for an unrelated one is skipped before it costs a query."""

from __future__ import annotations

import pytest

from conftest import requires_models
from promptfoil import Explainer
from promptfoil.search.constraints import EditSimilarity, replaced_runs
from standins import LostWordsScorer, SuffixInfiller
from promptfoil.targets.function import FunctionTarget

NEAR = {("Should", "Can"): 0.48, ("ruin", "aid"): 0.21, ("able", "allowed"): 0.65}


def table_cosine(a: list[str], b: list[str]) -> list[float]:
    return [NEAR.get((x, y), 0.9) for x, y in zip(a, b)]


def test_replaced_runs_are_the_words_that_changed():
    assert replaced_runs("Why are rich people able to avoid financial ruin?",
                         "Why are rich people allowed to avoid financial aid?") == [("able", "allowed"), ("ruin", "aid")]
    assert replaced_runs("Should I tell my boss?", "Can I tell my boss?") == [("Should", "Can")]
    assert replaced_runs("a b c", "a b c") == []


def test_an_unrelated_swap_fails_and_a_rewording_passes():
    check = EditSimilarity(table_cosine, 0.45)
    verdicts = check.check("Should I avoid financial ruin?", ["Can I avoid financial ruin?", "Should I avoid financial aid?"])
    assert verdicts[0] is None
    assert verdicts[1] is not None and "'ruin' → 'aid'" in verdicts[1] and "--min-edit-similarity" in verdicts[1]
    assert check.check("x", []) == []


def test_the_explainer_skips_what_the_check_refuses_and_says_why():
    def cosine(a: list[str], b: list[str]) -> list[float]:
        return [0.0 if "x0" in y else 1.0 for y in b]  # the first fill of every unit is "unrelated"

    ex = Explainer(target=FunctionTarget(lambda ps: [" ".join(sorted(p.split())) for p in ps], name="sorted"),
                   infiller=SuffixInfiller(), scorer=LostWordsScorer(), threshold=0.9, budget=4, cache=False,
                   fills_per_mask=2)
    ex.constraints.checks.append(EditSimilarity(cosine, 0.5))
    r = ex.explain("is it wrong to lie to a friend")
    skipped = [t for t in r.trace if t.status == "skipped" and "min-edit-similarity" in t.reason]
    assert skipped and all(any(e.new.endswith("x0") for e in t.edits) for t in skipped)
    assert all(not any(e.new.endswith("x0") for e in t.edits) for t in r.trace if t.status == "scored")


def test_the_option_reaches_the_config_and_is_checked():
    from promptfoil.config import Search
    from promptfoil.errors import ConfigError

    assert Search(min_edit_similarity=0.45).min_edit_similarity == 0.45
    with pytest.raises(ConfigError, match="min_edit_similarity"):
        Search(min_edit_similarity=2.0)


@pytest.mark.slow
@requires_models
def test_minilm_tells_an_unrelated_swap_from_a_rewording():
    from promptfoil.backends.embedder import shared_embedder

    check = EditSimilarity(shared_embedder().cosine, 0.45)
    ok, bad = check.check("Should I avoid financial ruin?", ["Can I avoid financial ruin?", "Should I avoid financial aid?"])
    assert ok is None and bad is not None
