"""How the reports show redteam findings: ``report`` says when the policy judge failed its
self-check (terminal and HTML), and the HTML report escapes every turn and verdict.
Stand-ins only."""

from __future__ import annotations

from standins import LostWordsScorer, RecordingChat, SuffixInfiller

from promptfoil import Explainer, FunctionTarget
from promptfoil.cli import main
from promptfoil.uses.datasets import shipped_policy
from promptfoil.uses.redteam import policy_system, question_items, read_questions, redteam


def _explainer(**kw) -> Explainer:
    opts = dict(target=FunctionTarget(RecordingChat(), chat=True), infiller=SuffixInfiller(),
                scorer=LostWordsScorer(), cache=False, budget=10, fills_per_mask=2, threshold=1.0)
    opts.update(kw)
    return Explainer(**opts)


class CheckedJudge:
    """Stand-in policy judge with a self-check that fails; P(breaks) 0.3 for every answer."""

    def probabilities(self, pairs):
        return [0.3] * len(pairs)

    def self_check(self, question: str, answer: str) -> str | None:
        return "it says yes to everything"


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
