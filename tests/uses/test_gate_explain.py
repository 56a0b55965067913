"""The gate explains a regression: the search run again on the new target for the worst
drifted or lost items, with the run's own scorer, δ and recorded search settings, its own
budget and the gate's cache; the new contrast beside the stored one, or "no contrast within
budget", and how the edit size moved.

Stand-ins (plumbing): the results come from tests/gate_results.py (one edited word flips the
old model); the new models below need two edited words, or cannot be flipped at all."""

from __future__ import annotations

import re

import pytest
from gate_results import old_model, write_results
from standins import LostWordsScorer, SuffixInfiller

from promptfoil import Conversation, FunctionTarget
from promptfoil.config import Component, Config
from promptfoil.errors import ConfigError
from promptfoil.explainer import Explainer
from promptfoil.runs import LocalEngine, RunItem, read_results, run
from promptfoil.targets.base import BaseTarget
from promptfoil.targets.cache import ResponseCache
from promptfoil.uses.gate import Reexplanation, cases_from_records, check_cases
from promptfoil.uses.gate_explain import explain_regressions, search_config

EDITED = re.compile(r"x\d+$")


def needs_two_edits(prompts: list[str]) -> list[str]:
    """Like the old model, but a single edited word is read as the word it replaced."""
    out = []
    for p in prompts:
        words = p.split()
        if sum(1 for w in words if EDITED.search(w)) < 2:
            p = " ".join(EDITED.sub("", w) for w in words)
        out.append(old_model([p])[0])
    return out


def birds_go_quiet(prompts: list[str]) -> list[str]:
    """Like the old model, but every prompt about the birds gets one fixed answer."""
    return ["quiet" if "fly" in p else a for p, a in zip(prompts, old_model(prompts))]


@pytest.fixture()
def cases(tmp_path):
    return cases_from_records(read_results(write_results(tmp_path)))


def explain(cases, model, limit=3, budget=20, cache=None):
    target = FunctionTarget(model, name=model.__name__)
    report = check_cases(cases, target, LostWordsScorer(), cache)
    base = Config(target=Component(target), scorer=Component(LostWordsScorer()), cache=cache or False)
    made: list[Config] = []

    def explainer_for(case):
        cfg = search_config(case, base, budget, Component(SuffixInfiller()))
        made.append(cfg)
        return Explainer(cfg)

    return explain_regressions(report, cases, explainer_for, limit, budget), made


def test_a_lost_contrast_gets_the_new_larger_edit_that_flips_the_new_model(cases):
    report, made = explain(cases, needs_two_edits)
    items = {i.id: i for i in report.items}
    assert [items[k].verdict for k in "1234"] == ["lost", "lost", "lost", "holds"]
    ex = items["1"].explanation
    assert isinstance(ex, Reexplanation) and ex.found and ex.error is None
    assert len(ex.edits) == 2 and all(new == f"{old}x{new[-1]}" for old, new in ex.edits)
    assert needs_two_edits([ex.contrast_prompt]) == [ex.contrast_response]  # the new model's own answer
    assert ex.old_edit_distance == pytest.approx(1 / 3) and ex.edit_distance == pytest.approx(2 / 3)
    assert ex.edit_distance_change == pytest.approx(1 / 3) and ex.boundary.startswith("further")
    assert items["1"].still_flips is False and ex.calls <= 20
    # the run's recorded settings and goal drive the search; the gate's own pass settings apply
    cfg = made[0]
    assert (cfg.search.fills_per_mask, cfg.search.threshold, cfg.search.direction) == (2, 0.3, "increase")
    assert cfg.budget.calls == 20 and cfg.search.contrasts == 1 and cfg.search.confirm == 0
    assert report.to_dict()["items"][0]["explanation"]["boundary"].startswith("further")


def test_no_contrast_within_budget_is_said_so(cases):
    report, _ = explain(cases, birds_go_quiet, budget=4)
    item = next(i for i in report.items if i.id == "3")
    assert item.verdict == "drifted" and item.explanation is not None
    assert not item.explanation.found and item.explanation.contrast_prompt is None
    assert item.explanation.boundary == "no contrast within budget (4 calls)" and item.explanation.calls <= 4


def test_only_the_worst_n_are_searched_again(cases):
    report, made = explain(cases, needs_two_edits, limit=1)
    assert sum(1 for i in report.items if i.explanation is not None) == 1 and len(made) == 1
    report0, made0 = explain(cases, needs_two_edits, limit=0)
    assert all(i.explanation is None for i in report0.items) and made0 == []


def test_the_search_reuses_the_gates_cache(cases, tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    report, _ = explain(cases, needs_two_edits, limit=1, cache=cache)
    ex = next(i.explanation for i in report.items if i.explanation is not None)
    assert ex.cache_hits >= 1  # the new answer to x0 the gate already had


def test_a_search_that_cannot_run_leaves_its_reason_and_the_verdict(cases):
    report = check_cases(cases, FunctionTarget(needs_two_edits, name="n"), LostWordsScorer())

    def broken(case):
        raise ConfigError("the run's infiller 'suffix' is not a registered one")

    out = explain_regressions(report, cases, broken, 3, 10)
    ex = out.items[0].explanation
    assert out.items[0].verdict == "lost" and ex is not None and not ex.found
    assert ex.boundary.startswith("not searched: the run's infiller 'suffix'")


def test_edit_size_change_reads_as_closer_or_further():
    closer = Reexplanation(True, 10, contrast_prompt="x", edit_distance=0.1, old_edit_distance=0.3)
    assert closer.edit_distance_change == pytest.approx(-0.2) and closer.boundary.startswith("closer")
    assert Reexplanation(True, 10, contrast_prompt="x", edit_distance=0.2).boundary.startswith("a new contrast")


CHAT = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi"}, {"role": "user", "content": "may I borrow your car"}]


class ChatWords(BaseTarget):
    """A chat stand-in: the sorted words of the last user turn, less the words in ``drop``."""

    name = "chat-words"
    identity = None
    accepts_conversations = True

    def __init__(self, drop: tuple[str, ...] = ()) -> None:
        self.drop = set(drop)
        self.seen: list[object] = []

    def _generate_one(self, prompt: object) -> str:
        self.seen.append(prompt)
        last = prompt.to_list()[-1]["content"] if hasattr(prompt, "to_list") else str(prompt)
        return " ".join(w for w in sorted(set(last.lower().split())) if w not in self.drop)


def test_a_conversation_is_searched_again_in_its_edited_turn_only(tmp_path):
    ex = Explainer(target=ChatWords(), infiller=SuffixInfiller(), scorer=LostWordsScorer(), threshold=0.3,
                   budget=6, cache=False, min_fluency=None, fills_per_mask=2)
    run([RunItem("c1", "", conversation=Conversation.of(CHAT), edit=("user:-1",))], LocalEngine(ex),
        tmp_path / "chat.jsonl")
    cases = cases_from_records(read_results(tmp_path / "chat.jsonl"))
    target = ChatWords(drop=("car", "may"))  # 2 of the 5 answer words gone: drifted
    report = check_cases(cases, target, LostWordsScorer())
    base = Config(target=Component(target), scorer=Component(LostWordsScorer()), cache=False)
    out = explain_regressions(report, cases, lambda c: Explainer(search_config(c, base, 8, Component(SuffixInfiller()))),
                              1, 8)
    [item] = out.items
    assert item.verdict == "drifted" and item.explanation is not None and item.explanation.found
    asked = [p.to_list() for p in target.seen if hasattr(p, "to_list")]
    assert asked and all(m[:3] == CHAT[:3] for m in asked)  # system and earlier turns byte-identical
    assert any(m[3]["content"] != CHAT[3]["content"] for m in asked)  # the last user turn was edited
    assert item.explanation.contrast_prompt.startswith("system: Be kind.")
