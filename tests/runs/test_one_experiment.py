"""A results file holds one experiment: resuming it with other settings, with another
prompt under a stored id, or from another job is refused with the difference named."""

from __future__ import annotations

import json

import pytest

from promptfoil import Explainer
from promptfoil.cli import main
from promptfoil.errors import PromptfoilError
from promptfoil.runs import LocalEngine, RunItem, read_results, run
from standins import LostWordsScorer, SuffixInfiller, WordsTarget

STANDIN = ["--target", "standins:WordsTarget", "--scorer", "standins:LostWordsScorer",
           "--infiller", "standins:SuffixInfiller", "--no-cache", "--threshold", "0.3"]


def explainer(**kw):
    return Explainer(target=WordsTarget(), infiller=SuffixInfiller(), scorer=LostWordsScorer(), threshold=0.3,
                     fills_per_mask=2, cache=False, **{"budget": 5, **kw})


def test_every_record_names_its_settings(tmp_path):
    out = tmp_path / "r.jsonl"
    run([RunItem("1", "is it wrong to lie")], LocalEngine(explainer()), out)
    rec = read_results(out)[0]
    assert rec["settings"]["job"] == "run" and rec["settings"]["budget"]["calls"] == 5
    assert rec["settings"]["target"]["name"] == "words"


def test_resuming_with_another_budget_is_refused(tmp_path):
    out = tmp_path / "r.jsonl"
    run([RunItem("1", "is it wrong to lie")], LocalEngine(explainer()), out)
    before = out.read_bytes()
    with pytest.raises(PromptfoilError, match=r"budget\.calls: 5 -> 6"):
        run([RunItem("1", "is it wrong to lie"), RunItem("2", "should I go")], LocalEngine(explainer(budget=6)), out)
    assert out.read_bytes() == before


def test_an_id_with_another_prompt_is_refused(tmp_path):
    out = tmp_path / "r.jsonl"
    run([RunItem("1", "is it wrong to lie")], LocalEngine(explainer()), out)
    with pytest.raises(PromptfoilError, match="id '1' was explained for another prompt"):
        run([RunItem("1", "should I call my mother")], LocalEngine(explainer()), out)


def test_another_job_cannot_append(tmp_path):
    out = tmp_path / "r.jsonl"
    engine = LocalEngine(explainer())
    run([RunItem("1", "is it wrong to lie")], engine, out)
    with pytest.raises(PromptfoilError, match="job: 'run' -> 'redteam'"):
        run([RunItem("2", "should I go")], engine, out, settings={**engine.settings, "job": "redteam"})


def test_cli_resume_names_the_difference_and_restart_starts_over(tmp_path, capsys):
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"id": "a", "prompt": "is it wrong to lie"}) + "\n")
    out = tmp_path / "r.jsonl"
    assert main(["run", str(prompts), "--out", str(out), "--budget", "5", *STANDIN]) == 0
    assert main(["run", str(prompts), "--out", str(out), "--budget", "7", *STANDIN]) == 2
    err = capsys.readouterr().err
    assert "settings differ" in err and "budget.calls: 5 -> 7" in err and "--restart" in err
    assert main(["run", str(prompts), "--out", str(out), "--budget", "7", "--restart", *STANDIN]) == 0
    recs = read_results(out)
    assert len(recs) == 1 and recs[0]["settings"]["budget"]["calls"] == 7


def test_options_that_only_change_how_answers_are_fetched_do_not_split_an_experiment(tmp_path):
    from promptfoil.config import Component, Config
    from promptfoil.runs.records import settings_difference, settings_of

    a = settings_of(Config(target=Component("openai", "m", {"timeout": 30, "max_concurrency": 4, "system": "x"})))
    b = settings_of(Config(target=Component("openai", "m", {"timeout": 90, "max_concurrency": 8, "system": "x"})))
    c = settings_of(Config(target=Component("openai", "m", {"timeout": 30, "system": "y"})))
    assert settings_difference(a, b) == []
    assert settings_difference(a, c) == ["target.options.system: 'x' -> 'y'"]
