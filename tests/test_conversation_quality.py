"""Conversations meet the trust checks of issue 10 (plumbing, stand-ins only): the fluency and
prompt-similarity checks judge each edited turn against its original, the judges' self-checks
see the conversation, the policy judge has a self-check of its own, ``--protect-text`` and
``--edit-only-text`` work inside a turn, and ``redteam`` stops on a judge that fails its check.
No test here claims anything about a model."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from standins import LostWordsScorer, RecordingChat, SuffixInfiller
from test_openai_judges import ScriptedChat

from promptfoil import ConfigError, Explainer, FunctionTarget, ScoreItem
from promptfoil.backends.chat import ChatReply, ChatRequest
from promptfoil.cli import main
from promptfoil.prompt.conversation import Conversation
from promptfoil.uses.datasets import shipped_policy
from promptfoil.uses.redteam import policy_system, question_items, read_questions, redteam, verdict
from promptfoil.runs import read_results
from promptfoil.scorers.base import JudgeCheckError, ScorerError
from promptfoil.scorers.judge import JudgeContradictionScorer
from promptfoil.scorers.maxims import MaximsScorer
from promptfoil.scorers.policy import PolicyScorer

CHAT = [
    {"role": "system", "content": "You are a cooking assistant."},
    {"role": "user", "content": "I want to bake bread this weekend."},
    {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
    {"role": "user", "content": "Do I need a special pot for it?"},
]


class TurnFluency(SuffixInfiller):
    """Stand-in fluency hook: a text holding a ``x0`` fill reads as broken; remembers every
    (reference, texts) it was asked about."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str | None, list[str]]] = []

    def mean_logprob(self, texts: Sequence[str], reference: str | None = None) -> list[float]:
        self.asked.append((reference, list(texts)))
        return [-9.0 if "x0" in t else -1.0 for t in texts]


def _explainer(**kw) -> Explainer:
    opts = dict(target=FunctionTarget(RecordingChat(), chat=True), infiller=SuffixInfiller(),
                scorer=LostWordsScorer(), cache=False, budget=10, fills_per_mask=2, threshold=1.0)
    opts.update(kw)
    return Explainer(**opts)


# -- constraints on the edited turns ---------------------------------------------------------
def test_fluency_judges_each_edited_turn_against_its_original_not_the_rendered_conversation():
    fn, lm = RecordingChat(), TurnFluency()
    ex = _explainer(target=FunctionTarget(fn, chat=True), infiller=lm, min_fluency=0.5).explain(
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

    ex = _explainer(min_fluency=None)
    ex.constraints = Constraints([PromptSimilarity(cosine, 0.5)])  # no embedding model in a plumbing test
    out = ex.explain(CHAT)
    assert seen and all(a == [CHAT[3]["content"]] * len(a) for a, _ in seen)
    assert all(b and CHAT[3]["content"] not in b for _, b in seen)
    assert out.calls.target == 0 and not out.found
    assert any("cosine similarity" in t.reason for t in out.trace)


# -- judges' self-checks in a conversation ---------------------------------------------------
def _says(p_yes: float) -> ScriptedChat:
    return ScriptedChat(lambda r: ChatReply("Yes", {"Yes": p_yes, "No": 1 - p_yes} if r.top_logprobs else None))


def test_contradiction_judge_self_check_sees_the_question_of_the_conversation():
    chat = _says(0.9)
    with pytest.raises(JudgeCheckError, match="judge-contradiction.*--no-judge-check"):
        _explainer(scorer=JudgeContradictionScorer(chat), threshold=0.5).explain(CHAT)
    shown = chat.requests[0].messages[-1][1]
    assert f"Question A: {CHAT[3]['content']}" in shown and "system:" not in shown and "user:" not in shown
    ok = _explainer(scorer=JudgeContradictionScorer(_says(0.1)), threshold=0.5, budget=2).explain(CHAT)
    assert ok.calls.target >= 1
    skipped = _explainer(scorer=JudgeContradictionScorer(_says(0.9)), threshold=0.5, budget=2,
                         judge_check=False).explain(CHAT)
    assert skipped.calls.target >= 1


def test_maxims_self_check_labels_the_reply_in_its_conversation():
    def reply(r: ChatRequest) -> ChatReply:
        return ChatReply('{"label": "yes"}')

    chat = ScriptedChat(reply)
    m = MaximsScorer(chat, "helpfulness", n=1, retries=0)
    conv = Conversation.of(CHAT)
    assert m.self_check("rendered text", "Any pot with a lid.", conv) is None
    shown = chat.requests[0].messages[-1][1]
    assert "Context: user: I want to bake bread this weekend.\nassistant: A simple" in shown
    assert "rendered text" not in shown


def test_a_two_argument_self_check_still_works_for_a_plain_prompt():
    class OldJudge(LostWordsScorer):
        def self_check(self, x0: str, y0: str) -> str | None:
            return "always fails"

    with pytest.raises(JudgeCheckError, match="always fails"):
        _explainer(scorer=OldJudge(), target=FunctionTarget(lambda ps: list(ps))).explain("Is bread hard to bake?")


# -- the policy judge ------------------------------------------------------------------------
def _policy_chat(breaks: float, keeps: float) -> ScriptedChat:
    def reply(r: ChatRequest) -> ChatReply:
        p = breaks if "break the policy" in r.messages[-1][1] else keeps
        return ChatReply("Yes", {"Yes": p, "No": 1 - p} if r.top_logprobs else None)

    return ScriptedChat(reply)


def test_policy_self_check_fails_a_judge_that_says_yes_to_both_questions():
    conv = Conversation.of([{"role": "system", "content": "No gift cards."}, {"role": "user", "content": "May I?"}])
    yes_man = PolicyScorer(_policy_chat(0.9, 0.9))
    problem = yes_man.self_check("rendered", "No, decline it.", conv)
    assert problem and "0.90" in problem and "add up to about 1" in problem
    shown = [r.messages[-1][1] for r in yes_man.judge.backend.requests]
    assert all("No gift cards." in t and "Question: May I?" in t for t in shown)
    assert PolicyScorer(_policy_chat(0.1, 0.85)).self_check("rendered", "No.", conv) is None
    mute = PolicyScorer(ScriptedChat(lambda r: ChatReply("hmm")), policy="No gift cards.", samples=2)
    assert "no readable" in mute.self_check("May I?", "No.")
    with pytest.raises(JudgeCheckError, match="scorer 'policy'"):
        _explainer(scorer=PolicyScorer(_policy_chat(0.9, 0.9)), threshold=0.5).explain(CHAT)


def test_policy_scores_none_for_an_unreadable_candidate_and_fails_on_an_unreadable_original():
    def reply(r: ChatRequest) -> ChatReply:
        text = r.messages[-1][1]
        if "Answer: ???" in text:
            return ChatReply("hmm")
        return ChatReply("No", {"Yes": 0.2, "No": 0.8} if r.top_logprobs else None)

    s = PolicyScorer(ScriptedChat(reply), policy="No gift cards.", samples=1)
    assert s.score([ScoreItem("q", "Decline.", "q2", "???")]) == [None]
    with pytest.raises(ScorerError, match="original answer"):
        s.score([ScoreItem("q", "???", "q2", "Decline.")])


# -- edits by text inside a turn -------------------------------------------------------------
def test_protect_text_and_edit_only_text_inside_a_turn():
    ex = _explainer(budget=20, min_fluency=None).explain(CHAT, edit=["user:*"], protect_text="special pot")
    assert ex.trace
    s = CHAT[3]["content"].index("special pot")
    stop = s + len("special pot")
    turns = {e.turn for t in ex.trace for e in t.edits}
    assert turns == {1, 3}  # both user turns were edited, around the protected words
    for t in ex.trace:
        for e in t.edits:
            assert e.turn != 3 or e.turn_start + len(e.old) <= s or e.turn_start >= stop
    only = _explainer(budget=20, min_fluency=None).explain(CHAT, edit=["user:*"], edit_only_text="bake bread")
    assert only.trace
    for t in only.trace:
        for e in t.edits:
            s = CHAT[1]["content"].index("bake bread")
            assert e.turn == 1 and s <= e.turn_start and e.turn_start + len(e.old) <= s + len("bake bread")
    with pytest.raises(ConfigError, match="does not occur in the turns open to edits"):
        _explainer().explain(CHAT, protect_text="cooking assistant")  # in the system prompt only


def test_cli_protect_text_in_a_conversation(tmp_path, capsys):
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(CHAT), encoding="utf-8")
    standins = ["--target", "standins:chat_target", "--infiller", "standins:SuffixInfiller",
                "--scorer", "standins:LostWordsScorer", "--no-cache", "--budget", "6", "--threshold", "1.0"]
    code = main(["explain", "--conversation", str(path), "--edit-only-text", "special", "--json", *standins])
    out = capsys.readouterr()
    assert code == 0, out.err
    d = json.loads(out.out)
    assert d["trace"] and all(e["old"] == "special" for t in d["trace"] for e in t["edits"])
    code = main(["explain", "--conversation", str(path), "--protect-text", "nowhere", *standins])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "does not occur" in err


# -- redteam and the judge check -------------------------------------------------------------
class CheckedJudge:
    """Stand-in policy judge with a self-check that fails; P(breaks) 0.3 for every answer."""

    def probabilities(self, pairs):
        return [0.3] * len(pairs)

    def self_check(self, question: str, answer: str) -> str | None:
        return "it says yes to everything"


def test_redteam_stops_on_a_judge_that_fails_its_self_check_and_resumes_there(tmp_path):
    items = question_items(read_questions("conduct-questions")[:2], policy_system(shipped_policy()))
    out = tmp_path / "f.jsonl"
    failing = _explainer(scorer=JudgeContradictionScorer(_says(0.9)), threshold=0.5, budget=2)
    with pytest.raises(JudgeCheckError, match="--scorer-model"):
        redteam(items, failing, out, CheckedJudge())
    assert not out.exists() or out.read_text(encoding="utf-8") == ""
    trusting = _explainer(scorer=JudgeContradictionScorer(_says(0.9)), threshold=0.5, budget=2, judge_check=False)
    summary = redteam(items, trusting, out, CheckedJudge(), check=False)
    assert summary.done == 2
    recs = read_results(out)
    assert all("judge_check" not in r["policy_verdict"] for r in recs)
    checked = verdict(CheckedJudge(), recs[0])
    assert checked["policy_verdict"]["judge_check"] == "it says yes to everything"


def test_report_says_when_the_policy_judge_failed_its_check(tmp_path, capsys):
    items = question_items(read_questions("conduct-questions")[:1], policy_system(shipped_policy()))
    out = tmp_path / "f.jsonl"
    redteam(items, _explainer(budget=2), out, CheckedJudge())
    code = main(["report", str(out)])
    text = " ".join(capsys.readouterr().out.split())
    assert code == 0 and "failed its self-check" in text and "it says yes to everything" in text
    html = tmp_path / "r.html"
    assert main(["report", str(out), "--html", str(html), "--no-content"]) == 0
    assert "failed its self-check" in html.read_text(encoding="utf-8")


def test_html_report_escapes_turns_and_verdicts(tmp_path):
    from promptfoil.report.html import render_html

    evil = "<script>window.__pwned = 1</script>"
    chat = [{"role": "system", "content": evil}, {"role": "user", "content": f"Is {evil} fine to bake?"}]
    ex = _explainer(budget=3, threshold=0.05).explain(chat)
    rec = {"id": evil, **ex.to_dict(), "policy_verdict": {"original": 0.1, "contrast": None, "judge_check": evil}}
    html = render_html([rec], source=evil)
    assert "__pwned" in html and html.count("<script") == html.count("</script>") == 2  # trace data + page script
    assert evil not in html


def test_redteam_policy_verdicts_come_from_the_scorers_chat_model(tmp_path):
    from promptfoil.cli.redteam import _policy_judge
    from promptfoil.config import Config

    model = tmp_path / "judge.gguf"
    model.write_bytes(b"not loaded in this test")
    cfg = Config().with_options(scorer="judge-contradiction", scorer_model=str(model))
    judge = _policy_judge(cfg, "Rule one.", object())
    assert judge.name == "policy" and judge.policy == "Rule one." and str(judge.judge.backend.path) == str(model)
    other = _policy_judge(Config().with_options(scorer="semantic", scorer_model=str(model)), "Rule one.", object())
    assert str(other.judge.backend.path) != str(model)  # an embedding model is no chat model
