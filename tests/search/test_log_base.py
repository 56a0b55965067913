"""``--log-base``: the search option added with one declaration (``config.Search``) and the
search function's own parameter (``cell_budget``), nothing else; it reaches the search, is
recorded when set, and is checked by its declared rule. Stand-ins only (plumbing)."""

from __future__ import annotations

from collections import Counter

import pytest
from results_helpers import STANDINS, cli, explainer, prompts_file

import promptfoil
from promptfoil.runs.records import settings_of

PROMPT = "Is it wrong to lie to my friend about the gift I bought for her birthday party?"


def _first_round(log_base: float) -> int:
    ex = explainer(budget=20, log_base=log_base, threshold=0.99)  # never reached: every round runs
    trace = ex.explain(PROMPT).trace
    return Counter(t.stage for t in trace)["budget:t1-j1"]


def test_a_larger_log_base_asks_more_candidates_in_the_first_round():
    assert _first_round(2.0) == 4  # q = floor(20 / log2 20)
    assert _first_round(8.0) == 12  # q = floor(20 / log8 20) = 13, seeds fitted into it


def test_log_base_is_recorded_only_when_set_and_checked(tmp_path, capsys):
    assert "log_base" not in settings_of(promptfoil.Config())
    assert settings_of(promptfoil.Config().with_options(log_base=8))["log_base"] == 8
    with pytest.raises(promptfoil.ConfigError, match="log_base must be a finite number above 1"):
        promptfoil.Search(log_base=1)
    out = tmp_path / "r.jsonl"
    code, _, err = cli(capsys, "run", str(prompts_file(tmp_path / "p.jsonl")), "--out", str(out), *STANDINS,
                       "--log-base", "8", "--limit", "1")
    assert code == 0, err
    assert promptfoil.load_results(out)[0]["settings"]["log_base"] == 8.0
