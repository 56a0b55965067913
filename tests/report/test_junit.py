"""The gate's JUnit XML: one testcase per item, with a failure, an error or a skip as the
verdict says, hostile text escaped so the file still parses, and no failure when all hold."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from gate_results import old_model, record, write_results
from standins import LostWordsScorer

from promptfoil.report.junit import junit_tree, write_junit
from promptfoil.runs import read_results
from promptfoil.uses.gate import gate


@pytest.fixture()
def results(tmp_path):
    """3 found contrasts (ids 1-3), one not found (4), one the run failed on (5)."""
    return write_results(tmp_path)


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
        "name": "gate of results.jsonl", "tests": "5", "failures": "1", "errors": "1", "skipped": "1"}
    assert root.get("tests") == "5" and root.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["1", "2", "3", "4", "5"]
    assert all(c.get("classname") for c in cases)
    kinds = [[child.tag for child in c] for c in cases]
    assert kinds == [[], ["error"], ["failure"], [], ["skipped"]]  # 4 (no contrast) is checked and holds
    failure = cases[2].find("failure")
    assert failure.get("type") == "drifted" and failure.get("message").startswith("original drifted:")
    assert "<b>&amp;" in failure.text and "\x1b" not in failure.text and "\x00" not in failure.text


def test_junit_of_an_all_holding_run_has_no_failures(results):
    root = junit_tree(gate(read_results(results), old_model, LostWordsScorer())).getroot()
    suite = root.find("testsuite")
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0")
    assert not suite.findall("testcase/failure") and len(suite.findall("testcase")) == 5
