"""``promptfoil gate`` outputs people use: the markdown summary (rendered with a Markdown library
as a pull-request comment would be), the before/after HTML page (escaped; in headless
Chromium), JUnit with the explanation in each failure, the JSON with every sample; every output
under the project's output rule; and bad input (--repeats 0/nan, a file of another job, an
unreachable new model, a system option the records would drop) one line, exit 2, nothing written.

Stand-ins (plumbing): results from tests/gate_results.py, the new target ``standins:WordsTarget``."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
from gate_results import record, words_target, write_results
from markdown_it import MarkdownIt
from standins import WordsTarget

import browser
from promptfoil.cli import main

SCORER = ["--scorer", "standins:LostWordsScorer"]
EXPLAIN = ["--infiller", "standins:SuffixInfiller", "--explain-budget", "6"]
HOSTILE = "<script>window.__pwned = 1</script> ``` **bold** [x](javascript:alert(1)) <img src=x onerror=alert(2)>"
needs_browser = pytest.mark.skipif(not browser.available() and not os.environ.get("CI"),
                                   reason="chromium or websocket-client missing (make browser)")


@pytest.fixture()
def results(tmp_path):
    return write_results(tmp_path)


def changed(results) -> list[str]:
    """A new target on which item 1 drifted (a hostile answer) and item 3's contrast is lost."""
    x0, xc3 = record(results, "1")["prompt"], record(results, "3")["contrast_prompt"]
    return [*words_target({x0: HOSTILE, xc3: record(results, "3")["response"]}), *SCORER]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    WordsTarget.asked.clear()
    code = main(["gate", *args, "--no-cache"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_markdown_renders_as_a_pr_comment_with_before_after_diffs(results, tmp_path, capsys):
    md, html = tmp_path / "gate.md", tmp_path / "gate.html"
    code, out, err = cli(capsys, str(results), *changed(results), *EXPLAIN, "--markdown", str(md), "--html", str(html))
    assert code == 1, err
    text = md.read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark").render(text)
    assert "<h2>promptfoil gate: ❌ FAILED</h2>" in rendered
    assert "<strong>1</strong> original drifted" in rendered and "<strong>1</strong> contrast lost" in rendered
    assert rendered.count('<pre><code class="language-diff">') >= 4  # answers and contrasts, before/after
    assert "- the cat sat\n+ the catx" in rendered or "- birds fly south\n+ birds" in rendered
    assert "New contrast on the new model" in rendered  # the lost item, searched again
    assert '<a href="gate.html">' in rendered  # the page, relative to the summary
    # the hostile answer stays text: no tag, link or emphasis made of it, and its fence cannot close the block
    assert "<script" not in rendered and "<img" not in rendered and 'href="javascript' not in rendered
    assert "<strong>bold</strong>" not in rendered
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in rendered
    assert text.startswith("<!-- promptfoil gate summary -->")


def test_json_junit_and_markdown_carry_the_explanation(results, tmp_path, capsys):
    junit, md = tmp_path / "gate.xml", tmp_path / "gate.md"
    code, out, err = cli(capsys, str(results), *changed(results), *EXPLAIN, "--json", "--junit", str(junit),
                         "--markdown", str(md))
    assert code == 1, err
    data = json.loads(out)
    lost = next(i for i in data["items"] if i["id"] == "3")
    assert lost["verdict"] == "lost" and lost["still_flips"] is False
    assert lost["explanation"]["found"] and lost["explanation"]["edit_distance_change"] is not None
    assert data["paired"]["flip_rate_change"]["estimate"] == pytest.approx(-1 / 3)
    failures = {c.get("name"): c.find("failure") for c in ET.parse(junit).getroot().iter("testcase")}
    assert "| stored contrast no longer flips; new contrast flips the new model with" in failures["3"].get("message")
    assert "re-explained on the new target" in failures["3"].text


def test_repeats_keep_every_sample_in_the_json(results, capsys):
    code, out, err = cli(capsys, str(results), *words_target(), *SCORER, "--repeats", "3", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["repeats"] == 3 and data["summary"]["min_pass_rate"] == 0.8
    assert all(len(i["samples"]) == 3 for i in data["items"] if i["verdict"] != "skipped")
    assert len(WordsTarget.asked) == 7  # a greedy target is asked once: its three samples are one answer


@pytest.mark.parametrize("extra, needle", [
    (["--repeats", "0"], "--repeats must be a whole number of at least 1 (got '0')"),
    (["--repeats", "nan"], "--repeats must be a whole number of at least 1 (got 'nan')"),
    (["--repeats", "2.5"], "--repeats must be a whole number"),
    (["--min-pass-rate", "nan"], "--min-pass-rate must be a share above 0 and at most 1"),
    (["--min-pass-rate", "0.5"], "no item could fail"),
    (["--explain", "-1"], "--explain must be a whole number of at least 0"),
    (["--explain-budget", "0"], "--explain-budget must be a whole number of at least 1"),
])
def test_bad_numbers_are_one_line_exit_2_and_nothing_is_written(results, tmp_path, capsys, monkeypatch, extra, needle):
    monkeypatch.setenv("COLUMNS", "400")
    md = tmp_path / "gate.md"
    md.write_text("<!-- promptfoil gate summary -->\nan earlier summary\n")
    code, out, err = cli(capsys, str(results), *words_target(), *SCORER, *extra, "--markdown", str(md))
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and needle in lines[0] and "Traceback" not in err, err
    assert md.read_text() == "<!-- promptfoil gate summary -->\nan earlier summary\n" and WordsTarget.asked == []


def test_an_unreachable_new_model_writes_nothing(results, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    md, html, junit = tmp_path / "g.md", tmp_path / "g.html", tmp_path / "g.xml"
    html.write_text("<!doctype html><p>yesterday's page</p>")
    code, out, err = cli(capsys, str(results), "--target", "openai", "--base-url", "http://127.0.0.1:9/v1",
                         "--target-model", "x", "--target-option", "retries=0", *SCORER, "--markdown", str(md),
                         "--html", str(html), "--junit", str(junit))
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "answered none of the prompts asked" in lines[0], err
    assert not md.exists() and not junit.exists() and html.read_text() == "<!doctype html><p>yesterday's page</p>"


def test_a_file_of_another_job_is_refused(results, tmp_path, capsys):
    code, out, _ = cli(capsys, str(results), *words_target(), *SCORER, "--json")
    gate_json = tmp_path / "gate.jsonl"
    gate_json.write_text(out)  # the gate's own output, one JSON object
    code, out, err = cli(capsys, str(gate_json), *words_target(), *SCORER)
    assert code == 2 and "not a promptfoil results file" in err and WordsTarget.asked == []


@pytest.mark.parametrize("option, kind", [("--markdown", "md"), ("--html", "html"), ("--junit", "xml")])
def test_no_output_overwrites_the_results_the_cache_or_another_output(results, tmp_path, capsys, option, kind):
    before = results.read_bytes()
    code, _, err = cli(capsys, str(results), *words_target(), *SCORER, option, str(results))
    assert code == 2 and "also an input" in err and results.read_bytes() == before
    cache = tmp_path / "cache.sqlite"
    WordsTarget.asked.clear()
    assert main(["gate", str(results), *words_target(), *SCORER, "--cache", str(cache)]) == 0
    capsys.readouterr()
    cached = cache.read_bytes()
    code = main(["gate", str(results), *words_target(), *SCORER, "--cache", str(cache), option, str(cache), "--force"])
    assert code == 2 and "response cache" in capsys.readouterr().err and cache.read_bytes() == cached
    other = "--html" if option != "--html" else "--markdown"
    code, _, err = cli(capsys, str(results), *words_target(), *SCORER, option, str(tmp_path / "same"), other,
                       str(tmp_path / "same"))
    assert code == 2 and "another output" in err and not (tmp_path / "same").exists()


def test_a_system_option_the_records_would_drop_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    chat = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "may I go"}]
    rec = {"id": "c1", "found": False, "prompt": "system: Be kind.\n\nuser: may I go", "response": "yes",
           "scorer": "bleu", "threshold": 0.5, "direction": "increase", "conversation": chat, "edited_turns": [1]}
    path = tmp_path / "chat.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    code, out, err = cli(capsys, str(path), "--target", "standins:SystemWordsTarget", "--target-option", "system=Be curt.")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "carries its own system prompt" in lines[0], err
    assert main(["gate", str(path), "--target", "standins:SystemWordsTarget", "--no-cache", "--json"]) == 0


@needs_browser
def test_the_before_after_page_in_headless_chromium(results, tmp_path, capsys):
    page = tmp_path / "gate.html"
    code, _, err = cli(capsys, str(results), *changed(results), *EXPLAIN, "--html", str(page))
    assert code == 1, err
    with browser.Browser() as b:
        b.open(page.resolve().as_uri())
        assert b.console_errors() == []
        assert all(u.startswith("file://") for u in b.requests()), b.requests()
        assert b.evaluate("window.__pwned === undefined") is True
        assert b.evaluate("document.querySelectorAll('script, img').length") == 0
        assert b.evaluate("document.getElementById('decision').textContent") == "FAILED"
        assert b.evaluate("document.querySelectorAll('section.gate-item').length") == 5
        text = b.evaluate("document.body.innerText")
        assert HOSTILE.split(" ``` ")[0] in text  # the hostile answer shown as text
        lost = "document.querySelector('#gate-3')"
        assert b.evaluate(f"{lost}.querySelector('.new-contrast').textContent").startswith("birds")
        assert b.evaluate(f"{lost}.querySelector('.new-contrast ins') !== null") is True  # the new edit marked
        assert "still flips the new model: no" in b.evaluate(f"{lost}.textContent")
        b.screenshot(tmp_path / "gate.png")


def test_help_states_the_decision_rule(capsys):
    with pytest.raises(SystemExit):
        main(["gate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Decision rule: each item is asked --repeats K times" in text and "95% Wilson interval" in text
    assert "whole interval lies below --min-pass-rate" in text and "noise band" in text and "never change the exit code" in text


def test_the_summary_replaces_an_earlier_summary_but_not_your_notes(results, tmp_path, capsys):
    md = tmp_path / "NOTES.md"
    md.write_text("# my notes\n")
    code, _, err = cli(capsys, str(results), *words_target(), *SCORER, "--markdown", str(md))
    assert code == 2 and "is not a gate-summary file" in err and md.read_text() == "# my notes\n"
    assert cli(capsys, str(results), *words_target(), *SCORER, "--markdown", str(md), "--force")[0] == 0
    assert cli(capsys, str(results), *words_target(), *SCORER, "--markdown", str(md))[0] == 0  # its own: replaced
    assert md.read_text().startswith("<!-- promptfoil gate summary -->")
