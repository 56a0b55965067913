"""The gate scores as the search scored: cut-off answers on their complete sentences, a
conversation asked as its messages (roles kept), and a results file never names code."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from promptfoil import Explainer
from promptfoil.cli import main
from promptfoil.errors import PromptfoilError
from promptfoil.runs import LocalEngine, RunItem, read_results, run
from promptfoil.scorers.base import ScoreItem
from promptfoil.targets.base import BaseTarget
from promptfoil.types import Reply
from promptfoil.uses.gate import cases_from_records, check_cases
from standins import SuffixInfiller


class WordsApart:
    """1 - Jaccard overlap of the two answers' words: any cut-off tail counts."""

    name = "words-apart"
    direction = "increase"
    bounds = (0.0, 1.0)
    default_threshold = 0.8

    def score(self, items: Sequence[ScoreItem]) -> list[float]:
        out = []
        for it in items:
            a, b = set(it.y0.split()), set(it.yc.split())
            out.append(1.0 - len(a & b) / max(1, len(a | b)))
        return out


class CutTarget(BaseTarget):
    """Answers 'Yes.' or 'No.' then a long shared tail, always stopped at max_tokens."""

    name = "cut"
    identity = None

    def _generate_one(self, prompt: str) -> Reply:
        head = "No." if "never" in prompt or "gox0" in prompt else "Yes."
        return Reply(f"{head} It is fine to go ahead with it when you are read", truncated=True)


def cut_record() -> dict:
    return {"id": "1", "found": True, "prompt": "Should I go?", "response": CutTarget()._generate_one("go").text,
            "contrast_prompt": "Should I never go?", "contrast_response": CutTarget()._generate_one("never").text,
            "score": 1.0, "scorer": "words-apart", "threshold": 0.8, "direction": "increase",
            "truncated": True, "contrast_truncated": True}


def test_an_unchanged_target_with_cut_off_answers_holds():
    report = check_cases(cases_from_records([cut_record()]), CutTarget(), WordsApart())
    item = report.items[0]
    assert item.verdict == "holds", item.reason
    assert item.flip == pytest.approx(1.0)  # "Yes." vs "No.": the complete sentences the search compared


def test_the_gate_agrees_with_the_search_on_cut_off_answers(tmp_path):
    ex = Explainer(target=CutTarget(), infiller=SuffixInfiller(), scorer=WordsApart(), threshold=0.8, budget=6,
                   cache=False, min_fluency=None, fills_per_mask=2)
    out = tmp_path / "r.jsonl"
    run([RunItem("1", "Should I go")], LocalEngine(ex), out)
    recs = read_results(out)
    assert recs[0]["found"] and recs[0]["truncated"]
    report = check_cases(cases_from_records(recs), CutTarget(), WordsApart())
    assert [i.verdict for i in report.items] == ["holds"]


class ChatRecorder(BaseTarget):
    """A chat target that answers from the system prompt and the last user turn."""

    name = "chat-recorder"
    identity = None
    accepts_conversations = True

    def __init__(self, system: str = "Be kind.") -> None:
        self.system = system
        self.seen: list[object] = []

    def _generate_one(self, prompt: object) -> str:
        self.seen.append(prompt)
        messages = prompt.to_list() if hasattr(prompt, "to_list") else [{"role": "user", "content": str(prompt)}]
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        last = messages[-1]["content"]
        if system != self.system:
            return "No."  # another system prompt: another answer altogether
        return " ".join(sorted(last.lower().split()))


CHAT = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi"}, {"role": "user", "content": "may I borrow your car"}]


def conversation_results(tmp_path):
    ex = Explainer(target=ChatRecorder(), infiller=SuffixInfiller(), scorer=WordsApart(), threshold=0.3, budget=6,
                   cache=False, min_fluency=None, fills_per_mask=2)
    out = tmp_path / "chat.jsonl"
    run([RunItem("c1", "", conversation=__import__("promptfoil").Conversation.of(CHAT), edit=("user:-1",))],
        LocalEngine(ex), out)
    recs = read_results(out)
    assert recs[0].get("found"), recs[0]
    return recs


def test_a_conversation_is_asked_as_its_messages_and_holds(tmp_path):
    recs = conversation_results(tmp_path)
    target = ChatRecorder()
    report = check_cases(cases_from_records(recs), target, WordsApart())
    assert [i.verdict for i in report.items] == ["holds"], report.items[0].reason
    roles = [[m["role"] for m in p.to_list()] for p in target.seen]
    assert roles and all(r == ["system", "user", "assistant", "user"] for r in roles)


def test_a_changed_system_prompt_is_caught_as_drift(tmp_path):
    recs = conversation_results(tmp_path)
    report = check_cases(cases_from_records(recs), ChatRecorder(system="Be curt."), WordsApart())
    assert [i.verdict for i in report.items] == ["drifted"]


@pytest.mark.parametrize("name", ["os:abort", "this:s", "builtins:print"])
def test_a_results_file_cannot_name_code(tmp_path, capsys, name):
    rec = {**cut_record(), "scorer": name}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    code = main(["gate", str(path), "--target", "standins:WordsTarget", "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2
    assert "not a registered scorer" in err and "Zen of Python" not in err


def test_a_conversation_record_that_does_not_fit_its_prompt_is_refused():
    rec = {**cut_record(), "conversation": CHAT, "edited_turns": [3]}
    with pytest.raises(PromptfoilError, match="does not match"):
        cases_from_records([rec])


def test_gate_on_json_that_is_not_results_says_so(tmp_path, capsys):
    path = tmp_path / "other.jsonl"
    path.write_text(json.dumps({"name": "x", "value": 3}) + "\n")
    assert main(["gate", str(path), "--target", "standins:WordsTarget", "--no-cache"]) == 2
    assert "not a promptfoil results file" in capsys.readouterr().err


def test_gate_asks_with_the_max_tokens_the_run_recorded():
    from promptfoil.cli.gate import recorded_max_tokens

    assert recorded_max_tokens([{"settings": {"max_tokens": 160}}]) == 160
    assert recorded_max_tokens([{"id": "1"}]) == 64
