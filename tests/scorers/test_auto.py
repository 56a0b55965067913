"""The ``auto`` definition (the default): verdict for a yes/no question when a verdict judge is
installed and can read the original answer, else semantic; every explanation says which and why."""

from __future__ import annotations

import json
import os

import pytest
from conftest import USER_CACHE, requires_models
from standins import verdict_chat

from promptfoil.scorers.auto import FETCH_HINT, AutoScorer
from promptfoil.scorers.verdict import VerdictScorer
from promptfoil.scorers.verdict_readers import ChatVerdictReader

HOME_MODELS = USER_CACHE / "models"


def test_without_a_judge_a_verdict_question_is_explained_by_meaning_and_says_how_to_get_one():
    auto = AutoScorer()  # the test's cache folder is empty: no qwen-0.5b fetched
    pick = auto.choose("Is it okay to nap at work?", "Yes, a short nap is fine.")
    assert pick.scorer is auto.semantic and auto.current is auto.semantic
    assert "no verdict judge is installed" in pick.reason and FETCH_HINT in pick.reason


def _with_judge() -> AutoScorer:
    auto = AutoScorer(model="stand-in")  # a named judge counts as available
    auto._verdict = VerdictScorer(ChatVerdictReader(verdict_chat()))
    return auto


def test_with_a_judge_yes_no_questions_get_the_verdict_and_open_ones_keep_meaning():
    auto = _with_judge()
    pick = auto.choose("Can I borrow your car?", "Sure, take it.")
    assert pick.scorer is auto._verdict and pick.reason.startswith("verdict: a yes/no question")
    pick = auto.choose("Why do cars need oil?", "Sure, take it.")
    assert pick.scorer is auto.semantic and "open question" in pick.reason
    pick = auto.choose("Should I buy or lease a car?", "Sure.")
    assert pick.scorer is auto.semantic and "choice" in pick.reason


def test_a_judge_that_cannot_read_the_original_verdict_falls_back_to_meaning_and_says_so():
    auto = _with_judge()
    pick = auto.choose("Can I borrow your car?", "The weather is lovely today.")
    assert pick.scorer is auto.semantic and "could not read" in pick.reason


@pytest.mark.slow
@requires_models
def test_the_default_explanation_records_its_definition_on_the_embedded_stack():
    import contextlib
    import io

    from promptfoil.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["explain", "Is it okay to skip a family dinner to study?", "--budget", "2", "--json"])
    assert code == 0
    rec = json.loads(buf.getvalue())
    assert rec["scorer"] == "semantic" and FETCH_HINT in rec["scorer_reason"]
    assert rec["verdict"] is None


@pytest.mark.slow
@requires_models
@pytest.mark.skipif(not (HOME_MODELS / "qwen-0.5b.gguf").is_file() or not os.environ.get("PROMPTFOIL_TEST_QWEN"),
                    reason="opt in with PROMPTFOIL_TEST_QWEN=1 once qwen-0.5b is fetched (minutes on two cores)")
def test_with_qwen_fetched_a_verdict_question_reports_the_verdict_it_read(monkeypatch):
    import promptfoil

    monkeypatch.setenv("PROMPTFOIL_CACHE_DIR", str(HOME_MODELS.parent))
    ex = promptfoil.explain("Is it okay to give my dog chocolate as a treat?", budget=2, cache=False)
    assert ex.scorer == "verdict" and ex.scorer_reason.startswith("verdict:")
    assert ex.verdict is not None and ex.verdict["original"]["label"] in ("yes", "no", "depends")
    assert ex.verdict["held"] == (not ex.found)
