"""Escape sequences in model or user text never reach the terminal: explain's rendering,
``report`` and ``gate`` show control characters as visible ones (edit offsets intact)."""

from __future__ import annotations

import io
import json

from rich.console import Console

from promptfoil import Explainer
from promptfoil.cli import main
from promptfoil.report.terminal import render
from promptfoil.report.visible import visible
from promptfoil.runs import LocalEngine, RunItem, run
from promptfoil.targets.function import FunctionTarget
from standins import LostWordsScorer, SuffixInfiller

HOSTILE = "Fine.\x1b[2J\x1b]0;pwned\x07 see \x1b]8;;http://evil.example\x1b\\here\x1b]8;;\x1b\\ \u202eevil"


def hostile_model(prompts: list[str]) -> list[str]:
    return [HOSTILE if "x0" in p else "A plain answer." for p in prompts]


def explanation():
    ex = Explainer(target=FunctionTarget(hostile_model, name="hostile"), infiller=SuffixInfiller(),
                   scorer=LostWordsScorer(), threshold=0.3, budget=4, fills_per_mask=2, cache=False)
    return ex, ex.explain("is it \x1b[31mwrong to lie")


def test_visible_keeps_length_and_shows_escape():
    assert visible(HOSTILE).count("\u241b") == HOSTILE.count("\x1b")
    assert len(visible(HOSTILE)) == len(HOSTILE) and "\x1b" not in visible(HOSTILE) and "\u202e" not in visible(HOSTILE)
    assert visible("a\nb\tc") == "a\nb\tc"


def test_explain_rendering_shows_no_escape_sequence():
    _, result = explanation()
    assert result.found and "\x1b" in result.contrast_response
    buf = io.StringIO()
    render(result, Console(file=buf, force_terminal=True, width=120))
    out = buf.getvalue()
    for seq in ("\x1b[2J", "\x1b]0;", "\x1b]8;", "\x1b[31m", "\u202e"):
        assert seq not in out
    assert "\u241b[2J" in out


def test_report_shows_no_escape_sequence(tmp_path, capsys):
    ex, _ = explanation()
    out = tmp_path / "r.jsonl"
    run([RunItem("1", "is it wrong to lie")], LocalEngine(ex), out)
    assert "\\u001b" in out.read_text()  # stored as it came
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\u241b" in printed


def test_an_error_line_shows_no_escape_sequence(tmp_path, capsys):
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user", "content": "is it wrong to lie"}]))
    code = main(["explain", "--conversation", str(chat), "--edit", "\x1b]0;pwned\x07", "--target", "standins:WordsTarget"])
    err = capsys.readouterr().err
    assert code == 2 and "pwned" in err and "\x1b" not in err
