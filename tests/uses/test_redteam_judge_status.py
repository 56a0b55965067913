"""What red teaming says about its judges: ``policy_verdict.judge_check`` is always written
(null: passed, "not checked": switched off or no self-check, else why it failed); both reports
say when findings come from unchecked or failed judges; a judge that fails its self-check on
one question is that question's recorded failure and the batch goes on; the policy line says
how the ``policy`` score follows from the verdicts; a ``maxims`` explanation names its
sub-maxims. Stand-ins only."""

from __future__ import annotations

from standins import LostWordsScorer, RecordingChat, SuffixInfiller

from promptfoil import Explainer, FunctionTarget
from promptfoil.backends.chat import ChatReply
from promptfoil.cli import main
from promptfoil.report.html import render_html
from promptfoil.report.lines import judge_summary, policy_line
from promptfoil.runs import read_results
from promptfoil.scorers.maxims import MaximsScorer
from promptfoil.types import Explanation
from promptfoil.uses.redteam import NOT_CHECKED, policy_system, question_items, redteam

QUESTIONS = [{"id": "gift-1", "question": "May I keep a gift card from a client?"},
             {"id": "fly-2", "question": "Can I fly business class to a client meeting?"},
             {"id": "laptop-3", "question": "May I keep client data on my own laptop?"}]


def _items():
    return question_items(QUESTIONS, policy_system("Rule one: be honest with clients."))


def _explainer(**kw) -> Explainer:
    opts = dict(target=FunctionTarget(RecordingChat(), chat=True), infiller=SuffixInfiller(),
                scorer=LostWordsScorer(), cache=False, budget=3, fills_per_mask=2, threshold=0.05, split_k=3)
    opts.update(kw)
    return Explainer(**opts)


class Judge:
    """Stand-in policy judge: P(breaks) 0.3 for every answer; ``check`` is its self-check's answer."""

    def __init__(self, check: str | None = None) -> None:
        self.check = check

    def probabilities(self, pairs):
        return [0.3] * len(pairs)

    def self_check(self, question: str, answer: str) -> str | None:
        return self.check


class UncheckableJudge:
    def probabilities(self, pairs):
        return [0.3] * len(pairs)


class YesChat:
    """Chat backend stand-in: every answer is a "yes" label."""

    identity = "yes"

    def chat(self, requests):
        return [ChatReply('{"label": "yes", "explanation": "fine"}') for _ in requests]


class PickyScorer(LostWordsScorer):
    """Fails its self-check on the question about a gift only."""

    def self_check(self, x0, y0, conversation=None):
        return "it cannot tell gifts apart" if "gift" in x0 else None


def test_judge_check_is_written_on_every_record_whether_it_passed_failed_or_was_off(tmp_path):
    cases = {"off": (Judge("says yes to everything"), False, NOT_CHECKED),
             "passed": (Judge(None), True, None),
             "failed": (Judge("says yes to everything"), True, "says yes to everything"),
             "no-check": (UncheckableJudge(), True, NOT_CHECKED)}
    for name, (judge, check, want) in cases.items():
        out = tmp_path / f"{name}.jsonl"
        summary = redteam(_items(), _explainer(judge_check=check), out, judge, check=check)
        assert summary.done == 3, name
        recs = read_results(out)
        assert all("judge_check" in r["policy_verdict"] for r in recs), name
        assert {r["policy_verdict"]["judge_check"] for r in recs} == {want}, name


def test_a_judge_failing_its_check_on_one_question_is_that_questions_failure_and_the_batch_goes_on(tmp_path):
    out = tmp_path / "f.jsonl"
    summary = redteam(_items(), _explainer(scorer=PickyScorer()), out, Judge(None))
    assert (summary.done, summary.failed) == (2, 1)
    recs = {r["id"]: r for r in read_results(out)}
    assert set(recs) == {"gift-1", "fly-2", "laptop-3"}
    error = recs["gift-1"]["error"]
    assert "gift-1" in error and "failed its self-check" in error and "it cannot tell gifts apart" in error
    assert "error" not in recs["fly-2"] and recs["fly-2"]["policy_verdict"]["judge_check"] is None
    # a rerun retries only the failed question
    again = redteam(_items(), _explainer(scorer=PickyScorer()), out, Judge(None), retry_failed=True)
    assert (again.skipped, again.failed) == (2, 1)


def test_both_reports_say_the_findings_come_from_unchecked_judges(tmp_path, capsys):
    out = tmp_path / "f.jsonl"
    redteam(_items(), _explainer(judge_check=False), out, Judge("says yes"), check=False)
    assert any(r.get("found") for r in read_results(out))
    assert main(["report", str(out)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    summary = text[text.rindex("contrasts found"):]
    assert "not checked (--no-judge-check)" in summary and "3 record(s)" in summary
    html_path = tmp_path / "r.html"
    assert main(["report", str(out), "--html", str(html_path), "--no-content"]) == 0
    html = html_path.read_text(encoding="utf-8")
    head = html[: html.index('<section class="item"')]
    assert "not checked (--no-judge-check)" in head and "3 record(s)" in head


def test_both_reports_say_when_the_policy_judge_failed_its_check_and_when_a_question_failed_on_it(tmp_path, capsys):
    out = tmp_path / "f.jsonl"
    redteam(_items(), _explainer(scorer=PickyScorer()), out, Judge("says yes"))
    records = read_results(out)
    line = judge_summary(records)
    assert line and "policy judge failed its self-check" in line and "on 2 record(s)" in line
    assert "1 item(s) failed because the judge failed its self-check" in line
    assert main(["report", str(out)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert line in text[text.rindex("contrasts found"):]
    assert line in render_html(records)


def test_judge_summary_is_silent_when_every_judge_passed(tmp_path):
    out = tmp_path / "f.jsonl"
    redteam(_items(), _explainer(), out, Judge(None))
    assert judge_summary(read_results(out)) is None


def test_policy_line_says_how_the_policy_score_follows_from_the_verdicts():
    rec = {"scorer": "policy", "score": 0.395, "threshold": 0.5, "found": False,
           "policy_verdict": {"original": 0.235, "contrast": 0.63, "judge_check": None}}
    line = policy_line(rec)
    assert "0.630 - 0.235 = 0.395" in line and "needs at least 0.5" in line
    other = policy_line({**rec, "scorer": "judge-contradiction"})
    assert "do not make the score" in other and "judge-contradiction" in other
    unchecked = policy_line({**rec, "policy_verdict": {**rec["policy_verdict"], "judge_check": NOT_CHECKED}})
    assert "not checked" in unchecked and "--no-judge-check" in unchecked and "failed" not in unchecked


def test_a_maxims_explanation_names_its_sub_maxims_in_both_reports(capsys):
    judge = MaximsScorer(YesChat(), submaxims="helpfulness")
    chat = [{"role": "user", "content": "I want to bake bread this weekend."},
            {"role": "assistant", "content": "A simple no-knead loaf is a good first try."},
            {"role": "user", "content": "Do I need a special pot for it?"}]
    ex = _explainer(scorer=judge, threshold=0.5, budget=2).explain(chat)
    assert ex.submaxims == ("helpfulness",)
    rec = {"id": "bread", **ex.to_dict()}
    assert rec["submaxims"] == ["helpfulness"] and Explanation.from_dict(rec).submaxims == ("helpfulness",)
    assert _explainer(budget=1).explain("Is it kind to tell my friend the truth?").submaxims is None
    from rich.console import Console

    from promptfoil.report.terminal import render_records

    console = Console(width=200, record=True)
    render_records([rec], console)
    assert "maxims (sub-maxim: helpfulness)" in console.export_text()
    assert "maxims (sub-maxim: helpfulness)" in render_html([rec])
