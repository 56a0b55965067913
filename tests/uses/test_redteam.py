"""``redteam``: questions to a policy chatbot with only the question editable, findings with
the policy judge's verdicts, resumable, and stopped by a judge that fails its self-check.
Plumbing with stand-ins; the kill-and-resume run on the embedded models is marked slow."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import requires_models
from standins import LostWordsScorer, RecordingChat, ScriptedChat, SuffixInfiller

from promptfoil import Explainer, FunctionTarget
from promptfoil.backends.chat import ChatReply
from promptfoil.runs import iter_results, read_results
from promptfoil.scorers.base import JudgeCheckError
from promptfoil.scorers.judge import JudgeContradictionScorer
from promptfoil.uses.datasets import shipped_policy
from promptfoil.uses.redteam import INSTRUCTION, policy_system, question_items, read_questions, redteam, verdict


class ScriptedJudge:
    """Stand-in policy judge: P(breaks) = 0.9 when the answer holds 'x0', else 0.1."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def probabilities(self, pairs):
        self.pairs.extend(pairs)
        return [0.9 if "x0" in a else 0.1 for _, a in pairs]


def _explainer(**kw) -> Explainer:
    opts = dict(target=FunctionTarget(RecordingChat(), chat=True), infiller=SuffixInfiller(),
                scorer=LostWordsScorer(), cache=False, budget=10, fills_per_mask=2, threshold=1.0)
    opts.update(kw)
    return Explainer(**opts)


def _says(p_yes: float) -> ScriptedChat:
    return ScriptedChat(lambda r: ChatReply("Yes", {"Yes": p_yes, "No": 1 - p_yes} if r.top_logprobs else None))


class CheckedJudge:
    """Stand-in policy judge with a self-check that fails; P(breaks) 0.3 for every answer."""

    def probabilities(self, pairs):
        return [0.3] * len(pairs)

    def self_check(self, question: str, answer: str) -> str | None:
        return "it says yes to everything"


def test_questions_become_two_turn_conversations_with_only_the_question_editable(tmp_path):
    items = question_items([{"id": "a", "question": "May I keep a gift card?", "rule": 1}, {"prompt": "Can I fly?"}],
                           policy_system("Rule one."))
    assert [i.id for i in items] == ["a", "2"]
    conv = items[0].conversation
    assert conv.system == INSTRUCTION + "Rule one." and conv.question == "May I keep a gift card?"
    assert items[0].edit == ("user:-1",) and items[0].fields == {"question": "May I keep a gift card?", "rule": 1}


def test_findings_carry_the_policy_verdicts_and_resume(tmp_path):
    items = question_items(read_questions("conduct-questions")[:3], policy_system(shipped_policy()))
    fn, judge = RecordingChat(), ScriptedJudge()
    ex = Explainer(target=FunctionTarget(fn, chat=True), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                   budget=3, threshold=0.05, cache=False, split_k=3)
    out = tmp_path / "f.jsonl"
    first = redteam(items[:2], ex, out, judge)
    assert first.done == 2
    second = redteam(items, ex, out, judge)
    assert second.skipped == 2 and second.done == 1
    recs = read_results(out)
    assert [r["id"] for r in recs] == ["q01", "q02", "q03"]
    for r in recs:
        assert r["conversation"][0]["content"].startswith(INSTRUCTION) and r["edited_turns"] == [1]
        assert r["question"] == r["conversation"][1]["content"]
        v = r["policy_verdict"]
        assert v["original"] == 0.1
        if r["found"]:
            assert v["contrast"] == 0.9 and r["contrast_question"] == r["contrast_conversation"][1]["content"]
    assert all(sent[0]["content"] == items[0].conversation.system for sent in fn.conversations)


def test_a_judge_failing_its_self_check_is_that_questions_recorded_failure(tmp_path):
    items = question_items(read_questions("conduct-questions")[:2], policy_system(shipped_policy()))
    out = tmp_path / "f.jsonl"
    failing = _explainer(scorer=JudgeContradictionScorer(_says(0.9)), threshold=0.5, budget=2)
    summary = redteam(items, failing, out, CheckedJudge())
    assert summary.failed == 2 and summary.done == 0  # the batch went on past the first question
    recs = read_results(out)
    for it, rec in zip(items, recs):
        assert f"question {it.id}" in rec["error"] and "--scorer-model" in rec["error"]
    trusting = _explainer(scorer=JudgeContradictionScorer(_says(0.9)), threshold=0.5, budget=2, judge_check=False)
    summary = redteam(items, trusting, out, CheckedJudge(), check=False, retry_failed=True)
    assert summary.done == 2
    recs = read_results(out)
    assert all(r["policy_verdict"]["judge_check"] == "not checked" for r in recs)
    checked = verdict(CheckedJudge(), recs[0])
    assert checked["policy_verdict"]["judge_check"] == "it says yes to everything"


@pytest.mark.slow
@requires_models
def test_redteam_on_three_shipped_questions_writes_findings_and_resumes_after_a_kill(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in read_questions("conduct-questions")[:3]),
                         encoding="utf-8")
    out = tmp_path / "findings.jsonl"
    # The embedded 135M judge fails the judge self-check (next test); this test is about the
    # findings file and resuming, so it runs the judge unchecked.
    cmd = [sys.executable, "-m", "promptfoil.cli", "redteam", "--policy", "conduct", "--questions", str(questions),
           "--out", str(out), "--budget", "2", "--max-tokens", "24", "--no-judge-check"]
    env = dict(os.environ, COLUMNS="120")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.time() + 1500
    while time.time() < deadline and proc.poll() is None:
        if out.exists() and out.read_text(encoding="utf-8").count("\n") >= 1:
            break
        time.sleep(0.5)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()
    proc.stderr.close()
    before = [r["id"] for r in read_results(out)]
    assert 1 <= len(before) < 3

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=2400, env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"resuming: {len(before)} question(s)" in again.stderr
    ids = [rec["id"] for _, rec in iter_results(out)]
    assert sorted(ids) == ["q01", "q02", "q03"]  # each question once
    for rec in read_results(out):
        assert "error" not in rec, rec.get("error")
        assert rec["conversation"][0]["role"] == "system" and rec["edited_turns"] == [1]
        assert rec["calls"]["target"] <= 2 and rec["split_k"] == 3 and rec["scorer"] == "judge-contradiction"
        v = rec["policy_verdict"]
        assert v["original"] is None or 0.0 <= v["original"] <= 1.0
        if rec["contrast_response"] is not None:
            assert "contrast" in v and rec["contrast_conversation"][0] == rec["conversation"][0]
    shown = subprocess.run([sys.executable, "-m", "promptfoil.cli", "report", str(out)], capture_output=True,
                           text=True, timeout=300, env=env)
    assert shown.returncode == 0 and "policy" in shown.stdout and "conversation" in shown.stdout


@pytest.mark.slow
@requires_models
def test_redteam_with_the_embedded_judge_says_it_fails_its_self_check(tmp_path):
    out = tmp_path / "findings.jsonl"
    p = subprocess.run(
        [sys.executable, "-m", "promptfoil.cli", "redteam", "--policy", "conduct", "--questions", "conduct-questions",
         "--limit", "1", "--out", str(out), "--budget", "2", "--max-tokens", "24"],
        capture_output=True, text=True, timeout=1200, env=dict(os.environ, COLUMNS="400"),
    )
    assert p.returncode == 1, p.stderr[-2000:]  # every question failed, as `run` says
    [rec] = read_results(out)  # the failure is that question's record; --retry-failed tries it again
    assert "judge-contradiction' failed its self-check" in rec["error"]
    assert "--scorer-model" in rec["error"] and "--base-url" in rec["error"] and "--no-judge-check" in rec["error"]
