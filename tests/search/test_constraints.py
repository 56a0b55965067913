"""The checks a candidate must pass before it is queried: a candidate that fails the fluency
check is skipped before it costs a query, the checks run in order on the survivors, their
settings are checked, and in a conversation each edited turn is judged against its own
original turn, never the rendered conversation.

Every model here is a stand-in that makes no claim about a model; what the real models do is
tested in ``test_constraints_on_models.py``."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from standins import RecordingChat, RecordingFunction, SuffixInfiller, standin_explainer, standin_chat_explainer

from promptfoil import ConfigError, FunctionTarget
from promptfoil.cli.options import parse_margin
from promptfoil.search.constraints import Constraints, ContentKept, Fluency, PromptSimilarity

PROMPT = "Is it wrong to lie to my friend about her boyfriend?"
CHAT = [
    {"role": "system", "content": "You are a cooking assistant."},
    {"role": "user", "content": "I want to bake bread this weekend."},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]


class PickyInfiller(SuffixInfiller):
    """Stand-in: its first fills (``...x0``) read as broken to its fluency hook."""

    def __init__(self) -> None:
        super().__init__()
        self.scored: list[str] = []

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        self.scored.extend(texts)
        return [-9.0 if "x0" in t else -1.0 for t in texts]


class TurnFluency(SuffixInfiller):
    """Stand-in fluency hook: a text holding a ``x0`` fill reads as broken; remembers every
    (reference, texts) it was asked about."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str | None, list[str]]] = []

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        self.asked.append((reference, list(texts)))
        return [-9.0 if "x0" in t else -1.0 for t in texts]


def test_a_candidate_that_fails_fluency_is_skipped_before_it_costs_a_query():
    target, infiller = RecordingFunction(), PickyInfiller()
    ex = standin_explainer(target=target, infiller=infiller, threshold=1.0, min_fluency=0.5).explain(PROMPT)
    skipped = [t for t in ex.trace if t.status == "skipped" and t.reason.startswith("not fluent")]
    assert skipped and all("x0" in t.prompt for t in skipped)
    assert all("below the original's" in t.reason and t.paid_by == "none" for t in skipped)
    assert not any("x0" in p for p in target.prompts)  # never sent to the target
    assert ex.calls.target == len([t for t in ex.trace if t.paid_by == "budget"])
    assert any("x0" in t for t in infiller.scored)
    assert "skipped by constraints (fluency" in ex.stop_reason


def test_min_fluency_none_sends_every_candidate():
    target = RecordingFunction()
    ex = standin_explainer(target=target, infiller=PickyInfiller(), threshold=1.0, min_fluency=None).explain(PROMPT)
    assert not any(t.reason.startswith("not fluent") for t in ex.trace)
    assert any("x0" in p for p in target.prompts)


def test_constraints_run_in_order_on_the_survivors():
    class Fixed:
        def __init__(self, values: dict[str, float]) -> None:
            self.values, self.asked = values, []

        def mean_logprob(self, texts, reference=None):
            self.asked.append(list(texts))
            return [self.values[t] for t in texts]

    lm = Fixed({"x0": -2.0, "ok": -2.3, "bad": -3.0, "far": -2.1})
    asked: list[list[str]] = []

    def cosine(a, b):
        asked.append(list(b))
        return [0.2 if t == "far" else 0.9 for t in b]

    checks = Constraints([Fluency(lm, 0.5), PromptSimilarity(cosine, 0.5)])
    verdict = checks.check("x0", ["ok", "bad", "far"])
    assert verdict[0] is None
    assert verdict[1][0] == "fluency" and "1.00 below" in verdict[1][1]
    assert verdict[2][0] == "prompt-similarity" and "0.20" in verdict[2][1]
    assert asked == [["ok", "far"]]  # the similarity check never saw the broken one
    assert not Constraints([])


def test_config_and_cli_read_the_constraint_settings():
    with pytest.raises(ConfigError, match="min_fluency"):
        standin_explainer(min_fluency=-0.1)
    with pytest.raises(ConfigError, match="min_prompt_similarity"):
        standin_explainer(min_prompt_similarity=1.5)
    assert parse_margin("none") is None and parse_margin("0.7") == 0.7
    with pytest.raises(Exception, match="number"):
        parse_margin("-1")


def test_fluency_judges_each_edited_turn_against_its_original_not_the_rendered_conversation():
    fn, lm = RecordingChat(), TurnFluency()
    ex = standin_chat_explainer(target=FunctionTarget(fn, chat=True), infiller=lm, min_fluency=0.5).explain(
        CHAT, edit=["user:*"])
    originals = {CHAT[1]["content"], CHAT[3]["content"]}
    checked = [(ref, texts) for ref, texts in lm.asked if ref is not None]
    assert checked and {ref for ref, _ in checked} <= originals
    for ref, texts in checked:
        assert all("user:" not in t and "assistant:" not in t for t in texts)  # turn contents only
    skipped = [t for t in ex.trace if t.status == "skipped" and t.reason.startswith("not fluent")]
    assert skipped and all("x0" in t.prompt for t in skipped)
    assert not any("x0" in m["content"] for c in fn.conversations for m in c)  # never sent
    assert "skipped by constraints (fluency" in ex.stop_reason


def test_prompt_similarity_compares_the_edited_turn():
    seen: list[tuple[list[str], list[str]]] = []

    def cosine(a, b):
        seen.append((list(a), list(b)))
        return [0.1] * len(b)

    from promptfoil.search.constraints import Constraints, PromptSimilarity

    ex = standin_chat_explainer(min_fluency=None)
    ex.constraints = Constraints([PromptSimilarity(cosine, 0.5)])  # no embedding model in a plumbing test
    out = ex.explain(CHAT)
    assert seen and all(a == [CHAT[3]["content"]] * len(a) for a, _ in seen)
    assert all(b and CHAT[3]["content"] not in b for _, b in seen)
    assert out.calls.target == 0 and not out.found
    assert any("cosine similarity" in t.reason for t in out.trace)


# --- ContentKept: no content word turns into grammar ----------------------------------

VOTING = "Is it wrong to skip voting if I do not like any candidate?"


@pytest.mark.parametrize("candidate", [
    "Is it wrong to skip over if I do not like any candidate?",  # 'voting' → 'over'
    "Is it wrong to skip voting if I do not have any candidate?",  # 'like' → 'have'
    "Is it wrong to skip voting if I do not like any of?",  # 'candidate' → 'of'
])
def test_a_content_word_replaced_by_function_words_only_is_refused(candidate):
    (why,) = ContentKept().check(VOTING, [candidate])
    assert why and "content word" in why


@pytest.mark.parametrize("candidate", [
    "Is it wrong to skip work if I do not like any candidate?",  # content for content
    "Is it wrong to skip if I do not like any candidate?",  # a deletion
    "Should it wrong to skip voting if I do not like any candidate?",  # grammar for grammar
    "Is it wrong to skip voting if we do not like any candidate?",
    "Is it wrong to skip voting if I do not like the candidate?",  # a quantifier is a detail of degree
    VOTING,
])
def test_other_edits_pass(candidate):
    assert ContentKept().check(VOTING, [candidate]) == [None]
