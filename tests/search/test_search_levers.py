"""Search options that trade model work for the same contrasts: fills reused from x0's context,
giving up when nothing is near δ, and ranking by answer change per change of the question."""

from __future__ import annotations

import pytest
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller, planted_word

from promptfoil import ConfigError, Explainer, FunctionTarget
from promptfoil.config import Search

PROMPT = "Why are rich people able to avoid financial ruin when markets crash so hard?"


def make(*, budget=40, threshold=0.3, target=None, infiller=None, **kw):
    return Explainer(
        target=target or RecordingFunction(), infiller=infiller or SuffixInfiller(), scorer=LostWordsScorer(),
        algorithm="cell-budget", budget=budget, threshold=threshold, cache=False, min_fluency=None, **kw,
    )


def test_reused_fills_are_asked_in_x0s_context_once_per_unit():
    fills = SuffixInfiller()
    result = make(infiller=fills, threshold=1.0, reuse_fills=True, minimize=False).explain(PROMPT)
    assert result.calls.target > 10  # the search went well past the first round
    assert {r.text for r in fills.requests} == {PROMPT}
    spans = [(r.start, r.end) for r in fills.requests]
    assert len(spans) == len(set(spans))  # each unit filled at most once


def test_without_reuse_edited_prompts_are_filled_in_their_own_context():
    fills = SuffixInfiller()
    make(infiller=fills, threshold=1.0, minimize=False).explain(PROMPT)
    assert any(r.text != PROMPT for r in fills.requests)


def test_reused_fills_still_give_valid_multi_edit_candidates():
    fn = RecordingFunction()
    result = make(target=fn, threshold=1.0, reuse_fills=True, minimize=False).explain(PROMPT)
    multi = [t for t in result.trace if len(t.edits) >= 2 and t.status == "scored"]
    assert multi, "the search combined reused fills"
    for t in multi:
        for e in t.edits:
            assert e.new.startswith(e.old.replace(" ", "_") + "x")  # a fill of that very unit
            assert e.new in t.prompt


def test_give_up_stops_early_when_nothing_is_near_the_threshold():
    fn = RecordingFunction()
    result = make(target=fn, threshold=1.0, give_up=(0.5, 0.2)).explain(PROMPT)
    assert not result.found
    assert "gave up after" in result.stop_reason
    assert 20 <= result.calls.target < 40
    full = make(threshold=1.0).explain(PROMPT)
    assert full.calls.target == 40 and "gave up" not in full.stop_reason


def test_give_up_keeps_searching_when_a_candidate_is_within_the_margin():
    result = make(threshold=1.0, give_up=(0.5, 1.0)).explain(PROMPT)
    assert result.calls.target == 40
    assert "gave up" not in result.stop_reason


def _verdict(**kw):
    """The verdict definition on stand-ins (plumbing): every answer reads "yes", so no verdict moves."""
    from standins import verdict_chat

    from promptfoil.scorers.verdict import VerdictScorer
    from promptfoil.scorers.verdict_readers import ChatVerdictReader

    return Explainer(target=lambda ps: ["Sure, " + p for p in ps], infiller=SuffixInfiller(),
                     scorer=VerdictScorer(ChatVerdictReader(verdict_chat())), algorithm="cell-budget", budget=40,
                     cache=False, min_fluency=None, minimize=False, **kw)


def test_the_verdict_definition_gives_up_by_its_own_rule_unless_told_otherwise():
    from promptfoil.scorers.verdict import VerdictScorer

    rule = VerdictScorer.default_give_up
    held = _verdict().explain("Should I lend my brother money for a car?")
    assert not held.found and "--give-up " + ":".join(f"{x:g}" for x in rule) in held.stop_reason
    assert rule[0] * 40 <= held.calls.target < 40
    full = _verdict(give_up=None).explain("Should I lend my brother money for a car?")
    assert full.calls.target == 40 and "gave up" not in full.stop_reason


def test_a_scorer_without_its_own_rule_never_gives_up_by_default():
    result = make(threshold=1.0).explain(PROMPT)  # give_up left at "scorer"; lost-words declares none
    assert result.calls.target == 40 and "gave up" not in result.stop_reason


def test_a_stalled_near_miss_gives_up_too():
    def steady(prompts):  # every answer alike: each candidate scores 0, within the margin, never rising
        return ["Markets recover in time." for _ in prompts]

    near = make(target=steady, threshold=1.0, give_up=(0.25, 1.0)).explain(PROMPT)
    assert near.calls.target == 40 and "gave up" not in near.stop_reason
    stalled = make(target=steady, threshold=1.0, give_up=(0.25, 1.0, 0.25)).explain(PROMPT)
    assert "has not risen over the last" in stalled.stop_reason and "--give-up 0.25:1:0.25" in stalled.stop_reason
    assert 10 <= stalled.calls.target < 40


@pytest.mark.parametrize("bad", [(0, 0.1), (1.5, 0.1), (0.5, -1), (0.5,), (0.5, 0.1, 0), (0.5, 0.1, 2), (0.5, 0.1, 0.2, 0.1),
                                 "0.5:0.1", "verdict", (True, 0.1)])
def test_give_up_is_checked(bad):
    with pytest.raises(ConfigError, match="give_up"):
        Search(give_up=bad)


def test_meaning_weight_prefers_the_hit_that_moved_the_question_least():
    """With δ 0 every candidate is a hit, and the first round asks two (seed 3: 'rich' and
    'old'); editing 'rich' moves the answer most. Unweighted, the 'rich' edit wins (highest
    score); weighted, with a 'rich' swap counted as a large move of the question, the other."""
    prompt = "why do careful rich families keep their savings in old banks"

    def shift(x0, prompts):
        return [1.0 if "rich" not in p.split() else 0.05 for p in prompts]

    def run(weight):
        target = FunctionTarget(planted_word("rich"), name=None)
        target.max_concurrency = 4  # a batch of 4: both first-round candidates are answered
        ex = make(target=target, threshold=0.0, budget=20,
                  meaning_weight=weight, minimize=False, seed=3)
        if weight:
            ex.shift = shift  # the stand-in for MiniLM's 1 - cosine
        return ex.explain(prompt)

    plain, weighted = run(0.0), run(1.0)
    assert plain.found and weighted.found
    assert [e.old for e in plain.edits] == ["rich"]
    assert "rich" not in [e.old for e in weighted.edits]


def test_meaning_weight_must_not_be_negative():
    with pytest.raises(ConfigError, match="meaning_weight"):
        Search(meaning_weight=-1.0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_stance_first_seeds_edit_modals_auxiliaries_and_negations_first(seed):
    prompt = "Should I never tell my careful neighbor that his old dog barks at night?"
    fills = SuffixInfiller()
    make(infiller=fills, threshold=1.0, budget=12, seed=seed, unit_order="stance-first", minimize=False).explain(prompt)
    assert sorted(first_units(fills, prompt)) == ["Should", "never"]
    fills = SuffixInfiller()
    make(infiller=fills, threshold=1.0, budget=12, seed=seed, minimize=False).explain(prompt)
    assert sorted(first_units(fills, prompt)) != ["Should", "never"]  # content-first: the seed's draw


def first_units(fills, prompt, n=2):
    """The first ``n`` units of ``prompt`` itself that the search asked fills for."""
    return [r.old for r in fills.requests if r.text == prompt][:n]
