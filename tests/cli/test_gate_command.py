"""``promptfoil gate`` on the command line: exit 0 when every item holds, 1 naming the broken
item, ``--max-broken`` deciding the exit code, answers cached between runs, the recorded
scorer built by its name, JUnit XML written, and bad input one line with exit 2.

The results files come from tests/gate_results.py (a dataset run over stand-ins); the new
target is ``standins:WordsTarget``, named by import path."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from gate_results import record, words_target, write_results
from standins import WordsTarget, sorted_words

from promptfoil.cli import main

SCORER = ["--scorer", "standins:LostWordsScorer"]
STANDIN = [*words_target(), *SCORER]


@pytest.fixture()
def results(tmp_path):
    """3 found contrasts (ids 1-3), one not found (4), one the run failed on (5)."""
    return write_results(tmp_path)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    WordsTarget.asked.clear()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_unchanged_target_passes_with_exit_0(results, capsys, tmp_path):
    junit = tmp_path / "gate.xml"
    code, out, err = cli(capsys, "gate", str(results), *STANDIN, "--junit", str(junit))
    assert code == 0, err
    text = " ".join(out.split())
    assert "PASSED" in text and "4 hold" in text and "1 skipped" in text
    assert ET.parse(junit).getroot().find("testsuite").get("tests") == "5"
    assert len(WordsTarget.asked) == 7  # two prompts per found contrast, the original of the not-found one


def test_cli_changed_target_fails_with_exit_1_naming_the_item(results, capsys):
    code, out, err = cli(capsys, "gate", str(results), *words_target({"the cat sat": "meow"}), *SCORER, "--json")
    assert code == 1, err
    data = json.loads(out)
    assert {i["id"]: i["verdict"] for i in data["items"]} == {
        "1": "drifted", "2": "holds", "3": "holds", "4": "holds", "5": "skipped"}
    assert data["summary"]["passed"] is False and data["summary"]["broken_share"] == pytest.approx(1 / 4)


@pytest.mark.parametrize("max_broken, code", [("0", 1), ("0.2", 1), ("0.25", 0), ("1", 0)])
def test_cli_max_broken_decides_the_exit_code(results, capsys, max_broken, code):
    # 1 of 4 checked items broken
    got, out, err = cli(capsys, "gate", str(results), *words_target({"the cat sat": "meow"}), *SCORER,
                        "--max-broken", max_broken)
    assert got == code, err
    assert ("PASSED" if code == 0 else "FAILED") in out


def test_cli_answers_are_cached_between_runs(results, capsys):
    assert cli(capsys, "gate", str(results), *STANDIN)[0] == 0
    assert len(WordsTarget.asked) == 7
    assert cli(capsys, "gate", str(results), *STANDIN)[0] == 0
    assert WordsTarget.asked == []
    assert cli(capsys, "gate", str(results), *STANDIN, "--no-cache")[0] == 0
    assert len(WordsTarget.asked) == 7


def test_cli_builds_the_recorded_scorer_by_its_name(tmp_path, capsys):
    rec = {"id": "a", "found": True, "prompt": "the cat sat on the mat", "response": sorted_words("the cat sat on the mat"),
           "contrast_prompt": "a dog ran far away", "contrast_response": sorted_words("a dog ran far away"),
           "score": 0.8, "scorer": "bleu", "threshold": 0.5, "direction": "increase"}
    path = tmp_path / "bleu.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    code, out, err = cli(capsys, "gate", str(path), "--target", "standins:WordsTarget", "--json")
    assert code == 0, err
    item = json.loads(out)["items"][0]
    assert item["scorer"] == "bleu" and item["verdict"] == "holds"
    assert item["drift"] == pytest.approx(0.2)  # BLEU-SUMM of identical prompts and answers: 0.2 * 1


def _write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


def _bad_line(path, **changes):
    rec = {"id": "x", "found": True, "prompt": "a b", "response": "a b", "contrast_prompt": "a c",
           "contrast_response": "a c", "scorer": "bleu", "threshold": 0.5, "direction": "increase"}
    rec.update(changes)
    return _write(path, json.dumps({k: v for k, v in rec.items() if v is not None}) + "\n")


@pytest.mark.parametrize(
    "make, extra, needle",
    [
        (lambda p: str(p / "missing.jsonl"), [], "results file not found"),
        (lambda p: _write(p / "bad.jsonl", "{not json\n{}\n"), [], "line 1: not valid JSON"),
        (lambda p: _write(p / "e.jsonl", ""), [], "holds no records"),
        (lambda p: _bad_line(p / "s.jsonl", scorer=None), [], "no 'scorer' recorded"),
        (lambda p: _bad_line(p / "t.jsonl", threshold=None), [], "no numeric 'threshold'"),
        (lambda p: _bad_line(p / "d.jsonl", direction="sideways"), [], "'direction' must be one of"),
        (lambda p: _bad_line(p / "c.jsonl", contrast_response=None), [], "no 'contrast_response' text"),
        (lambda p: _bad_line(p / "r.jsonl", threshold=7), [], "outside the range of scorer 'bleu'"),
        (lambda p: _bad_line(p / "u.jsonl", scorer="lost-words", threshold=0.3), [], "not a registered scorer"),
        (lambda p: _bad_line(p / "m.jsonl"), ["--max-broken", "1.5"], "max_broken must be a share"),
        (lambda p: _write(p / "n.jsonl", json.dumps({"id": "x", "prompt": "a", "error": "boom"}) + "\n"), [],
         "nothing to check"),
        (lambda p: _bad_line(p / "o.jsonl"), ["--target", "openai", "--base-url", "http://127.0.0.1:9/v1",
                                              "--target-model", "x", "--target-option", "retries=0"],
         "the target answered none of the prompts asked"),
        (lambda p: _bad_line(p / "w.jsonl"), ["--junit", "/nonexistent-dir/gate.xml"], "cannot write"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, make, extra, needle):
    monkeypatch.setenv("COLUMNS", "400")  # so rich does not wrap the one line
    path = make(tmp_path)
    args = ["gate", path, *extra] if any(a == "--target" for a in extra) else ["gate", path, "--target",
                                                                             "standins:WordsTarget", *extra]
    code, out, err = cli(capsys, *args)
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], err
    assert "Traceback" not in err and out == ""


def test_cli_refused_prompt_after_answers_is_a_failed_item(results, capsys, tmp_path):
    junit = tmp_path / "gate.xml"
    x0 = record(results, "3")["prompt"]
    code, out, err = cli(capsys, "gate", str(results), *words_target(fail_on=[x0]), *SCORER,
                         "--junit", str(junit), "--max-broken", "0.5")
    assert code == 0, err  # 1 of 4 broken is within 0.5
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("errors") == "1" and suite.get("failures") == "0"
    assert "refused" in suite.findall("testcase")[2].find("error").get("message")
