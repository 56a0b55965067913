"""The defaults chosen by measurement are the code's defaults and the manual's: a lever that
the rating loop or the benchmarks did not support stays off, and the options table of
``docs/cli.md`` says so."""

from __future__ import annotations

from pathlib import Path

from promptfoil.build import build_constraints
from promptfoil.config import DEFAULT_MAX_TOKENS, DEFAULT_MIN_FLUENCY, Config, Search

OPTIONS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
README = OPTIONS_PAGE.read_text(encoding="utf-8")


def readme_default(flag: str) -> str:
    """The default column of the options table's row for ``flag``."""
    for line in README.splitlines():
        if line.startswith(f"| `{flag}"):
            return line.rstrip(" |").rsplit("|", 1)[1].strip()
    raise AssertionError(f"no row for {flag} in the options table of {OPTIONS_PAGE}")


def test_similarity_floors_are_off_by_default_as_measured():
    s = Search()
    assert s.min_prompt_similarity is None and s.min_edit_similarity is None
    assert readme_default("--min-prompt-similarity") == "off"
    assert readme_default("--min-edit-similarity") == "off"


def test_search_levers_are_off_by_default_as_measured():
    s = Search()
    assert (s.reuse_fills, s.give_up, s.meaning_weight) == (False, "scorer", 0.0)
    assert readme_default("--reuse-fills") == "off"
    assert readme_default("--give-up").startswith("scorer")
    assert readme_default("--meaning-weight").startswith("0")


def test_only_the_verdict_definition_gives_up_by_default():
    from promptfoil.scorers.semantic import SemanticScorer
    from promptfoil.scorers.verdict import VerdictScorer

    assert not hasattr(SemanticScorer, "default_give_up")
    rule = ":".join(f"{x:g}" for x in VerdictScorer.default_give_up)
    assert readme_default("--give-up") == f"scorer (verdict: {rule}; others: off)"


def test_response_length_and_fluency_margin_match_the_manual():
    assert readme_default("--max-tokens") == str(DEFAULT_MAX_TOKENS)
    assert readme_default("--min-fluency") == f"{DEFAULT_MIN_FLUENCY:g}"


class _Fluent:
    """The fluency hook only (no model): the default constraints are built around it."""

    def mean_logprob(self, texts, reference=None):
        return [0.0] * len(texts)


def test_the_default_explainer_checks_fluency_and_nothing_else():
    checks = build_constraints(Config(), _Fluent())
    assert [c.name for c in checks.checks] == ["fluency"]
