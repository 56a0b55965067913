"""What a result says: a not-found result keeps its closest candidate under ``best_try`` (never
in the contrast fields), each edit carries its own score when it was asked alone, and the
terminal lists the edits as text."""

from __future__ import annotations

import io
import json
from importlib.resources import files

import jsonschema
from rich.console import Console

from promptfoil import Explainer, Explanation
from promptfoil.report.terminal import render
from promptfoil.targets.function import FunctionTarget
from standins import LostWordsScorer, SuffixInfiller

SCHEMA = json.loads(files("promptfoil").joinpath("schema/explanation.json").read_text())


def echo(prompts: list[str]) -> list[str]:
    return [" ".join(sorted(p.split())) for p in prompts]


def explain(threshold: float, budget: int = 6):
    ex = Explainer(target=FunctionTarget(echo, name="echo"), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                   threshold=threshold, budget=budget, fills_per_mask=2, cache=False, minimize=False)
    return ex.explain("is it wrong to lie to a friend")


def test_not_found_keeps_its_best_try_apart():
    r = explain(threshold=0.99)
    assert not r.found
    assert r.contrast_prompt is None and r.contrast_response is None and r.score is None and r.edits == ()
    assert r.best_try is not None and r.best_try.score is not None and r.best_try.score < 0.99
    d = r.to_dict()
    jsonschema.validate(d, SCHEMA)
    assert Explanation.from_dict(d).best_try == r.best_try


def test_found_has_no_best_try_and_scores_each_edit():
    r = explain(threshold=0.1)
    assert r.found and r.best_try is None
    assert len(r.edit_scores) == len(r.edits)
    singles = {(t.edits[0].unit, t.edits[0].new): t.score for t in r.trace if len(t.edits) == 1 and t.score is not None}
    for e, s in zip(r.edits, r.edit_scores):
        assert s == singles.get((e.unit, e.new))
    jsonschema.validate(r.to_dict(), SCHEMA)


def test_terminal_lists_the_edits_as_text():
    r = explain(threshold=0.1)
    buf = io.StringIO()
    render(r, Console(file=buf, width=160, color_system=None))
    out = buf.getvalue()
    e = r.edits[0]
    assert f"{e.old.strip()!r} → {e.new.strip()!r}" in out


def test_terminal_shows_the_closest_try_as_not_a_contrast():
    r = explain(threshold=0.99)
    buf = io.StringIO()
    render(r, Console(file=buf, width=160, color_system=None))
    assert "closest try" in buf.getvalue() and "not a contrast" in buf.getvalue()
