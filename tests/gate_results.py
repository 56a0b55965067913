"""A results file for the tests of ``gate`` (the use, its JUnit report and its command).

It is written by a real dataset run (``runs.run`` with the Explainer) over deterministic
stand-ins: the target answers a prompt's sorted distinct words, the scorer is the share of lost
words (δ = 0.3), so each three-word prompt's contrast is one edited word. Plumbing only.
"""

from __future__ import annotations

import json
from pathlib import Path

from standins import LostWordsScorer, SuffixInfiller, sorted_words

from promptfoil import Explainer, FunctionTarget
from promptfoil.runs import LocalEngine, RunItem, read_results, run

PROMPTS = ["the cat sat", "a dog barks", "birds fly south", "fixed words here", "?!"]


def old_model(prompts: list[str]) -> list[str]:
    """The model the results were written with; prompts with 'fixed' never change answer."""
    return ["fixed answer" if "fixed" in p else sorted_words(p) for p in prompts]


#: ``standins:WordsTarget`` answers like :func:`old_model` with these overrides (the one prompt
#: of item 4, the only "fixed" prompt the gate asks).
UNCHANGED = {"fixed words here": "fixed answer"}


def words_target(changes: dict[str, str] | None = None, **options: object) -> list[str]:
    """CLI arguments of a ``standins:WordsTarget`` that answers like the old model, but for ``changes``."""
    args = ["--target", "standins:WordsTarget", "--target-option", f"overrides={json.dumps({**UNCHANGED, **(changes or {})})}"]
    for key, value in options.items():
        args += ["--target-option", f"{key}={json.dumps(value)}"]
    return args


def write_results(folder: Path) -> Path:
    """3 found contrasts (ids 1-3), one not found (4), one the run failed on (5)."""
    ex = Explainer(target=FunctionTarget(old_model, name="old"), infiller=SuffixInfiller(),
                   scorer=LostWordsScorer(), threshold=0.3, budget=5, fills_per_mask=2, cache=False)
    path = folder / "results.jsonl"
    run([RunItem(str(i), p) for i, p in enumerate(PROMPTS, 1)], LocalEngine(ex), path)  # as `promptfoil run`: with traces
    recs = {r["id"]: r for r in read_results(path)}
    assert [recs[i].get("found") for i in "12345"] == [True, True, True, False, None]
    assert "error" in recs["5"]
    return path


def record(path: Path, item_id: str) -> dict:
    return next(r for r in read_results(path) if r["id"] == item_id)
