"""Command-line flags become the Config: every registered component is a valid choice and is
listed in ``--help``, the contrast flags reach the search settings, and ``compare`` defaults
to a scorer that needs no download."""

from __future__ import annotations

import promptfoil


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


def test_cli_flags_reach_the_config():
    from promptfoil.cli import build_parser, config_from_args

    args = build_parser().parse_args(["explain", "x", "--no-minimize", "--confirm", "3", "--contrasts", "2"])
    s = config_from_args(args).search
    assert (s.minimize, s.confirm, s.contrasts) == (False, 3, 2)
    s = config_from_args(build_parser().parse_args(["explain", "x"])).search
    assert (s.minimize, s.confirm, s.contrasts) == (True, 0, 1)


def test_compare_defaults_to_an_offline_scorer():
    from promptfoil.cli import build_parser

    args = build_parser().parse_args(["compare", "r.jsonl"])
    assert args.compare_scorer == "semantic"
