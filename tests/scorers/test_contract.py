"""The scorer contract, for every registered scorer and for scorers that break it.

Every registered scorer is built the way the command line builds it (its flags parsed into a
Config, then ``promptfoil.build``) with what this machine has offline: tiny random-weight
Hugging Face models (testkit/hf_tiny.py), the fake OpenAI-compatible server (testkit/openai_fakes.py)
for the chat judges, and the embedded SmolLM2 GGUF and MiniLM (slow). Each answers an empty
batch of items with no score and a batch of two items with one float, or None (could not
score), per item. Components that need no argument are also checked against the protocol as
their defaults build them. A scorer that returns something else is reported by name."""

from __future__ import annotations

import math

import pytest
from contract_cases import REAL_MODEL, Case, build, case_flags, fake_server, params, tiny
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil import PromptfoilError, ScoreItem, Scorer
from promptfoil.types import DIRECTIONS
from results_helpers import PROMPT, explainer

POLICY = "policy=Gift cards are never allowed as presents from clients."
TWO = [
    ScoreItem("Is it wrong to lie to my friend?", "Yes, lying to a friend is wrong.",
              "Is it fine to lie to my friend?", "No, it is fine to lie sometimes."),
    ScoreItem("Should I tell my boss about a coworker stealing?", "Yes, you should tell your boss.",
              "Should I tell my dog about a coworker stealing?", "Dogs do not understand words."),
]


def judge(name: str, *options: str):
    """A chat judge on the fake server (named by ``--base-url``, as a user with a server runs it)."""
    return lambda r: ["--scorer", name, "--base-url", fake_server(r), "--scorer-model", "fake-model", *options]


def embedded(name: str, *options: str):
    """A chat judge on the embedded SmolLM2, the default without ``--base-url``."""
    return lambda r: ["--scorer", name, *options]


CASES = [
    Case("bleu", "bleu", lambda r: ["--scorer", "bleu"]),
    Case("contradiction", "contradiction", lambda r: ["--scorer", "contradiction", "--scorer-model", tiny(r, "nli")]),
    Case("preference", "preference", lambda r: ["--scorer", "preference", "--scorer-model", tiny(r, "t5")]),
    Case("reward", "reward", lambda r: ["--scorer", "reward", "--scorer-model", tiny(r, "reward")]),
    Case("judge-contradiction", "judge-contradiction-server", judge("judge-contradiction")),
    Case("maxims", "maxims-server", judge("maxims")),
    Case("policy", "policy-server", judge("policy", "--scorer-option", POLICY)),
    Case("judge-contradiction", "judge-contradiction-embedded", embedded("judge-contradiction"), REAL_MODEL),
    Case("maxims", "maxims-embedded", embedded("maxims"), REAL_MODEL),
    Case("policy", "policy-embedded", embedded("policy", "--scorer-option", POLICY), REAL_MODEL),
    Case("semantic", "semantic", lambda r: ["--scorer", "semantic"], REAL_MODEL),
    Case("verdict", "verdict-server", judge("verdict")),
    Case("verdict", "verdict-embedded", embedded("verdict", "--scorer-model", "smollm2"), REAL_MODEL),
    Case("verdict", "verdict-anchors", embedded("verdict", "--scorer-option", "reader=anchors"), REAL_MODEL),
    Case("auto", "auto", lambda r: ["--scorer", "auto"], REAL_MODEL),
]


class _Scorer(LostWordsScorer):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def score(self, items):
        return self.fn(items)


def with_defaults(registry, name):
    try:
        return registry.create(name)
    except PromptfoilError as exc:  # needs a model path / URL the user must give
        pytest.skip(f"{registry.kind} '{name}' needs arguments: {exc}")


@pytest.mark.parametrize("case", params(promptfoil.scorers, CASES))
def test_a_registered_scorer_scores_no_item_and_two_items(case, request):
    scorer = build("scorer", case_flags(promptfoil.scorers, case, request))
    assert isinstance(scorer, Scorer) and scorer.direction in DIRECTIONS
    lo, hi = scorer.bounds
    assert lo < hi and lo <= scorer.default_threshold <= hi
    assert len(list(scorer.score([]))) == 0
    scores = list(scorer.score(TWO))
    assert len(scores) == 2
    for s in scores:
        assert s is None or (isinstance(s, float) and not math.isnan(s)), (type(s), s)


@pytest.mark.parametrize("name", promptfoil.scorers.names())
def test_scorer_contract(name):
    s = with_defaults(promptfoil.scorers, name)
    assert isinstance(s, Scorer)
    assert s.direction in DIRECTIONS
    lo, hi = s.bounds
    assert lo < hi
    assert lo <= s.default_threshold <= hi and math.isfinite(s.default_threshold)
    assert s.score([]) == []


@pytest.mark.parametrize("scorer, needle", [
    (lambda it: None, "must return a list"),
    (lambda it: [object()] * len(it), "object"),  # None is allowed: "could not score" (tests/scorers/test_unscorable.py)
    (lambda it: [0.1] * (len(it) - 1), "0 score\\(s\\) for 1 item"),
    (lambda it: [0.1] * (len(it) + 1), "score\\(s\\) for 1 item"),
    (lambda it: ["0.5"] * len(it), "str"),
    (lambda it: [float("nan")] * len(it), "NaN"),
])
def test_scorer_breaking_its_contract_is_reported(scorer, needle):
    with pytest.raises(PromptfoilError, match=f"scorer 'lost-words'.*{needle}|{needle}"):
        explainer(scorer=_Scorer(scorer)).explain(PROMPT)
