"""The budget limits, ``--max-tokens`` and the cache are declared once (on ``Budget`` and
``Config``): their flags, checks, records and resume check come from the declarations, a
field declared on ``Budget`` becomes a flag, and a bad value is one error line with exit 2."""

from __future__ import annotations

import argparse
import dataclasses
import math

import pytest

from promptfoil.cli import build_parser, config_from_args, main
from promptfoil.config import Config
from promptfoil.errors import ConfigError
from promptfoil.runs.records import settings_of
from promptfoil.settings.declare import declared, dest_of, setting
from promptfoil.settings.rules import Whole
from promptfoil.targets.budget import Budget


def _actions(command: str) -> dict[str, argparse.Action]:
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]  # noqa: SLF001
    return {flag: a for a in sub._actions for flag in a.option_strings}  # noqa: SLF001


@pytest.mark.parametrize("command", ["explain", "run", "redteam"])
def test_limit_flags_are_the_declarations(command):
    actions = _actions(command)
    for cls in (Budget, Config):
        for f, s in declared(cls):
            action = actions[s.flag]
            assert (action.help, action.dest) == (s.help, dest_of(f, s))
            if s.cli == "value+off":
                assert actions["--no-" + s.flag[2:]].help == s.off_help
            elif not (command == "redteam" and s.flag == "--budget"):  # redteam's own default (set_defaults)
                assert action.default == f.default
    assert [dest_of(f, s) for f, s in declared(Budget)] == ["budget", "token_budget", "time_budget"]
    assert actions["--budget"].help.startswith("most target queries")


def test_gate_takes_max_tokens_and_cache_from_the_declarations():
    actions = _actions("gate")
    declared_config = dict((f.name, s) for f, s in declared(Config))
    assert actions["--max-tokens"].help == declared_config["max_tokens"].help
    assert actions["--max-tokens"].default is None  # gate: the run's recorded max_tokens
    assert actions["--cache"].help == declared_config["cache"].help


def test_the_flags_reach_the_config_as_before():
    parse = build_parser().parse_args
    args = parse(["explain", "x", "--budget", "none", "--token-budget", "500", "--time-budget", "2.5",
                  "--max-tokens", "12", "--cache", "c.sqlite"])
    assert (args.budget, args.token_budget, args.time_budget, args.max_tokens, args.cache, args.no_cache) == \
        (None, 500, 2.5, 12, "c.sqlite", False)
    cfg = config_from_args(args)
    assert (cfg.budget, cfg.max_tokens, cfg.cache) == (Budget(None, 500, 2.5), 12, "c.sqlite")
    assert config_from_args(parse(["explain", "x", "--budget", "unlimited"])).budget.calls is None
    plain = config_from_args(parse(["explain", "x"]))
    assert (plain.budget, plain.max_tokens, plain.cache) == (Budget(), Config().max_tokens, True)
    assert config_from_args(parse(["explain", "x", "--no-cache", "--cache", "c.sqlite"])).cache is False


def test_a_field_declared_on_budget_becomes_a_flag_and_a_record(monkeypatch):
    @dataclasses.dataclass(frozen=True)
    class Wider(Budget):
        rounds: int | None = setting(None, Whole(1, none=True), "most rounds per explanation", flag="--round-budget",
                                     dest="round_budget", metavar="N")

    monkeypatch.setattr("promptfoil.cli.options.Budget", Wider)
    args = build_parser().parse_args(["explain", "x", "--round-budget", "3", "--budget", "9"])
    cfg = config_from_args(args)
    assert (cfg.budget.rounds, cfg.budget.calls) == (3, 9)
    assert settings_of(cfg)["budget"] == {"calls": 9, "tokens": None, "seconds": None, "rounds": 3}
    with pytest.raises(ConfigError, match="round_budget must be a whole number of at least 1"):
        config_from_args(build_parser().parse_args(["explain", "x", "--round-budget", "0"]))


def test_budget_and_max_tokens_are_recorded_and_the_cache_is_not():
    cfg = Config(budget=Budget(7, 300, 4.0), max_tokens=9, cache="somewhere.sqlite")
    rec = settings_of(cfg)
    assert (rec["budget"], rec["max_tokens"]) == ({"calls": 7, "tokens": 300, "seconds": 4.0}, 9)
    assert "cache" not in rec and "somewhere" not in repr(rec)
    assert settings_of(Config(cache=False)) == settings_of(Config())  # plumbing: a resume may change it


def test_flat_api_keys_come_from_the_declarations():
    cfg = Config().with_options(budget=5, token_budget=3, time_budget=1.5, max_tokens=8, cache=False)
    assert (cfg.budget, cfg.max_tokens, cfg.cache) == (Budget(5, 3, 1.5), 8, False)
    with pytest.raises(ConfigError, match="time_budget must be a finite number above 0"):
        Config().with_options(time_budget=math.inf)
    with pytest.raises(ConfigError, match="cache must be True, False, a file path"):
        Config(cache=3)


@pytest.mark.parametrize("flag, value, needle", [
    ("--budget", "-1", "budget must be a whole number of at least 1"),
    ("--budget", "1.5", "argument --budget: expected a whole number of at least 1 or none"),
    ("--token-budget", "nan", "argument --token-budget: expected a whole number of at least 1"),
    ("--token-budget", "0", "token_budget must be a whole number of at least 1"),
    ("--time-budget", "inf", "time_budget must be a finite number above 0"),
    ("--time-budget", "nan", "time_budget must be a finite number above 0"),
    ("--time-budget", "-2", "time_budget must be a finite number above 0"),
    ("--max-tokens", "0", "max_tokens must be a whole number of at least 1"),
    ("--max-tokens", "none", "argument --max-tokens: expected a whole number of at least 1,"),
])
def test_bad_limits_are_one_error_line(capsys, flag, value, needle):
    try:
        code = main(["explain", "Hello there", flag, value])
    except SystemExit as exc:  # argparse: the usage, then one error line
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert "Traceback" not in err and sum("error:" in line for line in err.splitlines()) == 1
    assert needle in " ".join(err.split())
