"""The HTML report: each edit coloured alike in both prompts, the response diff, every string
escaped, cut responses, scorer failures and skip reasons marked, and the page itself in
headless Chromium."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from quality_standins import mixed_result
from standins import LostWordsScorer, SuffixInfiller

import browser
from promptfoil import Explainer, FunctionTarget
from promptfoil.cli import main
from promptfoil.report.html import prompt_pieces, render_html, response_diff
from promptfoil.runs import LocalEngine, read_items, read_results, run
from promptfoil.types import Edit

SCRIPT = "<script>window.__pwned = 1; document.title = 'PWNED'</script>"
IMG = "<img src=x onerror=\"window.__pwned = 2\">"
XSS_PROMPT = f"Is it wrong {SCRIPT} to lie {IMG} to my friend about her cooking?"
needs_browser = pytest.mark.skipif(
    not browser.available() and not os.environ.get("CI"),
    reason="chromium or websocket-client missing (make browser)",
)


def echo(batch: list[str]) -> list[str]:
    """Stand-in target that repeats the prompt, so markup reaches the responses too."""
    return [f"You asked: {p} My answer depends on {len(p.split())} things." for p in batch]


def make_results(tmp_path: Path) -> Path:
    rows = [
        {"id": "xss-<b>1</b>", "prompt": XSS_PROMPT, "topic": "<i>carried</i>"},
        {"id": "plain", "prompt": "Should I tell my boss that a coworker is stealing?"},
    ]
    src = tmp_path / "p.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "r.jsonl"
    ex = Explainer(target=FunctionTarget(echo, name="echo"), infiller=SuffixInfiller(),
                   scorer=LostWordsScorer(), threshold=0.05, budget=6, fills_per_mask=2)
    run(read_items(src), LocalEngine(ex), out)
    with out.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "failed-one", "prompt": IMG, "error": f"target failed: {SCRIPT}"}) + "\n")
    return out


def test_prompt_pieces_colour_each_edit_the_same_in_both_prompts():
    prompt = "Is it wrong to lie to a friend?"
    edits = (Edit(2, 6, 11, "wrong", "kind"), Edit(6, 24, 30, "friend", "stranger"))
    contrast = "Is it kind to lie to a stranger?"
    a, b = prompt_pieces(prompt, contrast, edits)
    assert "".join(t for t, _ in a) == prompt and "".join(t for t, _ in b) == contrast
    assert [(t, c) for t, c in a if c] == [("wrong", "e0"), ("friend", "e1")]
    assert [(t, c) for t, c in b if c] == [("kind", "e0"), ("stranger", "e1")]


def test_response_diff_marks_removed_and_added_words():
    a, b = response_diff("Yes, you should tell him now.", "No, you should not tell him.")
    assert "".join(t for t, _ in a) == "Yes, you should tell him now."
    assert "".join(t for t, _ in b) == "No, you should not tell him."
    removed = {w for t, ch in a if ch for w in t.split()}
    added = {w for t, ch in b if ch for w in t.split()}
    kept_a = {w for t, ch in a if not ch for w in t.split()}
    assert {"Yes,", "now."} <= removed and {"No,", "not"} <= added
    assert "should" in kept_a and "should" not in removed | added


def test_every_string_is_escaped(tmp_path):
    html = render_html(read_results(make_results(tmp_path)), title="<script>t</script>")
    ours = 1 + html.count('<script type="application/json" id="trace-')  # the page script + trace data
    assert ours == 3 and html.count("<script") == ours and html.count("</script>") == ours
    assert "<img" not in html and "<b>1</b>" not in html and "<i>carried" not in html
    assert "&lt;script&gt;window.__pwned" in html and "&lt;img src=x onerror=" in html
    assert "http://" not in html and "https://" not in html  # nothing to fetch


@needs_browser
def test_report_in_headless_chromium(tmp_path):
    """Screenshot, no console errors, no network requests, and the injected markup is text."""
    report = tmp_path / "report.html"
    assert main(["report", str(make_results(tmp_path)), "--html", str(report), "--no-content"]) == 0
    with browser.Browser() as b:
        b.open(report.resolve().as_uri())
        shot = b.screenshot(tmp_path / "report.png")
        assert b.console_errors() == []
        assert all(u.startswith("file://") for u in b.requests()), b.requests()
        assert b.evaluate("window.__pwned === undefined") is True
        assert b.evaluate("document.title") == "promptfoil report"
        assert b.evaluate("document.querySelectorAll('img, i, b').length") == 0
        assert b.evaluate("document.querySelectorAll('script').length") == 3  # the page script + 2 traces
        text = b.evaluate("document.body.innerText")
        assert SCRIPT in text and "<img src=x onerror=" in text and "xss-<b>1</b>" in text
        assert b.evaluate("document.querySelectorAll('section.item').length") == 3
        # the first edit carries the same colour class in the prompt and the contrast prompt
        assert b.evaluate(
            "(() => { const s = document.querySelectorAll('#item-2 .box'); "
            "return s[0].querySelector('.e0') !== null && s[1].querySelector('.e0') !== null })()"
        ) is True

    from matplotlib.image import imread

    img = imread(str(shot))
    assert img.shape[0] > 200 and img.shape[1] > 200
    assert img.std() > 0.01  # something was drawn, not a blank page


def test_html_report_marks_cut_responses_failures_and_skip_reasons():
    pytest.importorskip("jinja2")
    from promptfoil.report.explorer import item_data
    from promptfoil.report.html import render_html

    rec = {"id": "cut", **mixed_result().to_dict()}
    html = render_html([rec])
    assert "response cut at max_tokens" in html  # not found: only the original response is shown as cut
    both = render_html([{**rec, "contrast_truncated": True}])
    assert "response and contrast response cut at max_tokens" in both
    assert "scorer failed on" in html
    data = item_data(rec)
    reasons = [data["s"][row[9]] for row in data["c"] if row[9] >= 0]
    assert any(r.startswith("not fluent") for r in reasons)
    plain = render_html([{**rec, "truncated": False, "contrast_truncated": False, "scorer_failures": 0}])
    assert "cut at max_tokens" not in plain and "scorer failed on" not in plain
