"""Every file the CLI writes follows one rule, checked before any model is asked: never an
input of the same command, never an existing file of another kind without --force."""

from __future__ import annotations

import json

import pytest

from promptfoil import Explainer
from promptfoil.cli import main
from promptfoil.runs import LocalEngine, RunItem, run
from standins import LostWordsScorer, SuffixInfiller, WordsTarget

STANDIN = ["--target", "standins:WordsTarget", "--scorer", "standins:LostWordsScorer",
           "--infiller", "standins:SuffixInfiller", "--no-cache"]


@pytest.fixture()
def results(tmp_path):
    ex = Explainer(target=WordsTarget(), infiller=SuffixInfiller(), scorer=LostWordsScorer(), threshold=0.3,
                   budget=5, fills_per_mask=2, cache=False)
    path = tmp_path / "R.jsonl"
    run([RunItem("1", "is it wrong to lie"), RunItem("2", "should I call my mother")], LocalEngine(ex), path)
    return path


def test_report_html_cannot_overwrite_its_results(results, capsys):
    before = results.read_bytes()
    assert main(["report", str(results), "--html", str(results)]) == 2
    assert "input of this command" in capsys.readouterr().err
    assert results.read_bytes() == before


def test_gate_junit_cannot_overwrite_its_results_and_asks_nothing(results, capsys):
    before = results.read_bytes()
    WordsTarget.asked.clear()
    code = main(["gate", str(results), "--junit", str(results), *STANDIN[:4], "--no-cache"])
    assert code == 2 and "input of this command" in capsys.readouterr().err
    assert results.read_bytes() == before and WordsTarget.asked == []


def test_gate_junit_in_a_missing_folder_fails_before_any_call(results, tmp_path, capsys):
    WordsTarget.asked.clear()
    code = main(["gate", str(results), "--junit", str(tmp_path / "no" / "such" / "gate.xml"), *STANDIN[:4], "--no-cache"])
    assert code == 2 and "cannot write --junit" in capsys.readouterr().err
    assert WordsTarget.asked == []


def test_explain_html_cannot_overwrite_its_conversation(tmp_path, capsys):
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user", "content": "is it wrong to lie to a friend"}]))
    before = chat.read_bytes()
    assert main(["explain", "--conversation", str(chat), "--html", str(chat), *STANDIN]) == 2
    assert "input of this command" in capsys.readouterr().err
    assert chat.read_bytes() == before


def test_html_does_not_replace_a_file_of_another_kind_without_force(results, tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    assert main(["report", str(results), "--html", str(notes)]) == 2
    assert "not a html file" in capsys.readouterr().err and notes.read_text() == "my notes\n"
    assert main(["report", str(results), "--html", str(notes), "--force"]) == 0
    assert notes.read_text().lower().startswith("<!doctype html")
    assert main(["report", str(results), "--html", str(notes)]) == 0  # an HTML report may replace one


def test_compare_out_cannot_be_its_results(results, capsys):
    before = results.read_bytes()
    assert main(["compare", str(results), "--out", str(results), "--no-baseline", "--compare-scorer", "bleu"]) == 2
    assert results.read_bytes() == before


def test_svg_and_html_cannot_be_one_file(tmp_path, capsys):
    out = tmp_path / "x.out"
    assert main(["explain", "is it wrong to lie", "--svg", str(out), "--html", str(out), *STANDIN]) == 2
    assert "same file" in capsys.readouterr().err
