"""Which words matter, from the trace: a stand-in target that reacts strongly to one planted
word, a search that runs out its budget, and the estimate must single out that word."""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema
import pytest
from standins import planted_explanation

from promptfoil import Edit, Explanation, TraceEntry
from promptfoil.search.effects import MIN_SUPPORT, unit_effects

SCHEMA = json.loads(files("promptfoil").joinpath("schema/explanation.json").read_text())


def explain(word: str, seed: int) -> Explanation:
    return planted_explanation(word, seed)


@pytest.mark.parametrize("word,seed", [("rich", 0), ("savings", 1), ("careful", 2), ("banks", 3)])
def test_the_planted_word_has_the_largest_supported_effect(word, seed):
    ex = explain(word, seed)
    assert not ex.found  # δ out of reach: the search spent its budget, every candidate is data
    effects = {u.old: u for u in ex.unit_effects}
    assert word in effects, f"the search never edited {word!r}"
    top = max((u for u in ex.unit_effects if u.supported), key=lambda u: u.effect)
    assert top.old == word and top.effect > 0
    assert all(u.effect is None or u.effect < top.effect for u in ex.unit_effects if u.old != word)
    assert ex.prompt[top.start:top.end] == word


def test_counts_match_the_trace_and_the_record_round_trips():
    ex = explain("rich", 0)
    scored = {t.prompt: t for t in ex.trace if t.status == "scored" and t.score is not None and t.edits}
    for u in ex.unit_effects:
        edited = [t for t in scored.values() if any(e.unit == u.unit for e in t.edits)]
        assert u.n_edited == len(edited) and u.n_other == len(scored) - len(edited)
        assert u.supported == (u.n_edited >= MIN_SUPPORT and u.n_other >= MIN_SUPPORT)
    d = ex.to_dict()
    jsonschema.validate(d, SCHEMA)
    assert Explanation.from_dict(d).unit_effects == ex.unit_effects


def _entry(units: list[int], score: float) -> TraceEntry:
    edits = tuple(Edit(u, 2 * u, 2 * u + 1, "w", "v") for u in units)
    return TraceEntry(step=1, stage="s", prompt=f"p{units}", edits=edits, status="scored", paid_by="budget",
                      score=score)


def test_direction_turns_the_sign_and_too_few_candidates_are_flagged():
    trace = [_entry([0], 0.1), _entry([1], 0.5), _entry([1, 2], 0.7)]
    up = {u.unit: u for u in unit_effects(trace, "increase")}
    down = {u.unit: u for u in unit_effects(trace, "decrease")}
    assert up[1].effect == pytest.approx(0.6 - 0.1) and down[1].effect == pytest.approx(-(0.6 - 0.1))
    assert up[1].n_edited == 2 and up[1].n_other == 1 and not up[1].supported  # one candidate on the other side
    assert unit_effects([_entry([0], 0.3)], "increase")[0].effect is None  # nothing to compare with
