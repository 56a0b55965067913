"""Command line: ``promptfoil explain``, ``promptfoil list``.

Choices come from the registries, so a new component shows up here by registering itself.
User errors print one clear line (exit 2), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from . import cli_jobs, plugins  # noqa: F401  (plugins fills the registries)
from .cli_endpoint import add_endpoint_arguments, endpoint_options
from .errors import PromptfoilError
from .explainer import (
    DEFAULT_ALGORITHM,
    DEFAULT_BUDGET,
    DEFAULT_INFILLER,
    DEFAULT_MAX_TOKENS,
    DEFAULT_SCORER,
    DEFAULT_SPLIT_K,
    DEFAULT_TARGET,
    Explainer,
)
from .infill.base import infillers
from .scorers.base import scorers
from .search import searches
from .search.priority import PRIORITIZERS
from .targets.base import targets
from .types import DIRECTIONS

EXAMPLES = """\
examples:
  promptfoil explain "Why are rich people able to avoid financial ruin?"
  promptfoil explain "Is it fine to skip a friend's wedding?" --algorithm cell --split-k 2
  promptfoil explain "..." --budget 20 --threshold 0.4 --json > result.json
  promptfoil list                      # every target, infiller, scorer and algorithm
"""


def _protect(value: str) -> tuple[int, int]:
    try:
        start, end = value.split(":")
        return int(start), int(end)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:END character offsets, got {value!r}") from None


def _option(value: str) -> tuple[str, object]:
    """KEY=VALUE; the value is read as JSON when it parses (numbers, true/false), else a string."""
    key, sep, raw = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    try:
        parsed: object = json.loads(raw)
    except ValueError:
        parsed = raw
    return key.replace("-", "_"), parsed


def _budget(value: str) -> int | None:
    if value.lower() in ("none", "unlimited"):
        return None
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"budget must be a whole number or 'none', got {value!r}") from None


def add_explainer_options(p: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """Component, search and cache options shared by `explain`, `run`, `compare`, `experiment`.

    Returns the search group so a command can add its own search options to it.
    """
    g = p.add_argument_group("components (see `promptfoil list`)")
    g.add_argument("--target", default=DEFAULT_TARGET, choices=targets.names(), help="the LLM to explain (default: %(default)s)")
    g.add_argument("--target-model", help="model file or name for the target (e.g. a .gguf path for 'gguf')")
    g.add_argument("--max-tokens", type=int, default=DEFAULT_MAX_TOKENS, help="response length of the target (default: %(default)s)")
    g.add_argument("--infiller", default=DEFAULT_INFILLER, choices=infillers.names(), help="proposes replacements for masked words (default: %(default)s)")
    g.add_argument("--infiller-model", help="model for the infiller")
    g.add_argument("--scorer", default=DEFAULT_SCORER, choices=scorers.names(), help="how a new response differs from the original (default: %(default)s)")
    g.add_argument("--scorer-model", help="model for the scorer")
    g.add_argument("--target-option", type=_option, action="append", default=[], metavar="KEY=VALUE", help="extra setting for the target factory (repeatable), e.g. temperature=0.7")
    g.add_argument("--infiller-option", type=_option, action="append", default=[], metavar="KEY=VALUE", help="extra setting for the infiller (repeatable)")
    g.add_argument("--scorer-option", type=_option, action="append", default=[], metavar="KEY=VALUE", help="extra setting for the scorer (repeatable)")
    add_endpoint_arguments(p)
    s = p.add_argument_group("search")
    s.add_argument("--algorithm", default=DEFAULT_ALGORITHM, choices=searches.names(), help="search algorithm (default: %(default)s)")
    s.add_argument("--budget", type=_budget, default=DEFAULT_BUDGET, help="most target queries of perturbed prompts; cache hits are free; 'none' = unlimited for cell (default: %(default)s)")
    s.add_argument("--split-k", type=int, default=DEFAULT_SPLIT_K, help="words per editable unit (default: %(default)s)")
    s.add_argument("--threshold", type=float, help="score a contrast must reach (default: the scorer's measured default)")
    s.add_argument("--direction", choices=DIRECTIONS, help="which way is contrastive (default: the scorer's)")
    s.add_argument("--seed", type=int, default=0, help="drives every random choice (default: %(default)s)")
    s.add_argument("--order", choices=PRIORITIZERS, default="none", help="which candidates of a batch to query first: 'prompt-shift' asks first those whose prompt moved furthest in meaning (MiniLM), which saves calls (default: %(default)s)")
    c = p.add_argument_group("cache")
    c.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")
    c.add_argument("--cache", metavar="PATH", help="response cache file (default: $PROMPTFOIL_CACHE_DIR or ~/.cache/promptfoil)")
    return s


def explainer_from_args(args: argparse.Namespace, **override: object) -> Explainer:
    """The :class:`Explainer` the shared options describe; ``override`` replaces some of them."""
    cache: str | bool = False if args.no_cache else (args.cache or True)
    ep_target, ep_infiller, ep_scorer = endpoint_options(args)
    opts: dict[str, object] = dict(
        target=args.target,
        infiller=args.infiller,
        scorer=args.scorer,
        algorithm=args.algorithm,
        budget=args.budget,
        split_k=args.split_k,
        threshold=args.threshold,
        direction=args.direction,
        seed=args.seed,
        cache=cache,
        target_model=args.target_model,
        infiller_model=args.infiller_model,
        scorer_model=args.scorer_model,
        max_tokens=args.max_tokens,
        target_options={**ep_target, **dict(args.target_option)},
        infiller_options={**ep_infiller, **dict(args.infiller_option)},
        scorer_options={**ep_scorer, **dict(args.scorer_option)},
        order=args.order,
    )
    opts.update(override)
    return Explainer(**opts)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promptfoil",
        description="Contrastive explanations for LLMs: find the smallest edit of a prompt that "
        "makes the model answer differently (CELL and CELL-budget).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ex = sub.add_parser(
        "explain",
        help="explain the target's response to one prompt",
        description="Query the target with PROMPT, then search for a minimally edited prompt whose "
        "response scores past the threshold against the original response.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("prompt", help="the prompt to explain (use '-' to read it from standard input)")
    s = add_explainer_options(ex)
    s.add_argument("--protect", type=_protect, action="append", default=[], metavar="START:END", help="character span never edited (repeatable)")
    o = ex.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print the result as one JSON object")
    o.add_argument("--no-trace", action="store_true", help="leave the search trace out of --json output")
    o.add_argument("--svg", metavar="PATH", help="also save the terminal rendering as an SVG picture")

    sub.add_parser("list", help="list targets, infillers, scorers and algorithms")

    demo = sub.add_parser(
        "demo",
        help="explain a few shipped prompts with the embedded default models",
        description="Runs the default pipeline (SmolLM2 target, LM infiller, semantic scorer, "
        "CELL-budget) on the first N prompts shipped with promptfoil.",
    )
    demo.add_argument("-n", type=int, default=3, help="how many shipped prompts (default: %(default)s)")
    demo.add_argument("--budget", type=_budget, default=DEFAULT_BUDGET, help="budget per explanation (default: %(default)s)")
    cli_jobs.add_parsers(sub, add_explainer_options)
    return parser


def _cmd_list(console: Console) -> int:
    from rich.table import Table

    for title, reg in (("targets", targets), ("infillers", infillers), ("scorers", scorers), ("algorithms", searches)):
        table = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
        table.add_column(style="cyan", no_wrap=True)
        table.add_column()
        for e in reg.entries():
            table.add_row(e.name, e.summary)
        console.print(table)
    return 0


def _cmd_explain(args: argparse.Namespace, console: Console, err: Console) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    explainer = explainer_from_args(args)
    show = err.is_terminal and not args.json
    if show:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("explaining"), BarColumn(), MofNCompleteColumn(), TextColumn("target calls"),
            TimeElapsedColumn(), console=err, transient=True,
        ) as bar:
            task = bar.add_task("search", total=explainer.budget)
            result = explainer.explain(prompt, protected=args.protect, progress=lambda n: bar.update(task, completed=n))
    else:
        result = explainer.explain(prompt, protected=args.protect)
    if args.json:
        d = result.to_dict()
        if args.no_trace:
            d.pop("trace")
        print(json.dumps(d, ensure_ascii=False))
    else:
        from .report.terminal import render

        if args.svg:
            rec = Console(record=True, width=100, file=open(os.devnull, "w"))  # noqa: SIM115
            render(result, rec)
            rec.save_svg(args.svg, title="promptfoil explain")
        render(result, console)
    return 0


def _cmd_demo(args: argparse.Namespace, console: Console, err: Console) -> int:
    from .datasets import shipped_prompts
    from .report.terminal import render

    explainer = Explainer(budget=args.budget)
    found = 0
    items = shipped_prompts()[: max(1, args.n)]
    for i, item in enumerate(items, 1):
        console.rule(f"[bold]{i}/{len(items)}[/bold]  {item['id']}")
        result = explainer.explain(item["prompt"])
        render(result, console)
        found += result.found
    console.rule(f"{found}/{len(items)} explanations found")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console, err = Console(), Console(stderr=True)
    try:
        if args.command == "explain":
            return _cmd_explain(args, console, err)
        if args.command == "demo":
            return _cmd_demo(args, console, err)
        if args.command == "list":
            return _cmd_list(console)
        if args.command in cli_jobs.COMMANDS:
            cmd = cli_jobs.COMMANDS[args.command]
            if args.command in cli_jobs.NEEDS_EXPLAINER:
                return cmd(args, console, err, explainer_from_args)
            return cmd(args, console, err)
        parser.print_help()
        return 0
    except PromptfoilError as exc:
        err.print(Text.assemble(("error: ", "bold red"), str(exc)), highlight=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
