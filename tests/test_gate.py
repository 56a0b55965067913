"""``promptfoil gate``: verdicts, the exit-code rule, JUnit XML and bad input, with stand-ins.

The results files are written by a real dataset run (``runs.run`` with the Explainer) over
deterministic stand-ins: the target answers a prompt's sorted distinct words, the scorer is
the share of lost words (δ = 0.3), so each three-word prompt's contrast is one edited word.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from standins import LostWordsScorer, SuffixInfiller, WordsTarget, sorted_words

from promptfoil import Explainer, FunctionTarget, ScoreItem
from promptfoil.cli import main
from promptfoil.errors import PromptfoilError
from promptfoil.uses.experiments.common import run_config
from promptfoil.uses.gate import GateSummary, gate
from promptfoil.report.junit import junit_tree, write_junit
from promptfoil.runs import LocalEngine, RunItem, read_results, run

PROMPTS = ["the cat sat", "a dog barks", "birds fly south", "fixed words here", "?!"]
STANDIN = ["--target", "standins:WordsTarget", "--scorer", "standins:LostWordsScorer"]


def old_model(prompts: list[str]) -> list[str]:
    """The model the results were written with; prompts with 'fixed' never change answer."""
    return ["fixed answer" if "fixed" in p else sorted_words(p) for p in prompts]


@pytest.fixture()
def results(tmp_path):
    """3 found contrasts (ids 1-3), one not found (4), one the run failed on (5)."""
    ex = Explainer(target=FunctionTarget(old_model, name="old"), infiller=SuffixInfiller(),
                   scorer=LostWordsScorer(), threshold=0.3, budget=5, fills_per_mask=2, cache=False)
    path = tmp_path / "results.jsonl"
    run([RunItem(str(i), p) for i, p in enumerate(PROMPTS, 1)], LocalEngine(ex), path)  # as `promptfoil run`: with traces
    recs = {r["id"]: r for r in read_results(path)}
    assert [recs[i].get("found") for i in "12345"] == [True, True, True, False, None]
    assert "error" in recs["5"]
    return path


def record(path, item_id: str) -> dict:
    return next(r for r in read_results(path) if r["id"] == item_id)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    WordsTarget.asked.clear()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def verdicts(report) -> dict[str, str]:
    return {i.id: i.verdict for i in report.items}


# -- the Python API ----------------------------------------------------------------------------
def test_unchanged_target_holds_everywhere_with_two_calls_per_item(results):
    asked: list[str] = []

    def new(prompts: list[str]) -> list[str]:
        asked.extend(prompts)
        return old_model(prompts)

    report = gate(read_results(results), new, LostWordsScorer())
    assert verdicts(report) == {"1": "holds", "2": "holds", "3": "holds", "4": "skipped", "5": "skipped"}
    assert report.summary.passed and report.summary.checked == 3 and report.summary.broken == 0
    found = [record(results, i) for i in "123"]
    assert sorted(asked) == sorted(p for r in found for p in (r["prompt"], r["contrast_prompt"]))


def test_a_results_file_written_by_an_experiment_is_gated_alike(tmp_path):
    ex = Explainer(target=FunctionTarget(old_model, name="old"), infiller=SuffixInfiller(),
                   scorer=LostWordsScorer(), threshold=0.3, budget=5, fills_per_mask=2, cache=False)
    records = run_config("lost-words__cell-budget__k1", [RunItem("a", "the cat sat")], ex,
                         tmp_path / "runs" / "cell.jsonl")
    assert "trace" not in records[0]
    assert verdicts(gate(records, old_model, LostWordsScorer())) == {"a": "holds"}
    assert verdicts(gate(records, lambda ps: ["moved"] * len(ps), LostWordsScorer())) == {"a": "drifted"}


def test_a_changed_answer_to_one_original_prompt_is_exactly_that_item_drifted(results):
    def new(prompts: list[str]) -> list[str]:
        return ["a completely new answer" if p == "a dog barks" else a for p, a in zip(prompts, old_model(prompts))]

    report = gate(read_results(results), new, LostWordsScorer())
    assert verdicts(report) == {"1": "holds", "2": "drifted", "3": "holds", "4": "skipped", "5": "skipped"}
    assert not report.summary.passed and report.summary.drifted == 1


def test_a_contrast_prompt_answered_like_the_original_is_exactly_that_item_lost(results):
    xc = record(results, "3")["contrast_prompt"]

    def new(prompts: list[str]) -> list[str]:
        return [sorted_words("birds fly south") if p == xc else a for p, a in zip(prompts, old_model(prompts))]

    report = gate(read_results(results), new, LostWordsScorer())
    assert verdicts(report) == {"1": "holds", "2": "holds", "3": "lost", "4": "skipped", "5": "skipped"}
    lost = report.items[2]
    assert lost.drift == 0.0 and lost.flip == 0.0 and "needs >= δ=0.3" in lost.reason


def test_drift_compares_stored_and_new_original_answer_and_flip_the_two_new_answers(results):
    class Recording(LostWordsScorer):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[ScoreItem] = []

        def score(self, items):
            self.seen.extend(items)
            return super().score(items)

    def new(prompts: list[str]) -> list[str]:
        return [f"new {a}" for a in old_model(prompts)]

    scorer = Recording()
    gate(read_results(results), new, scorer)
    r = record(results, "1")
    x0, y0, xc = r["prompt"], r["response"], r["contrast_prompt"]
    y0n, ycn = f"new {sorted_words(x0)}", f"new {sorted_words(xc)}"
    assert ScoreItem(x0, y0, x0, y0n) in scorer.seen  # drift: stored y0 vs new y0' (same prompt)
    assert ScoreItem(x0, y0n, xc, ycn) in scorer.seen  # flip: new y0' vs new yc'
    assert len(scorer.seen) == 6


def test_a_prompt_the_new_target_refuses_fails_only_its_item(results):
    x0 = record(results, "1")["prompt"]  # the first prompt asked: refused before any answer

    def new(prompts: list[str]) -> list[str]:
        if x0 in prompts:
            raise RuntimeError("context too long")
        return old_model(prompts)

    report = gate(read_results(results), new, LostWordsScorer())
    assert verdicts(report) == {"1": "failed", "2": "holds", "3": "holds", "4": "skipped", "5": "skipped"}
    assert "context too long" in report.items[0].reason and report.summary.failed == 1


def test_a_target_that_answers_nothing_is_unreachable_not_a_regression(results):
    asked: list[str] = []

    def down(prompts: list[str]) -> list[str]:
        asked.extend(prompts)
        raise ConnectionError("connection refused")

    with pytest.raises(PromptfoilError, match="answered none of the prompts asked: .*connection refused"):
        gate(read_results(results), down, LostWordsScorer())
    assert len(asked) == 2  # it gives up after two failures, not after every prompt


def test_a_scorer_without_a_finite_score_fails_the_item(results):
    class NaNOnSecond(LostWordsScorer):
        def score(self, items):
            return [float("nan") if "dog" in it.x0 else s for it, s in zip(items, super().score(items))]

    report = gate(read_results(results), old_model, NaNOnSecond())
    assert verdicts(report)["2"] == "failed" and verdicts(report)["1"] == "holds"


def test_the_broken_share_counts_checked_items_only():
    s = GateSummary(total=6, holds=3, drifted=1, lost=0, failed=0, skipped=2, max_broken=0.25)
    assert (s.checked, s.broken, s.broken_share, s.passed) == (4, 1, 0.25, True)  # equal: passes
    assert not GateSummary(6, 3, 1, 0, 0, 2, max_broken=0.2).passed
    assert not GateSummary(4, 3, 0, 0, 1, 0, max_broken=0.0).passed  # a failed item is broken
    assert GateSummary(4, 4, 0, 0, 0, 0, max_broken=0.0).passed


def test_results_without_any_found_contrast_are_refused(results):
    skipped_only = [r for r in read_results(results) if not r.get("found")]
    with pytest.raises(PromptfoilError, match="no found contrasts"):
        gate(skipped_only, old_model, LostWordsScorer())


# -- JUnit XML ----------------------------------------------------------------------------------
def test_junit_has_one_testcase_per_item_with_failure_error_and_skipped(results, tmp_path):
    x0 = record(results, "3")["prompt"]
    hostile = "<b>&amp; \x1b[31m \x00 ]]> 'quoted' \"double\"</b>"

    def new(prompts: list[str]) -> list[str]:
        if record(results, "2")["prompt"] in prompts:
            raise RuntimeError("refused")
        return [hostile if p == x0 else a for p, a in zip(prompts, old_model(prompts))]

    report = gate(read_results(results), new, LostWordsScorer())
    path = write_junit(report, tmp_path / "gate.xml", name="gate of results.jsonl")
    root = ET.parse(path).getroot()  # parses: control characters were replaced, markup escaped
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    assert {k: suite.get(k) for k in ("name", "tests", "failures", "errors", "skipped")} == {
        "name": "gate of results.jsonl", "tests": "5", "failures": "1", "errors": "1", "skipped": "2"}
    assert root.get("tests") == "5" and root.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["1", "2", "3", "4", "5"]
    assert all(c.get("classname") for c in cases)
    kinds = [[child.tag for child in c] for c in cases]
    assert kinds == [[], ["error"], ["failure"], ["skipped"], ["skipped"]]
    failure = cases[2].find("failure")
    assert failure.get("type") == "drifted" and failure.get("message").startswith("original drifted:")
    assert "<b>&amp;" in failure.text and "\x1b" not in failure.text and "\x00" not in failure.text


def test_junit_of_an_all_holding_run_has_no_failures(results):
    root = junit_tree(gate(read_results(results), old_model, LostWordsScorer())).getroot()
    suite = root.find("testsuite")
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0")
    assert not suite.findall("testcase/failure") and len(suite.findall("testcase")) == 5


# -- the command line ---------------------------------------------------------------------------
def test_cli_unchanged_target_passes_with_exit_0(results, capsys, tmp_path):
    junit = tmp_path / "gate.xml"
    code, out, err = cli(capsys, "gate", str(results), *STANDIN, "--junit", str(junit))
    assert code == 0, err
    text = " ".join(out.split())
    assert "PASSED" in text and "3 hold" in text and "2 skipped" in text
    assert ET.parse(junit).getroot().find("testsuite").get("tests") == "5"
    assert len(WordsTarget.asked) == 6  # two prompts per found contrast, nothing else


def test_cli_changed_target_fails_with_exit_1_naming_the_item(results, capsys):
    overrides = json.dumps({"the cat sat": "meow"})
    code, out, err = cli(capsys, "gate", str(results), *STANDIN, "--target-option", f"overrides={overrides}",
                         "--json")
    assert code == 1, err
    data = json.loads(out)
    assert {i["id"]: i["verdict"] for i in data["items"]} == {
        "1": "drifted", "2": "holds", "3": "holds", "4": "skipped", "5": "skipped"}
    assert data["summary"]["passed"] is False and data["summary"]["broken_share"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("max_broken, code", [("0", 1), ("0.3", 1), ("0.34", 0), ("1", 0)])
def test_cli_max_broken_decides_the_exit_code(results, capsys, max_broken, code):
    overrides = json.dumps({"the cat sat": "meow"})  # 1 of 3 checked items broken
    got, out, err = cli(capsys, "gate", str(results), *STANDIN, "--target-option", f"overrides={overrides}",
                        "--max-broken", max_broken)
    assert got == code, err
    assert ("PASSED" if code == 0 else "FAILED") in out


def test_cli_answers_are_cached_between_runs(results, capsys):
    assert cli(capsys, "gate", str(results), *STANDIN)[0] == 0
    assert len(WordsTarget.asked) == 6
    assert cli(capsys, "gate", str(results), *STANDIN)[0] == 0
    assert WordsTarget.asked == []
    assert cli(capsys, "gate", str(results), *STANDIN, "--no-cache")[0] == 0
    assert len(WordsTarget.asked) == 6


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
        (lambda p: _bad_line(p / "n.jsonl", found=False), [], "no found contrasts"),
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
    code, out, err = cli(capsys, "gate", str(results), *STANDIN, "--target-option", f"fail_on={json.dumps([x0])}",
                         "--junit", str(junit), "--max-broken", "0.5")
    assert code == 0, err  # 1 of 3 broken is within 0.5
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("errors") == "1" and suite.get("failures") == "0"
    assert "refused" in suite.findall("testcase")[2].find("error").get("message")
