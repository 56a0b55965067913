"""The target contract, for every registered target and for targets that break it.

Every registered target is built the way the command line builds it (its flags parsed into a
Config, then ``promptfoil.build``) with what this machine has offline: a tiny random-weight
Hugging Face model (testkit/hf_tiny.py), the fake OpenAI-compatible server (testkit/openai_fakes.py),
and the embedded SmolLM2 GGUF (slow). Each answers an empty batch with no reply and a batch of
two prompts with one text (or :class:`Reply`) per prompt. Components that need no argument
are also checked against the protocol as their defaults build them. A target that returns
something else, too few answers, or fails, is reported by name and nothing it said is cached."""

from __future__ import annotations

import json

import pytest
from contract_cases import REAL_MODEL, Case, build, case_flags, fake_server, params, smollm2_file, tiny
from standins import EchoTarget, LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil import FunctionTarget, PromptfoilError, ResponseCache, Reply, Target
from results_helpers import PROMPT, explainer

TWO = ["Is it wrong to lie to my friend about her boyfriend?", "Hi"]
CASES = [
    Case("hf", "hf", lambda r: ["--target", "hf", "--target-model", tiny(r, "causal"), "--max-tokens", "4"]),
    Case("openai", "openai", lambda r: ["--target", "openai", "--base-url", fake_server(r), "--target-model", "fake-model"]),
    Case("smollm2", "smollm2", lambda r: ["--target", "smollm2", "--max-tokens", "8"], REAL_MODEL),
    Case("gguf", "gguf", lambda r: ["--target", "gguf", "--target-model", smollm2_file(r), "--max-tokens", "8"], REAL_MODEL),
]


def with_defaults(registry, name):
    try:
        return registry.create(name)
    except PromptfoilError as exc:  # needs a model path / URL the user must give
        pytest.skip(f"{registry.kind} '{name}' needs arguments: {exc}")


@pytest.mark.parametrize("case", params(promptfoil.targets, CASES))
def test_a_registered_target_answers_no_prompt_and_two_prompts(case, request):
    target = build("target", case_flags(promptfoil.targets, case, request))
    assert isinstance(target, Target)
    json.dumps(target.settings, sort_keys=True)  # part of the cache key: must serialise
    assert target.identity is None or isinstance(target.identity, str)
    assert isinstance(target.cacheable, bool) and int(target.batch_size) >= 1
    assert len(list(target.generate([]))) == 0
    replies = list(target.generate(TWO))
    assert len(replies) == 2
    for reply in replies:
        assert isinstance(reply, (Reply, str)), type(reply)
        assert isinstance(reply.text if isinstance(reply, Reply) else reply, str)


@pytest.mark.parametrize("name", promptfoil.targets.names())
def test_target_contract(name):
    t = with_defaults(promptfoil.targets, name)
    assert isinstance(t, Target)
    json.dumps(t.settings, sort_keys=True)  # part of the cache key: must serialise
    assert t.identity is None or isinstance(t.identity, str)
    assert isinstance(t.cacheable, bool)
    assert int(getattr(t, "batch_size", 1)) >= 1


def test_echo_standin_is_a_target():
    assert isinstance(EchoTarget(), promptfoil.Target)


def test_target_returning_the_wrong_number_of_answers_is_reported():
    ex = promptfoil.Explainer(target=lambda ps: [], infiller=SuffixInfiller(),
                              scorer=LostWordsScorer(), cache=False)
    with pytest.raises(promptfoil.PromptfoilError, match="one string per prompt|returned"):
        ex.explain("Hello there friend")


def test_failing_target_function_is_reported_with_its_error():
    def broken(prompts):
        raise RuntimeError("server on fire")

    ex = promptfoil.Explainer(target=broken, infiller=SuffixInfiller(), scorer=LostWordsScorer(), cache=False)
    with pytest.raises(promptfoil.PromptfoilError, match="server on fire"):
        ex.explain("Hello there friend")


@pytest.mark.parametrize("answer, needle", [
    (lambda ps: "abc", "got str"), (lambda ps: {p: "x" for p in ps}, "got dict"),
    (lambda ps: [1] * len(ps), "got int"), (lambda ps: [b"x"] * len(ps), "got bytes"),
    (lambda ps: None, "got NoneType"), (lambda ps: [None] * len(ps), "got NoneType"),
])
def test_target_returning_no_text_is_reported_and_never_cached(tmp_path, answer, needle):
    cache = ResponseCache(tmp_path / "c.sqlite")
    with pytest.raises(PromptfoilError, match=needle):
        explainer(target=FunctionTarget(answer, name="named"), cache=cache).explain(PROMPT)
    assert len(cache) == 0


class _RawTarget:
    """A target object (not a BaseTarget) whose ``generate`` answers ``answer(prompts)``."""

    name, batch_size, identity, settings, cacheable = "raw", 1, "standin:raw", {}, True

    def __init__(self, answer) -> None:
        self.answer = answer

    def generate(self, prompts):
        return self.answer(prompts)


@pytest.mark.parametrize("answer", [lambda ps: "abc", lambda ps: {p: "x" for p in ps}, lambda ps: [1] * len(ps),
                                    lambda ps: [None] * len(ps), lambda ps: None])
def test_a_target_object_returning_no_texts_is_reported_and_never_cached(tmp_path, answer):
    cache = ResponseCache(tmp_path / "c.sqlite")
    with pytest.raises(PromptfoilError, match="raw"):
        explainer(target=_RawTarget(answer), cache=cache).explain(PROMPT)
    assert len(cache) == 0
