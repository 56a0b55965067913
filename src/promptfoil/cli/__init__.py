"""Command line, one module per command family: ``explain``/``demo``/``list``, dataset jobs
(``run``, ``metrics``, ``compare``, ``report``), ``summary``, ``redteam``, ``experiment``, ``gate``,
``doctor`` and ``models``.

Component choices come from the registries, so a new component (or an installed plugin)
shows up here by registering itself. User errors print one clear line (exit 2), never a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from ..report.visible import visible
from .. import plugins  # noqa: F401  (fills the registries)
from .. import __version__
from ..errors import PromptfoilError
from . import doctor, experiment, explain, gate, jobs, models, redteam, summary
from .options import add_explainer_options, config_from_args

FAMILIES = (explain, jobs, summary, redteam, experiment, gate, doctor, models)
COMMANDS = {name: fn for fam in FAMILIES for name, fn in fam.COMMANDS.items()}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promptfoil",
        description="Contrastive explanations for LLMs: find the smallest edit of a prompt that "
        "makes the model answer differently (CELL and CELL-budget).",
        epilog=explain.EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"promptfoil {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for fam in FAMILIES:
        fam.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console, err = Console(), Console(stderr=True)
    try:
        if args.command in COMMANDS:
            return COMMANDS[args.command](args, console, err)
        parser.print_help()
        return 0
    except PromptfoilError as exc:
        err.print(Text.assemble(("error: ", "bold red"), visible(str(exc))), highlight=False, soft_wrap=True)  # one line
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


__all__ = ["add_explainer_options", "build_parser", "config_from_args", "main"]
