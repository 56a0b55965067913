"""Files the command line writes besides a run's results: an output path that cannot be
written is refused before the search starts (``explain --svg/--html``, ``report --html``,
``compare --out``), an output that fails late still leaves the explanation printed, and
``explain --html`` writes the report of one explanation. Stand-ins only."""

from __future__ import annotations

import json
from pathlib import Path

from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil.cli import main
from promptfoil.runs import LocalEngine, read_items, run
from results_helpers import PROMPT, STANDINS, cli, explainer, prompts_file


def test_unwritable_svg_is_refused_before_the_search(tmp_path, capsys):
    code, out, err = cli(capsys, "explain", PROMPT, *STANDINS, "--budget", "1", "--no-cache",
                         "--svg", str(tmp_path / "missing" / "x.svg"))
    assert code == 2 and "cannot write --svg" in err and out == ""


def test_svg_failing_late_still_prints_the_result(tmp_path, capsys, monkeypatch):
    from rich.console import Console

    def broken(self, path, **kw):
        raise OSError("disk full")

    monkeypatch.setattr(Console, "save_svg", broken)
    code, out, err = cli(capsys, "explain", PROMPT, *STANDINS, "--budget", "1", "--no-cache",
                         "--svg", str(tmp_path / "x.svg"))
    assert code == 2 and "explanation is above" in err
    assert "Is it wrong" in out  # the result was printed first


def test_unwritable_html_is_refused_before_the_search(tmp_path, capsys):
    code, out, err = cli(capsys, "explain", PROMPT, *STANDINS, "--budget", "1", "--no-cache", "--json",
                         "--html", str(tmp_path / "missing" / "x.html"))
    assert code == 2 and "cannot write --html" in err and out == ""


def test_report_and_compare_outputs_are_checked_first(tmp_path, capsys):
    res = tmp_path / "r.jsonl"
    run(read_items(prompts_file(tmp_path / "p.jsonl")), LocalEngine(explainer()), res)
    code, _, err = cli(capsys, "report", str(res), "--html", str(tmp_path / "no" / "r.html"), "--no-content")
    assert code == 2 and "cannot write --html" in err
    code, out, err = cli(capsys, "compare", str(res), "--no-baseline", "--compare-scorer", "bleu",
                         "--out", str(tmp_path / "no" / "c.jsonl"))
    assert code == 2 and "cannot write --out" in err and out == ""


def test_explain_html_writes_the_report_of_one_explanation(tmp_path, capsys):
    """`explain --html FILE` (stand-in components named by import path) writes one page."""
    out = tmp_path / "one.html"
    code = main(["explain", "Is it wrong to lie to your friend?", "--target", "standins:RecordingFunction",
                 "--infiller", "standins:SuffixInfiller", "--scorer", "standins:LostWordsScorer",
                 "--budget", "4", "--no-cache", "--html", str(out), "--json"])
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert "Is it wrong to lie to your friend?" in page and "application/json" in page
    assert '"found"' in capsys.readouterr().out
