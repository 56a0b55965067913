"""The options spine: one Config, built the same way by the API, the CLI and the jobs; the
registry checks options and reads plugins; the endpoint settings reach every component a job
builds, and the query stage's budgets stay out of the target's options."""

from __future__ import annotations

import json
import textwrap

import pytest
from openai_fakes import FakeOpenAIServer
from standins import LostWordsScorer, RecordingFunction, SuffixInfiller

import promptfoil
from promptfoil.build import build_scorer, build_target, component_options
from promptfoil.cli import build_parser, config_from_args, main
from promptfoil.config import Config
from promptfoil.errors import ConfigError
from promptfoil.scorers.base import scorers

PROMPT = "Is it wrong to lie to your friend about her boyfriend?"


def test_direction_without_threshold_is_an_error_not_a_free_pass(capsys):
    # semantic's default δ 0.6 was measured for "increase"; with "decrease" any first candidate
    # below 0.6 would count as found.
    with pytest.raises(ConfigError, match="give --threshold .*'decrease'"):
        promptfoil.Explainer(target=RecordingFunction(), infiller=SuffixInfiller(), scorer="semantic",
                             direction="decrease")
    assert main(["explain", "Hello there", "--direction", "decrease"]) == 2
    assert "give --threshold" in capsys.readouterr().err
    # with a threshold, or the scorer's own direction, it works
    ex = promptfoil.Explainer(target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                              direction="decrease", threshold=0.0, budget=3)
    assert ex.threshold == 0.0 and ex.direction == "decrease"


def test_flat_api_options_and_config_build_the_same_explainer():
    flat = promptfoil.Explainer(target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(),
                                budget=7, split_k=2, seed=3, cache=False, token_budget=100, time_budget=5)
    cfg = flat.config
    assert (cfg.budget.calls, cfg.budget.tokens, cfg.budget.seconds) == (7, 100, 5)
    assert (cfg.search.split_k, cfg.search.seed) == (2, 3)
    with pytest.raises(ConfigError, match="unknown option 'bugdet'"):
        promptfoil.Explainer(bugdet=3)


@pytest.mark.parametrize("bad", [{"budget": True}, {"split_k": True}, {"fills_per_mask": 0}, {"max_iters": 0},
                                 {"cache": 123}, {"threshold": "abc"}, {"budget": 0}, {"time_budget": -1}])
def test_bad_settings_are_config_errors(bad):
    with pytest.raises(ConfigError):
        promptfoil.Explainer(target=RecordingFunction(), infiller=SuffixInfiller(), scorer=LostWordsScorer(), **bad)


def test_registry_names_the_valid_options():
    with pytest.raises(ConfigError, match="scorer 'bleu' has no option 'nope'; valid options: .*w1"):
        scorers.create("bleu", nope=1)


def test_cli_endpoint_flags_reach_every_component_that_takes_them():
    args = build_parser().parse_args([
        "explain", "x", "--target", "openai", "--base-url", "http://127.0.0.1:9/v1", "--target-model", "m",
        "--max-concurrency", "3", "--rpm", "60", "--token-budget", "500", "--completions",
        "--api-key-env", "MY_KEY", "--infiller", "llm", "--scorer", "maxims",
    ])
    cfg = config_from_args(args)
    assert cfg.budget.tokens == 500
    t = component_options(cfg, "target")
    assert t == {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "MY_KEY", "max_concurrency": 3,
                 "rpm": 60.0, "completions": True, "max_tokens": 64, "model": "m"}
    shared = {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "MY_KEY", "max_concurrency": 3,
              "rpm": 60.0, "model": "m"}
    assert component_options(cfg, "infiller") == component_options(cfg, "scorer") == shared
    # a job that swaps the scorer later still sends it to the endpoint (experiment tables bug)
    assert component_options(cfg.with_options(scorer="judge-contradiction"), "scorer") == shared
    local = config_from_args(build_parser().parse_args(["explain", "x", "--infiller", "llm", "--scorer", "bleu"]))
    assert component_options(local, "infiller") == {} and component_options(local, "scorer") == {}


def _results_file(tmp_path):
    rec = promptfoil.Explainer(target=promptfoil.FunctionTarget(lambda ps: [p[::-1] for p in ps], name="rev"),
                               infiller=SuffixInfiller(), scorer=LostWordsScorer(), threshold=0.1, budget=5,
                               cache=False).explain(PROMPT).to_dict()
    assert rec["found"]
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps({"id": "1", **rec}) + "\n")
    return path


def test_compare_baseline_goes_to_the_base_url(tmp_path):
    results = _results_file(tmp_path)
    with FakeOpenAIServer() as srv:
        code = main(["compare", str(results), "--target", "openai", "--base-url", srv.base_url,
                     "--target-model", "fake-model", "--compare-scorer", "bleu", "--no-cache", "--json"])
        assert code == 0
        assert sum(srv.hits.values()) == 1  # the baseline request reached this server
        assert any("worse than" in p for p in srv.hits)


def test_experiment_judge_scorer_goes_to_the_base_url(tmp_path, capsys):
    with FakeOpenAIServer() as srv:
        code = main(["experiment", "tables", "--prompts", "demo", "--limit", "1", "--out", str(tmp_path / "exp"),
                     "--scorers", "judge-contradiction", "--split-ks", "1", "--no-baseline", "--no-content",
                     "--compare-scorer", "bleu", "--target", "openai", "--base-url", srv.base_url,
                     "--target-model", "fake-model", "--infiller", "standins:SuffixInfiller",
                     "--budget", "2", "--no-cache"])
        # the judge's requests (its prompt asks whether two answers contradict) hit the server
        judged = [p for p in srv.hits if "contradict" in p.lower()]
    assert judged, f"no judge request reached the endpoint (exit {code}): {capsys.readouterr().err[-300:]}"


def test_plugins_by_import_path_and_entry_point(tmp_path, monkeypatch):
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "judges.py").write_text(textwrap.dedent('''
        class Strict:
            name = "strict"
            direction = "increase"
            bounds = (0.0, 1.0)
            default_threshold = 0.5
            def __init__(self, level: int = 1):
                self.level = level
            def score(self, items):
                return [float(i.y0 != i.yc) for i in items]
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    s = build_scorer(Config().with_options(scorer="mypkg.judges:Strict", scorer_options={"level": 2}))
    assert s.name == "strict" and s.level == 2
    with pytest.raises(ConfigError, match="has no option 'lvl'; valid options: level"):
        build_scorer(Config().with_options(scorer="mypkg.judges:Strict", scorer_options={"lvl": 2}))
    with pytest.raises(ConfigError, match="cannot import scorer module"):
        build_scorer(Config().with_options(scorer="nopkg.x:Y"))
    # an installed distribution's entry point in the group promptfoil.scorers
    dist = tmp_path / "mypkg_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mypkg-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[promptfoil.scorers]\nstrict = mypkg.judges:Strict\n")
    from promptfoil.registry import Registry

    fresh: Registry = Registry("scorer")
    assert "strict" in fresh.names()
    assert fresh.create("strict", level=3).level == 3


def test_list_shows_plugins(tmp_path, monkeypatch, capsys):
    dist = tmp_path / "other_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: other-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[promptfoil.targets]\nmy-target = json:dumps\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(promptfoil.targets, "_plugins_loaded", False)
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "my-target" in out and "other-plugin" in out
    monkeypatch.setattr(promptfoil.targets, "_plugins_loaded", False)
    promptfoil.targets._entries.pop("my-target", None)


def test_build_target_is_what_the_jobs_use():
    cfg = Config().with_options(target="openai", target_model="m", base_url="http://127.0.0.1:9/v1")
    t = build_target(cfg)
    assert t.endpoint.url == "http://127.0.0.1:9/v1"


def test_cli_token_budget_goes_to_the_query_stage_not_the_target():
    pytest.importorskip("openai")
    from promptfoil.targets.base import targets

    args = build_parser().parse_args([
        "explain", "x", "--target", "openai", "--base-url", "http://127.0.0.1:9/v1", "--target-model", "m",
        "--max-concurrency", "3", "--token-budget", "500",
    ])
    cfg = config_from_args(args)
    assert cfg.budget.tokens == 500
    opts = component_options(cfg, "target")
    assert "token_budget" not in opts and opts["max_concurrency"] == 3
    assert targets.create("openai", **opts).batch_size == 3


def test_cli_search_levers_reach_the_config_and_the_recorded_settings():
    from promptfoil.runs.records import settings_of

    args = build_parser().parse_args(
        ["explain", "x", "--reuse-fills", "--give-up", "0.5:0.2", "--meaning-weight", "0.5"])
    cfg = config_from_args(args)
    assert (cfg.search.reuse_fills, cfg.search.give_up, cfg.search.meaning_weight) == (True, (0.5, 0.2), 0.5)
    recorded = settings_of(cfg)
    assert recorded["give_up"] == [0.5, 0.2] and recorded["reuse_fills"] is True and recorded["meaning_weight"] == 0.5
    plain = settings_of(config_from_args(build_parser().parse_args(["explain", "x"])))
    assert not {"give_up", "reuse_fills", "meaning_weight"} & set(plain)  # files written before them still resume


@pytest.mark.parametrize("value", ["2:0.1", "0.5", "0:0.1", "a:b"])
def test_cli_give_up_is_checked(value, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["explain", "x", "--give-up", value])
    assert "SHARE:MARGIN" in capsys.readouterr().err
