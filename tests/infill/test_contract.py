"""The infiller contract, for every registered infiller and for infillers that break it.

Every registered infiller is built the way the command line builds it (its flags parsed into a
Config, then ``promptfoil.build``) with what this machine has offline: tiny random-weight
Hugging Face models (testkit/hf_tiny.py), the fake OpenAI-compatible server (testkit/openai_fakes.py)
for the ``llm`` infiller, and the embedded SmolLM2 GGUF (slow). Each answers an empty batch of
requests with no list and a batch of two requests with one list of texts per request (random
weights and an echoing server may propose nothing: an empty list is a list). An infiller that
returns something else is reported by name."""

from __future__ import annotations

import pytest
from contract_cases import REAL_MODEL, Case, build, case_flags, fake_server, params, tiny
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil import InfillRequest, Infiller, PromptfoilError
from results_helpers import PROMPT, explainer

TEXT = "Is it wrong to lie to my friend about her boyfriend?"
TWO = [InfillRequest(TEXT, TEXT.index("wrong"), TEXT.index("wrong") + 5, 3),
       InfillRequest(TEXT, TEXT.index("friend"), TEXT.index("friend") + 6, 3)]
CASES = [
    Case("t5", "t5", lambda r: ["--infiller", "t5", "--infiller-model", tiny(r, "t5")]),
    # random BART weights never stop early: a few beams, few extra tokens
    Case("bart", "bart", lambda r: ["--infiller", "bart", "--infiller-model", tiny(r, "bart"),
                                    "--infiller-option", "num_beams=3", "--infiller-option", "extra_tokens=2"]),
    Case("mlm", "mlm", lambda r: ["--infiller", "mlm", "--infiller-model", tiny(r, "bert")]),
    Case("llm", "llm-server", lambda r: ["--infiller", "llm", "--base-url", fake_server(r), "--infiller-model", "fake-model"]),
    Case("llm", "llm-embedded", lambda r: ["--infiller", "llm"], REAL_MODEL),
    Case("lm", "lm", lambda r: ["--infiller", "lm"], REAL_MODEL),
]


def with_defaults(registry, name):
    try:
        return registry.create(name)
    except PromptfoilError as exc:  # needs a model path / URL the user must give
        pytest.skip(f"{registry.kind} '{name}' needs arguments: {exc}")


@pytest.mark.parametrize("case", params(promptfoil.infillers, CASES))
def test_a_registered_infiller_fills_no_request_and_two_requests(case, request):
    infiller = build("infiller", case_flags(promptfoil.infillers, case, request))
    assert isinstance(infiller, Infiller) and isinstance(infiller.name, str) and infiller.name
    assert len(list(infiller.infill([]))) == 0
    fills = list(infiller.infill(TWO))
    assert len(fills) == 2
    for row in fills:
        assert isinstance(row, list), type(row)
        assert all(isinstance(f, str) for f in row), row


@pytest.mark.parametrize("name", promptfoil.infillers.names())
def test_infiller_contract(name):
    inf = with_defaults(promptfoil.infillers, name)
    assert isinstance(inf, Infiller)
    assert isinstance(inf.name, str) and inf.name


class _Infiller(SuffixInfiller):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def infill(self, requests):
        return self.fn(requests)


@pytest.mark.parametrize("infill, needle", [
    (lambda rs: None, "must return a list"),
    (lambda rs: [["a"]] * (len(rs) + 1), "list\\(s\\) of fills for"),
    (lambda rs: [None] * len(rs), "must return a list, got NoneType"),
    (lambda rs: [[1, 2]] * len(rs), "int"),
    (lambda rs: ["abc"] * len(rs), "must return a list, got str"),
])
def test_infiller_breaking_its_contract_is_reported(infill, needle):
    with pytest.raises(PromptfoilError, match=f"infiller 'suffix'.*{needle}"):
        explainer(infiller=_Infiller(infill)).explain(PROMPT)
