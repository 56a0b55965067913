"""Contract tests run over every registered component: the protocol holds for all plugins.

Constructors must be cheap (models load on first use), so every component that needs no
model argument is built here with its defaults.
"""

from __future__ import annotations

import json
import math

import pytest

import promptfoil
from promptfoil import Infiller, Scorer, Target
from promptfoil.errors import PromptfoilError
from promptfoil.types import DIRECTIONS


def build(registry, name):
    try:
        return registry.create(name)
    except PromptfoilError as exc:  # needs a model path / URL the user must give
        pytest.skip(f"{registry.kind} '{name}' needs arguments: {exc}")


@pytest.mark.parametrize("name", promptfoil.scorers.names())
def test_scorer_contract(name):
    s = build(promptfoil.scorers, name)
    assert isinstance(s, Scorer)
    assert s.direction in DIRECTIONS
    lo, hi = s.bounds
    assert lo < hi
    assert lo <= s.default_threshold <= hi and math.isfinite(s.default_threshold)
    assert s.score([]) == []


@pytest.mark.parametrize("name", promptfoil.infillers.names())
def test_infiller_contract(name):
    inf = build(promptfoil.infillers, name)
    assert isinstance(inf, Infiller)
    assert isinstance(inf.name, str) and inf.name


@pytest.mark.parametrize("name", promptfoil.targets.names())
def test_target_contract(name):
    t = build(promptfoil.targets, name)
    assert isinstance(t, Target)
    json.dumps(t.settings, sort_keys=True)  # part of the cache key: must serialise
    assert t.identity is None or isinstance(t.identity, str)
    assert isinstance(t.cacheable, bool)
    assert int(getattr(t, "batch_size", 1)) >= 1


def test_every_registry_feeds_the_cli():
    from promptfoil.cli import build_parser

    parser = build_parser()
    explain = parser._subparsers._group_actions[0].choices["explain"]  # noqa: SLF001
    helps = {a.dest: a.help for a in explain._actions}  # noqa: SLF001
    for flag, names in (("target", promptfoil.list_targets()), ("infiller", promptfoil.list_infillers()),
                        ("scorer", promptfoil.list_scorers()), ("algorithm", promptfoil.list_algorithms())):
        for name in names:
            assert getattr(parser.parse_args(["explain", "x", f"--{flag}", name]), flag) == name
        if flag != "algorithm":
            assert ", ".join(names) in helps[flag]  # --help lists every registered name
